package suite

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// readOnlyWhy is the skip reason of write checks against a read-only server.
const readOnlyWhy = "skip: server is read-only (CapabilityStatement declares no create)"

// runner holds the state of one run.
type runner struct {
	c        *client
	report   *Report
	fixtures Fixtures
	build    *fixtureBuilder
	maxPages int

	caps     capabilities
	capsOK   bool
	writable bool

	// ids are the fixture ids by resource type; bodies the last read body.
	ids    map[string]string
	bodies map[string]map[string]any
	// patientIdent is an identifier of the fixture Patient.
	identSystem, identValue string
	// observationDays are the Observations of the fixture patient the
	// suite created, and their clinical day (YYYY-MM-DD), for the paging
	// check of a writable server.
	observationDays map[string]string
	// The date comparator checks search dateType by dateParam and judge
	// the known resources in dateDays (id → clinical day).
	dateType, dateParam string
	dateDays            map[string]string
	// createdPatientVersion is the version of the Patient before update.
	firstPatientVersion string

	etag, lastModified, location, fullURL tally
}

// tally collects one kind of header observation over many responses.
type tally struct {
	seen     int
	problems []string
	first    string
}

func (t *tally) ok(req string) {
	t.seen++
	if t.first == "" {
		t.first = req
	}
}

func (t *tally) bad(req, why string) {
	t.seen++
	if t.first == "" {
		t.first = req
	}
	t.problems = append(t.problems, req+": "+why)
}

func (r *runner) add(c Check) { r.report.Checks = append(r.report.Checks, c) }

func (r *runner) pass(name, req, why string) {
	r.add(Check{Name: name, Request: req, Pass: true, Why: why})
}

func (r *runner) fail(name, req, why string) { r.add(Check{Name: name, Request: req, Why: why}) }

func (r *runner) skip(name, req, why string) {
	r.add(Check{Name: name, Request: req, Skip: true, Why: why})
}

// verdict adds a pass when problem is empty and a failure otherwise.
func (r *runner) verdict(name, req, problem, passWhy string) {
	if problem == "" {
		r.pass(name, req, passWhy)
	} else {
		r.fail(name, req, problem)
	}
}

func (r *runner) run(ctx context.Context) {
	r.metadata(ctx)
	if ctx.Err() != nil {
		return
	}
	if r.writable {
		r.seed(ctx)
	} else {
		r.discover(ctx)
	}
	steps := []func(context.Context){
		r.reads,
		r.conditionalCreate,
		r.update,
		r.vread,
		r.searchByPatient,
		r.patientReferenceForms,
		r.searchByIdentifier,
		r.postSearch,
		r.dateComparators,
		r.paging,
		r.include,
		r.errorChecks,
	}
	for _, step := range steps {
		if ctx.Err() != nil {
			return
		}
		step(ctx)
	}
	r.headerChecks()
	r.contentTypeCheck()
	r.errorBodyCheck()
}

// ---------------------------------------------------------------- metadata

func (r *runner) metadata(ctx context.Context) {
	ex, err := r.c.do(ctx, http.MethodGet, "metadata", nil, nil)
	req := "GET /metadata"
	if err != nil {
		r.fail("metadata", req, err.Error())
		r.skip("metadata/resources", req, "no CapabilityStatement")
		return
	}
	if ex.Status != http.StatusOK {
		r.fail("metadata", ex.Request, "want 200 with a CapabilityStatement, got "+ex.describe())
		r.skip("metadata/resources", req, "no CapabilityStatement")
		return
	}
	caps, err := parseCapabilities(ex.JSON)
	if err != nil {
		r.fail("metadata", ex.Request, err.Error())
		r.skip("metadata/resources", req, "no CapabilityStatement")
		return
	}
	r.caps, r.capsOK = caps, true
	switch {
	case !strings.HasPrefix(caps.FHIRVersion, "4.0."):
		r.fail("metadata", ex.Request, fmt.Sprintf("fhirVersion is %q, want 4.0.x (R4)", caps.FHIRVersion))
	case !slices.ContainsFunc(caps.Formats, func(f string) bool {
		return f == "json" || strings.HasPrefix(f, "application/fhir+json")
	}):
		r.fail("metadata", ex.Request, fmt.Sprintf("format %v lists neither json nor application/fhir+json", caps.Formats))
	default:
		r.pass("metadata", ex.Request, "CapabilityStatement, fhirVersion "+caps.FHIRVersion)
	}

	var missing []string
	for _, t := range fixtureTypes {
		for _, in := range []string{"read", "search-type"} {
			if !caps.can(t, in) {
				missing = append(missing, t+"."+in)
			}
		}
	}
	r.verdict("metadata/resources", ex.Request, nonEmpty(missing, "CapabilityStatement does not declare: "),
		"declares read and search-type for "+strings.Join(fixtureTypes, ", "))

	r.writable = true
	for _, t := range fixtureTypes {
		if !caps.can(t, "create") {
			r.writable = false
		}
	}
	r.report.Writable = r.writable
}

