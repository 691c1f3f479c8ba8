package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.code
	default:
		errb.WriteString(err.Error())
		code = 2
	}
	return out.String(), errb.String(), code
}

func TestCheckCommand(t *testing.T) {
	examples, _ := filepath.Glob("../../../shared/clinic-model/examples/*.json")
	if len(examples) == 0 {
		t.Skip("shared/clinic-model/examples not found beside the repository")
	}
	out, errOut, code := runCmd(t, "", append([]string{"check"}, examples...)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (plan-2003 has a high allergy finding); stderr %s", code, errOut)
	}
	for _, want := range []string{"plan plan-2003\thigh\tallergy", "plan plan-2002\tmoderate\tinteraction-ketamine-benzodiazepine", "electrolyte-magnesium-kidney"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// Records with no high finding exit 0; NDJSON on stdin works.
	ndjson := `{"kind":"patient","id":"p1","version":1,"mrn":"M1","given_names":["A"],"family_name":"B","birth_date":"1980-01-01","sex":"male"}
{"kind":"plan","id":"pl1","version":1,"patient_id":"p1","prescriber_id":"d1","status":"active","authored_at":"2026-01-01T10:00:00Z","indications":["fibromyalgia"],"formulation":{"name":"Mg","ingredients":[{"substance":"magnesium_sulfate","amount":1,"unit":"g"}],"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":100}},"rate":{"ml_per_hour":100},"schedule":{"sessions":1,"every":1,"period":"week","start_date":"2026-01-05"}}
`
	if out, errOut, code := runCmd(t, ndjson, "check"); code != 0 {
		t.Fatalf("clean records: exit %d, out %q, stderr %q", code, out, errOut)
	}

	// A bad record is named on stderr and fails the run.
	_, errOut, code = runCmd(t, `{"kind":"patient","id":"p/1"}`+"\n", "check")
	if code != 1 || !strings.Contains(errOut, "stdin:1") || !strings.Contains(errOut, "id") {
		t.Fatalf("bad record: exit %d, stderr %q; want exit 1 naming stdin:1 and the field", code, errOut)
	}
}
