package sync_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// TestRoutesAndAdminClient drives the sync routes through the admin
// client the CLI uses: status, dead letters, replay, a record's state.
func TestRoutesAndAdminClient(t *testing.T) {
	gin.SetMode(gin.TestMode)
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

	eng := gin.New()
	// The service puts its authentication in front; the test checks the
	// client sends the token.
	eng.Use(func(c *gin.Context) {
		if c.GetHeader("Authorization") != "Bearer admin-token" {
			c.AbortWithStatus(http.StatusUnauthorized)
		}
	})
	s.Routes(eng.Group("/sync/v1"))
	eng.GET("/clinic/v1/:kind/:id/sync", s.RecordSyncHandler)
	srv := httptest.NewServer(eng)
	defer srv.Close()

	ac, err := sync.NewAdminClient(srv.URL, "admin-token")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := ac.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var status sync.Status
	if err := json.Unmarshal(raw, &status); err != nil || status.DeadLetters != 1 || status.Upstream.Mode != "transaction" {
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
	var rs sync.RecordState
	err = json.NewDecoder(resp.Body).Decode(&rs)
	resp.Body.Close()
	if err != nil || rs.State != "dead-letter" || rs.DeadLetterID != dls[0].ID || rs.LastError == "" {
		t.Fatalf("record state %+v, %v", rs, err)
	}

	if err := ac.Replay(t.Context(), 999); err == nil {
		t.Fatal("replayed an unknown dead letter")
	}
	proxy.setRefuse("")
	if err := ac.Replay(t.Context(), dls[0].ID); err != nil {
		t.Fatal(err)
	}
	waitDrained(t, st, 20*time.Second)
	rs, err = s.RecordSync(t.Context(), "patient", "r1")
	if err != nil || rs.State != "synced" || len(rs.Resources) != 1 || rs.Resources[0].UpstreamVersion == "" {
		t.Fatalf("after replay: %+v, %v", rs, err)
	}
	if _, err := sync.NewAdminClient(srv.URL, ""); err == nil {
		t.Error("admin client without a token")
	}
}
