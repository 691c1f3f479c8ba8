package suite

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// searchAll runs a search and follows every next link; it returns the ids
// of the matches (Type/id) in order, and every page.
func (r *runner) searchAll(ctx context.Context, query string) ([]string, []searchPage, error) {
	return r.follow(ctx, http.MethodGet, query, nil)
}

func (r *runner) follow(ctx context.Context, method, ref string, form url.Values) ([]string, []searchPage, error) {
	var ids []string
	var pages []searchPage
	seenURL := map[string]bool{}
	for i := 0; ref != ""; i++ {
		if i >= r.maxPages {
			return ids, pages, fmt.Errorf("more than %d pages: the next links do not end", r.maxPages)
		}
		var ex *exchange
		var err error
		if method == http.MethodPost && i == 0 {
			ex, err = r.c.do(ctx, http.MethodPost, ref, []byte(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		} else {
			ex, err = r.c.do(ctx, http.MethodGet, ref, nil, nil)
		}
		if err != nil {
			return ids, pages, err
		}
		if ex.Status != http.StatusOK {
			return ids, pages, fmt.Errorf("%s: want 200, got %s", ex.Request, ex.describe())
		}
		page, err := parseSearchPage(ex.JSON)
		if err != nil {
			return ids, pages, fmt.Errorf("%s: %w", ex.Request, err)
		}
		r.noteFullURLs(ex.Request, page)
		pages = append(pages, page)
		for _, e := range page.matches() {
			ids = append(ids, e.key())
		}
		seenURL[ref] = true
		ref = page.Next
		if ref != "" && seenURL[ref] {
			return ids, pages, fmt.Errorf("%s: next link %s points to a page already read", ex.Request, ref)
		}
	}
	return ids, pages, nil
}

func (r *runner) searchByPatient(ctx context.Context) {
	pid := r.ids["Patient"]
	for _, t := range []string{"MedicationRequest", "MedicationAdministration", "Observation", "AdverseEvent"} {
		param := "patient"
		if t == "AdverseEvent" {
			// R4 AdverseEvent has no patient search parameter; subject it is.
			param = "subject"
		}
		name := "search/" + t + "?" + param
		value := pid
		if param == "subject" {
			value = "Patient/" + pid
		}
		q := t + "?" + param + "=" + url.QueryEscape(value)
		if pid == "" || r.ids[t] == "" {
			r.skip(name, "GET /"+q, "no Patient and "+t+" fixtures")
			continue
		}
		ids, pages, err := r.searchAll(ctx, q)
		if err != nil {
			r.fail(name, "GET /"+q, err.Error())
			continue
		}
		var problems []string
		if !slices.Contains(ids, t+"/"+r.ids[t]) {
			problems = append(problems, fmt.Sprintf("%s/%s of the patient is not in the result", t, r.ids[t]))
		}
		for _, p := range pages {
			for _, e := range p.matches() {
				if e.ResourceType != t {
					problems = append(problems, "a match is a "+e.ResourceType)
				} else if refID(obj(e.Resource, "subject"), "Patient") != pid {
					problems = append(problems, fmt.Sprintf("%s has subject %q", e.key(), str(obj(e.Resource, "subject"), "reference")))
				}
			}
		}
		r.verdict(name, "GET /"+q, firstN(problems, 3), fmt.Sprintf("%d matches, all of the patient", len(ids)))
	}
}

func firstN(list []string, n int) string {
	if len(list) > n {
		return strings.Join(list[:n], "; ") + fmt.Sprintf("; and %d more", len(list)-n)
	}
	return strings.Join(list, "; ")
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

func (r *runner) patientReferenceForms(ctx context.Context) {
	const name = "search/patient=ID-equals-patient=Patient/ID"
	pid, t := r.ids["Patient"], "MedicationAdministration"
	q1 := t + "?patient=" + url.QueryEscape(pid)
	q2 := t + "?patient=" + url.QueryEscape("Patient/"+pid)
	req := "GET /" + q1 + " vs GET /" + q2
	if pid == "" || r.ids[t] == "" {
		r.skip(name, req, "no Patient and MedicationAdministration fixtures")
		return
	}
	a, _, err := r.searchAll(ctx, q1)
	if err != nil {
		r.fail(name, req, err.Error())
		return
	}
	b, _, err := r.searchAll(ctx, q2)
	if err != nil {
		r.fail(name, req, err.Error())
		return
	}
	if !sameSet(a, b) {
		r.fail(name, req, fmt.Sprintf("%d matches vs %d matches: the results differ", len(a), len(b)))
		return
	}
	if len(a) == 0 {
		r.fail(name, req, "both searches are empty, but the patient has a MedicationAdministration")
		return
	}
	r.pass(name, req, fmt.Sprintf("same %d matches", len(a)))
}

func (r *runner) searchByIdentifier(ctx context.Context) {
	const name = "search/Patient?identifier=system|value"
	pid := r.ids["Patient"]
	if pid == "" || r.identValue == "" {
		r.skip(name, "GET /Patient?identifier=…", "no Patient fixture with an identifier system and value")
		return
	}
	q := "Patient?identifier=" + url.QueryEscape(r.identSystem+"|"+r.identValue)
	ids, _, err := r.searchAll(ctx, q)
	if err != nil {
		r.fail(name, "GET /"+q, err.Error())
		return
	}
	switch {
	case !slices.Contains(ids, "Patient/"+pid):
		r.fail(name, "GET /"+q, fmt.Sprintf("Patient/%s is not in the %d matches", pid, len(ids)))
	case r.writable && len(ids) != 1:
		r.fail(name, "GET /"+q, fmt.Sprintf("%d matches for an identifier only one Patient has", len(ids)))
	default:
		r.pass(name, "GET /"+q, fmt.Sprintf("%d match(es), including Patient/%s", len(ids), pid))
	}

	// The system must take part: the same value under another system
	// must not match.
	const other = "search/identifier-system-respected"
	q2 := "Patient?identifier=" + url.QueryEscape("urn:ivbridge:conformance-suite:other|"+r.identValue)
	ids2, _, err := r.searchAll(ctx, q2)
	switch {
	case err != nil:
		r.fail(other, "GET /"+q2, err.Error())
	case slices.Contains(ids2, "Patient/"+pid):
		r.fail(other, "GET /"+q2, "matched the Patient although the identifier system differs")
	default:
		r.pass(other, "GET /"+q2, "no match under another system")
	}
}

func (r *runner) postSearch(ctx context.Context) {
	const name = "search/GET-equals-POST-_search"
	pid, t := r.ids["Patient"], "MedicationAdministration"
	q := t + "?patient=" + url.QueryEscape(pid)
	req := "GET /" + q + " vs POST /" + t + "/_search"
	if pid == "" || r.ids[t] == "" {
		r.skip(name, req, "no Patient and MedicationAdministration fixtures")
		return
	}
	a, _, err := r.searchAll(ctx, q)
	if err != nil {
		r.fail(name, req, "GET: "+err.Error())
		return
	}
	b, _, err := r.follow(ctx, http.MethodPost, t+"/_search", url.Values{"patient": {pid}})
	if err != nil {
		r.fail(name, req, "POST: "+err.Error())
		return
	}
	if !sameSet(a, b) {
		r.fail(name, req, fmt.Sprintf("GET found %d, POST _search found %d: the results differ", len(a), len(b)))
		return
	}
	r.pass(name, req, fmt.Sprintf("same %d matches", len(a)))
}

// dateComparators searches the patient's resources (Observations by date,
// or on a read-only server without one, MedicationAdministrations by
// effective-time) with each R4 date prefix around a known clinical day.
func (r *runner) dateComparators(ctx context.Context) {
	pid, rt, param := r.ids["Patient"], r.dateType, r.dateParam
	day := ""
	if rt != "" {
		day = r.dateDays[r.ids[rt]]
	}
	type probe struct {
		op  string
		day string
	}
	var probes map[string][]probe
	if d, err := time.Parse(time.DateOnly, day); err == nil {
		before, after := d.AddDate(0, 0, -1).Format(time.DateOnly), d.AddDate(0, 0, 1).Format(time.DateOnly)
		probes = map[string][]probe{
			"eq": {{"eq", day}, {"eq", before}},
			"ne": {{"ne", day}, {"ne", before}},
			"gt": {{"gt", before}, {"gt", day}},
			"lt": {{"lt", after}, {"lt", day}},
			"ge": {{"ge", day}, {"ge", after}},
			"le": {{"le", day}, {"le", before}},
		}
	}
	for _, op := range []string{"eq", "ne", "gt", "lt", "ge", "le"} {
		name := "search/date=" + op
		if pid == "" || probes == nil {
			r.skip(name, "GET /Observation?patient={id}&date="+op+"…", "no Observation or MedicationAdministration fixture with an effectiveDateTime")
			continue
		}
		var problems []string
		firstReq := ""
		for _, p := range probes[op] {
			q := rt + "?patient=" + url.QueryEscape(pid) + "&" + param + "=" + p.op + p.day
			if firstReq == "" {
				firstReq = "GET /" + q
			}
			ids, _, err := r.searchAll(ctx, q)
			if err != nil {
				problems = append(problems, err.Error())
				continue
			}
			for id, k := range r.dateDays {
				want := compareDay(p.op, k, p.day)
				got := slices.Contains(ids, rt+"/"+id)
				if want != got {
					verb := "missing"
					if got {
						verb = "wrongly included"
					}
					problems = append(problems, fmt.Sprintf("%s=%s%s: %s/%s (on %s) %s", param, p.op, p.day, rt, id, k, verb))
				}
			}
		}
		r.verdict(name, firstReq, firstN(problems, 2), fmt.Sprintf("%s %s: %d probes around %s", rt, param, len(probes[op]), day))
	}
}

// compareDay says whether an event on day k (whole-day precision) matches
// date=<op><v> with v a day, per R4 search 3.1.1.4.2 (ranges).
func compareDay(op, k, v string) bool {
	switch op {
	case "eq":
		return k == v
	case "ne":
		return k != v
	case "gt":
		return k > v
	case "lt":
		return k < v
	case "ge":
		return k >= v
	case "le":
		return k <= v
	}
	return false
}

// paging searches the patient's resources two per page and follows every
// next link. A writable server gets five more Observations first; on a
// read-only server the first of Observation, MedicationAdministration and
// MedicationRequest with more than one page is used.
func (r *runner) paging(ctx context.Context) {
	const name = "search/_count-next-links"
	const pageSize = 2
	pid := r.ids["Patient"]
	query := func(rt string) string {
		return rt + "?patient=" + url.QueryEscape(pid) + fmt.Sprintf("&_count=%d", pageSize)
	}
	if pid == "" {
		r.skip(name, "GET /Observation?patient={id}&_count=2", "no Patient fixture")
		return
	}
	if r.writable {
		if r.ids["Observation"] == "" {
			r.skip(name, "GET /"+query("Observation"), "no Observation fixture (its create failed)")
			return
		}
		for i := range 5 {
			d := fmt.Sprintf("2024-03-%02dT10:30:00Z", 10+i)
			ex, err := r.c.do(ctx, http.MethodPost, "Observation", r.build.observation(pid, d, 60+i), nil)
			if err != nil || ex.Status != http.StatusCreated || str(ex.JSON, "id") == "" {
				why := "creating paging data failed"
				if err != nil {
					why += ": " + err.Error()
				} else {
					why += ": " + ex.describe()
				}
				r.fail(name, "POST /Observation", why)
				return
			}
			r.noteLocation(ex, "Observation", str(ex.JSON, "id"))
			r.noteVersionHeaders(ex)
			r.observationDays[str(ex.JSON, "id")] = d[:10]
		}
		q := query("Observation")
		ids, pages, err := r.searchAll(ctx, q)
		if err != nil {
			r.fail(name, "GET /"+q, err.Error())
			return
		}
		var known []string
		for id := range r.observationDays {
			known = append(known, "Observation/"+id)
		}
		r.verdict(name, "GET /"+q, pagingProblems(ids, pages, pageSize, known), fmt.Sprintf("%d matches over %d pages, every next link followed", len(ids), len(pages)))
		return
	}
	counts := []string{}
	for _, rt := range []string{"Observation", "MedicationAdministration", "MedicationRequest"} {
		q := query(rt)
		ids, pages, err := r.searchAll(ctx, q)
		if err != nil {
			r.fail(name, "GET /"+q, err.Error())
			return
		}
		if len(ids) <= pageSize {
			counts = append(counts, fmt.Sprintf("%d %s", len(ids), rt))
			continue
		}
		r.verdict(name, "GET /"+q, pagingProblems(ids, pages, pageSize, nil), fmt.Sprintf("%d matches over %d pages, every next link followed", len(ids), len(pages)))
		return
	}
	r.skip(name, "GET /"+query("Observation"), fmt.Sprintf("the patient has %s: too few to page with _count=%d", strings.Join(counts, ", "), pageSize))
}

// pagingProblems judges the pages of one search: page sizes, duplicates,
// Bundle.total, the presence of next links, and (when known is given) that
// exactly the known resources were returned.
func pagingProblems(ids []string, pages []searchPage, pageSize int, known []string) string {
	var problems []string
	for i, p := range pages {
		if n := len(p.matches()); n > pageSize {
			problems = append(problems, fmt.Sprintf("page %d has %d matches, more than _count=%d", i+1, n, pageSize))
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			problems = append(problems, id+" is on two pages")
		}
		seen[id] = true
	}
	if known != nil {
		for _, k := range known {
			if !seen[k] {
				problems = append(problems, k+" is on no page")
			}
		}
		if len(seen) != len(known) {
			problems = append(problems, fmt.Sprintf("%d distinct matches over all pages, want %d", len(seen), len(known)))
		}
	}
	if len(pages) > 0 {
		if total := pages[0].Total; total >= 0 && total != len(seen) {
			problems = append(problems, fmt.Sprintf("Bundle.total is %d, the pages hold %d", total, len(seen)))
		}
	}
	if len(pages) < 2 && len(seen) > pageSize {
		problems = append(problems, "no next link although there are more matches than _count")
	}
	return firstN(problems, 3)
}

func (r *runner) include(ctx context.Context) {
	const name = "search/_include=MedicationAdministration:request"
	ma := r.ids["MedicationAdministration"]
	q := "MedicationAdministration?_id=" + url.QueryEscape(ma) + "&_include=MedicationAdministration:request"
	if ma == "" {
		r.skip(name, "GET /MedicationAdministration?_id={id}&_include=MedicationAdministration:request", "no MedicationAdministration fixture")
		return
	}
	mr := r.ids["MedicationRequest"]
	if body := r.bodies["MedicationAdministration"]; body != nil {
		mr = refID(obj(body, "request"), "MedicationRequest")
	}
	if mr == "" {
		r.skip(name, "GET /"+q, "the MedicationAdministration fixture has no request reference")
		return
	}
	ex, err := r.c.do(ctx, http.MethodGet, q, nil, nil)
	if err != nil {
		r.fail(name, "GET /"+q, err.Error())
		return
	}
	if ex.Status != http.StatusOK {
		r.fail(name, ex.Request, "want 200, got "+ex.describe())
		return
	}
	page, err := parseSearchPage(ex.JSON)
	if err != nil {
		r.fail(name, ex.Request, err.Error())
		return
	}
	r.noteFullURLs(ex.Request, page)
	var matched, included bool
	for _, e := range page.Entries {
		switch {
		case e.ResourceType == "MedicationAdministration" && e.ID == ma:
			matched = true
		case e.ResourceType == "MedicationRequest" && e.ID == mr:
			if e.Mode != "include" {
				r.fail(name, ex.Request, fmt.Sprintf("MedicationRequest/%s is included with search.mode %q, want include", mr, e.Mode))
				return
			}
			included = true
		}
	}
	switch {
	case !matched:
		r.fail(name, ex.Request, "MedicationAdministration/"+ma+" is not in the result")
	case !included:
		r.fail(name, ex.Request, "MedicationRequest/"+mr+" (MedicationAdministration.request) is not included")
	default:
		r.pass(name, ex.Request, "MedicationRequest/"+mr+" included (search.mode include)")
	}
}
