package clinic

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// The enums of schema.json. They are the model's closed code lists; the
// terminology package maps each of them to standard codes.
var (
	substanceCodes = []string{"lidocaine", "ketamine", "cyanocobalamin", "hydroxocobalamin", "magnesium_sulfate",
		"ascorbic_acid", "pyridoxine", "dexpanthenol", "calcium_gluconate", "zinc_sulfate", "glutathione", "ondansetron",
		"diphenhydramine", "midazolam", "sodium_chloride_0_9", "lactated_ringers", "dextrose_5"}
	conditionCodes = []string{"fibromyalgia", "chronic_pain", "neuropathic_pain", "diabetic_neuropathy",
		"complex_regional_pain_syndrome", "chronic_low_back_pain", "cancer_pain", "osteoarthritis", "rheumatoid_arthritis",
		"migraine", "heart_failure", "chronic_kidney_disease"}
	siteCodes = []string{"left_antecubital", "right_antecubital", "left_hand_dorsum", "right_hand_dorsum",
		"left_forearm", "right_forearm"}
	unitCodes     = []string{"mg", "g", "mcg", "mEq", "mL", "unit"}
	categoryCodes = []string{"injection_site_reaction", "infection", "allergic_reaction", "electrolyte_imbalance",
		"fluid_overload", "adverse_drug_reaction", "drug_interaction", "vein_irritation", "blood_clot", "tissue_damage"}
	manifestationCodes = []string{"pain_at_site", "redness_at_site", "swelling_at_site", "phlebitis",
		"thrombophlebitis", "extravasation", "site_infection", "rash", "urticaria", "pruritus", "angioedema",
		"anaphylaxis", "bronchospasm", "hypokalemia", "hyponatremia", "hypomagnesemia", "hypocalcemia", "muscle_cramps",
		"arrhythmia", "confusion", "peripheral_edema", "dyspnea", "hypertension", "hypotension", "drowsiness",
		"dizziness", "nausea", "vomiting", "headache", "dissociation", "hallucinations", "perioral_numbness", "tinnitus",
		"metallic_taste", "deep_vein_thrombosis"}
	severityCodes          = []string{"mild", "moderate", "severe"}
	sexCodes               = []string{"female", "male", "other", "unknown"}
	roleCodes              = []string{"physician", "nurse_practitioner", "registered_nurse", "pharmacist"}
	planStatusCodes        = []string{"draft", "active", "on_hold", "completed", "cancelled", "entered_in_error"}
	periodCodes            = []string{"day", "week", "month"}
	administrationStatuses = []string{"in_progress", "completed", "stopped", "not_done"}
	statusReasonCodes      = []string{"adverse_reaction", "patient_request", "iv_access_failed", "patient_unwell", "supply_issue", "other"}
	actionTakenCodes       = []string{"none", "infusion_slowed", "infusion_stopped", "treated"}
	reactionOutcomeCodes   = []string{"resolved", "resolving", "not_resolved", "resolved_with_sequelae", "fatal", "unknown"}
)

// CodeList returns a copy of the allowed values of one enum of the clinic
// model, by the name schema.json gives it in $defs ("substance",
// "condition", "site", "unit", "category", "manifestation", "severity") or
// by field ("sex", "role", "plan.status", "schedule.period",
// "administration.status", "status_reason", "action_taken", "outcome").
// It returns nil for an unknown name.
func CodeList(name string) []string {
	var l []string
	switch name {
	case "substance":
		l = substanceCodes
	case "condition":
		l = conditionCodes
	case "site":
		l = siteCodes
	case "unit":
		l = unitCodes
	case "category":
		l = categoryCodes
	case "manifestation":
		l = manifestationCodes
	case "severity":
		l = severityCodes
	case "sex":
		l = sexCodes
	case "role":
		l = roleCodes
	case "plan.status":
		l = planStatusCodes
	case "schedule.period":
		l = periodCodes
	case "administration.status":
		l = administrationStatuses
	case "status_reason":
		l = statusReasonCodes
	case "action_taken":
		l = actionTakenCodes
	case "outcome":
		l = reactionOutcomeCodes
	}
	return slices.Clone(l)
}

