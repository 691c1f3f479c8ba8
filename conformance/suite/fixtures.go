package suite

import (
	"encoding/json"
	"fmt"
)

// Fixtures names existing resources on the server under test by logical
// id. Against a read-only server (one whose CapabilityStatement declares no
// create) the suite cannot create its own data: it uses these, and finds
// what is left empty by searching. Against a writable server they are
// ignored: the suite creates its own.
type Fixtures struct {
	Patient                  string `json:"patient,omitempty"`
	Practitioner             string `json:"practitioner,omitempty"`
	MedicationRequest        string `json:"medicationRequest,omitempty"`
	MedicationAdministration string `json:"medicationAdministration,omitempty"`
	Observation              string `json:"observation,omitempty"`
	AdverseEvent             string `json:"adverseEvent,omitempty"`
}

// IdentifierSystem is the identifier system of every resource the suite
// creates; values are "<run id>-<n>", unique per run.
const IdentifierSystem = "urn:ivbridge:conformance-suite"

// The clinical date the fixtures carry; the date comparator checks search
// around it.
const (
	fixtureDay      = "2024-03-15"
	fixtureDateTime = "2024-03-15T10:30:00Z"
)

// fixtureTypes are the resource types the suite exercises, in creation
// (dependency) order.
var fixtureTypes = []string{"Patient", "Practitioner", "MedicationRequest", "MedicationAdministration", "Observation", "AdverseEvent"}

// fixtureBuilder builds the R4 JSON of the suite's own resources. Every
// resource is valid R4 (the package tests check them with an independent
// validator) and carries a unique identifier.
type fixtureBuilder struct {
	runID string
	n     int
}

// identifier returns a fresh identifier value and its JSON.
func (b *fixtureBuilder) identifier() (string, map[string]any) {
	b.n++
	v := fmt.Sprintf("%s-%d", b.runID, b.n)
	return v, map[string]any{"system": IdentifierSystem, "value": v}
}

func ref(rt, id string) map[string]any { return map[string]any{"reference": rt + "/" + id} }

func mustJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		// Only maps of strings and numbers are marshalled here.
		panic(fmt.Sprintf("suite: marshalling a fixture: %v", err))
	}
	return data
}

func (b *fixtureBuilder) patient() (body []byte, identValue string) {
	v, ident := b.identifier()
	return mustJSON(map[string]any{
		"resourceType": "Patient",
		"identifier":   []any{ident},
		"active":       true,
		"name":         []any{map[string]any{"family": "Conformance", "given": []any{"Test"}}},
		"gender":       "unknown",
		"birthDate":    "1970-01-01",
	}), v
}

func (b *fixtureBuilder) practitioner() []byte {
	_, ident := b.identifier()
	return mustJSON(map[string]any{
		"resourceType": "Practitioner",
		"identifier":   []any{ident},
		"active":       true,
		"name":         []any{map[string]any{"family": "Nurse", "given": []any{"Test"}}},
	})
}

// ceftriaxone is an RxNorm ingredient concept used by the medication
// fixtures.
func ceftriaxone() map[string]any {
	return map[string]any{
		"coding": []any{map[string]any{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "2193", "display": "ceftriaxone"}},
		"text":   "ceftriaxone 1 g IV",
	}
}

func ivRoute() map[string]any {
	return map[string]any{
		"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "47625008", "display": "Intravenous route"}},
	}
}

func (b *fixtureBuilder) medicationRequest(patientID, practitionerID string) []byte {
	_, ident := b.identifier()
	return mustJSON(map[string]any{
		"resourceType":              "MedicationRequest",
		"identifier":                []any{ident},
		"status":                    "active",
		"intent":                    "order",
		"medicationCodeableConcept": ceftriaxone(),
		"subject":                   ref("Patient", patientID),
		"authoredOn":                "2024-03-14T09:00:00Z",
		"requester":                 ref("Practitioner", practitionerID),
		"dosageInstruction": []any{map[string]any{
			"text":  "1 g IV once daily",
			"route": ivRoute(),
			"doseAndRate": []any{map[string]any{
				"doseQuantity": map[string]any{"value": 1, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"},
			}},
		}},
	})
}

func (b *fixtureBuilder) medicationAdministration(patientID, practitionerID, requestID string) []byte {
	_, ident := b.identifier()
	return mustJSON(map[string]any{
		"resourceType":              "MedicationAdministration",
		"identifier":                []any{ident},
		"status":                    "completed",
		"medicationCodeableConcept": ceftriaxone(),
		"subject":                   ref("Patient", patientID),
		"effectiveDateTime":         fixtureDateTime,
		"performer":                 []any{map[string]any{"actor": ref("Practitioner", practitionerID)}},
		"request":                   ref("MedicationRequest", requestID),
		"dosage": map[string]any{
			"route": ivRoute(),
			"dose":  map[string]any{"value": 1, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"},
		},
	})
}

// observation is a heart rate taken at effective (a dateTime).
func (b *fixtureBuilder) observation(patientID, effective string, bpm int) []byte {
	_, ident := b.identifier()
	return mustJSON(map[string]any{
		"resourceType": "Observation",
		"identifier":   []any{ident},
		"status":       "final",
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital Signs",
		}}}},
		"code": map[string]any{"coding": []any{map[string]any{
			"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate",
		}}},
		"subject":           ref("Patient", patientID),
		"effectiveDateTime": effective,
		"valueQuantity":     map[string]any{"value": bpm, "unit": "beats/minute", "system": "http://unitsofmeasure.org", "code": "/min"},
	})
}

func (b *fixtureBuilder) adverseEvent(patientID, administrationID string) []byte {
	_, ident := b.identifier()
	return mustJSON(map[string]any{
		"resourceType": "AdverseEvent",
		"identifier":   ident,
		"actuality":    "actual",
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/adverse-event-category", "code": "medication-mishap", "display": "Medication Mishap",
		}}}},
		"event": map[string]any{"coding": []any{map[string]any{
			"system": "http://snomed.info/sct", "code": "271807003", "display": "Eruption of skin",
		}}},
		"subject":       ref("Patient", patientID),
		"date":          "2024-03-15T11:00:00Z",
		"suspectEntity": []any{map[string]any{"instance": ref("MedicationAdministration", administrationID)}},
		"seriousness":   map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness", "code": "non-serious", "display": "Non-serious"}}},
		"recordedDate":  "2024-03-15T11:05:00Z",
	})
}
