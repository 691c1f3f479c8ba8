package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func testPutRecordOutcomes(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	const p = clinic.KindPatient
	steps := []struct {
		name    string
		w       store.Write
		want    store.PutResult
		wantErr error
		stored  int // version stored afterwards
	}{
		{"first version", write(p, "p1", 2, "p1"), store.Created, nil, 2},
		{"exact replay", write(p, "p1", 2, "p1"), store.Unchanged, nil, 2},
		{"same version other content", func() store.Write {
			w := write(p, "p1", 2, "p1")
			w.Body = body(p, "p1", 2, `,"x":1`)
			return w
		}(), 0, store.ErrConflict, 2},
		{"older version", write(p, "p1", 1, "p1"), 0, store.ErrStale, 2},
		{"newer version", write(p, "p1", 3, "p1"), store.Updated, nil, 3},
		{"skipping versions", write(p, "p1", 7, "p1"), store.Updated, nil, 7},
		{"replay of an older version", write(p, "p1", 3, "p1"), 0, store.ErrStale, 7},
		{"other record same id other kind", write(clinic.KindPractitioner, "p1", 1, ""), store.Created, nil, 7},
	}
	var lastSeq int64
	for _, st := range steps {
		clock.Advance(time.Second)
		got, err := s.PutRecord(ctx, st.w)
		if st.wantErr != nil {
			if !errors.Is(err, st.wantErr) {
				t.Fatalf("%s: PutRecord err = %v, want %v", st.name, err, st.wantErr)
			}
			var se *store.StaleError
			if errors.Is(err, store.ErrStale) && (!errors.As(err, &se) || se.Held != st.stored || se.Version != st.w.Version) {
				t.Errorf("%s: stale error %#v, want version %d against %d held", st.name, se, st.w.Version, st.stored)
			}
		} else if err != nil || got != st.want {
			t.Fatalf("%s: PutRecord = %v, %v; want %v", st.name, got, err, st.want)
		}
		rec, err := s.GetRecord(ctx, p, "p1")
		if err != nil {
			t.Fatalf("%s: GetRecord: %v", st.name, err)
		}
		if rec.Version != st.stored {
			t.Fatalf("%s: stored version %d, want %d", st.name, rec.Version, st.stored)
		}
		if st.w.Kind == p && st.want != 0 && st.want != store.Unchanged {
			if rec.Seq <= lastSeq {
				t.Errorf("%s: Seq %d did not grow past %d", st.name, rec.Seq, lastSeq)
			}
			if !rec.UpdatedAt.Equal(clock.Now()) {
				t.Errorf("%s: UpdatedAt %s, want %s", st.name, rec.UpdatedAt, clock.Now())
			}
			if string(rec.Body) != string(st.w.Body) || rec.PatientID != "p1" || rec.Origin != store.OriginClinic || rec.Kind != p {
				t.Errorf("%s: stored %+v", st.name, rec)
			}
		}
		lastSeq = max(lastSeq, rec.Seq)
	}
	prac, err := s.GetRecord(ctx, clinic.KindPractitioner, "p1")
	if err != nil || prac.Version != 1 || prac.PatientID != "" {
		t.Fatalf("GetRecord(practitioner) = %+v, %v", prac, err)
	}
	if prac.Seq <= lastSeq-1 && prac.Seq == 0 {
		t.Errorf("practitioner Seq %d", prac.Seq)
	}
	up := write(clinic.KindPlan, "pl1", 1, "p1")
	up.Origin = store.OriginUpstream
	up.Enqueue = false
	mustPut(t, s, up, store.Created)
	rec, err := s.GetRecord(ctx, clinic.KindPlan, "pl1")
	if err != nil || rec.Origin != store.OriginUpstream {
		t.Fatalf("GetRecord(upstream plan) = %+v, %v", rec, err)
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// p1 v2, v3, v7 and the practitioner: replays, refusals and the
	// upstream plan queue nothing.
	if stats.Pending != 4 {
		t.Errorf("OutboxStats.Pending = %d, want 4", stats.Pending)
	}
}

func testPutRecordInvalid(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	ctx := context.Background()
	ok := write(clinic.KindPlan, "x", 1, "p")
	tests := []struct {
		name string
		mod  func(w *store.Write)
	}{
		{"no kind", func(w *store.Write) { w.Kind = "" }},
		{"no id", func(w *store.Write) { w.ID = "" }},
		{"version 0", func(w *store.Write) { w.Version = 0 }},
		{"no body", func(w *store.Write) { w.Body = nil }},
		{"bad origin", func(w *store.Write) { w.Origin = "elsewhere" }},
		{"resource without id", func(w *store.Write) { w.Resources = []store.Resource{res("Observation", "", "p", "final", "")} }},
		{"resource bad date", func(w *store.Write) {
			w.Resources = []store.Resource{res("Observation", "o", "p", "final", "2026-02-30")}
		}},
		{"resource twice", func(w *store.Write) {
			w.Resources = []store.Resource{res("Observation", "o", "p", "final", ""), res("Observation", "o", "p", "final", "")}
		}},
	}
	for _, tt := range tests {
		w := ok
		tt.mod(&w)
		if _, err := s.PutRecord(ctx, w); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: PutRecord err = %v, want ErrInvalid", tt.name, err)
		}
	}
	// Nothing of the refused writes is stored.
	if _, err := s.GetRecord(ctx, clinic.KindPlan, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetRecord after refused writes: %v, want ErrNotFound", err)
	}
	if st, err := s.OutboxStats(ctx); err != nil || st.Pending != 0 {
		t.Errorf("OutboxStats after refused writes = %+v, %v", st, err)
	}
}

