package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

func runConformance(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newConformanceCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestConformanceAgainstUpstream(t *testing.T) {
	base := upstreamtest.Start(t)
	out, err := runConformance(t, "--server", base)
	if err != nil {
		t.Fatalf("conformance against the Medplum upstream: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 40 {
		t.Fatalf("want one line per check, got %d lines:\n%s", len(lines), out)
	}
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "pass ") {
			t.Errorf("line %q: want pass", l)
		}
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "0 failed") {
		t.Errorf("summary %q", last)
	}
}

func TestConformanceExitStatus(t *testing.T) {
	// A server that answers everything with 500 and no FHIR body.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	out, err := runConformance(t, "--server", srv.URL)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v, want exitError{1}\n%s", err, out)
	}
	if !strings.Contains(out, "FAIL metadata") {
		t.Errorf("output lacks the failed metadata check:\n%s", out)
	}
}

func TestConformanceFlags(t *testing.T) {
	if _, err := runConformance(t); err == nil || !strings.Contains(err.Error(), "--server") {
		t.Errorf("no --server: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "fixtures.json")
	if err := os.WriteFile(bad, []byte(`{"patient":"1","unknown":2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runConformance(t, "--server", "http://127.0.0.1:1", "--fixtures", bad); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("fixtures file with an unknown field: %v", err)
	}
	if _, err := runConformance(t, "--server", "not a url"); err == nil {
		t.Error("bad --server accepted")
	}
}