func nonEmpty(list []string, prefix string) string {
	if len(list) == 0 {
		return ""
	}
	return prefix + strings.Join(list, ", ")
}

// ---------------------------------------------------------------- fixtures

// create POSTs a fixture and records the create check.
func (r *runner) create(ctx context.Context, rt string, body []byte) (string, bool) {
	name := "create/" + rt
	ex, err := r.c.do(ctx, http.MethodPost, rt, body, nil)
	if err != nil {
		r.fail(name, "POST /"+rt, err.Error())
		return "", false
	}
	if ex.Status != http.StatusCreated {
		r.fail(name, ex.Request, "want 201 Created, got "+ex.describe())
		return "", false
	}
	id := str(ex.JSON, "id")
	if ex.resourceType() != rt || id == "" {
		// A server may answer 201 with no body (Prefer: return=minimal is
		// not sent, so the default is implementation-defined); take the
		// id from Location then.
		if lrt, lid, _, ok := parseLocation(ex.Header.Get("Location")); ok && lrt == rt && ex.JSON == nil {
			r.noteLocation(ex, rt, lid)
			r.pass(name, ex.Request, "201, no body; id "+lid+" from Location")
			return lid, true
		}
		r.fail(name, ex.Request, fmt.Sprintf("201 but the body is not the created %s with an id (%s)", rt, ex.describe()))
		return "", false
	}
	r.noteLocation(ex, rt, id)
	r.noteVersionHeaders(ex)
	r.pass(name, ex.Request, "201, id "+id)
	return id, true
}

func (r *runner) seed(ctx context.Context) {
	patient, identValue := r.build.patient()
	pid, ok := r.create(ctx, "Patient", patient)
	if ok {
		r.ids["Patient"] = pid
		r.identSystem, r.identValue = IdentifierSystem, identValue
	}
	prid, ok := r.create(ctx, "Practitioner", r.build.practitioner())
	if ok {
		r.ids["Practitioner"] = prid
	}
	if pid == "" || prid == "" {
		for _, t := range fixtureTypes[2:] {
			r.skip("create/"+t, "POST /"+t, "needs the Patient and Practitioner fixtures, whose create failed")
		}
		return
	}
	if id, ok := r.create(ctx, "MedicationRequest", r.build.medicationRequest(pid, prid)); ok {
		r.ids["MedicationRequest"] = id
	}
	if mr := r.ids["MedicationRequest"]; mr != "" {
		if id, ok := r.create(ctx, "MedicationAdministration", r.build.medicationAdministration(pid, prid, mr)); ok {
			r.ids["MedicationAdministration"] = id
		}
	} else {
		r.skip("create/MedicationAdministration", "POST /MedicationAdministration", "needs the MedicationRequest fixture, whose create failed")
	}
	r.observationDays = map[string]string{}
	if id, ok := r.create(ctx, "Observation", r.build.observation(pid, fixtureDateTime, 72)); ok {
		r.ids["Observation"] = id
		r.observationDays[id] = fixtureDay
		r.dateType, r.dateParam, r.dateDays = "Observation", "date", map[string]string{id: fixtureDay}
	}
	if ma := r.ids["MedicationAdministration"]; ma != "" {
		if id, ok := r.create(ctx, "AdverseEvent", r.build.adverseEvent(pid, ma)); ok {
			r.ids["AdverseEvent"] = id
		}
	} else {
		r.skip("create/AdverseEvent", "POST /AdverseEvent", "needs the MedicationAdministration fixture, whose create failed")
	}
}

