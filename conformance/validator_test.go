package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

const baseAdministration = `{
  "resourceType": "MedicationAdministration",
  "id": "ma1",
  "status": "completed",
  "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1665005"}]},
  "subject": {"reference": "Patient/p1"},
  "effectivePeriod": {"start": "2024-01-01T10:00:00Z", "end": "2024-01-01T11:00:00+01:00"},
  "dosage": {
    "route": {"text": "IV"},
    "dose": {"value": 1, "unit": "g", "system": "http://unitsofmeasure.org", "code": "g"},
    "rateQuantity": {"value": 100.50, "unit": "mL/h", "system": "http://unitsofmeasure.org", "code": "mL/h"}
  }
}`

// mergePatch applies an RFC 7386 JSON merge patch (null deletes) to doc.
func mergePatch(t *testing.T, doc, patch string) string {
	t.Helper()
	var d, p any
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("base: %v", err)
	}
	if err := json.Unmarshal([]byte(patch), &p); err != nil {
		t.Fatalf("patch: %v", err)
	}
	out, err := json.Marshal(applyPatch(d, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func applyPatch(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = applyPatch(dm[k], v)
	}
	return dm
}

type want struct {
	code, expr string
	severity   string // "" means error
}

func TestValidateAdministration(t *testing.T) {
	v := NewValidator()
	tests := []struct {
		name  string
		patch string
		want  []want // empty: valid, no issue at all
	}{
		{"valid", `{}`, nil},
		{"primitive extension", `{"_status": {"extension": [{"url": "http://example.org/x", "valueString": "y"}]}}`, nil},
		{"unknown element", `{"foo": 1}`, []want{{CodeStructure, "MedicationAdministration.foo", ""}}},
		{"missing status", `{"status": null}`, []want{{CodeRequired, "MedicationAdministration.status", ""}}},
		{"status only as extension", `{"status": null, "_status": {"extension": [{"url": "http://example.org/x", "valueString": "y"}]}}`, nil},
		{"bad code", `{"status": "done"}`, []want{{CodeCodeInvalid, "MedicationAdministration.status", ""}}},
		{"code with spaces", `{"status": " completed"}`, []want{{CodeValue, "MedicationAdministration.status", ""}}},
		{"two choice variants", `{"effectiveDateTime": "2024-01-01"}`, []want{{CodeStructure, "MedicationAdministration.effective[x]", ""}}},
		{"missing choice", `{"effectivePeriod": null}`, []want{{CodeRequired, "MedicationAdministration.effective[x]", ""}}},
		{"wrong reference type", `{"subject": {"reference": "Practitioner/x"}}`, []want{{CodeStructure, "MedicationAdministration.subject.reference", ""}}},
		{"wrong absolute reference type", `{"subject": {"reference": "https://fhir.example.org/r4/Medication/x/_history/2"}}`, []want{{CodeStructure, "MedicationAdministration.subject.reference", ""}}},
		{"absolute reference ok", `{"subject": {"reference": "https://fhir.example.org/r4/Patient/x"}}`, nil},
		{"wrong Reference.type", `{"subject": {"type": "Device", "identifier": {"value": "1"}}}`, []want{{CodeStructure, "MedicationAdministration.subject.type", ""}}},
		{"malformed relative reference", `{"subject": {"reference": "patients/x"}}`, []want{{CodeValue, "MedicationAdministration.subject.reference", ""}}},
		{"unresolved local reference", `{"request": {"reference": "#mr"}}`, []want{{CodeInvariant, "MedicationAdministration.request.reference", ""}}},
		{"per-1", `{"effectivePeriod": {"start": "2024-01-03", "end": "2024-01-01T10:00:00Z"}}`, []want{{CodeInvariant, "MedicationAdministration.effectivePeriod", ""}}},
		{"per-1 partial dates overlap", `{"effectivePeriod": {"start": "2024-01", "end": "2024-01-01"}}`, nil},
		{"mad-1", `{"dosage": {"dose": null, "rateQuantity": null}}`, []want{{CodeInvariant, "MedicationAdministration.dosage", ""}}},
		{"qty-3", `{"dosage": {"dose": {"system": null}}}`, []want{{CodeInvariant, "MedicationAdministration.dosage.dose", ""}}},
		{"sqty-1", `{"dosage": {"dose": {"comparator": "<"}}}`, []want{{CodeInvariant, "MedicationAdministration.dosage.dose", ""}}},
		{"rat-1", `{"dosage": {"rateQuantity": null, "rateRatio": {"numerator": {"value": 1}}}}`, []want{{CodeInvariant, "MedicationAdministration.dosage.rateRatio", ""}}},
		{"malformed dateTime", `{"effectivePeriod": null, "effectiveDateTime": "2015-13-45"}`, []want{{CodeValue, "MedicationAdministration.effectiveDateTime", ""}}},
		{"dateTime without zone", `{"effectivePeriod": null, "effectiveDateTime": "2015-02-07T13:28:17"}`, []want{{CodeValue, "MedicationAdministration.effectiveDateTime", ""}}},
		{"feb 30", `{"effectivePeriod": null, "effectiveDateTime": "2015-02-30"}`, []want{{CodeValue, "MedicationAdministration.effectiveDateTime", ""}}},
		{"bad id", `{"id": "a_b"}`, []want{{CodeValue, "MedicationAdministration.id", ""}}},
		{"decimal as string", `{"dosage": {"dose": {"value": "1"}}}`, []want{{CodeStructure, "MedicationAdministration.dosage.dose.value", ""}}},
		{"array for max 1", `{"status": ["completed"]}`, []want{{CodeStructure, "MedicationAdministration.status", ""}}},
		{"object for array", `{"note": {"text": "x"}}`, []want{{CodeStructure, "MedicationAdministration.note", ""}}},
		{"empty array", `{"note": []}`, []want{{CodeStructure, "MedicationAdministration.note", ""}}},
		{"empty object", `{"note": [{}]}`, []want{{CodeInvariant, "MedicationAdministration.note[0]", ""}}},
		{"id only", `{"note": [{"id": "n"}]}`, []want{{CodeInvariant, "MedicationAdministration.note[0]", ""}}},
		{"control character", `{"dosage": {"text": "a\u0007b"}}`, []want{{CodeValue, "MedicationAdministration.dosage.text", ""}}},
		{"tab and newline", `{"dosage": {"text": "a\tb\nc"}}`, nil},
		{"empty string", `{"dosage": {"text": ""}}`, []want{{CodeValue, "MedicationAdministration.dosage.text", ""}}},
		{"unknown primitive extension", `{"_foo": {"id": "x"}}`, []want{{CodeStructure, "MedicationAdministration._foo", ""}}},
		{"ext-1", `{"extension": [{"url": "http://example.org/x", "valueString": "y", "extension": [{"url": "a", "valueBoolean": true}]}]}`, []want{{CodeInvariant, "MedicationAdministration.extension[0]", ""}}},
		{"extension without url", `{"extension": [{"valueString": "y"}]}`, []want{{CodeRequired, "MedicationAdministration.extension[0].url", ""}}},
		{"boolean as string", `{"extension": [{"url": "http://example.org/x", "valueBoolean": "true"}]}`, []want{{CodeStructure, "MedicationAdministration.extension[0].valueBoolean", ""}}},
		{"contained ok", `{"contained": [{"resourceType": "Medication", "id": "m1", "code": {"text": "x"}}], "medicationCodeableConcept": null, "medicationReference": {"reference": "#m1"}}`, nil},
		{"contained wrong type", `{"contained": [{"resourceType": "Patient", "id": "m1"}], "medicationCodeableConcept": null, "medicationReference": {"reference": "#m1"}}`, []want{{CodeStructure, "MedicationAdministration.medicationReference.reference", ""}}},
		{"dom-3", `{"contained": [{"resourceType": "Medication", "id": "m1"}]}`, []want{{CodeInvariant, "MedicationAdministration", ""}}},
		{"dom-3 contained without id", `{"contained": [{"resourceType": "Medication"}], "request": {"reference": "#"}}`, []want{{CodeInvariant, "MedicationAdministration", ""}}},
		{"dom-3 contained refers to container", `{"contained": [{"resourceType": "Provenance", "target": [{"reference": "#"}], "recorded": "2020-01-01T00:00:00Z", "agent": [{"who": {"display": "x"}}]}]}`, nil},
		{"dom-4", `{"contained": [{"resourceType": "Medication", "id": "m1", "meta": {"versionId": "1"}}], "medicationCodeableConcept": null, "medicationReference": {"reference": "#m1"}}`, []want{{CodeInvariant, "MedicationAdministration", ""}}},
		{"dom-2", `{"contained": [{"resourceType": "Medication", "id": "m1", "contained": [{"resourceType": "Substance", "id": "s", "code": {"text": "x"}}]}], "medicationCodeableConcept": null, "medicationReference": {"reference": "#m1"}}`, []want{{CodeInvariant, "MedicationAdministration", ""}}},
		{"contained element unknown", `{"contained": [{"resourceType": "Medication", "id": "m1", "bogus": true}], "medicationCodeableConcept": null, "medicationReference": {"reference": "#m1"}}`, []want{{CodeStructure, "MedicationAdministration.contained[0].bogus", ""}}},
		{"narrative", `{"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}`, nil},
		{"div without namespace", `{"text": {"status": "generated", "div": "<div>x</div>"}}`, []want{{CodeValue, "MedicationAdministration.text.div", ""}}},
		{"div not a div", `{"text": {"status": "generated", "div": "<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p>"}}`, []want{{CodeValue, "MedicationAdministration.text.div", ""}}},
		{"txt-2", `{"text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"> </div>"}}`, []want{{CodeInvariant, "MedicationAdministration.text.div", ""}}},
		{"timing in dosage not allowed", `{"dosage": {"timing": {}}}`, []want{{CodeStructure, "MedicationAdministration.dosage.timing", ""}}},
		{"integer overflow in positiveInt", `{"contained": [{"resourceType": "MedicationRequest", "id": "r", "status": "active", "intent": "order", "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "x"}, "dispenseRequest": {"numberOfRepeatsAllowed": 0, "initialFill": {"duration": {"value": 1, "system": "http://unitsofmeasure.org", "code": "d"}}}, "dosageInstruction": [{"timing": {"repeat": {"frequency": 0}}}]}], "request": {"reference": "#r"}}`, []want{{CodeValue, "MedicationAdministration.contained[0].dosageInstruction[0].timing.repeat.frequency", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := mergePatch(t, baseAdministration, tc.patch)
			checkIssues(t, v, doc, tc.want)
		})
	}
}

func checkIssues(t *testing.T, v *Validator, doc string, wants []want) {
	t.Helper()
	issues := v.Validate([]byte(doc))
	if len(wants) == 0 {
		if len(issues) != 0 {
			t.Fatalf("want no issues, got %+v\nfor %s", issues, doc)
		}
		return
	}
	for _, w := range wants {
		sev := w.severity
		if sev == "" {
			sev = SeverityError
		}
		found := false
		for _, is := range issues {
			if is.Code == w.code && is.Expression == w.expr && is.Severity == sev {
				found = true
			}
		}
		if !found {
			t.Errorf("want %s %s at %s, got %+v\nfor %s", sev, w.code, w.expr, issues, doc)
		}
	}
	if sev := wants[0].severity; (sev == "" || sev == SeverityError) && !HasErrors(issues) {
		t.Errorf("HasErrors = false for %+v", issues)
	}
}

func TestValidateResources(t *testing.T) {
	v := NewValidator()
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{"not json", `{"resourceType": `, []want{{CodeInvalid, "", SeverityFatal}}},
		{"trailing data", `{"resourceType": "Patient"} {}`, []want{{CodeInvalid, "", SeverityFatal}}},
		{"array", `[]`, []want{{CodeStructure, "", SeverityFatal}}},
		{"no resourceType", `{"id": "x"}`, []want{{CodeStructure, "", ""}}},
		{"unknown resourceType", `{"resourceType": "Patientx"}`, []want{{CodeStructure, "", ""}}},
		{"minimal patient", `{"resourceType": "Patient"}`, nil},
		{"null value", `{"resourceType": "Patient", "gender": null}`, []want{{CodeStructure, "Patient.gender", ""}}},
		{"null in array", `{"resourceType": "Patient", "name": [null]}`, []want{{CodeStructure, "Patient.name[0]", ""}}},
		{"patient gender", `{"resourceType": "Patient", "gender": "M"}`, []want{{CodeCodeInvalid, "Patient.gender", ""}}},
		{"patient birthDate", `{"resourceType": "Patient", "birthDate": "1980-02-30"}`, []want{{CodeValue, "Patient.birthDate", ""}}},
		{"pat-1", `{"resourceType": "Patient", "contact": [{"gender": "male"}]}`, []want{{CodeInvariant, "Patient.contact[0]", ""}}},
		{"given with extension alignment", `{"resourceType": "Patient", "name": [{"given": ["A", null], "_given": [null, {"extension": [{"url": "http://example.org/x", "valueCode": "IN"}]}]}]}`, nil},
		{"given null without extension", `{"resourceType": "Patient", "name": [{"given": ["A", null]}]}`, []want{{CodeStructure, "Patient.name[0].given[1]", ""}}},
		{"ait-1", `{"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"}}`, []want{{CodeInvariant, "AllergyIntolerance", ""}}},
		{"ait-1 entered in error ok", `{"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"}, "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "entered-in-error"}]}}`, nil},
		{"ait-2", `{"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"}, "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}]}, "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "entered-in-error"}]}}`, []want{{CodeInvariant, "AllergyIntolerance", ""}}},
		{"codeable concept binding", `{"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"}, "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "gone"}]}}`, []want{{CodeCodeInvalid, "AllergyIntolerance.clinicalStatus", ""}}},
		{"codeable concept binding text only", `{"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/p"}, "clinicalStatus": {"text": "active"}}`, []want{{CodeCodeInvalid, "AllergyIntolerance.clinicalStatus", ""}}},
		{"con-4", `{"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "abatementString": "gone", "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}}`, []want{{CodeInvariant, "Condition", ""}}},
		{"con-3 warning", `{"resourceType": "Condition", "subject": {"reference": "Patient/p"}, "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}]}`, []want{{CodeInvariant, "Condition", SeverityWarning}}},
		{"obs-6", `{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueString": "y", "dataAbsentReason": {"text": "z"}}`, []want{{CodeInvariant, "Observation", ""}}},
		{"obs-7", `{"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "1-1"}]}, "valueString": "y", "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "1-1"}]}, "valueString": "z"}]}`, []want{{CodeInvariant, "Observation", ""}}},
		{"obs-3", `{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "referenceRange": [{"appliesTo": [{"text": "x"}]}]}`, []want{{CodeInvariant, "Observation.referenceRange[0]", ""}}},
		{"rng-2", `{"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueRange": {"low": {"value": 5}, "high": {"value": 1}}}`, []want{{CodeInvariant, "Observation.valueRange", ""}}},
		{"tim-1 tim-9 tim-10", `{"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "x"}, "dosageInstruction": [{"timing": {"repeat": {"duration": 1, "offset": 5, "timeOfDay": ["10:00:00"], "when": ["C"]}}}]}`, []want{{CodeInvariant, "MedicationRequest.dosageInstruction[0].timing.repeat", ""}}},
		{"drt-1", `{"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": {"reference": "Patient/p"}, "medicationCodeableConcept": {"text": "x"}, "dispenseRequest": {"expectedSupplyDuration": {"value": 3, "system": "http://snomed.info/sct", "code": "d"}}}`, []want{{CodeInvariant, "MedicationRequest.dispenseRequest.expectedSupplyDuration", ""}}},
		{"inv-1", `{"resourceType": "Parameters", "parameter": [{"name": "a", "valueString": "x", "part": [{"name": "b", "valueBoolean": true}]}]}`, []want{{CodeInvariant, "Parameters.parameter[0]", ""}}},
		{"parameters resource", `{"resourceType": "Parameters", "parameter": [{"name": "a", "resource": {"resourceType": "Patient", "gender": "x"}}]}`, []want{{CodeCodeInvalid, "Parameters.parameter[0].resource.gender", ""}}},
		{"parameters part content reference", `{"resourceType": "Parameters", "parameter": [{"name": "a", "part": [{"name": "b", "valueDate": "2020-02-31"}]}]}`, []want{{CodeValue, "Parameters.parameter[0].part[0].valueDate", ""}}},
		{"operation outcome", `{"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "bogus"}]}`, []want{{CodeCodeInvalid, "OperationOutcome.issue[0].code", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkIssues(t, v, tc.doc, tc.want) })
	}
}

func TestValidateBundle(t *testing.T) {
	v := NewValidator()
	patient := `{"resourceType": "Patient", "id": "p1", "gender": "female"}`
	tests := []struct {
		name string
		doc  string
		want []want
	}{
		{"transaction ok", `{"resourceType": "Bundle", "type": "transaction", "entry": [
			{"fullUrl": "urn:uuid:0b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "resource": ` + patient + `, "request": {"method": "POST", "url": "Patient"}},
			{"fullUrl": "urn:uuid:1b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "resource": {"resourceType": "Condition", "subject": {"reference": "urn:uuid:0b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}}, "request": {"method": "POST", "url": "Condition"}}]}`, nil},
		{"entry resource error path", `{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": ` + patient + `}, {"resource": ` + patient + `}, {"resource": {"resourceType": "Encounter", "status": "nope", "class": {"code": "AMB"}}}]}`,
			[]want{{CodeCodeInvalid, "Bundle.entry[2].resource.status", ""}}},
		{"bdl-3", `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": ` + patient + `}]}`, []want{{CodeInvariant, "Bundle", ""}}},
		{"bdl-4", `{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": ` + patient + `, "response": {"status": "200"}}]}`, []want{{CodeInvariant, "Bundle", ""}}},
		{"bdl-1", `{"resourceType": "Bundle", "type": "collection", "total": 1}`, []want{{CodeInvariant, "Bundle", ""}}},
		{"bdl-5", `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/Patient/1"}]}`, []want{{CodeInvariant, "Bundle.entry[0]", ""}}},
		{"bdl-7", `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/Patient/1", "resource": ` + patient + `}, {"fullUrl": "http://x.org/Patient/1", "resource": ` + patient + `}]}`, []want{{CodeInvariant, "Bundle", ""}}},
		{"bdl-8", `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/Patient/1/_history/1", "resource": ` + patient + `}]}`, []want{{CodeInvariant, "Bundle.entry[0]", ""}}},
		{"urn:uuid wrong target", `{"resourceType": "Bundle", "type": "transaction", "entry": [
			{"fullUrl": "urn:uuid:0b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "resource": {"resourceType": "Medication"}, "request": {"method": "POST", "url": "Medication"}},
			{"resource": {"resourceType": "Condition", "subject": {"reference": "urn:uuid:0b1f5e7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}}, "request": {"method": "POST", "url": "Condition"}}]}`,
			[]want{{CodeStructure, "Bundle.entry[1].resource.subject.reference", ""}}},
		{"request method", `{"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"method": "FETCH", "url": "Patient"}}]}`, []want{{CodeCodeInvalid, "Bundle.entry[0].request.method", ""}}},
		{"fullUrl disagrees", `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/fhir/Patient/p2", "resource": ` + patient + `}]}`, []want{{CodeInvalid, "Bundle.entry[0].fullUrl", ""}}},
		{"fullUrl type disagrees", `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/fhir/Practitioner/p1", "resource": ` + patient + `}]}`, []want{{CodeInvalid, "Bundle.entry[0].fullUrl", ""}}},
		{"fullUrl agrees", `{"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "http://x.org/fhir/Patient/p1", "resource": ` + patient + `}]}`, nil},
		{"PUT url type", `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": ` + patient + `, "request": {"method": "PUT", "url": "Practitioner/p1"}}]}`, []want{{CodeInvalid, "Bundle.entry[0].request.url", ""}}},
		{"PUT url id", `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": ` + patient + `, "request": {"method": "PUT", "url": "Patient/p9"}}]}`, []want{{CodeInvalid, "Bundle.entry[0].request.url", ""}}},
		{"PUT conditional ok", `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": ` + patient + `, "request": {"method": "PUT", "url": "Patient?identifier=a|b"}}]}`, nil},
		{"POST url", `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": ` + patient + `, "request": {"method": "POST", "url": "Patient/p1"}}]}`, []want{{CodeInvalid, "Bundle.entry[0].request.url", ""}}},
		{"POST operation", `{"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Parameters"}, "request": {"method": "POST", "url": "ValueSet/$lookup"}}]}`, nil},
		{"PUT without resource", `{"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"method": "PUT", "url": "Patient/p1"}}]}`, []want{{CodeInvalid, "Bundle.entry[0].resource", ""}}},
		{"entry resource not a resource", `{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"id": "x"}}]}`, []want{{CodeStructure, "Bundle.entry[0].resource", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkIssues(t, v, tc.doc, tc.want) })
	}
}

func TestOperationOutcomeValid(t *testing.T) {
	v := NewValidator()
	for _, issues := range [][]Issue{
		nil,
		v.Validate([]byte(`{"resourceType": "Patient", "gender": "x", "birthDate": "1-1", "foo": 1}`)),
		v.Validate([]byte(`not json`)),
	} {
		oo := OperationOutcome(issues)
		if got := v.Validate(oo); len(got) != 0 {
			t.Errorf("OperationOutcome %s is not valid: %+v", oo, got)
		}
		var parsed struct {
			Issue []json.RawMessage `json:"issue"`
		}
		if err := json.Unmarshal(oo, &parsed); err != nil || len(parsed.Issue) != max(1, len(issues)) {
			t.Errorf("OperationOutcome %s: %v, %d issues", oo, err, len(parsed.Issue))
		}
	}
	if HasErrors([]Issue{{Severity: SeverityWarning}}) || !HasErrors([]Issue{{Severity: SeverityFatal}}) {
		t.Error("HasErrors severity handling")
	}
}

func TestDiagnosticsDoNotQuoteStrings(t *testing.T) {
	v := NewValidator()
	secret := "Jane Secret-Doe"
	doc := `{"resourceType": "Patient", "id": "` + secret + `", "name": [{"text": "` + secret + `", "family": ["` + secret + `"]}], "birthDate": "` + secret + `", "telecom": [{"value": "` + secret + `"}], "managingOrganization": {"reference": "` + secret + `"}}`
	issues := v.Validate([]byte(doc))
	if !HasErrors(issues) {
		t.Fatal("expected errors")
	}
	for _, is := range issues {
		if strings.Contains(is.Diagnostics, "Secret") {
			t.Errorf("diagnostics quote a string value: %+v", is)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	v := NewValidator()
	bad := mergePatch(t, baseAdministration, `{"status": "done"}`)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if len(v.Validate([]byte(baseAdministration))) != 0 || len(v.Validate([]byte(bad))) != 1 {
					t.Error("unexpected result under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestImplementedInvariantsExistInTables(t *testing.T) {
	m, err := loadModel()
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, ti := range m.types {
		if ti.root == nil {
			continue
		}
		seen := map[*node]bool{}
		var walk func(n *node)
		walk = func(n *node) {
			if seen[n] {
				return
			}
			seen[n] = true
			for _, c := range n.constraints {
				declared[c.Key] = true
			}
			for _, el := range n.elems {
				for _, c := range el.constraints {
					declared[c.Key] = true
				}
				for _, f := range el.fields {
					if f.node != nil {
						walk(f.node)
					}
				}
			}
		}
		walk(ti.root)
	}
	for _, k := range ImplementedInvariants() {
		if k == "ele-1" {
			continue // removed from the tables by the generator, checked for every element
		}
		if !declared[k] {
			t.Errorf("implemented invariant %s is not declared in the R4 tables", k)
		}
	}
	t.Logf("implemented invariants: %s", strings.Join(ImplementedInvariants(), " "))
}

func TestIssueOrder(t *testing.T) {
	v := NewValidator()
	var entries []string
	for i := 0; i < 12; i++ {
		entries = append(entries, `{"resource": {"resourceType": "Patient", "gender": "x"}}`)
	}
	issues := v.Validate([]byte(`{"resourceType": "Bundle", "type": "collection", "entry": [` + strings.Join(entries, ",") + `]}`))
	if len(issues) != 12 {
		t.Fatalf("%d issues, want 12: %+v", len(issues), issues)
	}
	for i, is := range issues {
		if want := fmt.Sprintf("Bundle.entry[%d].resource.gender", i); is.Expression != want {
			t.Errorf("issue %d at %s, want %s", i, is.Expression, want)
		}
	}
	for _, tc := range []struct {
		a, b string
		less bool
	}{{"a[2]", "a[10]", true}, {"a[10]", "a[2]", false}, {"a.b", "a.c", true}, {"a", "a.b", true}, {"x[02]", "x[3]", true}} {
		if got := naturalCompare(tc.a, tc.b) < 0; got != tc.less {
			t.Errorf("naturalCompare(%q, %q) < 0 = %v", tc.a, tc.b, got)
		}
	}
}
