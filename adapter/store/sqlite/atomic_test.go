package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/internal/sqlstore"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// TestPutRecordAtomic makes the last step of a write fail (after the
// record and its projection are written, before the outbox entry) and
// checks none of it is left behind: record, resources and outbox entry
// commit together or not at all.
func TestPutRecordAtomic(t *testing.T) {
	ctx := context.Background()
	s := openDir(t, t.TempDir())
	failing := sqlstore.New(s.db, sqlstore.Dialect{
		NextSeq: dialect.NextSeq,
		SeqLock: "SELECT no_such_function()", // fails late in the transaction
	}, store.Apply())
	w := store.Write{
		Kind: clinic.KindPlan, ID: "pl", Version: 1, PatientID: "p", Body: []byte(`{"v":1}`),
		Origin: store.OriginClinic, Enqueue: true,
		Resources: []store.Resource{{Type: "MedicationRequest", ID: "mr", Body: []byte(`{"resourceType":"MedicationRequest"}`)}},
	}
	if _, err := failing.PutRecord(ctx, w); err == nil {
		t.Fatal("PutRecord with a failing last step succeeded")
	}
	if _, err := s.GetRecord(ctx, clinic.KindPlan, "pl"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("record left behind: %v", err)
	}
	if _, err := s.GetResource(ctx, "MedicationRequest", "mr"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("resource left behind: %v", err)
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 0 {
		t.Errorf("outbox after failed write = %+v, %v", st, err)
	}
	// The same write through the working store goes through whole.
	if r, err := s.PutRecord(ctx, w); err != nil || r != store.Created {
		t.Fatalf("PutRecord = %v, %v", r, err)
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 1 {
		t.Errorf("pending %d, want 1", st.Pending)
	}
}
