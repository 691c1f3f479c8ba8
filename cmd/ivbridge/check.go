package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ivbridge/ivbridge/adapter/safety"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func newCheckCmd() *cobra.Command {
	var rulesFile, format string
	cmd := &cobra.Command{
		Use:   "check [FILE...]",
		Short: "Run the clinical safety checks on clinic records and print the findings",
		Long: `check loads clinic records (a JSON object per file, or NDJSON on stdin) in
the clinic's load order — patients, practitioners, reactions, plans,
administrations — checks every plan and administration, re-checks open plans
when an allergy arrives, and prints the findings. Exit status 1 when any
finding is high.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rules := safety.DefaultRules()
			if rulesFile != "" {
				f, err := os.Open(rulesFile)
				if err != nil {
					return err
				}
				over, err := safety.LoadRules(f)
				f.Close()
				if err != nil {
					return fmt.Errorf("%s: %w", rulesFile, err)
				}
				rules = rules.Merge(over)
			}
			recs, bad := readClinicRecords(args, cmd.InOrStdin(), cmd.ErrOrStderr())
			reports, err := safety.CheckBatch(cmd.Context(), rules, safety.SortForLoad(recs))
			if err != nil {
				return err
			}
			if err := printReports(cmd.OutOrStdout(), format, reports); err != nil {
				return err
			}
			high := false
			for _, r := range reports {
				high = high || r.HighestSeverity() == safety.High
			}
			if high || bad {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&rulesFile, "rules", "", "rules file that adds to or overrides the built-in rules")
	cmd.Flags().StringVar(&format, "format", "text", "output: text (a line per finding) or json (a JSON object per checked record)")
	return cmd
}

func printReports(w io.Writer, format string, reports []safety.Report) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		for _, r := range reports {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	case "text":
		for _, r := range reports {
			tag := ""
			if r.Recheck {
				tag = " (re-check)"
			}
			if r.Blocked {
				tag += " BLOCKED"
			}
			for _, f := range r.Findings {
				fmt.Fprintf(w, "%s %s%s\t%s\t%s\t%s\n\tsource: %s\n", r.Kind, r.ID, tag, f.Severity, f.Rule, f.Detail, f.Source)
			}
		}
	default:
		return fmt.Errorf("--format %q: want text or json", format)
	}
	return nil
}

// readClinicRecords decodes a clinic record per file, or NDJSON from stdin
// when there are no files. Each bad input is reported on errOut naming the
// file (or line) and field; bad says whether there was any.
func readClinicRecords(files []string, stdin io.Reader, errOut io.Writer) (recs []clinic.Record, bad bool) {
	report := func(where string, err error) {
		bad = true
		fmt.Fprintf(errOut, "%s: %v\n", where, err)
	}
	if len(files) == 0 {
		data, err := io.ReadAll(stdin)
		if err != nil {
			report("stdin", err)
			return nil, true
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			rec, err := clinic.Decode([]byte(line))
			if err != nil {
				report(fmt.Sprintf("stdin:%d", i+1), err)
				continue
			}
			recs = append(recs, rec)
		}
		return recs, bad
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			report(f, err)
			continue
		}
		rec, err := clinic.Decode(data)
		if err != nil {
			report(f, err)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, bad
}
