package serve_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/serve"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// TestServeSyncsToUpstream: with --upstream, a record PUT to the clinic API
// reaches the upstream FHIR server (the sync worker runs inside serve), and
// /sync/v1/status reports the worker.
func TestServeSyncsToUpstream(t *testing.T) {
	up := upstreamtest.Start(t)
	cfg := testConfig(t)
	cfg.Upstream = up
	env := map[string]string{serve.EnvToken: "sync-token"}
	base, _, stop := start(t, cfg, func(k string) string { return env[k] })
	if st, b := call(t, "PUT", base+"/clinic/v1/patients/pat-up1", "sync-token", patient("pat-up1", 1)); st != http.StatusCreated {
		t.Fatalf("PUT: %d %s", st, b)
	}
	q := url.Values{"identifier": {"urn:ivbridge:clinic/patient|pat-up1"}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(up + "/Patient?" + q.Encode())
		if err == nil {
			var b struct {
				Entry []json.RawMessage `json:"entry"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&b)
			resp.Body.Close()
			if len(b.Entry) == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the patient did not reach the upstream")
		}
		time.Sleep(200 * time.Millisecond)
	}
	st, b := call(t, "GET", base+"/sync/v1/status", "sync-token", nil)
	var status struct {
		Syncer json.RawMessage `json:"syncer"`
	}
	_ = json.Unmarshal(b, &status)
	if st != http.StatusOK || len(status.Syncer) == 0 {
		t.Fatalf("status: %d %s", st, b)
	}
	if err := stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}
