package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/httpapi"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// TestOpenAPI: the checked-in document parses, is served, and describes
// every non-facade route with its method.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t, openers(t)[0])
	r := e.get("/openapi.json", tokReader)
	if r.status != http.StatusOK || !bytes.Equal(r.body, httpapi.OpenAPI()) {
		t.Fatalf("GET /openapi.json: %d", r.status)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	decodeJSON(t, r.body, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	covered := 0
	for _, rt := range e.srv.Routes() {
		if strings.HasPrefix(rt.Path, "/fhir/") {
			continue // described by /fhir/metadata
		}
		path := rt.Path
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, ":") {
				path = strings.Replace(path, seg, "{"+seg[1:]+"}", 1)
			}
		}
		ops, ok := doc.Paths[path]
		if !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.Method, path)
			continue
		}
		if _, ok := ops[strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s: method missing in openapi.json", rt.Method, path)
		}
		covered++
	}
	if covered < 15 {
		t.Fatalf("only %d routes checked", covered)
	}
	// And nothing documented that is not served.
	served := map[string]bool{}
	for _, rt := range e.srv.Routes() {
		p := rt.Path
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				p = strings.Replace(p, seg, "{"+seg[1:]+"}", 1)
			}
		}
		served[strings.ToLower(rt.Method)+" "+p] = true
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if !served[m+" "+p] {
				t.Errorf("openapi.json documents %s %s, which is not served", m, p)
			}
		}
	}
}

