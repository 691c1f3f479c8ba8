package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// runTranslate runs `ivbridge translate args...` in process with stdin and
// returns stdout, stderr and the exit status the command asked for.
func runTranslate(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := newTranslateCmd()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	code := 0
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
	default:
		code = 2
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), code
}

func translateExamples(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../../../shared/clinic-model/examples/*.json")
	if len(files) == 0 {
		t.Skip("shared/clinic-model/examples not found beside the repository")
	}
	sort.Strings(files)
	return files
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestTranslateRoundTripCLI: files → FHIR Bundles → (stdin) → clinic
// records equal to the inputs' canonical form.
func TestTranslateRoundTripCLI(t *testing.T) {
	files := translateExamples(t)
	bundles, stderr, code := runTranslate(t, "", append([]string{"--to", "fhir"}, files...)...)
	if code != 0 {
		t.Fatalf("--to fhir: exit %d: %s", code, stderr)
	}
	if got := lines(bundles); len(got) != len(files) {
		t.Fatalf("got %d bundles for %d files", len(got), len(files))
	}
	for _, l := range lines(bundles) {
		if !strings.HasPrefix(l, `{"resourceType":"Bundle"`) || !strings.Contains(l, `"type":"collection"`) {
			t.Fatalf("not a collection Bundle: %.100s", l)
		}
	}
	records, stderr, code := runTranslate(t, bundles, "--to", "clinic")
	if code != 0 {
		t.Fatalf("--to clinic: exit %d: %s", code, stderr)
	}
	got := lines(records)
	if len(got) != len(files) {
		t.Fatalf("got %d records for %d files", len(got), len(files))
	}
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// compare ignoring the examples' whitespace only
		if compact(t, data) != got[i] {
			t.Errorf("%s: round trip gave\n%s\nwant\n%s", filepath.Base(f), got[i], compact(t, data))
		}
	}
}

// compact removes insignificant whitespace from the JSON of an example
// (number literals untouched).
func compact(t *testing.T, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	inString, escaped := false, false
	for _, c := range bytes.TrimSpace(data) {
		switch {
		case inString:
			b.WriteByte(c)
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			b.WriteByte(c)
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestTranslateErrors(t *testing.T) {
	files := translateExamples(t)
	invalid := filepath.Join(filepath.Dir(files[0]), "invalid")
	cases := []struct {
		name      string
		args      []string
		stdin     string
		wantCode  int
		wantInErr []string
		wantLines int
	}{
		{
			name:      "unknown substance names file and field",
			args:      []string{"--to", "fhir", filepath.Join(invalid, "unknown-substance.json"), files[0]},
			wantCode:  1,
			wantInErr: []string{"unknown-substance.json", "formulation.ingredients[0].substance"},
			wantLines: 1, // the valid file is still translated
		},
		{
			name:      "not JSON",
			args:      []string{"--to", "fhir", filepath.Join(invalid, "truncated.json")},
			wantCode:  1,
			wantInErr: []string{"truncated.json", "not JSON"},
		},
		{
			name:      "missing file",
			args:      []string{"--to", "fhir", filepath.Join(invalid, "no-such-file.json")},
			wantCode:  1,
			wantInErr: []string{"no-such-file.json"},
		},
		{
			name:      "stdin NDJSON with a bad line",
			args:      []string{"--to", "fhir"},
			stdin:     `{"kind":"practitioner","id":"p1","version":1,"given_names":["A"],"family_name":"B","role":"physician"}` + "\n" + `{"kind":"practitioner","id":"p2","version":1,"given_names":["A"],"family_name":"B","role":"surgeon"}` + "\n",
			wantCode:  1,
			wantInErr: []string{"<stdin>", "document 2", "role"},
			wantLines: 1,
		},
		{
			name:      "foreign order that does not map",
			args:      []string{"--to", "clinic"},
			stdin:     `{"resourceType":"MedicationRequest","id":"x","status":"stopped","intent":"order","subject":{"reference":"Patient/1"},"medicationCodeableConcept":{"text":"aspirin"}}`,
			wantCode:  1,
			wantInErr: []string{"MedicationRequest.status", "MedicationRequest.subject", "MedicationRequest.medicationCodeableConcept"},
		},
		{
			name:      "bad direction",
			args:      []string{"--to", "hl7v2"},
			wantCode:  2,
			wantInErr: []string{"--to"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, stderr, code := runTranslate(t, c.stdin, c.args...)
			if code != c.wantCode {
				t.Errorf("exit %d, want %d (stderr %s)", code, c.wantCode, stderr)
			}
			for _, w := range c.wantInErr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
			if got := len(lines(out)); got != c.wantLines {
				t.Errorf("%d output lines, want %d", got, c.wantLines)
			}
		})
	}
}

func TestTranslateNamespaceAndTerminology(t *testing.T) {
	files := translateExamples(t)
	var practitioner string
	for _, f := range files {
		if strings.Contains(f, "practitioner-prac-01") {
			practitioner = f
		}
	}
	out, stderr, code := runTranslate(t, "", "--to", "fhir", "--namespace", "https://clinic.example.org/fhir", practitioner)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `"system":"https://clinic.example.org/fhir/practitioner"`) {
		t.Errorf("namespace not used: %.300s", out)
	}
	_, stderr, code = runTranslate(t, "", "--to", "fhir", "--terminology", filepath.Join(t.TempDir(), "missing.json"), practitioner)
	if code == 0 || !strings.Contains(stderr, "--terminology") {
		t.Errorf("missing terminology file: exit %d, stderr %q", code, stderr)
	}
}
