package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/safety"
	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/terminology"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// Override headers: a clinician's documented decision to go ahead
// despite high safety findings.
const (
	HeaderOverrideReason       = "Ivbridge-Override-Reason"
	HeaderOverridePractitioner = "Ivbridge-Override-Practitioner"
)

// collections maps the URL segment of each kind to the kind.
var collections = []struct {
	path string
	kind clinic.Kind
}{
	{"patients", clinic.KindPatient},
	{"practitioners", clinic.KindPractitioner},
	{"plans", clinic.KindPlan},
	{"administrations", clinic.KindAdministration},
	{"reactions", clinic.KindReaction},
}

func collectionOf(kind clinic.Kind) string {
	for _, c := range collections {
		if c.kind == kind {
			return c.path
		}
	}
	return string(kind) + "s"
}

// Write results, as in the metrics and the answers.
const (
	resultCreated   = "created"
	resultUpdated   = "updated"
	resultUnchanged = "unchanged"
	resultStale     = "stale"
	resultConflict  = "conflict"
	resultInvalid   = "invalid"
	resultBlocked   = "blocked"
	resultError     = "error"
)

// PutResult is the answer to a clinic record write (the body of a 2xx PUT
// and one line of a batch answer).
type PutResult struct {
	// Line is the 1-based line of a batch; 0 for a single PUT.
	Line    int    `json:"line,omitempty"`
	Status  int    `json:"status"`
	Kind    string `json:"kind,omitempty"`
	ID      string `json:"id,omitempty"`
	Version int    `json:"version,omitempty"`
	// Result is created, updated, unchanged, stale, conflict, invalid,
	// blocked or error.
	Result string `json:"result"`
	// Resources are the FHIR resources ("Type/id") the record is served
	// as by the facade.
	Resources []string `json:"resources,omitempty"`
	// Findings are the safety findings (warnings when accepted).
	Findings []safety.Finding `json:"findings,omitempty"`
	// Outcome is the OperationOutcome of a refused record.
	Outcome json.RawMessage `json:"outcome,omitempty"`
}

// putOutcome is the result of the write pipeline before it is rendered.
type putOutcome struct {
	PutResult
	issues []conformance.Issue
	err    error // a server fault, for the log
}

func refused(status int, result string, issues ...conformance.Issue) putOutcome {
	return putOutcome{PutResult: PutResult{Status: status, Result: result}, issues: issues}
}

func issue(code, diagnostics, expression string) conformance.Issue {
	return conformance.Issue{Severity: "error", Code: code, Diagnostics: diagnostics, Expression: expression}
}

// validationIssues turns a clinic ValidationError into issues whose
// expression is the field path.
func validationIssues(ve *clinic.ValidationError) []conformance.Issue {
	out := make([]conformance.Issue, 0, len(ve.Errors))
	for _, fe := range ve.Errors {
		code := "invalid"
		if fe.Path == "" {
			code = "structure"
		}
		out = append(out, issue(code, fe.Error(), fe.Path))
	}
	return out
}

// translateIssues turns a mapping failure of a clinic record into issues
// naming the field and the code; ok is false for errors that are not the
// record's fault.
func translateIssues(err error) ([]conformance.Issue, bool) {
	var ue *translate.UnmappableError
	if errors.As(err, &ue) {
		out := make([]conformance.Issue, 0, len(ue.Problems))
		for _, p := range ue.Problems {
			out = append(out, issue("code-invalid", p.String(), p.Path))
		}
		return out, true
	}
	var te *terminology.UnmappedError
	if errors.As(err, &te) {
		return []conformance.Issue{issue("code-invalid", te.Error(), "")}, true
	}
	var ve *clinic.ValidationError
	if errors.As(err, &ve) {
		return validationIssues(ve), true
	}
	return nil, false
}

