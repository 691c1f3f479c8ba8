package translate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// addFHIRSeeds adds the golden Bundles, the official MedicationRequest
// examples and a few hand-written edge cases.
func addFHIRSeeds(f *testing.F) {
	f.Helper()
	golden, _ := filepath.Glob(filepath.Join(repoRoot(f), "testdata", "golden", "*.json"))
	var seeds []string
	if shared := sharedDir(f); shared != "" {
		mr, _ := filepath.Glob(filepath.Join(shared, "fhir-r4-examples", "MedicationRequest", "*.json"))
		seeds = append(seeds, mr...)
	}
	for _, p := range append(golden, seeds...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Condition","identifier":[{"system":"urn:ivbridge:clinic/patient/condition-x","value":"p"}]}}]}`,
		`{"resourceType":"MedicationRequest","id":"a","identifier":[{"system":"urn:ivbridge:clinic/plan","value":"a"}],"contained":[{"resourceType":"Medication","id":"med","ingredient":[{"isActive":false}]}],"medicationReference":{"reference":"#med"}}`,
		`{"resourceType":"MedicationRequest","id":"b","medicationReference":{"reference":"#"},"dosageInstruction":[{"timing":{"repeat":{"period":1e400,"duration":-0}}}]}`,
		`{"resourceType":"AdverseEvent","identifier":{"system":"urn:ivbridge:clinic/reaction","value":"r"},"suspectEntity":[{"instance":{}}]}`,
		`{"resourceType":"MedicationAdministration","identifier":[{"system":"urn:ivbridge:clinic/administration/dose-x","value":"a"}]}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzToClinic feeds arbitrary JSON through the codec and ToClinic: it must
// never panic, and whatever it returns must be valid clinic records.
func FuzzToClinic(f *testing.F) {
	addFHIRSeeds(f)
	tr, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := r4.Unmarshal(data)
		if err != nil {
			return
		}
		recs, _ := tr.ToClinic(res)
		for _, rec := range recs {
			if rec == nil {
				t.Fatal("nil record")
			}
			if err := clinic.Validate(rec); err != nil {
				t.Fatalf("ToClinic returned an invalid record: %v", err)
			}
		}
	})
}

// FuzzRecordRoundTrip decodes arbitrary clinic JSON; every record the model
// accepts must map to FHIR and back unchanged.
func FuzzRecordRoundTrip(f *testing.F) {
	if shared := sharedDir(f); shared != "" {
		files, _ := filepath.Glob(filepath.Join(shared, "clinic-model", "examples", "*.json"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`{"kind":"practitioner","id":"p","version":1,"given_names":["<&>"],"family_name":"\u0000","role":"pharmacist"}`))
	tr, err := New(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := clinic.Decode(data)
		if err != nil {
			return
		}
		b, err := tr.Collection(rec)
		if err != nil {
			return // e.g. a literal FHIR cannot carry; the error is the answer
		}
		out, err := r4.Marshal(b)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		res, err := r4.Unmarshal(out)
		if err != nil {
			t.Fatalf("Unmarshal of our own output: %v", err)
		}
		back, err := tr.ToClinic(res)
		if err != nil {
			t.Fatalf("ToClinic of our own output: %v", err)
		}
		want, _ := clinic.Encode(rec)
		if len(back) != 1 {
			t.Fatalf("%d records back", len(back))
		}
		got, _ := clinic.Encode(back[0])
		if !bytes.Equal(want, got) {
			t.Fatalf("round trip changed the record\nwant %s\n got %s", want, got)
		}
	})
}
