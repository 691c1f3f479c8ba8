package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/httpapi"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Total        *int   `json:"total"`
	Link         []struct {
		Relation string `json:"relation"`
		URL      string `json:"url"`
	} `json:"link"`
	Entry []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Search   struct {
			Mode string `json:"mode"`
		} `json:"search"`
	} `json:"entry"`
}

type resHead struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Status       string `json:"status"`
	Meta         struct {
		VersionID   string `json:"versionId"`
		LastUpdated string `json:"lastUpdated"`
	} `json:"meta"`
	Identifier json.RawMessage `json:"identifier"`
}

// search runs a facade search, checks the Bundle is a valid searchset and
// returns it with the "Type/id" of its matches and includes.
func (e *env) search(t *testing.T, path string) (bundle, []string, []string) {
	t.Helper()
	r := e.get(path, tokWriter)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if issues := validator.Validate(r.body); conformance.HasErrors(issues) {
		t.Fatalf("GET %s: the Bundle is not valid R4: %+v", path, issues)
	}
	var b bundle
	decodeJSON(t, r.body, &b)
	if b.ResourceType != "Bundle" || b.Type != "searchset" || b.Total == nil {
		t.Fatalf("GET %s: not a searchset with total: %s", path, r.body)
	}
	var match, include []string
	for _, en := range b.Entry {
		var h resHead
		decodeJSON(t, en.Resource, &h)
		ref := h.ResourceType + "/" + h.ID
		if en.FullURL != "http://ivbridge.test/fhir/"+ref {
			t.Fatalf("fullUrl %q for %s", en.FullURL, ref)
		}
		if h.Meta.VersionID == "" || h.Meta.LastUpdated == "" {
			t.Fatalf("%s served without meta.versionId/lastUpdated", ref)
		}
		switch en.Search.Mode {
		case "match":
			match = append(match, ref)
		case "include":
			include = append(include, ref)
		default:
			t.Fatalf("entry %s with search.mode %q", ref, en.Search.Mode)
		}
	}
	return b, match, include
}

func (e *env) fhirID(typ string, kind clinic.Kind, id string) string {
	return e.trans.ID(typ, kind, id)
}

func TestFacadeRead(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		e.seed(t)
		pid := e.fhirID("Patient", clinic.KindPatient, "pat-1001")
		r := e.get("/fhir/Patient/"+pid, tokWriter)
		if r.status != http.StatusOK || r.header.Get("ETag") != `W/"1"` || r.header.Get("Last-Modified") == "" ||
			!strings.HasPrefix(r.header.Get("Content-Type"), "application/fhir+json") {
			t.Fatalf("read: %d %v %s", r.status, r.header, r.body)
		}
		var h resHead
		decodeJSON(t, r.body, &h)
		if h.ID != pid || h.Meta.VersionID != "1" {
			t.Fatalf("read: %+v", h)
		}
		if _, err := time.Parse(time.RFC3339Nano, h.Meta.LastUpdated); err != nil {
			t.Fatalf("meta.lastUpdated %q: %v", h.Meta.LastUpdated, err)
		}
		if issues := validator.Validate(r.body); conformance.HasErrors(issues) {
			t.Fatalf("served Patient is invalid: %+v", issues)
		}
		tests := []struct {
			name    string
			r       req
			status  int
			outcome bool
		}{
			{"if-none-match", req{method: "GET", path: "/fhir/Patient/" + pid, token: tokWriter, headers: map[string]string{"If-None-Match": `W/"1"`}}, 304, false},
			{"if-none-match other", req{method: "GET", path: "/fhir/Patient/" + pid, token: tokWriter, headers: map[string]string{"If-None-Match": `W/"7"`}}, 200, false},
			{"vread", req{method: "GET", path: "/fhir/Patient/" + pid + "/_history/1", token: tokWriter}, 200, false},
			{"vread missing", req{method: "GET", path: "/fhir/Patient/" + pid + "/_history/9", token: tokWriter}, 404, true},
			{"unknown id", req{method: "GET", path: "/fhir/Patient/does-not-exist", token: tokWriter}, 404, true},
			{"unknown type", req{method: "GET", path: "/fhir/Basic/x", token: tokWriter}, 404, true},
			{"xml only", req{method: "GET", path: "/fhir/Patient/" + pid, token: tokWriter, headers: map[string]string{"Accept": "application/fhir+xml"}}, 406, true},
			{"_format xml", req{method: "GET", path: "/fhir/Patient/" + pid + "?_format=xml", token: tokWriter}, 406, true},
			{"_format json", req{method: "GET", path: "/fhir/Patient/" + pid + "?_format=json", token: tokWriter}, 200, false},
			{"accept json", req{method: "GET", path: "/fhir/Patient/" + pid, token: tokWriter, headers: map[string]string{"Accept": "application/fhir+xml;q=0.9, application/fhir+json"}}, 200, false},
			{"no token", req{method: "GET", path: "/fhir/Patient/" + pid}, 401, true},
			{"clinic-only token", req{method: "GET", path: "/fhir/Patient/" + pid, token: tokReader}, 403, true},
			{"method not allowed", req{method: "DELETE", path: "/fhir/Patient/" + pid, token: tokWriter}, 405, true},
			{"no route", req{method: "GET", path: "/nowhere", token: tokWriter}, 404, true},
		}
		for _, tt := range tests {
			r := e.do(tt.r)
			if r.status != tt.status {
				t.Errorf("%s: %d, want %d: %s", tt.name, r.status, tt.status, r.body)
				continue
			}
			if tt.outcome {
				outcomeOf(t, r)
			}
		}
	})
}

