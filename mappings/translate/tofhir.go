package translate

import (
	"fmt"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// ToFHIR maps a clinic record to every FHIR resource it stands for, primary
// resource first and the resources that depend on it after (a patient's
// Conditions, an administration's per-dose children and Observations …).
// The record should be valid (clinic.Validate); codes the terminology
// table does not know give *UnmappableError naming the field.
func (t *Translator) ToFHIR(rec clinic.Record) ([]r4.Resource, error) {
	if rec != nil {
		if probs := checkLiterals(rec); len(probs) > 0 {
			return nil, &UnmappableError{Resource: string(rec.RecordKind()) + " " + rec.RecordID(), Problems: probs}
		}
	}
	switch r := rec.(type) {
	case *clinic.Patient:
		return t.patientToFHIR(r)
	case *clinic.Practitioner:
		return t.practitionerToFHIR(r)
	case *clinic.Plan:
		return t.planToFHIR(r)
	case *clinic.Administration:
		return t.administrationToFHIR(r)
	case *clinic.Reaction:
		return t.reactionToFHIR(r)
	case nil:
		return nil, fmt.Errorf("translate: nil record")
	default:
		return nil, fmt.Errorf("translate: unsupported record type %T", rec)
	}
}

// Collection maps a record to a Bundle of type collection holding every
// resource ToFHIR gives, each with fullUrl "urn:uuid:<id>". The Bundle's id
// is deterministic too, so the same record always gives the same bytes.
func (t *Translator) Collection(rec clinic.Record) (*r4.Bundle, error) {
	res, err := t.ToFHIR(rec)
	if err != nil {
		return nil, err
	}
	b := &r4.Bundle{
		Id:    t.ID("Bundle", rec.RecordKind(), rec.RecordID()),
		Type:  "collection",
		Entry: make([]r4.BundleEntry, len(res)),
	}
	for i, r := range res {
		b.Entry[i] = r4.BundleEntry{FullUrl: "urn:uuid:" + r.ResourceID(), Resource: r}
	}
	return b, nil
}