// Validate checks a record built in code (for example translated from FHIR)
// against the same value rules Decode applies: ids, versions, enums,
// positive numbers, literals, times with offsets, valid dates, required
// fields per status and the cross-field rules. It cannot see field presence
// the way Decode can, so an unset optional field is its zero value and a
// required bool (Reaction.Serious) is always present. The error is a
// *ValidationError.
func Validate(r Record) error {
	var l errorList
	validateRecord(&l, r)
	return l.err()
}

func validateRecord(l *errorList, r Record) {
	v := validator{l}
	switch r := r.(type) {
	case *Patient:
		if r != nil {
			v.patient(r)
			return
		}
	case *Practitioner:
		if r != nil {
			v.practitioner(r)
			return
		}
	case *Plan:
		if r != nil {
			v.plan(r)
			return
		}
	case *Administration:
		if r != nil {
			v.administration(r)
			return
		}
	case *Reaction:
		if r != nil {
			v.reaction(r)
			return
		}
	}
	l.add(nil, fmt.Sprintf("not a clinic record: %T", r))
}

type validator struct{ *errorList }

func (v validator) header(h Header, kind Kind) {
	if h.Kind != kind {
		p := fieldPath{key: "kind"}
		v.add(&p, fmt.Sprintf("must be %q", kind))
	}
	p := fieldPath{key: "id"}
	v.id(&p, h.ID, true)
	if h.Version < 1 {
		p := fieldPath{key: "version"}
		v.add(&p, "must be an integer ≥ 1, got "+strconv.Itoa(h.Version))
	}
}

// top returns the path of a top-level field.
func top(key string) fieldPath { return fieldPath{key: key} }

// id checks the id pattern ^[A-Za-z0-9._-]{1,64}$.
func (v validator) id(p *fieldPath, s string, required bool) {
	if s == "" {
		if required {
			v.add(p, "is required")
		}
		return
	}
	if !validID(s) {
		v.add(p, fmt.Sprintf("%q is not a valid id (1–64 characters of A-Z a-z 0-9 . _ -)", truncateString(s)))
	}
}

func validID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func truncateString(s string) string {
	if len(s) > 70 {
		return s[:70] + "…"
	}
	return s
}

// text checks a required non-empty string.
func (v validator) text(p *fieldPath, s string) {
	if s == "" {
		v.add(p, "is required and must not be empty")
	}
}

// enum checks s against a code list; what names the list in the message.
func (v validator) enum(p *fieldPath, s string, codes []string, what string, required bool) {
	if s == "" && !required {
		return
	}
	if s == "" {
		v.add(p, "is required")
		return
	}
	if !slices.Contains(codes, s) {
		v.add(p, fmt.Sprintf("unknown %s code %q", what, truncateString(s)))
	}
}

func (v validator) enumList(p *fieldPath, list []string, codes []string, what string, minItems int) {
	if len(list) < minItems {
		if list == nil {
			v.add(p, "is required")
		} else {
			v.add(p, fmt.Sprintf("must have at least %d item(s)", minItems))
		}
		return
	}
	for i, s := range list {
		ip := p.at(i)
		v.enum(&ip, s, codes, what, true)
	}
}

func (v validator) names(p *fieldPath, list []string) {
	if len(list) == 0 {
		if list == nil {
			v.add(p, "is required")
		} else {
			v.add(p, "must have at least one name")
		}
		return
	}
	for i, s := range list {
		if s == "" {
			ip := p.at(i)
			v.add(&ip, "must not be empty")
		}
	}
}

