package storetest

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// RunCompleteBatchMatchesSingle checks that CompleteOutboxBatch leaves
// exactly the sync states and outbox that completing the same entries one
// by one with CompleteOutbox, in seq order, leaves: deliveries merged into
// those of an earlier version, a seq named twice (the first wins), an entry already done, records of
// several kinds.
func RunCompleteBatchMatchesSingle(t *testing.T, open Opener) {
	ctx := context.Background()
	d := func(typ, id, up, v string) store.Delivery {
		return store.Delivery{Type: typ, ID: id, UpstreamID: up, UpstreamVersion: v}
	}
	// setup stores the same history in a store and returns the seqs of
	// the entries to complete and their deliveries, in batch order.
	setup := func(s store.Store, clock *Clock) ([]int64, [][]store.Delivery) {
		t.Helper()
		mustPut(t, s, write(clinic.KindPlan, "pl", 1, "A"), store.Created)
		mustPut(t, s, write(clinic.KindPatient, "B", 1, "B"), store.Created)
		mustPut(t, s, write(clinic.KindPractitioner, "pr", 1, ""), store.Created)
		// plan/pl v1 is synced earlier with two resources.
		items := claim(t, s, "w", 10, time.Minute)
		for _, it := range items {
			if it.Kind == clinic.KindPlan {
				ds := []store.Delivery{d("MedicationRequest", "mr", "u-mr", "1"), d("Medication", "m", "u-m", "1")}
				if err := s.CompleteOutbox(ctx, it.Seq, ds); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The other two leases run out, so all three are claimed again.
		clock.Advance(2 * time.Minute)
		mustPut(t, s, write(clinic.KindPlan, "pl", 2, "A"), store.Updated)
		clock.Advance(time.Second)
		seq := map[string]int64{}
		for _, it := range claim(t, s, "w", 10, time.Minute) {
			seq[string(it.Kind)+"/"+it.ID] = it.Seq
		}
		if len(seq) != 3 {
			t.Fatalf("claimed %v, want plan/pl v2, patient/B and practitioner/pr", seq)
		}
		// patient/B is completed before the batch, which names it too.
		if err := s.CompleteOutbox(ctx, seq["patient/B"], []store.Delivery{d("Patient", "pb", "u-pb", "1")}); err != nil {
			t.Fatal(err)
		}
		seqs := []int64{seq["plan/pl"], seq["patient/B"], seq["practitioner/pr"], seq["plan/pl"]}
		dss := [][]store.Delivery{
			{d("MedicationRequest", "mr", "u-mr", "2"), d("DetectedIssue", "di", "u-di", "1")},
			{d("Patient", "pb", "u-pb", "7")}, // already done: a no-op
			{d("Practitioner", "pr", "u-pr", "1")},
			{d("MedicationRequest", "mr", "u-mr", "9")}, // the seq again: a no-op
		}
		return seqs, dss
	}

	single, sclock := openAt(t, open)
	seqs, dss := setup(single, sclock)
	order := make([]int, len(seqs))
	for i := range order {
		order[i] = i
	}
	// CompleteOutbox in seq order (stable: of a seq named twice, the
	// first comes first); a repeated seq is then already done.
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(seqs[a], seqs[b]) })
	for _, i := range order {
		if err := single.CompleteOutbox(ctx, seqs[i], dss[i]); err != nil {
			t.Fatalf("CompleteOutbox(%d): %v", seqs[i], err)
		}
	}

	batch, bclock := openAt(t, open)
	bc, ok := batch.(BatchCompleter)
	if !ok {
		t.Skipf("%T has no CompleteOutboxBatch", batch)
	}
	bseqs, bdss := setup(batch, bclock)
	if !reflect.DeepEqual(bseqs, seqs) {
		t.Fatalf("the two stores numbered the entries differently: %v and %v", bseqs, seqs)
	}
	if err := bc.CompleteOutboxBatch(ctx, bseqs, bdss); err != nil {
		t.Fatalf("CompleteOutboxBatch: %v", err)
	}
	// Completing again is a no-op.
	if err := bc.CompleteOutboxBatch(ctx, bseqs[:2], bdss[:2]); err != nil {
		t.Fatalf("CompleteOutboxBatch again: %v", err)
	}

	for _, r := range []struct {
		kind clinic.Kind
		id   string
	}{{clinic.KindPlan, "pl"}, {clinic.KindPatient, "B"}, {clinic.KindPractitioner, "pr"}} {
		want, err := single.GetSyncState(ctx, r.kind, r.id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := batch.GetSyncState(ctx, r.kind, r.id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s/%s sync state after the batch:\n got %+v\nwant %+v", r.kind, r.id, got, want)
		}
	}
	// And by hand: plan/pl is synced at version 2 with v2's deliveries
	// over v1's.
	st, _ := batch.GetSyncState(ctx, clinic.KindPlan, "pl")
	wantDs := []store.Delivery{d("MedicationRequest", "mr", "u-mr", "2"), d("Medication", "m", "u-m", "1"), d("DetectedIssue", "di", "u-di", "1")}
	if st.SyncedVersion != 2 || !reflect.DeepEqual(st.Deliveries, wantDs) {
		t.Errorf("plan/pl = %+v, want version 2 with %+v", st, wantDs)
	}
	ws, _ := single.OutboxStats(ctx)
	gs, _ := batch.OutboxStats(ctx)
	if gs != ws || gs.Pending != 0 {
		t.Errorf("outbox stats after the batch = %+v, want %+v", gs, ws)
	}
}
