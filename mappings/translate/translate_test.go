package translate

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/terminology"
)

func TestNewNamespace(t *testing.T) {
	for _, ns := range []string{"urn:ivbridge:clinic", "https://clinic.example.org/fhir", "urn:oid:1.2.3"} {
		if _, err := New(Config{Namespace: ns}); err != nil {
			t.Errorf("New(%q): %v", ns, err)
		}
	}
	for _, ns := range []string{"clinic", "https://x.example/", "https://x.example/?a=b", "urn:a|b", "https://x.example/#f"} {
		if _, err := New(Config{Namespace: ns}); !errors.Is(err, ErrNamespace) {
			t.Errorf("New(%q) = %v, want ErrNamespace", ns, err)
		}
	}
}

var fhirID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

func TestIDIsDeterministicAndNamespaced(t *testing.T) {
	a := newTestTranslator(t)
	b, err := New(Config{Namespace: "https://other.example/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	id := a.ID("Patient", clinic.KindPatient, "pat-1001")
	if !fhirID.MatchString(id) {
		t.Errorf("%q is not a FHIR id", id)
	}
	if again := newTestTranslator(t).ID("Patient", clinic.KindPatient, "pat-1001"); again != id {
		t.Errorf("ID not stable: %s vs %s", id, again)
	}
	distinct := map[string]bool{
		id: true,
		a.ID("Observation", clinic.KindPatient, "pat-1001"):    true,
		a.ID("Patient", clinic.KindPractitioner, "pat-1001"):   true,
		a.ID("Patient", clinic.KindPatient, "pat-1001#weight"): true,
		b.ID("Patient", clinic.KindPatient, "pat-1001"):        true,
		a.ID("Patient", clinic.KindPatient, "pat-1002"):        true,
	}
	if len(distinct) != 6 {
		t.Errorf("ids collide: %v", distinct)
	}
}

// resourceJSON maps an example and returns each resource as a generic JSON
// tree, keyed by resourceType and in order.
func resourceJSON(t *testing.T, tr *Translator, name string) []map[string]any {
	t.Helper()
	for _, ex := range clinicExamples(t) {
		if ex.name != name {
			continue
		}
		res, err := tr.ToFHIR(ex.rec)
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for _, r := range res {
			data, err := r4.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(strings.NewReader(string(data)))
			dec.UseNumber()
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
	t.Fatalf("no example %s", name)
	return nil
}

// at walks a JSON tree: keys and array indexes.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not an object", path)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: no index %d", path, k)
			}
			v = a[k]
		}
	}
	return v
}

