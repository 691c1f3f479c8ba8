package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func testOutboxLanes(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	// Patient A: patient, plan, administration; patient B: patient;
	// practitioner d twice (its own lane).
	for _, w := range []store.Write{
		write(clinic.KindPatient, "A", 1, "A"),
		write(clinic.KindPractitioner, "d", 1, ""),
		write(clinic.KindPlan, "plA", 1, "A"),
		write(clinic.KindPatient, "B", 1, "B"),
		write(clinic.KindAdministration, "adA", 1, "A"),
		write(clinic.KindPractitioner, "d", 2, ""),
		write(clinic.KindPractitioner, "e", 1, ""),
	} {
		clock.Advance(time.Second)
		mustPut(t, s, w, store.Created+store.PutResult(boolInt(w.Version > 1)))
	}
	items := claim(t, s, "w1", 10, time.Minute)
	if got, want := itemKeys(items), []string{"patient/A@1", "practitioner/d@1", "patient/B@1", "practitioner/e@1"}; !equalStrings(got, want) {
		t.Fatalf("first claim = %v, want %v", got, want)
	}
	if it := items[0]; it.Attempts != 1 || !it.CreatedAt.Equal(epoch.Add(time.Second)) || it.PatientID != "A" || it.Seq == 0 {
		t.Errorf("first item = %+v", it)
	}
	// Everything claimable is out: a second worker gets nothing.
	if items2 := claim(t, s, "w2", 10, time.Minute); len(items2) != 0 {
		t.Fatalf("second claim = %v, want none", itemKeys(items2))
	}
	// Completing A's first entry frees A's next one, in order.
	if err := s.CompleteOutbox(ctx, items[0].Seq, nil); err != nil {
		t.Fatal(err)
	}
	if got := itemKeys(claim(t, s, "w2", 10, time.Minute)); !equalStrings(got, []string{"plan/plA@1"}) {
		t.Fatalf("after completing patient/A: %v, want [plan/plA@1]", got)
	}
	if err := s.CompleteOutbox(ctx, items[1].Seq, nil); err != nil {
		t.Fatal(err)
	}
	if got := itemKeys(claim(t, s, "w2", 10, time.Minute)); !equalStrings(got, []string{"practitioner/d@2"}) {
		t.Fatalf("after completing practitioner/d@1: %v, want [practitioner/d@2]", got)
	}
	// limit caps the claim.
	s2, clock2 := openAt(t, open)
	for i := range 5 {
		clock2.Advance(time.Second)
		mustPut(t, s2, write(clinic.KindPatient, fmt.Sprintf("P%d", i), 1, fmt.Sprintf("P%d", i)), store.Created)
	}
	if got := itemKeys(claim(t, s2, "w", 2, time.Minute)); !equalStrings(got, []string{"patient/P0@1", "patient/P1@1"}) {
		t.Errorf("claim limit 2 = %v", got)
	}
	for _, bad := range []struct {
		owner string
		limit int
		lease time.Duration
	}{{"", 1, time.Minute}, {"w", 0, time.Minute}, {"w", 1, 0}} {
		if _, err := s2.ClaimOutbox(ctx, bad.owner, bad.limit, bad.lease); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("ClaimOutbox(%q, %d, %s) err = %v, want ErrInvalid", bad.owner, bad.limit, bad.lease, err)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func testOutboxRetryAndLease(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	mustPut(t, s, write(clinic.KindPatient, "A", 1, "A"), store.Created)
	mustPut(t, s, write(clinic.KindPlan, "plA", 1, "A"), store.Created)
	items := claim(t, s, "w1", 10, time.Minute)
	if len(items) != 1 {
		t.Fatalf("claim = %v", itemKeys(items))
	}
	first := items[0]
	// The lease holds for a minute …
	clock.Advance(59 * time.Second)
	if got := claim(t, s, "w2", 10, time.Minute); len(got) != 0 {
		t.Fatalf("claimed a leased entry: %v", itemKeys(got))
	}
	// … then the crashed worker's entry comes back, and only it.
	clock.Advance(time.Second)
	items = claim(t, s, "w2", 10, time.Minute)
	if got := itemKeys(items); !equalStrings(got, []string{"patient/A@1"}) || items[0].Attempts != 2 || items[0].Seq != first.Seq {
		t.Fatalf("after lease expiry = %v (%+v), want patient/A@1 with 2 attempts", got, items)
	}
	// Retry at a later time: not due before it, and the lane waits.
	next := clock.Now().Add(10 * time.Minute)
	if err := s.RetryOutbox(ctx, first.Seq, next, "upstream 503"); err != nil {
		t.Fatal(err)
	}
	st, err := s.GetSyncState(ctx, clinic.KindPatient, "A")
	if err != nil || st.LastError != "upstream 503" || !st.LastAttempt.Equal(clock.Now()) || st.SyncedVersion != 0 {
		t.Errorf("sync state after retry = %+v, %v", st, err)
	}
	if stats, _ := s.OutboxStats(ctx); stats.Pending != 2 || !stats.OldestPending.Equal(epoch) || !stats.LastSuccess.IsZero() {
		t.Errorf("stats = %+v", stats)
	}
	clock.Advance(9 * time.Minute)
	if got := claim(t, s, "w1", 10, time.Minute); len(got) != 0 {
		t.Fatalf("claimed before next try: %v", itemKeys(got))
	}
	clock.Advance(time.Minute)
	items = claim(t, s, "w1", 10, time.Minute)
	if got := itemKeys(items); !equalStrings(got, []string{"patient/A@1"}) || !items[0].NextTry.Equal(next) || items[0].Attempts != 3 {
		t.Fatalf("after next try = %v (%+v)", got, items)
	}
	// A late worker completing after someone else already did is harmless.
	for range 2 {
		if err := s.CompleteOutbox(ctx, first.Seq, nil); err != nil {
			t.Fatalf("CompleteOutbox: %v", err)
		}
	}
	if err := s.RetryOutbox(ctx, first.Seq, next, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RetryOutbox(done) err = %v, want ErrNotFound", err)
	}
	for _, fn := range []func() error{
		func() error { return s.CompleteOutbox(ctx, 9999, nil) },
		func() error { return s.RetryOutbox(ctx, 9999, next, "x") },
		func() error { return s.DeadLetterOutbox(ctx, 9999, "x", nil) },
		func() error { return s.ReplayDeadLetter(ctx, 9999) },
	} {
		if err := fn(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown seq: err = %v, want ErrNotFound", err)
		}
	}
}

func testOutboxDeadLetterIsolation(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	for _, w := range []store.Write{
		write(clinic.KindPatient, "A", 1, "A"),
		write(clinic.KindPatient, "B", 1, "B"),
		write(clinic.KindPlan, "plA", 1, "A"),
		write(clinic.KindPlan, "plB", 1, "B"),
	} {
		clock.Advance(time.Second)
		mustPut(t, s, w, store.Created)
	}
	items := claim(t, s, "w", 10, time.Minute)
	if got := itemKeys(items); !equalStrings(got, []string{"patient/A@1", "patient/B@1"}) {
		t.Fatalf("claim = %v", got)
	}
	outcome := []byte(`{"resourceType":"OperationOutcome"}`)
	if err := s.DeadLetterOutbox(ctx, items[0].Seq, "422 from upstream", outcome); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteOutbox(ctx, items[1].Seq, nil); err != nil {
		t.Fatal(err)
	}
	// B moves on; A is stopped behind its dead letter, however long.
	clock.Advance(24 * time.Hour)
	if got := itemKeys(claim(t, s, "w", 10, time.Minute)); !equalStrings(got, []string{"plan/plB@1"}) {
		t.Fatalf("after dead letter of A: %v, want [plan/plB@1]", got)
	}
	clock.Advance(time.Second)
	mustPut(t, s, write(clinic.KindAdministration, "adA", 1, "A"), store.Created)
	if got := claim(t, s, "w", 10, time.Hour); len(got) != 0 {
		t.Fatalf("claimed behind a dead letter: %v", itemKeys(got))
	}
	dls, err := s.ListDeadLetters(ctx)
	if err != nil || len(dls) != 1 {
		t.Fatalf("ListDeadLetters = %+v, %v", dls, err)
	}
	d := dls[0]
	if d.Seq != items[0].Seq || d.Kind != clinic.KindPatient || d.RecordID != "A" || d.Version != 1 || d.PatientID != "A" ||
		d.Reason != "422 from upstream" || string(d.Outcome) != string(outcome) || d.Payload != nil || d.ID == 0 {
		t.Errorf("dead letter = %+v", d)
	}
	if st, _ := s.GetSyncState(ctx, clinic.KindPatient, "A"); st.LastError != "422 from upstream" {
		t.Errorf("sync state of A = %+v", st)
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil || stats.DeadLetters != 1 || stats.Pending != 3 {
		t.Errorf("stats = %+v, %v; want 1 dead letter, 3 pending (plan/plB leased, plan/plA, administration/adA)", stats, err)
	}
	if err := s.DeadLetterOutbox(ctx, items[0].Seq, "again", nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("dead-lettering a dead entry err = %v, want ErrNotFound", err)
	}
	// Replay: the entry is pending and due again, first of its lane.
	if err := s.ReplayDeadLetter(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	items = claim(t, s, "w", 10, time.Minute)
	if got := itemKeys(items); !equalStrings(got, []string{"patient/A@1"}) || items[0].Attempts != 1 {
		t.Fatalf("after replay = %v (%+v), want patient/A@1, attempts reset", got, items)
	}
	if dls, _ := s.ListDeadLetters(ctx); len(dls) != 0 {
		t.Errorf("dead letters after replay = %+v", dls)
	}
	if err := s.ReplayDeadLetter(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second replay err = %v, want ErrNotFound", err)
	}
}

func testOutboxCompleteAndSyncState(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	mustPut(t, s, write(clinic.KindPlan, "pl", 1, "A"), store.Created)
	st, err := s.GetSyncState(ctx, clinic.KindPlan, "pl")
	if err != nil || st.Kind != clinic.KindPlan || st.ID != "pl" || st.SyncedVersion != 0 || st.Deliveries != nil {
		t.Fatalf("fresh sync state = %+v, %v", st, err)
	}
	items := claim(t, s, "w", 10, time.Minute)
	clock.Advance(time.Second)
	d1 := []store.Delivery{
		{Type: "MedicationRequest", ID: "mr", UpstreamID: "u-mr", UpstreamVersion: "1"},
		{Type: "Medication", ID: "m", UpstreamID: "u-m", UpstreamVersion: "1"},
	}
	if err := s.CompleteOutbox(ctx, items[0].Seq, d1); err != nil {
		t.Fatal(err)
	}
	done := clock.Now()
	st, err = s.GetSyncState(ctx, clinic.KindPlan, "pl")
	if err != nil || st.SyncedVersion != 1 || len(st.Deliveries) != 2 || st.Deliveries[0] != d1[0] || st.Deliveries[1] != d1[1] ||
		!st.LastAttempt.Equal(done) || st.LastError != "" {
		t.Fatalf("sync state = %+v, %v", st, err)
	}
	stats, _ := s.OutboxStats(ctx)
	if stats.Pending != 0 || !stats.LastSuccess.Equal(done) || !stats.OldestPending.IsZero() {
		t.Errorf("stats = %+v", stats)
	}
	// Version 2: an error first, then success with one resource updated
	// and one new; the third delivery stays.
	clock.Advance(time.Second)
	mustPut(t, s, write(clinic.KindPlan, "pl", 2, "A"), store.Updated)
	items = claim(t, s, "w", 10, time.Minute)
	if err := s.RetryOutbox(ctx, items[0].Seq, clock.Now(), "timeout"); err != nil {
		t.Fatal(err)
	}
	items = claim(t, s, "w", 10, time.Minute)
	d2 := []store.Delivery{
		{Type: "MedicationRequest", ID: "mr", UpstreamID: "u-mr", UpstreamVersion: "2"},
		{Type: "DetectedIssue", ID: "di", UpstreamID: "u-di", UpstreamVersion: "1"},
	}
	if err := s.CompleteOutbox(ctx, items[0].Seq, d2); err != nil {
		t.Fatal(err)
	}
	st, _ = s.GetSyncState(ctx, clinic.KindPlan, "pl")
	want := []store.Delivery{d2[0], d1[1], d2[1]}
	if st.SyncedVersion != 2 || st.LastError != "" || len(st.Deliveries) != 3 {
		t.Fatalf("sync state v2 = %+v", st)
	}
	for i := range want {
		if st.Deliveries[i] != want[i] {
			t.Errorf("delivery %d = %+v, want %+v", i, st.Deliveries[i], want[i])
		}
	}
}

// testOutboxConcurrentClaims: several workers claim at once; no entry is
// handed out twice and a lane never has two entries out.
func testOutboxConcurrentClaims(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	concurrentClaims(t, []store.Store{s})
}

// concurrentClaims runs the claiming workers over stores round-robin.
func concurrentClaims(t *testing.T, stores []store.Store) {
	s := stores[0]
	ctx := context.Background()
	const patients, perPatient = 6, 4
	for i := range perPatient {
		for p := range patients {
			mustPut(t, s, write(clinic.KindPlan, fmt.Sprintf("pl%d-%d", p, i), 1, fmt.Sprintf("P%d", p)), store.Created)
		}
	}
	var mu sync.Mutex
	seen := map[int64]bool{}
	order := map[string][]string{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 200; round++ {
				st := stores[w%len(stores)]
				items, err := st.ClaimOutbox(ctx, fmt.Sprintf("w%d", w), 3, time.Hour)
				if err != nil {
					t.Errorf("ClaimOutbox: %v", err)
					return
				}
				mu.Lock()
				done := len(seen) == patients*perPatient
				lanes := map[string]bool{}
				for _, it := range items {
					if seen[it.Seq] {
						t.Errorf("entry %d claimed twice", it.Seq)
					}
					if lanes[it.PatientID] {
						t.Errorf("two entries of patient %s in one claim", it.PatientID)
					}
					lanes[it.PatientID] = true
					seen[it.Seq] = true
					order[it.PatientID] = append(order[it.PatientID], it.ID)
				}
				mu.Unlock()
				if done {
					return
				}
				for _, it := range items {
					if err := st.CompleteOutbox(ctx, it.Seq, nil); err != nil {
						t.Errorf("CompleteOutbox: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != patients*perPatient {
		t.Fatalf("claimed %d entries, want %d", len(seen), patients*perPatient)
	}
	for p := range patients {
		pid := fmt.Sprintf("P%d", p)
		for i, id := range order[pid] {
			if want := fmt.Sprintf("pl%d-%d", p, i); id != want {
				t.Errorf("patient %s: entry %d was %s, want %s (lane order broken: %v)", pid, i, id, want, order[pid])
				break
			}
		}
	}
}

func testPulledDeadLetters(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	mustPut(t, s, write(clinic.KindPatient, "A", 1, "A"), store.Created)
	payload := []byte(`{"resourceType":"MedicationRequest","id":"up-1"}`)
	id, err := s.AddDeadLetter(ctx, store.DeadLetter{
		Kind: clinic.KindPlan, RecordID: "up-1", PatientID: "A", Reason: "unmapped substance XYZ", Payload: payload,
	})
	if err != nil || id == 0 {
		t.Fatalf("AddDeadLetter = %d, %v", id, err)
	}
	// A refused pulled order does not stop the patient's pushes.
	if got := itemKeys(claim(t, s, "w", 10, time.Minute)); !equalStrings(got, []string{"patient/A@1"}) {
		t.Fatalf("claim with a pulled dead letter = %v", got)
	}
	dls, err := s.ListDeadLetters(ctx)
	if err != nil || len(dls) != 1 || dls[0].ID != id || dls[0].Seq != 0 || string(dls[0].Payload) != string(payload) ||
		dls[0].Outcome != nil || !dls[0].CreatedAt.Equal(clock.Now()) || dls[0].Reason != "unmapped substance XYZ" {
		t.Fatalf("ListDeadLetters = %+v, %v", dls, err)
	}
	if _, err := s.AddDeadLetter(ctx, store.DeadLetter{Seq: 5, Reason: "x"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("AddDeadLetter with a seq err = %v, want ErrInvalid", err)
	}
	if err := s.ReplayDeadLetter(ctx, id); err != nil {
		t.Fatal(err)
	}
	if dls, _ := s.ListDeadLetters(ctx); len(dls) != 0 {
		t.Errorf("after replay: %+v", dls)
	}
	if stats, _ := s.OutboxStats(ctx); stats.DeadLetters != 0 {
		t.Errorf("stats after replay = %+v", stats)
	}
}

// BatchCompleter is the optional capability the sync uses to complete many
// outbox entries in one transaction.
type BatchCompleter interface {
	CompleteOutboxBatch(ctx context.Context, seqs []int64, deliveries [][]store.Delivery) error
}

func testOutboxCompleteBatch(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	bc, ok := s.(BatchCompleter)
	if !ok {
		t.Skipf("%T has no CompleteOutboxBatch", s)
	}
	ctx := context.Background()
	for _, p := range []string{"A", "B", "C", "D"} {
		clock.Advance(time.Second)
		mustPut(t, s, write(clinic.KindPatient, p, 1, p), store.Created)
	}
	items := claim(t, s, "w", 10, time.Minute)
	if len(items) != 4 {
		t.Fatalf("claim = %v", itemKeys(items))
	}
	// D is dead-lettered meanwhile: a batch holding it completes nothing.
	if err := s.DeadLetterOutbox(ctx, items[3].Seq, "refused", nil); err != nil {
		t.Fatal(err)
	}
	d := func(id string) []store.Delivery {
		return []store.Delivery{{Type: "Patient", ID: "pt-" + id, UpstreamID: "u-" + id, UpstreamVersion: "1"}}
	}
	err := bc.CompleteOutboxBatch(ctx, []int64{items[0].Seq, items[3].Seq}, [][]store.Delivery{d("A"), d("D")})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("batch with a dead entry err = %v, want ErrNotFound", err)
	}
	if st, _ := s.GetSyncState(ctx, clinic.KindPatient, "A"); st.SyncedVersion != 0 {
		t.Fatalf("failed batch completed A: %+v", st)
	}
	// Out of seq order, with one already done: all complete, in one go.
	if err := s.CompleteOutbox(ctx, items[1].Seq, d("B")); err != nil {
		t.Fatal(err)
	}
	seqs := []int64{items[2].Seq, items[0].Seq, items[1].Seq}
	if err := bc.CompleteOutboxBatch(ctx, seqs, [][]store.Delivery{d("C"), d("A"), d("B")}); err != nil {
		t.Fatalf("CompleteOutboxBatch: %v", err)
	}
	for _, p := range []string{"A", "B", "C"} {
		st, err := s.GetSyncState(ctx, clinic.KindPatient, p)
		if err != nil || st.SyncedVersion != 1 || len(st.Deliveries) != 1 || st.Deliveries[0] != d(p)[0] {
			t.Errorf("sync state of %s = %+v, %v", p, st, err)
		}
	}
	if stats, _ := s.OutboxStats(ctx); stats.Pending != 0 || stats.DeadLetters != 1 {
		t.Errorf("stats = %+v", stats)
	}
	if err := bc.CompleteOutboxBatch(ctx, seqs, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("mismatched batch err = %v, want ErrInvalid", err)
	}
}

// Pruner is the optional capability to drop old completed outbox entries.
type Pruner interface {
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)
}

func testPruneOutbox(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	pr, ok := s.(Pruner)
	if !ok {
		t.Skipf("%T has no PruneOutbox", s)
	}
	ctx := context.Background()
	for _, p := range []string{"A", "B", "C", "D"} {
		mustPut(t, s, write(clinic.KindPatient, p, 1, p), store.Created)
	}
	items := claim(t, s, "w", 10, time.Minute)
	// A and B complete an hour apart, C is dead, D stays pending.
	clock.Advance(time.Minute)
	if err := s.CompleteOutbox(ctx, items[0].Seq, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := s.CompleteOutbox(ctx, items[1].Seq, nil); err != nil {
		t.Fatal(err)
	}
	last := clock.Now()
	if err := s.DeadLetterOutbox(ctx, items[2].Seq, "x", nil); err != nil {
		t.Fatal(err)
	}
	// Pruning everything done keeps the latest completion.
	n, err := pr.PruneOutbox(ctx, clock.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PruneOutbox = %d, %v; want 1", n, err)
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil || !stats.LastSuccess.Equal(last) || stats.Pending != 1 || stats.DeadLetters != 1 {
		t.Errorf("stats after prune = %+v, %v", stats, err)
	}
	if st, _ := s.GetSyncState(ctx, clinic.KindPatient, "A"); st.SyncedVersion != 1 {
		t.Errorf("prune touched sync state: %+v", st)
	}
	// The dead letter still replays; the pending entry still claims.
	dls, _ := s.ListDeadLetters(ctx)
	if err := s.ReplayDeadLetter(ctx, dls[0].ID); err != nil {
		t.Fatal(err)
	}
	// (D's lease from the first claim has run out.)
	if got := itemKeys(claim(t, s, "w", 10, time.Minute)); !equalStrings(got, []string{"patient/C@1", "patient/D@1"}) {
		t.Errorf("claim after prune = %v, want [patient/C@1 patient/D@1]", got)
	}
}
