// Package projection turns clinic records into the FHIR projection ivbridge
// stores: the translator's resources, each checked by the conformance
// validator (nothing invalid is stored, served or synced) and indexed with
// the search keys of the facade. The service uses it for clinic PUTs and
// the sync for pulled orders, so both store the same thing.
package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// Projector builds projections; safe for concurrent use.
type Projector struct {
	tr *translate.Translator
	v  *conformance.Validator
}

// New returns a projector over a translator and a validator.
func New(tr *translate.Translator, v *conformance.Validator) *Projector {
	return &Projector{tr: tr, v: v}
}

// InvalidError reports a resource the translation produced that the
// validator refuses: a mapping bug, never the caller's fault.
type InvalidError struct {
	Type, SourceKind, SourceID string
	Issues                     []conformance.Issue
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("projection: the %s mapped from %s %s is not valid R4 (a mapping bug): %d issues",
		e.Type, e.SourceKind, e.SourceID, len(e.Issues))
}

// Resources validates and indexes resources that belong to the record
// (kind, id): the translator's output or the record's DetectedIssues.
func (p *Projector) Resources(kind clinic.Kind, id string, rs []r4.Resource) ([]store.Resource, error) {
	out := make([]store.Resource, 0, len(rs))
	for _, r := range rs {
		body, err := r4.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("projection: marshal %s from %s %s: %w", r.ResourceType(), kind, id, err)
		}
		if issues := p.v.Validate(body); conformance.HasErrors(issues) {
			return nil, &InvalidError{Type: r.ResourceType(), SourceKind: string(kind), SourceID: id, Issues: issues}
		}
		sr, ok := keysOf(r)
		if ok {
			sr.Body = body
		} else if sr, err = SearchKeys(body); err != nil {
			return nil, fmt.Errorf("projection: index %s from %s %s: %w", r.ResourceType(), kind, id, err)
		}
		sr.SourceKind, sr.SourceID = kind, id
		out = append(out, sr)
	}
	return out, nil
}

// Write builds the store write of a record: its canonical body and its
// validated projection. Origin and Enqueue are left to the caller.
func (p *Projector) Write(rec clinic.Record) (store.Write, error) {
	rs, err := p.tr.ToFHIR(rec)
	if err != nil {
		return store.Write{}, fmt.Errorf("projection: translate %s %s: %w", rec.RecordKind(), rec.RecordID(), err)
	}
	proj, err := p.Resources(rec.RecordKind(), rec.RecordID(), rs)
	if err != nil {
		return store.Write{}, err
	}
	body, err := clinic.Encode(rec)
	if err != nil {
		return store.Write{}, fmt.Errorf("projection: encode %s %s: %w", rec.RecordKind(), rec.RecordID(), err)
	}
	return store.Write{
		Kind: rec.RecordKind(), ID: rec.RecordID(), Version: rec.RecordVersion(), PatientID: rec.PatientID(),
		Body: body, Resources: proj,
	}, nil
}

// Puller maps upstream orders to clinic records and their writes for the
// sync's pull (it satisfies adapter/sync.Puller).
type Puller struct {
	P *Projector
}

// Records validates one upstream resource and maps it to clinic records.
func (pl Puller) Records(_ context.Context, resource []byte) ([]clinic.Record, error) {
	if issues := pl.P.v.Validate(resource); conformance.HasErrors(issues) {
		return nil, fmt.Errorf("projection: the upstream resource is not valid R4: %s", issuesText(issues))
	}
	res, err := r4.Unmarshal(resource)
	if err != nil {
		return nil, fmt.Errorf("projection: read upstream resource: %w", err)
	}
	recs, err := pl.P.tr.ToClinic(res)
	if err != nil {
		return nil, fmt.Errorf("projection: map upstream resource: %w", err)
	}
	return recs, nil
}

// Write builds the write of a pulled record at version, as a clinic PUT of
// it would be stored.
func (pl Puller) Write(_ context.Context, rec clinic.Record, version int) (store.Write, error) {
	if err := setVersion(rec, version); err != nil {
		return store.Write{}, err
	}
	return pl.P.Write(rec)
}

func setVersion(rec clinic.Record, version int) error {
	switch r := rec.(type) {
	case *clinic.Patient:
		r.Version = version
	case *clinic.Practitioner:
		r.Version = version
	case *clinic.Plan:
		r.Version = version
	case *clinic.Administration:
		r.Version = version
	case *clinic.Reaction:
		r.Version = version
	default:
		return errors.New("projection: not a clinic record")
	}
	return nil
}