// put runs the whole write pipeline for one record body: decode and
// validate, match the URL, map to FHIR (terminology), check references,
// run the safety checks, validate the projection, store. urlKind and urlID
// are "" for batch lines.
func (s *Server) put(ctx context.Context, urlKind clinic.Kind, urlID string, body []byte, ov *safety.Override) putOutcome {
	rec, err := clinic.Decode(body)
	if err != nil {
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			o := refused(http.StatusUnprocessableEntity, resultInvalid, validationIssues(ve)...)
			o.Kind = string(urlKind)
			o.ID = urlID
			return o
		}
		return refused(http.StatusBadRequest, resultInvalid, issue("structure", "the body is not a clinic record: "+err.Error(), ""))
	}
	kind, id := rec.RecordKind(), rec.RecordID()
	withHeader := func(o putOutcome) putOutcome {
		o.Kind, o.ID, o.Version = string(kind), id, rec.RecordVersion()
		return o
	}
	if urlKind != "" && kind != urlKind {
		return withHeader(refused(http.StatusUnprocessableEntity, resultInvalid,
			issue("invalid", fmt.Sprintf("the body is a %s record, but the URL is for a %s record", kind, urlKind), "kind")))
	}
	if urlID != "" && id != urlID {
		return withHeader(refused(http.StatusUnprocessableEntity, resultInvalid,
			issue("invalid", fmt.Sprintf("the body's id %q is not the URL's id %q", id, urlID), "id")))
	}
	canonical, err := clinic.Encode(rec)
	if err != nil {
		o := withHeader(refused(http.StatusInternalServerError, resultError))
		o.err = fmt.Errorf("encode %s %s: %w", kind, id, err)
		return o
	}
	// What the checks below read goes to the store as one read: the
	// record itself, the records it names and what the safety engine
	// reads about the patient. Where reads are round trips to a server,
	// they go with the write's own first round trip and the checks run
	// inside the write (store.Write.Check); elsewhere they are read
	// first and the checks run here.
	recs := newRecordCache(s.cfg.Store)
	var engine *safety.Engine
	var reads store.Reads
	if s.cfg.Safety != nil {
		engine = s.cfg.Safety(recs)
		reads = engine.Reads(rec)
	}
	reads.Records = append(reads.Records, store.RecordKey{Kind: kind, ID: id})
	if refs, err := clinic.References(rec); err == nil {
		for _, r := range refs {
			reads.Records = append(reads.Records, store.RecordKey{Kind: r.Kind, ID: r.ID})
		}
	}
	inWrite := s.group != nil && s.group.st.ReadsInWrite()
	if !inWrite {
		recs.prefetch(ctx, reads)
		// An exact replay or an older version is answered before any
		// work. PutRecord stays the authority (races).
		if o, done := s.answerHeld(ctx, recs, rec, canonical); done {
			return withHeader(o)
		}
	}
	fhirRes, err := s.cfg.Translator.ToFHIR(rec)
	if err != nil {
		// A replay or an older version is answered as such, whatever
		// its mapping says now.
		if inWrite {
			if o, done := s.answerHeld(ctx, recs, rec, canonical); done {
				return withHeader(o)
			}
		}
		if is, ok := translateIssues(err); ok {
			return withHeader(refused(http.StatusUnprocessableEntity, resultInvalid, is...))
		}
		o := withHeader(refused(http.StatusInternalServerError, resultError))
		o.err = fmt.Errorf("translate %s %s: %w", kind, id, err)
		return o
	}
	proj, vissues, err := s.project(kind, id, fhirRes)
	if err != nil {
		o := withHeader(refused(http.StatusInternalServerError, resultError, vissues...))
		o.err = err
		return o
	}
	// check runs the rules that read other records: references, then
	// safety. It refuses with errRefused and the answer in refusal, or
	// returns the DetectedIssues of the findings to add to the
	// projection. Inside the write it may run more than once (a retried
	// transaction): each run starts afresh.
	var refusal putOutcome
	var findings []safety.Finding
	var added []store.Resource
	check := func() ([]store.Resource, error) {
		findings, added = nil, nil
		if o, bad := s.checkReferences(ctx, recs, rec); bad {
			refusal = withHeader(o)
			return nil, errRefused
		}
		if engine == nil {
			return nil, nil
		}
		res, err := engine.Check(ctx, rec, ov)
		if err != nil {
			if errors.Is(err, safety.ErrBadOverride) {
				refusal = withHeader(refused(http.StatusUnprocessableEntity, resultInvalid,
					issue("business-rule", err.Error(), HeaderOverridePractitioner)))
				return nil, errRefused
			}
			refusal = withHeader(refused(http.StatusInternalServerError, resultError))
			refusal.err = fmt.Errorf("safety check %s %s: %w", kind, id, err)
			return nil, errRefused
		}
		findings = res.Findings
		if res.Blocked {
			refusal = withHeader(refused(http.StatusUnprocessableEntity, resultBlocked, findingIssues(findings)...))
			refusal.Findings = findings
			return nil, errRefused
		}
		dis, vissues, err := s.detectedIssues(engine, rec, res)
		if err != nil {
			refusal = withHeader(refused(http.StatusInternalServerError, resultError, vissues...))
			refusal.err = err
			return nil, errRefused
		}
		added = dis
		return dis, nil
	}
	w := store.Write{
		Kind: kind, ID: id, Version: rec.RecordVersion(), PatientID: rec.PatientID(),
		Body: canonical, Origin: store.OriginClinic, Resources: proj, Enqueue: true,
	}
	if inWrite {
		w.Reads = reads
		w.Check = func(got store.ReadResults) (rs []store.Resource, err error) {
			// The check runs in the group's leader: a panic in it
			// refuses this write alone (500), not the whole group.
			defer func() {
				if v := recover(); v != nil {
					refusal = withHeader(refused(http.StatusInternalServerError, resultError))
					refusal.err = fmt.Errorf("check %s %s: panic: %v", kind, id, v)
					rs, err = nil, errRefused
				}
			}()
			recs.fill(reads, got)
			return check()
		}
	} else {
		if _, err := check(); err != nil {
			return refusal
		}
		w.Resources = slices.Concat(proj, added)
	}
	pr, err := s.putRecordVersion(ctx, w)
	switch {
	case errors.Is(err, errRefused):
		return refusal
	case errors.Is(err, store.ErrStale):
		held := 0 // unknown
		if se := (*store.StaleError)(nil); errors.As(err, &se) {
			held = se.Held
		}
		return withHeader(refuseStale(rec.RecordVersion(), held))
	case errors.Is(err, store.ErrConflict):
		return withHeader(refuseConflict(rec.RecordVersion()))
	case err != nil:
		o := withHeader(refused(http.StatusInternalServerError, resultError))
		o.err = fmt.Errorf("store %s %s: %w", kind, id, err)
		return o
	}
	if pr == store.Unchanged {
		// An exact replay found by the store: answered from what is
		// stored, as answerHeld answers it.
		o := withHeader(putOutcome{PutResult: PutResult{Status: http.StatusOK, Result: resultUnchanged}})
		o.Resources = s.storedResources(ctx, kind, id)
		return o
	}
	o := withHeader(putOutcome{})
	o.Findings = findings
	for _, r := range slices.Concat(proj, added) {
		o.Resources = append(o.Resources, r.Type+"/"+r.ID)
	}
	if pr == store.Created {
		o.Status, o.Result = http.StatusCreated, resultCreated
	} else {
		o.Status, o.Result = http.StatusOK, resultUpdated
	}
	if s.cfg.Sync != nil {
		s.cfg.Sync.Notify()
	}
	s.recheck(ctx, rec)
	return o
}

