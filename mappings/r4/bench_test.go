package r4_test

import (
	"encoding/json"
	"testing"

	fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

// infusion builds a MedicationAdministration shaped like the official
// medicationadministration0302 (contained compounded Medication, period,
// performer, dose and rate ratio), as ivbridge's translation would.
func infusion() *r4.MedicationAdministration {
	ucum := "http://unitsofmeasure.org"
	q := func(v, code string) *fhir.Quantity {
		return &fhir.Quantity{Value: new(json.Number(v)), System: new(ucum), Code: new(code)}
	}
	rx := func(code, display string) fhir.Coding {
		return r4.Code("http://www.nlm.nih.gov/research/umls/rxnorm", code, display)
	}
	return &r4.MedicationAdministration{
		Id:   "c0a8f6a4-2b6e-5b4b-9d43-1f0c5f7a9e01",
		Text: &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: `<div xmlns="http://www.w3.org/1999/xhtml">KCl 20 mEq in 1 L 0.9% NaCl IV at 100 mL/h</div>`},
		Contained: []r4.Resource{&r4.Medication{
			Id:   "med",
			Form: &fhir.CodeableConcept{Coding: []fhir.Coding{r4.Code("http://snomed.info/sct", "385219001", "Injection Solution (qualifier value)")}, Text: new("Injection Solution")},
			Ingredient: []r4.MedicationIngredient{
				{ItemCodeableConcept: r4.CCPtr(rx("204520", "Potassium Chloride")), Strength: &fhir.Ratio{Numerator: q("2", "meq"), Denominator: q("1", "mL")}},
				{ItemCodeableConcept: r4.CCPtr(rx("313002", "Sodium Chloride 0.9% injectable solution")), Strength: &fhir.Ratio{Numerator: q("0.9", "g"), Denominator: q("100", "mL")}},
			},
		}},
		Identifier:          []fhir.Identifier{{System: new("urn:ivbridge:clinic/administration"), Value: new("adm-000123")}},
		PartOf:              []fhir.Reference{r4.Ref("Procedure", "biopsy")},
		Status:              "completed",
		Category:            r4.CCPtr(r4.Code("http://terminology.hl7.org/CodeSystem/medication-admin-category", "inpatient", "Inpatient")),
		MedicationReference: new(r4.LocalRef("med")),
		Subject:             fhir.Reference{Reference: new("Patient/6f1b1f0e-3c39-5d7e-8a0b-8c4e0d6f2a11"), Display: new("Donald Duck")},
		Context:             r4.RefPtr("Encounter", "f001"),
		EffectivePeriod:     &fhir.Period{Start: new("2015-01-15T04:30:00+01:00"), End: new("2015-01-15T14:30:00+01:00")},
		Performer:           []r4.MedicationAdministrationPerformer{{Actor: fhir.Reference{Reference: new("Practitioner/f007"), Display: new("Patrick Pump")}}},
		ReasonCode:          []fhir.CodeableConcept{r4.CC(r4.Code("http://terminology.hl7.org/CodeSystem/reason-medication-given", "b", "Given as Ordered"))},
		Request:             r4.RefPtr("MedicationRequest", "medrx0322"),
		Dosage: &r4.MedicationAdministrationDosage{
			Text:      "KCl 20 mEq in 1 L 0.9%NS IV at 100 ml/hr",
			Site:      r4.CCPtr(r4.Code("http://snomed.info/sct", "6073002", "Structure of ligament of left superior vena cava")),
			Route:     r4.CCPtr(r4.Code("http://snomed.info/sct", "47625008", "Intravenous route (qualifier value)")),
			Method:    &fhir.CodeableConcept{Text: new("Continuous infusion")},
			Dose:      &fhir.Quantity{Value: new(json.Number("20")), Unit: new("meq"), System: new(ucum), Code: new("meq")},
			RateRatio: &fhir.Ratio{Numerator: q("100", "mL"), Denominator: q("1", "h")},
		},
	}
}

// BenchmarkMarshal measures Marshal of a resource built in code (no delta).
func BenchmarkMarshal(b *testing.B) {
	ma := infusion()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r4.Marshal(ma); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshalEncodingJSON is the baseline: encoding/json of the same
// struct's fields (without the codec's methods or resourceType).
func BenchmarkMarshalEncodingJSON(b *testing.B) {
	type plain r4.MedicationAdministration
	ma := (*plain)(infusion())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(ma); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshal measures Unmarshal of ivbridge's own output.
func BenchmarkUnmarshal(b *testing.B) {
	data, err := r4.Marshal(infusion())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r4.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalForeign measures Unmarshal of the same content written by
// someone else (indented, an unmodelled primitive extension), which takes the
// lossless diff path.
func BenchmarkUnmarshalForeign(b *testing.B) {
	own, err := r4.Marshal(infusion())
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(own, &m); err != nil {
		b.Fatal(err)
	}
	m["_status"] = map[string]any{"extension": []any{map[string]any{"url": "http://example.org/x", "valueString": "y"}}}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r4.Unmarshal(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalEncodingJSON is the baseline: encoding/json into the same struct's fields.
func BenchmarkUnmarshalEncodingJSON(b *testing.B) {
	type plain r4.MedicationAdministration
	data, err := json.Marshal((*plain)(infusion()))
	if err != nil {
		b.Fatal(err)
	}
	// The plain struct cannot hold contained resources; measure without them.
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var ma struct {
			plain
			Contained []json.RawMessage `json:"contained"`
		}
		if err := json.Unmarshal(data, &ma); err != nil {
			b.Fatal(err)
		}
	}
}
