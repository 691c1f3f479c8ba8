package suite_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/conformance/suite"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// run runs the suite and logs its report.
func run(t *testing.T, cfg suite.Config) *suite.Report {
	t.Helper()
	rep, err := suite.Run(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var b strings.Builder
	if _, err := rep.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", b.String())
	return rep
}

func names(cs []suite.Check) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

func skipped(rep *suite.Report) []suite.Check {
	var out []suite.Check
	for _, c := range rep.Checks {
		if c.Skip {
			out = append(out, c)
		}
	}
	return out
}

// TestAgainstUpstream runs the suite against the real test upstream, as
// is and behind proxies that break it, on one server (starting node costs
// about 2 s of CPU), emptied between runs.
func TestAgainstUpstream(t *testing.T) {
	up := upstreamtest.StartServer(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T, *upstreamtest.Server)
	}{
		{"medplum", testMedplumUpstream},
		{"detects non-conformance", testDetectsNonConformance},
		{"read-only server", testReadOnlyServer},
		{"token", testTokenIsSent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := up.Reset(t.Context()); err != nil {
				t.Fatal(err)
			}
			tc.test(t, up)
		})
	}
}

// allChecks is every check name a writable run reports, so a check that
// silently disappears fails the test.
var allChecks = []string{
	"metadata", "metadata/resources",
	"create/Patient", "create/Practitioner", "create/MedicationRequest", "create/MedicationAdministration", "create/Observation", "create/AdverseEvent",
	"read/Patient", "read/Practitioner", "read/MedicationRequest", "read/MedicationAdministration", "read/Observation", "read/AdverseEvent",
	"conditional-create", "update/If-Match", "update/stale-If-Match", "vread/Patient",
	"search/MedicationRequest?patient", "search/MedicationAdministration?patient", "search/Observation?patient", "search/AdverseEvent?subject",
	"search/patient=ID-equals-patient=Patient/ID", "search/Patient?identifier=system|value", "search/identifier-system-respected",
	"search/GET-equals-POST-_search",
	"search/date=eq", "search/date=ne", "search/date=gt", "search/date=lt", "search/date=ge", "search/date=le",
	"search/_count-next-links", "search/_include=MedicationAdministration:request",
	"error/read-unknown-id", "error/unknown-resource-type", "error/create-invalid",
	"header/ETag", "header/Last-Modified", "header/Location", "search/entry-fullUrl", "content-type", "error/OperationOutcome",
}