// TestPlanDoseIsComputable checks what a reader of the FHIR alone needs to
// compute the dose of plan-2001, and that every literal is kept.
func TestPlanDoseIsComputable(t *testing.T) {
	tr := newTestTranslator(t)
	res := resourceJSON(t, tr, "plan-plan-2001.json")
	mr := res[0]
	if mr["resourceType"] != "MedicationRequest" || mr["status"] != "active" || mr["intent"] != "order" {
		t.Fatalf("unexpected primary resource %v %v %v", mr["resourceType"], mr["status"], mr["intent"])
	}
	lido := at(t, mr, "dosageInstruction", 0)
	checks := []struct {
		path []any
		want string
	}{
		{[]any{"doseAndRate", 0, "type", "coding", 0, "code"}, "ordered"},
		{[]any{"doseAndRate", 0, "doseQuantity", "value"}, "1.50"},
		{[]any{"doseAndRate", 0, "doseQuantity", "code"}, "mg/kg"},
		{[]any{"doseAndRate", 1, "type", "coding", 0, "code"}, "calculated"},
		{[]any{"doseAndRate", 1, "doseQuantity", "value"}, "102.6"},
		{[]any{"maxDosePerAdministration", "value"}, "200"},
		{[]any{"route", "coding", 0, "code"}, "47625008"},
		{[]any{"timing", "repeat", "count"}, "6"},
		{[]any{"timing", "repeat", "period"}, "1"},
		{[]any{"timing", "repeat", "periodUnit"}, "wk"},
		{[]any{"timing", "repeat", "duration"}, "60"},
		{[]any{"timing", "repeat", "durationUnit"}, "min"},
		{[]any{"timing", "repeat", "boundsPeriod", "start"}, "2026-03-02"},
	}
	for _, c := range checks {
		if got := toString(at(t, lido, c.path...)); got != c.want {
			t.Errorf("dosageInstruction[0].%v = %q, want %q", c.path, got, c.want)
		}
	}
	if got := toString(at(t, mr, "supportingInformation", 0, "reference")); got != "#dosing-weight" {
		t.Errorf("supportingInformation = %q", got)
	}
	weight := at(t, mr, "contained", 1)
	if toString(at(t, weight, "code", "coding", 0, "code")) != "29463-7" || toString(at(t, weight, "valueQuantity", "value")) != "68.40" {
		t.Errorf("dosing weight Observation = %v", weight)
	}
	med := at(t, mr, "contained", 0)
	if toString(at(t, med, "form", "coding", 0, "code")) != "385219001" {
		t.Error("Medication.form is not 385219001")
	}
	if toString(at(t, med, "ingredient", 2, "isActive")) != "false" {
		t.Error("the carrier is not an inactive ingredient")
	}
	if toString(at(t, med, "ingredient", 0, "strength", "numerator", "value")) != "102.6" ||
		toString(at(t, med, "ingredient", 0, "strength", "denominator", "value")) != "250" {
		t.Error("lidocaine strength is not 102.6 mg / 250 mL")
	}

	// plan-2003 keeps 0.930 mEq (UCUM meq) and 1.0 g as written
	mr3 := resourceJSON(t, tr, "plan-plan-2003.json")[0]
	calcium := at(t, mr3, "dosageInstruction", 5, "doseAndRate", 0, "doseQuantity")
	if toString(at(t, calcium, "value")) != "0.930" || toString(at(t, calcium, "code")) != "meq" || toString(at(t, calcium, "unit")) != "mEq" {
		t.Errorf("calcium gluconate dose = %v", calcium)
	}
	if got := toString(at(t, mr3, "dosageInstruction", 2, "doseAndRate", 0, "doseQuantity", "value")); got != "1.0" {
		t.Errorf("magnesium 1.0 g became %s", got)
	}
	if got := toString(at(t, mr3, "status")); got != "on-hold" {
		t.Errorf("on_hold became %s", got)
	}
}

func TestAdministrationShape(t *testing.T) {
	tr := newTestTranslator(t)
	res := resourceJSON(t, tr, "administration-adm-3001.json")
	ma := res[0]
	if got := toString(at(t, ma, "effectivePeriod", "start")); got != "2026-03-02T09:02:00-05:00" {
		t.Errorf("start = %s (offset must stay)", got)
	}
	if toString(at(t, ma, "dosage", "dose", "value")) != "250" || toString(at(t, ma, "dosage", "rateQuantity", "code")) != "mL/h" {
		t.Errorf("dosage = %v", ma["dosage"])
	}
	var kinds []string
	for _, r := range res[1:] {
		kinds = append(kinds, toString(r["resourceType"]))
	}
	want := "MedicationAdministration,MedicationAdministration,Observation,Observation,Observation"
	if strings.Join(kinds, ",") != want {
		t.Fatalf("secondary resources %v, want %s", kinds, want)
	}
	lido := res[1]
	if toString(at(t, lido, "dosage", "dose", "value")) != "102.60" || toString(at(t, lido, "partOf", 0, "reference")) != "MedicationAdministration/"+toString(ma["id"]) {
		t.Errorf("per-dose child = %v", lido)
	}
	painAfter := res[5]
	if toString(at(t, painAfter, "code", "coding", 0, "code")) != "72514-3" || toString(at(t, painAfter, "valueInteger")) != "4" ||
		toString(at(t, painAfter, "effectiveDateTime")) != "2026-03-02T10:04:30-05:00" {
		t.Errorf("pain after = %v", painAfter)
	}

	// not done: no dosage (mad-1), effective says why it is absent
	nd := resourceJSON(t, tr, "administration-adm-3003.json")[0]
	if _, ok := nd["dosage"]; ok || toString(nd["status"]) != "not-done" {
		t.Errorf("not-done administration has dosage or wrong status: %v", nd)
	}
	if toString(at(t, nd, "effectivePeriod", "extension", 0, "valueCode")) != "not-applicable" {
		t.Errorf("effectivePeriod = %v", nd["effectivePeriod"])
	}
}