func testGetRecordNotFound(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	ctx := context.Background()
	mustPut(t, s, write(clinic.KindPatient, "p1", 1, "p1"), store.Created)
	for _, k := range []struct {
		kind clinic.Kind
		id   string
	}{{clinic.KindPatient, "p2"}, {clinic.KindPlan, "p1"}} {
		if _, err := s.GetRecord(ctx, k.kind, k.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetRecord(%s/%s) err = %v, want ErrNotFound", k.kind, k.id, err)
		}
	}
	if _, err := s.GetSyncState(ctx, clinic.KindPatient, "p2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSyncState(missing) err = %v, want ErrNotFound", err)
	}
}

func testListRecords(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	const pl = clinic.KindPlan
	// Five plans of two patients, one a minute apart; then pl1 is updated.
	for _, w := range []store.Write{
		write(pl, "pl1", 1, "pa"), write(pl, "pl2", 1, "pb"), write(pl, "pl3", 1, "pa"),
		write(pl, "pl4", 1, "pb"), write(pl, "pl5", 1, "pa"),
	} {
		clock.Advance(time.Minute)
		mustPut(t, s, w, store.Created)
	}
	mustPut(t, s, write(clinic.KindPatient, "pa", 1, "pa"), store.Created)
	clock.Advance(time.Minute)
	mustPut(t, s, write(pl, "pl1", 2, "pa"), store.Updated)

	ids := func(p store.RecordPage) []string {
		out := make([]string, len(p.Records))
		for i, r := range p.Records {
			out[i] = r.ID
		}
		return out
	}
	tests := []struct {
		name string
		q    store.ListQuery
		want []string
	}{
		{"all by seq", store.ListQuery{Kind: pl}, []string{"pl2", "pl3", "pl4", "pl5", "pl1"}},
		{"patient", store.ListQuery{Kind: pl, PatientID: "pa"}, []string{"pl3", "pl5", "pl1"}},
		{"updated since (exclusive)", store.ListQuery{Kind: pl, UpdatedSince: epoch.Add(3 * time.Minute)}, []string{"pl4", "pl5", "pl1"}},
		{"patient and since", store.ListQuery{Kind: pl, PatientID: "pb", UpdatedSince: epoch.Add(3 * time.Minute)}, []string{"pl4"}},
		{"other kind", store.ListQuery{Kind: clinic.KindPatient}, []string{"pa"}},
		{"empty kind", store.ListQuery{Kind: clinic.KindReaction}, nil},
		// The store reads one row past the limit; that must not overflow.
		{"largest limit", store.ListQuery{Kind: pl, Limit: math.MaxInt}, []string{"pl2", "pl3", "pl4", "pl5", "pl1"}},
	}
	for _, tt := range tests {
		page, err := s.ListRecords(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: ListRecords: %v", tt.name, err)
		}
		if got := ids(page); !equalStrings(got, tt.want) || page.Next != 0 {
			t.Errorf("%s: ListRecords = %v next %d, want %v next 0", tt.name, got, page.Next, tt.want)
		}
	}
	// Cursor paging walks every record once, in Seq order.
	var walked []string
	q := store.ListQuery{Kind: pl, Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, err := s.ListRecords(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Records) > 2 {
			t.Fatalf("page of %d records, limit 2", len(page.Records))
		}
		walked = append(walked, ids(page)...)
		if page.Next == 0 {
			break
		}
		q.After = page.Next
	}
	if want := []string{"pl2", "pl3", "pl4", "pl5", "pl1"}; !equalStrings(walked, want) {
		t.Errorf("paged walk = %v, want %v", walked, want)
	}
	if _, err := s.ListRecords(ctx, store.ListQuery{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ListRecords without kind err = %v, want ErrInvalid", err)
	}
}

// testConcurrentVersions: 50 writers race with versions 1..50 of one
// record; the newest must win and every other call must end in a
// success, ErrStale or Unchanged — never a lost update or a driver error.
func testConcurrentVersions(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	concurrentVersions(t, []store.Store{s})
}

// concurrentVersions races the writers over stores round-robin: one store,
// or several instances sharing one database.
func concurrentVersions(t *testing.T, stores []store.Store) {
	s := stores[0]
	ctx := context.Background()
	const n = 50
	results := make([]store.PutResult, n+1)
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for v := 1; v <= n; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w := write(clinic.KindPlan, "race", v, "p1",
				res("MedicationRequest", "mr-race", "pt1", "active", "2026-03-05"))
			w.Resources[0].Body = body("x", "mr", v, "")
			results[v], errs[v] = stores[v%len(stores)].PutRecord(ctx, w)
		}()
	}
	close(start)
	wg.Wait()
	created, updated := 0, 0
	for v := 1; v <= n; v++ {
		switch {
		case errs[v] == nil && results[v] == store.Created:
			created++
		case errs[v] == nil && results[v] == store.Updated:
			updated++
		case errs[v] == nil && results[v] == store.Unchanged:
		case errors.Is(errs[v], store.ErrStale):
		default:
			t.Errorf("version %d: %v, %v", v, results[v], errs[v])
		}
	}
	if created != 1 {
		t.Errorf("%d writers created the record, want 1", created)
	}
	if errs[n] != nil {
		t.Errorf("the newest version failed: %v", errs[n])
	}
	rec, err := s.GetRecord(ctx, clinic.KindPlan, "race")
	if err != nil || rec.Version != n {
		t.Fatalf("GetRecord = v%d, %v; want v%d", rec.Version, err, n)
	}
	r, err := s.GetResource(ctx, "MedicationRequest", "mr-race")
	if err != nil || string(r.Body) != string(body("x", "mr", n, "")) {
		t.Fatalf("projection = %s, %v; want version %d's", r.Body, err, n)
	}
	// One resource version per successful write: none lost, none doubled.
	if r.VersionID != created+updated {
		t.Errorf("resource VersionID %d, want %d (one per stored write)", r.VersionID, created+updated)
	}
	stats, err := s.OutboxStats(ctx)
	if err != nil || stats.Pending != created+updated {
		t.Errorf("outbox pending %d (%v), want %d", stats.Pending, err, created+updated)
	}
}

