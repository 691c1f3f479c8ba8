package r4_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

// readExample reads one official example by folder and file name.
func readExample(t *testing.T, folder, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examplesDir(t), folder, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustUnmarshal(t *testing.T, data []byte) r4.Resource {
	t.Helper()
	r, err := r4.Unmarshal(data)
	if err != nil {
		t.Fatalf("Unmarshal: %v\n%s", err, data)
	}
	return r
}

func mustMarshal(t *testing.T, r r4.Resource) []byte {
	t.Helper()
	out, err := r4.Marshal(r)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return out
}

// assertSameJSON compares semantically (member order ignored, numbers as literals).
func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	if !reflect.DeepEqual(semantic(t, got), semantic(t, want)) {
		t.Fatalf("JSON differs\n got: %s\nwant: %s", got, want)
	}
}

// emptyPaths lists where v holds {}, [], "" or null.
func emptyPaths(v any, path string) []string {
	switch x := v.(type) {
	case nil:
		return []string{path + " (null)"}
	case string:
		if x == "" {
			return []string{path + ` ("")`}
		}
	case []any:
		if len(x) == 0 {
			return []string{path + " ([])"}
		}
		var out []string
		for i, e := range x {
			out = append(out, emptyPaths(e, path+"["+strconv.Itoa(i)+"]")...)
		}
		return out
	case map[string]any:
		if len(x) == 0 {
			return []string{path + " ({})"}
		}
		var out []string
		for k, e := range x {
			out = append(out, emptyPaths(e, path+"."+k)...)
		}
		return out
	}
	return nil
}

func TestTypedAccessMedadmin0301(t *testing.T) {
	res := mustUnmarshal(t, readExample(t, "MedicationAdministration", "medicationadministration0301.json"))
	ma, ok := res.(*r4.MedicationAdministration)
	if !ok {
		t.Fatalf("got %T, want *r4.MedicationAdministration", res)
	}
	if ma.ResourceType() != "MedicationAdministration" || ma.ResourceID() != "medadmin0301" {
		t.Errorf("type/id = %q/%q", ma.ResourceType(), ma.ResourceID())
	}
	if ma.MedicationReference == nil || ma.MedicationReference.Reference == nil || *ma.MedicationReference.Reference != "#med0301" {
		t.Errorf("medicationReference = %+v, want #med0301", ma.MedicationReference)
	}
	if ma.MedicationCodeableConcept != nil {
		t.Errorf("medicationCodeableConcept = %+v, want nil", ma.MedicationCodeableConcept)
	}
	if len(ma.Contained) != 2 {
		t.Fatalf("contained has %d resources, want 2", len(ma.Contained))
	}
	med, ok := ma.Contained[0].(*r4.Medication)
	if !ok {
		t.Fatalf("contained[0] is %T, want *r4.Medication", ma.Contained[0])
	}
	if med.Id != "med0301" || med.Code == nil || len(med.Code.Coding) != 1 || *med.Code.Coding[0].Code != "0069-2587-10" {
		t.Errorf("contained medication = %+v", med)
	}
	prov, ok := ma.Contained[1].(*r4.Provenance)
	if !ok {
		t.Fatalf("contained[1] is %T, want *r4.Provenance", ma.Contained[1])
	}
	if len(prov.Signature) != 1 || prov.Signature[0].Data == nil {
		t.Errorf("provenance signature lost: %+v", prov.Signature)
	}
	if ma.Status != "in-progress" || ma.Subject.Reference == nil || *ma.Subject.Reference != "Patient/pat1" {
		t.Errorf("status/subject = %q/%+v", ma.Status, ma.Subject)
	}
	if ma.EffectivePeriod == nil || ma.EffectivePeriod.Start == nil || ma.EffectiveDateTime != nil {
		t.Errorf("effective = %v / %+v", ma.EffectiveDateTime, ma.EffectivePeriod)
	}
	if ma.Dosage == nil || ma.Dosage.Dose == nil || ma.Dosage.Dose.Value == nil || *ma.Dosage.Dose.Value != "500" {
		t.Errorf("dosage = %+v", ma.Dosage)
	}
}

