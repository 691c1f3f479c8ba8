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

// testPutRecordsGroup checks group commit (store.GroupWriter) with a
// mixed group: every write gets PutRecord's outcome as if the writes ran
// one after another, the refused ones leave nothing behind and the
// others are stored with their projections and outbox entries.
func testPutRecordsGroup(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	g := groupWriter(t, s)
	ctx := context.Background()
	const a = clinic.KindAdministration
	mustPut(t, s, write(a, "held", 2, "p1", res("MedicationAdministration", "ma-held", "p1", "completed", "")), store.Created)
	before, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)

	conflicting := write(a, "held", 2, "p1")
	conflicting.Body = body(a, "held", 2, `,"x":1`)
	conflicting.Resources = []store.Resource{res("MedicationAdministration", "ma-conflict", "p1", "completed", "")}
	invalid := write(a, "bad", 0, "p1")
	group := []store.Write{
		write(a, "new", 1, "p1", res("MedicationAdministration", "ma-new", "p1", "in-progress", "2026-03-02", "urn:x|new")),
		write(a, "held", 1, "p1", res("MedicationAdministration", "ma-stale", "p1", "completed", "")),
		conflicting,
		write(a, "held", 2, "p1", res("MedicationAdministration", "ma-held", "p1", "completed", "")),
		invalid,
		// The same record again, later in the group: sees the first.
		write(a, "new", 2, "p1", res("MedicationAdministration", "ma-new", "p1", "completed", "2026-03-02", "urn:x|new")),
		write(a, "new", 1, "p1"),
		write(clinic.KindPractitioner, "md", 1, ""),
	}
	wantRes := []store.PutResult{store.Created, 0, 0, store.Unchanged, 0, store.Updated, 0, store.Created}
	wantErr := []error{nil, store.ErrStale, store.ErrConflict, nil, store.ErrInvalid, nil, store.ErrStale, nil}
	results, errs := g.PutRecords(ctx, group)
	if len(results) != len(group) || len(errs) != len(group) {
		t.Fatalf("PutRecords returned %d results and %d errors for %d writes", len(results), len(errs), len(group))
	}
	for i := range group {
		if wantErr[i] != nil {
			if !errors.Is(errs[i], wantErr[i]) {
				t.Errorf("write %d (%s v%d): err %v, want %v", i, group[i].ID, group[i].Version, errs[i], wantErr[i])
			}
			continue
		}
		if errs[i] != nil || results[i] != wantRes[i] {
			t.Errorf("write %d (%s v%d) = %v, %v; want %v", i, group[i].ID, group[i].Version, results[i], errs[i], wantRes[i])
		}
	}

	for _, c := range []struct {
		kind    clinic.Kind
		id      string
		version int
	}{{a, "new", 2}, {a, "held", 2}, {clinic.KindPractitioner, "md", 1}} {
		rec, err := s.GetRecord(ctx, c.kind, c.id)
		if err != nil || rec.Version != c.version {
			t.Errorf("GetRecord(%s/%s) = v%d, %v; want v%d", c.kind, c.id, rec.Version, err, c.version)
		}
	}
	if _, err := s.GetRecord(ctx, a, "bad"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the invalid write was stored: %v", err)
	}
	for _, id := range []string{"ma-stale", "ma-conflict"} {
		if _, err := s.GetResource(ctx, "MedicationAdministration", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the projection of a refused write (%s) was stored: %v", id, err)
		}
	}
	cur, err := s.GetResource(ctx, "MedicationAdministration", "ma-new")
	if err != nil || cur.VersionID != 2 || cur.Status != "completed" {
		t.Fatalf("GetResource(ma-new) = %+v, %v; want version 2, completed", cur, err)
	}
	v1, err := s.GetResourceVersion(ctx, "MedicationAdministration", "ma-new", 1)
	if err != nil || v1.Status != "in-progress" {
		t.Errorf("vread ma-new/1 = %+v, %v; want the in-progress version", v1, err)
	}
	page, err := s.SearchResources(ctx, store.ResourceQuery{Type: "MedicationAdministration", Identifier: "urn:x|new"})
	if err != nil || page.Total != 1 {
		t.Errorf("search by identifier = %+v, %v; want ma-new once", page, err)
	}
	after, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// new v1, new v2 and the practitioner.
	if got := after.Pending - before.Pending; got != 3 {
		t.Errorf("the group queued %d outbox entries, want 3", got)
	}
	// Sequence values of one group still grow in write order per record
	// and are distinct.
	newRec, _ := s.GetRecord(ctx, a, "new")
	md, _ := s.GetRecord(ctx, clinic.KindPractitioner, "md")
	held, _ := s.GetRecord(ctx, a, "held")
	if newRec.Seq == md.Seq || newRec.Seq <= held.Seq || md.Seq <= held.Seq {
		t.Errorf("seq: new %d, md %d, held %d; want distinct, above the earlier write", newRec.Seq, md.Seq, held.Seq)
	}

	if rs, errs := g.PutRecords(ctx, nil); len(rs) != 0 || len(errs) != 0 {
		t.Errorf("PutRecords(nil) = %v, %v", rs, errs)
	}
}

