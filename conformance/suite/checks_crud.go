package suite

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

func (r *runner) reads(ctx context.Context) {
	for _, t := range fixtureTypes {
		name := "read/" + t
		id := r.ids[t]
		if id == "" {
			r.skip(name, "GET /"+t+"/{id}", "no "+t+" fixture")
			continue
		}
		ex, err := r.c.do(ctx, http.MethodGet, t+"/"+url.PathEscape(id), nil, nil)
		if err != nil {
			r.fail(name, "GET /"+t+"/"+id, err.Error())
			continue
		}
		switch {
		case ex.Status != http.StatusOK:
			r.fail(name, ex.Request, "want 200, got "+ex.describe())
		case ex.resourceType() != t || str(ex.JSON, "id") != id:
			r.fail(name, ex.Request, fmt.Sprintf("body is %s/%s, want %s/%s", ex.resourceType(), str(ex.JSON, "id"), t, id))
		default:
			r.noteVersionHeaders(ex)
			r.bodies[t] = ex.JSON
			r.pass(name, ex.Request, "200")
		}
	}
	if p := r.bodies["Patient"]; p != nil && r.identValue == "" {
		for _, it := range arr(p, "identifier") {
			im := asMap(it)
			if str(im, "system") != "" && str(im, "value") != "" {
				r.identSystem, r.identValue = str(im, "system"), str(im, "value")
				break
			}
		}
	}
	if r.dateType == "" {
		// A read-only server: search around a known resource's clinical
		// dateTime, an Observation's or else a MedicationAdministration's.
		for _, c := range []struct{ rt, param string }{{"Observation", "date"}, {"MedicationAdministration", "effective-time"}} {
			if eff := str(r.bodies[c.rt], "effectiveDateTime"); len(eff) >= 10 {
				r.dateType, r.dateParam, r.dateDays = c.rt, c.param, map[string]string{r.ids[c.rt]: eff[:10]}
				break
			}
		}
	}
}

func (r *runner) vread(ctx context.Context) {
	const name = "vread/Patient"
	id := r.ids["Patient"]
	if id == "" {
		r.skip(name, "GET /Patient/{id}/_history/{vid}", "no Patient fixture")
		return
	}
	if r.capsOK && !r.caps.can("Patient", "vread") {
		r.skip(name, "GET /Patient/"+id+"/_history/{vid}", "CapabilityStatement does not declare vread for Patient")
		return
	}
	vid := r.firstPatientVersion
	if vid == "" {
		vid = str(obj(r.bodies["Patient"], "meta"), "versionId")
	}
	if vid == "" {
		r.fail(name, "GET /Patient/"+id, "the Patient has no meta.versionId to vread")
		return
	}
	ex, err := r.c.do(ctx, http.MethodGet, "Patient/"+url.PathEscape(id)+"/_history/"+url.PathEscape(vid), nil, nil)
	if err != nil {
		r.fail(name, "GET /Patient/"+id+"/_history/"+vid, err.Error())
		return
	}
	switch {
	case ex.Status != http.StatusOK:
		r.fail(name, ex.Request, "want 200, got "+ex.describe())
	case ex.resourceType() != "Patient" || str(ex.JSON, "id") != id:
		r.fail(name, ex.Request, "body is not the Patient")
	case str(obj(ex.JSON, "meta"), "versionId") != vid:
		r.fail(name, ex.Request, fmt.Sprintf("meta.versionId is %q, want %q", str(obj(ex.JSON, "meta"), "versionId"), vid))
	default:
		r.noteVersionHeaders(ex)
		why := "200, version " + vid
		if r.firstPatientVersion != "" {
			why += " (the version before the update)"
		}
		r.pass(name, ex.Request, why)
	}
}

func (r *runner) conditionalCreate(ctx context.Context) {
	const name = "conditional-create"
	req := "POST /Patient (If-None-Exist)"
	switch {
	case !r.writable:
		r.skip(name, req, readOnlyWhy)
		return
	case r.ids["Patient"] == "" || r.identValue == "":
		r.skip(name, req, "no Patient fixture")
		return
	}
	body := r.bodies["Patient"]
	if body == nil {
		r.skip(name, req, "the Patient fixture could not be read")
		return
	}
	// The same content again, without id/meta, conditioned on its
	// identifier: the server must not create a second Patient.
	again := map[string]any{}
	for k, v := range body {
		if k != "id" && k != "meta" {
			again[k] = v
		}
	}
	cond := "identifier=" + url.QueryEscape(r.identSystem+"|"+r.identValue)
	ex, err := r.c.do(ctx, http.MethodPost, "Patient", mustJSON(again), map[string]string{"If-None-Exist": cond})
	if err != nil {
		r.fail(name, req, err.Error())
		return
	}
	ex.Request += " If-None-Exist: " + cond
	if ex.Status != http.StatusOK {
		r.fail(name, ex.Request, "a match exists: want 200 OK (no create), got "+ex.describe())
		return
	}
	if id := str(ex.JSON, "id"); ex.JSON != nil && id != "" && id != r.ids["Patient"] {
		r.fail(name, ex.Request, fmt.Sprintf("answered Patient/%s, want the existing Patient/%s", id, r.ids["Patient"]))
		return
	}
	ids, _, err := r.searchAll(ctx, "Patient?"+cond)
	if err != nil {
		r.fail(name, ex.Request, "counting matches afterwards: "+err.Error())
		return
	}
	if len(ids) != 1 {
		r.fail(name, ex.Request, fmt.Sprintf("%d Patients have the identifier afterwards, want 1", len(ids)))
		return
	}
	r.pass(name, ex.Request, "200, existing Patient returned, none created")
}

