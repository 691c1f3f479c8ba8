package upstreamtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"

	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

type response struct {
	status int
	header http.Header
	body   map[string]any
}

func do(t *testing.T, client *http.Client, method, url, body string, header map[string]string) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	if body != "" {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	out := response{status: resp.StatusCode, header: resp.Header}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &out.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %v\n%s", method, url, err, data)
		}
	}
	return out
}

// TestServer runs the behaviour tests on one server (starting node costs
// about 2 s of CPU), emptied between them.
func TestServer(t *testing.T) {
	s := upstreamtest.StartServer(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *upstreamtest.Server)
	}{
		{"basics", testBasics},
		{"paging links", testPagingLinks},
		{"atomic transactions", testTransactionsAreAtomic},
		{"identifier index", testIdentifierIndex},
		{"metadata is valid R4", testMetadataIsValidR4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Reset(t.Context()); err != nil {
				t.Fatal(err)
			}
			tc.test(t, s)
		})
	}
}

const patient = `{"resourceType":"Patient","identifier":[{"system":"urn:ivbridge:test","value":"p1"}],"birthDate":"1970-01-01"}`

func testBasics(t *testing.T, s *upstreamtest.Server) {
	c := &http.Client{Timeout: 10 * time.Second}

	meta := do(t, c, http.MethodGet, s.URL+"/metadata", "", nil)
	if meta.status != http.StatusOK || meta.body["resourceType"] != "CapabilityStatement" {
		t.Fatalf("GET /metadata: %d %v", meta.status, meta.body["resourceType"])
	}
	if ct := meta.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
		t.Errorf("metadata Content-Type = %q", ct)
	}

	created := do(t, c, http.MethodPost, s.URL+"/Patient", patient, nil)
	if created.status != http.StatusCreated {
		t.Fatalf("create: status %d %v", created.status, created.body)
	}
	id, _ := created.body["id"].(string)
	if loc := created.header.Get("Location"); !strings.HasPrefix(loc, s.URL+"/Patient/"+id+"/_history/") {
		t.Errorf("Location = %q", loc)
	}
	if created.header.Get("ETag") == "" || created.header.Get("Last-Modified") == "" {
		t.Errorf("create headers: %v", created.header)
	}

	invalid := do(t, c, http.MethodPost, s.URL+"/Patient", `{"resourceType":"Patient","birthDate":"1970-13-45"}`, nil)
	if invalid.status != http.StatusBadRequest || invalid.body["resourceType"] != "OperationOutcome" {
		t.Errorf("invalid create: %d %v, want 400 OperationOutcome", invalid.status, invalid.body)
	}

	// Update with a stale version → 412.
	stale := do(t, c, http.MethodPut, s.URL+"/Patient/"+id,
		strings.Replace(patient, `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"`+id+`",`, 1),
		map[string]string{"If-Match": `W/"not-the-version"`})
	if stale.status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match: status %d, want 412", stale.status)
	}

	if err := s.Reset(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := do(t, c, http.MethodGet, s.URL+"/Patient/"+id, "", nil); got.status != http.StatusNotFound {
		t.Errorf("read after reset: status %d, want 404", got.status)
	}
}

func testPagingLinks(t *testing.T, s *upstreamtest.Server) {
	base := s.URL
	c := &http.Client{Timeout: 10 * time.Second}
	for i := range 5 {
		body := strings.Replace(patient, `"p1"`, `"pg`+string(rune('a'+i))+`"`, 1)
		if r := do(t, c, http.MethodPost, base+"/Patient", body, nil); r.status != http.StatusCreated {
			t.Fatalf("create %d: %d", i, r.status)
		}
	}
	seen := 0
	next := base + "/Patient?_count=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("next links do not end")
		}
		r := do(t, c, http.MethodGet, next, "", nil)
		entries, _ := r.body["entry"].([]any)
		seen += len(entries)
		next = ""
		links, _ := r.body["link"].([]any)
		for _, l := range links {
			lm := l.(map[string]any)
			if lm["relation"] == "next" {
				next = lm["url"].(string)
			}
		}
	}
	if seen != 5 {
		t.Errorf("followed next links and saw %d patients, want 5", seen)
	}

	// Sorting by _lastUpdated (the wrapper computes its key directly).
	for _, tc := range []struct {
		sort string
		asc  bool
	}{{"_lastUpdated", true}, {"-_lastUpdated", false}} {
		r := do(t, c, http.MethodGet, base+"/Patient?_count=10&_sort="+tc.sort, "", nil)
		entries, _ := r.body["entry"].([]any)
		if len(entries) != 5 {
			t.Fatalf("_sort=%s: %d entries, want 5", tc.sort, len(entries))
		}
		var prev string
		for i, e := range entries {
			res, _ := e.(map[string]any)["resource"].(map[string]any)
			meta, _ := res["meta"].(map[string]any)
			lu, _ := meta["lastUpdated"].(string)
			if i > 0 && ((tc.asc && lu < prev) || (!tc.asc && lu > prev)) {
				t.Errorf("_sort=%s: entry %d lastUpdated %s after %s", tc.sort, i, lu, prev)
			}
			prev = lu
		}
	}

	summary := do(t, c, http.MethodGet, base+"/Patient?_summary=count", "", nil)
	if summary.body["total"] != 5.0 || summary.body["entry"] != nil {
		t.Errorf("_summary=count: total %v, entries %v; want 5 and none", summary.body["total"], summary.body["entry"])
	}
	// Unknown parameters are ignored (R4 3.1.1.4.1), or refused when strict.
	if r := do(t, c, http.MethodGet, base+"/Patient?no-such-param=1", "", nil); r.body["total"] != 5.0 {
		t.Errorf("unknown parameter: total %v, want 5 (ignored)", r.body["total"])
	}
	strict := do(t, c, http.MethodGet, base+"/Patient?no-such-param=1", "", map[string]string{"Prefer": "handling=strict"})
	if strict.status != http.StatusBadRequest || strict.body["resourceType"] != "OperationOutcome" {
		t.Errorf("unknown parameter, handling=strict: %d %v; want 400 OperationOutcome", strict.status, strict.body["resourceType"])
	}
}