// discover fills the fixture ids of a read-only server from
// Config.Fixtures and, for what is left, from searches.
func (r *runner) discover(ctx context.Context) {
	given := map[string]string{
		"Patient": r.fixtures.Patient, "Practitioner": r.fixtures.Practitioner,
		"MedicationRequest": r.fixtures.MedicationRequest, "MedicationAdministration": r.fixtures.MedicationAdministration,
		"Observation": r.fixtures.Observation, "AdverseEvent": r.fixtures.AdverseEvent,
	}
	how := map[string]string{}
	for t, id := range given {
		if id != "" {
			r.ids[t], how[t] = id, "given in Fixtures"
		}
	}
	first := func(query string, want func(map[string]any) bool) (string, map[string]any) {
		ex, err := r.c.do(ctx, http.MethodGet, query, nil, nil)
		if err != nil || ex.Status != http.StatusOK {
			return "", nil
		}
		page, err := parseSearchPage(ex.JSON)
		if err != nil {
			return "", nil
		}
		for _, e := range page.matches() {
			if want == nil || want(e.Resource) {
				return e.ID, e.Resource
			}
		}
		return "", nil
	}
	if r.ids["Patient"] == "" {
		if id, _ := first("Patient?_count=1", nil); id != "" {
			r.ids["Patient"], how["Patient"] = id, "found by GET /Patient?_count=1"
		}
	}
	pid := r.ids["Patient"]
	if pid != "" && r.ids["MedicationAdministration"] == "" {
		q := "MedicationAdministration?patient=" + url.QueryEscape(pid) + "&_count=50"
		hasRequest := func(m map[string]any) bool { return refID(obj(m, "request"), "MedicationRequest") != "" }
		id, res := first(q, hasRequest)
		if id == "" {
			id, res = first(q, nil)
		}
		if id != "" {
			r.ids["MedicationAdministration"], how["MedicationAdministration"] = id, "found by GET /"+q
			if mr := refID(obj(res, "request"), "MedicationRequest"); mr != "" && r.ids["MedicationRequest"] == "" {
				r.ids["MedicationRequest"], how["MedicationRequest"] = mr, "MedicationAdministration.request"
			}
			for _, p := range arr(res, "performer") {
				if pr := refID(obj(asMap(p), "actor"), "Practitioner"); pr != "" && r.ids["Practitioner"] == "" {
					r.ids["Practitioner"], how["Practitioner"] = pr, "MedicationAdministration.performer"
				}
			}
		}
	}
	if pid != "" && r.ids["MedicationRequest"] == "" {
		q := "MedicationRequest?patient=" + url.QueryEscape(pid) + "&_count=1"
		if id, _ := first(q, nil); id != "" {
			r.ids["MedicationRequest"], how["MedicationRequest"] = id, "found by GET /"+q
		}
	}
	if pid != "" && r.ids["Observation"] == "" {
		q := "Observation?patient=" + url.QueryEscape(pid) + "&_count=50"
		if id, _ := first(q, func(m map[string]any) bool { return str(m, "effectiveDateTime") != "" }); id != "" {
			r.ids["Observation"], how["Observation"] = id, "found by GET /"+q
		}
	}
	if pid != "" && r.ids["AdverseEvent"] == "" {
		q := "AdverseEvent?subject=" + url.QueryEscape("Patient/"+pid) + "&_count=1"
		if id, _ := first(q, nil); id != "" {
			r.ids["AdverseEvent"], how["AdverseEvent"] = id, "found by GET /"+q
		}
	}
	if r.ids["Practitioner"] == "" {
		if id, _ := first("Practitioner?_count=1", nil); id != "" {
			r.ids["Practitioner"], how["Practitioner"] = id, "found by GET /Practitioner?_count=1"
		}
	}
	for _, t := range fixtureTypes {
		name := "fixtures/" + t
		if id := r.ids[t]; id != "" {
			r.pass(name, "", fmt.Sprintf("%s/%s (%s)", t, id, how[t]))
		} else {
			r.skip(name, "", "no "+t+" found on the read-only server; name one in Fixtures")
		}
	}
}

