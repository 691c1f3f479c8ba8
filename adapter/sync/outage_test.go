package sync_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// outageRecords is the size of the outage tests: 500 patients with one
// plan each, 1,000 records.
const outagePatients = 500

// waitPendingBelow waits until fewer than n entries are pending.
func waitPendingBelow(t *testing.T, st store.Store, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		stats, err := st.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if stats.Pending < n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d pending after %s", stats.Pending, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func outageClient(t *testing.T, base string) *upstream.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return newClient(t, base, upstream.Config{
		RetryMax:   2,
		HTTPClient: &http.Client{Transport: tr, Timeout: 2 * time.Second},
	})
}

func assertAllOnce(t *testing.T, st store.Store, base string, pats, plans []string) {
	t.Helper()
	stats := waitDrained(t, st, 90*time.Second)
	if stats.DeadLetters != 0 {
		dls, _ := st.ListDeadLetters(context.Background())
		t.Fatalf("%d dead letters, first: %+v", len(dls), dls[0])
	}
	counts, _ := upstreamIdentifiers(t, base, "Patient")
	assertEachOnce(t, counts, pats)
	counts, _ = upstreamIdentifiers(t, base, "MedicationRequest")
	assertEachOnce(t, counts, plans)
}

// TestUpstreamPausedMidway pauses the real upstream (SIGSTOP: connections
// hang unanswered) in the middle of 1,000 records, then resumes it.
func TestUpstreamPausedMidway(t *testing.T) {
	srv := upstreamtest.StartServer(t)
	st := openStore(t, t.TempDir())
	pats, plans := records(t, st, "pause", outagePatients)
	s := newSyncer(t, st, outageClient(t, srv.URL), sync.Config{Workers: 4, ClaimLimit: 20, Lease: 30 * time.Second, LeaseMargin: 10 * time.Second})
	runSyncer(t, s)
	waitPendingBelow(t, st, 2*outagePatients*3/4, 60*time.Second)
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	stats, _ := st.OutboxStats(context.Background())
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	if stats.Pending == 0 {
		t.Fatal("the outage came too late: nothing was pending while the upstream was paused")
	}
	t.Logf("%d of %d records pending while paused", stats.Pending, 2*outagePatients)
	assertAllOnce(t, st, srv.URL, pats, plans)
}

// TestUpstreamCutMidway cuts every connection at the fault proxy (reset,
// no answer) in the middle of 1,000 records, then restores it.
func TestUpstreamCutMidway(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	st := openStore(t, t.TempDir())
	pats, plans := records(t, st, "cut", outagePatients)
	s := newSyncer(t, st, outageClient(t, proxy.URL()), sync.Config{Workers: 4, ClaimLimit: 20})
	runSyncer(t, s)
	waitPendingBelow(t, st, 2*outagePatients*3/4, 60*time.Second)
	proxy.setCut(true)
	time.Sleep(3 * time.Second)
	stats, _ := st.OutboxStats(context.Background())
	status, err := s.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	proxy.setCut(false)
	if stats.Pending == 0 {
		t.Fatal("the outage came too late: nothing was pending while the upstream was cut off")
	}
	if status.Upstream.Reachable {
		t.Errorf("status says the upstream is reachable while it is cut off: %+v", status.Upstream)
	}
	assertAllOnce(t, st, base, pats, plans)
	status, _ = s.Status(context.Background())
	if !status.Upstream.Reachable || status.QueueDepth != 0 || status.LastSuccess == nil {
		t.Errorf("status after recovery: %+v", status)
	}
}
