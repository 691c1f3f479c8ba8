package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Status is the sync's health: GET /sync/v1/status and /metrics.
type Status struct {
	QueueDepth int `json:"queue_depth"`
	// OldestPending is when the oldest pending entry was queued.
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
	// OldestPendingAgeSeconds is its age now (0 when nothing is pending).
	OldestPendingAgeSeconds float64        `json:"oldest_pending_age_seconds"`
	DeadLetters             int            `json:"dead_letters"`
	LastSuccess             *time.Time     `json:"last_success,omitempty"`
	Upstream                UpstreamStatus `json:"upstream"`
	Pull                    PullStatus     `json:"pull"`
}

// UpstreamStatus describes the connection to the upstream.
type UpstreamStatus struct {
	URL string `json:"url"`
	// Reachable: the upstream answered more recently than it failed.
	Reachable   bool       `json:"reachable"`
	LastContact *time.Time `json:"last_contact,omitempty"`
	LastFailure *time.Time `json:"last_failure,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	// Mode is how records are written: transaction, batch or single
	// ("" until the CapabilityStatement has been read).
	Mode string `json:"mode"`
}

// PullStatus describes the pull poller.
type PullStatus struct {
	Enabled   bool       `json:"enabled"`
	Watermark string     `json:"watermark,omitempty"`
	LastRun   *time.Time `json:"last_run,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	// Pulled counts the records stored by the pull since start.
	Pulled int64 `json:"pulled"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// Status gathers the sync's numbers.
func (s *Syncer) Status(ctx context.Context) (Status, error) {
	stats, err := s.st.OutboxStats(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("sync: status: %w", err)
	}
	st := Status{
		QueueDepth:    stats.Pending,
		OldestPending: timePtr(stats.OldestPending),
		DeadLetters:   stats.DeadLetters,
		LastSuccess:   timePtr(stats.LastSuccess),
	}
	if !stats.OldestPending.IsZero() {
		st.OldestPendingAgeSeconds = max(0, s.cfg.Now().Sub(stats.OldestPending).Seconds())
	}
	ok, failed, lastErr := s.up.Reachability()
	_, mode := s.capabilities()
	st.Upstream = UpstreamStatus{
		URL:         s.up.BaseURL(),
		Reachable:   !ok.IsZero() && !ok.Before(failed),
		LastContact: timePtr(ok),
		LastFailure: timePtr(failed),
		Mode:        mode,
	}
	if !st.Upstream.Reachable {
		st.Upstream.LastError = lastErr
	}
	s.mu.Lock()
	st.Pull = s.pullState
	s.mu.Unlock()
	st.Pull.Enabled = s.pull != nil && s.cfg.PullInterval > 0
	st.Pull.Pulled = s.counters.pulled.Load()
	return st, nil
}

// RecordState is one clinic record's sync state:
// GET /clinic/v1/{kind}/{id}/sync.
type RecordState struct {
	Kind    clinic.Kind `json:"kind"`
	ID      string      `json:"id"`
	Version int         `json:"version"`
	Origin  string      `json:"origin"`
	// State is "synced" (the current version reached the upstream),
	// "pending", "dead-letter" (see DeadLetterID) or "upstream" (the
	// record came from the upstream and is not pushed back).
	State         string          `json:"state"`
	SyncedVersion int             `json:"synced_version"`
	Resources     []ResourceState `json:"resources"`
	LastAttempt   *time.Time      `json:"last_attempt,omitempty"`
	LastError     string          `json:"last_error,omitempty"`
	DeadLetterID  int64           `json:"dead_letter_id,omitempty"`
}

// ResourceState is where one FHIR resource of a record lives upstream.
type ResourceState struct {
	Type            string `json:"type"`
	ID              string `json:"id"`
	UpstreamID      string `json:"upstream_id,omitempty"`
	UpstreamVersion string `json:"upstream_version,omitempty"`
}

// RecordSync returns a record's sync state; store.ErrNotFound when there
// is no such record.
func (s *Syncer) RecordSync(ctx context.Context, kind clinic.Kind, id string) (RecordState, error) {
	rec, err := s.st.GetRecord(ctx, kind, id)
	if err != nil {
		return RecordState{}, fmt.Errorf("sync: record state: %w", err)
	}
	state, err := s.st.GetSyncState(ctx, kind, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return RecordState{}, fmt.Errorf("sync: record state: %w", err)
	}
	rs := RecordState{
		Kind: kind, ID: id, Version: rec.Version, Origin: string(rec.Origin),
		SyncedVersion: state.SyncedVersion,
		LastAttempt:   timePtr(state.LastAttempt),
		LastError:     state.LastError,
		Resources:     []ResourceState{},
	}
	for _, d := range state.Deliveries {
		if d.UpstreamID == "" {
			continue // deleted upstream (a tombstone)
		}
		rs.Resources = append(rs.Resources, ResourceState{Type: d.Type, ID: d.ID, UpstreamID: d.UpstreamID, UpstreamVersion: d.UpstreamVersion})
	}
	switch {
	case rec.Origin == store.OriginUpstream && state.SyncedVersion < rec.Version:
		rs.State = "upstream"
	case state.SyncedVersion >= rec.Version:
		rs.State = "synced"
	default:
		rs.State = "pending"
		dls, err := s.st.ListDeadLetters(ctx)
		if err != nil {
			return RecordState{}, fmt.Errorf("sync: record state: %w", err)
		}
		for _, d := range dls {
			if d.Seq != 0 && d.Kind == kind && d.RecordID == id {
				rs.State, rs.DeadLetterID = "dead-letter", d.ID
				if rs.LastError == "" {
					rs.LastError = d.Reason
				}
			}
		}
	}
	return rs, nil
}

// DeadLetters lists the dead letters.
func (s *Syncer) DeadLetters(ctx context.Context) ([]store.DeadLetter, error) {
	dls, err := s.st.ListDeadLetters(ctx)
	if err != nil {
		return nil, fmt.Errorf("sync: dead letters: %w", err)
	}
	return dls, nil
}

// Replay puts a dead letter back: an outbox entry becomes pending again
// (and its patient's later records flow after it); a refused pulled order
// is mapped again from the stored upstream resource (store.ErrInvalid
// when it still cannot be). store.ErrNotFound when there is no such dead
// letter.
func (s *Syncer) Replay(ctx context.Context, id int64) error {
	dls, err := s.st.ListDeadLetters(ctx)
	if err != nil {
		return fmt.Errorf("sync: replay: %w", err)
	}
	for _, d := range dls {
		if d.ID != id {
			continue
		}
		if d.Seq == 0 && len(d.Payload) > 0 && s.pull != nil {
			if err := s.storePulled(ctx, d.Payload); err != nil {
				var unm *unmappableError
				if errors.As(err, &unm) {
					// Still unmappable: the cause is not fixed yet.
					return fmt.Errorf("sync: replay of pulled order: %w: %w", store.ErrInvalid, err)
				}
				return fmt.Errorf("sync: replay of pulled order: %w", err)
			}
		}
		if err := s.st.ReplayDeadLetter(ctx, id); err != nil {
			return fmt.Errorf("sync: replay: %w", err)
		}
		s.Notify()
		return nil
	}
	return fmt.Errorf("sync: replay dead letter %d: %w", id, store.ErrNotFound)
}

// Collector exports the sync's numbers for Prometheus (register it on the
// service's registry).
func (s *Syncer) Collector() prometheus.Collector { return &collector{s: s} }

type collector struct{ s *Syncer }

var (
	descQueue       = prometheus.NewDesc("ivbridge_sync_queue_depth", "Outbox entries waiting to reach the upstream.", nil, nil)
	descOldest      = prometheus.NewDesc("ivbridge_sync_oldest_pending_age_seconds", "Age of the oldest pending outbox entry (0 when none).", nil, nil)
	descDead        = prometheus.NewDesc("ivbridge_sync_dead_letters", "Dead letters waiting for replay.", nil, nil)
	descLastSuccess = prometheus.NewDesc("ivbridge_sync_last_success_timestamp_seconds", "When a record last reached the upstream (Unix time, 0 for never).", nil, nil)
	descReachable   = prometheus.NewDesc("ivbridge_sync_upstream_reachable", "1 when the upstream answered more recently than it failed.", nil, nil)
	descPushed      = prometheus.NewDesc("ivbridge_sync_pushed_resources_total", "FHIR resources written to the upstream.", nil, nil)
	descRecords     = prometheus.NewDesc("ivbridge_sync_pushed_records_total", "Outbox entries completed.", nil, nil)
	descRetried     = prometheus.NewDesc("ivbridge_sync_retried_total", "Outbox entries released for a later retry.", nil, nil)
	descDeadTotal   = prometheus.NewDesc("ivbridge_sync_dead_lettered_total", "Outbox entries moved to the dead letters.", nil, nil)
	descConflicts   = prometheus.NewDesc("ivbridge_sync_conflicts_total", "409/412 answers resolved by re-applying the clinic's elements.", nil, nil)
	descBundles     = prometheus.NewDesc("ivbridge_sync_bundles_total", "Batch/transaction Bundles posted.", nil, nil)
	descSplits      = prometheus.NewDesc("ivbridge_sync_bundle_splits_total", "Bundles split after the upstream refused them as too large.", nil, nil)
	descPulled      = prometheus.NewDesc("ivbridge_sync_pulled_total", "Records stored from the upstream by the pull.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueue, descOldest, descDead, descLastSuccess, descReachable, descPushed, descRecords, descRetried, descDeadTotal, descConflicts, descBundles, descSplits, descPulled} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if st, err := c.s.Status(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(st.QueueDepth))
		ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, st.OldestPendingAgeSeconds)
		ch <- prometheus.MustNewConstMetric(descDead, prometheus.GaugeValue, float64(st.DeadLetters))
		last := 0.0
		if st.LastSuccess != nil {
			last = float64(st.LastSuccess.UnixMilli()) / 1000
		}
		ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, last)
		reach := 0.0
		if st.Upstream.Reachable {
			reach = 1
		}
		ch <- prometheus.MustNewConstMetric(descReachable, prometheus.GaugeValue, reach)
	} else {
		ch <- prometheus.NewInvalidMetric(descQueue, err)
	}
	k := &c.s.counters
	for _, m := range []struct {
		d *prometheus.Desc
		v int64
	}{
		{descPushed, k.pushedResources.Load()}, {descRecords, k.pushedRecords.Load()}, {descRetried, k.retried.Load()},
		{descDeadTotal, k.deadLettered.Load()}, {descConflicts, k.conflicts.Load()}, {descBundles, k.bundles.Load()},
		{descSplits, k.bundleSplits.Load()}, {descPulled, k.pulled.Load()},
	} {
		ch <- prometheus.MustNewConstMetric(m.d, prometheus.CounterValue, float64(m.v))
	}
}
