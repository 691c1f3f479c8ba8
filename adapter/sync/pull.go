package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Puller maps upstream resources to clinic records for the pull.
type Puller interface {
	// Records maps one upstream resource (JSON) to the clinic records it
	// stands for. An error means the clinic model cannot represent it;
	// the resource goes to the dead letters with the error as reason.
	Records(ctx context.Context, resource []byte) ([]clinic.Record, error)
	// Write builds the store write of a pulled record at version: its
	// canonical body with that version and its FHIR projection, exactly as
	// the service stores a clinic PUT. Origin and Enqueue are set by the
	// syncer.
	Write(ctx context.Context, rec clinic.Record, version int) (store.Write, error)
}

// watermarkPrefix names the pull's watermarks in the store, one per type.
const watermarkPrefix = "pull:"

// pollLoop runs the pull every PullInterval until ctx ends.
func (s *Syncer) pollLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.PullInterval)
	defer t.Stop()
	for {
		if err := s.PullOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("pull failed", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PullOnce reads the MedicationRequests changed upstream since the stored
// watermark (following next links) and stores those about clinic patients
// as plan records with Origin upstream. ivbridge's own writes are
// recognised (the clinic identifier namespace, or a FHIR id the store
// holds as a projection) and skipped. The watermark is the largest
// meta.lastUpdated seen — the server's clock, never ours — and each poll
// re-reads PullOverlap before it, deduplicated, so a write committed late
// with an earlier timestamp is not missed.
func (s *Syncer) PullOnce(ctx context.Context) error {
	if s.pull == nil {
		return errors.New("sync: pull is not configured")
	}
	firstErr := s.pullType(ctx, "MedicationRequest")
	now := s.cfg.Now()
	s.mu.Lock()
	s.pullState.LastRun = timePtr(now)
	s.pullState.LastError = ""
	if firstErr != nil {
		s.pullState.LastError = firstErr.Error()
	}
	s.mu.Unlock()
	return firstErr
}

func (s *Syncer) pullType(ctx context.Context, typ string) error {
	wmName := watermarkPrefix + typ
	wm, err := s.st.Watermark(ctx, wmName)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("sync: pull watermark: %w", err)
	}
	q := url.Values{"_sort": {"_lastUpdated"}, "_count": {"200"}}
	if wm != "" {
		t, err := time.Parse(time.RFC3339Nano, wm)
		if err != nil {
			return fmt.Errorf("sync: pull watermark %q: %w", wm, err)
		}
		q.Set("_lastUpdated", "gt"+t.Add(-s.cfg.PullOverlap).UTC().Format(time.RFC3339Nano))
	}
	newest := wm
	var newestT time.Time
	if wm != "" {
		newestT, _ = time.Parse(time.RFC3339Nano, wm)
	}
	err = s.up.Search(ctx, typ, q, func(e upstream.Entry) error {
		if len(e.Resource) == 0 {
			return nil
		}
		lu, err := s.pullOne(ctx, e.Resource)
		if err != nil {
			return err
		}
		if t, perr := time.Parse(time.RFC3339Nano, lu); perr == nil && t.After(newestT) {
			newestT, newest = t, lu
		}
		return nil
	})
	if newest != wm && newest != "" {
		// Advance even after a failure part-way: everything up to newest
		// was handled (the pages are sorted by _lastUpdated).
		if serr := s.st.SetWatermark(ctx, wmName, newest); serr != nil && err == nil {
			err = fmt.Errorf("sync: saving pull watermark: %w", serr)
		}
		s.mu.Lock()
		s.pullState.Watermark = newest
		s.mu.Unlock()
	}
	return err
}

// pulledMeta is what the pull reads of an upstream resource before mapping.
type pulledMeta struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		VersionID   string `json:"versionId"`
		LastUpdated string `json:"lastUpdated"`
		Source      string `json:"source"`
	} `json:"meta"`
	Identifier json.RawMessage `json:"identifier"`
	Subject    *struct {
		Reference string `json:"reference"`
	} `json:"subject"`
	Patient *struct {
		Reference string `json:"reference"`
	} `json:"patient"`
}

