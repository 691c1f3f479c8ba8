package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// SyncInputsReader is the optional batch read the push uses (the sync
// package's OutboxBatchLoader): each record's current resources and sync
// state, for many records at once.
type SyncInputsReader interface {
	SyncInputs(ctx context.Context, kinds []clinic.Kind, ids []string) ([][]store.Resource, []store.SyncState, error)
}

// RunSyncInputs checks a store's SyncInputs against what ResourcesOf and
// GetSyncState answer record by record: records with several resources,
// a dropped resource, deliveries, a failed attempt, none, records of
// several kinds, a record named twice, a record that is not stored and
// more records than one IN list holds.
func RunSyncInputs(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	sr, ok := s.(SyncInputsReader)
	if !ok {
		t.Fatalf("%T has no SyncInputs", s)
	}
	ctx := context.Background()

	// plan/p1: three resources, then version 2 drops one and reorders.
	mr := res("MedicationRequest", "mr1", "pt1", "active", "2026-03-05", "urn:x|1", "urn:y|2")
	mr.Refs = map[string]string{"subject": "Patient/pt1"}
	med := res("Medication", "med1", "", "", "")
	di := res("DetectedIssue", "di1", "pt1", "final", "")
	mustPut(t, s, write(clinic.KindPlan, "p1", 1, "P1", med, mr, di), store.Created)
	clock.Advance(time.Second)
	mustPut(t, s, write(clinic.KindPlan, "p1", 2, "P1", mr, di), store.Updated)
	// patient/A: completed with deliveries.
	mustPut(t, s, write(clinic.KindPatient, "A", 1, "A", res("Patient", "pa", "pa", "", "", "urn:x|A")), store.Created)
	// patient/B: one failed attempt, no deliveries.
	mustPut(t, s, write(clinic.KindPatient, "B", 1, "B", res("Patient", "pb", "pb", "", "")), store.Created)
	// patient/C: never tried.
	mustPut(t, s, write(clinic.KindPatient, "C", 1, "C", res("Patient", "pc", "pc", "", "")), store.Created)
	// administration/ad: no resources at all.
	mustPut(t, s, write(clinic.KindAdministration, "ad", 1, "AD"), store.Created)

	items := claim(t, s, "w", 100, time.Minute)
	for _, it := range items {
		switch {
		case it.Kind == clinic.KindPatient && it.ID == "A":
			ds := []store.Delivery{{Type: "Patient", ID: "pa", UpstreamID: "u-pa", UpstreamVersion: "3"}}
			if err := s.CompleteOutbox(ctx, it.Seq, ds); err != nil {
				t.Fatal(err)
			}
		case it.Kind == clinic.KindPatient && it.ID == "B":
			if err := s.RetryOutbox(ctx, it.Seq, clock.Now().Add(time.Hour), "upstream down"); err != nil {
				t.Fatal(err)
			}
		}
	}

	kinds := []clinic.Kind{clinic.KindPlan, clinic.KindPatient, clinic.KindPatient, clinic.KindPatient,
		clinic.KindAdministration, clinic.KindPatient, clinic.KindPlan, clinic.KindPractitioner, clinic.KindPlan}
	ids := []string{"p1", "A", "B", "C", "ad", "missing", "p1", "A", "A"}
	checkSyncInputs(t, s, sr, kinds, ids)

	// The answers are what the record-by-record reads say, so check a
	// few by hand too: they must not merely agree in being wrong.
	gotRes, gotStates, err := sr.SyncInputs(ctx, kinds, ids)
	if err != nil {
		t.Fatal(err)
	}
	if keys := resourceKeys(gotRes[0]); !equalStrings(keys, []string{"MedicationRequest/mr1", "DetectedIssue/di1"}) {
		t.Errorf("plan/p1 resources = %v, want the v2 projection in its order", keys)
	}
	if r := gotRes[0][0]; r.VersionID != 1 || len(r.Identifiers) != 2 || r.Refs["subject"] != "Patient/pt1" || r.SourceID != "p1" {
		t.Errorf("plan/p1 MedicationRequest = %+v", r)
	}
	if st := gotStates[1]; st.SyncedVersion != 1 || len(st.Deliveries) != 1 || st.Deliveries[0].UpstreamID != "u-pa" {
		t.Errorf("patient/A state = %+v, want synced with its delivery", st)
	}
	if st := gotStates[2]; st.SyncedVersion != 0 || st.LastError != "upstream down" || st.Deliveries != nil {
		t.Errorf("patient/B state = %+v, want the failed attempt", st)
	}
	if st := gotStates[5]; st.Kind != clinic.KindPatient || st.ID != "missing" || st.SyncedVersion != 0 || gotRes[5] != nil {
		t.Errorf("patient/missing = %+v, %v, want a zero state and no resources", st, gotRes[5])
	}
	if len(gotRes[7]) != 0 || gotStates[7].Kind != clinic.KindPractitioner {
		t.Errorf("practitioner/A = %v, %+v: the kind must be part of the key", gotRes[7], gotStates[7])
	}
	if gotRes[8] != nil {
		t.Errorf("plan/A resources = %v, want none", gotRes[8])
	}

	// Empty input, and kinds and ids that do not pair up.
	if r, st, err := sr.SyncInputs(ctx, nil, nil); err != nil || len(r) != 0 || len(st) != 0 {
		t.Errorf("SyncInputs(empty) = %v, %v, %v", r, st, err)
	}
	if _, _, err := sr.SyncInputs(ctx, []clinic.Kind{clinic.KindPlan}, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SyncInputs(1 kind, 0 ids) err = %v, want ErrInvalid", err)
	}
	if _, _, err := sr.SyncInputs(ctx, []clinic.Kind{""}, []string{"x"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SyncInputs(empty kind) err = %v, want ErrInvalid", err)
	}

	// More records than one statement's IN list holds.
	var many []string
	var manyKinds []clinic.Kind
	for i := range 1100 {
		id := fmt.Sprintf("m%04d", i)
		if i%3 == 0 {
			mustPut(t, s, write(clinic.KindPatient, id, 1, id, res("Patient", "p-"+id, "p-"+id, "", "")), store.Created)
		}
		many = append(many, id)
		manyKinds = append(manyKinds, clinic.KindPatient)
	}
	// Complete them all in one batch (several statements of each kind).
	if bc, ok := s.(BatchCompleter); ok {
		clock.Advance(2 * time.Hour) // patient/B's retry is due again
		items := claim(t, s, "w", 2000, time.Minute)
		seqs := make([]int64, len(items))
		dss := make([][]store.Delivery, len(items))
		for i, it := range items {
			seqs[i] = it.Seq
			dss[i] = []store.Delivery{{Type: "Patient", ID: "p-" + it.ID, UpstreamID: "u-" + it.ID, UpstreamVersion: "1"}}
		}
		if err := bc.CompleteOutboxBatch(ctx, seqs, dss); err != nil {
			t.Fatalf("CompleteOutboxBatch of %d: %v", len(seqs), err)
		}
	}
	gotRes, gotStates, err = sr.SyncInputs(ctx, manyKinds, many)
	if err != nil {
		t.Fatal(err)
	}
	for i, rs := range gotRes {
		if want := boolInt(i%3 == 0); len(rs) != want || want == 1 && rs[0].ID != "p-"+many[i] {
			t.Fatalf("record %s: %d resources %v, want %d", many[i], len(rs), resourceKeys(rs), want)
		}
		if _, ok := s.(BatchCompleter); ok && i%3 == 0 {
			if st := gotStates[i]; st.SyncedVersion != 1 || len(st.Deliveries) != 1 || st.Deliveries[0].UpstreamID != "u-"+many[i] {
				t.Fatalf("record %s: sync state %+v after the batch completion", many[i], st)
			}
		}
	}
	checkSyncInputs(t, s, sr, manyKinds[:300], many[:300])
}

// checkSyncInputs compares SyncInputs with ResourcesOf and GetSyncState
// record by record.
func checkSyncInputs(t *testing.T, s store.Store, sr SyncInputsReader, kinds []clinic.Kind, ids []string) {
	t.Helper()
	ctx := context.Background()
	gotRes, gotStates, err := sr.SyncInputs(ctx, kinds, ids)
	if err != nil {
		t.Fatalf("SyncInputs: %v", err)
	}
	if len(gotRes) != len(ids) || len(gotStates) != len(ids) {
		t.Fatalf("SyncInputs answered %d resource lists and %d states for %d records", len(gotRes), len(gotStates), len(ids))
	}
	for i := range ids {
		wantRes, err := s.ResourcesOf(ctx, kinds[i], ids[i])
		if err != nil {
			t.Fatalf("ResourcesOf(%s/%s): %v", kinds[i], ids[i], err)
		}
		if len(wantRes) == 0 {
			wantRes = nil
		}
		if !reflect.DeepEqual(gotRes[i], wantRes) {
			t.Errorf("record %s/%s resources:\n got %+v\nwant %+v", kinds[i], ids[i], gotRes[i], wantRes)
		}
		wantState, err := s.GetSyncState(ctx, kinds[i], ids[i])
		if errors.Is(err, store.ErrNotFound) {
			wantState = store.SyncState{Kind: kinds[i], ID: ids[i]}
		} else if err != nil {
			t.Fatalf("GetSyncState(%s/%s): %v", kinds[i], ids[i], err)
		}
		if !reflect.DeepEqual(gotStates[i], wantState) {
			t.Errorf("record %s/%s sync state:\n got %+v\nwant %+v", kinds[i], ids[i], gotStates[i], wantState)
		}
	}
}

func resourceKeys(rs []store.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Type + "/" + r.ID
	}
	return out
}
