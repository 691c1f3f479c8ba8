package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func testProjectionVersions(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	const pl = clinic.KindPlan
	a1 := res("MedicationRequest", "a", "pt", "active", "2026-03-05", "urn:x|1")
	a1.Refs = map[string]string{"subject": "Patient/pt"}
	b1 := res("Medication", "b", "", "", "")
	mustPut(t, s, write(pl, "pl", 1, "p", a1, b1), store.Created)
	t1 := clock.Now()

	clock.Advance(time.Minute)
	a2 := res("MedicationRequest", "a", "pt", "stopped", "2026-03-05", "urn:x|1")
	c1 := res("Observation", "c", "pt", "final", "2026-03-05T09:00:00Z")
	mustPut(t, s, write(pl, "pl", 2, "p", c1, a2), store.Updated)
	t2 := clock.Now()

	clock.Advance(time.Minute)
	// v3: same projection as v2: no resource gets a new version.
	mustPut(t, s, write(pl, "pl", 3, "p", c1, a2), store.Updated)

	get := func(typ, id string) store.Resource {
		t.Helper()
		r, err := s.GetResource(ctx, typ, id)
		if err != nil {
			t.Fatalf("GetResource(%s/%s): %v", typ, id, err)
		}
		return r
	}
	if r := get("MedicationRequest", "a"); r.VersionID != 2 || r.Status != "stopped" || !r.LastUpdated.Equal(t2) ||
		r.Deleted || r.SourceKind != pl || r.SourceID != "pl" || r.PatientID != "pt" || r.Date != "2026-03-05" ||
		len(r.Identifiers) != 1 || r.Identifiers[0] != "urn:x|1" || len(r.Refs) != 0 {
		t.Errorf("a current = %+v", r)
	}
	if r := get("Medication", "b"); !r.Deleted || r.VersionID != 2 || !r.LastUpdated.Equal(t2) || r.Body != nil {
		t.Errorf("b current = %+v, want deleted version 2 at %s", r, t2)
	}
	if r := get("Observation", "c"); r.VersionID != 1 || !r.LastUpdated.Equal(t2) {
		t.Errorf("c current = %+v, want version 1 at %s", r, t2)
	}
	vread := []struct {
		typ, id string
		v       int
		deleted bool
		status  string
		at      time.Time
	}{
		{"MedicationRequest", "a", 1, false, "active", t1},
		{"MedicationRequest", "a", 2, false, "stopped", t2},
		{"Medication", "b", 1, false, "", t1},
		{"Medication", "b", 2, true, "", t2},
		{"Observation", "c", 1, false, "final", t2},
	}
	for _, v := range vread {
		r, err := s.GetResourceVersion(ctx, v.typ, v.id, v.v)
		if err != nil {
			t.Fatalf("GetResourceVersion(%s/%s/%d): %v", v.typ, v.id, v.v, err)
		}
		if r.Deleted != v.deleted || r.Status != v.status || !r.LastUpdated.Equal(v.at) || r.VersionID != v.v {
			t.Errorf("vread %s/%s/%d = %+v", v.typ, v.id, v.v, r)
		}
		if !v.deleted && string(r.Body) != string(res(v.typ, v.id, "", v.status, "").Body) {
			t.Errorf("vread %s/%s/%d body %s", v.typ, v.id, v.v, r.Body)
		}
		if v.typ == "MedicationRequest" && v.v == 1 && r.Refs["subject"] != "Patient/pt" {
			t.Errorf("vread a/1 refs = %v", r.Refs)
		}
	}
	for _, miss := range []struct {
		typ, id string
		v       int
	}{{"MedicationRequest", "a", 3}, {"MedicationRequest", "zz", 1}, {"Patient", "a", 1}} {
		if _, err := s.GetResourceVersion(ctx, miss.typ, miss.id, miss.v); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetResourceVersion(%v) err = %v, want ErrNotFound", miss, err)
		}
	}
	if _, err := s.GetResource(ctx, "Patient", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetResource(missing) err = %v, want ErrNotFound", err)
	}
	// ResourcesOf: current, not deleted, in the order of the last write.
	rs, err := s.ResourcesOf(ctx, pl, "pl")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Type+"/"+r.ID)
	}
	if want := []string{"Observation/c", "MedicationRequest/a"}; !equalStrings(got, want) {
		t.Errorf("ResourcesOf = %v, want %v", got, want)
	}
	// A resource dropped and then brought back gets a new version.
	clock.Advance(time.Minute)
	mustPut(t, s, write(pl, "pl", 4, "p", a2, c1, b1), store.Updated)
	if r := get("Medication", "b"); r.Deleted || r.VersionID != 3 || string(r.Body) != string(b1.Body) {
		t.Errorf("b revived = %+v, want version 3", r)
	}
	if rs, _ := s.ResourcesOf(ctx, pl, "unknown"); len(rs) != 0 {
		t.Errorf("ResourcesOf(unknown) = %v", rs)
	}
}