// decimalSign checks that d is a JSON number literal and returns its sign,
// read from the literal itself so huge exponents cost nothing.
func decimalSign(d Decimal) (sign int, ok bool) {
	s := string(d)
	if !validNumber(s) {
		return 0, false
	}
	neg := s[0] == '-'
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '1' && c <= '9' {
			if neg {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, true
}

// validNumber reports whether s is a JSON number literal (RFC 8259 §6).
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}

// positive checks a number > 0.
func (v validator) positive(p *fieldPath, d Decimal) {
	sign, ok := decimalSign(d)
	switch {
	case d == "":
		v.add(p, "is required")
	case !ok:
		v.add(p, fmt.Sprintf("%q is not a number", truncateString(string(d))))
	case sign <= 0:
		v.add(p, "must be greater than 0, got "+truncateString(string(d)))
	default:
		v.inRange(p, d)
	}
}

// inRange rejects a quantity no IEEE double can hold (|x| ≥ 1.8e308, or a
// non-zero value that rounds to 0). JSON Schema puts no bound on numbers,
// but FHIR servers written in JavaScript read decimals as doubles, and exact
// arithmetic on such literals (big.Rat) costs time and memory without
// bound, so the model refuses them.
func (v validator) inRange(p *fieldPath, d Decimal) {
	f, err := strconv.ParseFloat(string(d), 64)
	if err != nil || math.IsInf(f, 0) || (f == 0 && hasNonZeroDigit(string(d))) {
		v.add(p, "number out of range: "+truncateString(string(d)))
	}
}

// hasNonZeroDigit reports whether the mantissa of a number literal has a
// non-zero digit.
func hasNonZeroDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 'e' || c == 'E':
			return false
		case c >= '1' && c <= '9':
			return true
		}
	}
	return false
}

func (v validator) optPositive(p *fieldPath, d *Decimal) {
	if d != nil {
		v.positive(p, *d)
	}
}

// validTime checks the schema's time pattern (offset required) and that the
// date and clock are real.
func validTime(s string) (time.Time, bool) {
	n := len(s)
	if n < 20 {
		return time.Time{}, false
	}
	for i := 0; i < 19; i++ {
		c := s[i]
		switch i {
		case 4, 7:
			if c != '-' {
				return time.Time{}, false
			}
		case 10:
			if c != 'T' {
				return time.Time{}, false
			}
		case 13, 16:
			if c != ':' {
				return time.Time{}, false
			}
		default:
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
		}
	}
	i := 19
	if s[i] == '.' {
		i++
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return time.Time{}, false
		}
	}
	switch {
	case i == n-1 && s[i] == 'Z':
	case i == n-6 && (s[i] == '+' || s[i] == '-') && isDigit(s[i+1]) && isDigit(s[i+2]) && s[i+3] == ':' &&
		isDigit(s[i+4]) && isDigit(s[i+5]):
	default:
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (v validator) time(p *fieldPath, t Time, required bool) (time.Time, bool) {
	if t == "" {
		if required {
			v.add(p, "is required")
		}
		return time.Time{}, false
	}
	tt, ok := validTime(string(t))
	if !ok {
		// The value is not echoed: times and dates of care are patient data
		// and error messages end up in logs.
		v.add(p, "is not an RFC 3339 time with an offset (e.g. 2026-03-02T09:15:00-05:00)")
	}
	return tt, ok
}

func validDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return false
		}
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func (v validator) date(p *fieldPath, d Date, required bool) {
	if d == "" {
		if required {
			v.add(p, "is required")
		}
		return
	}
	if !validDate(string(d)) {
		v.add(p, "is not a valid date (YYYY-MM-DD)")
	}
}

func (v validator) patient(r *Patient) {
	v.header(r.Header, KindPatient)
	p := top("mrn")
	v.text(&p, r.MRN)
	p = top("given_names")
	v.names(&p, r.GivenNames)
	p = top("family_name")
	v.text(&p, r.FamilyName)
	p = top("birth_date")
	v.date(&p, r.BirthDate, true)
	p = top("sex")
	v.enum(&p, r.Sex, sexCodes, "sex", true)
	p = top("weight_kg")
	v.optPositive(&p, r.WeightKg)
	p = top("conditions")
	v.enumList(&p, r.Conditions, conditionCodes, "condition", 0)
	p = top("allergies")
	for i, a := range r.Allergies {
		ap := p.at(i)
		fp := ap.field("substance")
		v.enum(&fp, a.Substance, substanceCodes, "substance", true)
		fp = ap.field("reaction")
		v.enum(&fp, a.Reaction, manifestationCodes, "manifestation", false)
		fp = ap.field("severity")
		v.enum(&fp, a.Severity, severityCodes, "severity", false)
	}
}