// testMedplumUpstream runs the suite against the real test upstream.
// expectedFailures pins what the upstream is known to get wrong, with the
// reason (a substring of Check.Why): the test fails when the set changes
// either way. Medplum's FhirRouter alone lacks validation on write, next
// links and the HTTP headers; testdata/upstream/server.mjs adds them the way
// Medplum's own server does, so nothing is expected to fail.
func testMedplumUpstream(t *testing.T, up *upstreamtest.Server) {
	base := up.URL
	rep := run(t, suite.Config{BaseURL: base})

	expectedFailures := map[string]string{}
	if !rep.Writable {
		t.Fatal("the upstream declares create for every type: the run must be writable")
	}
	if got := names(rep.Checks); !slices.Equal(got, sortedCopy(allChecks)) {
		t.Errorf("checks run:\n%v\nwant:\n%v", got, sortedCopy(allChecks))
	}
	for _, c := range rep.Failed() {
		reason, ok := expectedFailures[c.Name]
		if !ok {
			t.Errorf("unexpected failure: %s", c)
		} else if !strings.Contains(c.Why, reason) {
			t.Errorf("%s fails for another reason than %q: %s", c.Name, reason, c.Why)
		}
	}
	for name := range expectedFailures {
		if c, _ := rep.Find(name); c.Pass {
			t.Errorf("%s now passes: remove it from expectedFailures", name)
		}
	}
	if s := skipped(rep); len(s) > 0 {
		t.Errorf("writable run skipped %v", names(s))
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

// mutation changes what a healthy server does, to prove each check can
// fail.
type mutation struct {
	// request may rewrite the outgoing request (or answer it itself by
	// returning a status > 0 and a body).
	request func(r *http.Request) (status int, body string)
	// response may rewrite the response status, header and JSON body.
	response func(req *http.Request, status *int, h http.Header, body map[string]any)
}

// proxy serves base through a mutating reverse proxy. The Host header is
// kept, so the upstream's links point back at the proxy.
func proxy(t *testing.T, base string, m mutation) string {
	t.Helper()
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			if m.response == nil {
				return nil
			}
			data, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			resp.Body.Close()
			var body map[string]any
			if len(data) > 0 {
				if err := json.Unmarshal(data, &body); err != nil {
					return err
				}
			}
			status := resp.StatusCode
			m.response(resp.Request, &status, resp.Header, body)
			out := data
			if body != nil {
				if out, err = json.Marshal(body); err != nil {
					return err
				}
			}
			resp.StatusCode = status
			resp.Body = io.NopCloser(bytes.NewReader(out))
			resp.ContentLength = int64(len(out))
			resp.Header.Set("Content-Length", strconv.Itoa(len(out)))
			return nil
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.request != nil {
			if status, body := m.request(r); status > 0 {
				w.Header().Set("Content-Type", "application/fhir+json")
				w.WriteHeader(status)
				_, _ = io.WriteString(w, body)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

const outcome405 = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported","details":{"text":"not supported"}}]}`

var datePrefix = regexp.MustCompile(`date=(eq|ne|gt|lt|ge|le)`)

// testDetectsNonConformance breaks one behaviour at a time in front of
// the real upstream and asserts exactly which checks fail.
func testDetectsNonConformance(t *testing.T, up *upstreamtest.Server) {
	base := up.URL
	cases := []struct {
		name string
		m    mutation
		want []string
	}{
		{
			name: "no ETag header",
			m:    mutation{response: func(_ *http.Request, _ *int, h http.Header, _ map[string]any) { h.Del("ETag") }},
			want: []string{"header/ETag"},
		},
		{
			name: "ETag not the versionId",
			m: mutation{response: func(_ *http.Request, _ *int, h http.Header, _ map[string]any) {
				if h.Get("ETag") != "" {
					h.Set("ETag", `W/"1"`)
				}
			}},
			want: []string{"header/ETag"},
		},
		{
			name: "no Last-Modified, no Location",
			m: mutation{response: func(_ *http.Request, _ *int, h http.Header, _ map[string]any) {
				h.Del("Last-Modified")
				h.Del("Location")
			}},
			want: []string{"header/Last-Modified", "header/Location"},
		},
		{
			name: "application/json instead of application/fhir+json",
			m: mutation{response: func(_ *http.Request, _ *int, h http.Header, _ map[string]any) {
				h.Set("Content-Type", "application/json")
			}},
			want: []string{"content-type"},
		},
		{
			name: "no next links",
			m: mutation{response: func(_ *http.Request, _ *int, _ http.Header, body map[string]any) {
				links, _ := body["link"].([]any)
				var keep []any
				for _, l := range links {
					if lm, _ := l.(map[string]any); lm["relation"] != "next" {
						keep = append(keep, l)
					}
				}
				if body != nil && links != nil {
					body["link"] = keep
				}
			}},
			want: []string{"search/_count-next-links"},
		},
		{
			name: "no fullUrl on search entries",
			m: mutation{response: func(_ *http.Request, _ *int, _ http.Header, body map[string]any) {
				entries, _ := body["entry"].([]any)
				for _, e := range entries {
					if em, ok := e.(map[string]any); ok && body["type"] == "searchset" {
						delete(em, "fullUrl")
					}
				}
			}},
			want: []string{"search/entry-fullUrl"},
		},
		{
			name: "If-Match ignored",
			m:    mutation{request: func(r *http.Request) (int, string) { r.Header.Del("If-Match"); return 0, "" }},
			want: []string{"update/stale-If-Match"},
		},
		{
			name: "If-None-Exist ignored",
			m:    mutation{request: func(r *http.Request) (int, string) { r.Header.Del("If-None-Exist"); return 0, "" }},
			// The duplicate it creates then breaks the identifier search too.
			want: []string{"conditional-create", "search/Patient?identifier=system|value"},
		},
		{
			name: "patient=Patient/ID not understood",
			m: mutation{request: func(r *http.Request) (int, string) {
				q := r.URL.Query()
				if v := q.Get("patient"); strings.HasPrefix(v, "Patient/") {
					q.Set("patient", "Patient/unknown-"+strings.TrimPrefix(v, "Patient/"))
					r.URL.RawQuery = q.Encode()
				}
				return 0, ""
			}},
			want: []string{"search/patient=ID-equals-patient=Patient/ID"},
		},
		{
			name: "identifier system ignored",
			m: mutation{request: func(r *http.Request) (int, string) {
				q := r.URL.Query()
				if v := q.Get("identifier"); strings.Contains(v, "|") {
					q.Set("identifier", v[strings.Index(v, "|")+1:])
					r.URL.RawQuery = q.Encode()
				}
				return 0, ""
			}},
			want: []string{"search/identifier-system-respected"},
		},
		{
			name: "POST _search not supported",
			m: mutation{request: func(r *http.Request) (int, string) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_search") {
					return http.StatusMethodNotAllowed, outcome405
				}
				return 0, ""
			}},
			want: []string{"search/GET-equals-POST-_search"},
		},
		{
			name: "date prefixes ignored",
			m: mutation{request: func(r *http.Request) (int, string) {
				r.URL.RawQuery = datePrefix.ReplaceAllString(r.URL.RawQuery, "date=")
				return 0, ""
			}},
			// ge and le still hold when the prefix is read as eq on these probes.
			want: []string{"search/date=gt", "search/date=lt", "search/date=ne"},
		},
		{
			name: "_include ignored",
			m: mutation{request: func(r *http.Request) (int, string) {
				q := r.URL.Query()
				q.Del("_include")
				r.URL.RawQuery = q.Encode()
				return 0, ""
			}},
			want: []string{"search/_include=MedicationAdministration:request"},
		},
		{
			name: "error bodies are not OperationOutcomes",
			m: mutation{response: func(_ *http.Request, status *int, _ http.Header, body map[string]any) {
				if *status >= 400 {
					clear(body)
					body["error"] = "something went wrong"
				}
			}},
			want: []string{"error/OperationOutcome", "error/create-invalid", "error/read-unknown-id", "error/unknown-resource-type"},
		},
		{
			name: "no validation on write",
			m: mutation{response: func(req *http.Request, status *int, _ http.Header, body map[string]any) {
				if req.Method == http.MethodPost && *status == http.StatusBadRequest {
					*status = http.StatusCreated
					clear(body)
					body["resourceType"] = "Patient"
					body["id"] = "accepted-invalid"
				}
			}},
			want: []string{"error/create-invalid"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := up.Reset(t.Context()); err != nil {
				t.Fatal(err)
			}
			rep := run(t, suite.Config{BaseURL: proxy(t, base, tc.m)})
			if got, want := names(rep.Failed()), sortedCopy(tc.want); !slices.Equal(got, want) {
				t.Errorf("failed checks = %v, want %v", got, want)
			}
			for _, c := range rep.Failed() {
				if c.Why == "" || c.Request == "" {
					t.Errorf("failure without request or reason: %+v", c)
				}
			}
		})
	}
}

// testReadOnlyServer runs the suite against the upstream made read-only
// (no create in its CapabilityStatement, writes refused), as ivbridge's
// facade is: write checks are skipped with the reason, reads and searches
// run on existing data.
func testReadOnlyServer(t *testing.T, up *upstreamtest.Server) {
	base := up.URL
	// Seed it: a writable run leaves its fixtures behind.
	if seed := run(t, suite.Config{BaseURL: base}); !seed.OK() {
		t.Fatalf("seeding run failed: %v", names(seed.Failed()))
	}
	readOnly := mutation{
		request: func(r *http.Request) (int, string) {
			if r.Method != http.MethodGet && !(r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_search")) {
				return http.StatusMethodNotAllowed, outcome405
			}
			return 0, ""
		},
		response: func(req *http.Request, _ *int, _ http.Header, body map[string]any) {
			if req.URL.Path != "/metadata" {
				return
			}
			for _, rest := range body["rest"].([]any) {
				for _, res := range rest.(map[string]any)["resource"].([]any) {
					rm := res.(map[string]any)
					var keep []any
					for _, in := range rm["interaction"].([]any) {
						switch in.(map[string]any)["code"] {
						case "read", "vread", "search-type", "history-instance":
							keep = append(keep, in)
						}
					}
					rm["interaction"] = keep
				}
			}
		},
	}
	rep := run(t, suite.Config{BaseURL: proxy(t, base, readOnly)})
	if rep.Writable {
		t.Fatal("run against a server without create must be read-only")
	}
	if !rep.OK() {
		t.Errorf("read-only run failed: %v", names(rep.Failed()))
	}
	wantSkipped := []string{"conditional-create", "update/If-Match", "update/stale-If-Match", "error/create-invalid", "header/Location"}
	if got := names(skipped(rep)); !slices.Equal(got, sortedCopy(wantSkipped)) {
		t.Errorf("skipped = %v, want %v", got, sortedCopy(wantSkipped))
	}
	for _, c := range skipped(rep) {
		if !strings.Contains(c.Why, "skip: server is read-only (CapabilityStatement") {
			t.Errorf("%s skipped for %q, want the read-only reason", c.Name, c.Why)
		}
	}
	for _, name := range []string{"read/Patient", "search/_count-next-links", "search/_include=MedicationAdministration:request", "search/date=gt", "vread/Patient"} {
		if c, ok := rep.Find(name); !ok || !c.Pass {
			t.Errorf("%s: %+v, want a pass on existing data", name, c)
		}
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for _, base := range []string{"", "not a url", "ftp://example.org/fhir", "/relative/fhir"} {
		if _, err := suite.Run(t.Context(), suite.Config{BaseURL: base}); err == nil {
			t.Errorf("Run(%q): no error", base)
		}
	}
}

// TestUnreachableServer: a server that does not answer is a failed run,
// not an error, and nothing panics on the missing data.
func TestUnreachableServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	rep, err := suite.Run(t.Context(), suite.Config{BaseURL: u})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("run against a closed port passed")
	}
	if c, _ := rep.Find("metadata"); c.Pass || c.Skip {
		t.Errorf("metadata: %+v", c)
	}
}

// testTokenIsSent: with Config.Token every request carries the bearer
// token; a server that requires it fails a run without it.
func testTokenIsSent(t *testing.T, up *upstreamtest.Server) {
	base := up.URL
	const token = "s3cret-token"
	secured := proxy(t, base, mutation{request: func(r *http.Request) (int, string) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			return http.StatusUnauthorized, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","details":{"text":"unauthorized"}}]}`
		}
		return 0, ""
	}})
	if rep := run(t, suite.Config{BaseURL: secured, Token: token}); !rep.OK() {
		t.Errorf("with the token: failed %v", names(rep.Failed()))
	}
	rep := run(t, suite.Config{BaseURL: secured})
	if c, _ := rep.Find("metadata"); c.Pass || !strings.Contains(c.Why, "401") {
		t.Errorf("without the token: metadata %+v, want a failure naming 401", c)
	}
}