// searchFixture stores resources of two patients for the search tests.
func searchFixture(t *testing.T, s store.Store, clock *Clock) {
	t.Helper()
	const ma = "MedicationAdministration"
	mustPut(t, s, write(clinic.KindAdministration, "ad1", 1, "p1",
		res(ma, "m1", "pt1", "completed", "2026-03-05T10:00:00Z", "urn:ivb/administration|ad1", "urn:other|X"),
	), store.Created)
	clock.Advance(time.Minute)
	mustPut(t, s, write(clinic.KindAdministration, "ad2", 1, "p1",
		res(ma, "m2", "pt1", "in-progress", "2026-03-06T08:30:00+01:00", "urn:ivb/administration|ad2"),
	), store.Created)
	clock.Advance(time.Minute)
	mustPut(t, s, write(clinic.KindAdministration, "ad3", 1, "p2",
		res(ma, "m3", "pt2", "completed", "2026-04", "|ad3"),
		res("Observation", "o3", "pt2", "final", "2026-03-05", "urn:ivb/administration|ad3"),
	), store.Created)
	clock.Advance(time.Minute)
	mustPut(t, s, write(clinic.KindAdministration, "ad4", 1, "p2",
		res(ma, "m4", "pt2", "stopped", ""),
	), store.Created)
	clock.Advance(time.Minute)
	// m5 is written and then dropped: searches never find it.
	mustPut(t, s, write(clinic.KindAdministration, "ad5", 1, "p2",
		res(ma, "m5", "pt2", "completed", "2026-03-05", "urn:ivb/administration|ad5")), store.Created)
	mustPut(t, s, write(clinic.KindAdministration, "ad5", 2, "p2"), store.Updated)
}

func searchIDs(t *testing.T, s store.Store, q store.ResourceQuery) ([]string, int) {
	t.Helper()
	page, err := s.SearchResources(context.Background(), q)
	if err != nil {
		t.Fatalf("SearchResources(%+v): %v", q, err)
	}
	var ids []string
	for _, r := range page.Resources {
		if r.Deleted {
			t.Errorf("search returned deleted %s/%s", r.Type, r.ID)
		}
		ids = append(ids, r.ID)
	}
	return ids, page.Total
}

func testSearchResources(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	searchFixture(t, s, clock)
	const ma = "MedicationAdministration"
	tests := []struct {
		name string
		q    store.ResourceQuery
		want []string
	}{
		{"type", store.ResourceQuery{Type: ma}, []string{"m1", "m2", "m3", "m4"}},
		{"all types", store.ResourceQuery{}, []string{"m1", "m2", "m3", "o3", "m4"}},
		{"ids", store.ResourceQuery{Type: ma, IDs: []string{"m4", "m1", "nope"}}, []string{"m1", "m4"}},
		{"id of other type", store.ResourceQuery{Type: ma, IDs: []string{"o3"}}, nil},
		{"identifier system|value", store.ResourceQuery{Type: ma, Identifier: "urn:ivb/administration|ad2"}, []string{"m2"}},
		{"identifier system|value other type", store.ResourceQuery{Identifier: "urn:ivb/administration|ad3"}, []string{"o3"}},
		{"identifier |value (no system)", store.ResourceQuery{Type: ma, Identifier: "|ad3"}, []string{"m3"}},
		{"identifier |value has system", store.ResourceQuery{Type: ma, Identifier: "|ad1"}, nil},
		{"identifier system|", store.ResourceQuery{Type: ma, Identifier: "urn:ivb/administration|"}, []string{"m1", "m2"}},
		{"identifier value any system", store.ResourceQuery{Type: ma, Identifier: "X"}, []string{"m1"}},
		{"identifier value no match", store.ResourceQuery{Type: ma, Identifier: "urn:other|ad1"}, nil},
		{"identifier of deleted", store.ResourceQuery{Identifier: "urn:ivb/administration|ad5"}, nil},
		{"patient", store.ResourceQuery{Type: ma, PatientID: "pt2"}, []string{"m3", "m4"}},
		{"status one", store.ResourceQuery{Type: ma, Status: []string{"completed"}}, []string{"m1", "m3"}},
		{"status any of", store.ResourceQuery{Type: ma, Status: []string{"stopped", "in-progress"}}, []string{"m2", "m4"}},
		{"patient and status", store.ResourceQuery{Type: ma, PatientID: "pt1", Status: []string{"completed"}}, []string{"m1"}},
		{"no match", store.ResourceQuery{Type: "Patient"}, nil},
	}
	for _, tt := range tests {
		got, total := searchIDs(t, s, tt.q)
		if !equalStrings(got, tt.want) || total != len(tt.want) {
			t.Errorf("%s: got %v (total %d), want %v", tt.name, got, total, tt.want)
		}
	}
}