// refID returns the id of a reference "Type/id" (relative or absolute) to
// resource type rt, or "".
func refID(reference map[string]any, rt string) string {
	s := str(reference, "reference")
	if s == "" {
		return ""
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 || parts[n-2] != rt || parts[n-1] == "" {
		return ""
	}
	return parts[n-1]
}

// ---------------------------------------------------------------- headers

// noteVersionHeaders judges ETag and Last-Modified of a response carrying a
// resource against its meta.
func (r *runner) noteVersionHeaders(ex *exchange) {
	meta := obj(ex.JSON, "meta")
	vid, lu := str(meta, "versionId"), str(meta, "lastUpdated")
	etag := ex.Header.Get("ETag")
	switch got, ok := parseETag(etag); {
	case etag == "":
		r.etag.bad(ex.Request, "no ETag header")
	case !ok:
		r.etag.bad(ex.Request, fmt.Sprintf("ETag %q is not W/\"<versionId>\"", etag))
	case vid != "" && got != vid:
		r.etag.bad(ex.Request, fmt.Sprintf("ETag %q does not match meta.versionId %q", etag, vid))
	default:
		r.etag.ok(ex.Request)
	}
	lm := ex.Header.Get("Last-Modified")
	if lm == "" {
		r.lastModified.bad(ex.Request, "no Last-Modified header")
		return
	}
	at, err := http.ParseTime(lm)
	if err != nil {
		r.lastModified.bad(ex.Request, fmt.Sprintf("Last-Modified %q is not an HTTP date", lm))
		return
	}
	if lu != "" {
		want, err := time.Parse(time.RFC3339Nano, lu)
		if err == nil && want.Truncate(time.Second).Sub(at).Abs() >= time.Second {
			r.lastModified.bad(ex.Request, fmt.Sprintf("Last-Modified %q does not match meta.lastUpdated %q", lm, lu))
			return
		}
	}
	r.lastModified.ok(ex.Request)
}

// noteFullURLs judges Bundle.entry.fullUrl on a search page: R4 (3.1.1.4)
// requires it on every entry of a search result, the resource's absolute
// URL.
func (r *runner) noteFullURLs(req string, page searchPage) {
	for _, e := range page.Entries {
		if e.ResourceType == "OperationOutcome" {
			continue
		}
		switch {
		case e.FullURL == "":
			r.fullURL.bad(req, e.key()+" has no fullUrl")
			return
		case !strings.HasSuffix(e.FullURL, "/"+e.key()):
			r.fullURL.bad(req, fmt.Sprintf("fullUrl %q does not end in %s", e.FullURL, e.key()))
			return
		}
	}
	if len(page.Entries) > 0 {
		r.fullURL.ok(req)
	}
}

// noteLocation judges the Location header of a create.
func (r *runner) noteLocation(ex *exchange, rt, id string) {
	loc := ex.Header.Get("Location")
	if loc == "" {
		r.location.bad(ex.Request, "no Location header")
		return
	}
	lrt, lid, lvid, ok := parseLocation(loc)
	switch {
	case !ok || lrt != rt || lid != id:
		r.location.bad(ex.Request, fmt.Sprintf("Location %q does not name %s/%s", loc, rt, id))
	case lvid != "" && str(obj(ex.JSON, "meta"), "versionId") != "" && lvid != str(obj(ex.JSON, "meta"), "versionId"):
		r.location.bad(ex.Request, fmt.Sprintf("Location %q names another version than meta.versionId", loc))
	default:
		r.location.ok(ex.Request)
	}
}

func (r *runner) headerChecks() {
	emit := func(name string, t tally, what string) {
		switch {
		case t.seen == 0 && !r.writable && name == "header/Location":
			r.skip(name, "", readOnlyWhy)
		case t.seen == 0:
			r.skip(name, "", "no response to judge ("+what+")")
		case len(t.problems) > 0:
			r.fail(name, t.first, fmt.Sprintf("%d of %d responses: %s", len(t.problems), t.seen, t.problems[0]))
		default:
			r.pass(name, t.first, fmt.Sprintf("all %d responses (%s)", t.seen, what))
		}
	}
	emit("header/ETag", r.etag, "create, read, vread, update")
	emit("header/Last-Modified", r.lastModified, "create, read, vread, update")
	emit("header/Location", r.location, "create")
	emit("search/entry-fullUrl", r.fullURL, "search result pages")
}

// contentTypeCheck judges the Content-Type of every response with a body.
func (r *runner) contentTypeCheck() {
	n := 0
	var bad []string
	first := ""
	for _, ex := range r.c.seen {
		if len(ex.Body) == 0 {
			continue
		}
		n++
		if first == "" {
			first = ex.Request
		}
		if ex.mediaType() != "application/fhir+json" {
			bad = append(bad, fmt.Sprintf("%s: Content-Type %q", ex.Request, ex.Header.Get("Content-Type")))
		}
	}
	switch {
	case n == 0:
		r.skip("content-type", "", "no response with a body")
	case len(bad) > 0:
		r.fail("content-type", first, fmt.Sprintf("%d of %d responses are not application/fhir+json; first: %s", len(bad), n, bad[0]))
	default:
		r.pass("content-type", first, fmt.Sprintf("all %d responses with a body are application/fhir+json", n))
	}
}

// errorBodyCheck judges the body of every 4xx/5xx response.
func (r *runner) errorBodyCheck() {
	n := 0
	var bad []string
	first := ""
	for _, ex := range r.c.seen {
		if ex.Status < 400 {
			continue
		}
		n++
		if first == "" {
			first = ex.Request
		}
		if ex.resourceType() != "OperationOutcome" || len(arr(ex.JSON, "issue")) == 0 {
			bad = append(bad, fmt.Sprintf("%s: status %d without an OperationOutcome body", ex.Request, ex.Status))
		}
	}
	switch {
	case n == 0:
		r.skip("error/OperationOutcome", "", "no error response seen")
	case len(bad) > 0:
		r.fail("error/OperationOutcome", first, fmt.Sprintf("%d of %d error responses; first: %s", len(bad), n, bad[0]))
	default:
		r.pass("error/OperationOutcome", first, fmt.Sprintf("all %d error responses carry an OperationOutcome", n))
	}
}
