package safety

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Records is what the engine reads about a patient; the store satisfies it.
type Records interface {
	GetRecord(ctx context.Context, kind clinic.Kind, id string) (store.StoredRecord, error)
	ListRecords(ctx context.Context, q store.ListQuery) (store.RecordPage, error)
	SearchResources(ctx context.Context, q store.ResourceQuery) (store.ResourcePage, error)
}

// Decoder is implemented by Records that keep the records they decoded
// for the length of one request, so the engine and the request's own
// checks decode each stored record once. The records it returns are
// shared: callers must not modify them.
type Decoder interface {
	Decode(sr store.StoredRecord) (clinic.Record, error)
}

// SubstanceOf maps a FHIR coding (system, code) back to a clinic substance
// code, for AllergyIntolerances that came from the upstream.
type SubstanceOf func(system, code string) (string, bool)

// PatientResourceID gives the FHIR id of a clinic patient, so the engine can
// find the AllergyIntolerances filed under it.
type PatientResourceID func(clinicPatientID string) string

// UpstreamAllergies reads the AllergyIntolerances the upstream FHIR server
// holds for a patient (by the patient's FHIR id), as JSON resources.
type UpstreamAllergies func(ctx context.Context, patientFHIRID string) ([][]byte, error)

// Engine checks records against the rules with what the store knows about
// the patient and, when configured, what the upstream records as the
// patient's allergies.
type Engine struct {
	rules       *Rules
	recs        Records
	substanceOf SubstanceOf
	patientID   PatientResourceID
	upstream    UpstreamAllergies
}

// WithUpstreamAllergies returns a copy of the engine that also checks the
// AllergyIntolerances the upstream holds for the patient. An upstream that
// cannot be read does not stop a check: the check reports, as a low
// finding, that those allergies were not consulted.
func (e *Engine) WithUpstreamAllergies(f UpstreamAllergies) *Engine {
	c := *e
	c.upstream = f
	return &c
}

// NewEngine returns an engine. substanceOf and patientID may be nil, in
// which case AllergyIntolerances from the upstream are not consulted.
func NewEngine(rules *Rules, recs Records, substanceOf SubstanceOf, patientID PatientResourceID) *Engine {
	return &Engine{rules: rules, recs: recs, substanceOf: substanceOf, patientID: patientID}
}

// Rules returns the engine's rule set.
func (e *Engine) Rules() *Rules { return e.rules }

// Result is the outcome of checking one record.
type Result struct {
	Findings []Finding `json:"findings"`
	// Blocked is set when a high finding stops the record: an active plan
	// or an administration, with no override.
	Blocked bool `json:"blocked"`
}

// HighestSeverity returns the most severe finding's severity, or "".
func (r Result) HighestSeverity() Severity {
	if len(r.Findings) == 0 {
		return ""
	}
	return r.Findings[0].Severity // Evaluate sorts high first
}

// ErrBadOverride reports an override without a reason or practitioner, or
// naming a practitioner ivbridge doesn't have.
var ErrBadOverride = errors.New("safety: override needs a reason and a known practitioner")

// Check evaluates a plan or administration (other kinds have no checks) and
// decides whether it is blocked. An override, when given, must name a reason
// and a practitioner on file; it is recorded on every finding.
func (e *Engine) Check(ctx context.Context, rec clinic.Record, ov *Override) (Result, error) {
	switch rec.(type) {
	case *clinic.Plan, *clinic.Administration:
	default:
		return Result{}, nil
	}
	if ov != nil {
		if ov.Reason == "" || ov.PractitionerID == "" {
			return Result{}, fmt.Errorf("%w: reason and practitioner are both required", ErrBadOverride)
		}
		if _, err := e.recs.GetRecord(ctx, clinic.KindPractitioner, ov.PractitionerID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return Result{}, fmt.Errorf("%w: practitioner %q is unknown", ErrBadOverride, ov.PractitionerID)
			}
			return Result{}, fmt.Errorf("safety: override practitioner: %w", err)
		}
	}
	facts, err := e.Facts(ctx, rec)
	if err != nil {
		return Result{}, err
	}
	res := Result{Findings: append(Evaluate(e.rules, rec, facts), e.unconsulted(rec, facts)...)}
	if ov != nil {
		for i := range res.Findings {
			o := *ov
			res.Findings[i].Override = &o
		}
	}
	if ov == nil && blocks(rec) && res.HighestSeverity() == High {
		res.Blocked = true
	}
	return res, nil
}

// blocks reports whether high findings stop this record: active plans and
// every administration; drafts and plans on hold only get findings.
func blocks(rec clinic.Record) bool {
	switch r := rec.(type) {
	case *clinic.Plan:
		return r.Status == "active"
	case *clinic.Administration:
		return true
	}
	return false
}

// openPlanStatus are the plan statuses a re-check revisits.
var openPlanStatus = map[string]bool{"draft": true, "active": true, "on_hold": true}