// TestFacadeDeleted: a newer record version without a resource deletes it
// from the facade: read answers 410, the old version stays readable.
func TestFacadeDeleted(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		v1 := []byte(`{"kind":"patient","id":"pat-t1","version":1,"mrn":"MRN-T1","given_names":["Ann"],"family_name":"Lee","birth_date":"1990-01-01","sex":"female","conditions":["migraine"]}`)
		pr := e.mustPut(v1, http.StatusCreated)
		var cond string
		for _, ref := range pr.Resources {
			if strings.HasPrefix(ref, "Condition/") {
				cond = ref
			}
		}
		if cond == "" {
			t.Fatalf("no Condition projected: %v", pr.Resources)
		}
		e.mustPut(patientVersion(2, "Lee"), http.StatusOK)
		r := e.get("/fhir/"+cond, tokWriter)
		if r.status != http.StatusGone {
			t.Fatalf("deleted Condition: %d %s", r.status, r.body)
		}
		outcomeOf(t, r)
		if r := e.get("/fhir/"+cond+"/_history/1", tokWriter); r.status != http.StatusOK {
			t.Fatalf("vread of the version before the delete: %d", r.status)
		}
		_, match, _ := e.search(t, "/fhir/Condition")
		if len(match) != 0 {
			t.Fatalf("deleted Condition still found: %v", match)
		}
	})
}

