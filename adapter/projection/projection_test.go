package projection_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/projection"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

func TestSearchKeys(t *testing.T) {
	tests := []struct {
		name, body                          string
		patient, status, date, idents, refs string
	}{
		{"patient", `{"resourceType":"Patient","id":"p1","identifier":[{"system":"s","value":"v"},{"value":"w"}],"birthDate":"1990-01-02"}`,
			"p1", "", "1990-01-02", "s|v,|w", ""},
		{"administration", `{"resourceType":"MedicationAdministration","id":"a1","status":"completed","subject":{"reference":"Patient/p1"},"request":{"reference":"MedicationRequest/r1"},"effectivePeriod":{"start":"2026-03-02T09:00:00-05:00"}}`,
			"p1", "completed", "2026-03-02T09:00:00-05:00", "", "patient=Patient/p1,request=MedicationRequest/r1,subject=Patient/p1"},
		{"adverse event single identifier", `{"resourceType":"AdverseEvent","id":"e1","identifier":{"system":"s","value":"x"},"subject":{"reference":"Patient/p2"},"date":"2026-01-01"}`,
			"p2", "", "2026-01-01", "s|x", "patient=Patient/p2,subject=Patient/p2"},
		{"allergy clinical status", `{"resourceType":"AllergyIntolerance","id":"ai","clinicalStatus":{"coding":[{"code":"active"}]},"patient":{"reference":"Patient/p3"},"recordedDate":"2026-02-01"}`,
			"p3", "active", "2026-02-01", "", "patient=Patient/p3"},
		{"group subject", `{"resourceType":"Observation","id":"o","status":"final","subject":{"reference":"Group/g"},"effectiveDateTime":"2026"}`,
			"", "final", "2026", "", "subject=Group/g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := projection.SearchKeys([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, k := range []string{"patient", "request", "subject"} {
				if v, ok := r.Refs[k]; ok {
					refs = append(refs, k+"="+v)
				}
			}
			if r.PatientID != tt.patient || r.Status != tt.status || r.Date != tt.date ||
				strings.Join(r.Identifiers, ",") != tt.idents || strings.Join(refs, ",") != tt.refs {
				t.Fatalf("got patient %q status %q date %q idents %v refs %v", r.PatientID, r.Status, r.Date, r.Identifiers, refs)
			}
		})
	}
	for _, bad := range []string{`[]`, `{"resourceType":"Patient"}`, `{"resourceType":"Patient","id":"x","identifier":"s"}`} {
		if _, err := projection.SearchKeys([]byte(bad)); err == nil {
			t.Errorf("SearchKeys(%s) accepted", bad)
		}
	}
}

// FuzzSearchKeys: SearchKeys reads resources that may come from the
// upstream; it never panics.
func FuzzSearchKeys(f *testing.F) {
	f.Add(`{"resourceType":"Patient","id":"p","identifier":[{"system":"s","value":"v"}]}`)
	f.Add(`{"resourceType":"AdverseEvent","id":"e","identifier":{"value":"v"},"subject":{"reference":"Patient/x"}}`)
	f.Add(`{"resourceType":"Condition","id":"c","clinicalStatus":{"coding":[]}}`)
	f.Fuzz(func(t *testing.T, body string) {
		r, err := projection.SearchKeys([]byte(body))
		if err == nil && (r.Type == "" || r.ID == "") {
			t.Fatalf("accepted a resource without type or id: %q", body)
		}
	})
}

// TestPuller: an upstream resource maps to records whose writes are what a
// clinic PUT of them would store.
func TestPuller(t *testing.T) {
	root, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		root = filepath.Dir(root)
	}
	body, err := os.ReadFile(filepath.Join(root, "..", "shared", "clinic-model", "examples", "plan-plan-2001.json"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip("clinic examples not found")
	}
	tr, err := translate.New(translate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	v := conformance.NewValidator()
	p := projection.New(tr, v)
	rec, err := clinic.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := tr.ToFHIR(rec)
	if err != nil {
		t.Fatal(err)
	}
	var mr []byte
	for _, r := range rs {
		if r.ResourceType() == "MedicationRequest" {
			mr, _ = r4.Marshal(r)
		}
	}
	pl := projection.Puller{P: p}
	recs, err := pl.Records(context.Background(), mr)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Records: %v %v", recs, err)
	}
	w, err := pl.Write(context.Background(), recs[0], 7)
	if err != nil {
		t.Fatal(err)
	}
	if w.Version != 7 || w.Kind != clinic.KindPlan || w.ID != "plan-2001" || len(w.Resources) == 0 {
		t.Fatalf("write %+v", w)
	}
	var head struct{ Version int }
	_ = json.Unmarshal(w.Body, &head)
	if head.Version != 7 {
		t.Fatalf("body version %d", head.Version)
	}
	for _, r := range w.Resources {
		if r.SourceKind != clinic.KindPlan || r.SourceID != "plan-2001" {
			t.Fatalf("resource %s/%s from %s %s", r.Type, r.ID, r.SourceKind, r.SourceID)
		}
	}
	if _, err := pl.Records(context.Background(), []byte(`{"resourceType":"MedicationRequest","status":"bogus"}`)); err == nil {
		t.Fatal("invalid upstream resource accepted")
	}
}
