package r4_test

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

// FuzzUnmarshal checks that Unmarshal never panics and that whatever it
// accepts is read losslessly: Marshal succeeds, the output is semantically the
// input, and reading the output again reproduces it byte for byte.
func FuzzUnmarshal(f *testing.F) {
	seeds := []string{
		`{"resourceType":"Patient","id":"p1","name":[{"family":"Doe","given":["J"],"_given":[{"id":"g"}]}],"birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"http://x","valueDateTime":"1970-01-01T10:00:00Z"}]}}`,
		`{"resourceType":"MedicationAdministration","status":"completed","contained":[{"resourceType":"Medication","id":"m","ingredient":[{"itemCodeableConcept":{"text":"KCl"},"strength":{"numerator":{"value":2.0,"code":"meq"},"denominator":{"value":1,"code":"mL"}}}]}],"medicationReference":{"reference":"#m"},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-01T00:00:00Z","dosage":{"rateRatio":{"numerator":{"value":100.0}}}}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50}},"request":{"method":"POST","url":"Observation"}},{"resource":{"resourceType":"Organization","name":"o"}}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"r","resource":{"resourceType":"Patient","active":true}},{"name":"p","part":[{"name":"q","valueDecimal":1e3}]}]}`,
		`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","expression":["Patient.name"]}]}`,
		`{"resourceType":"Organization","id":"o","x":[{},[],"",null]}`,
		`{"resourceType":"Patient","text":{"status":"generated"},"name":[{},{"family":""}],"unknownR5":{"a":[1,-0,1E+2]}}`,
		`{"resourceType":"Observation","valueQuantity":{"value":"7.0"},"_status":null}`,
		` {"resourceType" : "Condition" , "subject" : {"reference":"Patient/x"}} `,
		`{"resourceType":"Patient","Active":true}`,
		// Found by fuzzing: an array member "_" beside a member "" is not a primitive extension pair.
		`{"resourceType":"Patient","name":[{"":"","given":["0"],"_":[]}]}`,
		`[]`, `{}`, `null`, `{"resourceType":"Patient"}x`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	if dir := examplesDirOrEmpty(); dir != "" {
		for _, path := range examplePaths(dir) {
			if data, err := os.ReadFile(path); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := r4.Unmarshal(data)
		if err != nil {
			return
		}
		out, err := r4.Marshal(res)
		if err != nil {
			t.Fatalf("accepted input does not marshal: %v\ninput: %s", err, data)
		}
		if got, want := semanticOK(out), semanticOK(data); got == nil || want == nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip is not lossless\ninput:  %s\noutput: %s", data, out)
		}
		res2, err := r4.Unmarshal(out)
		if err != nil {
			t.Fatalf("own output rejected: %v\noutput: %s", err, out)
		}
		if res2.ResourceType() != res.ResourceType() || res2.ResourceID() != res.ResourceID() {
			t.Fatalf("type/id changed: %s/%s -> %s/%s", res.ResourceType(), res.ResourceID(), res2.ResourceType(), res2.ResourceID())
		}
		out2, err := r4.Marshal(res2)
		if err != nil {
			t.Fatalf("second marshal: %v", err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("not a fixed point\nfirst:  %s\nsecond: %s", out, out2)
		}
	})
}
