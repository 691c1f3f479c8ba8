package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ivbridge/ivbridge/conformance"
)

// maxValidateInput bounds one input document (FHIR Bundles from a clinic
// system are far smaller; this only protects against a runaway pipe).
const maxValidateInput = 256 << 20

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "validate FHIR R4 JSON resources or Bundles; prints one OperationOutcome per input",
		// An invalid input is a result, not a usage mistake: no usage text.
		SilenceUsage:  true,
		SilenceErrors: true,
		Long: `validate checks each FILE (standard input when none is given) as one FHIR R4
JSON resource or Bundle against the R4 definitions: unknown elements,
cardinality, datatypes and formats, required bindings, choice types,
reference targets and the R4 invariants ivbridge relies on.

For every input it writes one OperationOutcome as a single JSON line to
standard output, in argument order, and a one-line summary to standard error.
The exit status is 1 when any input has an error, 2 when an input cannot be
read, 0 otherwise.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := conformance.NewValidator()
			inputs := args
			if len(inputs) == 0 {
				inputs = []string{"-"}
			}
			failed := false
			for _, name := range inputs {
				data, err := readValidateInput(cmd.InOrStdin(), name)
				if err != nil {
					return err
				}
				issues := v.Validate(data)
				out := append(conformance.OperationOutcome(issues), '\n')
				if _, err := cmd.OutOrStdout().Write(out); err != nil {
					return fmt.Errorf("validate: write result: %w", err)
				}
				errs, warns := countIssues(issues)
				label := name
				if name == "-" {
					label = "<stdin>"
				}
				status := "valid"
				if conformance.HasErrors(issues) {
					status = "INVALID"
					failed = true
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s (%d errors, %d warnings)\n", label, status, errs, warns)
			}
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
}

func readValidateInput(stdin io.Reader, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("validate: %w", err)
		}
		defer f.Close()
		r = f
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, maxValidateInput+1))
	if err != nil {
		return nil, fmt.Errorf("validate: read %s: %w", name, err)
	}
	if n > maxValidateInput {
		return nil, fmt.Errorf("validate: %s is larger than %d bytes", name, maxValidateInput)
	}
	return buf.Bytes(), nil
}

func countIssues(issues []conformance.Issue) (errs, warns int) {
	for _, is := range issues {
		switch is.Severity {
		case conformance.SeverityError, conformance.SeverityFatal:
			errs++
		case conformance.SeverityWarning:
			warns++
		}
	}
	return errs, warns
}