// errRefused is what a write's check returns through the store when it
// refuses the record; the answer is the check's.
var errRefused = errors.New("httpapi: refused by the record's checks")

// answerHeld answers a write from what is held of its record, when that
// decides it: an exact replay of the stored version is answered from
// what is stored (it was accepted once, so a safety rule or reference
// that changed since must not turn the same request into a refusal), an
// older version or the same version with other content is refused.
func (s *Server) answerHeld(ctx context.Context, recs *recordCache, rec clinic.Record, canonical []byte) (putOutcome, bool) {
	kind, id := rec.RecordKind(), rec.RecordID()
	held, err := recs.GetRecord(ctx, kind, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return putOutcome{}, false
	case err != nil:
		o := refused(http.StatusInternalServerError, resultError)
		o.err = fmt.Errorf("read %s %s: %w", kind, id, err)
		return o, true
	case held.Version == rec.RecordVersion() && bytes.Equal(held.Body, canonical):
		o := putOutcome{PutResult: PutResult{Status: http.StatusOK, Result: resultUnchanged}}
		o.Resources = s.storedResources(ctx, kind, id)
		return o, true
	case held.Version > rec.RecordVersion():
		return refuseStale(rec.RecordVersion(), held.Version), true
	case held.Version == rec.RecordVersion():
		return refuseConflict(rec.RecordVersion()), true
	}
	return putOutcome{}, false
}

