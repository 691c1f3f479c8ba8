package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/httpapi"
	"github.com/ivbridge/ivbridge/adapter/safety"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func planBody(id, status string, version int) []byte {
	return []byte(`{"kind":"plan","id":"` + id + `","version":` + string(rune('0'+version)) + `,"patient_id":"pat-s","prescriber_id":"prac-s","status":"` + status + `","authored_at":"2026-02-23T16:40:00-05:00","indications":["fibromyalgia"],"formulation":{"name":"Magnesium 1 g","ingredients":[{"substance":"magnesium_sulfate","amount":1,"unit":"g"}],"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":250}},"rate":{"ml_per_hour":250},"schedule":{"sessions":4,"every":1,"period":"week","start_date":"2026-03-02"}}`)
}

// TestSafety: a high finding blocks an active plan (422 naming the rule);
// an override lets it through with the finding recorded as a DetectedIssue
// served by the facade; a later allergy re-checks open plans.
func TestSafety(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o)
		e.mustPut([]byte(`{"kind":"patient","id":"pat-s","version":1,"mrn":"MRN-S","given_names":["Sam"],"family_name":"Safe","birth_date":"1970-01-01","sex":"male","allergies":[{"substance":"magnesium_sulfate"}]}`), http.StatusCreated)
		e.mustPut([]byte(`{"kind":"practitioner","id":"prac-s","version":1,"given_names":["Dee"],"family_name":"Doc","role":"physician"}`), http.StatusCreated)

		r := e.put("/clinic/v1/plans/plan-s1", planBody("plan-s1", "active", 1))
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("allergic active plan: %d %s", r.status, r.body)
		}
		if is := outcomeOf(t, r); !names(is, "allergy") || !names(is, httpapi.HeaderOverrideReason) {
			t.Fatalf("block does not name the rule and the override: %s", r.body)
		}
		if g := e.get("/clinic/v1/plans/plan-s1", tokReader); g.status != http.StatusNotFound {
			t.Fatalf("blocked plan stored: %d", g.status)
		}

		// An override needs a known practitioner.
		r = e.do(req{method: "PUT", path: "/clinic/v1/plans/plan-s1", token: tokWriter, body: planBody("plan-s1", "active", 1),
			headers: map[string]string{httpapi.HeaderOverrideReason: "benefit outweighs risk", httpapi.HeaderOverridePractitioner: "prac-nobody"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("override by unknown practitioner: %d %s", r.status, r.body)
		}
		outcomeOf(t, r)
		r = e.do(req{method: "PUT", path: "/clinic/v1/plans/plan-s1", token: tokWriter, body: planBody("plan-s1", "active", 1),
			headers: map[string]string{httpapi.HeaderOverrideReason: "benefit outweighs risk", httpapi.HeaderOverridePractitioner: "prac-s"}})
		if r.status != http.StatusCreated {
			t.Fatalf("overridden plan: %d %s", r.status, r.body)
		}
		var pr httpapi.PutResult
		decodeJSON(t, r.body, &pr)
		var di string
		for _, ref := range pr.Resources {
			if strings.HasPrefix(ref, "DetectedIssue/") {
				di = ref
			}
		}
		if len(pr.Findings) == 0 || di == "" {
			t.Fatalf("override: findings %v resources %v", pr.Findings, pr.Resources)
		}
		fr := e.get("/fhir/"+di, tokWriter)
		if fr.status != http.StatusOK || !strings.Contains(string(fr.body), "mitigation") {
			t.Fatalf("DetectedIssue: %d %s", fr.status, fr.body)
		}
		if issues := validator.Validate(fr.body); conformance.HasErrors(issues) {
			t.Fatalf("DetectedIssue invalid: %+v", issues)
		}

		// A replay of the accepted version, without the override, is the
		// same accepted request: 200 unchanged, not a new block.
		r = e.put("/clinic/v1/plans/plan-s1", planBody("plan-s1", "active", 1))
		decodeJSON(t, r.body, &pr)
		if r.status != http.StatusOK || pr.Result != "unchanged" || len(pr.Resources) == 0 {
			t.Fatalf("replay of the overridden plan: %d %s", r.status, r.body)
		}

		// A draft is not blocked; a later allergy re-checks it.
		e.mustPut([]byte(`{"kind":"patient","id":"pat-s2","version":1,"mrn":"MRN-S2","given_names":["Kim"],"family_name":"Lee","birth_date":"1970-01-01","sex":"female"}`), http.StatusCreated)
		draft := []byte(strings.ReplaceAll(string(planBody("plan-s2", "draft", 1)), `"patient_id":"pat-s"`, `"patient_id":"pat-s2"`))
		pr = e.mustPut(draft, http.StatusCreated)
		if len(pr.Findings) != 0 {
			t.Fatalf("draft without allergy has findings: %v", pr.Findings)
		}
		e.mustPut([]byte(`{"kind":"patient","id":"pat-s2","version":2,"mrn":"MRN-S2","given_names":["Kim"],"family_name":"Lee","birth_date":"1970-01-01","sex":"female","allergies":[{"substance":"magnesium_sulfate"}]}`), http.StatusOK)
		rs, err := e.st.ResourcesOf(context.Background(), "plan", "plan-s2")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range rs {
			found = found || r.Type == "DetectedIssue"
		}
		if !found {
			t.Fatalf("no DetectedIssue after the new allergy: %v", types(rs))
		}
	})
}

