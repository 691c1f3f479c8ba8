// Package storetest is the conformance suite every store.Store
// implementation runs: the same table-driven tests for SQLite and
// PostgreSQL, so the two cannot drift apart.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Opener opens a fresh, empty store for one test, applying opts, and
// closes it when the test ends.
type Opener func(t *testing.T, opts ...store.Option) store.Store

// Clock is a settable clock for store.WithClock: tests move time instead
// of sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now reports the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// epoch is where every test clock starts.
var epoch = time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"PutRecordOutcomes", testPutRecordOutcomes},
		{"PutRecordInvalid", testPutRecordInvalid},
		{"GetRecordNotFound", testGetRecordNotFound},
		{"ReadMany", testReadMany},
		{"ListRecords", testListRecords},
		{"ProjectionVersions", testProjectionVersions},
		{"SearchResources", testSearchResources},
		{"IdentifiersFollowVersions", testIdentifiersFollowVersions},
		{"SearchDates", testSearchDates},
		{"SearchLastUpdated", testSearchLastUpdated},
		{"SearchPaging", testSearchPaging},
		{"SearchInvalid", testSearchInvalid},
		{"ConcurrentVersions", testConcurrentVersions},
		{"OutboxLanes", testOutboxLanes},
		{"OutboxRetryAndLease", testOutboxRetryAndLease},
		{"OutboxDeadLetterIsolation", testOutboxDeadLetterIsolation},
		{"OutboxCompleteAndSyncState", testOutboxCompleteAndSyncState},
		{"OutboxConcurrentClaims", testOutboxConcurrentClaims},
		{"OutboxCompleteBatch", testOutboxCompleteBatch},
		{"PruneOutbox", testPruneOutbox},
		{"PulledDeadLetters", testPulledDeadLetters},
		{"PutResources", testPutResources},
		{"SharedResource", testSharedResource},
		{"Watermarks", testWatermarks},
		{"UnchangedWritesNothing", testUnchangedWritesNothing},
		{"PutRecordsGroup", testPutRecordsGroup},
		{"PutRecordsGroupFresh", testPutRecordsGroupFresh},
		{"PutRecordsConcurrent", testPutRecordsConcurrent},
		{"PutRecordCheck", testPutRecordCheck},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // every test has a store of its own
			tt.fn(t, open)
		})
	}
}

// MultiOpener opens n stores on one fresh, empty database, as n instances
// of ivbridge sharing it would, and closes them when the test ends.
type MultiOpener func(t *testing.T, n int, opts ...store.Option) []store.Store

// RunMultiInstance runs the races across several instances of one
// database: versions of one record written through different instances,
// and outbox workers claiming through different instances.
func RunMultiInstance(t *testing.T, open MultiOpener) {
	t.Run("ConcurrentVersions", func(t *testing.T) {
		t.Parallel()
		concurrentVersions(t, open(t, 3))
	})
	t.Run("ConcurrentClaims", func(t *testing.T) {
		t.Parallel()
		concurrentClaims(t, open(t, 3))
	})
	t.Run("SharedResource", func(t *testing.T) {
		t.Parallel()
		sharedResource(t, open(t, 3))
	})
	t.Run("SeqVisibleInOrder", func(t *testing.T) {
		t.Parallel()
		seqVisibleInOrder(t, open(t, 2))
	})
	t.Run("GroupsRace", func(t *testing.T) {
		t.Parallel()
		stores := open(t, 3)
		var gs []store.GroupWriter
		for _, st := range stores {
			gs = append(gs, groupWriter(t, st))
		}
		groupsRace(t, gs, stores[0])
	})
}

// --- helpers -------------------------------------------------------------

func openAt(t *testing.T, open Opener) (store.Store, *Clock) {
	t.Helper()
	c := NewClock(epoch)
	return open(t, store.WithClock(c.Now)), c
}

func body(kind clinic.Kind, id string, version int, extra string) []byte {
	return fmt.Appendf(nil, `{"kind":%q,"id":%q,"version":%d%s}`, kind, id, version, extra)
}

func write(kind clinic.Kind, id string, version int, patient string, rs ...store.Resource) store.Write {
	return store.Write{
		Kind: kind, ID: id, Version: version, PatientID: patient,
		Body: body(kind, id, version, ""), Origin: store.OriginClinic,
		Resources: rs, Enqueue: true,
	}
}

func res(typ, id, patient, status, date string, idents ...string) store.Resource {
	return store.Resource{
		Type: typ, ID: id, PatientID: patient, Status: status, Date: date, Identifiers: idents,
		Body: fmt.Appendf(nil, `{"resourceType":%q,"id":%q,"status":%q}`, typ, id, status),
	}
}

func mustPut(t *testing.T, s store.Store, w store.Write, want store.PutResult) {
	t.Helper()
	got, err := s.PutRecord(context.Background(), w)
	if err != nil {
		t.Fatalf("PutRecord(%s/%s v%d): %v", w.Kind, w.ID, w.Version, err)
	}
	if got != want {
		t.Fatalf("PutRecord(%s/%s v%d) = %v, want %v", w.Kind, w.ID, w.Version, got, want)
	}
}

func claim(t *testing.T, s store.Store, owner string, limit int, lease time.Duration) []store.OutboxItem {
	t.Helper()
	items, err := s.ClaimOutbox(context.Background(), owner, limit, lease)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	return items
}

func itemKeys(items []store.OutboxItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprintf("%s/%s@%d", it.Kind, it.ID, it.Version)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