func TestServerPauseResumeRestart(t *testing.T) {
	s := upstreamtest.StartServer(t)
	c := &http.Client{Timeout: 10 * time.Second}
	created := do(t, c, http.MethodPost, s.URL+"/Patient", patient, nil)
	id, _ := created.body["id"].(string)

	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	short := &http.Client{Timeout: 300 * time.Millisecond}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/Patient/"+id, nil)
	if resp, err := short.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("paused server answered %d", resp.StatusCode)
	} else if !isTimeout(err) {
		t.Fatalf("paused server: %v, want a timeout", err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if r := do(t, c, http.MethodGet, s.URL+"/Patient/"+id, "", nil); r.status != http.StatusOK {
		t.Fatalf("read after resume: %d (data must survive a pause)", r.status)
	}

	url := s.URL
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Get(url + "/metadata"); err == nil {
		resp.Body.Close()
		t.Fatal("stopped server still answers")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if s.URL != url {
		t.Errorf("URL changed across restart: %s → %s", url, s.URL)
	}
	if r := do(t, c, http.MethodGet, s.URL+"/Patient/"+id, "", nil); r.status != http.StatusNotFound {
		t.Errorf("read after restart: %d, want 404 (a restart starts empty)", r.status)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// testTransactionsAreAtomic: a transaction whose later entry fails
// leaves nothing behind (the wrapper rolls back what the router wrote).
func testTransactionsAreAtomic(t *testing.T, s *upstreamtest.Server) {
	base := s.URL
	c := &http.Client{Timeout: 10 * time.Second}
	id, _ := do(t, c, http.MethodPost, base+"/Patient", patient, nil).body["id"].(string)
	other, _ := do(t, c, http.MethodPost, base+"/Patient", patient, nil).body["id"].(string)
	tx := `{"resourceType":"Bundle","type":"transaction","entry":[
	 {"fullUrl":"urn:uuid:0b6e3a46-1f0b-4d9a-9d49-000000000001","resource":{"resourceType":"Patient","identifier":[{"system":"urn:tx","value":"1"}]},"request":{"method":"POST","url":"Patient"}},
	 {"resource":{"resourceType":"Patient","id":"` + id + `","gender":"male"},"request":{"method":"PUT","url":"Patient/` + id + `"}},
	 {"resource":{"resourceType":"Patient","id":"` + other + `","gender":"female"},"request":{"method":"PUT","url":"Patient/` + other + `","ifMatch":"W/\"stale\""}}]}`
	r := do(t, c, http.MethodPost, base, tx, nil)
	if r.status != http.StatusPreconditionFailed || r.body["resourceType"] != "OperationOutcome" {
		t.Fatalf("failing transaction: %d %v, want 412 OperationOutcome", r.status, r.body)
	}
	found := do(t, c, http.MethodGet, base+"/Patient?identifier=urn:tx|1", "", nil)
	if total, _ := found.body["total"].(float64); total != 0 {
		t.Errorf("the transaction's created Patient survived the rollback (total %v)", found.body["total"])
	}
	if p := do(t, c, http.MethodGet, base+"/Patient/"+id, "", nil); p.body["gender"] != nil {
		t.Errorf("the transaction's update survived the rollback: gender %v", p.body["gender"])
	}
	// The same transaction without the failing entry commits.
	ok := strings.Replace(tx, `,
	 {"resource":{"resourceType":"Patient","id":"`+other+`","gender":"female"},"request":{"method":"PUT","url":"Patient/`+other+`","ifMatch":"W/\"stale\""}}`, "", 1)
	if r := do(t, c, http.MethodPost, base, ok, nil); r.status != http.StatusOK || r.body["type"] != "transaction-response" {
		t.Fatalf("transaction: %d %v", r.status, r.body)
	}
	found = do(t, c, http.MethodGet, base+"/Patient?identifier=urn:tx|1", "", nil)
	if total, _ := found.body["total"].(float64); total != 1 {
		t.Errorf("committed transaction: %v Patients with its identifier, want 1", found.body["total"])
	}
}

// testIdentifierIndex: searches by identifier follow updates and
// deletes (the wrapper indexes identifiers for speed).
func testIdentifierIndex(t *testing.T, s *upstreamtest.Server) {
	base := s.URL
	c := &http.Client{Timeout: 10 * time.Second}
	count := func(ident string) float64 {
		t.Helper()
		r := do(t, c, http.MethodGet, base+"/Patient?identifier="+ident, "", nil)
		n, _ := r.body["total"].(float64)
		return n
	}
	put := func(ident string) response {
		t.Helper()
		return do(t, c, http.MethodPut, base+"/Patient/idx1",
			`{"resourceType":"Patient","id":"idx1","identifier":[{"system":"urn:idx","value":"`+ident+`"}]}`, nil)
	}
	if r := put("A"); r.status != http.StatusCreated {
		t.Fatalf("PUT as create: %d, want 201", r.status)
	}
	if n := count("urn:idx|A"); n != 1 {
		t.Errorf("after create: %v matches for A", n)
	}
	if r := put("B"); r.status != http.StatusOK {
		t.Fatalf("PUT update: %d, want 200", r.status)
	}
	if a, b := count("urn:idx|A"), count("urn:idx|B"); a != 0 || b != 1 {
		t.Errorf("after update A→B: A %v, B %v matches; want 0, 1", a, b)
	}
	if r := do(t, c, http.MethodDelete, base+"/Patient/idx1", "", nil); r.status != http.StatusOK {
		t.Fatalf("DELETE: %d", r.status)
	}
	if n := count("urn:idx|B"); n != 0 {
		t.Errorf("after delete: %v matches for B", n)
	}
}

// testMetadataIsValidR4 checks the wrapper's CapabilityStatement with
// an independent R4 parser.
func testMetadataIsValidR4(t *testing.T, s *upstreamtest.Server) {
	base := s.URL
	resp, err := http.Get(base + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	um, err := jsonformat.NewUnmarshaller("UTC", fhirversion.R4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := um.Unmarshal(data); err != nil {
		t.Errorf("CapabilityStatement is not valid R4: %v", err)
	}
}

func TestServerAuth(t *testing.T) {
	c := &http.Client{Timeout: 10 * time.Second}
	t.Run("static token", func(t *testing.T) {
		s := upstreamtest.StartServerWith(t, upstreamtest.Options{Token: "t0k"})
		if r := do(t, c, http.MethodGet, s.URL+"/metadata", "", nil); r.status != http.StatusOK {
			t.Errorf("metadata without a token: %d, want 200 (public)", r.status)
		}
		r := do(t, c, http.MethodGet, s.URL+"/Patient", "", nil)
		if r.status != http.StatusUnauthorized || r.body["resourceType"] != "OperationOutcome" || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("no token: %d %v %q", r.status, r.body["resourceType"], r.header.Get("WWW-Authenticate"))
		}
		if r := do(t, c, http.MethodGet, s.URL+"/Patient", "", map[string]string{"Authorization": "Bearer wrong"}); r.status != http.StatusUnauthorized {
			t.Errorf("wrong token: %d", r.status)
		}
		if r := do(t, c, http.MethodGet, s.URL+"/Patient", "", map[string]string{"Authorization": "Bearer t0k"}); r.status != http.StatusOK {
			t.Errorf("right token: %d", r.status)
		}
		if err := s.Reset(t.Context()); err != nil {
			t.Errorf("Reset with auth on: %v", err)
		}
	})
	t.Run("client credentials", func(t *testing.T) {
		s := upstreamtest.StartServerWith(t, upstreamtest.Options{ClientID: "ivbridge", ClientSecret: "s e+cret", TokenTTL: time.Minute})
		tok, err := s.FetchToken(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if r := do(t, c, http.MethodGet, s.URL+"/Patient", "", map[string]string{"Authorization": "Bearer " + tok}); r.status != http.StatusOK {
			t.Errorf("issued token: %d", r.status)
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.TokenURL(), strings.NewReader("grant_type=client_credentials&client_id=ivbridge&client_secret=nope"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("bad secret: %d, want 401", resp.StatusCode)
		}
		meta := do(t, c, http.MethodGet, s.URL+"/metadata", "", nil)
		rest, _ := meta.body["rest"].([]any)
		sec, _ := rest[0].(map[string]any)["security"].(map[string]any)
		if !strings.Contains(fmt.Sprint(sec), s.TokenURL()) {
			t.Errorf("CapabilityStatement security does not name the token URL: %v", sec)
		}
	})
}

// TestServerCPUs: a server started with CPUs runs on those CPUs only,
// every thread of it.
func TestServerCPUs(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("taskset (util-linux) not installed")
	}
	srv := upstreamtest.StartServerWith(t, upstreamtest.Options{CPUs: "0"})
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", srv.PID()))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("no threads of pid %d: %v", srv.PID(), err)
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok && strings.TrimSpace(v) != "0" {
				t.Errorf("%s: Cpus_allowed_list %q, want 0", f, strings.TrimSpace(v))
			}
		}
	}
	resp, err := http.Get(srv.URL + "/metadata")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("metadata: %v %v", resp, err)
	}
	resp.Body.Close()
}
