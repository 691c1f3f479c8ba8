package translate

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// TestForeignOfficialExamples reads every official R4 MedicationRequest
// example as an order from an EHR. None of them is an IV infusion of the
// clinic's substances in a carrier bag, so none maps; each must fail with an
// *UnmappableError that lists its problems (never a panic, never a silent
// partial plan). The table in the test log says why each one does not map.
func TestForeignOfficialExamples(t *testing.T) {
	shared := sharedDir(t)
	if shared == "" {
		t.Skip("../shared/fhir-r4-examples not found beside the repository; skipping")
	}
	files, err := filepath.Glob(filepath.Join(shared, "fhir-r4-examples", "MedicationRequest", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no MedicationRequest examples")
	}
	// expectMapped lists the examples that should map; the official set has
	// no clinic infusion order, so it is empty.
	expectMapped := map[string]bool{}
	// expectProblems pins, for a few examples, problems that must be among
	// those reported (path and a piece of the message).
	expectProblems := map[string][][2]string{
		"medicationrequest0301.json": {{"MedicationRequest.authoredOn", "offset"}, {"MedicationRequest.subject", "Patient/pat1"}},
		"medicationrequest0308.json": {{"MedicationRequest.medicationCodeableConcept", "rxnorm|856907"}},
		"medicationrequest0316.json": {
			{"MedicationRequest.medicationReference→Medication.code", "ndc|51144-050-01"},
			{"MedicationRequest.dosageInstruction[0].doseAndRate[0].rateRatio", "volume (mL) per time"},
		},
		"medicationrequest0304.json":     {{"MedicationRequest.dosageInstruction[0].timing.repeat.frequency", "4 per period"}},
		"medicationrequestexample2.json": {{"MedicationRequest.medicationReference", "neither contained nor in the bundle"}},
	}
	tr := newTestTranslator(t)
	var table strings.Builder
	table.WriteString("\n| example | maps | problems |\n|---|---|---|\n")
	mapped := 0
	for _, f := range files {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r4.Unmarshal(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs, err := tr.ToClinic(res)
		var ue *UnmappableError
		switch {
		case err == nil:
			mapped++
			table.WriteString("| " + name + " | yes | |\n")
			if !expectMapped[name] {
				t.Errorf("%s mapped to %d record(s), expected an UnmappableError", name, len(recs))
			}
		case errors.As(err, &ue):
			if len(ue.Problems) == 0 {
				t.Errorf("%s: UnmappableError without problems", name)
			}
			msgs := make([]string, len(ue.Problems))
			for i, p := range ue.Problems {
				msgs[i] = p.String()
			}
			table.WriteString("| " + name + " | no | " + strings.ReplaceAll(strings.Join(msgs, "; "), "|", "¦") + " |\n")
			if expectMapped[name] {
				t.Errorf("%s: expected to map: %v", name, err)
			}
			for _, want := range expectProblems[name] {
				found := false
				for _, p := range ue.Problems {
					found = found || (p.Path == want[0] && strings.Contains(p.Message, want[1]))
				}
				if !found {
					t.Errorf("%s: no problem %q containing %q among %v", name, want[0], want[1], ue.Problems)
				}
			}
		default:
			t.Errorf("%s: want *UnmappableError, got %T: %v", name, err, err)
		}
	}
	t.Logf("official MedicationRequest examples: %d of %d map%s", mapped, len(files), table.String())
}

// ehrOrder is an order as an EHR would send it: its own ids, RxNorm and
// SNOMED codes only, references to a Patient and Practitioner that carry
// the clinic identifier, in a Bundle.
func ehrOrder(t *testing.T, tr *Translator, medication string, extra ...string) r4.Resource {
	t.Helper()
	// The patient and prescriber as the upstream holds them: what the
	// clinic pushed, under the deterministic ids.
	pat := &clinic.Patient{Header: clinic.Header{Kind: clinic.KindPatient, ID: "pat-1001", Version: 1}, MRN: "MRN-1",
		GivenNames: []string{"Maria"}, FamilyName: "Lopez", BirthDate: "1979-04-12", Sex: "female"}
	prac := &clinic.Practitioner{Header: clinic.Header{Kind: clinic.KindPractitioner, ID: "prac-01", Version: 1},
		GivenNames: []string{"Anita"}, FamilyName: "Chen", Role: "physician"}
	var entries []string
	for _, rec := range []clinic.Record{pat, prac} {
		res, err := tr.ToFHIR(rec)
		if err != nil {
			t.Fatal(err)
		}
		data, err := r4.Marshal(res[0])
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, `{"fullUrl":"https://ehr.example/fhir/`+res[0].ResourceType()+"/"+res[0].ResourceID()+`","resource":`+string(data)+`}`)
	}
	patID := tr.ID("Patient", clinic.KindPatient, "pat-1001")
	pracID := tr.ID("Practitioner", clinic.KindPractitioner, "prac-01")
	entries = append(entries,
		`{"fullUrl":"https://ehr.example/fhir/MedicationRequest/ord-77","resource":{"resourceType":"MedicationRequest","id":"ord-77",
		  "meta":{"versionId":"3"},
		  "status":"active","intent":"order",`+medication+`,
		  "subject":{"reference":"Patient/`+patID+`"},
		  "authoredOn":"2026-02-23T16:40:00-05:00",
		  "requester":{"reference":"https://ehr.example/fhir/Practitioner/`+pracID+`"},
		  "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"203082005"}]}],
		  "note":[{"text":"Watch for tinnitus."}],
		  "supportingInformation":[{"reference":"#w"}],
		  "dosageInstruction":[{"timing":{"repeat":{"boundsPeriod":{"start":"2026-03-02"},"count":6,"frequency":1,"period":1,"periodUnit":"wk"}},
		     "doseAndRate":[{"doseQuantity":{"value":1.50,"unit":"mg/kg","system":"http://unitsofmeasure.org","code":"mg/kg"},
		        "rateRatio":{"numerator":{"value":250,"system":"http://unitsofmeasure.org","code":"mL"},"denominator":{"value":1,"system":"http://unitsofmeasure.org","code":"h"}}}],
		     "maxDosePerAdministration":{"value":200,"system":"http://unitsofmeasure.org","code":"mg"}}]}}`)
	entries = append(entries, extra...)
	data := `{"resourceType":"Bundle","type":"searchset","entry":[` + strings.Join(entries, ",") + `]}`
	res, err := r4.Unmarshal([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// planOf picks the one plan out of ToClinic's records.
func planOf(t *testing.T, recs []clinic.Record) *clinic.Plan {
	t.Helper()
	var plans []*clinic.Plan
	for _, r := range recs {
		if p, ok := r.(*clinic.Plan); ok {
			plans = append(plans, p)
		}
	}
	if len(plans) != 1 {
		t.Fatalf("got %d plans in %d records", len(plans), len(recs))
	}
	return plans[0]
}

const weightContained = `{"resourceType":"Observation","id":"w","status":"final",
  "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
  "valueQuantity":{"value":68.40,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"}}`

func TestForeignOrderMaps(t *testing.T) {
	tr := newTestTranslator(t)
	want := `{"kind":"plan","id":"ord-77","version":3,"patient_id":"pat-1001","prescriber_id":"prac-01","status":"active",` +
		`"authored_at":"2026-02-23T16:40:00-05:00","indications":["fibromyalgia"],` +
		`"formulation":{"name":"Lidocaine in NS","ingredients":[{"substance":"lidocaine","amount":1.50,"unit":"mg","per_kg":true,"max_amount":200}],` +
		`"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":250}},"dosing_weight_kg":68.40,"rate":{"ml_per_hour":250},` +
		`"schedule":{"sessions":6,"every":1,"period":"week","start_date":"2026-03-02"},"notes":"Watch for tinnitus."}`
	cases := []struct {
		name       string
		medication string
		extra      []string
	}{
		{
			name: "contained",
			medication: `"contained":[{"resourceType":"Medication","id":"m","code":{"text":"Lidocaine in NS"},
			  "ingredient":[{"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6387"}]},
			     "strength":{"numerator":{"value":0.4104,"system":"http://unitsofmeasure.org","code":"mg"},"denominator":{"value":1,"system":"http://unitsofmeasure.org","code":"mL"}}},
			   {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"9863"}]},"isActive":false,
			     "strength":{"numerator":{"value":250,"system":"http://unitsofmeasure.org","code":"mL"},"denominator":{"value":1,"system":"http://unitsofmeasure.org","code":"mL"}}}]},
			  ` + weightContained + `],"medicationReference":{"reference":"#m"}`,
		},
		{
			name:       "referenced from the bundle",
			medication: `"contained":[` + weightContained + `],"medicationReference":{"reference":"Medication/m2"}`,
			extra: []string{`{"fullUrl":"https://ehr.example/fhir/Medication/m2","resource":{"resourceType":"Medication","id":"m2","code":{"text":"Lidocaine in NS"},
			  "amount":{"numerator":{"value":250,"system":"http://unitsofmeasure.org","code":"mL"},"denominator":{"value":1,"unit":"bag"}},
			  "ingredient":[{"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6387"}]}},
			   {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"9863"}]}}]}}`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, err := tr.ToClinic(ehrOrder(t, tr, c.medication, c.extra...))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 3 {
				t.Errorf("got %d records, want patient, practitioner and plan", len(recs))
			}
			got, err := clinic.Encode(planOf(t, recs))
			if err != nil {
				t.Fatal(err)
			}
			wantRec, err := clinic.Decode([]byte(want))
			if err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := clinic.Encode(wantRec)
			if string(got) != string(wantJSON) {
				t.Errorf("got  %s\nwant %s", got, wantJSON)
			}
		})
	}
}

func TestForeignOrderUnmappable(t *testing.T) {
	tr := newTestTranslator(t)
	cases := []struct {
		name       string
		medication string
		wantPaths  []string
	}{
		{
			name:       "codeable concept without a carrier",
			medication: `"contained":[` + weightContained + `],"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6387"}]}`,
			wantPaths:  []string{"MedicationRequest.medication"},
		},
		{
			name:       "unknown RxNorm code",
			medication: `"contained":[` + weightContained + `],"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1049502"}]}`,
			wantPaths:  []string{"MedicationRequest.medicationCodeableConcept"},
		},
		{
			name:       "medication not found",
			medication: `"contained":[` + weightContained + `],"medicationReference":{"reference":"Medication/nowhere"}`,
			wantPaths:  []string{"MedicationRequest.medicationReference"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := tr.ToClinic(ehrOrder(t, tr, c.medication))
			var ue *UnmappableError
			if !errors.As(err, &ue) {
				t.Fatalf("want *UnmappableError, got %v", err)
			}
			for _, p := range c.wantPaths {
				found := false
				for _, got := range ue.Problems {
					found = found || got.Path == p
				}
				if !found {
					t.Errorf("no problem at %s in %v", p, ue.Problems)
				}
			}
		})
	}
}

// TestForeignOrderResolver: references that carry no clinic identifier and
// are not in the input are resolved through Config.ResolveReference.
func TestForeignOrderResolver(t *testing.T) {
	base := newTestTranslator(t)
	patRef := "Patient/" + base.ID("Patient", clinic.KindPatient, "pat-1001")
	pracRef := "Practitioner/" + base.ID("Practitioner", clinic.KindPractitioner, "prac-01")
	order := `{"resourceType":"MedicationRequest","id":"ord-9","status":"draft","intent":"order",
	  "contained":[{"resourceType":"Medication","id":"m","ingredient":[
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"11248"}]},
	      "strength":{"numerator":{"value":1000,"system":"http://unitsofmeasure.org","code":"ug"},"denominator":{"value":500,"system":"http://unitsofmeasure.org","code":"mL"}}},
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"9863"}]},"isActive":false}]}],
	  "medicationReference":{"reference":"#m"},
	  "subject":{"reference":"` + patRef + `"},"requester":{"reference":"` + pracRef + `"},
	  "authoredOn":"2026-03-10T08:00:00-08:00",
	  "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"82423001"}]}],
	  "dosageInstruction":[{"timing":{"repeat":{"boundsPeriod":{"start":"2026-03-16T09:00:00-08:00"},"count":6,"period":2.0,"periodUnit":"wk","duration":1.5,"durationUnit":"h"}}}]}`
	res, err := r4.Unmarshal([]byte(order))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base.ToClinic(res); err == nil || !strings.Contains(err.Error(), "MedicationRequest.subject") {
		t.Fatalf("without a resolver: %v", err)
	}
	tr, err := New(Config{ResolveReference: func(ref fhir.Reference) (clinic.Kind, string, bool) {
		if ref.Reference == nil {
			return "", "", false
		}
		switch *ref.Reference {
		case patRef:
			return clinic.KindPatient, "pat-1001", true
		case pracRef:
			return clinic.KindPractitioner, "prac-01", true
		}
		return "", "", false
	}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := tr.ToClinic(res)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := clinic.Encode(recs[0])
	want := `{"kind":"plan","id":"ord-9","version":1,"patient_id":"pat-1001","prescriber_id":"prac-01","status":"draft",` +
		`"authored_at":"2026-03-10T08:00:00-08:00","indications":["chronic_pain"],` +
		`"formulation":{"name":"cyanocobalamin in sodium chloride 0.9%","ingredients":[{"substance":"cyanocobalamin","amount":1000,"unit":"mcg"}],` +
		`"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":500}},"rate":{"duration_minutes":90},` +
		`"schedule":{"sessions":6,"every":2,"period":"week","start_date":"2026-03-16"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestForeignOrderReasonReference: an order citing the patient's Condition
// (one the clinic pushed) gets the indication from it; the Condition is
// context, not an error.
func TestForeignOrderReasonReference(t *testing.T) {
	tr := newTestTranslator(t)
	pat := &clinic.Patient{Header: clinic.Header{Kind: clinic.KindPatient, ID: "pat-9", Version: 2}, MRN: "M9",
		GivenNames: []string{"A"}, FamilyName: "B", BirthDate: "1970-01-01", Sex: "unknown", Conditions: []string{"migraine"}}
	res, err := tr.ToFHIR(pat)
	if err != nil {
		t.Fatal(err)
	}
	cond, err := r4.Marshal(res[1])
	if err != nil {
		t.Fatal(err)
	}
	order := `{"resourceType":"MedicationRequest","id":"o1","status":"active","intent":"original-order",
	  "contained":[{"resourceType":"Medication","id":"m","ingredient":[
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6585"}]},
	      "strength":{"numerator":{"value":2,"system":"http://unitsofmeasure.org","code":"g"},"denominator":{"value":100,"system":"http://unitsofmeasure.org","code":"mL"}}},
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"4850"}]},"isActive":false}]}],
	  "medicationReference":{"reference":"#m"},
	  "subject":{"identifier":{"system":"urn:ivbridge:clinic/patient","value":"pat-9"}},
	  "requester":{"identifier":{"system":"urn:ivbridge:clinic/practitioner","value":"prac-01"}},
	  "authoredOn":"2026-03-10T08:00:00Z",
	  "reasonReference":[{"reference":"Condition/` + res[1].ResourceID() + `"}],
	  "dosageInstruction":[{"timing":{"repeat":{"boundsPeriod":{"start":"2026-03-16"},"count":3,"period":1,"periodUnit":"mo"}},
	     "doseAndRate":[{"rateQuantity":{"value":100.0,"unit":"mL/h","system":"http://unitsofmeasure.org","code":"mL/h"}}]}]}`
	bundle := `{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"urn:uuid:` + res[1].ResourceID() + `","resource":` + string(cond) + `},
	  {"fullUrl":"https://ehr.example/fhir/MedicationRequest/o1","resource":` + order + `}]}`
	in, err := r4.Unmarshal([]byte(bundle))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := tr.ToClinic(in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := clinic.Encode(planOf(t, recs))
	want := `{"kind":"plan","id":"o1","version":1,"patient_id":"pat-9","prescriber_id":"prac-01","status":"active",` +
		`"authored_at":"2026-03-10T08:00:00Z","indications":["migraine"],` +
		`"formulation":{"name":"magnesium sulfate in dextrose 5%","ingredients":[{"substance":"magnesium_sulfate","amount":2,"unit":"g"}],` +
		`"carrier":{"fluid":"dextrose_5","volume_ml":100}},"rate":{"ml_per_hour":100.0},` +
		`"schedule":{"sessions":3,"every":1,"period":"month","start_date":"2026-03-16"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestForeignDoseAsBagVolume: an ordered dose in mL of a bag with
// strengths per mL is the bag volume; the ingredient amount is computed
// exactly from the strength.
func TestForeignDoseAsBagVolume(t *testing.T) {
	tr := newTestTranslator(t)
	order := `{"resourceType":"MedicationRequest","id":"o2","status":"completed","intent":"order",
	  "contained":[{"resourceType":"Medication","id":"m","ingredient":[
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6130"}]},
	      "strength":{"numerator":{"value":0.35,"system":"http://unitsofmeasure.org","code":"mg"},"denominator":{"value":1,"system":"http://unitsofmeasure.org","code":"mL"}}},
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"9863"}]}}]}],
	  "medicationReference":{"reference":"#m"},
	  "subject":{"identifier":{"system":"urn:ivbridge:clinic/patient","value":"pat-1002"}},
	  "requester":{"identifier":{"system":"urn:ivbridge:clinic/practitioner","value":"prac-01"}},
	  "authoredOn":"2026-01-08T11:05:30+00:00",
	  "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"128200000"}]}],
	  "dosageInstruction":[{"timing":{"repeat":{"boundsPeriod":{"start":"2026-01-12","end":"2026-02-06"},"count":4,"frequency":1,"period":1,"periodUnit":"wk"}},
	     "doseAndRate":[{"doseQuantity":{"value":100,"unit":"mL","system":"http://unitsofmeasure.org","code":"mL"},
	       "rateRatio":{"numerator":{"value":40,"system":"http://unitsofmeasure.org","code":"mL"},"denominator":{"value":15,"system":"http://unitsofmeasure.org","code":"min"}}}]}]}`
	res, err := r4.Unmarshal([]byte(order))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := tr.ToClinic(res)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := clinic.Encode(recs[0])
	want := `{"kind":"plan","id":"o2","version":1,"patient_id":"pat-1002","prescriber_id":"prac-01","status":"completed",` +
		`"authored_at":"2026-01-08T11:05:30+00:00","indications":["complex_regional_pain_syndrome"],` +
		`"formulation":{"name":"ketamine in sodium chloride 0.9%","ingredients":[{"substance":"ketamine","amount":35,"unit":"mg"}],` +
		`"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":100}},"rate":{"ml_per_hour":160},` +
		`"schedule":{"sessions":4,"every":1,"period":"week","start_date":"2026-01-12","end_date":"2026-02-06"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
