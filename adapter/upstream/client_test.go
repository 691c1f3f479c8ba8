package upstream

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func testClient(t *testing.T, base string, cfg Config) *Client {
	t.Helper()
	cfg.BaseURL = base
	if cfg.RetryWaitMin == 0 {
		cfg.RetryWaitMin = time.Millisecond
	}
	if cfg.RetryWaitMax == 0 {
		cfg.RetryWaitMax = 5 * time.Millisecond
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRetries: which answers are retried within one call, and what the
// caller sees when retrying is over.
func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		answers   []int // status per attempt; 0 = drop the connection
		retryMax  int
		wantCalls int
		wantOK    bool
		check     func(t *testing.T, err error)
	}{
		{"503 then ok", []int{503, 503, 200}, 4, 3, true, nil},
		{"429 then ok", []int{429, 200}, 4, 2, true, nil},
		{"502 504 then ok", []int{502, 504, 200}, 4, 3, true, nil},
		{"dropped connection then ok", []int{0, 0, 200}, 4, 3, true, nil},
		{"400 not retried", []int{400, 200}, 4, 1, false, func(t *testing.T, err error) {
			if !IsPermanent(err) || IsTransient(err) {
				t.Errorf("400 should be permanent: %v", err)
			}
			if !strings.Contains(Diagnostics(OutcomeOf(err)), "bad thing") {
				t.Errorf("outcome not kept: %v", err)
			}
		}},
		{"412 not retried", []int{412, 200}, 4, 1, false, func(t *testing.T, err error) {
			if !IsConflict(err) || IsPermanent(err) {
				t.Errorf("412 should be a conflict: %v", err)
			}
		}},
		{"500 not retried in call", []int{500, 200}, 4, 1, false, func(t *testing.T, err error) {
			if !IsTransient(err) {
				t.Errorf("500 should be transient for the outbox: %v", err)
			}
		}},
		{"503 beyond the budget", []int{503, 503, 503, 503}, 2, 3, false, func(t *testing.T, err error) {
			var se *StatusError
			if !errors.As(err, &se) || se.Status != 503 || !IsTransient(err) {
				t.Errorf("want the last 503 back: %v", err)
			}
		}},
		{"unreachable beyond the budget", []int{0, 0, 0}, 2, 3, false, func(t *testing.T, err error) {
			if !errors.Is(err, ErrUnreachable) || !IsTransient(err) {
				t.Errorf("want ErrUnreachable: %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			var bodies sync.Map
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				b, _ := io.ReadAll(r.Body)
				bodies.Store(n, string(b))
				status := 200
				if n <= len(tc.answers) {
					status = tc.answers[n-1]
				}
				if status == 0 {
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
					return
				}
				w.Header().Set("Content-Type", "application/fhir+json")
				w.WriteHeader(status)
				if status >= 400 {
					io.WriteString(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"bad thing"}]}`)
					return
				}
				io.WriteString(w, `{"resourceType":"Patient","id":"x"}`)
			}))
			defer srv.Close()
			c := testClient(t, srv.URL, Config{RetryMax: tc.retryMax})
			body := []byte(`{"resourceType":"Patient","id":"x"}`)
			_, err := c.Update(context.Background(), "Patient", "x", body, "")
			if got := int(calls.Load()); got != tc.wantCalls {
				t.Errorf("calls = %d, want %d", got, tc.wantCalls)
			}
			if (err == nil) != tc.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tc.wantOK)
			}
			// Every attempt that reached the handler carried the full body.
			bodies.Range(func(k, v any) bool {
				if v.(string) != string(body) && v.(string) != "" {
					t.Errorf("attempt %v sent %q", k, v)
				}
				return true
			})
			if tc.check != nil {
				tc.check(t, err)
			}
		})
	}
}

// TestRetryAfterHonoured: the wait after a 429/503 is at least its
// Retry-After, in seconds or as an HTTP-date; a Retry-After beyond the cap
// ends the call with the wait for the caller.
func TestRetryAfterHonoured(t *testing.T) {
	for _, form := range []string{"seconds", "date"} {
		t.Run(form, func(t *testing.T) {
			var mu sync.Mutex
			var times []time.Time
			var dateAt time.Time
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				times = append(times, time.Now())
				n := len(times)
				mu.Unlock()
				if n == 1 {
					if form == "seconds" {
						w.Header().Set("Retry-After", "1")
					} else {
						dateAt = time.Now().Add(2 * time.Second).Truncate(time.Second)
						w.Header().Set("Retry-After", dateAt.UTC().Format(http.TimeFormat))
					}
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				io.WriteString(w, `{}`)
			}))
			defer srv.Close()
			c := testClient(t, srv.URL, Config{})
			if _, err := c.Read(context.Background(), "Patient", "x"); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(times) != 2 {
				t.Fatalf("%d attempts", len(times))
			}
			if form == "seconds" {
				if gap := times[1].Sub(times[0]); gap < time.Second {
					t.Errorf("retried after %s, Retry-After was 1 s", gap)
				}
			} else if times[1].Before(dateAt) {
				t.Errorf("retried at %s, before the Retry-After date %s", times[1], dateAt)
			}
		})
	}
	t.Run("beyond the cap", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		c := testClient(t, srv.URL, Config{MaxRetryAfter: 10 * time.Second})
		_, err := c.Read(context.Background(), "Patient", "x")
		if calls.Load() != 1 {
			t.Errorf("a 120 s Retry-After was waited out in-call (%d calls)", calls.Load())
		}
		if RetryAfterOf(err) != 120*time.Second || !IsTransient(err) {
			t.Errorf("err = %v, RetryAfter %s", err, RetryAfterOf(err))
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{" 30 ", 30 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second, true},
		{"Friday, 02-Jan-26 03:04:15 GMT", 10 * time.Second, true},
		{"Fri Jan  2 03:04:15 2026", 10 * time.Second, true},
		{"Thu, 01 Jan 2026 00:00:00 GMT", 0, true},
		{"99999999999999999999", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Fri, 02 Jan 2026 03:04:15 GMT", "-5", "9223372036854775807", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %s, %v", s, d, ok)
		}
	})
}

func TestSearchFollowsNextOnOurHost(t *testing.T) {
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server writes an internal address into its links.
		next := ""
		switch r.URL.Query().Get("_offset") {
		case "":
			next = `,"link":[{"relation":"next","url":"http://internal.invalid:9/fhir/Patient?_offset=1"}]`
		case "1":
			next = `,"link":[{"relation":"next","url":"` + srvURL + `/fhir/Patient?_offset=2"}]`
		}
		io.WriteString(w, `{"resourceType":"Bundle","type":"searchset"`+next+`,"entry":[{"resource":{"resourceType":"Patient","id":"p`+r.URL.Query().Get("_offset")+`"},"search":{"mode":"match"}},{"resource":{"resourceType":"Organization","id":"o"},"search":{"mode":"include"}}]}`)
	}))
	defer srv.Close()
	srvURL = srv.URL
	c := testClient(t, srv.URL+"/fhir", Config{})
	var ids []string
	err := c.Search(context.Background(), "Patient", nil, func(e Entry) error {
		ids = append(ids, string(e.Resource))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 {
		t.Fatalf("got %d matches: %v", len(ids), ids)
	}
}

func TestLocationAndEntryCode(t *testing.T) {
	cases := []struct{ in, id, version string }{
		{"Patient/123/_history/4", "123", "4"},
		{"http://x/fhir/Patient/abc/_history/v-1", "abc", "v-1"},
		{"Patient/123", "123", ""},
		{"", "", ""},
		{"Patient/1/_history/2?x=y", "1", "2"},
	}
	for _, tc := range cases {
		id, v := Location(tc.in)
		if id != tc.id || v != tc.version {
			t.Errorf("Location(%q) = %q, %q", tc.in, id, v)
		}
	}
	for in, want := range map[string]int{"201 Created": 201, "200": 200, "412 Precondition Failed": 412, "abc": 0, "20": 0, "2001": 0} {
		if got := (&EntryResponse{Status: in}).Code(); got != want {
			t.Errorf("Code(%q) = %d, want %d", in, got, want)
		}
	}
	if VersionFromETag(`W/"3"`) != "3" || VersionFromETag(`"abc"`) != "abc" || WeakETag("7") != `W/"7"` {
		t.Error("ETag helpers")
	}
}

func FuzzLocation(f *testing.F) {
	for _, s := range []string{"Patient/1/_history/2", "http://h/Patient/x", "/", "_history/_history", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, v := Location(s)
		if strings.Contains(id, "/") || strings.Contains(v, "/") {
			t.Fatalf("Location(%q) = %q, %q", s, id, v)
		}
	})
}

func TestTooLargeAndDiagnostics(t *testing.T) {
	oo := func(text string) []byte {
		return []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"text":"` + text + `"}}]}`)
	}
	cases := []struct {
		status  int
		outcome []byte
		want    bool
	}{
		{413, nil, true},
		{400, oo("Transaction contains more update operations than allowed"), true},
		{400, oo("Transaction requires strict isolation but has too many entries"), true},
		{400, oo("Missing required property"), false},
		{422, oo("Bundle exceeds the maximum size"), true},
		{404, oo("too many"), false},
	}
	for _, tc := range cases {
		err := &StatusError{Status: tc.status, Outcome: tc.outcome}
		if got := IsTooLarge(err); got != tc.want {
			t.Errorf("IsTooLarge(%d %s) = %v", tc.status, tc.outcome, got)
		}
		if tc.want && IsPermanent(err) {
			t.Errorf("a size refusal must not be permanent: %d", tc.status)
		}
	}
}

func FuzzDiagnostics(f *testing.F) {
	f.Add([]byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"x","diagnostics":"d","expression":["Patient.name"]}]}`))
	f.Add([]byte(`{"resourceType":"Patient"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Diagnostics(b)
		_ = IsTooLarge(&StatusError{Status: 400, Outcome: b})
	})
}

