package translate

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden compares the collection Bundle of every valid clinic example,
// byte for byte, with testdata/golden/<example file name> at the repository
// root. `go test ./mappings/translate -run TestGolden -update` rewrites them.
func TestGolden(t *testing.T) {
	tr := newTestTranslator(t)
	dir := filepath.Join(repoRoot(t), "testdata", "golden")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, ex := range clinicExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			b, err := tr.Collection(ex.rec)
			if err != nil {
				t.Fatal(err)
			}
			compact, err := r4.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, compact, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			path := filepath.Join(dir, ex.name)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s differs from the golden file; run with -update if the change is intended\n got: %s", path, truncateForLog(got.Bytes()))
			}
		})
	}
}
