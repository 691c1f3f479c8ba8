package httpapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/ivbridge/ivbridge/adapter/projection"
	"github.com/ivbridge/ivbridge/adapter/safety"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// project validates and indexes resources of the record (kind, id); a
// refused resource is a mapping bug, answered 500 with the validator's
// issues.
func (s *Server) project(kind clinic.Kind, id string, rs []r4.Resource) ([]store.Resource, []conformance.Issue, error) {
	out, err := s.projector.Resources(kind, id, rs)
	if err != nil {
		var ie *projection.InvalidError
		if errors.As(err, &ie) {
			return nil, ie.Issues, err
		}
		return nil, nil, err
	}
	return out, nil, nil
}

// recheck re-evaluates the patient's open plans after a change that can
// raise new findings (a patient's allergies or conditions, a reaction) and
// stores the resulting DetectedIssues, queued for sync. The record is
// already stored, so a failure here is logged, not answered.
func (s *Server) recheck(ctx context.Context, rec clinic.Record) {
	if s.cfg.Safety == nil {
		return
	}
	switch rec.(type) {
	case *clinic.Patient, *clinic.Reaction:
	default:
		return
	}
	if err := s.recheckPatient(ctx, rec.PatientID()); err != nil {
		s.log.ErrorContext(ctx, "safety recheck failed", "kind", string(rec.RecordKind()), "error", err.Error())
	}
}

// detectedIssues maps the safety findings on rec to DetectedIssues for its
// projection, validated like every other resource.
func (s *Server) detectedIssues(engine *safety.Engine, rec clinic.Record, res safety.Result) ([]store.Resource, []conformance.Issue, error) {
	if len(res.Findings) == 0 {
		return nil, nil, nil
	}
	dis := safety.DetectedIssues(s.cfg.Translator, engine.Rules(), rec, res.Findings)
	rs := make([]r4.Resource, 0, len(dis))
	for _, di := range dis {
		rs = append(rs, di)
	}
	return s.project(rec.RecordKind(), rec.RecordID(), rs)
}

// recheckPatient runs the safety re-check of a patient's open plans and
// stores the DetectedIssues found, each under its plan, queued for sync.
func (s *Server) recheckPatient(ctx context.Context, patientID string) error {
	engine := s.cfg.Safety(s.cfg.Store)
	results, err := engine.Recheck(ctx, patientID)
	if err != nil {
		return fmt.Errorf("recheck: %w", err)
	}
	var rs []store.Resource
	for planID, res := range results {
		if len(res.Findings) == 0 {
			continue
		}
		sr, err := s.cfg.Store.GetRecord(ctx, clinic.KindPlan, planID)
		if err != nil {
			return fmt.Errorf("recheck: read plan: %w", err)
		}
		plan, err := clinic.Decode(sr.Body)
		if err != nil {
			return fmt.Errorf("recheck: stored plan does not decode: %w", err)
		}
		dis, _, err := s.detectedIssues(engine, plan, res)
		if err != nil {
			return fmt.Errorf("recheck: %w", err)
		}
		rs = append(rs, dis...)
	}
	if len(rs) == 0 {
		return nil
	}
	if err := s.cfg.Store.PutResources(ctx, rs, true); err != nil {
		return fmt.Errorf("recheck: store DetectedIssues: %w", err)
	}
	return nil
}
