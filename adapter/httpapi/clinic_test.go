package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/httpapi"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

const patientV1 = `{"kind":"patient","id":"pat-t1","version":1,"mrn":"MRN-T1","given_names":["Ann"],"family_name":"Lee","birth_date":"1990-01-01","sex":"female"}`

func patientVersion(v int, family string) []byte {
	return []byte(fmt.Sprintf(`{"kind":"patient","id":"pat-t1","version":%d,"mrn":"MRN-T1","given_names":["Ann"],"family_name":%q,"birth_date":"1990-01-01","sex":"female"}`, v, family))
}

// TestExamplesRoundTrip stores every valid example, reads each back,
// replays it, and finds each projected resource in the facade.
func TestExamplesRoundTrip(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		for _, ex := range examples(t) {
			path := "/clinic/v1/" + ex.kind + "s/" + ex.id
			r := e.put(path, ex.body)
			if r.status != http.StatusCreated {
				t.Fatalf("PUT %s: %d %s", ex.file, r.status, r.body)
			}
			if r.header.Get("ETag") == "" || r.header.Get("Location") != path {
				t.Fatalf("PUT %s: headers %v", ex.file, r.header)
			}
			var pr httpapi.PutResult
			decodeJSON(t, r.body, &pr)
			if pr.Result != "created" || pr.Kind != ex.kind || pr.ID != ex.id || len(pr.Resources) == 0 {
				t.Fatalf("PUT %s: %+v", ex.file, pr)
			}
			// An exact replay, even with other whitespace, writes nothing.
			var compact bytes.Buffer
			_ = json.Compact(&compact, ex.body)
			r = e.put(path, compact.Bytes())
			decodeJSON(t, r.body, &pr)
			if r.status != http.StatusOK || pr.Result != "unchanged" {
				t.Fatalf("replay %s: %d %s", ex.file, r.status, r.body)
			}
			g := e.get(path, tokReader)
			if g.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", ex.file, g.status, g.body)
			}
			rec, err := clinic.Decode(ex.body)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := clinic.Encode(rec)
			if !bytes.Equal(g.body, want) {
				t.Fatalf("GET %s:\n got %s\nwant %s", ex.file, g.body, want)
			}
			for _, ref := range pr.Resources {
				fr := e.get("/fhir/"+ref, tokWriter)
				if fr.status != http.StatusOK {
					t.Fatalf("facade %s of %s: %d %s", ref, ex.file, fr.status, fr.body)
				}
			}
		}
	})
}

// TestInvalidExamples: every invalid example is refused with a 4xx that
// names the field, and nothing of it is stored.
func TestInvalidExamples(t *testing.T) {
	dir := filepath.Join(examplesDir(t), "invalid")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid examples in %s", dir)
	}
	// What each file's OperationOutcome must name (from invalid/README.md).
	field := map[string]string{
		"bad-id.json":                 "id",
		"ended-before-started.json":   "ended_at",
		"missing-required.json":       "performer_id",
		"pain-out-of-range.json":      "pain_before",
		"per-kg-without-weight.json":  "dosing_weight_kg",
		"stopped-without-reason.json": "status_reason",
		"time-without-offset.json":    "onset_at",
		"truncated.json":              "",
		"two-rates.json":              "rate",
		"unknown-field.json":          "wieght_kg",
		"unknown-substance.json":      "nad_plus",
		"version-zero.json":           "version",
	}
	idOK := regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		e.seed(t)
		before := e.counts(t)
		for _, f := range files {
			name := filepath.Base(f)
			t.Run(name, func(t *testing.T) {
				want, known := field[name]
				if !known {
					t.Fatalf("new invalid example %s: add the field it must name", name)
				}
				body, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var head struct{ Kind, ID string }
				_ = json.Unmarshal(body, &head)
				kind, id := head.Kind, head.ID
				if kind == "" {
					kind = "patient"
				}
				if !idOK.MatchString(id) {
					id = "placeholder"
				}
				r := e.put("/clinic/v1/"+kind+"s/"+id, body)
				if r.status < 400 || r.status > 499 {
					t.Fatalf("status %d, want 4xx: %s", r.status, r.body)
				}
				issues := outcomeOf(t, r)
				if want != "" && !names(issues, want) {
					t.Fatalf("the OperationOutcome does not name %q: %s", want, r.body)
				}
				if g := e.get("/clinic/v1/"+kind+"s/"+id, tokReader); g.status != http.StatusNotFound {
					t.Fatalf("the refused record is readable: %d %s", g.status, g.body)
				}
			})
		}
		if after := e.counts(t); after != before {
			t.Fatalf("refused records changed the store: before %v after %v", before, after)
		}
	})
}

