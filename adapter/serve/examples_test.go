package serve_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/serve"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// TestExamplesFlowToUpstreamWithFindings runs the whole job once: serve
// with the real test upstream, the clinic examples PUT in dependency order
// (so reaction rx-4004's allergy arrives after plan-2003 and the re-check
// must find it), and then, on the upstream: every record's resources, the
// DetectedIssues a clinician expects (issue 6), each implicating the right
// resource; and on ivbridge: each record's sync state.
func TestExamplesFlowToUpstreamWithFindings(t *testing.T) {
	up := upstreamtest.Start(t)
	cfg := testConfig(t)
	cfg.Upstream = up
	env := map[string]string{serve.EnvToken: "e2e"}
	base, _, stop := start(t, cfg, func(k string) string { return env[k] })

	dir := filepath.Join("..", "..", "..", "shared", "clinic-model", "examples")
	order := []string{"patient", "practitioner", "plan", "administration", "reaction"}
	type rec struct{ kind, id, file string }
	var recs []rec
	for _, kind := range order {
		files, _ := filepath.Glob(filepath.Join(dir, kind+"-*.json"))
		sort.Strings(files)
		for _, f := range files {
			id := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), kind+"-"), ".json")
			recs = append(recs, rec{kind, id, f})
		}
	}
	if len(recs) != 15 {
		t.Skipf("want the 15 clinic examples in %s, found %d", dir, len(recs))
	}
	for _, r := range recs {
		body, err := os.ReadFile(r.file)
		if err != nil {
			t.Fatal(err)
		}
		if st, b := call(t, "PUT", base+"/clinic/v1/"+r.kind+"s/"+r.id, "e2e", body); st != http.StatusCreated {
			t.Fatalf("PUT %s %s: %d %s", r.kind, r.id, st, b)
		}
	}

	// Wait until the outbox is drained.
	deadline := time.Now().Add(90 * time.Second)
	for {
		_, b := call(t, "GET", base+"/sync/v1/status", "e2e", nil)
		var st struct {
			Pending     int `json:"pending"`
			DeadLetters int `json:"dead_letters"`
		}
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("status: %v %s", err, b)
		}
		if st.DeadLetters > 0 {
			_, dl := call(t, "GET", base+"/sync/v1/dead-letters", "e2e", nil)
			t.Fatalf("dead letters: %s", dl)
		}
		if st.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %s", b)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// Every record reports its delivery.
	for _, r := range recs {
		st, b := call(t, "GET", base+"/clinic/v1/"+r.kind+"s/"+r.id+"/sync", "e2e", nil)
		var s struct {
			SyncedVersion int               `json:"synced_version"`
			Deliveries    []json.RawMessage `json:"deliveries"`
		}
		_ = json.Unmarshal(b, &s)
		if st != http.StatusOK || s.SyncedVersion < 1 || len(s.Deliveries) == 0 {
			t.Errorf("sync state of %s %s: %d %s", r.kind, r.id, st, b)
		}
	}

	// The upstream holds the findings a clinician expects.
	type issue struct{ severity, code, implicated string }
	var got []issue
	for _, di := range upstreamSearch(t, up, "DetectedIssue", nil) {
		var d struct {
			Severity string `json:"severity"`
			Code     struct {
				Coding []struct{ Code string } `json:"coding"`
			} `json:"code"`
			Implicated []struct{ Reference string } `json:"implicated"`
		}
		if err := json.Unmarshal(di, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Code.Coding) == 0 || len(d.Implicated) == 0 {
			t.Fatalf("DetectedIssue without code or implicated: %s", di)
		}
		got = append(got, issue{d.Severity, d.Code.Coding[0].Code, d.Implicated[0].Reference})
		// The implicated resource is on the upstream too.
		ref := d.Implicated[0].Reference
		if resp, err := http.Get(up + "/" + ref); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("implicated %s is not on the upstream (%v)", ref, err)
		} else {
			resp.Body.Close()
		}
	}
	want := map[string]int{"high ALGY MedicationRequest": 1, "moderate DRG MedicationRequest": 1, "moderate DOSECOND MedicationRequest": 1}
	for _, g := range got {
		key := g.severity + " " + g.code + " " + strings.Split(g.implicated, "/")[0]
		if g.severity == "high" && key != "high ALGY MedicationRequest" {
			t.Errorf("unexpected high finding upstream: %+v", g)
		}
		want[key]--
	}
	for k, n := range want {
		if n > 0 {
			t.Errorf("upstream lacks a %s DetectedIssue; got %+v", k, got)
		}
	}
	if n := len(upstreamSearch(t, up, "MedicationRequest", nil)); n != 3 {
		t.Errorf("upstream has %d MedicationRequests, want the 3 plans", n)
	}

	// An active plan with the patient's allergen (pat-1002: ondansetron) is
	// blocked; with an override it is stored, and the override travels to
	// the upstream as the DetectedIssue's mitigation.
	plan := []byte(`{"kind":"plan","id":"plan-2004","version":1,"patient_id":"pat-1002","prescriber_id":"prac-01","status":"active","authored_at":"2026-02-10T09:00:00+00:00","indications":["complex_regional_pain_syndrome"],"formulation":{"name":"Ondansetron premedication","ingredients":[{"substance":"ondansetron","amount":4,"unit":"mg"}],"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":50}},"rate":{"duration_minutes":15},"schedule":{"sessions":1,"every":1,"period":"week","start_date":"2026-02-16"}}`)
	if st, b := call(t, "PUT", base+"/clinic/v1/plans/plan-2004", "e2e", plan); st != http.StatusUnprocessableEntity || !strings.Contains(string(b), "allergy") {
		t.Fatalf("plan with the patient's allergen: %d %s, want 422 naming the allergy", st, b)
	}
	req, _ := http.NewRequest("PUT", base+"/clinic/v1/plans/plan-2004", strings.NewReader(string(plan)))
	req.Header.Set("Authorization", "Bearer e2e")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Ivbridge-Override-Reason", "urticaria was mild; premedicate with diphenhydramine")
	req.Header.Set("Ivbridge-Override-Practitioner", "prac-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("overridden plan: %d, want 201", resp.StatusCode)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		var mitigated bool
		for _, di := range upstreamSearch(t, up, "DetectedIssue", url.Values{"severity": {"high"}}) {
			mitigated = mitigated || strings.Contains(string(di), "premedicate with diphenhydramine")
		}
		if mitigated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the overridden finding did not reach the upstream with its mitigation")
		}
		time.Sleep(250 * time.Millisecond)
	}
	// An allergy the upstream holds (an EHR recorded it there) blocks an
	// active plan with that substance for a new patient.
	tr, err := translate.New(translate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ai := `{"resourceType":"AllergyIntolerance","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},` +
		`"code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6387","display":"lidocaine"}]},` +
		`"patient":{"reference":"Patient/` + tr.ID("Patient", "patient", "pat-1004") + `"}}`
	resp, err = http.Post(up+"/AllergyIntolerance", "application/fhir+json", strings.NewReader(ai))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating the upstream AllergyIntolerance: %d", resp.StatusCode)
	}
	pat := []byte(`{"kind":"patient","id":"pat-1004","version":1,"mrn":"MRN-0070001","given_names":["Ruth"],"family_name":"Adler","birth_date":"1955-07-07","sex":"female","weight_kg":60,"conditions":["neuropathic_pain"]}`)
	if st, b := call(t, "PUT", base+"/clinic/v1/patients/pat-1004", "e2e", pat); st != http.StatusCreated {
		t.Fatalf("PUT pat-1004: %d %s", st, b)
	}
	lido := []byte(`{"kind":"plan","id":"plan-2005","version":1,"patient_id":"pat-1004","prescriber_id":"prac-01","status":"active","authored_at":"2026-03-01T09:00:00+00:00","indications":["neuropathic_pain"],"formulation":{"name":"Lidocaine 1.5 mg/kg in NS 250 mL","ingredients":[{"substance":"lidocaine","amount":1.5,"unit":"mg","per_kg":true,"max_amount":100}],"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":250}},"dosing_weight_kg":60,"rate":{"duration_minutes":60},"schedule":{"sessions":4,"every":1,"period":"week","start_date":"2026-03-09"}}`)
	if st, b := call(t, "PUT", base+"/clinic/v1/plans/plan-2005", "e2e", lido); st != http.StatusUnprocessableEntity || !strings.Contains(string(b), "on the upstream") {
		t.Fatalf("plan with an allergen recorded upstream: %d %s, want 422 citing the upstream AllergyIntolerance", st, b)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func upstreamSearch(t *testing.T, base, typ string, q url.Values) []json.RawMessage {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	q.Set("_count", "1000")
	resp, err := http.Get(base + "/" + typ + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("search %s: %v", typ, err)
	}
	out := make([]json.RawMessage, len(b.Entry))
	for i, e := range b.Entry {
		out[i] = e.Resource
	}
	return out
}
