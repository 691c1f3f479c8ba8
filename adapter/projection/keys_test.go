package projection

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// TestKeysOfAgreesWithJSON: the search keys read from a typed resource
// are those an independent reading of its JSON finds, for every resource
// of the golden Bundles (what ivbridge projects), for DetectedIssues and
// Encounters and for every official R4 example the codec reads.
func TestKeysOfAgreesWithJSON(t *testing.T) {
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
		fromJSON, err := searchKeysFromJSON(body)
		if err != nil {
			t.Fatalf("searchKeysFromJSON(%s/%s): %v", res.ResourceType(), res.ResourceID(), err)
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

// resourceJSON is the part of any resource the search keys come from.
type resourceJSON struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Identifier   json.RawMessage `json:"identifier"`
	Status       string          `json:"status"`
	Subject      *reference      `json:"subject"`
	Patient      *reference      `json:"patient"`
	Request      *reference      `json:"request"`
	// Dates, by type.
	BirthDate          string  `json:"birthDate"`
	AuthoredOn         string  `json:"authoredOn"`
	EffectiveDateTime  string  `json:"effectiveDateTime"`
	EffectiveInstant   string  `json:"effectiveInstant"`
	EffectivePeriod    *period `json:"effectivePeriod"`
	Date               string  `json:"date"`
	RecordedDate       string  `json:"recordedDate"`
	IdentifiedDateTime string  `json:"identifiedDateTime"`
	IdentifiedPeriod   *period `json:"identifiedPeriod"`
	ClinicalStatus     *struct {
		Coding []struct {
			Code string `json:"code"`
		} `json:"coding"`
	} `json:"clinicalStatus"`
}

type reference struct {
	Reference string `json:"reference"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type identifierJSON struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// searchKeysFromJSON is an independent reading of the search keys from a
// resource's JSON (what the projection used before keysOf), the oracle
// keysOf is checked against.
func searchKeysFromJSON(body []byte) (store.Resource, error) {
	var r resourceJSON
	if err := json.Unmarshal(body, &r); err != nil {
		return store.Resource{}, fmt.Errorf("read resource: %w", err)
	}
	if r.ResourceType == "" || r.ID == "" {
		return store.Resource{}, fmt.Errorf("resource without resourceType or id")
	}
	sr := store.Resource{Type: r.ResourceType, ID: r.ID, Body: body}
	// identifier is 0..* on most types and 0..1 (an object) on AdverseEvent.
	if len(r.Identifier) > 0 {
		var ids []identifierJSON
		if r.Identifier[0] == '{' {
			var one identifierJSON
			if err := json.Unmarshal(r.Identifier, &one); err != nil {
				return store.Resource{}, fmt.Errorf("read identifier: %w", err)
			}
			ids = append(ids, one)
		} else if err := json.Unmarshal(r.Identifier, &ids); err != nil {
			return store.Resource{}, fmt.Errorf("read identifier: %w", err)
		}
		for _, id := range ids {
			if id.Value != "" {
				sr.Identifiers = append(sr.Identifiers, id.System+"|"+id.Value)
			}
		}
	}
	refs := map[string]string{}
	if r.Subject != nil && r.Subject.Reference != "" {
		refs["subject"] = r.Subject.Reference
	}
	if r.Patient != nil && r.Patient.Reference != "" {
		refs["patient"] = r.Patient.Reference
	} else if r.Subject != nil && strings.HasPrefix(r.Subject.Reference, "Patient/") {
		refs["patient"] = r.Subject.Reference
	}
	if r.Request != nil && r.Request.Reference != "" {
		refs["request"] = r.Request.Reference
	}
	if len(refs) > 0 {
		sr.Refs = refs
	}
	if r.ResourceType == "Patient" {
		sr.PatientID = r.ID
	} else if p, ok := strings.CutPrefix(refs["patient"], "Patient/"); ok {
		sr.PatientID = p
	}
	switch r.ResourceType {
	case "AllergyIntolerance", "Condition":
		if r.ClinicalStatus != nil && len(r.ClinicalStatus.Coding) > 0 {
			sr.Status = r.ClinicalStatus.Coding[0].Code
		}
	default:
		sr.Status = r.Status
	}
	switch r.ResourceType {
	case "Patient":
		sr.Date = r.BirthDate
	case "MedicationRequest":
		sr.Date = r.AuthoredOn
	case "MedicationAdministration", "Observation":
		sr.Date = first(r.EffectiveDateTime, r.EffectiveInstant, jsonPeriodStart(r.EffectivePeriod))
	case "AdverseEvent":
		sr.Date = r.Date
	case "AllergyIntolerance", "Condition":
		sr.Date = r.RecordedDate
	case "DetectedIssue":
		sr.Date = first(r.IdentifiedDateTime, jsonPeriodStart(r.IdentifiedPeriod))
	}
	return sr, nil
}

func jsonPeriodStart(p *period) string {
	if p == nil {
		return ""
	}
	return first(p.Start, p.End)
}