func TestFacadeSearch(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		e.seed(t)
		pid := e.fhirID("Patient", clinic.KindPatient, "pat-1001")
		// Expectations come from the unfiltered result, read independently
		// of the facade's search keys.
		allBundle, all, _ := e.search(t, "/fhir/MedicationAdministration?_count=1000")
		want1001, withStart := 0, 0
		for _, en := range allBundle.Entry {
			var ma struct {
				Subject struct {
					Reference string `json:"reference"`
				} `json:"subject"`
				EffectiveDateTime string `json:"effectiveDateTime"`
				EffectivePeriod   *struct {
					Start string `json:"start"`
				} `json:"effectivePeriod"`
			}
			decodeJSON(t, en.Resource, &ma)
			if ma.Subject.Reference == "Patient/"+pid {
				want1001++
			}
			if ma.EffectiveDateTime != "" || (ma.EffectivePeriod != nil && ma.EffectivePeriod.Start != "") {
				withStart++
			}
		}
		if want1001 == 0 || want1001 == len(all) {
			t.Fatalf("examples give %d of %d administrations for pat-1001: the filter test would prove nothing", want1001, len(all))
		}

		// _id, identifier.
		_, m, _ := e.search(t, "/fhir/Patient?_id="+pid)
		if len(m) != 1 || m[0] != "Patient/"+pid {
			t.Fatalf("_id: %v", m)
		}
		var p struct {
			Identifier []struct{ System, Value string } `json:"identifier"`
		}
		decodeJSON(t, e.get("/fhir/Patient/"+pid, tokWriter).body, &p)
		if len(p.Identifier) == 0 {
			t.Fatal("Patient without identifier")
		}
		for _, q := range []string{
			url.QueryEscape(p.Identifier[0].System + "|" + p.Identifier[0].Value),
			url.QueryEscape(p.Identifier[0].Value),
		} {
			if _, m, _ := e.search(t, "/fhir/Patient?identifier="+q); len(m) != 1 || m[0] != "Patient/"+pid {
				t.Fatalf("identifier=%s: %v", q, m)
			}
		}
		if _, m, _ := e.search(t, "/fhir/Patient?identifier="+url.QueryEscape("urn:other|"+p.Identifier[0].Value)); len(m) != 0 {
			t.Fatalf("identifier in another system matched: %v", m)
		}

		// patient / subject, both forms.
		for _, q := range []string{"patient=" + pid, "patient=Patient/" + pid, "subject=Patient/" + pid, "subject=" + pid} {
			b, m, _ := e.search(t, "/fhir/MedicationAdministration?"+q)
			if len(m) != want1001 || *b.Total != want1001 {
				t.Fatalf("%s: %d matches (total %d), want %d", q, len(m), *b.Total, want1001)
			}
		}
		if _, m, _ := e.search(t, "/fhir/MedicationAdministration?subject=Group/"+pid); len(m) != 0 {
			t.Fatalf("subject=Group/…: %v", m)
		}

		// status.
		b, m, _ := e.search(t, "/fhir/MedicationAdministration?status=completed")
		for _, en := range b.Entry {
			var h resHead
			decodeJSON(t, en.Resource, &h)
			if h.Status != "completed" {
				t.Fatalf("status=completed returned %s", h.Status)
			}
		}
		if len(m) == 0 {
			t.Fatal("no completed administrations")
		}

		// Dates with comparators.
		if _, m, _ := e.search(t, "/fhir/MedicationAdministration?effective-time=lt1900-01-01"); len(m) != 0 {
			t.Fatalf("lt1900: %v", m)
		}
		if _, m, _ := e.search(t, "/fhir/MedicationAdministration?effective-time=ge1900-01-01&effective-time=lt3000-01-01"); len(m) != withStart {
			t.Fatalf("ge1900&lt3000: %d, want %d", len(m), withStart)
		}
		adm := e.fhirID("MedicationAdministration", clinic.KindAdministration, "adm-3001")
		day := "2026-03-02" // adm-3001 started_at
		if _, m, _ := e.search(t, "/fhir/MedicationAdministration?effective-time="+day); !contains(m, "MedicationAdministration/"+adm) {
			t.Fatalf("effective-time=%s does not find adm-3001: %v", day, m)
		}
		if _, m, _ := e.search(t, "/fhir/MedicationAdministration?_lastUpdated=gt2999-01-01"); len(m) != 0 {
			t.Fatalf("_lastUpdated in the future: %v", m)
		}
		if _, m, _ := e.search(t, "/fhir/MedicationAdministration?_lastUpdated=le2999-01-01T00:00:00Z"); len(m) != len(all) {
			t.Fatalf("_lastUpdated=le2999: %d, want %d", len(m), len(all))
		}

		// Paging: _count=1 and the next links reach every match once.
		var paged []string
		next := "/fhir/MedicationAdministration?_count=1"
		for i := 0; next != "" && i < 100; i++ {
			b, m, _ := e.search(t, next)
			if *b.Total != len(all) {
				t.Fatalf("page total %d, want %d", *b.Total, len(all))
			}
			paged = append(paged, m...)
			next = ""
			for _, l := range b.Link {
				if l.Relation == "next" {
					next = strings.TrimPrefix(l.URL, "http://ivbridge.test")
				}
			}
		}
		sort.Strings(all)
		sort.Strings(paged)
		if strings.Join(all, ",") != strings.Join(paged, ",") {
			t.Fatalf("paging gave %v, want %v", paged, all)
		}
		if b, m, _ := e.search(t, "/fhir/MedicationAdministration?_count=0"); len(m) != 0 || *b.Total != len(all) || linkOf(b, "next") != "" {
			t.Fatalf("_count=0: %d entries, total %d, next %q", len(m), *b.Total, linkOf(b, "next"))
		}

		// _include.
		plan := "MedicationRequest/" + e.fhirID("MedicationRequest", clinic.KindPlan, "plan-2001")
		_, m, inc := e.search(t, "/fhir/MedicationAdministration?_id="+adm+"&_include=MedicationAdministration:request&_include=MedicationAdministration:patient")
		if len(m) != 1 || !contains(inc, plan) || !contains(inc, "Patient/"+pid) {
			t.Fatalf("_include: match %v include %v, want %s and the patient", m, inc, plan)
		}
		_, m, inc = e.search(t, "/fhir/AdverseEvent?_include=AdverseEvent:subject")
		if len(m) == 0 || len(inc) == 0 {
			t.Fatalf("AdverseEvent _include subject: match %v include %v", m, inc)
		}
		for _, ref := range inc {
			if !strings.HasPrefix(ref, "Patient/") {
				t.Fatalf("AdverseEvent:subject included %s", ref)
			}
		}

		// POST _search gives the same answer.
		r := e.do(req{method: "POST", path: "/fhir/MedicationAdministration/_search", token: tokWriter,
			body: []byte("patient=" + pid), ctype: "application/x-www-form-urlencoded"})
		var pb bundle
		decodeJSON(t, r.body, &pb)
		if r.status != http.StatusOK || *pb.Total != want1001 {
			t.Fatalf("POST _search: %d %s", r.status, r.body)
		}

		// Strict: unknown parameters, modifiers and bad values are 400.
		for _, q := range []string{"foo=bar", "status:not=completed", "effective-time=2026-13-45", "effective-time=ap2026",
			"_include=MedicationAdministration:performer", "_count=x", "_sort=date", "patient=Patient/a%20b",
			"_cursor=bogus", "_cursor=12~MedicationAdministration~a~b", "_cursor=-1~MedicationAdministration~a",
			"_cursor=12~MedicationAdministration~a&_offset=1"} {
			r := e.get("/fhir/MedicationAdministration?"+q, tokWriter)
			if r.status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400: %s", q, r.status, r.body)
				continue
			}
			outcomeOf(t, r)
		}
		lenient := e.do(req{method: "GET", path: "/fhir/MedicationAdministration?foo=bar&patient=" + pid, token: tokWriter,
			headers: map[string]string{"Prefer": "handling=lenient"}})
		var lb bundle
		decodeJSON(t, lenient.body, &lb)
		if lenient.status != http.StatusOK || *lb.Total != want1001 || strings.Contains(lb.Link[0].URL, "foo") {
			t.Fatalf("Prefer: handling=lenient: %d %s", lenient.status, lenient.body)
		}
		if r := e.do(req{method: "POST", path: "/fhir/MedicationAdministration/_search", token: tokWriter, body: []byte(`{}`)}); r.status != http.StatusUnsupportedMediaType {
			t.Fatalf("POST _search with JSON: %d", r.status)
		}
	})
}