func types(rs []store.Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Type+"/"+r.ID)
	}
	return out
}

// readCounter counts the reads a store serves.
type readCounter struct {
	store.Store
	many, single int
}

func (c *readCounter) ReadMany(ctx context.Context, r store.Reads) (store.ReadResults, error) {
	c.many++
	return c.Store.ReadMany(ctx, r)
}

func (c *readCounter) GetRecord(ctx context.Context, kind clinic.Kind, id string) (store.StoredRecord, error) {
	c.single++
	return c.Store.GetRecord(ctx, kind, id)
}

func (c *readCounter) ListRecords(ctx context.Context, q store.ListQuery) (store.RecordPage, error) {
	c.single++
	return c.Store.ListRecords(ctx, q)
}

func (c *readCounter) SearchResources(ctx context.Context, q store.ResourceQuery) (store.ResourcePage, error) {
	c.single++
	return c.Store.SearchResources(ctx, q)
}

// putAllergy stores an AllergyIntolerance of pat-s to the substance code
// (system urn:test), as one pulled from the upstream would be held.
func putAllergy(t *testing.T, st store.Store, id, code string) {
	t.Helper()
	body := []byte(`{"resourceType":"AllergyIntolerance","id":"` + id + `","patient":{"reference":"Patient/pat-s"},"code":{"coding":[{"system":"urn:test","code":"` + code + `"}]}}`)
	if err := st.PutResources(context.Background(), []store.Resource{{
		Type: "AllergyIntolerance", ID: id, PatientID: "pat-s", Body: body,
		SourceKind: clinic.KindPatient, SourceID: "pat-s",
	}}, false); err != nil {
		t.Fatal(err)
	}
}

// groupReadCounter is a readCounter over a store with group commit,
// which it keeps, counting the writes that carry their checks' reads.
type groupReadCounter struct {
	*readCounter
	gw        store.GroupWriter
	withReads int
}

func (c *groupReadCounter) PutRecords(ctx context.Context, ws []store.Write) ([]store.PutResult, []error) {
	for _, w := range ws {
		if w.Check != nil && len(w.Reads.Records) > 0 {
			c.withReads++
		}
	}
	return c.gw.PutRecords(ctx, ws)
}

func (c *groupReadCounter) GroupConcurrency() int { return c.gw.GroupConcurrency() }
func (c *groupReadCounter) ReadsInWrite() bool    { return c.gw.ReadsInWrite() }

