package sync_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/auth"
	"github.com/ivbridge/ivbridge/adapter/httpapi"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// syncHook is the service's admin hook over a Syncer (adapter/serve wires
// the same).
type syncHook struct{ s *sync.Syncer }

func (h syncHook) Status(ctx context.Context) (any, error)    { return h.s.Status(ctx) }
func (h syncHook) Replay(ctx context.Context, id int64) error { return h.s.Replay(ctx, id) }
func (h syncHook) Notify()                                    { h.s.Notify() }

// TestAdminClientAgainstTheService drives the service's own sync API
// (adapter/httpapi, as ivbridge serve mounts it) with the admin client the
// ivbridge sync CLI uses: status, dead letters, replay.
func TestAdminClientAgainstTheService(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	st := openStore(t, t.TempDir())
	s := newSyncer(t, st, newClient(t, proxy.URL(), upstream.Config{}), sync.Config{Workers: 1})
	runSyncer(t, s)
	proxy.setRefuse(`Version1`)
	put(t, st, patientWrite("r1", 1))
	deadline := time.Now().Add(20 * time.Second)
	for {
		if dls, _ := s.DeadLetters(t.Context()); len(dls) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no dead letter")
		}
		time.Sleep(20 * time.Millisecond)
	}

	tr, err := translate.New(translate.Config{Namespace: testNS})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := (&auth.Tokens{}).With("ops", "admin-token", auth.Admin, auth.ClinicRead)
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Store: st, Translator: tr, Validator: sharedValidator, Tokens: toks, Sync: syncHook{s}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()

	ac, err := sync.NewAdminClient(srv.URL, "admin-token")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ac.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		DeadLetters int         `json:"dead_letters"`
		Syncer      sync.Status `json:"syncer"`
	}
	if err := json.Unmarshal(raw, &status); err != nil || status.DeadLetters != 1 || status.Syncer.Upstream.Mode != "transaction" {
		t.Fatalf("status %s, %v", raw, err)
	}
	dls, err := ac.DeadLetters(t.Context())
	if err != nil || len(dls) != 1 || dls[0].RecordID != "r1" || dls[0].Source != "push" || len(dls[0].Outcome) == 0 {
		t.Fatalf("dead letters %+v, %v", dls, err)
	}
	resp, err := http.Get(srv.URL + "/clinic/v1/patients/r1/sync")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/clinic/v1/patients/r1/sync", nil)
	req.Header.Set("Authorization", "Bearer admin-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var view httpapi.SyncStateView
	err = json.NewDecoder(resp.Body).Decode(&view)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || view.SyncedVersion != 0 || view.LastError == "" {
		t.Fatalf("record state %d %+v, %v", resp.StatusCode, view, err)
	}

	if err := ac.Replay(t.Context(), 999); err == nil {
		t.Fatal("replayed an unknown dead letter")
	}
	proxy.setRefuse("")
	if err := ac.Replay(t.Context(), dls[0].ID); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, st, 20*time.Second)
	rs, err := s.RecordSync(t.Context(), "patient", "r1")
	if err != nil || rs.State != "synced" || len(rs.Resources) != 1 || rs.Resources[0].UpstreamVersion == "" {
		t.Fatalf("after replay: %+v, %v", rs, err)
	}
	if _, err := sync.NewAdminClient(srv.URL, ""); err == nil {
		t.Error("admin client without a token")
	}
}
