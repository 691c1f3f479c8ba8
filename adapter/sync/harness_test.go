package sync_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/sqlite"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// testNS is the clinic identifier namespace the fixtures use.
const testNS = "urn:ivbridge:test"

var uuidNS = uuid.MustParse("5f0c9a5e-3c1b-4d57-9a53-1d1c0a7e8b10")

func fhirID(typ string, kind clinic.Kind, id string) string {
	return uuid.NewSHA1(uuidNS, []byte(typ+"/"+string(kind)+"/"+id)).String()
}

// patientWrite is a clinic patient record version with its FHIR projection:
// one Patient whose family name carries the version, so a test can see
// which version reached the upstream.
func patientWrite(id string, version int) store.Write {
	pid := fhirID("Patient", clinic.KindPatient, id)
	body := fmt.Sprintf(`{"resourceType":"Patient","id":%q,"identifier":[{"system":%q,"value":%q}],"name":[{"family":"Version%d","given":["Test"]}],"gender":"unknown"}`,
		pid, testNS+"/patient", id, version)
	return store.Write{
		Kind: clinic.KindPatient, ID: id, Version: version, PatientID: id,
		Body:   []byte(fmt.Sprintf(`{"kind":"patient","id":%q,"version":%d}`, id, version)),
		Origin: store.OriginClinic, Enqueue: true,
		Resources: []store.Resource{{
			Type: "Patient", ID: pid, PatientID: pid,
			Identifiers: []string{testNS + "/patient|" + id},
			Body:        []byte(body), SourceKind: clinic.KindPatient, SourceID: id,
		}},
	}
}

// planWrite is a plan record: one MedicationRequest about the patient.
func planWrite(id, patientID string, version int) store.Write {
	mid := fhirID("MedicationRequest", clinic.KindPlan, id)
	pid := fhirID("Patient", clinic.KindPatient, patientID)
	body := fmt.Sprintf(`{"resourceType":"MedicationRequest","id":%q,"identifier":[{"system":%q,"value":%q}],"status":"active","intent":"order","medicationCodeableConcept":{"text":"Vitamin C %d"},"subject":{"reference":"Patient/%s"},"authoredOn":"2026-01-02"}`,
		mid, testNS+"/plan", id, version, pid)
	return store.Write{
		Kind: clinic.KindPlan, ID: id, Version: version, PatientID: patientID,
		Body:   []byte(fmt.Sprintf(`{"kind":"plan","id":%q,"version":%d}`, id, version)),
		Origin: store.OriginClinic, Enqueue: true,
		Resources: []store.Resource{{
			Type: "MedicationRequest", ID: mid, PatientID: pid, Status: "active",
			Identifiers: []string{testNS + "/plan|" + id},
			Refs:        map[string]string{"subject": "Patient/" + pid},
			Body:        []byte(body), SourceKind: clinic.KindPlan, SourceID: id,
		}},
	}
}

func openStore(t testing.TB, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func put(t testing.TB, st store.Store, ws ...store.Write) {
	t.Helper()
	for _, w := range ws {
		if _, err := st.PutRecord(context.Background(), w); err != nil {
			t.Fatalf("put %s %s v%d: %v", w.Kind, w.ID, w.Version, err)
		}
	}
}

func newClient(t testing.TB, base string, cfg upstream.Config) *upstream.Client {
	t.Helper()
	cfg.BaseURL = base
	if cfg.RetryWaitMin == 0 {
		cfg.RetryWaitMin = 50 * time.Millisecond
	}
	if cfg.RetryWaitMax == 0 {
		cfg.RetryWaitMax = 500 * time.Millisecond
	}
	if cfg.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 32
		cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	}
	c, err := upstream.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sharedValidator is built once: loading the R4 tables costs ~40 ms.
var sharedValidator = conformance.NewValidator()

func newSyncer(t testing.TB, st store.Store, up *upstream.Client, cfg sync.Config) *sync.Syncer {
	t.Helper()
	cfg.Namespace = testNS
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 100 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = time.Second
	}
	if cfg.Idle == 0 {
		cfg.Idle = 20 * time.Millisecond
	}
	if cfg.PullInterval == 0 {
		cfg.PullInterval = -1
	}
	// As in serve: what the sync builds itself (conflict merges) must be
	// valid R4 before it is sent.
	cfg.Validator = sharedValidator
	s, err := sync.New(cfg, st, up, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runSyncer runs s until the test ends (or stop is called).
func runSyncer(t testing.TB, s *sync.Syncer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx); err != nil {
			t.Errorf("syncer: %v", err)
		}
	}()
	var once gosync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// waitDrained waits until the outbox has no pending entries.
func waitDrained(t testing.TB, st store.Store, timeout time.Duration) store.OutboxStats {
	t.Helper()
	return waitDrainedEvery(t, st, timeout, 50*time.Millisecond)
}

// waitDrainedEvery is waitDrained looking every poll: a benchmark timing
// the drain looks often, as its measurement is late by up to one poll.
func waitDrainedEvery(t testing.TB, st store.Store, timeout, poll time.Duration) store.OutboxStats {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		stats, err := st.OutboxStats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if stats.Pending == 0 {
			return stats
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained after %s: %+v", timeout, stats)
		}
		time.Sleep(poll)
	}
}

