package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runValidate(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newValidateCmd()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

func outcomes(t *testing.T, stdout string) []map[string]any {
	t.Helper()
	var res []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var oo map[string]any
		if err := json.Unmarshal([]byte(line), &oo); err != nil {
			t.Fatalf("output line is not JSON: %q: %v", line, err)
		}
		if oo["resourceType"] != "OperationOutcome" {
			t.Fatalf("output is not an OperationOutcome: %q", line)
		}
		res = append(res, oo)
	}
	return res
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(good, []byte(`{"resourceType":"Patient","gender":"female","birthDate":"1970-01-01"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"resourceType":"Patient","gender":"F","bogus":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantExit int // 0 ok, 1 exitError{1}, 2 other error
		wantOOs  int
		errIssue []int // number of issues expected per outcome
	}{
		{"valid file", "", []string{good}, 0, 1, []int{1}},
		{"invalid file", "", []string{bad}, 1, 1, []int{2}},
		{"both files in order", "", []string{good, bad}, 1, 2, []int{1, 2}},
		{"stdin valid", `{"resourceType":"Bundle","type":"collection"}`, nil, 0, 1, []int{1}},
		{"stdin not json", `{`, nil, 1, 1, []int{1}},
		{"stdin dash", `{"resourceType":"Observation"}`, []string{"-"}, 1, 1, []int{2}},
		{"missing file", "", []string{filepath.Join(dir, "nope.json")}, 2, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runValidate(t, tc.stdin, tc.args...)
			var ee exitError
			switch tc.wantExit {
			case 0:
				if err != nil {
					t.Fatalf("err = %v, stderr %s", err, stderr)
				}
			case 1:
				if !errors.As(err, &ee) || ee.code != 1 {
					t.Fatalf("err = %v, want exitError{1}", err)
				}
			case 2:
				if err == nil || errors.As(err, &ee) {
					t.Fatalf("err = %v, want a plain error", err)
				}
				return
			}
			oos := outcomes(t, stdout)
			if len(oos) != tc.wantOOs {
				t.Fatalf("%d outcomes, want %d: %s", len(oos), tc.wantOOs, stdout)
			}
			for i, oo := range oos {
				issues, _ := oo["issue"].([]any)
				if len(issues) != tc.errIssue[i] {
					t.Errorf("outcome %d has %d issues, want %d: %v", i, len(issues), tc.errIssue[i], oo)
				}
			}
			if got := strings.Count(stderr, "\n"); got != tc.wantOOs {
				t.Errorf("stderr has %d summary lines, want %d: %q", got, tc.wantOOs, stderr)
			}
		})
	}
}