// refuseStale answers a write of version older than the held one (0 when
// not known).
func refuseStale(version, held int) putOutcome {
	msg := fmt.Sprintf("version %d is older than the version held", version)
	if held > 0 {
		msg += fmt.Sprintf(" (%d)", held)
	}
	return refused(http.StatusConflict, resultStale, issue("conflict", msg, "version"))
}

// refuseConflict answers a write of the held version with other content.
func refuseConflict(version int) putOutcome {
	return refused(http.StatusConflict, resultConflict,
		issue("conflict", fmt.Sprintf("version %d is already held with other content", version), "version"))
}

// storedResources names the resources a record is served as, for the
// answer to a replay; none when they cannot be read (the answer is still
// right without them).
func (s *Server) storedResources(ctx context.Context, kind clinic.Kind, id string) []string {
	rs, err := s.cfg.Store.ResourcesOf(ctx, kind, id)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Type+"/"+r.ID)
	}
	return out
}

// putRecordVersion stores one accepted record version: through the group
// commit when the store offers one, else with its own transaction.
func (s *Server) putRecordVersion(ctx context.Context, w store.Write) (store.PutResult, error) {
	if s.group != nil {
		return s.group.put(ctx, w)
	}
	return s.cfg.Store.PutRecord(ctx, w)
}

// checkReferences applies the rules that need other records (every *_id
// names a held record; an administration's patient is its plan's …). A
// missing reference is the caller's fault: 422 naming the field.
func (s *Server) checkReferences(ctx context.Context, recs *recordCache, rec clinic.Record) (putOutcome, bool) {
	var fault error
	lookup := func(kind clinic.Kind, id string) (clinic.Record, bool) {
		if fault != nil {
			return nil, false
		}
		sr, err := recs.GetRecord(ctx, kind, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, false
		}
		if err != nil {
			fault = fmt.Errorf("read %s %s: %w", kind, id, err)
			return nil, false
		}
		r, err := recs.Decode(sr)
		if err != nil {
			fault = fmt.Errorf("stored %s %s does not decode: %w", kind, id, err)
			return nil, false
		}
		return r, true
	}
	err := clinic.CheckReferences(rec, lookup)
	if fault != nil {
		o := refused(http.StatusInternalServerError, resultError)
		o.err = fault
		return o, true
	}
	if err != nil {
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			is := validationIssues(ve)
			for i := range is {
				if strings.Contains(is[i].Diagnostics, ": no ") {
					is[i].Code = "not-found"
				} else {
					is[i].Code = "business-rule"
				}
			}
			return refused(http.StatusUnprocessableEntity, resultInvalid, is...), true
		}
		o := refused(http.StatusInternalServerError, resultError)
		o.err = fmt.Errorf("check references: %w", err)
		return o, true
	}
	return putOutcome{}, false
}

// findingIssues renders blocking safety findings as issues.
func findingIssues(fs []safety.Finding) []conformance.Issue {
	out := make([]conformance.Issue, 0, len(fs))
	for _, f := range fs {
		sev := "warning"
		if f.Severity == safety.High {
			sev = "error"
		}
		out = append(out, conformance.Issue{
			Severity:    sev,
			Code:        "business-rule",
			Diagnostics: fmt.Sprintf("%s (%s, %s): %s [source: %s]; to proceed, resend with headers %s and %s", f.Rule, f.Kind, f.Severity, f.Detail, f.Source, HeaderOverrideReason, HeaderOverridePractitioner),
		})
	}
	return out
}

// overrideOf reads the override headers; nil when neither is present.
func overrideOf(c *gin.Context) *safety.Override {
	reason := strings.TrimSpace(c.GetHeader(HeaderOverrideReason))
	prac := strings.TrimSpace(c.GetHeader(HeaderOverridePractitioner))
	if reason == "" && prac == "" {
		return nil
	}
	return &safety.Override{Reason: reason, PractitionerID: prac}
}