// upstreamIdentifiers lists every resource of typ on the upstream and
// counts them by clinic identifier value; it also returns the bodies.
func upstreamIdentifiers(t testing.TB, base, typ string) (map[string]int, map[string]json.RawMessage) {
	t.Helper()
	counts := map[string]int{}
	bodies := map[string]json.RawMessage{}
	next := base + "/" + typ + "?_count=1000&_sort=_id"
	for next != "" {
		resp, err := http.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		var b upstream.Bundle
		err = json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Entry {
			var r struct {
				Identifier []struct{ System, Value string } `json:"identifier"`
			}
			if err := json.Unmarshal(e.Resource, &r); err != nil {
				t.Fatal(err)
			}
			for _, id := range r.Identifier {
				if strings.HasPrefix(id.System, testNS) {
					counts[id.Value]++
					bodies[id.Value] = e.Resource
				}
			}
		}
		next = b.Link("next")
	}
	return counts, bodies
}

// assertEachOnce checks that every id in want is on the upstream exactly
// once and nothing else is.
func assertEachOnce(t testing.TB, counts map[string]int, want []string) {
	t.Helper()
	missing, twice := 0, 0
	for _, id := range want {
		switch n := counts[id]; {
		case n == 0:
			missing++
		case n > 1:
			twice++
		}
	}
	if missing > 0 || twice > 0 || len(counts) != len(want) {
		t.Fatalf("upstream: %d of %d missing, %d more than once, %d distinct identifiers", missing, len(want), twice, len(counts))
	}
}

// faultProxy is a reverse proxy in front of the real upstream that injects
// faults: cut connections, scripted error answers and refusals of chosen
// requests. It records when each request body arrived.
type faultProxy struct {
	srv    *httptest.Server
	target string
	rp     *httputil.ReverseProxy

	mu gosync.Mutex
	// cut drops every connection without an answer.
	cut bool
	// script answers the next requests (FIFO) instead of the upstream.
	script []scripted
	// refuse answers refuseStatus (default 422) to any write whose body
	// contains this string.
	refuse       string
	refuseStatus int
	// arrivals: request body hash → arrival times.
	arrivals map[[32]byte][]time.Time
	// answered: body hash → when a scripted answer was sent, and its
	// Retry-After.
	answered []answer
	// metadata rewrites the upstream's CapabilityStatement.
	metadata func(map[string]any)
	// requests counts requests by "METHOD /path-prefix" (first segment).
	requests map[string]int
}

type scripted struct {
	status     int
	retryAfter string
	only       string // apply only to requests whose method+path has this prefix
}

type answer struct {
	hash       [32]byte
	at         time.Time
	retryAfter string
}

func newFaultProxy(t testing.TB, target string) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{rp: httputil.NewSingleHostReverseProxy(u), arrivals: map[[32]byte][]time.Time{}, target: target}
	p.rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	p.rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(http.StatusBadGateway)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) URL() string { return p.srv.URL }

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := sha256.Sum256(append([]byte(r.Method+" "+r.URL.RequestURI()+" "), body...))
	now := time.Now()
	p.mu.Lock()
	p.arrivals[h] = append(p.arrivals[h], now)
	cut := p.cut
	var sc *scripted
	if len(p.script) > 0 && strings.HasPrefix(r.Method+" "+r.URL.Path, p.script[0].only) {
		s := p.script[0]
		p.script = p.script[1:]
		sc = &s
		p.answered = append(p.answered, answer{hash: h, at: now, retryAfter: s.retryAfter})
	}
	refuse := p.refuse != "" && r.Method != http.MethodGet && bytes.Contains(body, []byte(p.refuse))
	rewrite := p.metadata
	if p.requests == nil {
		p.requests = map[string]int{}
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	p.requests[r.Method+" /"+seg]++
	p.mu.Unlock()
	switch {
	case rewrite != nil && r.URL.Path == "/metadata" && !cut && sc == nil:
		resp, err := http.Get(p.target + "/metadata")
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		var cs map[string]any
		err = json.NewDecoder(resp.Body).Decode(&cs)
		resp.Body.Close()
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		rewrite(cs)
		w.Header().Set("Content-Type", "application/fhir+json")
		_ = json.NewEncoder(w).Encode(cs)
	case cut:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
				return
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	case sc != nil:
		if sc.retryAfter != "" {
			w.Header().Set("Retry-After", sc.retryAfter)
		}
		w.Header().Set("Content-Type", "application/fhir+json")
		w.WriteHeader(sc.status)
		fmt.Fprintf(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"injected %d"}]}`, sc.status)
	case refuse:
		w.Header().Set("Content-Type", "application/fhir+json")
		status := http.StatusUnprocessableEntity
		p.mu.Lock()
		if p.refuseStatus != 0 {
			status = p.refuseStatus
		}
		p.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"business-rule","diagnostics":"refused by the test's validation rule"}]}`)
	default:
		p.rp.ServeHTTP(w, r)
	}
}

func (p *faultProxy) setCut(v bool) {
	p.mu.Lock()
	p.cut = v
	p.mu.Unlock()
}

func (p *faultProxy) setRefuse(s string) {
	p.mu.Lock()
	p.refuse = s
	p.mu.Unlock()
}

func (p *faultProxy) addScript(s ...scripted) {
	p.mu.Lock()
	p.script = append(p.script, s...)
	p.mu.Unlock()
}

// nextArrivalAfter returns the first arrival of the request with hash h
// after t.
func (p *faultProxy) nextArrivalAfter(h [32]byte, t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, a := range p.arrivals[h] {
		if a.After(t) {
			return a, true
		}
	}
	return time.Time{}, false
}

func (p *faultProxy) answers() []answer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]answer(nil), p.answered...)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func (p *faultProxy) setMetadata(f func(map[string]any)) {
	p.mu.Lock()
	p.metadata = f
	p.mu.Unlock()
}

func (p *faultProxy) count(key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[key]
}