func testSearchDates(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	searchFixture(t, s, clock)
	// m1: 2026-03-05T10:00:00Z (that second)
	// m2: 2026-03-06T07:30:00Z (that second)
	// m3: all of April 2026
	// m4: no date (never matches a date filter)
	const ma = "MedicationAdministration"
	f := func(c store.Comparator, v string) []store.DateFilter {
		return []store.DateFilter{{Comparator: c, Value: v}}
	}
	tests := []struct {
		name string
		date []store.DateFilter
		want []string
	}{
		{"eq day", f(store.EQ, "2026-03-05"), []string{"m1"}},
		{"no prefix is eq", f("", "2026-03"), []string{"m1", "m2"}},
		{"eq year", f(store.EQ, "2026"), []string{"m1", "m2", "m3"}},
		{"eq second", f(store.EQ, "2026-03-05T10:00:00Z"), []string{"m1"}},
		{"eq minute with zone", f(store.EQ, "2026-03-06T08:30+01:00"), []string{"m2"}},
		{"eq instant inside a month value is not eq", f(store.EQ, "2026-04-10"), nil},
		{"ne day", f(store.NE, "2026-03-05"), []string{"m2", "m3"}},
		{"lt", f(store.LT, "2026-03-06"), []string{"m1"}},
		{"lt inside the month range", f(store.LT, "2026-04-15"), []string{"m1", "m2", "m3"}},
		{"gt", f(store.GT, "2026-03-05"), []string{"m2", "m3"}},
		{"gt inside the month range", f(store.GT, "2026-04-15"), []string{"m3"}},
		{"le", f(store.LE, "2026-03-06"), []string{"m1", "m2"}},
		{"ge", f(store.GE, "2026-03-06"), []string{"m2", "m3"}},
		{"ge month", f(store.GE, "2026-04"), []string{"m3"}},
		{"sa", f(store.SA, "2026-03-05"), []string{"m2", "m3"}},
		{"sa inside the range is not after", f(store.SA, "2026-04-01"), nil},
		{"eb", f(store.EB, "2026-04"), []string{"m1", "m2"}},
		{"eb inside the range is not before", f(store.EB, "2026-04-30"), []string{"m1", "m2"}},
		{"range ge and lt", []store.DateFilter{{Comparator: store.GE, Value: "2026-03-05"}, {Comparator: store.LT, Value: "2026-03-06"}}, []string{"m1"}},
	}
	for _, tt := range tests {
		got, total := searchIDs(t, s, store.ResourceQuery{Type: ma, Date: tt.date})
		if !equalStrings(got, tt.want) || total != len(tt.want) {
			t.Errorf("%s: got %v (total %d), want %v", tt.name, got, total, tt.want)
		}
	}
}

