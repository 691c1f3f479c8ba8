// Package suite is a FHIR R4 server conformance suite for the resource types
// ivbridge exchanges (Patient, Practitioner, MedicationRequest,
// MedicationAdministration, Observation, AdverseEvent). It exercises a
// server over HTTP the way Inferno and Touchstone do: capabilities; create,
// read and vread; conditional create; update with If-Match (a stale version
// must give 412); search by patient and by identifier=system|value, with
// patient=ID equal to patient=Patient/ID, GET equal to POST _search, date
// comparators, _count with every next link followed, and
// _include=MedicationAdministration:request, fullUrl on every search entry;
// the application/fhir+json content type; ETag, Location and Last-Modified
// headers; and an OperationOutcome body on every error.
//
// Against a writable server (its CapabilityStatement declares create for
// the types above) the suite creates its own fixtures, each with a unique
// identifier (system IdentifierSystem), and never deletes or changes
// anything else. Against a read-only server, such as ivbridge's own FHIR
// facade, write checks are reported as skipped and the suite uses
// Config.Fixtures or finds existing data by searching.
//
// It is a test client: it does not retry, and it reports what it sees.
package suite

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config says which server to test and how.
type Config struct {
	// BaseURL is the FHIR base, e.g. "https://fhir.example.org/r4".
	BaseURL string
	// Token, when set, is sent as "Authorization: Bearer <Token>".
	Token string
	// HTTPClient sends the requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Fixtures names existing resources for a read-only server.
	Fixtures Fixtures
	// RunID makes the identifiers of created fixtures unique; empty means
	// random.
	RunID string
	// MaxPages bounds how many next links one search follows (0 = 50).
	MaxPages int
}

// Check is the result of one check.
type Check struct {
	// Name identifies the check, stable across runs ("read/Patient").
	Name string
	// Request is the request the verdict is about, e.g.
	// "GET /Patient/123" (relative to the base URL).
	Request string
	// Pass is true when the server behaved as FHIR R4 requires.
	Pass bool
	// Skip is true when the check could not run (Pass is then false and
	// the check is not a failure).
	Skip bool
	// Why explains a failure or a skip, or gives detail on a pass.
	Why string
}

// Status is "pass", "FAIL" or "skip".
func (c Check) Status() string {
	switch {
	case c.Skip:
		return "skip"
	case c.Pass:
		return "pass"
	default:
		return "FAIL"
	}
}

// String is the check's report line.
func (c Check) String() string {
	s := fmt.Sprintf("%-4s %-44s %s", c.Status(), c.Name, c.Request)
	if c.Why != "" {
		s += " — " + c.Why
	}
	return s
}

// Report is the outcome of a run.
type Report struct {
	// Server is the base URL tested.
	Server string
	// Writable is true when the suite created its own fixtures.
	Writable bool
	// Checks in the order they ran.
	Checks []Check
}

// Failed returns the checks that failed.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.Pass && !c.Skip {
			out = append(out, c)
		}
	}
	return out
}

// OK reports whether no check failed.
func (r *Report) OK() bool { return len(r.Failed()) == 0 }

// Find returns the check with the given name.
func (r *Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// WriteTo prints one line per check and a summary line.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	pass, fail, skip := 0, 0, 0
	for _, c := range r.Checks {
		b.WriteString(c.String())
		b.WriteByte('\n')
		switch c.Status() {
		case "pass":
			pass++
		case "skip":
			skip++
		default:
			fail++
		}
	}
	mode := "read-only: used existing data"
	if c, ok := r.Find("metadata"); ok && !c.Pass {
		mode = "no usable CapabilityStatement: treated as read-only"
	} else if r.Writable {
		mode = "writable: created its own fixtures"
	}
	fmt.Fprintf(&b, "%s: %d passed, %d failed, %d skipped (%s)\n", r.Server, pass, fail, skip, mode)
	n, err := io.WriteString(w, b.String())
	if err != nil {
		return int64(n), fmt.Errorf("writing the report: %w", err)
	}
	return int64(n), nil
}

// ErrConfig is returned (wrapped) by Run for an unusable Config.
var ErrConfig = errors.New("suite: invalid configuration")

// Run runs every check against the server and returns the report. Server
// misbehaviour, including unreachable endpoints, is reported as failed
// checks; the error is only for an unusable Config or a cancelled ctx.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	base, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil {
		return nil, fmt.Errorf("%w: base URL: %w", ErrConfig, err)
	}
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("%w: base URL %q must be an absolute http(s) URL", ErrConfig, cfg.BaseURL)
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawQuery, base.Fragment = "", ""
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	runID := cfg.RunID
	if runID == "" {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("suite: run id: %w", err)
		}
		runID = hex.EncodeToString(b[:])
	}
	maxPages := cfg.MaxPages
	if maxPages <= 0 {
		maxPages = 50
	}
	r := &runner{
		c:        &client{http: hc, base: base, token: cfg.Token},
		report:   &Report{Server: base.String()},
		fixtures: cfg.Fixtures,
		build:    &fixtureBuilder{runID: runID},
		maxPages: maxPages,
		ids:      map[string]string{},
		bodies:   map[string]map[string]any{},
	}
	r.run(ctx)
	if err := ctx.Err(); err != nil {
		return r.report, fmt.Errorf("suite: %w", err)
	}
	return r.report, nil
}
