package clinic

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDir returns /work/shared-style ../shared next to the module root,
// found by walking up from the test's directory to go.mod; it skips the
// test when the folder is absent.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory")
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared", "clinic-model")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("shared clinic model not found at %s: %v", shared, err)
	}
	return shared
}

// exampleFiles returns the valid example files and the invalid ones.
func exampleFiles(t testing.TB) (valid, invalid []string) {
	t.Helper()
	dir := sharedDir(t)
	valid, err := filepath.Glob(filepath.Join(dir, "examples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	invalid, err = filepath.Glob(filepath.Join(dir, "examples", "invalid", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(valid) == 0 || len(invalid) == 0 {
		t.Fatalf("no examples under %s", dir)
	}
	return valid, invalid
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