// pullOne handles one upstream resource and returns its meta.lastUpdated.
// Only store failures are returned: an unmappable order is dead-lettered.
func (s *Syncer) pullOne(ctx context.Context, body []byte) (string, error) {
	var m pulledMeta
	if err := json.Unmarshal(body, &m); err != nil {
		return "", nil // not a resource: nothing to do, nothing to advance
	}
	if s.ownWrite(ctx, &m) {
		return m.Meta.LastUpdated, nil
	}
	ref := ""
	if m.Subject != nil {
		ref = m.Subject.Reference
	} else if m.Patient != nil {
		ref = m.Patient.Reference
	}
	patientFHIRID, ok := strings.CutPrefix(ref, "Patient/")
	if !ok {
		return m.Meta.LastUpdated, nil
	}
	pat, err := s.st.GetResource(ctx, "Patient", patientFHIRID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && pat.Deleted) {
		return m.Meta.LastUpdated, nil // not a clinic patient
	}
	if err != nil {
		return "", fmt.Errorf("sync: pull: patient lookup: %w", err)
	}
	seenKey := m.ResourceType + "/" + m.ID + "/" + m.Meta.VersionID
	if s.seenPulled(seenKey, false) {
		return m.Meta.LastUpdated, nil
	}
	if err := s.storePulled(ctx, body); err != nil {
		var unm *unmappableError
		if !errors.As(err, &unm) {
			return "", err
		}
		_, derr := s.st.AddDeadLetter(ctx, store.DeadLetter{
			Kind: clinic.KindPlan, RecordID: m.ResourceType + "/" + m.ID, PatientID: pat.SourceID,
			Reason: unm.Error(), Payload: body,
		})
		if derr != nil {
			return "", fmt.Errorf("sync: pull: dead letter: %w", derr)
		}
		s.counters.deadLettered.Add(1)
	}
	s.seenPulled(seenKey, true)
	return m.Meta.LastUpdated, nil
}

// unmappableError: the clinic model cannot represent a pulled resource.
type unmappableError struct{ err error }

func (e *unmappableError) Error() string { return "unmappable upstream order: " + e.err.Error() }
func (e *unmappableError) Unwrap() error { return e.err }

// storePulled maps a pulled resource and stores its records.
func (s *Syncer) storePulled(ctx context.Context, body []byte) error {
	recs, err := s.pull.Records(ctx, body)
	if err != nil {
		return &unmappableError{err: err}
	}
	for _, rec := range recs {
		existing, err := s.st.GetRecord(ctx, rec.RecordKind(), rec.RecordID())
		version := 1
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return fmt.Errorf("sync: pull: %w", err)
		case existing.Origin == store.OriginClinic:
			// The clinic owns this record: the upstream's copy does not
			// replace it.
			continue
		default:
			same, err := s.pull.Write(ctx, rec, existing.Version)
			if err != nil {
				return &unmappableError{err: err}
			}
			if bytes.Equal(same.Body, existing.Body) {
				continue
			}
			version = existing.Version + 1
		}
		w, err := s.pull.Write(ctx, rec, version)
		if err != nil {
			return &unmappableError{err: err}
		}
		w.Origin, w.Enqueue = store.OriginUpstream, false
		if _, err := s.st.PutRecord(ctx, w); err != nil {
			if errors.Is(err, store.ErrStale) || errors.Is(err, store.ErrConflict) {
				continue // a concurrent pull stored it
			}
			return fmt.Errorf("sync: pull: storing %s: %w", rec.RecordKind(), err)
		}
		s.counters.pulled.Add(1)
	}
	return nil
}

// ownWrite recognises what ivbridge itself wrote upstream: a clinic
// identifier in our namespace, or a FHIR id the store holds as the
// projection of a clinic record.
func (s *Syncer) ownWrite(ctx context.Context, m *pulledMeta) bool {
	if s.cfg.Namespace != "" && len(m.Identifier) > 0 && bytes.Contains(m.Identifier, []byte(`"`+s.cfg.Namespace)) {
		var ids []struct {
			System string `json:"system"`
		}
		if json.Unmarshal(m.Identifier, &ids) != nil {
			var one struct {
				System string `json:"system"`
			}
			if json.Unmarshal(m.Identifier, &one) == nil {
				ids = append(ids, one)
			}
		}
		for _, id := range ids {
			if strings.HasPrefix(id.System, s.cfg.Namespace) {
				return true
			}
		}
	}
	if r, err := s.st.GetResource(ctx, m.ResourceType, m.ID); err == nil && r.SourceID != "" {
		rec, err := s.st.GetRecord(ctx, r.SourceKind, r.SourceID)
		if err == nil && rec.Origin == store.OriginClinic {
			return true
		}
	}
	return false
}

// seenPulled remembers recently handled versions, so the overlap re-read
// does not map them again. It forgets everything past a bound; the store's
// unchanged-content check still prevents duplicate versions.
// With mark set it records k as handled.
func (s *Syncer) seenPulled(k string, mark bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pulledSeen == nil || len(s.pulledSeen) > 100000 {
		s.pulledSeen = map[string]bool{}
	}
	seen := s.pulledSeen[k]
	if mark {
		s.pulledSeen[k] = true
	}
	return seen
}
