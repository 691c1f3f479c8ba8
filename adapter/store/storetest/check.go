package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// errRefused is what the checks of these tests refuse with.
var errRefused = errors.New("refused by the check")

// checkedWrite is w with a check that reads the plan pl, the patient's
// plans and their Observations, and records what it got in *got. It
// refuses when refuse is set, else adds the resources add.
func checkedWrite(w store.Write, got *[]store.ReadResults, refuse bool, add ...store.Resource) store.Write {
	w.Reads = store.Reads{
		Records:  []store.RecordKey{{Kind: clinic.KindPlan, ID: "pl"}, {Kind: w.Kind, ID: w.ID}},
		Lists:    []store.ListQuery{{Kind: clinic.KindPlan, PatientID: w.PatientID}},
		Searches: []store.ResourceQuery{{Type: "Observation", PatientID: w.PatientID}},
	}
	w.Check = func(rr store.ReadResults) ([]store.Resource, error) {
		*got = append(*got, rr)
		if refuse {
			return nil, errRefused
		}
		return add, nil
	}
	return w
}

// testPutRecordCheck checks Write.Check: it sees what its reads read
// inside the write, a refusal leaves nothing of the write behind, the
// resources it adds join the projection after the write's own, and it is
// not asked about stale, conflicting or unchanged writes. In a group, a
// refused write fails alone.
func testPutRecordCheck(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	ctx := context.Background()
	const a = clinic.KindAdministration
	mustPut(t, s, write(clinic.KindPlan, "pl", 1, "p", res("MedicationRequest", "mr-pl", "p", "active", "")), store.Created)
	mustPut(t, s, write(a, "a0", 1, "p", res("Observation", "o-a0", "p", "final", "")), store.Created)

	// Refused: the error comes back, nothing is stored or queued.
	var got []store.ReadResults
	_, err := s.PutRecord(ctx, checkedWrite(write(a, "a1", 1, "p", res("Observation", "o-a1", "p", "final", "")), &got, true))
	if !errors.Is(err, errRefused) {
		t.Fatalf("refused write: err = %v, want the check's error", err)
	}
	if len(got) != 1 {
		t.Fatalf("the check ran %d times, want 1", len(got))
	}
	rr := got[0]
	if len(rr.Records) != 1 || rr.Records[0].ID != "pl" || len(rr.Lists) != 1 || len(rr.Lists[0].Records) != 1 ||
		len(rr.Searches) != 1 || rr.Searches[0].Total != 1 || rr.Searches[0].Resources[0].ID != "o-a0" {
		t.Errorf("the check got %+v; want the plan alone (a1 not held), the patient's one plan and one Observation", rr)
	}
	if _, err := s.GetRecord(ctx, a, "a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused record: GetRecord = %v, want ErrNotFound", err)
	}
	if _, err := s.GetResource(ctx, "Observation", "o-a1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused record's resource: GetResource = %v, want ErrNotFound", err)
	}

	// Accepted: the check's resources follow the write's own.
	got = nil
	w := checkedWrite(write(a, "a1", 1, "p", res("Observation", "o-a1", "p", "final", "")), &got, false,
		res("DetectedIssue", "di-a1", "p", "final", ""))
	if r, err := s.PutRecord(ctx, w); err != nil || r != store.Created {
		t.Fatalf("checked write = %v, %v; want created", r, err)
	}
	if len(got) != 1 {
		t.Fatalf("the check ran %d times, want 1", len(got))
	}
	rs, err := s.ResourcesOf(ctx, a, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if keys, want := resourceKeys(rs), []string{"Observation/o-a1", "DetectedIssue/di-a1"}; !equalStrings(keys, want) {
		t.Errorf("ResourcesOf(a1) = %v, want %v", keys, want)
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 3 {
		t.Errorf("outbox = %+v, %v; want 3 pending (pl, a0, a1), the refused write not queued", st, err)
	}

	// Not asked: an exact replay, an older version, the same version
	// with other content.
	got = nil
	if r, err := s.PutRecord(ctx, checkedWrite(write(a, "a1", 1, "p", res("Observation", "o-a1", "p", "final", "")), &got, true)); err != nil || r != store.Unchanged {
		t.Errorf("replay = %v, %v; want unchanged", r, err)
	}
	mustPut(t, s, write(a, "a2", 2, "p"), store.Created)
	if _, err := s.PutRecord(ctx, checkedWrite(write(a, "a2", 1, "p"), &got, true)); !errors.Is(err, store.ErrStale) {
		t.Errorf("older version: err = %v, want ErrStale", err)
	}
	other := write(a, "a2", 2, "p")
	other.Body = body(a, "a2", 2, "other")
	if _, err := s.PutRecord(ctx, checkedWrite(other, &got, true)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("other content: err = %v, want ErrConflict", err)
	}
	if len(got) != 0 {
		t.Errorf("the check ran %d times for writes it cannot change, want 0", len(got))
	}

	// In a group: each write gets its own reads; the refused one fails
	// alone.
	g, ok := s.(store.GroupWriter)
	if !ok {
		return
	}
	// a6 is another patient's: the reads the others share are not its.
	mustPut(t, s, write(a, "q0", 1, "q", res("Observation", "o-q0", "q", "final", "")), store.Created)
	var got3, got4, got6 []store.ReadResults
	results, errs := g.PutRecords(ctx, []store.Write{
		checkedWrite(write(a, "a3", 1, "p", res("Observation", "o-a3", "p", "final", "")), &got3, false),
		checkedWrite(write(a, "a4", 1, "p", res("Observation", "o-a4", "p", "final", "")), &got4, true),
		write(a, "a5", 1, "p", res("Observation", "o-a5", "p", "final", "")),
		checkedWrite(write(a, "a6", 1, "q"), &got6, false),
	})
	if errs[0] != nil || results[0] != store.Created || !errors.Is(errs[1], errRefused) || errs[2] != nil || results[2] != store.Created ||
		errs[3] != nil || results[3] != store.Created {
		t.Fatalf("group = %v, %v; want created, refused, created, created", results, errs)
	}
	if len(got3) != 1 || len(got4) != 1 || got3[0].Searches[0].Total != 2 || got4[0].Searches[0].Total != 2 {
		t.Errorf("the group's checks got %+v and %+v; want one read each, seeing o-a0 and o-a1", got3, got4)
	}
	if len(got6) != 1 || len(got6[0].Lists[0].Records) != 0 || got6[0].Searches[0].Total != 1 || got6[0].Searches[0].Resources[0].ID != "o-q0" {
		t.Errorf("q's check got %+v; want no plan of q's and q's one Observation", got6)
	}
	if _, err := s.GetRecord(ctx, a, "a4"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused record in a group: GetRecord = %v, want ErrNotFound", err)
	}
	for _, id := range []string{"o-a3", "o-a5"} {
		if _, err := s.GetResource(ctx, "Observation", id); err != nil {
			t.Errorf("GetResource(%s) = %v", id, err)
		}
	}
}