// Recheck evaluates the patient's open plans again, for when something about
// the patient changed after they were accepted (a new allergy, reaction or
// condition). It never blocks: the plans are already accepted.
func (e *Engine) Recheck(ctx context.Context, patientID string) (map[string]Result, error) {
	// The facts of a plan depend only on its patient, so one read of the
	// patient's records serves every plan re-checked.
	facts, plans, err := e.patientFacts(ctx, patientID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Result)
	for _, p := range plans {
		if openPlanStatus[p.Status] {
			out[p.ID] = Result{Findings: append(Evaluate(e.rules, p, facts), e.unconsulted(p, facts)...)}
		}
	}
	return out, nil
}

// Facts gathers what the rules need about the record's patient.
func (e *Engine) Facts(ctx context.Context, rec clinic.Record) (Facts, error) {
	f, _, err := e.patientFacts(ctx, rec.PatientID())
	if err != nil {
		return f, err
	}
	if a, ok := rec.(*clinic.Administration); ok {
		r, err := e.record(ctx, clinic.KindPlan, a.PlanID)
		if err != nil {
			return f, err
		}
		if p, ok := r.(*clinic.Plan); ok {
			f.Plan = p
		}
	}
	return f, nil
}

// patientFacts gathers the facts that depend only on the patient (all but
// Facts.Plan) and returns every plan of the patient, sorted by id, with
// them.
func (e *Engine) patientFacts(ctx context.Context, pid string) (Facts, []*clinic.Plan, error) {
	var f Facts
	var err error
	if f.Patient, err = e.patient(ctx, pid); err != nil {
		return f, nil, err
	}
	plans, err := e.plansOf(ctx, pid)
	if err != nil {
		return f, nil, err
	}
	for _, p := range plans {
		if p.Status == "active" || p.Status == "on_hold" {
			f.OtherPlans = append(f.OtherPlans, p)
		}
	}
	f.Allergens, err = e.allergens(ctx, f.Patient, pid)
	var unavailable *unavailableError
	if errors.As(err, &unavailable) {
		f.Unconsulted = append(f.Unconsulted, unavailable.Error())
	} else if err != nil {
		return f, nil, err
	}
	return f, plans, nil
}

// unconsulted turns the sources a check could not read into low findings
// of the allergy rule, so the clinician sees the check was partial.
func (e *Engine) unconsulted(rec clinic.Record, f Facts) []Finding {
	rule, ok := e.rules.Rule("allergy")
	if !ok || rule.Disabled || len(f.Unconsulted) == 0 {
		return nil
	}
	out := make([]Finding, 0, len(f.Unconsulted))
	for _, why := range f.Unconsulted {
		out = append(out, Finding{
			Rule: rule.ID, Kind: rule.Kind, Severity: Low, Code: rule.Code, Source: rule.Source,
			Detail:      "allergy check incomplete: " + why,
			SubjectKind: rec.RecordKind(), SubjectID: rec.RecordID(),
		})
	}
	return out
}

func (e *Engine) record(ctx context.Context, kind clinic.Kind, id string) (clinic.Record, error) {
	if id == "" {
		return nil, nil
	}
	sr, err := e.recs.GetRecord(ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("safety: read %s %s: %w", kind, id, err)
	}
	rec, err := e.decode(sr)
	if err != nil {
		return nil, fmt.Errorf("safety: stored %s %s does not decode: %w", kind, id, err)
	}
	return rec, nil
}

// decode decodes a stored record, through the Records' Decoder when it
// has one.
func (e *Engine) decode(sr store.StoredRecord) (clinic.Record, error) {
	if d, ok := e.recs.(Decoder); ok {
		return d.Decode(sr)
	}
	return clinic.Decode(sr.Body)
}

func (e *Engine) patient(ctx context.Context, id string) (*clinic.Patient, error) {
	rec, err := e.record(ctx, clinic.KindPatient, id)
	if err != nil || rec == nil {
		return nil, err
	}
	p, _ := rec.(*clinic.Patient)
	return p, nil
}

// Reads are the store reads a Check of rec starts with: the patient, an
// administration's plan, the first page of the patient's plans and of
// their reactions, and the AllergyIntolerances held for the patient. A
// caller can make them in one ReadMany ahead of the check and have the
// engine's Records answer them from it.
func (e *Engine) Reads(rec clinic.Record) store.Reads {
	var r store.Reads
	switch rec := rec.(type) {
	case *clinic.Plan:
	case *clinic.Administration:
		if rec.PlanID != "" {
			r.Records = append(r.Records, store.RecordKey{Kind: clinic.KindPlan, ID: rec.PlanID})
		}
	default:
		return store.Reads{}
	}
	pid := rec.PatientID()
	if pid != "" {
		r.Records = append(r.Records, store.RecordKey{Kind: clinic.KindPatient, ID: pid})
	}
	r.Lists = []store.ListQuery{listQuery(clinic.KindPlan, pid), listQuery(clinic.KindReaction, pid)}
	if q, ok := e.allergyQuery(pid); ok {
		r.Searches = []store.ResourceQuery{q}
	}
	return r
}

// listQuery is the first page of a patient's records of a kind, as the
// engine reads them.
func listQuery(kind clinic.Kind, patientID string) store.ListQuery {
	return store.ListQuery{Kind: kind, PatientID: patientID, Limit: 200}
}

