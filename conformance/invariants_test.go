package conformance

import (
	"strings"
	"testing"
)

// TestEveryInvariantFires gives, for each implemented invariant, a
// document that violates it, and checks that exactly that key is reported.
func TestEveryInvariantFires(t *testing.T) {
	v := NewValidator()
	ext := func(value string) string {
		return `{"resourceType": "Patient", "extension": [{"url": "http://example.org/x", ` + value + `}]}`
	}
	rx := func(repeat string) string {
		return `{"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "x"}, "dosageInstruction": [{"timing": {"repeat": ` + repeat + `}}]}`
	}
	cond := func(extra string) string {
		return `{"resourceType": "Condition", "subject": {"reference": "Patient/p"}` + extra + `}`
	}
	bundle := func(extra string) string { return `{"resourceType": "Bundle"` + extra + `}` }
	pat := `{"resourceType": "Patient", "id": "p1"}`
	cs := func(extra string) string {
		return `{"resourceType": "CapabilityStatement", "status": "active", "date": "2020-01-01", "fhirVersion": "4.0.1", "format": ["json"]` + extra + `}`
	}
	csRest := `, "kind": "instance", "implementation": {"description": "x"}, "rest": [{"mode": "server"}]`
	const verEIE = `"verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "entered-in-error"}]}`
	const clinActive = `"clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}`
	tests := map[string]string{
		"ele-1":  `{"resourceType": "Patient", "name": [{}]}`,
		"ref-1":  `{"resourceType": "Patient", "managingOrganization": {"reference": "#org"}}`,
		"ext-1":  ext(`"valueString": "a", "extension": [{"url": "b", "valueString": "c"}]`),
		"txt-1":  `{"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onclick=\"x()\">a</p></div>"}}`,
		"txt-2":  `{"resourceType": "Patient", "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p> </p></div>"}}`,
		"dom-2":  `{"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", "contained": [{"resourceType": "Organization", "id": "i"}]}], "managingOrganization": {"reference": "#o"}}`,
		"dom-3":  `{"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o"}]}`,
		"dom-4":  `{"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", "meta": {"lastUpdated": "2020-01-01T00:00:00Z"}}], "managingOrganization": {"reference": "#o"}}`,
		"dom-5":  `{"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o", "meta": {"security": [{"code": "R"}]}}], "managingOrganization": {"reference": "#o"}}`,
		"per-1":  ext(`"valuePeriod": {"start": "2021", "end": "2020-06-01T00:00:00Z"}`),
		"rat-1":  ext(`"valueRatio": {"denominator": {"value": 1}}`),
		"qty-3":  ext(`"valueQuantity": {"value": 1, "code": "mg"}`),
		"sqty-1": `{"resourceType": "MedicationAdministration", "status": "completed", "medicationCodeableConcept": {"text": "x"}, "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2020", "dosage": {"dose": {"value": 1, "comparator": "<"}}}`,
		"drt-1":  ext(`"valueDuration": {"value": 1, "system": "http://example.org", "code": "d"}`),
		"age-1":  ext(`"valueAge": {"value": -1, "system": "http://unitsofmeasure.org", "code": "a"}`),
		"cnt-3":  ext(`"valueCount": {"value": 1.5, "system": "http://unitsofmeasure.org", "code": "1"}`),
		"dis-1":  ext(`"valueDistance": {"value": 1}`),
		"rng-2":  ext(`"valueRange": {"low": {"value": 2, "code": "mg", "system": "http://unitsofmeasure.org"}, "high": {"value": 1, "code": "mg", "system": "http://unitsofmeasure.org"}}`),
		"cpt-2":  `{"resourceType": "Patient", "telecom": [{"value": "123"}]}`,
		"att-1":  `{"resourceType": "Patient", "photo": [{"data": "AAAA"}]}`,
		"tim-1":  rx(`{"duration": 1}`),
		"tim-2":  rx(`{"period": 1}`),
		"tim-4":  rx(`{"duration": -1, "durationUnit": "h"}`),
		"tim-5":  rx(`{"period": -1, "periodUnit": "h"}`),
		"tim-6":  rx(`{"periodMax": 2}`),
		"tim-7":  rx(`{"durationMax": 2}`),
		"tim-8":  rx(`{"countMax": 2}`),
		"tim-9":  rx(`{"offset": 10}`),
		"tim-10": rx(`{"timeOfDay": ["08:00:00"], "when": ["MORN"]}`),
		"mad-1":  `{"resourceType": "MedicationAdministration", "status": "completed", "medicationCodeableConcept": {"text": "x"}, "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2020", "dosage": {"text": "x"}}`,
		"ait-1":  `{"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"}}`,
		"ait-2":  `{"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"}, "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]}, "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "entered-in-error"}]}}`,
		"con-1":  cond(`, "stage": [{"type": {"text": "x"}}]`),
		"con-2":  cond(`, "evidence": [{"extension": [{"url": "http://example.org/x", "valueString": "y"}]}]`),
		"con-3":  cond(`, "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}]`),
		"con-4":  cond(`, "abatementDateTime": "2020", ` + clinActive),
		"con-5":  cond(`, ` + verEIE + `, ` + clinActive),
		"obs-3":  `{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "referenceRange": [{"age": {"low": {"value": 1}}}]}`,
		"obs-6":  `{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueBoolean": true, "dataAbsentReason": {"text": "x"}}`,
		"obs-7":  `{"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueBoolean": true, "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueBoolean": true}]}`,
		"pat-1":  `{"resourceType": "Patient", "contact": [{"gender": "male"}]}`,
		"inv-1":  `{"resourceType": "Parameters", "parameter": [{"name": "a"}]}`,
		"bdl-1":  bundle(`, "type": "collection", "total": 1`),
		"bdl-2":  bundle(`, "type": "collection", "entry": [{"resource": ` + pat + `, "search": {"mode": "match"}}]`),
		"bdl-3":  bundle(`, "type": "batch", "entry": [{"resource": ` + pat + `}]`),
		"bdl-4":  bundle(`, "type": "batch-response", "entry": [{"resource": ` + pat + `}]`),
		"bdl-5":  bundle(`, "type": "collection", "entry": [{"fullUrl": "urn:uuid:0b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}]`),
		"bdl-7":  bundle(`, "type": "collection", "entry": [{"fullUrl": "urn:uuid:0b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "resource": ` + pat + `}, {"fullUrl": "urn:uuid:0b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "resource": ` + pat + `}]`),
		"bdl-8":  bundle(`, "type": "collection", "entry": [{"fullUrl": "http://x.org/Patient/p1/_history/1", "resource": ` + pat + `}]`),
		"bdl-9":  bundle(`, "type": "document", "timestamp": "2020-01-01T00:00:00Z", "entry": [{"resource": {"resourceType": "Composition", "status": "final", "type": {"text": "x"}, "date": "2020", "author": [{"display": "x"}], "title": "x"}}]`),
		"bdl-10": bundle(`, "type": "document", "identifier": {"system": "urn:x", "value": "1"}, "entry": [{"resource": {"resourceType": "Composition", "status": "final", "type": {"text": "x"}, "date": "2020", "author": [{"display": "x"}], "title": "x"}}]`),
		"bdl-11": bundle(`, "type": "document", "identifier": {"system": "urn:x", "value": "1"}, "timestamp": "2020-01-01T00:00:00Z", "entry": [{"resource": ` + pat + `}]`),
		"bdl-12": bundle(`, "type": "message", "entry": [{"resource": ` + pat + `}]`),
		"cpb-1":  cs(`, "kind": "instance", "implementation": {"description": "x"}`),
		"cpb-2":  cs(`, "kind": "requirements", "rest": [{"mode": "server"}]`),
		"cpb-3":  cs(`, "kind": "capability", "software": {"name": "x"}, "messaging": [{"endpoint": [{"protocol": {"code": "http"}, "address": "http://x"}]}]`),
		"cpb-7":  cs(`, "kind": "requirements", "description": "x", "document": [{"mode": "producer", "profile": "http://x"}, {"mode": "producer", "profile": "http://x"}]`),
		"cpb-9":  cs(`, "kind": "requirements", "description": "x", "rest": [{"mode": "server", "resource": [{"type": "Patient"}, {"type": "Patient"}]}]`),
		"cpb-12": cs(`, "kind": "requirements", "description": "x", "rest": [{"mode": "server", "resource": [{"type": "Patient", "searchParam": [{"name": "a", "type": "token"}, {"name": "a", "type": "string"}]}]}]`),
		"cpb-14": cs(`, "kind": "instance", "description": "x", "rest": [{"mode": "server"}]`),
		"cpb-15": cs(`, "kind": "capability", "description": "x", "rest": [{"mode": "server"}]`),
		"cpb-16": cs(`, "kind": "requirements", "software": {"name": "x"}, "rest": [{"mode": "server"}]`),
	}
	for _, key := range ImplementedInvariants() {
		doc, ok := tests[key]
		if !ok {
			t.Errorf("no test document for implemented invariant %s", key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			issues := v.Validate([]byte(doc))
			var keys []string
			for _, is := range issues {
				k, _, _ := strings.Cut(is.Diagnostics, ":")
				keys = append(keys, k)
				if k == key {
					return
				}
			}
			t.Errorf("%s not reported; issues %+v", key, issues)
		})
	}
	// The documents built for cpb-* are otherwise valid: a control that
	// the helpers do not produce unrelated errors.
	if issues := v.Validate([]byte(cs(csRest))); len(issues) != 0 {
		t.Errorf("control CapabilityStatement: %+v", issues)
	}
}

