package translate

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// sharedDir finds ../shared beside the repository root (the directory
// holding go.mod), or "" when it is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	shared := filepath.Join(repoRoot(t), "..", "shared")
	if _, err := os.Stat(shared); err != nil {
		return ""
	}
	return shared
}

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
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
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

type example struct {
	name string
	data []byte
	rec  clinic.Record
}

// clinicExamples reads the valid clinic examples; it skips the test when the
// shared folder is absent.
func clinicExamples(t testing.TB) []example {
	t.Helper()
	shared := sharedDir(t)
	if shared == "" {
		t.Skip("../shared (clinic-model examples) not found beside the repository; skipping")
	}
	files, err := filepath.Glob(filepath.Join(shared, "clinic-model", "examples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no clinic examples found")
	}
	var out []example
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := clinic.Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		out = append(out, example{name: filepath.Base(f), data: data, rec: rec})
	}
	return out
}

func newTestTranslator(t testing.TB) *Translator {
	t.Helper()
	tr, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// validator is the independent R4 validator (google/fhir jsonformat); it is
// built once per test binary.
var validator = sync.OnceValues(func() (*jsonformat.Unmarshaller, error) {
	return jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
})

// validateR4 fails the test when the JSON is not a valid R4 resource.
func validateR4(t testing.TB, name string, data []byte) {
	t.Helper()
	u, err := validator()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.UnmarshalR4(data); err != nil {
		t.Errorf("%s: invalid R4: %v\n%s", name, err, truncateForLog(data))
	}
}

func truncateForLog(b []byte) string {
	s := string(b)
	if len(s) > 4000 {
		return s[:4000] + "…"
	}
	return strings.TrimSpace(s)
}