func testSearchLastUpdated(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	searchFixture(t, s, clock)
	// m1 at 09:00, m2 09:01, m3 and o3 09:02, m4 09:03 (epoch day).
	const ma = "MedicationAdministration"
	tests := []struct {
		name string
		f    []store.DateFilter
		want []string
	}{
		{"eq minute", []store.DateFilter{{Comparator: store.EQ, Value: "2026-03-05T09:02"}}, []string{"m3"}},
		{"gt", []store.DateFilter{{Comparator: store.GT, Value: "2026-03-05T09:01:00Z"}}, []string{"m3", "m4"}},
		{"ge", []store.DateFilter{{Comparator: store.GE, Value: "2026-03-05T09:01:00Z"}}, []string{"m2", "m3", "m4"}},
		{"lt", []store.DateFilter{{Comparator: store.LT, Value: "2026-03-05T09:01:00Z"}}, []string{"m1"}},
		{"le", []store.DateFilter{{Comparator: store.LE, Value: "2026-03-05T09:01:00Z"}}, []string{"m1", "m2"}},
		{"eq day", []store.DateFilter{{Comparator: store.EQ, Value: "2026-03-05"}}, []string{"m1", "m2", "m3", "m4"}},
		{"ne", []store.DateFilter{{Comparator: store.NE, Value: "2026-03-05T09:00"}}, []string{"m2", "m3", "m4"}},
		{"sa", []store.DateFilter{{Comparator: store.SA, Value: "2026-03-05T09:02"}}, []string{"m4"}},
		{"eb", []store.DateFilter{{Comparator: store.EB, Value: "2026-03-05T09:01"}}, []string{"m1"}},
		{"with zone", []store.DateFilter{{Comparator: store.EQ, Value: "2026-03-05T10:00+01:00"}}, []string{"m1"}},
	}
	for _, tt := range tests {
		got, total := searchIDs(t, s, store.ResourceQuery{Type: ma, LastUpdated: tt.f})
		if !equalStrings(got, tt.want) || total != len(tt.want) {
			t.Errorf("%s: got %v (total %d), want %v", tt.name, got, total, tt.want)
		}
	}
}

