package conformance

import (
	"encoding/json"
	"testing"
)

// FuzzValidate feeds arbitrary bytes to the validator: it must never panic,
// always return a renderable OperationOutcome, and flag every non-JSON input.
func FuzzValidate(f *testing.F) {
	seeds := []string{
		baseAdministration,
		`{"resourceType":"Patient","name":[{"given":["A",null],"_given":[null,{"id":"x"}]}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","contained":[{"resourceType":"Patient","id":"a"}]},"request":{"method":"POST","url":"Patient"}}]}`,
		`{"resourceType":"Observation","valueQuantity":{"value":1e400},"effectivePeriod":{"start":"2020-02-29T24:00:00Z"}}`,
		`{"resourceType":"Parameters","parameter":[{"name":"a","part":[{"name":"b","part":[{"name":"c","valueInteger":99999999999}]}]}]}`,
		`{"resourceType":"MedicationRequest","contained":[{"resourceType":"Medication","id":"m"}],"medicationReference":{"reference":"#m"},"_status":[null]}`,
		`[]`, `null`, `"x"`, `{`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	v := NewValidator()
	f.Fuzz(func(t *testing.T, data []byte) {
		issues := v.Validate(data)
		if !json.Valid(data) && !HasErrors(issues) {
			t.Fatalf("invalid JSON accepted: %q", data)
		}
		for _, is := range issues {
			if is.Severity == "" || is.Code == "" || is.Diagnostics == "" {
				t.Fatalf("incomplete issue %+v", is)
			}
		}
		if got := v.Validate(OperationOutcome(issues)); len(got) != 0 {
			t.Fatalf("OperationOutcome of %q is invalid: %+v", data, got)
		}
	})
}