// TestFacadePagingStable: a resource of a page the client has read
// changes before it asks for the next; the next links (by cursor) still
// reach every other match, where offsets would skip one.
func TestFacadePagingStable(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		exs := e.seed(t)
		_, all, _ := e.search(t, "/fhir/Patient?_count=100")
		if len(all) < 3 {
			t.Fatalf("%d patients: the test needs three", len(all))
		}
		first, m, _ := e.search(t, "/fhir/Patient?_count=1")
		next := linkOf(first, "next")
		if len(m) != 1 || !strings.Contains(next, "_cursor=") {
			t.Fatalf("first page %v, next %q", m, next)
		}
		// A new version of the first page's patient moves it to the end.
		var ex example
		for _, x := range exs {
			if x.kind == "patient" && "Patient/"+e.fhirID("Patient", clinic.KindPatient, x.id) == m[0] {
				ex = x
			}
		}
		var rec map[string]any
		decodeJSON(t, ex.body, &rec)
		rec["version"] = rec["version"].(float64) + 1
		rec["family_name"] = "Renamed"
		body, _ := json.Marshal(rec)
		if r := e.put("/clinic/v1/patients/"+ex.id, body); r.status != http.StatusOK {
			t.Fatalf("update %s: %d %s", ex.id, r.status, r.body)
		}
		seen := map[string]int{m[0]: 1}
		for i := 0; next != "" && i < 10; i++ {
			b, page, _ := e.search(t, strings.TrimPrefix(next, "http://ivbridge.test"))
			for _, id := range page {
				seen[id]++
			}
			next = linkOf(b, "next")
		}
		for _, id := range all {
			if seen[id] == 0 {
				t.Errorf("paging skipped %s after %s changed (seen %v)", id, m[0], seen)
			}
		}
	})
}