// TestWriteReadsOnce: what the checks of a write read (the record, the
// records it names, the patient's plans, reactions and
// AllergyIntolerances) comes from one store read, and the checks still
// see it: an allergy held as an AllergyIntolerance blocks the plan.
// Where reads are round trips (PostgreSQL), that read goes inside the
// write itself: the checks make no read of their own.
func TestWriteReadsOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		counter := &readCounter{}
		var grouped *groupReadCounter
		inWrite := false
		e := newEnv(t, o, func(c *httpapi.Config) {
			counter.Store = c.Store
			c.Store = counter
			if gw, ok := counter.Store.(store.GroupWriter); ok {
				grouped = &groupReadCounter{readCounter: counter, gw: gw}
				c.Store = grouped
				inWrite = gw.ReadsInWrite()
			}
			c.Safety = func(recs safety.Records) *safety.Engine {
				substance := func(system, code string) (string, bool) { return code, system == "urn:test" }
				return safety.NewEngine(safety.DefaultRules(), recs, substance, func(id string) string { return id })
			}
		})
		e.mustPut([]byte(`{"kind":"patient","id":"pat-s","version":1,"mrn":"MRN-S","given_names":["Sam"],"family_name":"Safe","birth_date":"1970-01-01","sex":"male"}`), http.StatusCreated)
		e.mustPut([]byte(`{"kind":"practitioner","id":"prac-s","version":1,"given_names":["Dee"],"family_name":"Doc","role":"physician"}`), http.StatusCreated)
		e.mustPut(planBody("plan-s1", "active", 1), http.StatusCreated)

		wantMany := 1
		if inWrite {
			wantMany = 0
		}
		counter.many, counter.single = 0, 0
		if grouped != nil {
			grouped.withReads = 0
		}
		adm := []byte(`{"kind":"administration","id":"adm-s1","version":1,"plan_id":"plan-s1","patient_id":"pat-s","session_number":1,"status":"completed","started_at":"2026-03-02T09:02:00-05:00","ended_at":"2026-03-02T10:04:30-05:00","performer_id":"prac-s","site":"left_antecubital","volume_infused_ml":250,"rate_ml_per_hour":250,"doses":[{"substance":"magnesium_sulfate","amount":1,"unit":"g"}]}`)
		e.mustPut(adm, http.StatusCreated)
		if counter.many != wantMany || counter.single != 0 {
			t.Errorf("an administration's write made %d ReadMany and %d other reads, want %d and 0", counter.many, counter.single, wantMany)
		}
		if inWrite && grouped.withReads != 1 {
			t.Errorf("%d writes carried their checks' reads, want 1", grouped.withReads)
		}

		// The prefetched allergy search answers the check: an
		// AllergyIntolerance of the plan's substance blocks it.
		putAllergy(t, counter.Store, "ai-s", "magnesium_sulfate")
		counter.many, counter.single = 0, 0
		if r := e.put("/clinic/v1/plans/plan-s2", planBody("plan-s2", "active", 1)); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("a plan of a substance the patient has an AllergyIntolerance for: %d %s", r.status, r.body)
		}
		if counter.many != wantMany || counter.single != 0 {
			t.Errorf("a plan's write made %d ReadMany and %d other reads, want %d and 0", counter.many, counter.single, wantMany)
		}
	})
}

// TestCheckPanic: a panic in one write's checks answers that write 500
// and no other, however the writes were grouped; the server goes on.
func TestCheckPanic(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o, func(c *httpapi.Config) {
			c.Safety = func(recs safety.Records) *safety.Engine {
				substance := func(system, code string) (string, bool) {
					if code == "boom" {
						panic("substance table broken")
					}
					return code, system == "urn:test"
				}
				return safety.NewEngine(safety.DefaultRules(), recs, substance, func(id string) string { return id })
			}
		})
		e.mustPut([]byte(`{"kind":"practitioner","id":"prac-s","version":1,"given_names":["Dee"],"family_name":"Doc","role":"physician"}`), http.StatusCreated)
		for _, p := range []string{"pat-s", "pat-ok"} {
			e.mustPut([]byte(`{"kind":"patient","id":"`+p+`","version":1,"mrn":"MRN-`+p+`","given_names":["Sam"],"family_name":"Safe","birth_date":"1970-01-01","sex":"male"}`), http.StatusCreated)
		}
		// pat-s's AllergyIntolerance makes the check of its plans panic.
		putAllergy(t, e.st, "ai-boom", "boom")
		const n = 24
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("plan-%d", i)
				body := strings.Replace(string(planBody(id, "active", 1)), `"pat-s"`, `"pat-ok"`, 1)
				if i%4 == 0 { // every fourth is pat-s's
					body = string(planBody(id, "active", 1))
				}
				statuses[i] = e.put("/clinic/v1/plans/"+id, []byte(body)).status
			}()
		}
		wg.Wait()
		for i, st := range statuses {
			want := http.StatusCreated
			if i%4 == 0 {
				want = http.StatusInternalServerError
			}
			if st != want {
				t.Errorf("plan-%d: %d, want %d", i, st, want)
			}
		}
		after := strings.Replace(string(planBody("plan-after", "active", 1)), `"pat-s"`, `"pat-ok"`, 1)
		if r := e.put("/clinic/v1/plans/plan-after", []byte(after)); r.status != http.StatusCreated {
			t.Errorf("a write after the panics: %d %s", r.status, r.body)
		}
	})
}