func testSearchPaging(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	// 7 observations, several sharing a LastUpdated so order falls back
	// to the id.
	var want []string
	for i := range 7 {
		if i%3 == 0 {
			clock.Advance(time.Second)
		}
		id := fmt.Sprintf("o%d", 7-i) // ids against write order
		mustPut(t, s, write(clinic.KindReaction, id, 1, "p",
			res("Observation", id, "pt", "final", "2026-03-05")), store.Created)
		_ = want
	}
	// By LastUpdated, then id: {o7,o6,o5}@1s, {o4,o3,o2}@2s, {o1}@3s.
	order := []string{"o5", "o6", "o7", "o2", "o3", "o4", "o1"}
	tests := []struct {
		offset, count int
		want          []string
	}{
		{0, 3, order[:3]},
		{3, 3, order[3:6]},
		{6, 3, order[6:]},
		{7, 3, nil},
		{2, 0, order[2:]},
		{0, 0, order},
		{0, 100, order},
		{0, 7, order},     // a full page: the total needs the count
		{5, 3, order[5:]}, // a short page tells the total
		{9, 0, nil},       // past the end: the total needs the count
	}
	for _, tt := range tests {
		got, total := searchIDs(t, s, store.ResourceQuery{Type: "Observation", Offset: tt.offset, Count: tt.count})
		if !equalStrings(got, tt.want) || total != 7 {
			t.Errorf("offset %d count %d: got %v (total %d), want %v (total 7)", tt.offset, tt.count, got, total, tt.want)
		}
	}

	// Keyset paging: pages of two after the last resource of the one
	// before reach every match once, each with the full total.
	ctx := context.Background()
	var got []string
	var after *store.ResourceCursor
	for range 10 {
		page, err := s.SearchResources(ctx, store.ResourceQuery{Type: "Observation", After: after, Count: 2})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 7 {
			t.Errorf("after %+v: total %d, want 7", after, page.Total)
		}
		if len(page.Resources) == 0 {
			break
		}
		for _, r := range page.Resources {
			got = append(got, r.ID)
		}
		last := page.Resources[len(page.Resources)-1]
		after = &store.ResourceCursor{LastUpdated: last.LastUpdated, Type: last.Type, ID: last.ID}
	}
	if !equalStrings(got, order) {
		t.Errorf("keyset pages = %v, want %v", got, order)
	}
	// Across types (no type given) the cursor orders by type too.
	third, err := s.SearchResources(ctx, store.ResourceQuery{Type: "Observation", Offset: 2, Count: 1})
	if err != nil || len(third.Resources) != 1 {
		t.Fatalf("third: %+v, %v", third, err)
	}
	r3 := third.Resources[0]
	if rest, _ := searchIDs(t, s, store.ResourceQuery{After: &store.ResourceCursor{LastUpdated: r3.LastUpdated, Type: r3.Type, ID: r3.ID}}); !equalStrings(rest, order[3:]) {
		t.Errorf("all types after %s = %v, want %v", r3.ID, rest, order[3:])
	}
	// A resource of the first page changes while a client pages: the
	// pages after it shift under offsets, but not after a cursor.
	first, err := s.SearchResources(ctx, store.ResourceQuery{Type: "Observation", Count: 2})
	if err != nil || len(first.Resources) != 2 {
		t.Fatalf("first page: %+v, %v", first, err)
	}
	clock.Advance(time.Second)
	mustPut(t, s, write(clinic.KindReaction, "o5", 2, "p", res("Observation", "o5", "pt", "amended", "2026-03-05")), store.Updated)
	last := first.Resources[1]
	rest, _ := searchIDs(t, s, store.ResourceQuery{Type: "Observation", Count: 100,
		After: &store.ResourceCursor{LastUpdated: last.LastUpdated, Type: last.Type, ID: last.ID}})
	if want := []string{"o7", "o2", "o3", "o4", "o1", "o5"}; !equalStrings(rest, want) {
		t.Errorf("after an update, the pages after the first = %v, want %v (o5 again, at its new place)", rest, want)
	}
	if _, err := s.SearchResources(ctx, store.ResourceQuery{Type: "Observation", After: after, Offset: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("cursor and offset together: err %v, want ErrInvalid", err)
	}
}

func testSearchInvalid(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	ctx := context.Background()
	for _, q := range []store.ResourceQuery{
		{Date: []store.DateFilter{{Comparator: store.EQ, Value: "2026-13"}}},
		{Date: []store.DateFilter{{Comparator: "ap", Value: "2026-03"}}},
		{LastUpdated: []store.DateFilter{{Comparator: store.GT, Value: "yesterday"}}},
		{Offset: -1},
		// The type goes into the statement as a literal: only a type
		// name is taken.
		{Type: "Patient' OR ''='"},
		{Type: "patient"},
	} {
		if _, err := s.SearchResources(ctx, q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SearchResources(%+v) err = %v, want ErrInvalid", q, err)
		}
	}
}

func testPutResources(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	mr := res("MedicationRequest", "mr", "pt", "active", "2026-03-05")
	mustPut(t, s, write(clinic.KindPlan, "pl", 3, "p", mr), store.Created)
	items := claim(t, s, "w", 10, time.Minute)
	if len(items) != 1 {
		t.Fatalf("claimed %v", itemKeys(items))
	}
	if err := s.CompleteOutbox(ctx, items[0].Seq, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	di := res("DetectedIssue", "di", "pt", "final", "2026-03-05T09:01:00Z")
	di.SourceKind, di.SourceID = clinic.KindPlan, "pl"
	if err := s.PutResources(ctx, []store.Resource{di}, true); err != nil {
		t.Fatalf("PutResources: %v", err)
	}
	rs, err := s.ResourcesOf(ctx, clinic.KindPlan, "pl")
	if err != nil || len(rs) != 2 || rs[0].ID != "mr" || rs[1].ID != "di" || rs[1].VersionID != 1 {
		t.Fatalf("ResourcesOf after PutResources = %+v, %v", rs, err)
	}
	items = claim(t, s, "w", 10, time.Minute)
	if got := itemKeys(items); !equalStrings(got, []string{"plan/pl@3"}) || items[0].PatientID != "p" {
		t.Fatalf("re-enqueued = %v, want [plan/pl@3]", got)
	}
	// Replacing it changes its version; the same content again does not;
	// without enqueue nothing is queued.
	clock.Advance(time.Minute)
	di.Status = "entered-in-error"
	di.Body = []byte(`{"resourceType":"DetectedIssue","id":"di","status":"entered-in-error"}`)
	for range 2 {
		if err := s.PutResources(ctx, []store.Resource{di}, false); err != nil {
			t.Fatal(err)
		}
	}
	r, err := s.GetResource(ctx, "DetectedIssue", "di")
	if err != nil || r.VersionID != 2 || r.Status != "entered-in-error" {
		t.Errorf("DetectedIssue = %+v, %v", r, err)
	}
	if st, _ := s.OutboxStats(ctx); st.Pending != 1 {
		t.Errorf("pending %d after PutResources without enqueue, want 1", st.Pending)
	}
	// The record's next write replaces its projection as a whole.
	mustPut(t, s, write(clinic.KindPlan, "pl", 4, "p", mr), store.Updated)
	if r, _ := s.GetResource(ctx, "DetectedIssue", "di"); !r.Deleted || r.VersionID != 3 {
		t.Errorf("DetectedIssue after the record's next write = %+v, want deleted v3", r)
	}
	orphan := di
	orphan.SourceID = "missing"
	if err := s.PutResources(ctx, []store.Resource{orphan}, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutResources for a missing record err = %v, want ErrNotFound", err)
	}
	noSource := di
	noSource.SourceKind = ""
	if err := s.PutResources(ctx, []store.Resource{noSource}, false); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("PutResources without source err = %v, want ErrInvalid", err)
	}
}

func testWatermarks(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	ctx := context.Background()
	if v, err := s.Watermark(ctx, "pull"); err != nil || v != "" {
		t.Fatalf("unset Watermark = %q, %v", v, err)
	}
	for _, v := range []string{"2026-03-05T09:00:00Z", "2026-03-05T10:00:00.123Z"} {
		if err := s.SetWatermark(ctx, "pull", v); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Watermark(ctx, "pull"); err != nil || got != v {
			t.Fatalf("Watermark = %q, %v; want %q", got, err, v)
		}
	}
	if v, _ := s.Watermark(ctx, "other"); v != "" {
		t.Errorf("other watermark = %q", v)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// sharedResource: writes from different records (so under different record
// locks) replace one resource at once; each must get its own version.
func sharedResource(t *testing.T, stores []store.Store) {
	ctx := context.Background()
	const n = 12
	for i := range n {
		mustPut(t, stores[0], write(clinic.KindPlan, fmt.Sprintf("pl%d", i), 1, "p"), store.Created)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := res("DetectedIssue", "shared", "pt", "final", "")
			r.Body = fmt.Appendf(nil, `{"resourceType":"DetectedIssue","id":"shared","n":%d}`, i)
			r.SourceKind, r.SourceID = clinic.KindPlan, fmt.Sprintf("pl%d", i)
			errs[i] = stores[i%len(stores)].PutResources(ctx, []store.Resource{r}, false)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	cur, err := stores[0].GetResource(ctx, "DetectedIssue", "shared")
	if err != nil || cur.VersionID != n {
		t.Fatalf("GetResource = v%d, %v; want v%d", cur.VersionID, err, n)
	}
	bodies := map[string]bool{}
	for v := 1; v <= n; v++ {
		r, err := stores[0].GetResourceVersion(ctx, "DetectedIssue", "shared", v)
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		bodies[string(r.Body)] = true
	}
	if len(bodies) != n {
		t.Errorf("%d distinct bodies over %d versions: a write was lost", len(bodies), n)
	}
}

func testSharedResource(t *testing.T, open Opener) {
	s, _ := openAt(t, open)
	sharedResource(t, []store.Store{s})
}

// testIdentifiersFollowVersions: a resource's identifier rows are those of
// its current version, through changes, a delete and a re-creation, while
// every earlier version stays readable.
func testIdentifiersFollowVersions(t *testing.T, open Opener) {
	s, clock := openAt(t, open)
	ctx := context.Background()
	const ma = "MedicationAdministration"
	steps := []struct {
		version int
		idents  []string // nil: the record drops the resource
	}{
		{1, []string{"urn:x|old", "urn:y|both"}},
		{2, []string{"urn:x|new", "urn:y|both"}},
		{3, nil},
		{4, []string{"urn:x|back"}},
	}
	every := []string{"urn:x|old", "urn:x|new", "urn:y|both", "urn:x|back"}
	for _, st := range steps {
		clock.Advance(time.Minute)
		w := write(clinic.KindAdministration, "ad", st.version, "p")
		if st.idents != nil {
			w.Resources = []store.Resource{res(ma, "m", "pt", fmt.Sprintf("s%d", st.version), "", st.idents...)}
		}
		want := store.Updated
		if st.version == 1 {
			want = store.Created
		}
		mustPut(t, s, w, want)
		for _, ident := range every {
			ids, _ := searchIDs(t, s, store.ResourceQuery{Type: ma, Identifier: ident})
			found := len(ids) == 1 && ids[0] == "m"
			if found != slices.Contains(st.idents, ident) {
				t.Errorf("after v%d: search %s = %v", st.version, ident, ids)
			}
		}
	}
	// Resource versions: 1 s1, 2 s2, 3 deleted, 4 s4.
	for v, status := range map[int]string{1: "s1", 2: "s2", 3: "", 4: "s4"} {
		r, err := s.GetResourceVersion(ctx, ma, "m", v)
		if err != nil || r.VersionID != v || r.Status != status && !r.Deleted || r.Deleted != (v == 3) {
			t.Errorf("vread m/%d = %+v, %v; want status %q", v, r, err, status)
		}
	}
	if _, err := s.GetResourceVersion(ctx, ma, "m", 5); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("vread m/5 err = %v, want ErrNotFound", err)
	}
}