// linkOf returns the bundle's link of relation rel, "" when it has none.
func linkOf(b bundle, rel string) string {
	for _, l := range b.Link {
		if l.Relation == rel {
			return l.URL
		}
	}
	return ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestCapabilityStatement: /fhir/metadata is valid R4 and declares what
// the routes serve: every facade type with read, vread, search-type and
// its search parameters.
func TestCapabilityStatement(t *testing.T) {
	e := newEnv(t, openers(t)[0])
	r := e.get("/fhir/metadata", tokWriter)
	if r.status != http.StatusOK {
		t.Fatalf("metadata: %d %s", r.status, r.body)
	}
	if issues := validator.Validate(r.body); conformance.HasErrors(issues) {
		t.Fatalf("CapabilityStatement invalid: %+v", issues)
	}
	var cs struct {
		ResourceType string `json:"resourceType"`
		FHIRVersion  string `json:"fhirVersion"`
		Rest         []struct {
			Resource []struct {
				Type        string `json:"type"`
				Interaction []struct {
					Code string `json:"code"`
				} `json:"interaction"`
				SearchParam []struct {
					Name string `json:"name"`
				} `json:"searchParam"`
				SearchInclude []string `json:"searchInclude"`
			} `json:"resource"`
		} `json:"rest"`
	}
	decodeJSON(t, r.body, &cs)
	if cs.ResourceType != "CapabilityStatement" || cs.FHIRVersion != "4.0.1" || len(cs.Rest) != 1 {
		t.Fatalf("metadata: %s", r.body)
	}
	types := map[string]bool{}
	for _, res := range cs.Rest[0].Resource {
		types[res.Type] = true
		var codes []string
		for _, i := range res.Interaction {
			codes = append(codes, i.Code)
		}
		sort.Strings(codes)
		if strings.Join(codes, ",") != "read,search-type,vread" {
			t.Errorf("%s interactions %v", res.Type, codes)
		}
		var params []string
		for _, p := range res.SearchParam {
			params = append(params, p.Name)
		}
		for _, want := range []string{"_id", "_lastUpdated", "identifier"} {
			if !contains(params, want) {
				t.Errorf("%s lacks search parameter %s", res.Type, want)
			}
		}
		// Every declared parameter is accepted by the facade.
		for _, p := range params {
			q := p + "=x"
			if p == "_lastUpdated" || strings.Contains(p, "date") || p == "birthdate" || p == "authoredon" || p == "effective-time" || p == "identified" {
				q = p + "=2020-01-01"
			}
			if rr := e.get("/fhir/"+res.Type+"?"+q, tokWriter); rr.status != http.StatusOK {
				t.Errorf("declared %s?%s answered %d: %s", res.Type, q, rr.status, rr.body)
			}
		}
	}
	for _, want := range []string{"Patient", "Practitioner", "MedicationRequest", "MedicationAdministration", "AdverseEvent",
		"AllergyIntolerance", "Observation", "Condition", "DetectedIssue", "Medication"} {
		if !types[want] {
			t.Errorf("CapabilityStatement lacks %s", want)
		}
	}
	// Every facade route is reflected: no route serves a type it omits.
	for _, rt := range e.srv.Routes() {
		if strings.HasPrefix(rt.Path, "/fhir/") && rt.Scope != "fhir.read" {
			t.Errorf("facade route %s %s needs scope %q, want fhir.read", rt.Method, rt.Path, rt.Scope)
		}
	}
}

func TestValidateOperation(t *testing.T) {
	e := newEnv(t, openers(t)[0])
	good := `{"resourceType":"Patient","id":"p1","gender":"female"}`
	bad := `{"resourceType":"Patient","id":"p1","gender":"bogus"}`
	tests := []struct {
		name, path, body string
		wantError        bool
		status           int
	}{
		{"valid", "/fhir/$validate", good, false, 200},
		{"invalid", "/fhir/$validate", bad, true, 200},
		{"type level", "/fhir/Patient/$validate", good, false, 200},
		{"type mismatch", "/fhir/Observation/$validate", good, true, 200},
		{"parameters", "/fhir/$validate", `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + bad + `}]}`, true, 200},
		{"parameters without resource", "/fhir/$validate", `{"resourceType":"Parameters","parameter":[{"name":"mode","valueCode":"create"}]}`, true, 400},
		{"not json", "/fhir/$validate", `{`, true, 400},
	}
	for _, tt := range tests {
		r := e.do(req{method: "POST", path: tt.path, token: tokWriter, body: []byte(tt.body), ctype: "application/fhir+json"})
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, r.status, tt.status, r.body)
			continue
		}
		issues := outcomeOf(t, r)
		hasErr := false
		for _, is := range issues {
			hasErr = hasErr || is.Severity == "error" || is.Severity == "fatal"
		}
		if hasErr != tt.wantError {
			t.Errorf("%s: errors %v, want %v: %s", tt.name, hasErr, tt.wantError, r.body)
		}
	}
	if r := e.do(req{method: "POST", path: "/fhir/$validate", token: tokWriter, body: []byte(good), ctype: "text/plain"}); r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d", r.status)
	}
}

func TestRateLimitAndServerError(t *testing.T) {
	o := openers(t)[0]
	e := newEnv(t, o, func(c *httpapi.Config) { c.RateLimit = 0.001; c.RateBurst = 2 })
	for i := 0; i < 2; i++ {
		if r := e.get("/clinic/v1/patients", tokReader); r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := e.get("/clinic/v1/patients", tokReader)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("third request: %d %v", r.status, r.header)
	}
	outcomeOf(t, r)
	// Buckets are per token name: another token is not throttled.
	if r := e.get("/clinic/v1/patients", tokWriter); r.status != http.StatusOK {
		t.Fatalf("other token: %d", r.status)
	}
	// The health probes need no token and are not limited.
	for i := 0; i < 3; i++ {
		if r := e.get("/healthz", ""); r.status != http.StatusOK {
			t.Fatalf("healthz: %d", r.status)
		}
	}
	if r := e.get("/readyz", ""); r.status != http.StatusOK {
		t.Fatalf("readyz: %d", r.status)
	}

	// A store that fails: 500 with an OperationOutcome, and readyz 503.
	e2 := newEnv(t, o)
	e2.st.Close()
	r = e2.get("/clinic/v1/patients/pat-1", tokReader)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("closed store: %d %s", r.status, r.body)
	}
	outcomeOf(t, r)
	if r := e2.get("/readyz", ""); r.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz on a closed store: %d", r.status)
	}
}