// testPutRecordsConcurrent races groups that share records: the newest
// version of each record wins and no write is lost or duplicated.
func testPutRecordsConcurrent(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	g := groupWriter(t, s)
	groupsRace(t, []store.GroupWriter{g}, s)
}

func groupsRace(t *testing.T, gs []store.GroupWriter, s store.Store) {
	t.Helper()
	ctx := context.Background()
	const records, versions, workers = 4, 6, 4
	var wg sync.WaitGroup
	fails := make(chan error, workers*versions*records)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := gs[w%len(gs)]
			for v := 1; v <= versions; v++ {
				var group []store.Write
				// Each worker writes the records in another order.
				for r := range records {
					id := fmt.Sprintf("r%d", (r+w)%records)
					group = append(group, write(clinic.KindAdministration, id, v, "p1",
						res("MedicationAdministration", "ma-"+id, "p1", fmt.Sprintf("s%d", v), "")))
				}
				_, errs := g.PutRecords(ctx, group)
				for _, err := range errs {
					if err != nil && !errors.Is(err, store.ErrStale) {
						fails <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(fails)
	for err := range fails {
		t.Errorf("PutRecords: %v", err)
	}
	for r := range records {
		id := fmt.Sprintf("r%d", r)
		rec, err := s.GetRecord(ctx, clinic.KindAdministration, id)
		if err != nil || rec.Version != versions {
			t.Errorf("%s: stored v%d, %v; want v%d", id, rec.Version, err, versions)
		}
		cur, err := s.GetResource(ctx, "MedicationAdministration", "ma-"+id)
		if err != nil || cur.VersionID != versions || cur.Status != fmt.Sprintf("s%d", versions) {
			t.Errorf("ma-%s = version %d status %q, %v; want version %d", id, cur.VersionID, cur.Status, err, versions)
		}
	}
}

// testPutRecordsGroupFresh checks a group of records created together,
// whose projections share multi-row statements: each record keeps its
// own resources in its own order, every identifier is searchable, and
// each record is queued once, in write order, with its own sequence value.
func testPutRecordsGroupFresh(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	g := groupWriter(t, s)
	ctx := context.Background()
	const a = clinic.KindAdministration
	ids := []string{"a1", "a2", "a3"}
	var group []store.Write
	want := map[string][]string{}
	for i, id := range ids {
		var rs []store.Resource
		for j := range i + 2 {
			rid := fmt.Sprintf("%s-r%d", id, j)
			// Newest first: the projection's order is not the ids'.
			rs = append([]store.Resource{res("Observation", rid, "p"+id, "final", "", "urn:x|"+rid)}, rs...)
		}
		for _, r := range rs {
			want[id] = append(want[id], r.ID)
		}
		group = append(group, write(a, id, 1, "p"+id, rs...))
	}
	results, errs := g.PutRecords(ctx, group)
	for i := range group {
		if errs[i] != nil || results[i] != store.Created {
			t.Fatalf("write %s = %v, %v; want created", ids[i], results[i], errs[i])
		}
	}
	seqs := map[int64]bool{}
	for _, id := range ids {
		rs, err := s.ResourcesOf(ctx, a, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rs {
			got = append(got, r.ID)
			page, err := s.SearchResources(ctx, store.ResourceQuery{Type: "Observation", Identifier: "urn:x|" + r.ID})
			if err != nil || page.Total != 1 || page.Resources[0].ID != r.ID {
				t.Errorf("search by identifier of %s = %+v, %v; want it alone", r.ID, page, err)
			}
		}
		if !equalStrings(got, want[id]) {
			t.Errorf("ResourcesOf(%s) = %v, want %v", id, got, want[id])
		}
		rec, err := s.GetRecord(ctx, a, id)
		if err != nil || seqs[rec.Seq] {
			t.Errorf("GetRecord(%s) = seq %d, %v; want a seq of its own", id, rec.Seq, err)
		}
		seqs[rec.Seq] = true
	}
	items := claim(t, s, "w", 10, time.Minute)
	wantItems := []string{"administration/a1@1", "administration/a2@1", "administration/a3@1"}
	if got := itemKeys(items); !equalStrings(got, wantItems) {
		t.Errorf("queued %v, want %v", got, wantItems)
	}
}

// groupWriter is s as a store.GroupWriter; the test is skipped for a
// store without group commit.
func groupWriter(t *testing.T, s store.Store) store.GroupWriter {
	t.Helper()
	g, ok := s.(store.GroupWriter)
	if !ok {
		t.Skip("the store does not implement store.GroupWriter")
	}
	return g
}
