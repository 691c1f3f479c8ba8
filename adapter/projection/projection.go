// Package projection turns clinic records into the FHIR projection ivbridge
// stores: the translator's resources, each checked by the conformance
// validator (nothing invalid is stored, served or synced) and indexed with
// the search keys of the facade. The service uses it for clinic PUTs and
// the sync for pulled orders, so both store the same thing.
package projection

import (
	"context"
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
		if !ok {
			return nil, fmt.Errorf("projection: index %s from %s %s: no id, or a type the facade does not index", r.ResourceType(), kind, id)
		}
		sr.Body = body
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

// SearchKeys extracts the facade's search keys from a resource's JSON
// (keysOf of what the r4 codec reads); a resource without resourceType
// or id, or of a type the facade does not index, is refused.
func SearchKeys(body []byte) (store.Resource, error) {
	res, err := r4.Unmarshal(body)
	if err != nil {
		return store.Resource{}, fmt.Errorf("read resource: %w", err)
	}
	sr, ok := keysOf(res)
	if !ok {
		return store.Resource{}, fmt.Errorf("no search keys for a %q without id or of a type the facade does not index", res.ResourceType())
	}
	sr.Body = body
	return sr, nil
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