func (r *runner) update(ctx context.Context) {
	const ok, stale = "update/If-Match", "update/stale-If-Match"
	id := r.ids["Patient"]
	req := "PUT /Patient/{id}"
	switch {
	case !r.writable:
		r.skip(ok, req, readOnlyWhy)
		r.skip(stale, req, readOnlyWhy)
		return
	case !r.caps.can("Patient", "update"):
		r.skip(ok, req, "CapabilityStatement does not declare update for Patient")
		r.skip(stale, req, "CapabilityStatement does not declare update for Patient")
		return
	case id == "" || r.bodies["Patient"] == nil:
		r.skip(ok, req, "no Patient fixture")
		r.skip(stale, req, "no Patient fixture")
		return
	}
	cur := r.bodies["Patient"]
	oldVid := str(obj(cur, "meta"), "versionId")
	if oldVid == "" {
		r.fail(ok, "GET /Patient/"+id, "the Patient has no meta.versionId to send in If-Match")
		r.skip(stale, req, "no version to send")
		return
	}
	changed := map[string]any{}
	for k, v := range cur {
		if k != "meta" {
			changed[k] = v
		}
	}
	changed["gender"] = "other"
	etag := `W/"` + oldVid + `"`
	ex, err := r.c.do(ctx, http.MethodPut, "Patient/"+url.PathEscape(id), mustJSON(changed), map[string]string{"If-Match": etag})
	if err != nil {
		r.fail(ok, "PUT /Patient/"+id, err.Error())
		r.skip(stale, req, "the update failed")
		return
	}
	ex.Request += " If-Match: " + etag
	newVid := str(obj(ex.JSON, "meta"), "versionId")
	if hv, hok := parseETag(ex.Header.Get("ETag")); newVid == "" && hok {
		newVid = hv
	}
	switch {
	case ex.Status != http.StatusOK:
		r.fail(ok, ex.Request, "want 200, got "+ex.describe())
		r.skip(stale, req, "the update failed")
		return
	case newVid == "" || newVid == oldVid:
		r.fail(ok, ex.Request, fmt.Sprintf("the update did not make a new version (versionId %q → %q)", oldVid, newVid))
	default:
		if ex.JSON != nil {
			r.noteVersionHeaders(ex)
		}
		r.pass(ok, ex.Request, fmt.Sprintf("200, version %s → %s", oldVid, newVid))
	}
	r.firstPatientVersion = oldVid

	changed["gender"] = "female"
	sx, err := r.c.do(ctx, http.MethodPut, "Patient/"+url.PathEscape(id), mustJSON(changed), map[string]string{"If-Match": etag})
	if err != nil {
		r.fail(stale, "PUT /Patient/"+id, err.Error())
		return
	}
	sx.Request += " If-Match: " + etag + " (stale)"
	if sx.Status != http.StatusPreconditionFailed {
		r.fail(stale, sx.Request, "want 412 Precondition Failed, got "+sx.describe())
		return
	}
	r.pass(stale, sx.Request, "412")
}

func (r *runner) errorChecks(ctx context.Context) {
	expectOutcome := func(name, method, ref string, body []byte, ok func(int) bool, want string) {
		ex, err := r.c.do(ctx, method, ref, body, nil)
		if err != nil {
			r.fail(name, method+" /"+ref, err.Error())
			return
		}
		switch {
		case !ok(ex.Status):
			r.fail(name, ex.Request, "want "+want+", got "+ex.describe())
		case ex.resourceType() != "OperationOutcome":
			r.fail(name, ex.Request, fmt.Sprintf("status %d but the body is not an OperationOutcome", ex.Status))
		default:
			r.pass(name, ex.Request, fmt.Sprintf("%d with an OperationOutcome", ex.Status))
		}
	}
	missing := "Patient/ivbridge-conformance-no-such-" + r.build.runID
	expectOutcome("error/read-unknown-id", http.MethodGet, missing, nil,
		func(s int) bool { return s == http.StatusNotFound || s == http.StatusGone }, "404 Not Found")
	expectOutcome("error/unknown-resource-type", http.MethodGet, "NoSuchResourceType/1", nil,
		func(s int) bool { return s == http.StatusNotFound || s == http.StatusBadRequest }, "404 (or 400): unknown resource type")
	if !r.writable {
		r.skip("error/create-invalid", "POST /Patient", readOnlyWhy)
		return
	}
	invalid := []byte(`{"resourceType":"Patient","birthDate":"1970-13-45","gender":"not-a-gender"}`)
	expectOutcome("error/create-invalid", http.MethodPost, "Patient", invalid,
		func(s int) bool { return s == http.StatusBadRequest || s == http.StatusUnprocessableEntity }, "400 or 422 for an invalid resource")
}