// isJSON reports whether the request's Content-Type is JSON.
func isJSON(c *gin.Context, fhirToo bool) bool {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil {
		return false
	}
	return mt == mediaJSON || (fhirToo && mt == mediaFHIRJSON)
}

// readBody reads the whole body within MaxBody; it answers 413 itself and
// reports false when the body is too large or unreadable.
func (s *Server) readBody(c *gin.Context) ([]byte, bool) {
	if c.Request.ContentLength > s.cfg.MaxBody {
		s.fail(c, http.StatusRequestEntityTooLarge, "too-costly", fmt.Sprintf("the body exceeds the limit of %d bytes", s.cfg.MaxBody), "")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(c, http.StatusRequestEntityTooLarge, "too-costly", fmt.Sprintf("the body exceeds the limit of %d bytes", s.cfg.MaxBody), "")
			return nil, false
		}
		s.fail(c, http.StatusBadRequest, "structure", "the body could not be read", "")
		return nil, false
	}
	return body, true
}

// putRecord handles PUT /clinic/v1/{collection}/{id}.
func (s *Server) putRecord(kind clinic.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxKind, string(kind))
		if !isJSON(c, false) {
			s.fail(c, http.StatusUnsupportedMediaType, "not-supported", "Content-Type must be application/json", "")
			return
		}
		body, ok := s.readBody(c)
		if !ok {
			return
		}
		o := s.put(c.Request.Context(), kind, c.Param("id"), body, overrideOf(c))
		s.metrics.ObserveRecord(string(kind), o.Result)
		c.Set(ctxResult, o.Result)
		if o.err != nil {
			_ = c.Error(o.err)
		}
		if o.Status >= 300 {
			if o.Status >= 500 && len(o.issues) == 0 {
				s.internal(c, o.err)
				return
			}
			s.failIssues(c, o.Status, o.issues)
			return
		}
		c.Header("ETag", etag(o.Version))
		if o.Status == http.StatusCreated {
			c.Header("Location", "/clinic/v1/"+collectionOf(kind)+"/"+o.ID)
		}
		c.JSON(o.Status, o.PutResult)
	}
}

// getRecord handles GET /clinic/v1/{collection}/{id}.
func (s *Server) getRecord(kind clinic.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxKind, string(kind))
		sr, err := s.cfg.Store.GetRecord(c.Request.Context(), kind, c.Param("id"))
		if errors.Is(err, store.ErrNotFound) {
			s.fail(c, http.StatusNotFound, "not-found", fmt.Sprintf("no %s with this id", kind), "")
			return
		}
		if err != nil {
			s.internal(c, fmt.Errorf("get %s: %w", kind, err))
			return
		}
		tag := etag(sr.Version)
		c.Header("ETag", tag)
		c.Header("Last-Modified", sr.UpdatedAt.UTC().Format(http.TimeFormat))
		if etagMatches(c.GetHeader("If-None-Match"), tag) {
			c.Status(http.StatusNotModified)
			return
		}
		c.Data(http.StatusOK, mediaJSON, sr.Body)
	}
}

// RecordList is the answer of GET /clinic/v1/{collection}.
type RecordList struct {
	Records []json.RawMessage `json:"records"`
	// Next is the cursor of the following page; absent on the last page.
	Next string `json:"next,omitempty"`
}

