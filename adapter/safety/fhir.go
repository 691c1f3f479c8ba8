package safety

import (
	"html"
	"strings"

	fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

const actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

// ruleRole is the identifier role of DetectedIssues: their identifier is
// <namespace>/<kind>/detected-issue | <record id>/<rule id>.
const ruleRole = "detected-issue"

// DetectedIssues maps the findings on one record to FHIR DetectedIssues.
// Ids and identifiers are deterministic (record + rule), so a re-check that
// finds the same thing rewrites the same resource instead of adding one.
// identifiedDateTime is the record's clinical time (a plan's authored_at, a
// session's start), not the time of the check, for the same reason.
func DetectedIssues(tr *translate.Translator, rules *Rules, rec clinic.Record, findings []Finding) []*r4.DetectedIssue {
	implicated := implicatedRef(tr, rec)
	if implicated == nil {
		return nil
	}
	when := recordTime(rec)
	out := make([]*r4.DetectedIssue, 0, len(findings))
	for _, f := range findings {
		key := rec.RecordID() + "/" + f.Rule
		di := &r4.DetectedIssue{
			Id: tr.ID("DetectedIssue", rec.RecordKind(), rec.RecordID()+"#"+ruleRole+"/"+f.Rule),
			Identifier: []fhir.Identifier{{
				System: ptr(tr.IdentifierSystem(rec.RecordKind(), ruleRole)),
				Value:  ptr(key),
			}},
			Extension: []fhir.Extension{{
				Url:         tr.Namespace() + "/StructureDefinition/safety-rule",
				ValueString: ptr(f.Rule),
			}},
			Status:   "final",
			Severity: string(f.Severity),
			Code: &fhir.CodeableConcept{
				Coding: []fhir.Coding{{System: ptr(actCode), Code: ptr(f.Code), Display: nonEmpty(rules.CodeDisplay(f.Code))}},
				Text:   ptr(strings.ReplaceAll(string(f.Kind), "_", " ")),
			},
			Implicated: []fhir.Reference{*implicated},
			Detail:     f.Detail + " (source: " + f.Source + ")",
		}
		if pid := rec.PatientID(); pid != "" {
			di.Patient = &fhir.Reference{Reference: ptr("Patient/" + tr.ID("Patient", clinic.KindPatient, pid))}
		}
		if when != "" {
			di.IdentifiedDateTime = ptr(when)
		}
		if f.Override != nil {
			m := r4.DetectedIssueMitigation{
				Action: fhir.CodeableConcept{Text: ptr("Overridden by the prescriber: " + f.Override.Reason)},
				Author: &fhir.Reference{Reference: ptr("Practitioner/" + tr.ID("Practitioner", clinic.KindPractitioner, f.Override.PractitionerID))},
			}
			if when != "" {
				m.Date = when
			}
			di.Mitigation = []r4.DetectedIssueMitigation{m}
		}
		di.Text = narrative(f)
		out = append(out, di)
	}
	return out
}

func implicatedRef(tr *translate.Translator, rec clinic.Record) *fhir.Reference {
	switch rec.(type) {
	case *clinic.Plan:
		return &fhir.Reference{Reference: ptr("MedicationRequest/" + tr.ID("MedicationRequest", clinic.KindPlan, rec.RecordID()))}
	case *clinic.Administration:
		return &fhir.Reference{Reference: ptr("MedicationAdministration/" + tr.ID("MedicationAdministration", clinic.KindAdministration, rec.RecordID()))}
	}
	return nil
}

func recordTime(rec clinic.Record) string {
	switch r := rec.(type) {
	case *clinic.Plan:
		return string(r.AuthoredAt)
	case *clinic.Administration:
		return string(r.StartedAt)
	}
	return ""
}

func narrative(f Finding) *fhir.Narrative {
	var b strings.Builder
	b.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml"><p><b>`)
	b.WriteString(html.EscapeString(strings.ToUpper(string(f.Severity[:1])) + string(f.Severity[1:])))
	b.WriteString(`</b>: `)
	b.WriteString(html.EscapeString(f.Detail))
	b.WriteString(`</p>`)
	if f.Override != nil {
		b.WriteString(`<p>Overridden: `)
		b.WriteString(html.EscapeString(f.Override.Reason))
		b.WriteString(`</p>`)
	}
	b.WriteString(`</div>`)
	return &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: b.String()}
}

func ptr[T any](v T) *T { return &v }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
