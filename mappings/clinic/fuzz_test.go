package clinic

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// re-encodes to JSON that decodes to an equal record and encodes to the
// same bytes again.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{validPlan, validAdministration, `{}`, `[]`, `null`, `{"kind":"patient"}`,
		`{"kind":"reaction","id":"r","version":1e0}`, `{"kind":"plan","rate":{"ml_per_hour":1,"duration_minutes":2}}`,
		"{\"kind\":\"patient\",\"id\":\"\\ud800\"}"} {
		f.Add([]byte(s))
	}
	if dir, ok := sharedClinicModel(); ok {
		for _, pattern := range []string{"examples/*.json", "examples/invalid/*.json"} {
			files, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, name := range files {
				if b, err := os.ReadFile(name); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Decode(data)
		if err != nil {
			if rec != nil {
				t.Fatalf("Decode returned a record with an error")
			}
			return
		}
		out, err := Encode(rec)
		if err != nil {
			t.Fatalf("Encode of an accepted record: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if !reflect.DeepEqual(rec, again) {
			t.Fatalf("re-decoded record differs:\n%#v\n%#v", rec, again)
		}
		out2, err := Encode(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("encoding not stable:\n%s\n%s", out, out2)
		}
	})
}

// sharedClinicModel finds ../shared/clinic-model next to the module root
// without failing or skipping: fuzz seeds are optional.
func sharedClinicModel() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(dir, "..", "shared", "clinic-model")
			_, err := os.Stat(shared)
			return shared, err == nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