// listRecords handles GET /clinic/v1/{collection}?patient_id=&updated_since=&cursor=&limit=.
func (s *Server) listRecords(kind clinic.Kind) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxKind, string(kind))
		q := store.ListQuery{Kind: kind, Limit: 100}
		for name, vs := range c.Request.URL.Query() {
			if len(vs) != 1 {
				s.fail(c, http.StatusBadRequest, "invalid", "parameter "+name+" must be given once", name)
				return
			}
			v := vs[0]
			switch name {
			case "patient_id":
				if kind == clinic.KindPractitioner {
					s.fail(c, http.StatusBadRequest, "invalid", "practitioners have no patient_id", name)
					return
				}
				q.PatientID = v
			case "updated_since":
				t, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					s.fail(c, http.StatusBadRequest, "invalid", "updated_since must be an RFC 3339 time with offset", name)
					return
				}
				q.UpdatedSince = t
			case "cursor":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					s.fail(c, http.StatusBadRequest, "invalid", "cursor is not one this service issued", name)
					return
				}
				q.After = n
			case "limit":
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 1000 {
					s.fail(c, http.StatusBadRequest, "invalid", "limit must be 1-1000", name)
					return
				}
				q.Limit = n
			default:
				s.fail(c, http.StatusBadRequest, "not-supported", "unknown parameter "+name+" (known: patient_id, updated_since, cursor, limit)", name)
				return
			}
		}
		page, err := s.cfg.Store.ListRecords(c.Request.Context(), q)
		if err != nil {
			s.internal(c, fmt.Errorf("list %s: %w", kind, err))
			return
		}
		out := RecordList{Records: make([]json.RawMessage, 0, len(page.Records))}
		for _, r := range page.Records {
			out.Records = append(out.Records, json.RawMessage(r.Body))
		}
		if page.Next != 0 {
			out.Next = strconv.FormatInt(page.Next, 10)
		}
		c.JSON(http.StatusOK, out)
	}
}

// batch handles POST /clinic/v1/batch: NDJSON in, NDJSON out, one result
// per line in order; every record is written (or refused) on its own.
func (s *Server) batch(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != mediaNDJSON && mt != "application/ndjson" && mt != "application/jsonl") {
		s.fail(c, http.StatusUnsupportedMediaType, "not-supported", "Content-Type must be application/x-ndjson (one record per line)", "")
		return
	}
	ctx := c.Request.Context()
	rd := bufio.NewReaderSize(c.Request.Body, 64*1024)
	c.Header("Content-Type", mediaNDJSON)
	c.Status(http.StatusOK)
	enc := json.NewEncoder(c.Writer)
	lineNo, records := 0, 0
	ov := overrideOf(c)
	for {
		line, tooLong, err := readLine(rd, s.cfg.MaxBody)
		if len(line) == 0 && !tooLong && err != nil {
			if !errors.Is(err, io.EOF) {
				_ = c.Error(fmt.Errorf("batch read: %w", err))
			}
			break
		}
		lineNo++
		if len(bytes.TrimSpace(line)) == 0 && !tooLong {
			if err != nil {
				break
			}
			continue
		}
		records++
		var o putOutcome
		switch {
		case records > s.cfg.MaxBatchLines:
			o = refused(http.StatusRequestEntityTooLarge, resultInvalid,
				issue("too-costly", fmt.Sprintf("a batch holds at most %d records", s.cfg.MaxBatchLines), ""))
		case tooLong:
			o = refused(http.StatusRequestEntityTooLarge, resultInvalid,
				issue("too-costly", fmt.Sprintf("the line exceeds the limit of %d bytes", s.cfg.MaxBody), ""))
		default:
			o = s.put(ctx, "", "", line, ov)
		}
		o.Line = lineNo
		if o.Kind != "" {
			s.metrics.ObserveRecord(o.Kind, o.Result)
		}
		if o.err != nil {
			_ = c.Error(o.err)
		}
		if o.Status >= 300 {
			o.Outcome = outcome(o.issues)
			if len(o.issues) == 0 {
				o.Outcome = outcome([]conformance.Issue{issue("exception", "internal error; see the server log for request "+c.GetString(ctxRequestID), "")})
			}
		}
		if werr := enc.Encode(o.PutResult); werr != nil {
			_ = c.Error(fmt.Errorf("batch write: %w", werr))
			return
		}
		if err != nil {
			break
		}
	}
}

// readLine reads one line of at most max bytes (without the newline). A
// longer line is skipped to its end and reported as tooLong.
func readLine(rd *bufio.Reader, max int64) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := rd.ReadSlice('\n')
		if !tooLong {
			if int64(len(buf)+len(chunk)) > max+2 { // +2: CR LF; checked exactly below
				tooLong = true
				buf = nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
			if n := len(buf); n > 0 && buf[n-1] == '\r' {
				buf = buf[:n-1]
			}
		}
		if tooLong || int64(len(buf)) > max {
			return nil, true, err
		}
		return buf, false, err
	}
}

