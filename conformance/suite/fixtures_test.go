package suite

import (
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
)

// TestFixturesAreValidR4 checks every resource the suite creates with an
// independent R4 validator (google/fhir's strict JSON parser): a suite that
// writes invalid resources would blame the server for its own mistakes.
func TestFixturesAreValidR4(t *testing.T) {
	um, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	b := &fixtureBuilder{runID: "test"}
	patient, _ := b.patient()
	fixtures := map[string][]byte{
		"Patient":                  patient,
		"Practitioner":             b.practitioner(),
		"MedicationRequest":        b.medicationRequest("p1", "pr1"),
		"MedicationAdministration": b.medicationAdministration("p1", "pr1", "mr1"),
		"Observation":              b.observation("p1", fixtureDateTime, 72),
		"AdverseEvent":             b.adverseEvent("p1", "ma1"),
	}
	for _, rt := range fixtureTypes {
		data, ok := fixtures[rt]
		if !ok {
			t.Errorf("no fixture for %s", rt)
			continue
		}
		if _, err := um.Unmarshal(data); err != nil {
			t.Errorf("%s fixture is not valid R4: %v\n%s", rt, err, data)
		}
	}
	// The validator must be able to say no, or this test proves nothing.
	if _, err := um.Unmarshal([]byte(`{"resourceType":"Patient","birthDate":"1970-13-45","gender":"not-a-gender"}`)); err == nil {
		t.Fatal("the validator accepted the suite's deliberately invalid Patient")
	}
}

func TestFixtureIdentifiersAreUnique(t *testing.T) {
	b := &fixtureBuilder{runID: "r"}
	seen := map[string]bool{}
	for range 10 {
		_, v := b.patient()
		if seen[v] {
			t.Fatalf("identifier %q repeated", v)
		}
		seen[v] = true
	}
}