// counts summarises what the store holds: records per kind and pending
// outbox entries.
func (e *env) counts(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, k := range clinic.Kinds {
		page, err := e.st.ListRecords(context.Background(), store.ListQuery{Kind: k, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%d ", k, len(page.Records))
	}
	st, err := e.st.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "pending=%d", st.Pending)
	return b.String()
}

// TestPutStatuses covers each answer of PUT.
func TestPutStatuses(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o, func(c *httpapi.Config) { c.MaxBody = 4096 })
		path := "/clinic/v1/patients/pat-t1"
		tests := []struct {
			name   string
			r      req
			status int
			field  string
		}{
			{"created", req{method: "PUT", path: path, token: tokWriter, body: []byte(patientV1)}, 201, ""},
			{"replay", req{method: "PUT", path: path, token: tokWriter, body: []byte(patientV1)}, 200, ""},
			{"newer", req{method: "PUT", path: path, token: tokWriter, body: patientVersion(3, "Lee")}, 200, ""},
			{"older", req{method: "PUT", path: path, token: tokWriter, body: patientVersion(2, "Lee")}, 409, "version"},
			{"same version other content", req{method: "PUT", path: path, token: tokWriter, body: patientVersion(3, "Other")}, 409, "version"},
			{"url id mismatch", req{method: "PUT", path: "/clinic/v1/patients/pat-other", token: tokWriter, body: []byte(patientV1)}, 422, "id"},
			{"url kind mismatch", req{method: "PUT", path: "/clinic/v1/plans/pat-t1", token: tokWriter, body: []byte(patientV1)}, 422, "kind"},
			{"not json content type", req{method: "PUT", path: path, token: tokWriter, body: []byte(patientV1), ctype: "text/plain"}, 415, ""},
			{"too large", req{method: "PUT", path: path, token: tokWriter, body: bytes.Repeat([]byte(" "), 5000)}, 413, ""},
			{"not json", req{method: "PUT", path: path, token: tokWriter, body: []byte(`{"kind":`)}, 0, ""},
			{"missing reference", req{method: "PUT", path: "/clinic/v1/reactions/rx-t1", token: tokWriter, body: []byte(
				`{"kind":"reaction","id":"rx-t1","version":1,"patient_id":"pat-nobody","category":"vein_irritation","manifestations":["phlebitis"],"severity":"mild","serious":false,"onset_at":"2026-03-02T09:40:00-05:00","recorded_at":"2026-03-02T10:10:00-05:00","action_taken":"none","outcome":"resolved"}`)}, 422, "patient_id"},
			{"no token", req{method: "PUT", path: path, body: []byte(patientV1)}, 401, ""},
			{"wrong token", req{method: "PUT", path: path, token: "nope", body: []byte(patientV1)}, 401, ""},
			{"read-only token", req{method: "PUT", path: path, token: tokReader, body: []byte(patientV1)}, 403, ""},
		}
		for _, tt := range tests {
			r := e.do(tt.r)
			if tt.status == 0 {
				if r.status != 400 && r.status != 422 {
					t.Errorf("%s: status %d, want 400 or 422: %s", tt.name, r.status, r.body)
				}
			} else if r.status != tt.status {
				t.Errorf("%s: status %d, want %d: %s", tt.name, r.status, tt.status, r.body)
				continue
			}
			if r.status >= 400 {
				issues := outcomeOf(t, r)
				if tt.field != "" && !names(issues, tt.field) {
					t.Errorf("%s: outcome does not name %q: %s", tt.name, tt.field, r.body)
				}
			}
			if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: 401 without WWW-Authenticate: Bearer", tt.name)
			}
		}
		// An older version's 409 names the version held, whichever store
		// (or the write itself, inside its transaction) found it.
		if r := e.do(tests[3].r); r.status != http.StatusConflict || !strings.Contains(string(r.body), "older than the version held (3)") {
			t.Errorf("older version: %d %s; want 409 naming version 3 as held", r.status, r.body)
		}
		g := e.get(path, tokReader)
		var p struct {
			Version    int    `json:"version"`
			FamilyName string `json:"family_name"`
		}
		decodeJSON(t, g.body, &p)
		if p.Version != 3 || p.FamilyName != "Lee" {
			t.Fatalf("stored %+v, want version 3 of Lee", p)
		}
		// If-None-Match on the clinic read.
		r := e.do(req{method: "GET", path: path, token: tokReader, headers: map[string]string{"If-None-Match": `W/"3"`}})
		if r.status != http.StatusNotModified {
			t.Fatalf("If-None-Match: %d", r.status)
		}
	})
}

// TestConcurrentVersions: 50 writers race versions 1..50 of one record;
// the newest is what remains and every refusal is a 409.
func TestConcurrentVersions(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		const n = 50
		statuses := make([]int, n+1)
		var wg sync.WaitGroup
		for v := 1; v <= n; v++ {
			wg.Add(1)
			go func(v int) {
				defer wg.Done()
				r := e.do(req{method: "PUT", path: "/clinic/v1/patients/pat-t1", token: tokWriter, body: patientVersion(v, fmt.Sprintf("Lee%d", v))})
				statuses[v] = r.status
			}(v)
		}
		wg.Wait()
		created := 0
		for v := 1; v <= n; v++ {
			switch statuses[v] {
			case http.StatusCreated:
				created++
			case http.StatusOK, http.StatusConflict:
			default:
				t.Errorf("version %d: status %d", v, statuses[v])
			}
		}
		if created != 1 {
			t.Errorf("%d writes answered 201, want exactly 1", created)
		}
		if statuses[n] != http.StatusOK && statuses[n] != http.StatusCreated {
			t.Errorf("the newest version was answered %d", statuses[n])
		}
		var p struct {
			Version    int    `json:"version"`
			FamilyName string `json:"family_name"`
		}
		decodeJSON(t, e.get("/clinic/v1/patients/pat-t1", tokReader).body, &p)
		if p.Version != n || p.FamilyName != fmt.Sprintf("Lee%d", n) {
			t.Fatalf("stored %+v, want version %d", p, n)
		}
		// The facade serves the newest version's projection.
		res, err := e.st.GetResource(context.Background(), "Patient", e.trans.ID("Patient", clinic.KindPatient, "pat-t1"))
		if err != nil || !bytes.Contains(res.Body, []byte(fmt.Sprintf("Lee%d", n))) {
			t.Fatalf("facade Patient: %v %s", err, res.Body)
		}
	})
}

