package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ivbridge/ivbridge/conformance/suite"
)

func newConformanceCmd() *cobra.Command {
	var (
		server, token, fixturesFile string
		timeout                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "conformance --server URL [--token T]",
		Short: "Run the FHIR R4 conformance suite against a server",
		Long: `Exercises a FHIR R4 server the way Inferno and Touchstone do, for Patient,
Practitioner, MedicationRequest, MedicationAdministration, Observation and
AdverseEvent: metadata; create, read, vread; conditional create; update with
If-Match (stale → 412); search by patient and identifier, patient=ID vs
patient=Patient/ID, GET vs POST _search, date comparators, _count with every
next link followed, _include=MedicationAdministration:request, fullUrl on
search entries; content type,
ETag, Location and Last-Modified headers; OperationOutcome error bodies.

A writable server gets its own fixtures (unique identifiers under
` + suite.IdentifierSystem + `). Against a read-only server (no create in its
CapabilityStatement, like ivbridge's facade) write checks are skipped and
existing data is used: found by search, or named in --fixtures FILE, a JSON
object {"patient": "id", "medicationAdministration": "id", ...}.

Prints one line per check (pass/FAIL/skip, the request, why); exits 1 when a
check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" {
				return errors.New("conformance: --server is required")
			}
			cfg := suite.Config{
				BaseURL:    server,
				Token:      token,
				HTTPClient: &http.Client{Timeout: timeout},
			}
			if fixturesFile != "" {
				data, err := os.ReadFile(fixturesFile)
				if err != nil {
					return fmt.Errorf("conformance: %w", err)
				}
				dec := json.NewDecoder(bytes.NewReader(data))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&cfg.Fixtures); err != nil {
					return fmt.Errorf("conformance: reading %s: %w", fixturesFile, err)
				}
			}
			report, err := suite.Run(cmd.Context(), cfg)
			if err != nil {
				return fmt.Errorf("conformance: %w", err)
			}
			if _, err := report.WriteTo(cmd.OutOrStdout()); err != nil {
				return fmt.Errorf("conformance: %w", err)
			}
			if !report.OK() {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "FHIR base URL of the server to test (required)")
	cmd.Flags().StringVar(&token, "token", "", "bearer token sent as Authorization: Bearer T")
	cmd.Flags().StringVar(&fixturesFile, "fixtures", "", "JSON file naming existing resource ids, for a read-only server")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "timeout of each request")
	return cmd
}
