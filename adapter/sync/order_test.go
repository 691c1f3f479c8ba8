package sync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// TestConcurrentUpdatesOneRecord writes 50 versions of one record
// concurrently while the syncer runs: the upstream ends with exactly one
// resource carrying the newest version.
func TestConcurrentUpdatesOneRecord(t *testing.T) {
	base := upstreamtest.Start(t)
	st := openStore(t, t.TempDir())
	s := newSyncer(t, st, newClient(t, base, upstream.Config{}), sync.Config{Workers: 4})
	runSyncer(t, s)

	const versions = 50
	var wg gosync.WaitGroup
	errs := make(chan error, versions)
	for v := 1; v <= versions; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.PutRecord(context.Background(), patientWrite("solo", v))
			if err != nil && !errors.Is(err, store.ErrStale) {
				errs <- err
			}
			s.Notify()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitDrained(t, st, 30*time.Second)
	counts, bodies := upstreamIdentifiers(t, base, "Patient")
	assertEachOnce(t, counts, []string{"solo"})
	var p struct {
		Name []struct{ Family string } `json:"name"`
	}
	if err := json.Unmarshal(bodies["solo"], &p); err != nil {
		t.Fatal(err)
	}
	if got, want := p.Name[0].Family, fmt.Sprintf("Version%d", versions); got != want {
		t.Fatalf("upstream carries %s, want %s", got, want)
	}
	rs, err := s.RecordSync(context.Background(), "patient", "solo")
	if err != nil {
		t.Fatal(err)
	}
	if rs.State != "synced" || rs.SyncedVersion != versions {
		t.Fatalf("record state %+v", rs)
	}
}

// TestPoisonRecordIsolated: the upstream refuses one patient's records.
// They dead-letter (with the OperationOutcome), that patient's later record
// waits, every other patient's records flow; a replay after the cause is
// fixed delivers them in order.
func TestPoisonRecordIsolated(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	st := openStore(t, t.TempDir())
	s := newSyncer(t, st, newClient(t, proxy.URL(), upstream.Config{}), sync.Config{Workers: 2, ClaimLimit: 10})

	poisonID := fhirID("Patient", "patient", "bad-pat-00007")
	// The rule refuses every write that refers to patient 7: its plan.
	proxy.setRefuse(`"Patient/` + poisonID + `"`)
	pats, plans := records(t, st, "bad", 40)
	runSyncer(t, s)
	deadline := time.Now().Add(30 * time.Second)
	var stats store.OutboxStats
	for {
		var err error
		stats, err = st.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if stats.DeadLetters == 1 && stats.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("want exactly one dead letter and nothing else pending, got %+v", stats)
		}
		time.Sleep(50 * time.Millisecond)
	}
	dls, err := s.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].RecordID != "bad-plan-00007" || len(dls[0].Outcome) == 0 {
		t.Fatalf("dead letters: %+v", dls)
	}
	counts, _ := upstreamIdentifiers(t, base, "MedicationRequest")
	var others []string
	for _, p := range plans {
		if p != "bad-plan-00007" {
			others = append(others, p)
		}
	}
	assertEachOnce(t, counts, others)
	counts, _ = upstreamIdentifiers(t, base, "Patient")
	assertEachOnce(t, counts, pats)

	// A later version of the refused plan waits behind its dead letter.
	put(t, st, planWrite("bad-plan-00007", "bad-pat-00007", 2))
	s.Notify()
	time.Sleep(300 * time.Millisecond)
	if stats, _ := st.OutboxStats(context.Background()); stats.Pending != 1 {
		t.Fatalf("the poisoned patient's later record should wait: %+v", stats)
	}

	proxy.setRefuse("") // the cause is fixed
	if err := s.Replay(context.Background(), dls[0].ID); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, st, 30*time.Second)
	counts, bodies := upstreamIdentifiers(t, base, "MedicationRequest")
	assertEachOnce(t, counts, plans)
	var mr struct {
		Medication struct{ Text string } `json:"medicationCodeableConcept"`
	}
	if err := json.Unmarshal(bodies["bad-plan-00007"], &mr); err != nil {
		t.Fatal(err)
	}
	if mr.Medication.Text != "Vitamin C 2" {
		t.Fatalf("the replayed plan carries %q, want version 2", mr.Medication.Text)
	}
	if stats, _ := st.OutboxStats(context.Background()); stats.DeadLetters != 0 {
		t.Fatalf("dead letters left after replay: %+v", stats)
	}
}

// TestServerErrorIsolated: the upstream answers 500 to one record's write,
// every time. The Bundle it was in is written one by one so the others
// get through, and after MaxServerErrors attempts the record dead-letters
// instead of holding its patient forever.
func TestServerErrorIsolated(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	st := openStore(t, t.TempDir())
	s := newSyncer(t, st, newClient(t, proxy.URL(), upstream.Config{}), sync.Config{Workers: 1, MaxServerErrors: 3, RetryBase: 20 * time.Millisecond, RetryMax: 50 * time.Millisecond})
	proxy.mu.Lock()
	proxy.refuse, proxy.refuseStatus = `"value":"e500-pat-00003"`, http.StatusInternalServerError
	proxy.mu.Unlock()
	pats, _ := records(t, st, "e500", 10)
	runSyncer(t, s)
	deadline := time.Now().Add(30 * time.Second)
	for {
		stats, _ := st.OutboxStats(context.Background())
		// the patient is dead, its plan waits behind it
		if stats.DeadLetters == 1 && stats.Pending == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", stats)
		}
		time.Sleep(20 * time.Millisecond)
	}
	dls, _ := s.DeadLetters(context.Background())
	if len(dls) != 1 || dls[0].RecordID != "e500-pat-00003" || !strings.Contains(dls[0].Reason, "server error") {
		t.Fatalf("dead letters %+v", dls)
	}
	counts, _ := upstreamIdentifiers(t, base, "Patient")
	var others []string
	for _, p := range pats {
		if p != "e500-pat-00003" {
			others = append(others, p)
		}
	}
	assertEachOnce(t, counts, others)
}