func TestCapabilities(t *testing.T) {
	cs := []byte(`{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","rest":[{"mode":"server",
	"interaction":[{"code":"transaction"},{"code":"batch"}],
	"resource":[{"type":"Patient","interaction":[{"code":"update"},{"code":"read"}],"updateCreate":true},
	{"type":"Observation","interaction":[{"code":"update"}],"updateCreate":false,"conditionalUpdate":true},
	{"type":"Encounter","interaction":[{"code":"read"}]}]}]}`)
	caps, err := ParseCapabilityStatement(cs)
	if err != nil {
		t.Fatal(err)
	}
	if !caps.Transaction || !caps.Batch || caps.FHIRVersion != "4.0.1" {
		t.Errorf("caps %+v", caps)
	}
	for typ, want := range map[string]bool{"Patient": true, "Observation": false, "Encounter": false, "Medication": true} {
		if got := caps.ClientIDs(typ); got != want {
			t.Errorf("ClientIDs(%s) = %v, want %v", typ, got, want)
		}
	}
	for _, bad := range []string{`{"resourceType":"Patient"}`, `{"resourceType":"CapabilityStatement","rest":[{"mode":"client"}]}`, `nope`} {
		if _, err := ParseCapabilityStatement([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func FuzzParseCapabilityStatement(f *testing.F) {
	f.Add([]byte(`{"resourceType":"CapabilityStatement","rest":[{"mode":"server","interaction":[{"code":"transaction"}],"resource":[{"type":"Patient","updateCreate":true,"interaction":[{"code":"update"}]}]}]}`))
	f.Add([]byte(`{"resourceType":"CapabilityStatement"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		caps, err := ParseCapabilityStatement(b)
		if err == nil && caps.Types == nil {
			t.Fatal("nil type map")
		}
	})
}