func TestReactionShape(t *testing.T) {
	tr := newTestTranslator(t)
	res := resourceJSON(t, tr, "reaction-rx-4004.json")
	if len(res) != 2 || res[1]["resourceType"] != "AllergyIntolerance" {
		t.Fatalf("is_allergy reaction gave %d resources", len(res))
	}
	ae, ai := res[0], res[1]
	if toString(at(t, ae, "seriousness", "coding", 0, "code")) != "Non-serious" ||
		toString(at(t, ae, "severity", "coding", 0, "code")) != "moderate" ||
		toString(at(t, ae, "outcome", "coding", 0, "code")) != "resolved" ||
		toString(ae["actuality"]) != "actual" {
		t.Errorf("AdverseEvent codes wrong: %v", ae)
	}
	if toString(at(t, ai, "verificationStatus", "coding", 0, "code")) != "confirmed" ||
		toString(at(t, ai, "clinicalStatus", "coding", 0, "code")) != "active" ||
		toString(at(t, ai, "code", "coding", 0, "code")) != "11248" ||
		len(at(t, ai, "reaction", 0, "manifestation").([]any)) != 2 {
		t.Errorf("AllergyIntolerance wrong: %v", ai)
	}
	r3 := resourceJSON(t, tr, "reaction-rx-4003.json")[0]
	if toString(at(t, r3, "outcome", "coding", 0, "code")) != "recovering" || toString(at(t, r3, "seriousness", "coding", 0, "code")) != "Serious" {
		t.Errorf("rx-4003 outcome/seriousness wrong")
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// TestUnmappedCodeIsAnError: a local code the terminology table does not
// know is reported with its field, never dropped.
func TestUnmappedCodeIsAnError(t *testing.T) {
	var rows []terminology.Row
	for _, r := range terminology.Default().Rows() {
		if r.Axis == terminology.Substance && r.Local == "midazolam" {
			continue
		}
		rows = append(rows, r)
	}
	data, err := json.Marshal(map[string]any{"format": terminology.Format, "rows": rows})
	if err != nil {
		t.Fatal(err)
	}
	table, err := terminology.Load(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{Terminology: table})
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range clinicExamples(t) {
		if ex.name != "plan-plan-2002.json" {
			continue
		}
		_, err := tr.ToFHIR(ex.rec)
		var ue *UnmappableError
		if !errors.As(err, &ue) || len(ue.Problems) != 1 || ue.Problems[0].Path != "formulation.ingredients[1].substance" {
			t.Fatalf("got %v", err)
		}
		if !strings.Contains(err.Error(), `"midazolam"`) {
			t.Errorf("error does not name the code: %v", err)
		}
	}
}

func TestToClinicPartsNeedTheirRecord(t *testing.T) {
	tr := newTestTranslator(t)
	for _, ex := range clinicExamples(t) {
		if ex.name != "patient-pat-1001.json" {
			continue
		}
		res, err := tr.ToFHIR(ex.rec)
		if err != nil {
			t.Fatal(err)
		}
		// a Condition alone is part of the patient, not a record
		_, err = tr.ToClinic(res[1])
		if !errors.Is(err, ErrNotARecord) {
			t.Errorf("lone Condition: got %v, want ErrNotARecord", err)
		}
		// the Patient alone gives the patient without the parts
		recs, err := tr.ToClinic(res[0])
		if err != nil || len(recs) != 1 {
			t.Fatalf("lone Patient: %v", err)
		}
		if p := recs[0].(*clinic.Patient); p.MRN != "MRN-0048213" || len(p.Conditions) != 0 {
			t.Errorf("lone Patient gave %+v", p)
		}
	}
	if _, err := tr.ToClinic(&r4.Bundle{Type: "collection"}); err == nil {
		t.Error("empty Bundle accepted")
	}
	if _, err := tr.ToClinic(&r4.Condition{Id: "x"}); !errors.Is(err, ErrNoRecord) {
		t.Errorf("foreign Condition: got %v, want ErrNoRecord", err)
	}
}

func TestLiteralsFHIRCannotCarry(t *testing.T) {
	tr := newTestTranslator(t)
	cases := []struct {
		rec  clinic.Record
		path string
	}{
		{&clinic.Reaction{Header: clinic.Header{Kind: clinic.KindReaction, ID: "r", Version: 1}, Patient: "p", Category: "infection",
			Manifestations: []string{"rash"}, Severity: "mild", OnsetAt: "2026-01-01T10:00:00+15:00", RecordedAt: "2026-01-01T10:00:00Z",
			ActionTaken: "none", Outcome: "resolved"}, "onset_at"},
		{&clinic.Practitioner{Header: clinic.Header{Kind: clinic.KindPractitioner, ID: "p", Version: 1}, GivenNames: []string{"A\x01"},
			FamilyName: "B", Role: "physician"}, "given_names"},
		{&clinic.Patient{Header: clinic.Header{Kind: clinic.KindPatient, ID: "p", Version: 1}, MRN: "m", GivenNames: []string{"A"},
			FamilyName: "B", BirthDate: "0000-01-01", Sex: "other"}, "birth_date"},
	}
	for _, c := range cases {
		_, err := tr.ToFHIR(c.rec)
		var ue *UnmappableError
		if !errors.As(err, &ue) || len(ue.Problems) != 1 || ue.Problems[0].Path != c.path {
			t.Errorf("%s: got %v, want a problem at %s", c.rec.RecordKind(), err, c.path)
		}
	}
}

func TestAdministrationNeedsItsDoses(t *testing.T) {
	tr := newTestTranslator(t)
	for _, ex := range clinicExamples(t) {
		if ex.name != "administration-adm-3001.json" {
			continue
		}
		res, err := tr.ToFHIR(ex.rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.ToClinic(res[0]); err == nil || !strings.Contains(err.Error(), "per-dose") {
			t.Errorf("MedicationAdministration without its dose children: %v", err)
		}
	}
}

// TestIDIsUUIDv5 pins ID to uuid.NewSHA1 over the namespace UUID (itself
// UUIDv5 of the namespace URI in the URL namespace).
func TestIDIsUUIDv5(t *testing.T) {
	tr := newTestTranslator(t)
	ns := uuid.NewSHA1(uuid.NameSpaceURL, []byte(DefaultNamespace))
	for _, c := range []struct {
		typ  string
		kind clinic.Kind
		id   string
	}{
		{"Patient", clinic.KindPatient, "pat-1001"},
		{"Observation", clinic.KindAdministration, "adm-3001#pain-before"},
		{"MedicationRequest", clinic.KindPlan, strings.Repeat("x", 64) + "#dosing-weight-with-a-long-role-name-that-does-not-fit-a-small-buffer"},
	} {
		want := uuid.NewSHA1(ns, []byte(c.typ+"/"+string(c.kind)+"/"+c.id)).String()
		if got := tr.ID(c.typ, c.kind, c.id); got != want {
			t.Errorf("ID(%s, %s, %s) = %s, want %s", c.typ, c.kind, c.id, got, want)
		}
	}
}

func TestIsIdentifierSystem(t *testing.T) {
	tr, err := New(Config{Namespace: "https://clinic.example/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []clinic.Kind{clinic.KindPatient, clinic.KindPlan} {
		for _, role := range []string{"", "mrn", "pain-before"} {
			sys := tr.IdentifierSystem(kind, role)
			if !tr.isIdentifierSystem(sys, kind, role) {
				t.Errorf("isIdentifierSystem(%q, %s, %q) = false", sys, kind, role)
			}
			for _, other := range []string{sys + "x", sys + "/", sys[:len(sys)-1], "x" + sys, "https://clinic.example/fhirx/" + string(kind)} {
				if tr.isIdentifierSystem(other, kind, role) {
					t.Errorf("isIdentifierSystem(%q, %s, %q) = true", other, kind, role)
				}
			}
		}
	}
	if tr.isIdentifierSystem(tr.IdentifierSystem(clinic.KindPatient, "mrn"), clinic.KindPatient, "") {
		t.Error("the MRN system counts as the patient's record system")
	}
}
