package sync_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// TestConflictReapplies: someone changes a synced resource upstream; the
// clinic's next version meets 412 (If-Match on the version ivbridge
// wrote), re-reads, re-applies the clinic's elements and keeps the
// upstream's own ones.
func TestConflictReapplies(t *testing.T) {
	base := upstreamtest.Start(t)
	st := openStore(t, t.TempDir())
	up := newClient(t, base, upstream.Config{})
	s := newSyncer(t, st, up, sync.Config{Workers: 1})
	runSyncer(t, s)
	put(t, st, patientWrite("conf", 1))
	waitDrained(t, st, 20*time.Second)

	// The upstream's own change: another identifier, an address, a tag.
	ctx := context.Background()
	id := fhirID("Patient", "patient", "conf")
	cur, err := up.Read(ctx, "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(cur.Body, &m); err != nil {
		t.Fatal(err)
	}
	m["identifier"] = append(m["identifier"].([]any), map[string]any{"system": "http://hospital.example/mrn", "value": "H-1"})
	m["address"] = []any{map[string]any{"city": "Springfield"}}
	m["name"] = []any{map[string]any{"family": "ChangedUpstream"}}
	m["meta"] = map[string]any{"tag": []any{map[string]any{"system": "http://hospital.example/tags", "code": "reviewed"}}}
	body, _ := json.Marshal(m)
	if _, err := up.Update(ctx, "Patient", id, body, cur.ETag()); err != nil {
		t.Fatal(err)
	}

	put(t, st, patientWrite("conf", 2))
	s.Notify()
	waitDrained(t, st, 20*time.Second)
	if stats, _ := st.OutboxStats(ctx); stats.DeadLetters != 0 {
		dls, _ := st.ListDeadLetters(ctx)
		t.Fatalf("dead letters: %+v", dls)
	}
	got, err := up.Read(ctx, "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"family":"Version2"`, `"http://hospital.example/mrn"`, `"Springfield"`, `"reviewed"`, `"value":"conf"`} {
		if !bytes.Contains(got.Body, []byte(want)) {
			t.Errorf("upstream copy lacks %s: %s", want, got.Body)
		}
	}
	if bytes.Contains(got.Body, []byte("ChangedUpstream")) {
		t.Errorf("the clinic's name was not re-applied: %s", got.Body)
	}
}

// TestConflictGivesUp: an upstream that answers 412 to every write makes
// the record dead-letter with the reason after the bounded re-applies.
func TestConflictGivesUp(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	st := openStore(t, t.TempDir())
	up := newClient(t, proxy.URL(), upstream.Config{})
	s := newSyncer(t, st, up, sync.Config{Workers: 1, Mode: sync.ModeSingle, ConflictRetries: 2})
	runSyncer(t, s)
	put(t, st, patientWrite("stuck", 1))
	waitDrained(t, st, 20*time.Second)
	var script []scripted
	for range 3 {
		script = append(script, scripted{status: http.StatusPreconditionFailed, only: "PUT /Patient"})
	}
	proxy.addScript(script...)
	put(t, st, patientWrite("stuck", 2))
	s.Notify()
	deadline := time.Now().Add(20 * time.Second)
	for {
		dls, err := s.DeadLetters(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(dls) == 1 {
			if !bytes.Contains([]byte(dls[0].Reason), []byte("conflict")) {
				t.Fatalf("reason %q does not say conflict", dls[0].Reason)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no dead letter after repeated 412")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestInvalidMergeIsNotSent: the upstream holds something the clinic
// doesn't own and that isn't valid R4 (Medplum accepts a bad code in a
// required binding; address.use must be home, work, temp, old or billing).
// Re-applying the clinic's version on top of it would send invalid FHIR,
// so the record is dead-lettered with ivbridge's own OperationOutcome and
// nothing is written.
func TestInvalidMergeIsNotSent(t *testing.T) {
	base := upstreamtest.Start(t)
	st := openStore(t, t.TempDir())
	up := newClient(t, base, upstream.Config{})
	s := newSyncer(t, st, up, sync.Config{Workers: 1})
	runSyncer(t, s)
	put(t, st, patientWrite("merge-bad", 1))
	waitDrained(t, st, 20*time.Second)

	ctx := context.Background()
	id := fhirID("Patient", "patient", "merge-bad")
	cur, err := up.Read(ctx, "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(cur.Body, &m); err != nil {
		t.Fatal(err)
	}
	m["address"] = []any{map[string]any{"use": "holiday", "city": "Springfield"}}
	body, _ := json.Marshal(m)
	if _, err := up.Update(ctx, "Patient", id, body, cur.ETag()); err != nil {
		t.Fatalf("the upstream refused the bad code (the test needs it to accept it): %v", err)
	}

	put(t, st, patientWrite("merge-bad", 2))
	s.Notify()
	waitDrained(t, st, 20*time.Second)
	dls, err := st.ListDeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || !bytes.Contains([]byte(dls[0].Reason), []byte("not valid R4")) ||
		!bytes.Contains(dls[0].Outcome, []byte("OperationOutcome")) || !bytes.Contains(dls[0].Outcome, []byte("address")) {
		t.Fatalf("dead letters = %+v, want one naming the invalid merge with an OperationOutcome about address", dls)
	}
	got, err := up.Read(ctx, "Patient", id)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got.Body, []byte("Version2")) {
		t.Errorf("the invalid merge was sent: %s", got.Body)
	}
}