func TestNarrativeActiveContent(t *testing.T) {
	for div, want := range map[string]bool{
		`<div xmlns="http://www.w3.org/1999/xhtml"><p>ok <b>b</b> <a href="http://x.org">x</a></p><img src="data:image/png;base64,AAAA"/></div>`: false,
		`<div xmlns="http://www.w3.org/1999/xhtml"><table><tr><td style="color: red">1</td></tr></table></div>`:                                  false,
		`<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div>`:                                                              true,
		`<div xmlns="http://www.w3.org/1999/xhtml"><SCRIPT>alert(1)</SCRIPT></div>`:                                                              true,
		`<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:alert(1)">x</a></div>`:                                                    true,
		`<div xmlns="http://www.w3.org/1999/xhtml"><img src=x onerror=alert(1)/></div>`:                                                          true,
		`<div xmlns="http://www.w3.org/1999/xhtml"><iframe src="http://x"></iframe></div>`:                                                       true,
		`<div xmlns="http://www.w3.org/1999/xhtml"><a href="data:text/html,x">x</a></div>`:                                                       true,
		`<div xmlns="http://www.w3.org/1999/xhtml">a &lt; b, one &gt; two</div>`:                                                                 false,
	} {
		if got := narrativeActiveContent(div); got != want {
			t.Errorf("narrativeActiveContent(%s) = %v, want %v", div, got, want)
		}
	}
}