func TestTypedAccessBundle(t *testing.T) {
	dir := filepath.Join(examplesDir(t), "Bundle")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bundles in %s: %v", dir, err)
	}
	typed := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b, ok := mustUnmarshal(t, data).(*r4.Bundle)
		if !ok {
			t.Fatalf("%s: not a *r4.Bundle", f)
		}
		if b.Type == "" {
			t.Errorf("%s: bundle type lost", f)
		}
		var raw struct {
			Entry []struct {
				Resource *struct {
					ResourceType string `json:"resourceType"`
					ID           string `json:"id"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw.Entry) != len(b.Entry) {
			t.Fatalf("%s: %d entries, want %d", f, len(b.Entry), len(raw.Entry))
		}
		for i, e := range raw.Entry {
			if e.Resource == nil {
				if b.Entry[i].Resource != nil {
					t.Errorf("%s entry %d: unexpected resource", f, i)
				}
				continue
			}
			got := b.Entry[i].Resource
			if got == nil || got.ResourceType() != e.Resource.ResourceType || got.ResourceID() != e.Resource.ID {
				t.Errorf("%s entry %d: got %v, want %s/%s", f, i, got, e.Resource.ResourceType, e.Resource.ID)
				continue
			}
			if _, isGeneric := got.(*r4.Generic); !isGeneric {
				typed++
			}
		}
	}
	if typed == 0 {
		t.Error("no bundle entry decoded into a typed struct")
	}
}

func TestEmptyResourcesMarshalMinimal(t *testing.T) {
	for _, name := range r4.TypedResourceTypes() {
		res, err := r4.Unmarshal([]byte(`{"resourceType":"` + name + `"}`))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.ResourceType() != name {
			t.Errorf("%s decoded as %s", name, res.ResourceType())
		}
		if _, generic := res.(*r4.Generic); generic {
			t.Errorf("%s decoded as *Generic", name)
		}
		out := mustMarshal(t, res)
		if want := `{"resourceType":"` + name + `"}`; string(out) != want {
			t.Errorf("empty %s marshals as %s, want %s", name, out, want)
		}
	}
}

func TestEmptyMedicationAdministration(t *testing.T) {
	out := mustMarshal(t, &r4.MedicationAdministration{})
	if string(out) != `{"resourceType":"MedicationAdministration"}` {
		t.Fatalf("got %s", out)
	}
	// Zero values nested anywhere are dropped too (ele-1), never written as {}, [] or "".
	ma := &r4.MedicationAdministration{
		Id:                  "a1",
		Status:              "completed",
		Identifier:          []fhir.Identifier{{}},
		MedicationReference: &fhir.Reference{},
		EffectivePeriod:     &fhir.Period{Start: new("")},
		Performer:           []r4.MedicationAdministrationPerformer{{}},
		Dosage:              &r4.MedicationAdministrationDosage{Dose: &fhir.Quantity{}, Route: &fhir.CodeableConcept{Coding: []fhir.Coding{{}}}},
		Note:                []fhir.Annotation{{}},
		Extension:           []fhir.Extension{{Url: ""}},
		Contained:           []r4.Resource{&r4.Medication{}},
	}
	out = mustMarshal(t, ma)
	want := `{"resourceType":"MedicationAdministration","id":"a1","contained":[{"resourceType":"Medication"}],"status":"completed"}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	if p := emptyPaths(semantic(t, out), ""); len(p) != 0 {
		t.Fatalf("empty elements at %v", p)
	}
}

func TestBuiltResourceOutput(t *testing.T) {
	ma := &r4.MedicationAdministration{
		Id:                  "f3a2",
		Status:              "completed",
		MedicationReference: r4.RefPtr("Medication", "m1"),
		Subject:             r4.Ref("Patient", "p1"),
		EffectivePeriod:     &fhir.Period{Start: new("2024-05-01T10:00:00Z"), End: new("2024-05-01T10:30:00Z")},
		Dosage: &r4.MedicationAdministrationDosage{
			Route:     r4.CCPtr(r4.Code("http://snomed.info/sct", "47625008", "Intravenous route")),
			Dose:      &fhir.Quantity{Value: new(json.Number("1.50")), Unit: new("g"), System: new("http://unitsofmeasure.org"), Code: new("g")},
			RateRatio: &fhir.Ratio{Numerator: &fhir.Quantity{Value: new(json.Number("100.0")), Code: new("mL")}, Denominator: &fhir.Quantity{Value: new(json.Number("1")), Code: new("h")}},
		},
		Note: []fhir.Annotation{{Text: "<b>&</b>"}},
	}
	out := mustMarshal(t, ma)
	want := `{"resourceType":"MedicationAdministration","id":"f3a2","status":"completed",` +
		`"medicationReference":{"reference":"Medication/m1"},"subject":{"reference":"Patient/p1"},` +
		`"effectivePeriod":{"start":"2024-05-01T10:00:00Z","end":"2024-05-01T10:30:00Z"},"note":[{"text":"<b>&</b>"}],` +
		`"dosage":{"route":{"coding":[{"system":"http://snomed.info/sct","code":"47625008","display":"Intravenous route"}]},` +
		`"dose":{"value":1.50,"unit":"g","system":"http://unitsofmeasure.org","code":"g"},` +
		`"rateRatio":{"numerator":{"value":100.0,"code":"mL"},"denominator":{"value":1,"code":"h"}}}}`
	if string(out) != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	// Reading own output back gives an equal struct and the same bytes.
	back := mustUnmarshal(t, out)
	if r4.HasDelta(back) {
		t.Error("own output read back with a delta")
	}
	if got := mustMarshal(t, back); !bytes.Equal(got, out) {
		t.Errorf("second round differs:\n%s\n%s", got, out)
	}
	if !reflect.DeepEqual(back, ma) {
		t.Errorf("read back %+v, want %+v", back, ma)
	}
	// encoding/json uses the same methods (through pointers).
	viaStd, err := json.Marshal(ma)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, viaStd, out)
	var decoded r4.MedicationAdministration
	if err := json.Unmarshal(out, &decoded); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&decoded, ma) {
		t.Errorf("json.Unmarshal gave %+v", decoded)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "unexpected end"},
		{"not JSON", `hello`, "invalid JSON"},
		{"array", `[{"resourceType":"Patient"}]`, "JSON object"},
		{"string", `"Patient"`, "JSON object"},
		{"null", `null`, "JSON object"},
		{"trailing garbage", `{"resourceType":"Patient"} x`, "after the top-level value"},
		{"two objects", `{"resourceType":"Patient"}{"resourceType":"Patient"}`, "after the top-level value"},
		{"no resourceType", `{"id":"a"}`, "missing resourceType"},
		{"numeric resourceType", `{"resourceType":5}`, "not a string"},
		{"bad resourceType", `{"resourceType":"patient"}`, "not a FHIR type name"},
		{"empty resourceType", `{"resourceType":""}`, "not a FHIR type name"},
		{"duplicate member", `{"resourceType":"Patient","id":"a","id":"b"}`, "duplicate member"},
		{"duplicate own-style", `{"resourceType":"Patient","resourceType":"Observation"}`, "duplicate member"},
		{"wrong JSON type", `{"resourceType":"Patient","active":"yes"}`, "Patient"},
		{"wrong JSON type own-style", `{"resourceType":"Patient","birthDate":19700101}`, "Patient"},
		{"unknown samply enum code", `{"resourceType":"Patient","name":[{"use":"bogus"}]}`, "NameUse"},
		{"case clash", `{"resourceType":"Patient","Active":true}`, "letter case"},
		{"nested case clash", `{"resourceType":"Patient","name":[{"Family":"x"}]}`, "letter case"},
		{"contained not object", `{"resourceType":"Patient","contained":[1]}`, "contained[0]"},
		{"contained without type", `{"resourceType":"Patient","contained":[{"id":"x"}]}`, "missing resourceType"},
		{"bad entry resource", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","active":1}}]}`, "entry"},
		{"unterminated", `{"resourceType":"Patient"`, "unexpected end"},
		{"bad number", `{"resourceType":"Observation","valueQuantity":{"value":01}}`, "invalid JSON"},
		{"control char", "{\"resourceType\":\"Patient\",\"id\":\"a\x01\"}", "control character"},
		{"too deep", `{"resourceType":"Basic","x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`, "too deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := r4.Unmarshal([]byte(tt.in))
			if err == nil {
				t.Fatalf("accepted as %T", r)
			}
			if !strings.HasPrefix(err.Error(), "r4: unmarshal") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	t.Run("syntax error is typed", func(t *testing.T) {
		_, err := r4.Unmarshal([]byte(`{"resourceType":"Patient",}`))
		var se *r4.SyntaxError
		if !errors.As(err, &se) || se.Offset != 26 {
			t.Fatalf("got %v, want *SyntaxError at 26", err)
		}
	})
	t.Run("typed UnmarshalJSON checks the type", func(t *testing.T) {
		var p r4.Patient
		if err := json.Unmarshal([]byte(`{"resourceType":"Observation","status":"final"}`), &p); err == nil || !strings.Contains(err.Error(), `want "Patient"`) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestMarshalErrors(t *testing.T) {
	var nilPatient *r4.Patient
	for _, r := range []r4.Resource{nil, nilPatient, &r4.Generic{}, foreign{}} {
		if out, err := r4.Marshal(r); err == nil || !strings.HasPrefix(err.Error(), "r4: marshal") {
			t.Errorf("Marshal(%T) = %s, %v; want an r4 error", r, out, err)
		}
	}
}

// foreign is a Resource implementation the codec does not know.
type foreign struct{}

func (foreign) ResourceType() string { return "Patient" }
func (foreign) ResourceID() string   { return "" }

func TestLosslessUnmodelledContent(t *testing.T) {
	in := `{"resourceType":"Patient","id":"p","meta":{"versionId":"3","_versionId":{"extension":[{"url":"http://x/y","valueString":"v"}]}},` +
		`"active":true,"_active":{"id":"a1"},"name":[{"family":"Chalmers","_family":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/humanname-own-prefix","valueString":"VV"}]},` +
		`"given":["Peter","James"],"_given":[null,{"extension":[{"url":"http://x/z","valueBoolean":true}]}]}],` +
		`"gender":"male","birthDate":"1974-12-25","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1974-12-25T14:35:45-05:00"}]},` +
		`"r5Element":{"deep":[1.50,2.0e3,-0]},"multipleBirthInteger":2}`
	res := mustUnmarshal(t, []byte(in))
	p := res.(*r4.Patient)
	if p.BirthDate != "1974-12-25" || p.Name[0].Family == nil || *p.Name[0].Family != "Chalmers" || *p.MultipleBirthInteger != 2 {
		t.Fatalf("typed fields wrong: %+v", p)
	}
	out := mustMarshal(t, p)
	assertSameJSON(t, out, []byte(in))
	// Unmodelled members stay next to the element they belong to.
	if !bytes.Contains(out, []byte(`"birthDate":"1974-12-25","_birthDate":`)) || !bytes.Contains(out, []byte(`"family":"Chalmers","_family":`)) {
		t.Errorf("unmodelled members moved: %s", out)
	}
	if !bytes.Contains(out, []byte(`[1.50,2.0e3,-0]`)) {
		t.Errorf("number literals changed: %s", out)
	}
	// Deterministic and a fixed point.
	again := mustMarshal(t, mustUnmarshal(t, out))
	if !bytes.Equal(again, out) {
		t.Errorf("not a fixed point:\n%s\n%s", out, again)
	}
}

func TestEditsAfterReadWin(t *testing.T) {
	t.Run("changed primitive keeps its extension", func(t *testing.T) {
		p := mustUnmarshal(t, []byte(`{"resourceType":"Patient","birthDate":"1974-12-25","_birthDate":{"id":"x"}}`)).(*r4.Patient)
		p.BirthDate = "1975-01-01"
		assertSameJSON(t, mustMarshal(t, p), []byte(`{"resourceType":"Patient","birthDate":"1975-01-01","_birthDate":{"id":"x"}}`))
	})
	t.Run("removed primitive takes its extension along", func(t *testing.T) {
		p := mustUnmarshal(t, []byte(`{"resourceType":"Patient","gender":"male","birthDate":"1974-12-25","_birthDate":{"id":"x"},"_gender":{"id":"g"}}`)).(*r4.Patient)
		p.BirthDate = ""
		assertSameJSON(t, mustMarshal(t, p), []byte(`{"resourceType":"Patient","gender":"male","_gender":{"id":"g"}}`))
	})
	t.Run("extension of an absent primitive stays", func(t *testing.T) {
		p := mustUnmarshal(t, []byte(`{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}}`)).(*r4.Patient)
		p.Active = new(true)
		assertSameJSON(t, mustMarshal(t, p), []byte(`{"resourceType":"Patient","active":true,"_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}}`))
	})
	t.Run("changed value is not overwritten by the original", func(t *testing.T) {
		// "value" as a JSON string does not survive the typed decode as such, so it is recorded.
		o := mustUnmarshal(t, []byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":"7.0","unit":"mg"}}`)).(*r4.Observation)
		assertSameJSON(t, mustMarshal(t, o), []byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":"7.0","unit":"mg"}}`))
		o.ValueQuantity.Value = new(json.Number("8"))
		assertSameJSON(t, mustMarshal(t, o), []byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":8,"unit":"mg"}}`))
	})
	t.Run("removed element is not brought back", func(t *testing.T) {
		o := mustUnmarshal(t, []byte(`{"resourceType":"Observation","status":"final","valueQuantity":{"value":"7.0"}}`)).(*r4.Observation)
		o.ValueQuantity = nil
		o.ValueString = new("seven")
		assertSameJSON(t, mustMarshal(t, o), []byte(`{"resourceType":"Observation","status":"final","valueString":"seven"}`))
	})
	t.Run("array data is not applied to shifted elements", func(t *testing.T) {
		p := mustUnmarshal(t, []byte(`{"resourceType":"Patient","name":[{"family":"A"},{"family":"B","_family":{"id":"b"}}]}`)).(*r4.Patient)
		p.Name = p.Name[1:]
		assertSameJSON(t, mustMarshal(t, p), []byte(`{"resourceType":"Patient","name":[{"family":"B"}]}`))
	})
	t.Run("_x array dropped when x changes length", func(t *testing.T) {
		p := mustUnmarshal(t, []byte(`{"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null,{"id":"g"}]}]}`)).(*r4.Patient)
		p.Name[0].Given = []string{"a"}
		assertSameJSON(t, mustMarshal(t, p), []byte(`{"resourceType":"Patient","name":[{"given":["a"]}]}`))
	})
	t.Run("replaced contained resource", func(t *testing.T) {
		ma := mustUnmarshal(t, readExample(t, "MedicationAdministration", "medicationadministration0301.json")).(*r4.MedicationAdministration)
		ma.Contained = []r4.Resource{&r4.Medication{Id: "m2"}}
		ma.MedicationReference = new(r4.LocalRef("m2"))
		out := mustMarshal(t, ma)
		var got struct {
			Contained []map[string]any `json:"contained"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Contained) != 1 || got.Contained[0]["id"] != "m2" || len(got.Contained[0]) != 2 {
			t.Fatalf("contained = %v", got.Contained)
		}
	})
}

func TestGeneric(t *testing.T) {
	in := []byte(`{"id":"org1","resourceType":"Organization","name":"Clinic","x":[1.10,{}],"active":true}`)
	res := mustUnmarshal(t, in)
	g, ok := res.(*r4.Generic)
	if !ok {
		t.Fatalf("got %T", res)
	}
	if g.ResourceType() != "Organization" || g.ResourceID() != "org1" {
		t.Errorf("type/id = %s/%s", g.ResourceType(), g.ResourceID())
	}
	out := mustMarshal(t, g)
	if want := `{"resourceType":"Organization","id":"org1","name":"Clinic","x":[1.10,{}],"active":true}`; string(out) != want {
		t.Errorf("got %s, want %s", out, want)
	}
	var org fhir.Organization
	if err := g.Decode(&org); err != nil {
		t.Fatal(err)
	}
	if org.Name == nil || *org.Name != "Clinic" {
		t.Errorf("decoded %+v", org)
	}
	// A typed type can be kept generic on purpose.
	pg, err := r4.NewGeneric([]byte(`{"resourceType":"Patient","id":"p"}`))
	if err != nil || pg.ResourceType() != "Patient" {
		t.Fatalf("NewGeneric: %v, %v", pg, err)
	}
	if _, err := r4.NewGeneric([]byte(`[]`)); err == nil {
		t.Error("NewGeneric accepted an array")
	}
}

func TestHelpers(t *testing.T) {
	ref := r4.Ref("Patient", "123")
	if *ref.Reference != "Patient/123" {
		t.Errorf("Ref = %s", *ref.Reference)
	}
	if got := *r4.LocalRef("m").Reference; got != "#m" {
		t.Errorf("LocalRef = %s", got)
	}
	c := r4.Code("http://loinc.org", "8867-4", "")
	if c.Display != nil || *c.System != "http://loinc.org" || *c.Code != "8867-4" {
		t.Errorf("Code = %+v", c)
	}
	cc := r4.CC(c, r4.Code("s", "c", "d"))
	if len(cc.Coding) != 2 || *cc.Coding[1].Display != "d" {
		t.Errorf("CC = %+v", cc)
	}
}

// TestDeepNestingStaysCheap reads and writes a chain of contained resources
// that each take the slow paths (whitespace, an unmodelled element, an
// escaped comparator, a case-only-different spelling is not used). Work that
// grew exponentially with depth would not finish.
func TestDeepNestingStaysCheap(t *testing.T) {
	const depth = 40
	inner := `{ "resourceType": "Observation", "status": "final", "valueQuantity": {"value": 1.0, "comparator": "\u003e"}, "x": 1 }`
	for i := 0; i < depth; i++ {
		inner = `{ "resourceType": "Observation", "status": "final", "_status": {"id": "s"}, "valueQuantity": {"comparator": "\u003c"}, "contained": [ ` + inner + ` ] }`
	}
	res := mustUnmarshal(t, []byte(inner))
	out := mustMarshal(t, res)
	assertSameJSON(t, out, []byte(inner))
	obs := res.(*r4.Observation)
	for i := 0; i < depth; i++ {
		if len(obs.Contained) != 1 {
			t.Fatalf("level %d: %d contained", i, len(obs.Contained))
		}
		obs = obs.Contained[0].(*r4.Observation)
	}
	if obs.ValueQuantity == nil || obs.ValueQuantity.Comparator == nil || obs.ValueQuantity.Comparator.Code() != ">" {
		t.Fatalf("innermost comparator = %+v", obs.ValueQuantity)
	}
	if bytes.Contains(out, []byte(`\u003`)) {
		t.Errorf("output escapes < or >: %.200s", out)
	}
	again := mustMarshal(t, mustUnmarshal(t, out))
	if !bytes.Equal(again, out) {
		t.Error("not a fixed point")
	}
}

func TestLargeObjects(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Basic","id":"big"`)
	for i := 0; i < 20000; i++ {
		b.WriteString(`,"m` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i) + `_` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	b.WriteString(`}`)
	in := []byte(b.String())
	assertSameJSON(t, mustMarshal(t, mustUnmarshal(t, in)), in)
	dup := append(in[:len(in)-1:len(in)-1], []byte(`,"m`+"a0_0"+`":1}`)...)
	if _, err := r4.Unmarshal(dup); err == nil || !strings.Contains(err.Error(), "duplicate member") {
		t.Fatalf("duplicate in a large object: %v", err)
	}
	// The same through a typed resource (its delta has 20000 members).
	typed := bytes.Replace(in, []byte(`"Basic"`), []byte(`"Patient"`), 1)
	assertSameJSON(t, mustMarshal(t, mustUnmarshal(t, typed)), typed)
}

func TestEqualJSON(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"b":[true,null,"x"]}`, ` { "b" : [ true , null , "\u0078" ] , "a" : 1 } `, true},
		{`{"a":1.50}`, `{"a":1.5}`, false},
		{`{"a":[1,2]}`, `{"a":[2,1]}`, false},
		{`{"a":{}}`, `{"a":[]}`, false},
		{`{"a":null}`, `{}`, false},
		{`"x"`, `"x"`, true},
	}
	for _, tt := range tests {
		got, err := r4.EqualJSON([]byte(tt.a), []byte(tt.b))
		if err != nil || got != tt.want {
			t.Errorf("EqualJSON(%s, %s) = %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
		}
	}
	if _, err := r4.EqualJSON([]byte(`{"a":1,"a":2}`), []byte(`{}`)); err == nil {
		t.Error("duplicate member accepted")
	}
	if _, err := r4.EqualJSON([]byte(`{}`), []byte(`{} {}`)); err == nil {
		t.Error("two values accepted")
	}
}

// TestConcurrentMarshal: Marshal only reads the resource (its delta is shared,
// never modified), so one decoded resource can be written from many goroutines.
func TestConcurrentMarshal(t *testing.T) {
	data := readExample(t, "Patient", "patient-example.json")
	res := mustUnmarshal(t, data)
	want := mustMarshal(t, res)
	const workers = 8
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for range 50 {
				got, err := r4.Marshal(res)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, want) {
					errs <- errors.New("concurrent Marshal gave different output")
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