func issuesText(issues []conformance.Issue) string {
	var b strings.Builder
	for i, is := range issues {
		if i > 0 {
			b.WriteString("; ")
		}
		if is.Expression != "" {
			b.WriteString(is.Expression + ": ")
		}
		b.WriteString(is.Diagnostics)
	}
	return b.String()
}

// resourceJSON is the part of any resource the search keys come from.
type resourceJSON struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id"`
	Identifier   json.RawMessage `json:"identifier"`
	Status       string          `json:"status"`
	Subject      *reference      `json:"subject"`
	Patient      *reference      `json:"patient"`
	Request      *reference      `json:"request"`
	// Dates, by type.
	BirthDate          string  `json:"birthDate"`
	AuthoredOn         string  `json:"authoredOn"`
	EffectiveDateTime  string  `json:"effectiveDateTime"`
	EffectiveInstant   string  `json:"effectiveInstant"`
	EffectivePeriod    *period `json:"effectivePeriod"`
	Date               string  `json:"date"`
	RecordedDate       string  `json:"recordedDate"`
	IdentifiedDateTime string  `json:"identifiedDateTime"`
	IdentifiedPeriod   *period `json:"identifiedPeriod"`
	ClinicalStatus     *struct {
		Coding []struct {
			Code string `json:"code"`
		} `json:"coding"`
	} `json:"clinicalStatus"`
}

type reference struct {
	Reference string `json:"reference"`
}

type period struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type identifierJSON struct {
	System string `json:"system"`
	Value  string `json:"value"`
}

// SearchKeys extracts the facade's search keys from a resource's JSON; the
// date parameter and status of each type are those of searchParams.
func SearchKeys(body []byte) (store.Resource, error) {
	var r resourceJSON
	if err := json.Unmarshal(body, &r); err != nil {
		return store.Resource{}, fmt.Errorf("read resource: %w", err)
	}
	if r.ResourceType == "" || r.ID == "" {
		return store.Resource{}, fmt.Errorf("resource without resourceType or id")
	}
	sr := store.Resource{Type: r.ResourceType, ID: r.ID, Body: body}
	// identifier is 0..* on most types and 0..1 (an object) on AdverseEvent.
	if len(r.Identifier) > 0 {
		var ids []identifierJSON
		if r.Identifier[0] == '{' {
			var one identifierJSON
			if err := json.Unmarshal(r.Identifier, &one); err != nil {
				return store.Resource{}, fmt.Errorf("read identifier: %w", err)
			}
			ids = append(ids, one)
		} else if err := json.Unmarshal(r.Identifier, &ids); err != nil {
			return store.Resource{}, fmt.Errorf("read identifier: %w", err)
		}
		for _, id := range ids {
			if id.Value != "" {
				sr.Identifiers = append(sr.Identifiers, id.System+"|"+id.Value)
			}
		}
	}
	refs := map[string]string{}
	if r.Subject != nil && r.Subject.Reference != "" {
		refs["subject"] = r.Subject.Reference
	}
	if r.Patient != nil && r.Patient.Reference != "" {
		refs["patient"] = r.Patient.Reference
	} else if r.Subject != nil && strings.HasPrefix(r.Subject.Reference, "Patient/") {
		refs["patient"] = r.Subject.Reference
	}
	if r.Request != nil && r.Request.Reference != "" {
		refs["request"] = r.Request.Reference
	}
	if len(refs) > 0 {
		sr.Refs = refs
	}
	if r.ResourceType == "Patient" {
		sr.PatientID = r.ID
	} else if p, ok := strings.CutPrefix(refs["patient"], "Patient/"); ok {
		sr.PatientID = p
	}
	switch r.ResourceType {
	case "AllergyIntolerance", "Condition":
		if r.ClinicalStatus != nil && len(r.ClinicalStatus.Coding) > 0 {
			sr.Status = r.ClinicalStatus.Coding[0].Code
		}
	default:
		sr.Status = r.Status
	}
	switch r.ResourceType {
	case "Patient":
		sr.Date = r.BirthDate
	case "MedicationRequest":
		sr.Date = r.AuthoredOn
	case "MedicationAdministration", "Observation":
		sr.Date = first(r.EffectiveDateTime, r.EffectiveInstant, start(r.EffectivePeriod))
	case "AdverseEvent":
		sr.Date = r.Date
	case "AllergyIntolerance", "Condition":
		sr.Date = r.RecordedDate
	case "DetectedIssue":
		sr.Date = first(r.IdentifiedDateTime, start(r.IdentifiedPeriod))
	}
	return sr, nil
}

func start(p *period) string {
	if p == nil {
		return ""
	}
	return first(p.Start, p.End)
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