func (v validator) practitioner(r *Practitioner) {
	v.header(r.Header, KindPractitioner)
	if r.NPI != "" {
		ok := len(r.NPI) == 10
		for i := 0; ok && i < len(r.NPI); i++ {
			ok = isDigit(r.NPI[i])
		}
		if !ok {
			p := top("npi")
			v.add(&p, "must be 10 digits")
		}
	}
	p := top("given_names")
	v.names(&p, r.GivenNames)
	p = top("family_name")
	v.text(&p, r.FamilyName)
	p = top("role")
	v.enum(&p, r.Role, roleCodes, "role", true)
}

func (v validator) plan(r *Plan) {
	v.header(r.Header, KindPlan)
	p := top("patient_id")
	v.id(&p, r.Patient, true)
	p = top("prescriber_id")
	v.id(&p, r.PrescriberID, true)
	p = top("status")
	v.enum(&p, r.Status, planStatusCodes, "plan status", true)
	p = top("authored_at")
	v.time(&p, r.AuthoredAt, true)
	p = top("indications")
	v.enumList(&p, r.Indications, conditionCodes, "condition", 1)

	f := top("formulation")
	p = f.field("name")
	v.text(&p, r.Formulation.Name)
	ings := f.field("ingredients")
	if len(r.Formulation.Ingredients) == 0 {
		v.add(&ings, "must have at least one ingredient")
	}
	perKg := false
	for i, in := range r.Formulation.Ingredients {
		ip := ings.at(i)
		fp := ip.field("substance")
		v.enum(&fp, in.Substance, substanceCodes, "substance", true)
		fp = ip.field("amount")
		v.positive(&fp, in.Amount)
		fp = ip.field("unit")
		v.enum(&fp, in.Unit, unitCodes, "unit", true)
		fp = ip.field("max_amount")
		v.optPositive(&fp, in.MaxAmount)
		perKg = perKg || in.IsPerKg()
	}
	c := f.field("carrier")
	p = c.field("fluid")
	v.enum(&p, r.Formulation.Carrier.Fluid, substanceCodes, "substance", true)
	p = c.field("volume_ml")
	v.positive(&p, r.Formulation.Carrier.VolumeML)

	p = top("dosing_weight_kg")
	if r.DosingWeightKg == nil {
		if perKg {
			v.add(&p, "is required when an ingredient is per kg")
		}
	} else {
		v.positive(&p, *r.DosingWeightKg)
	}

	rate := top("rate")
	switch {
	case r.Rate.MLPerHour != nil && r.Rate.DurationMinutes != nil:
		v.add(&rate, "must have exactly one of ml_per_hour and duration_minutes, not both")
	case r.Rate.MLPerHour != nil:
		p = rate.field("ml_per_hour")
		v.positive(&p, *r.Rate.MLPerHour)
	case r.Rate.DurationMinutes != nil:
		p = rate.field("duration_minutes")
		v.positive(&p, *r.Rate.DurationMinutes)
	default:
		v.add(&rate, "must have one of ml_per_hour and duration_minutes")
	}

	s := top("schedule")
	if r.Schedule.Sessions < 1 {
		p = s.field("sessions")
		v.add(&p, "must be an integer ≥ 1")
	}
	if r.Schedule.Every < 1 {
		p = s.field("every")
		v.add(&p, "must be an integer ≥ 1")
	}
	p = s.field("period")
	v.enum(&p, r.Schedule.Period, periodCodes, "period", true)
	p = s.field("start_date")
	v.date(&p, r.Schedule.StartDate, true)
	p = s.field("end_date")
	v.date(&p, r.Schedule.EndDate, false)
}