// TestMetrics: /metrics needs admin and counts requests by route template
// and records by kind, never by id.
func TestMetrics(t *testing.T) {
	e := newEnv(t, openers(t)[0])
	e.mustPut([]byte(patientV1), http.StatusCreated)
	e.get("/clinic/v1/patients/pat-t1", tokReader)
	if r := e.get("/metrics", tokWriter); r.status != http.StatusForbidden {
		t.Fatalf("metrics with a clinic token: %d", r.status)
	}
	r := e.get("/metrics", tokAdmin)
	if r.status != http.StatusOK {
		t.Fatalf("metrics: %d %s", r.status, r.body)
	}
	body := string(r.body)
	for _, want := range []string{
		`ivbridge_http_requests_total{method="PUT",route="/clinic/v1/patients/:id",status="201"} 1`,
		`ivbridge_http_requests_total{method="GET",route="/clinic/v1/patients/:id",status="200"} 1`,
		`ivbridge_clinic_records_total{kind="patient",result="created"} 1`,
		`ivbridge_http_request_duration_seconds_bucket{method="PUT",route="/clinic/v1/patients/:id"`,
		`ivbridge_sync_outbox_pending 1`,
		`ivbridge_sync_outbox_stats_up 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "pat-t1") || strings.Contains(body, "MRN-T1") {
		t.Fatal("metrics carry a record id or MRN")
	}
}

// TestSyncEndpoints: status, dead letters and sync state need admin.
func TestSyncEndpoints(t *testing.T) {
	e := newEnv(t, openers(t)[0])
	e.mustPut([]byte(patientV1), http.StatusCreated)
	if r := e.get("/sync/v1/status", tokWriter); r.status != http.StatusForbidden {
		t.Fatalf("status with a clinic token: %d", r.status)
	}
	r := e.get("/sync/v1/status", tokAdmin)
	var st httpapi.SyncStatus
	decodeJSON(t, r.body, &st)
	if r.status != http.StatusOK || st.Pending != 1 || st.OldestPending == nil {
		t.Fatalf("status: %d %s", r.status, r.body)
	}
	r = e.get("/sync/v1/dead-letters", tokAdmin)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"dead_letters":[]`) {
		t.Fatalf("dead letters: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/clinic/v1/nurses/x/sync", "/clinic/v1/patients/nobody/sync"} {
		if r := e.get(path, tokReader); r.status != http.StatusNotFound {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
	}
	r = e.get("/clinic/v1/patients/pat-t1/sync", tokReader)
	var ss httpapi.SyncStateView
	decodeJSON(t, r.body, &ss)
	if r.status != http.StatusOK || ss.Kind != "patient" || ss.ID != "pat-t1" || ss.SyncedVersion != 0 {
		t.Fatalf("sync state: %d %s", r.status, r.body)
	}
	r = e.do(req{method: "POST", path: "/sync/v1/dead-letters/999/replay", token: tokAdmin})
	if r.status != http.StatusNotFound {
		t.Fatalf("replay of nothing: %d %s", r.status, r.body)
	}
	outcomeOf(t, r)
}

// TestTranslateEndpoints: clinic → FHIR Bundle → clinic gives the record
// back, nothing stored.
func TestTranslateEndpoints(t *testing.T) {
	e := newEnv(t, openers(t)[0])
	before := e.counts(t)
	for _, ex := range examples(t) {
		r := e.do(req{method: "POST", path: "/translate/fhir", token: tokReader, body: ex.body})
		if r.status != http.StatusOK {
			t.Fatalf("%s → FHIR: %d %s", ex.file, r.status, r.body)
		}
		if issues := validator.Validate(r.body); conformance.HasErrors(issues) {
			t.Fatalf("%s → FHIR: invalid Bundle: %+v", ex.file, issues)
		}
		var b bundle
		decodeJSON(t, r.body, &b)
		if b.Type != "collection" || len(b.Entry) == 0 {
			t.Fatalf("%s: %s", ex.file, r.body)
		}
		back := e.do(req{method: "POST", path: "/translate/clinic", token: tokReader, body: r.body, ctype: "application/fhir+json"})
		if back.status != http.StatusOK {
			t.Fatalf("%s → clinic: %d %s", ex.file, back.status, back.body)
		}
		var recs []json.RawMessage
		decodeJSON(t, back.body, &recs)
		rec, _ := clinic.Decode(ex.body)
		want, _ := clinic.Encode(rec)
		found := false
		for _, got := range recs {
			found = found || bytes.Equal(got, want)
		}
		if !found {
			t.Fatalf("%s: round trip gave %s, want %s among them", ex.file, back.body, want)
		}
		nd := e.do(req{method: "POST", path: "/translate/clinic", token: tokReader, body: r.body, ctype: "application/fhir+json",
			headers: map[string]string{"Accept": "application/x-ndjson"}})
		if nd.status != http.StatusOK || nd.header.Get("Content-Type") != "application/x-ndjson" ||
			len(bytes.Split(bytes.TrimSpace(nd.body), []byte("\n"))) != len(recs) {
			t.Fatalf("%s: NDJSON answer %d %s", ex.file, nd.status, nd.body)
		}
	}
	tests := []struct {
		name, path, body, ctype string
		status                  int
	}{
		{"record as text/plain", "/translate/fhir", string(examples(t)[0].body), "text/plain", 415},
		{"unknown substance", "/translate/fhir", `{"kind":"patient","id":"x","version":1,"mrn":"M","given_names":["A"],"family_name":"B","birth_date":"1990-01-01","sex":"female","allergies":[{"substance":"nad_plus"}]}`, "application/json", 422},
		{"invalid record", "/translate/fhir", `{"kind":"patient","id":"x","version":0}`, "application/json", 422},
		{"invalid FHIR", "/translate/clinic", `{"resourceType":"Patient","gender":"bogus"}`, "application/fhir+json", 422},
		{"not FHIR JSON", "/translate/clinic", `{}`, "text/plain", 415},
	}
	for _, tt := range tests {
		r := e.do(req{method: "POST", path: tt.path, token: tokReader, body: []byte(tt.body), ctype: tt.ctype})
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, r.status, tt.status, r.body)
			continue
		}
		outcomeOf(t, r)
	}
	if after := e.counts(t); after != before {
		t.Fatalf("translate stored something: %s → %s", before, after)
	}
}
