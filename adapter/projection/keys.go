package projection

import (
	"strings"

	fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// keysOf extracts the facade's search keys straight from a typed
// resource (every record write indexes several, and reading their JSON
// back cost more than validating it): the date parameter and status of
// each type are those of searchParams. ok is false for a type the facade
// does not index, or a resource without an id. TestKeysOfAgreesWithJSON
// checks it against an independent reading of the JSON.
func keysOf(res r4.Resource) (sr store.Resource, ok bool) {
	var (
		idents                   []fhir.Identifier
		subject, patient, req    *fhir.Reference
		status                   string
		date                     string
		clinical                 *fhir.CodeableConcept
		clinicalStatusIsTheState bool
	)
	switch r := res.(type) {
	case *r4.Patient:
		idents, date = r.Identifier, r.BirthDate
	case *r4.Practitioner:
		idents = r.Identifier
	case *r4.Medication:
		idents, status = r.Identifier, r.Status
	case *r4.MedicationRequest:
		idents, status, subject, date = r.Identifier, r.Status, &r.Subject, r.AuthoredOn
	case *r4.MedicationAdministration:
		idents, status, subject, req = r.Identifier, r.Status, &r.Subject, r.Request
		date = first(deref(r.EffectiveDateTime), periodStart(r.EffectivePeriod))
	case *r4.Observation:
		idents, status, subject = r.Identifier, r.Status, r.Subject
		date = first(deref(r.EffectiveDateTime), deref(r.EffectiveInstant), periodStart(r.EffectivePeriod))
	case *r4.AdverseEvent:
		if r.Identifier != nil {
			idents = []fhir.Identifier{*r.Identifier}
		}
		subject, date = &r.Subject, r.Date
	case *r4.AllergyIntolerance:
		idents, patient, date = r.Identifier, &r.Patient, r.RecordedDate
		clinical, clinicalStatusIsTheState = r.ClinicalStatus, true
	case *r4.Condition:
		idents, subject, date = r.Identifier, &r.Subject, r.RecordedDate
		clinical, clinicalStatusIsTheState = r.ClinicalStatus, true
	case *r4.Encounter:
		idents, status, subject = r.Identifier, r.Status, r.Subject
	case *r4.DetectedIssue:
		idents, status, patient = r.Identifier, r.Status, r.Patient
		date = first(deref(r.IdentifiedDateTime), periodStart(r.IdentifiedPeriod))
	default:
		return store.Resource{}, false
	}
	sr = store.Resource{Type: res.ResourceType(), ID: res.ResourceID()}
	if sr.ID == "" {
		return store.Resource{}, false
	}
	for _, id := range idents {
		if v := deref(id.Value); v != "" {
			sr.Identifiers = append(sr.Identifiers, deref(id.System)+"|"+v)
		}
	}
	refs := map[string]string{}
	if s := refOf(subject); s != "" {
		refs["subject"] = s
	}
	if p := refOf(patient); p != "" {
		refs["patient"] = p
	} else if s := refOf(subject); strings.HasPrefix(s, "Patient/") {
		refs["patient"] = s
	}
	if q := refOf(req); q != "" {
		refs["request"] = q
	}
	if len(refs) > 0 {
		sr.Refs = refs
	}
	if sr.Type == "Patient" {
		sr.PatientID = sr.ID
	} else if p, ok := strings.CutPrefix(refs["patient"], "Patient/"); ok {
		sr.PatientID = p
	}
	sr.Status = status
	if clinicalStatusIsTheState && clinical != nil && len(clinical.Coding) > 0 {
		sr.Status = deref(clinical.Coding[0].Code)
	}
	sr.Date = date
	return sr, true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func refOf(r *fhir.Reference) string {
	if r == nil {
		return ""
	}
	return deref(r.Reference)
}

func periodStart(p *fhir.Period) string {
	if p == nil {
		return ""
	}
	return first(deref(p.Start), deref(p.End))
}
