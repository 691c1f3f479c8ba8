package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/terminology"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

func newTranslateCmd() *cobra.Command {
	var to, namespace, termFile string
	cmd := &cobra.Command{
		Use:   "translate --to fhir|clinic [FILE...]",
		Short: "translate clinic records to FHIR R4 Bundles, or FHIR back to clinic records",
		Long: `translate reads clinic records (--to fhir) or FHIR resources and Bundles
(--to clinic) from the files named, or from stdin when none is named, and
writes one JSON document per line to stdout: a Bundle of type collection per
clinic record, or one clinic record per line. A file holds one JSON document
(or several, one after another, as stdin does: NDJSON).

Every input is translated even after an error; each error goes to stderr
naming the file, the document and the field, and the exit status is then 1.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var toFHIR bool
			switch to {
			case "fhir":
				toFHIR = true
			case "clinic":
			default:
				return fmt.Errorf("--to must be fhir or clinic, not %q", to)
			}
			tr, err := newTranslator(namespace, termFile)
			if err != nil {
				return err
			}
			inputs := args
			if len(inputs) == 0 {
				inputs = []string{"-"}
			}
			out := bufio.NewWriter(cmd.OutOrStdout())
			failed := false
			for _, name := range inputs {
				if !translateInput(tr, name, cmd.InOrStdin(), out, cmd.ErrOrStderr(), toFHIR) {
					failed = true
				}
			}
			if err := out.Flush(); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "direction: fhir (clinic records in) or clinic (FHIR in)")
	cmd.Flags().StringVar(&namespace, "namespace", translate.DefaultNamespace, "clinic namespace URI for identifiers, ids and extensions")
	cmd.Flags().StringVar(&termFile, "terminology", "", "terminology file that adds to or overrides the embedded table")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func newTranslator(namespace, termFile string) (*translate.Translator, error) {
	terms := terminology.Default()
	if termFile != "" {
		f, err := os.Open(termFile)
		if err != nil {
			return nil, fmt.Errorf("--terminology: %w", err)
		}
		over, err := terminology.Load(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--terminology %s: %w", termFile, err)
		}
		terms = terms.Merge(over)
	}
	return translate.New(translate.Config{Namespace: namespace, Terminology: terms})
}

// translateInput translates every JSON document of one input ("-" is
// stdin); it reports whether all of them translated.
func translateInput(tr *translate.Translator, name string, stdin io.Reader, out io.Writer, errOut io.Writer, toFHIR bool) bool {
	label := name
	var r io.Reader
	if name == "-" {
		label, r = "<stdin>", stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(errOut, "ivbridge translate: %v\n", err)
			return false
		}
		defer f.Close()
		r = f
	}
	dec := json.NewDecoder(bufio.NewReader(r))
	ok := true
	for n := 1; ; n++ {
		var doc json.RawMessage
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				if n == 1 {
					fmt.Fprintf(errOut, "ivbridge translate: %s: no JSON document\n", label)
					return false
				}
				return ok
			}
			fmt.Fprintf(errOut, "ivbridge translate: %s: document %d: not JSON: %v\n", label, n, err)
			return false // the stream cannot be resynchronised
		}
		var lines [][]byte
		var err error
		if toFHIR {
			lines, err = recordToFHIR(tr, doc)
		} else {
			lines, err = fhirToClinic(tr, doc)
		}
		for _, l := range lines {
			out.Write(l)
			out.Write([]byte{'\n'})
		}
		if err != nil {
			ok = false
			fmt.Fprintf(errOut, "ivbridge translate: %s: document %d: %v\n", label, n, err)
		}
	}
}

func recordToFHIR(tr *translate.Translator, doc []byte) ([][]byte, error) {
	rec, err := clinic.Decode(doc)
	if err != nil {
		return nil, err
	}
	b, err := tr.Collection(rec)
	if err != nil {
		return nil, err
	}
	data, err := r4.Marshal(b)
	if err != nil {
		return nil, err
	}
	return [][]byte{data}, nil
}

func fhirToClinic(tr *translate.Translator, doc []byte) ([][]byte, error) {
	res, err := r4.Unmarshal(bytes.TrimSpace(doc))
	if err != nil {
		return nil, err
	}
	recs, err := tr.ToClinic(res)
	var lines [][]byte
	for _, rec := range recs {
		data, encErr := clinic.Encode(rec)
		if encErr != nil {
			return lines, errors.Join(err, encErr)
		}
		lines = append(lines, data)
	}
	return lines, err
}
