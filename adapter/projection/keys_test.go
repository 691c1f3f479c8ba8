package projection

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

// TestKeysOfAgreesWithSearchKeys: the search keys read from a typed
// resource are those SearchKeys reads from its JSON, for every resource
// of the golden Bundles (what ivbridge projects), for DetectedIssues and
// Encounters and for every official R4 example the codec reads.
func TestKeysOfAgreesWithSearchKeys(t *testing.T) {
	root := repoRoot(t)
	var bodies [][]byte
	golden, err := filepath.Glob(filepath.Join(root, "testdata", "golden", "*.json"))
	if err != nil || len(golden) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range golden {
		var b struct {
			Entry []struct{ Resource json.RawMessage }
		}
		readJSON(t, f, &b)
		for _, e := range b.Entry {
			bodies = append(bodies, e.Resource)
		}
	}
	bodies = append(bodies,
		[]byte(`{"resourceType":"DetectedIssue","id":"d1","identifier":[{"system":"s","value":"v"}],"status":"final","patient":{"reference":"Patient/p"},"identifiedPeriod":{"end":"2026-03-02"}}`),
		[]byte(`{"resourceType":"DetectedIssue","id":"d2","status":"preliminary","identifiedDateTime":"2026-03-02T10:00:00Z"}`),
		[]byte(`{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p"}}`),
		[]byte(`{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},"subject":{"reference":"Group/g"},"effectiveInstant":"2026-03-02T10:00:00Z"}`),
		[]byte(`{"resourceType":"Medication","id":"m1","status":"active","identifier":[{"value":"lot"}]}`),
	)
	examples := filepath.Join(root, "..", "shared", "fhir-r4-examples")
	if files, _ := filepath.Glob(filepath.Join(examples, "*", "*.json")); len(files) > 0 {
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			bodies = append(bodies, b)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("../shared/fhir-r4-examples not found")
	}
	checked := map[string]int{}
	for _, body := range bodies {
		res, err := r4.Unmarshal(body)
		if err != nil {
			continue // an example the codec refuses (errata) or a type it lacks
		}
		typed, ok := keysOf(res)
		if !ok {
			continue
		}
		fromJSON, err := SearchKeys(body)
		if err != nil {
			t.Fatalf("SearchKeys(%s/%s): %v", res.ResourceType(), res.ResourceID(), err)
		}
		fromJSON.Body = nil
		if !reflect.DeepEqual(typed, fromJSON) {
			t.Errorf("%s/%s:\n typed %+v\n  JSON %+v", res.ResourceType(), res.ResourceID(), typed, fromJSON)
		}
		checked[res.ResourceType()]++
	}
	for _, typ := range []string{"Patient", "Practitioner", "MedicationRequest", "MedicationAdministration", "Observation",
		"AdverseEvent", "AllergyIntolerance", "Condition", "DetectedIssue", "Encounter", "Medication"} {
		if checked[typ] == 0 {
			t.Errorf("no %s was compared", typ)
		}
	}
	t.Logf("compared %v", checked)
}

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
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
