package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/adapter/projection"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// examplesDir finds ../shared/clinic-model/examples from the repository root.
func examplesDir(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "clinic-model", "examples")
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("clinic examples not found at %s", dir)
			}
			return dir
		}
	}
	t.Fatal("no go.mod above the test")
	return ""
}

// foreignOrder is an order an EHR wrote on the upstream about clinic
// patient pat-1001 (references by FHIR id only, no clinic identifiers).
func foreignOrder(id, patRef, pracRef, rxnorm string) string {
	return `{"resourceType":"MedicationRequest","id":"` + id + `","status":"active","intent":"order",
	  "contained":[{"resourceType":"Medication","id":"m","ingredient":[
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"` + rxnorm + `"}]},
	      "strength":{"numerator":{"value":1000,"system":"http://unitsofmeasure.org","code":"ug"},"denominator":{"value":500,"system":"http://unitsofmeasure.org","code":"mL"}}},
	     {"itemCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"9863"}]},"isActive":false}]}],
	  "medicationReference":{"reference":"#m"},
	  "subject":{"reference":"` + patRef + `"},"requester":{"reference":"` + pracRef + `"},
	  "authoredOn":"2026-03-10T08:00:00-08:00",
	  "reasonCode":[{"coding":[{"system":"http://snomed.info/sct","code":"82423001"}]}],
	  "dosageInstruction":[{"timing":{"repeat":{"boundsPeriod":{"start":"2026-03-16T09:00:00-08:00"},"count":6,"period":2.0,"periodUnit":"wk","duration":1.5,"durationUnit":"h"}}}]}`
}

// TestPullOrders: orders written upstream about clinic patients come back
// as plan records (Origin upstream, not queued); ivbridge's own writes do
// not; an unmappable order is dead-lettered with its payload; polling
// again changes nothing.
func TestPullOrders(t *testing.T) {
	dir := examplesDir(t)
	base := upstreamtest.Start(t)
	st := openStore(t, t.TempDir())
	ctx := context.Background()
	// The wiring's resolver: a reference to a resource ivbridge holds names
	// its clinic record.
	tr, err := translate.New(translate.Config{ResolveReference: func(ref fhir.Reference) (clinic.Kind, string, bool) {
		if ref.Reference == nil {
			return "", "", false
		}
		typ, id, ok := strings.Cut(*ref.Reference, "/")
		if !ok {
			return "", "", false
		}
		r, err := st.GetResource(ctx, typ, id)
		if err != nil || r.Deleted {
			return "", "", false
		}
		return r.SourceKind, r.SourceID, true
	}})
	if err != nil {
		t.Fatal(err)
	}
	proj := projection.New(tr, conformance.NewValidator())
	for _, name := range []string{"patient-pat-1001.json", "practitioner-prac-01.json", "plan-plan-2001.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := clinic.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		w, err := proj.Write(rec)
		if err != nil {
			t.Fatal(err)
		}
		w.Origin, w.Enqueue = store.OriginClinic, true
		put(t, st, w)
	}
	up := newClient(t, base, upstream.Config{})
	s, err := sync.New(sync.Config{Namespace: tr.Namespace(), Workers: 2, PullInterval: -1, Idle: 20 * time.Millisecond}, st, up, projection.Puller{P: proj})
	if err != nil {
		t.Fatal(err)
	}
	runSyncer(t, s)
	waitDrained(t, st, 30*time.Second)

	patRef := "Patient/" + tr.ID("Patient", clinic.KindPatient, "pat-1001")
	pracRef := "Practitioner/" + tr.ID("Practitioner", clinic.KindPractitioner, "prac-01")
	for _, o := range []struct{ id, body string }{
		{"ord-9", foreignOrder("ord-9", patRef, pracRef, "11248")},
		{"ord-bad", foreignOrder("ord-bad", patRef, pracRef, "1049502")},                   // no clinic substance
		{"ord-other", foreignOrder("ord-other", "Patient/someone-else", pracRef, "11248")}, // not a clinic patient
	} {
		if _, err := up.Update(ctx, "MedicationRequest", o.id, []byte(o.body), ""); err != nil {
			t.Fatalf("writing %s upstream: %v", o.id, err)
		}
	}
	since := time.Now().Add(-time.Minute)
	if err := s.PullOnce(ctx); err != nil {
		t.Fatal(err)
	}
	page, err := st.ListRecords(ctx, store.ListQuery{Kind: clinic.KindPlan, UpdatedSince: since, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.StoredRecord{}
	for _, r := range page.Records {
		got[r.ID] = r
	}
	if r, ok := got["ord-9"]; !ok || r.Origin != store.OriginUpstream || r.PatientID != "pat-1001" {
		t.Fatalf("pulled plans: %+v", page.Records)
	}
	if r := got["plan-2001"]; r.Origin != store.OriginClinic || r.Version != 2 {
		t.Errorf("ivbridge's own order came back: %s v%d from %s", r.ID, r.Version, r.Origin)
	}
	if len(got) != 2 {
		t.Errorf("plans: %v", got)
	}
	if stats, _ := st.OutboxStats(ctx); stats.Pending != 0 {
		t.Errorf("a pulled plan was queued for push: %+v", stats)
	}
	dls, err := s.DeadLetters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].Seq != 0 || !strings.Contains(dls[0].Reason, "unmappable") || !strings.Contains(string(dls[0].Payload), "ord-bad") {
		t.Fatalf("dead letters: %+v", dls)
	}
	wm, err := st.Watermark(ctx, "pull:MedicationRequest")
	if err != nil || wm == "" {
		t.Fatalf("watermark %q, %v", wm, err)
	}

	// Polling again (the overlap re-reads the same orders) changes nothing.
	if err := s.PullOnce(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := st.GetRecord(ctx, clinic.KindPlan, "ord-9")
	if err != nil || r.Version != 1 {
		t.Errorf("ord-9 after a second poll: v%d, %v", r.Version, err)
	}
	if dls, _ := s.DeadLetters(ctx); len(dls) != 1 {
		t.Errorf("dead letters after a second poll: %d", len(dls))
	}

	// The order changes upstream: a new version of the plan.
	cur, err := up.Read(ctx, "MedicationRequest", "ord-9")
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(cur.Body), `"status":"active"`, `"status":"on-hold"`, 1)
	if _, err := up.Update(ctx, "MedicationRequest", "ord-9", []byte(changed), cur.ETag()); err != nil {
		t.Fatal(err)
	}
	if err := s.PullOnce(ctx); err != nil {
		t.Fatal(err)
	}
	r, err = st.GetRecord(ctx, clinic.KindPlan, "ord-9")
	if err != nil || r.Version != 2 || !strings.Contains(string(r.Body), `"on_hold"`) && !strings.Contains(string(r.Body), `"on-hold"`) {
		t.Errorf("ord-9 after the upstream change: v%d %s, %v", r.Version, r.Body, err)
	}
}