func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// etagMatches implements If-None-Match with weak comparison.
func etagMatches(header, tag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(tag, "W/")
	for _, part := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(part), "W/") == want {
			return true
		}
	}
	return false
}

// recordCache is a request-scoped read-through cache over the store
// (safety.Records): the reference check and the safety engine read the
// same patient and plan, once, and what they read is fetched ahead in
// one store read (prefetch), or read inside the write and handed over
// (fill). It lives for one write, so it never serves a stale record
// across requests.
type recordCache struct {
	st   store.Store
	recs map[store.RecordKey]store.StoredRecord
	// absent are records a prefetch found missing.
	absent   map[store.RecordKey]bool
	lists    map[store.ListQuery]store.RecordPage
	searches []prefetchedSearch
	// decoded are the records decoded so far, by key and version: the
	// reference check and the safety engine read the same plan and
	// patient.
	decoded map[decodedKey]clinic.Record
}

type decodedKey struct {
	store.RecordKey
	version int
}

type prefetchedSearch struct {
	q    store.ResourceQuery
	page store.ResourcePage
}

func newRecordCache(st store.Store) *recordCache {
	return &recordCache{st: st, recs: map[store.RecordKey]store.StoredRecord{}, absent: map[store.RecordKey]bool{}}
}

// prefetch makes the reads in one store read (ReadMany), so the checks
// that follow find their answers here. Best effort: after a failed read,
// each is made when asked for.
func (c *recordCache) prefetch(ctx context.Context, r store.Reads) {
	got, err := c.st.ReadMany(ctx, r)
	if err != nil {
		return
	}
	c.fill(r, got)
}

// fill keeps what the reads r read (got), in place of what an earlier
// fill kept.
func (c *recordCache) fill(r store.Reads, got store.ReadResults) {
	clear(c.recs)
	clear(c.absent)
	c.searches = nil
	for _, k := range r.Records {
		c.absent[k] = true
	}
	for _, rec := range got.Records {
		k := store.RecordKey{Kind: rec.Kind, ID: rec.ID}
		c.recs[k] = rec
		delete(c.absent, k)
	}
	c.lists = make(map[store.ListQuery]store.RecordPage, len(r.Lists))
	for i, q := range r.Lists {
		c.lists[q] = got.Lists[i]
	}
	for i, q := range r.Searches {
		c.searches = append(c.searches, prefetchedSearch{q, got.Searches[i]})
	}
}

// GetRecord implements safety.Records.
func (c *recordCache) GetRecord(ctx context.Context, kind clinic.Kind, id string) (store.StoredRecord, error) {
	k := store.RecordKey{Kind: kind, ID: id}
	if r, ok := c.recs[k]; ok {
		return r, nil
	}
	if c.absent[k] {
		return store.StoredRecord{}, fmt.Errorf("httpapi: record %s/%s: %w", kind, id, store.ErrNotFound)
	}
	r, err := c.st.GetRecord(ctx, kind, id)
	if err != nil {
		return r, err
	}
	c.recs[k] = r
	return r, nil
}

// Decode implements safety.Decoder: each stored version is decoded once
// per request.
func (c *recordCache) Decode(sr store.StoredRecord) (clinic.Record, error) {
	k := decodedKey{store.RecordKey{Kind: sr.Kind, ID: sr.ID}, sr.Version}
	if r, ok := c.decoded[k]; ok {
		return r, nil
	}
	r, err := clinic.Decode(sr.Body)
	if err != nil {
		return nil, err
	}
	if c.decoded == nil {
		c.decoded = make(map[decodedKey]clinic.Record, 4)
	}
	c.decoded[k] = r
	return r, nil
}

// ListRecords implements safety.Records.
func (c *recordCache) ListRecords(ctx context.Context, q store.ListQuery) (store.RecordPage, error) {
	if p, ok := c.lists[q]; ok {
		return p, nil
	}
	return c.st.ListRecords(ctx, q)
}

// SearchResources implements safety.Records.
func (c *recordCache) SearchResources(ctx context.Context, q store.ResourceQuery) (store.ResourcePage, error) {
	for _, s := range c.searches {
		if reflect.DeepEqual(s.q, q) {
			return s.page, nil
		}
	}
	return c.st.SearchResources(ctx, q)
}
