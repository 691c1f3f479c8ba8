package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
)

// TestGoldenTranslationsPassBothValidators holds every golden output of the
// translation tests (testdata/golden, one Bundle per clinic example) to this
// validator and to google/fhir's R4 parser, entry by entry, so a mapping
// change that emits invalid FHIR fails here even if its golden file was
// regenerated.
func TestGoldenTranslationsPassBothValidators(t *testing.T) {
	root := repoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "testdata", "golden", "*.json"))
	if len(files) == 0 {
		t.Fatalf("no golden files under %s/testdata/golden", root)
	}
	v := NewValidator()
	um, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	resources := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if issues := v.Validate(data); HasErrors(issues) {
			t.Errorf("%s: ivbridge's validator: %+v", name, issues)
		}
		var bundle struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &bundle); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(bundle.Entry) == 0 {
			t.Errorf("%s: a golden Bundle with no entries", name)
		}
		for i, e := range bundle.Entry {
			// google/fhir does not look inside contained resources or
			// Bundle entries it holds as Any, so each entry goes on its own.
			if _, err := um.Unmarshal(e.Resource); err != nil {
				t.Errorf("%s entry %d: google/fhir: %v", name, i, err)
			}
			resources++
		}
	}
	t.Logf("%d golden Bundles, %d resources: all valid for both validators", len(files), resources)
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}