func (v validator) administration(r *Administration) {
	v.header(r.Header, KindAdministration)
	p := top("plan_id")
	v.id(&p, r.PlanID, true)
	p = top("patient_id")
	v.id(&p, r.Patient, true)
	p = top("performer_id")
	v.id(&p, r.PerformerID, true)
	if r.SessionNumber < 1 {
		p = top("session_number")
		v.add(&p, "must be an integer ≥ 1")
	}
	p = top("status")
	v.enum(&p, r.Status, administrationStatuses, "administration status", true)

	// Required fields per status (schema.json allOf).
	stoppedOrNotDone := r.Status == "stopped" || r.Status == "not_done"
	ended := r.Status == "completed" || r.Status == "stopped"
	begun := ended || r.Status == "in_progress"
	p = top("status_reason")
	if r.StatusReason == "" && stoppedOrNotDone {
		v.add(&p, "is required when status is "+r.Status)
	} else {
		v.enum(&p, r.StatusReason, statusReasonCodes, "status reason", false)
	}
	sp := top("started_at")
	start, startOK := v.time(&sp, r.StartedAt, begun)
	ep := top("ended_at")
	end, endOK := v.time(&ep, r.EndedAt, ended)
	if startOK && endOK && !end.After(start) {
		v.add(&ep, "must be after started_at")
	}
	p = top("site")
	v.enum(&p, r.Site, siteCodes, "site", begun)
	p = top("volume_infused_ml")
	switch {
	case r.VolumeInfusedML == nil:
		if ended {
			v.add(&p, "is required when status is "+r.Status)
		}
	default:
		if sign, ok := decimalSign(*r.VolumeInfusedML); !ok {
			v.add(&p, "is not a number")
		} else if sign < 0 {
			v.add(&p, "must be ≥ 0, got "+truncateString(string(*r.VolumeInfusedML)))
		} else {
			v.inRange(&p, *r.VolumeInfusedML)
		}
	}
	p = top("rate_ml_per_hour")
	v.optPositive(&p, r.RateMLPerHour)
	dp := top("doses")
	if r.Doses == nil && ended {
		v.add(&dp, "is required when status is "+r.Status)
	}
	for i, d := range r.Doses {
		ip := dp.at(i)
		fp := ip.field("substance")
		v.enum(&fp, d.Substance, substanceCodes, "substance", true)
		fp = ip.field("amount")
		v.positive(&fp, d.Amount)
		fp = ip.field("unit")
		v.enum(&fp, d.Unit, unitCodes, "unit", true)
	}
	p = top("weight_kg")
	v.optPositive(&p, r.WeightKg)
	p = top("pain_before")
	v.pain(&p, r.PainBefore)
	p = top("pain_after")
	v.pain(&p, r.PainAfter)
}

func (v validator) pain(p *fieldPath, n *int) {
	if n != nil && (*n < 0 || *n > 10) {
		v.add(p, "must be an integer from 0 to 10, got "+strconv.Itoa(*n))
	}
}

func (v validator) reaction(r *Reaction) {
	v.header(r.Header, KindReaction)
	p := top("patient_id")
	v.id(&p, r.Patient, true)
	p = top("administration_id")
	v.id(&p, r.AdministrationID, false)
	p = top("category")
	v.enum(&p, r.Category, categoryCodes, "reaction category", true)
	p = top("manifestations")
	v.enumList(&p, r.Manifestations, manifestationCodes, "manifestation", 1)
	p = top("severity")
	v.enum(&p, r.Severity, severityCodes, "severity", true)
	p = top("onset_at")
	v.time(&p, r.OnsetAt, true)
	p = top("recorded_at")
	v.time(&p, r.RecordedAt, true)
	p = top("suspected_substances")
	v.enumList(&p, r.SuspectedSubstances, substanceCodes, "substance", 0)
	p = top("action_taken")
	v.enum(&p, r.ActionTaken, actionTakenCodes, "action taken", true)
	p = top("outcome")
	v.enum(&p, r.Outcome, reactionOutcomeCodes, "outcome", true)
}