func testUnchangedWritesNothing(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	w := write(clinic.KindPlan, "pl", 1, "p", res("MedicationRequest", "mr", "pt", "active", "2026-03-05"))
	mustPut(t, s, w, store.Created)
	before, _ := s.GetRecord(ctx, clinic.KindPlan, "pl")
	clock.Advance(time.Hour)
	// A replay whose projection differs still writes nothing: the record
	// version decides.
	w.Resources = []store.Resource{res("MedicationRequest", "mr", "pt", "stopped", "2026-03-05")}
	mustPut(t, s, w, store.Unchanged)
	after, _ := s.GetRecord(ctx, clinic.KindPlan, "pl")
	if after.Seq != before.Seq || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("replay moved the record: %+v → %+v", before, after)
	}
	r, err := s.GetResource(ctx, "MedicationRequest", "mr")
	if err != nil || r.VersionID != 1 || r.Status != "active" {
		t.Errorf("replay changed the projection: %+v, %v", r, err)
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 1 {
		t.Errorf("replay queued again: pending %d", st.Pending)
	}
}

// seqVisibleInOrder: writers on one instance, an incremental reader on
// another polling ListRecords by cursor. Sequence values must become
// visible in order, or the reader's cursor passes a record that commits
// later with a smaller Seq and never sees it.
func seqVisibleInOrder(t *testing.T, stores []store.Store) {
	ctx := context.Background()
	const writers, each = 4, 25
	writer, reader := stores[0], stores[len(stores)-1]
	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("r%d-%d", w, i)
				wr := write(clinic.KindReaction, id, 1, fmt.Sprintf("P%d", i%3),
					res("Observation", id, "pt", "final", "2026-03-05"))
				if _, err := writer.PutRecord(ctx, wr); err != nil {
					t.Errorf("PutRecord: %v", err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	seen := map[string]bool{}
	var after int64
	poll := func() {
		for {
			page, err := reader.ListRecords(ctx, store.ListQuery{Kind: clinic.KindReaction, After: after, Limit: 7})
			if err != nil {
				t.Fatalf("ListRecords: %v", err)
			}
			for _, r := range page.Records {
				if r.Seq <= after {
					t.Fatalf("Seq %d after cursor %d", r.Seq, after)
				}
				seen[r.ID] = true
				after = r.Seq
			}
			if page.Next == 0 {
				return
			}
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		poll()
	}
	poll()
	if len(seen) != writers*each {
		t.Errorf("incremental reader saw %d of %d records: the cursor skipped records committed out of Seq order", len(seen), writers*each)
	}
}

// testReadMany: one ReadMany answers each of its reads as GetRecord,
// ListRecords and SearchResources answer it alone.
func testReadMany(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	mustPut(t, s, write(clinic.KindPatient, "p1", 1, "p1"), store.Created)
	for i := range 3 {
		clock.Advance(time.Second)
		mustPut(t, s, write(clinic.KindPlan, fmt.Sprintf("pl%d", i), 1, "p1",
			res("AllergyIntolerance", fmt.Sprintf("ai%d", i), "p1", "active", "")), store.Created)
	}
	mustPut(t, s, write(clinic.KindPlan, "pl1", 2, "p1", res("AllergyIntolerance", "ai1", "p1", "active", "")), store.Updated)
	mustPut(t, s, write(clinic.KindPlan, "other", 1, "p2"), store.Created)

	keys := []store.RecordKey{
		{Kind: clinic.KindPlan, ID: "pl1"}, {Kind: clinic.KindPatient, ID: "p1"},
		{Kind: clinic.KindPatient, ID: "nope"}, {Kind: clinic.KindPlan, ID: "p1"},
	}
	// More keys than one statement takes.
	for i := range 150 {
		keys = append(keys, store.RecordKey{Kind: clinic.KindAdministration, ID: fmt.Sprintf("a%d", i)})
	}
	lists := []store.ListQuery{
		{Kind: clinic.KindPlan, PatientID: "p1"},
		{Kind: clinic.KindPlan, PatientID: "p1", Limit: 2}, // a next page
		{Kind: clinic.KindPlan},
		{Kind: clinic.KindReaction, PatientID: "p1"}, // none
	}
	searches := []store.ResourceQuery{
		{Type: "AllergyIntolerance", PatientID: "p1", Count: 1000},
		{Type: "AllergyIntolerance", PatientID: "p1", Count: 2}, // a full page: the total needs a count
		{Type: "AllergyIntolerance", PatientID: "p1", Offset: 2, Count: 2},
		{Type: "AllergyIntolerance", PatientID: "p2"},
	}
	got, err := s.ReadMany(ctx, store.Reads{Records: keys, Lists: lists, Searches: searches})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 2 {
		t.Fatalf("ReadMany: %d records, want 2: %+v", len(got.Records), got.Records)
	}
	for _, r := range got.Records {
		one, err := s.GetRecord(ctx, r.Kind, r.ID)
		if err != nil || !sameRecord(one, r) {
			t.Errorf("ReadMany gave %+v, GetRecord %+v, %v", r, one, err)
		}
	}
	if len(got.Lists) != len(lists) || len(got.Searches) != len(searches) {
		t.Fatalf("ReadMany: %d lists and %d searches, want %d and %d", len(got.Lists), len(got.Searches), len(lists), len(searches))
	}
	for i, lq := range lists {
		want, err := s.ListRecords(ctx, lq)
		if err != nil {
			t.Fatal(err)
		}
		g := got.Lists[i]
		if g.Next != want.Next || len(g.Records) != len(want.Records) {
			t.Errorf("list %+v: ReadMany %d records, next %d; ListRecords %d, next %d", lq, len(g.Records), g.Next, len(want.Records), want.Next)
			continue
		}
		for j := range g.Records {
			if !sameRecord(g.Records[j], want.Records[j]) {
				t.Errorf("list %+v, record %d: ReadMany %+v, ListRecords %+v", lq, j, g.Records[j], want.Records[j])
			}
		}
	}
	for i, rq := range searches {
		want, err := s.SearchResources(ctx, rq)
		if err != nil {
			t.Fatal(err)
		}
		g := got.Searches[i]
		if g.Total != want.Total || len(g.Resources) != len(want.Resources) {
			t.Errorf("search %+v: ReadMany %d of %d; SearchResources %d of %d", rq, len(g.Resources), g.Total, len(want.Resources), want.Total)
			continue
		}
		for j := range g.Resources {
			if g.Resources[j].ID != want.Resources[j].ID || g.Resources[j].VersionID != want.Resources[j].VersionID {
				t.Errorf("search %+v, match %d: ReadMany %s v%d, SearchResources %s v%d", rq, j,
					g.Resources[j].ID, g.Resources[j].VersionID, want.Resources[j].ID, want.Resources[j].VersionID)
			}
		}
	}
	if got.Searches[0].Total != 3 || got.Searches[1].Total != 3 {
		t.Errorf("allergy totals %d and %d, want 3 and 3", got.Searches[0].Total, got.Searches[1].Total)
	}

	if none, err := s.ReadMany(ctx, store.Reads{}); err != nil || len(none.Records)+len(none.Lists)+len(none.Searches) != 0 {
		t.Errorf("ReadMany(nothing) = %+v, %v", none, err)
	}
	if _, err := s.ReadMany(ctx, store.Reads{Lists: []store.ListQuery{{}}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ReadMany of a list without kind = %v, want ErrInvalid", err)
	}
}

func sameRecord(a, b store.StoredRecord) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.Version == b.Version && string(a.Body) == string(b.Body) &&
		a.Seq == b.Seq && a.PatientID == b.PatientID && a.UpdatedAt.Equal(b.UpdatedAt) && a.Origin == b.Origin
}
