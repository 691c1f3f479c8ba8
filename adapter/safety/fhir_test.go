package safety

import (
	"strings"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"

	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// TestDetectedIssuesAreValidR4 maps the example findings (the first of each
// overridden) to DetectedIssues and has both ivbridge's R4 validator and an
// independent one (google/fhir) accept every one; ids are stable across runs.
func TestDetectedIssuesAreValidR4(t *testing.T) {
	byKind := loadExamples(t)
	tr, err := translate.New(translate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	um, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	found, _ := checkInOrder(t, byKind, []clinic.Kind{clinic.KindPatient, clinic.KindPractitioner, clinic.KindReaction, clinic.KindPlan, clinic.KindAdministration})
	rules := DefaultRules()
	validator := conformance.NewValidator()
	checked := 0
	for _, kind := range []clinic.Kind{clinic.KindPlan, clinic.KindAdministration} {
		for _, rec := range byKind[kind] {
			var fs []Finding
			for k, f := range found {
				if k.subject == rec.RecordID() {
					fs = append(fs, f)
				}
			}
			if len(fs) == 0 {
				continue
			}
			fs[0].Override = &Override{Reason: "benefit outweighs risk, premedicated", PractitionerID: "prac-01"}
			dis := DetectedIssues(tr, rules, rec, fs)
			again := DetectedIssues(tr, rules, rec, fs)
			for i, di := range dis {
				body, err := r4.Marshal(di)
				if err != nil {
					t.Fatal(err)
				}
				if issues := validator.Validate(body); conformance.HasErrors(issues) {
					t.Errorf("%s: the conformance validator rejects the DetectedIssue: %+v\n%s", rec.RecordID(), issues, body)
				}
				if _, err := um.Unmarshal(body); err != nil {
					t.Errorf("%s: google/fhir rejects the DetectedIssue: %v\n%s", rec.RecordID(), err, body)
				}
				if di.Id != again[i].Id {
					t.Errorf("DetectedIssue id not deterministic: %s vs %s", di.Id, again[i].Id)
				}
				wantRef := map[clinic.Kind]string{clinic.KindPlan: "MedicationRequest/", clinic.KindAdministration: "MedicationAdministration/"}[kind]
				if ref := *di.Implicated[0].Reference; !strings.HasPrefix(ref, wantRef) {
					t.Errorf("implicated = %s, want %s…", ref, wantRef)
				}
				checked++
			}
			if len(dis[0].Mitigation) != 1 || !strings.Contains(*dis[0].Mitigation[0].Action.Text, "premedicated") {
				t.Errorf("override not kept in mitigation: %+v", dis[0].Mitigation)
			}
		}
	}
	if checked < 4 {
		t.Errorf("validated %d DetectedIssues, want the 4 example findings", checked)
	}
}
