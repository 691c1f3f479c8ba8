package sync_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// TestNoTransactionsMeansSingleWrites: an upstream whose
// CapabilityStatement declares neither transaction nor batch gets one
// request per resource.
func TestNoTransactionsMeansSingleWrites(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	proxy.setMetadata(func(cs map[string]any) {
		rest := cs["rest"].([]any)[0].(map[string]any)
		delete(rest, "interaction")
	})
	st := openStore(t, t.TempDir())
	pats, plans := records(t, st, "single", 30)
	s := newSyncer(t, st, newClient(t, proxy.URL(), upstream.Config{}), sync.Config{Workers: 2})
	runSyncer(t, s)
	assertAllOnce(t, st, base, pats, plans)
	if n := proxy.count("POST /"); n != 0 {
		t.Errorf("%d Bundles posted to an upstream without transactions", n)
	}
	if n := proxy.count("PUT /Patient") + proxy.count("PUT /MedicationRequest"); n != 60 {
		t.Errorf("%d single writes, want 60", n)
	}
	st2, _ := s.Status(context.Background())
	if st2.Upstream.Mode != sync.ModeSingle {
		t.Errorf("mode %q", st2.Upstream.Mode)
	}
}

// TestBundleTooLargeSplits: configured above Medplum's limit of 50 updates
// per transaction, the first Bundles are refused as too large; the syncer
// splits them, learns the limit and everything arrives.
func TestBundleTooLargeSplits(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	st := openStore(t, t.TempDir())
	pats, plans := records(t, st, "big", 150)
	s := newSyncer(t, st, newClient(t, proxy.URL(), upstream.Config{}), sync.Config{Workers: 1, ClaimLimit: 300, MaxEntries: 200})
	runSyncer(t, s)
	assertAllOnce(t, st, base, pats, plans)
	// 300 entries: refused at 200, split into 100s (refused), 50s (taken);
	// later chunks go out at the learned 50 straight away.
	if posts := proxy.count("POST /"); posts > 12 {
		t.Errorf("%d Bundles posted for 300 entries: the limit was not learned", posts)
	}
	if splits := metric(t, s, "ivbridge_sync_bundle_splits_total"); splits < 2 {
		t.Errorf("%v bundle splits, want the 200 and the 100 split at least", splits)
	}
	if n := metric(t, s, "ivbridge_sync_pushed_records_total"); n != 300 {
		t.Errorf("pushed records metric %v, want 300", n)
	}
}

// metric reads one value from the syncer's Prometheus collector.
func metric(t *testing.T, s *sync.Syncer, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collector())
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestServerAssignedIDs: an upstream that refuses client ids
// (updateCreate false) gets conditional updates on the clinic identifier,
// with references rewritten to the ids it assigned, within and across
// Bundles; a second version updates the same resource.
func TestServerAssignedIDs(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	proxy.setMetadata(func(cs map[string]any) {
		for _, r := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			r.(map[string]any)["updateCreate"] = false
		}
	})
	st := openStore(t, t.TempDir())
	// Conditional writes scan the upstream's store: keep this small.
	pats, plans := records(t, st, "cond", 12)
	s := newSyncer(t, st, newClient(t, proxy.URL(), upstream.Config{}), sync.Config{Workers: 2})
	runSyncer(t, s)
	assertAllOnce(t, st, base, pats, plans)
	// A second version of a plan and a patient: updated in place.
	put(t, st, planWrite(plans[3], pats[3], 2), patientWrite(pats[4], 2))
	s.Notify()
	assertAllOnce(t, st, base, pats, plans)

	ctx := context.Background()
	_, patients := upstreamIdentifiers(t, base, "Patient")
	_, orders := upstreamIdentifiers(t, base, "MedicationRequest")
	for i, plan := range plans {
		var mr struct {
			Subject struct{ Reference string } `json:"subject"`
			Med     struct{ Text string }      `json:"medicationCodeableConcept"`
		}
		var p struct{ ID string }
		if err := json.Unmarshal(orders[plan], &mr); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(patients[pats[i]], &p); err != nil {
			t.Fatal(err)
		}
		if p.ID == fhirID("Patient", "patient", pats[i]) {
			t.Errorf("the upstream kept the client id %s", p.ID)
		}
		if mr.Subject.Reference != "Patient/"+p.ID {
			t.Errorf("plan %s refers to %s, the patient is Patient/%s", plan, mr.Subject.Reference, p.ID)
		}
		if i == 3 && !strings.HasSuffix(mr.Med.Text, " 2") {
			t.Errorf("plan %s not updated: %s", plan, mr.Med.Text)
		}
	}
	rs, err := s.RecordSync(ctx, "patient", pats[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Resources) != 1 || rs.Resources[0].UpstreamID == rs.Resources[0].ID {
		t.Errorf("sync state does not show the assigned id: %+v", rs)
	}
}
