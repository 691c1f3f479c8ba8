package r4_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

// examplesDirOrEmpty finds ../shared/fhir-r4-examples relative to the
// repository root (the directory holding go.mod); "" when it is absent.
func examplesDirOrEmpty() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	ex := filepath.Join(dir, "..", "shared", "fhir-r4-examples")
	if st, err := os.Stat(ex); err != nil || !st.IsDir() {
		return ""
	}
	return ex
}

// examplesDir is examplesDirOrEmpty for tests: it skips when the examples are absent.
func examplesDir(tb testing.TB) string {
	tb.Helper()
	ex := examplesDirOrEmpty()
	if ex == "" {
		tb.Skip("official FHIR R4 examples not found at ../shared/fhir-r4-examples (relative to the repository root)")
	}
	return ex
}

// examplePaths lists the .json files under dir, sorted.
func examplePaths(dir string) []string {
	var files []string
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".json" {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// exampleFiles returns every official example file, sorted.
func exampleFiles(tb testing.TB) []string {
	tb.Helper()
	return examplePaths(examplesDir(tb))
}

// semantic decodes JSON independently of the codec: maps (member order does not
// matter) and json.Number (number literals compare as written).
func semantic(tb testing.TB, data []byte) any {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("not JSON: %v\n%s", err, data)
	}
	if dec.More() {
		tb.Fatalf("trailing data after JSON value:\n%s", data)
	}
	return v
}

// semanticOK is semantic without a test: nil when data is not one JSON value.
func semanticOK(data []byte) any {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil
	}
	if _, err := dec.Token(); err == nil {
		return nil
	}
	return v
}

func TestOfficialExamplesRoundTrip(t *testing.T) {
	files := exampleFiles(t)
	if len(files) < 201 {
		t.Errorf("found %d official examples, want 201", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := r4.Unmarshal(data)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			out, err := r4.Marshal(res)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if got, want := semantic(t, out), semantic(t, data); !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip changed the resource\n got: %s\nwant: %s", out, bytes.Join(bytes.Fields(data), []byte(" ")))
			}
			if !bytes.HasPrefix(out, []byte(`{"resourceType":`)) {
				t.Errorf("output does not start with resourceType: %.60s", out)
			}
			// Output is deterministic: reading it back and writing again gives the same bytes.
			again, err := r4.Unmarshal(out)
			if err != nil {
				t.Fatalf("own output rejected: %v", err)
			}
			if out2, err := r4.Marshal(again); err != nil || !bytes.Equal(out2, out) {
				t.Fatalf("second round differs (%v):\n%s\n%s", err, out, out2)
			}
		})
	}
}