// allergyQuery is the first page of the AllergyIntolerances held for a
// patient; none without a patient or a way to read their codes.
func (e *Engine) allergyQuery(patientID string) (store.ResourceQuery, bool) {
	if e.substanceOf == nil || e.patientID == nil || patientID == "" {
		return store.ResourceQuery{}, false
	}
	return store.ResourceQuery{Type: "AllergyIntolerance", PatientID: e.patientID(patientID), Count: 1000}, true
}

func (e *Engine) each(ctx context.Context, kind clinic.Kind, patientID string, fn func(clinic.Record)) error {
	q := listQuery(kind, patientID)
	for {
		page, err := e.recs.ListRecords(ctx, q)
		if err != nil {
			return fmt.Errorf("safety: list %s of the patient: %w", kind, err)
		}
		for _, sr := range page.Records {
			rec, err := e.decode(sr)
			if err != nil {
				return fmt.Errorf("safety: stored %s %s does not decode: %w", kind, sr.ID, err)
			}
			fn(rec)
		}
		if page.Next == 0 {
			return nil
		}
		q.After = page.Next
	}
}

func (e *Engine) plansOf(ctx context.Context, patientID string) ([]*clinic.Plan, error) {
	var plans []*clinic.Plan
	err := e.each(ctx, clinic.KindPlan, patientID, func(r clinic.Record) {
		if p, ok := r.(*clinic.Plan); ok {
			plans = append(plans, p)
		}
	})
	sort.Slice(plans, func(i, j int) bool { return plans[i].ID < plans[j].ID })
	return plans, err
}

// allergens collects the patient's allergies from the patient record,
// reactions marked is_allergy and AllergyIntolerances held for the patient.
func (e *Engine) allergens(ctx context.Context, p *clinic.Patient, patientID string) (map[string]string, error) {
	out := map[string]string{}
	if p != nil {
		for _, a := range p.Allergies {
			out[a.Substance] = "allergy on the patient record"
		}
	}
	err := e.each(ctx, clinic.KindReaction, patientID, func(r clinic.Record) {
		rx, ok := r.(*clinic.Reaction)
		if !ok || rx.IsAllergy == nil || !*rx.IsAllergy {
			return
		}
		for _, s := range rx.SuspectedSubstances {
			if _, seen := out[s]; !seen {
				out[s] = "reaction " + rx.ID + " marked as allergy"
			}
		}
	})
	if err != nil {
		return nil, err
	}
	q, ok := e.allergyQuery(patientID)
	if !ok {
		return out, nil
	}
	// Page through every match: an allergy past the first page missed
	// would be a missed high finding.
	for {
		page, err := e.recs.SearchResources(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("safety: search AllergyIntolerance: %w", err)
		}
		for _, res := range page.Resources {
			if res.Deleted {
				continue
			}
			for _, s := range e.allergyCodes(res.Body) {
				if _, seen := out[s]; !seen {
					out[s] = "AllergyIntolerance " + res.ID
				}
			}
		}
		q.Offset += len(page.Resources)
		if len(page.Resources) == 0 || q.Offset >= page.Total {
			break
		}
	}
	if e.upstream == nil {
		return out, nil
	}
	bodies, err := e.upstream(ctx, e.patientID(patientID))
	if err != nil {
		return out, &unavailableError{err: err}
	}
	for _, body := range bodies {
		id := resourceID(body)
		for _, s := range e.allergyCodes(body) {
			if _, seen := out[s]; !seen {
				out[s] = "AllergyIntolerance " + id + " on the upstream"
			}
		}
	}
	return out, nil
}

// unavailableError: the upstream's allergies could not be read. The check
// goes on without them and says so.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string {
	return "the upstream's AllergyIntolerances could not be read: " + e.err.Error()
}
func (e *unavailableError) Unwrap() error { return e.err }

func resourceID(body []byte) string {
	var r struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &r)
	return r.ID
}

// allergyIntolerance is the part of an AllergyIntolerance the check reads.
type allergyIntolerance struct {
	VerificationStatus *codeable `json:"verificationStatus"`
	Code               *codeable `json:"code"`
}

type codeable struct {
	Coding []struct {
		System string `json:"system"`
		Code   string `json:"code"`
	} `json:"coding"`
}

func (c *codeable) has(system, code string) bool {
	if c == nil {
		return false
	}
	for _, cd := range c.Coding {
		if cd.System == system && cd.Code == code {
			return true
		}
	}
	return false
}

const allergyVerification = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"

func (e *Engine) allergyCodes(body []byte) []string {
	var ai allergyIntolerance
	if json.Unmarshal(body, &ai) != nil || ai.Code == nil {
		return nil
	}
	// A refuted or voided allergy is no allergy.
	if ai.VerificationStatus.has(allergyVerification, "refuted") || ai.VerificationStatus.has(allergyVerification, "entered-in-error") {
		return nil
	}
	var out []string
	for _, c := range ai.Code.Coding {
		if s, ok := e.substanceOf(c.System, c.Code); ok {
			out = append(out, s)
		}
	}
	return out
}
