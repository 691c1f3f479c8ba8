package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/auth"
	"github.com/ivbridge/ivbridge/adapter/httpapi"
	"github.com/ivbridge/ivbridge/adapter/safety"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/adapter/store/sqlite"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// Tokens of the test server, one per role.
const (
	tokWriter = "writer-token" // clinic.write, clinic.read, fhir.read
	tokReader = "reader-token" // clinic.read only
	tokAdmin  = "admin-token"  // admin only
)

// validator is shared: it is immutable and its tables load once.
var validator = conformance.NewValidator()

// env is one server over a fresh store.
type env struct {
	t     testing.TB
	st    store.Store
	srv   *httpapi.Server
	h     http.Handler
	trans *translate.Translator
}

type option func(*httpapi.Config)

// opener opens a fresh, empty store for one test.
type opener struct {
	name string
	open func(t testing.TB) store.Store
}

// openers lists the stores the API tests run on: SQLite always, and
// PostgreSQL when IVBRIDGE_TEST_POSTGRES_DSN is set (required when CI=true).
func openers(t testing.TB) []opener {
	t.Helper()
	out := []opener{{"sqlite", func(t testing.TB) store.Store {
		t.Helper()
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}}}
	if pg := postgresOpener(t); pg != nil {
		out = append(out, *pg)
	}
	return out
}

// eachStore runs fn once per store as a subtest.
func eachStore(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Helper()
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) { fn(t, o) })
	}
}

func newEnv(t testing.TB, o opener, opts ...option) *env {
	t.Helper()
	st := o.open(t)
	tr, err := translate.New(translate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := (*auth.Tokens)(nil).With("writer", tokWriter, auth.ClinicWrite, auth.ClinicRead, auth.FHIRRead)
	if err != nil {
		t.Fatal(err)
	}
	toks, _ = toks.With("reader", tokReader, auth.ClinicRead)
	toks, _ = toks.With("admin", tokAdmin, auth.Admin)
	rules := safety.DefaultRules()
	engine := func(recs safety.Records) *safety.Engine {
		return safety.NewEngine(rules, recs, nil, nil)
	}
	cfg := httpapi.Config{
		Store: st, Translator: tr, Validator: validator, Safety: engine, Tokens: toks,
		BaseURL: "http://ivbridge.test",
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	srv, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, st: st, srv: srv, h: srv.Handler(), trans: tr}
}

// req is one request of a test.
type req struct {
	method, path string
	token        string
	body         []byte
	ctype        string
	headers      map[string]string
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) do(r req) resp {
	e.t.Helper()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	} else if r.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, hr)
	return resp{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (e *env) get(path, token string) resp {
	e.t.Helper()
	return e.do(req{method: http.MethodGet, path: path, token: token})
}

func (e *env) put(path string, body []byte) resp {
	e.t.Helper()
	return e.do(req{method: http.MethodPut, path: path, token: tokWriter, body: body})
}

// mustPut stores a record and fails unless the answer is want.
func (e *env) mustPut(body []byte, want int) httpapi.PutResult {
	e.t.Helper()
	var head struct{ Kind, ID string }
	if err := json.Unmarshal(body, &head); err != nil {
		e.t.Fatal(err)
	}
	r := e.put("/clinic/v1/"+head.Kind+"s/"+head.ID, body)
	if r.status != want {
		e.t.Fatalf("PUT %s %s: status %d, want %d: %s", head.Kind, head.ID, r.status, want, r.body)
	}
	var pr httpapi.PutResult
	if r.status < 300 {
		if err := json.Unmarshal(r.body, &pr); err != nil {
			e.t.Fatal(err)
		}
	}
	return pr
}

// outcomeOf parses an OperationOutcome answer and fails if it is none.
type ooIssue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics"`
	Expression  []string `json:"expression"`
}

func outcomeOf(t *testing.T, r resp) []ooIssue {
	t.Helper()
	var oo struct {
		ResourceType string    `json:"resourceType"`
		Issue        []ooIssue `json:"issue"`
	}
	if err := json.Unmarshal(r.body, &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		t.Fatalf("status %d: want an OperationOutcome, got %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
		t.Fatalf("OperationOutcome with Content-Type %q", ct)
	}
	if issues := validator.Validate(r.body); conformance.HasErrors(issues) {
		t.Fatalf("the OperationOutcome is not valid R4: %+v", issues)
	}
	return oo.Issue
}

// names reports whether an issue's expression or diagnostics names field.
func names(issues []ooIssue, field string) bool {
	for _, is := range issues {
		for _, x := range is.Expression {
			if strings.Contains(x, field) {
				return true
			}
		}
		if strings.Contains(is.Diagnostics, field) {
			return true
		}
	}
	return false
}

// repoRoot walks up from the test's directory to the one holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// examplesDir is shared/clinic-model/examples beside the repository.
func examplesDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "clinic-model", "examples")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("clinic examples missing at %s", dir)
		}
		t.Skipf("clinic examples not found at %s", dir)
	}
	return dir
}

// example is one valid clinic example.
type example struct {
	file, kind, id string
	body           []byte
}

// examples reads the valid examples in dependency order (patients,
// practitioners, plans, administrations, reactions).
func examples(t *testing.T) []example {
	t.Helper()
	dir := examplesDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in %s", dir)
	}
	order := map[string]int{"patient": 0, "practitioner": 1, "plan": 2, "administration": 3, "reaction": 4}
	var out []example
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Kind, ID string }
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, example{file: filepath.Base(f), kind: head.Kind, id: head.ID, body: b})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if order[out[i].kind] != order[out[j].kind] {
			return order[out[i].kind] < order[out[j].kind]
		}
		return out[i].file < out[j].file
	})
	return out
}

// seed stores every valid example and fails on any refusal.
func (e *env) seed(t *testing.T) []example {
	t.Helper()
	exs := examples(t)
	for _, ex := range exs {
		r := e.put("/clinic/v1/"+ex.kind+"s/"+ex.id, ex.body)
		if r.status != http.StatusCreated {
			t.Fatalf("seed %s: status %d: %s", ex.file, r.status, r.body)
		}
	}
	return exs
}

// decodeJSON unmarshals or fails.
func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// withBaseURL sets the public base URL ("" derives it from each request).
func withBaseURL(u string) option { return func(c *httpapi.Config) { c.BaseURL = u } }