// TestListRecords pages through records with the cursor and filters.
func TestListRecords(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		exs := e.seed(t)
		want := map[string]int{}
		for _, ex := range exs {
			want[ex.kind]++
		}
		for kind, n := range want {
			var got []string
			path := "/clinic/v1/" + kind + "s?limit=1"
			for i := 0; i < 100; i++ {
				r := e.get(path, tokReader)
				if r.status != http.StatusOK {
					t.Fatalf("%s: %d %s", path, r.status, r.body)
				}
				var l httpapi.RecordList
				decodeJSON(t, r.body, &l)
				for _, rec := range l.Records {
					var h struct{ ID string }
					decodeJSON(t, rec, &h)
					got = append(got, h.ID)
				}
				if l.Next == "" {
					break
				}
				path = "/clinic/v1/" + kind + "s?limit=1&cursor=" + l.Next
			}
			if len(got) != n {
				t.Errorf("%s: paged %d records %v, want %d", kind, len(got), got, n)
			}
		}
		r := e.get("/clinic/v1/plans?patient_id=pat-1001", tokReader)
		var l httpapi.RecordList
		decodeJSON(t, r.body, &l)
		for _, rec := range l.Records {
			if !bytes.Contains(rec, []byte(`"patient_id":"pat-1001"`)) {
				t.Fatalf("patient filter returned %s", rec)
			}
		}
		if len(l.Records) == 0 {
			t.Fatal("no plans of pat-1001")
		}
		r = e.get("/clinic/v1/plans?updated_since=2999-01-01T00:00:00Z", tokReader)
		decodeJSON(t, r.body, &l)
		if len(l.Records) != 0 {
			t.Fatalf("updated_since in the future returned %d records", len(l.Records))
		}
		for _, bad := range []string{"?bogus=1", "?limit=0", "?cursor=x", "?updated_since=yesterday"} {
			if r := e.get("/clinic/v1/plans"+bad, tokReader); r.status != http.StatusBadRequest {
				t.Errorf("%s: %d", bad, r.status)
			} else {
				outcomeOf(t, r)
			}
		}
	})
}

// TestBatch: NDJSON in, one result per line, each record on its own.
func TestBatch(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o, func(c *httpapi.Config) { c.MaxBody = 2048 })
		lines := []string{
			patientV1,
			`{"kind":"patient","id":"pat-t2","version":1}`,
			"",
			strings.Replace(patientV1, `"id":"pat-t1"`, `"id":"pat-t3"`, 1),
			patientV1,
			`{"kind":"patient","id":"pat-t4","version":1,"mrn":"` + strings.Repeat("x", 3000) + `"}`,
			`not json`,
		}
		body := strings.Join(lines, "\n") + "\n"
		r := e.do(req{method: "POST", path: "/clinic/v1/batch", token: tokWriter, body: []byte(body), ctype: "application/x-ndjson"})
		if r.status != http.StatusOK {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		var results []httpapi.PutResult
		for _, l := range bytes.Split(bytes.TrimSpace(r.body), []byte("\n")) {
			var pr httpapi.PutResult
			decodeJSON(t, l, &pr)
			results = append(results, pr)
		}
		want := []struct {
			line, status int
			result       string
		}{{1, 201, "created"}, {2, 422, "invalid"}, {4, 201, "created"}, {5, 200, "unchanged"}, {6, 413, "invalid"}, {7, 0, "invalid"}}
		if len(results) != len(want) {
			t.Fatalf("%d results, want %d: %s", len(results), len(want), r.body)
		}
		for i, w := range want {
			got := results[i]
			if got.Line != w.line || (w.status != 0 && got.Status != w.status) || got.Result != w.result {
				t.Errorf("result %d = %+v, want %+v", i, got, w)
			}
			if got.Status >= 400 && !bytes.Contains(got.Outcome, []byte("OperationOutcome")) {
				t.Errorf("result %d has no OperationOutcome", i)
			}
		}
		if r := e.do(req{method: "POST", path: "/clinic/v1/batch", token: tokWriter, body: []byte(body)}); r.status != http.StatusUnsupportedMediaType {
			t.Fatalf("batch as application/json: %d", r.status)
		}
	})
}
