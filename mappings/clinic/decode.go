package clinic

import (
	"strconv"
	"strings"
)

// Decode reads one clinic record and checks it against every rule of the
// clinic model (shared/clinic-model: schema.json and the README's rules that
// hold within one record). It rejects unknown fields at every level,
// duplicate field names, JSON null for any field, and anything after the
// record. Number and time literals are kept as written.
//
// Integers follow JSON Schema: 1.0 and 1e0 are the integer 1 (and re-encode
// as 1). Integers beyond ±2^53 are rejected as out of range, and so are
// quantities no IEEE double can hold (1e999, or 1e-400 as a positive
// amount): JavaScript FHIR servers could not keep them.
//
// The error is a *ValidationError listing every broken rule with the path of
// its field. Decode does not check that referenced records exist
// (CheckReferences does) nor that codes have a terminology mapping.
func Decode(data []byte) (Record, error) {
	tree, err := parseJSON(data)
	if err != nil {
		return nil, &ValidationError{Errors: []FieldError{{Message: err.Error()}}}
	}
	if tree.kind != jObject {
		return nil, &ValidationError{Errors: []FieldError{{Message: "a record must be a JSON object, got " + tree.kind.typeName()}}}
	}
	d := decoder{}
	var rec Record
	switch kind := recordKind(tree); kind {
	case KindPatient:
		rec = d.patient(tree)
	case KindPractitioner:
		rec = d.practitioner(tree)
	case KindPlan:
		rec = d.plan(tree)
	case KindAdministration:
		rec = d.administration(tree)
	case KindReaction:
		rec = d.reaction(tree)
	default:
		msg := "is required"
		if kind != "" {
			msg = "must be one of patient, practitioner, plan, administration, reaction"
		}
		return nil, &ValidationError{Errors: []FieldError{{Path: "kind", Message: msg}}}
	}
	var rules errorList
	validateRecord(&rules, rec)
	errs := d.errs
	for _, e := range rules.errs {
		if !covered(d.errs, e.Path) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	return rec, nil
}

// recordKind returns the kind the object names: the value of its first
// "kind" member if that is a string, "?" if it is something else, "" if
// there is none.
func recordKind(obj node) Kind {
	for _, m := range obj.members {
		if m.key == "kind" {
			if m.val.kind != jString {
				return "?"
			}
			switch k := Kind(m.val.text); k {
			case KindPatient, KindPractitioner, KindPlan, KindAdministration, KindReaction:
				return k
			default:
				return "?"
			}
		}
	}
	return ""
}

// decoder turns a parsed tree into record structs, collecting type errors,
// unknown, duplicate and missing fields. The value rules are validateRecord's.
type decoder struct {
	errorList
}

// fields reads the members of an object: it reports unknown and duplicate
// names and calls set for every other member. It returns the bit set of the
// names seen (bit i for names[i]).
func (d *decoder) fields(p *fieldPath, n node, names []string, set func(p fieldPath, key string, v node)) uint64 {
	var seen uint64
	for _, m := range n.members {
		fp := p.field(m.key)
		i := indexOf(names, m.key)
		switch {
		case i < 0:
			d.add(&fp, "unknown field")
		case seen&(1<<i) != 0:
			d.add(&fp, "duplicate field")
		default:
			seen |= 1 << i
			set(fp, m.key, m.val)
		}
	}
	return seen
}

// require reports each name of required that was not seen.
func (d *decoder) require(p *fieldPath, seen uint64, names []string, required ...string) {
	for _, r := range required {
		if seen&(1<<indexOf(names, r)) == 0 {
			fp := p.field(r)
			d.add(&fp, "is required")
		}
	}
}

func indexOf(names []string, key string) int {
	for i, n := range names {
		if n == key {
			return i
		}
	}
	return -1
}

// object checks that v is an object.
func (d *decoder) object(p *fieldPath, v node) bool {
	if v.kind != jObject {
		d.add(p, "must be an object, got "+v.kind.typeName())
		return false
	}
	return true
}

func (d *decoder) str(p *fieldPath, v node) string {
	if v.kind != jString {
		d.add(p, "must be a string, got "+v.kind.typeName())
		return ""
	}
	return v.text
}

// optStr reads an optional string whose empty value would be
// indistinguishable from its absence, and so must not be empty.
func (d *decoder) optStr(p *fieldPath, v node) string {
	s := d.str(p, v)
	if v.kind == jString && s == "" {
		d.add(p, "must not be empty")
	}
	return s
}

func (d *decoder) time(p *fieldPath, v node) Time { return Time(d.optStr(p, v)) }

func (d *decoder) date(p *fieldPath, v node) Date { return Date(d.optStr(p, v)) }

func (d *decoder) decimal(p *fieldPath, v node) Decimal {
	if v.kind != jNumber {
		d.add(p, "must be a number, got "+v.kind.typeName())
		return ""
	}
	return Decimal(v.text)
}

func (d *decoder) optDecimal(p *fieldPath, v node) *Decimal {
	x := d.decimal(p, v)
	if x == "" {
		return nil
	}
	return &x
}

func (d *decoder) boolean(p *fieldPath, v node) bool {
	if v.kind != jBool {
		d.add(p, "must be a boolean, got "+v.kind.typeName())
		return false
	}
	return v.boolean
}

func (d *decoder) optBool(p *fieldPath, v node) *bool {
	if v.kind != jBool {
		d.add(p, "must be a boolean, got "+v.kind.typeName())
		return nil
	}
	b := v.boolean
	return &b
}

// maxSafeInt is 2^53, the largest integer every JSON reader holds exactly.
const maxSafeInt = 1 << 53

// integer reads a JSON Schema integer: a number whose value is whole,
// whatever its spelling (3, 3.0, 0.3e1).
func (d *decoder) integer(p *fieldPath, v node) int {
	n, _ := d.checkedInt(p, v)
	return n
}

func (d *decoder) checkedInt(p *fieldPath, v node) (int, bool) {
	if v.kind != jNumber {
		d.add(p, "must be an integer, got "+v.kind.typeName())
		return 0, false
	}
	n, ok, inRange := wholeNumber(v.text)
	switch {
	case !ok:
		d.add(p, "must be an integer, got "+v.text)
	case !inRange:
		d.add(p, "integer out of range: "+v.text)
	}
	return n, ok && inRange
}

func (d *decoder) optInt(p *fieldPath, v node) *int {
	n, ok := d.checkedInt(p, v)
	if !ok {
		return nil
	}
	return &n
}

// wholeNumber interprets a valid JSON number literal as an integer. ok is
// false when the value has a fractional part; inRange is false when its
// magnitude exceeds 2^53. It never builds huge numbers, so "1e999999999" is
// answered at once.
func wholeNumber(lit string) (n int, ok, inRange bool) {
	if v, err := strconv.Atoi(lit); err == nil {
		return v, true, v <= maxSafeInt && v >= -maxSafeInt
	}
	neg := strings.HasPrefix(lit, "-")
	s := strings.TrimPrefix(lit, "-")
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil {
			// The exponent itself overflows int: the value is either
			// enormous or vanishingly small.
			if strings.HasPrefix(s[i+1:], "-") {
				return 0, isZeroMantissa(mant), true
			}
			if isZeroMantissa(mant) {
				return 0, true, true
			}
			return 0, true, false
		}
		exp = e
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	exp -= len(frac)
	if digits == "" {
		return 0, true, true
	}
	for strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		exp++
	}
	if exp < 0 {
		return 0, false, true
	}
	if len(digits)+exp > 16 {
		return 0, true, false
	}
	v, err := strconv.Atoi(digits + strings.Repeat("0", exp))
	if err != nil || v > maxSafeInt {
		return 0, true, false
	}
	if neg {
		v = -v
	}
	return v, true, true
}

func isZeroMantissa(m string) bool {
	return strings.Trim(m, "0.") == ""
}

// strings reads an array of strings.
func (d *decoder) strings(p *fieldPath, v node) []string {
	if v.kind != jArray {
		d.add(p, "must be an array, got "+v.kind.typeName())
		return nil
	}
	out := make([]string, len(v.items))
	for i, it := range v.items {
		ip := p.at(i)
		out[i] = d.str(&ip, it)
	}
	return out
}

// array checks that v is an array. The loops over its items stay written
// out at each use: a shared helper taking the item decoder as a function
// value would move every item's fieldPath to the heap.
func (d *decoder) array(p *fieldPath, v node) bool {
	if v.kind != jArray {
		d.add(p, "must be an array, got "+v.kind.typeName())
		return false
	}
	return true
}

// header reads kind, id and version; it reports whether key was one of them.
func (d *decoder) header(h *Header, p *fieldPath, key string, v node) bool {
	switch key {
	case "kind":
		h.Kind = Kind(d.str(p, v))
	case "id":
		h.ID = d.str(p, v)
	case "version":
		h.Version = d.integer(p, v)
	default:
		return false
	}
	return true
}

var patientFields = []string{"kind", "id", "version", "mrn", "given_names", "family_name", "birth_date", "sex",
	"weight_kg", "conditions", "allergies", "phone", "email"}

func (d *decoder) patient(n node) *Patient {
	r := &Patient{}
	seen := d.fields(nil, n, patientFields, func(fv fieldPath, key string, v node) {
		p := &fv
		if d.header(&r.Header, p, key, v) {
			return
		}
		switch key {
		case "mrn":
			r.MRN = d.str(p, v)
		case "given_names":
			r.GivenNames = d.strings(p, v)
		case "family_name":
			r.FamilyName = d.str(p, v)
		case "birth_date":
			r.BirthDate = Date(d.str(p, v))
		case "sex":
			r.Sex = d.str(p, v)
		case "weight_kg":
			r.WeightKg = d.optDecimal(p, v)
		case "conditions":
			r.Conditions = d.strings(p, v)
		case "allergies":
			if d.array(p, v) {
				r.Allergies = make([]Allergy, len(v.items))
				for i, it := range v.items {
					ip := p.at(i)
					r.Allergies[i] = d.allergy(&ip, it)
				}
			}
		case "phone":
			r.Phone = d.str(p, v)
		case "email":
			r.Email = d.str(p, v)
		}
	})
	d.require(nil, seen, patientFields, "kind", "id", "version", "mrn", "given_names", "family_name", "birth_date", "sex")
	return r
}

var allergyFields = []string{"substance", "reaction", "severity"}

func (d *decoder) allergy(p *fieldPath, n node) Allergy {
	var a Allergy
	if !d.object(p, n) {
		return a
	}
	seen := d.fields(p, n, allergyFields, func(fv fieldPath, key string, v node) {
		fp := &fv
		switch key {
		case "substance":
			a.Substance = d.str(fp, v)
		case "reaction":
			a.Reaction = d.optStr(fp, v)
		case "severity":
			a.Severity = d.optStr(fp, v)
		}
	})
	d.require(p, seen, allergyFields, "substance")
	return a
}

var practitionerFields = []string{"kind", "id", "version", "npi", "given_names", "family_name", "role"}

func (d *decoder) practitioner(n node) *Practitioner {
	r := &Practitioner{}
	seen := d.fields(nil, n, practitionerFields, func(fv fieldPath, key string, v node) {
		p := &fv
		if d.header(&r.Header, p, key, v) {
			return
		}
		switch key {
		case "npi":
			r.NPI = d.optStr(p, v)
		case "given_names":
			r.GivenNames = d.strings(p, v)
		case "family_name":
			r.FamilyName = d.str(p, v)
		case "role":
			r.Role = d.str(p, v)
		}
	})
	d.require(nil, seen, practitionerFields, "kind", "id", "version", "given_names", "family_name", "role")
	return r
}

var planFields = []string{"kind", "id", "version", "patient_id", "prescriber_id", "status", "authored_at", "indications",
	"formulation", "dosing_weight_kg", "rate", "schedule", "notes"}

func (d *decoder) plan(n node) *Plan {
	r := &Plan{}
	seen := d.fields(nil, n, planFields, func(fv fieldPath, key string, v node) {
		p := &fv
		if d.header(&r.Header, p, key, v) {
			return
		}
		switch key {
		case "patient_id":
			r.Patient = d.str(p, v)
		case "prescriber_id":
			r.PrescriberID = d.str(p, v)
		case "status":
			r.Status = d.str(p, v)
		case "authored_at":
			r.AuthoredAt = Time(d.str(p, v))
		case "indications":
			r.Indications = d.strings(p, v)
		case "formulation":
			r.Formulation = d.formulation(p, v)
		case "dosing_weight_kg":
			r.DosingWeightKg = d.optDecimal(p, v)
		case "rate":
			r.Rate = d.rate(p, v)
		case "schedule":
			r.Schedule = d.schedule(p, v)
		case "notes":
			r.Notes = d.str(p, v)
		}
	})
	d.require(nil, seen, planFields, "kind", "id", "version", "patient_id", "prescriber_id", "status", "authored_at",
		"indications", "formulation", "rate", "schedule")
	return r
}

var formulationFields = []string{"name", "ingredients", "carrier"}

func (d *decoder) formulation(p *fieldPath, n node) Formulation {
	var f Formulation
	if !d.object(p, n) {
		return f
	}
	seen := d.fields(p, n, formulationFields, func(fv fieldPath, key string, v node) {
		fp := &fv
		switch key {
		case "name":
			f.Name = d.str(fp, v)
		case "ingredients":
			if d.array(fp, v) {
				f.Ingredients = make([]Ingredient, len(v.items))
				for i, it := range v.items {
					ip := fp.at(i)
					f.Ingredients[i] = d.ingredient(&ip, it)
				}
			}
		case "carrier":
			f.Carrier = d.carrier(fp, v)
		}
	})
	d.require(p, seen, formulationFields, formulationFields...)
	return f
}

var ingredientFields = []string{"substance", "amount", "unit", "per_kg", "max_amount"}

func (d *decoder) ingredient(p *fieldPath, n node) Ingredient {
	var in Ingredient
	if !d.object(p, n) {
		return in
	}
	seen := d.fields(p, n, ingredientFields, func(fv fieldPath, key string, v node) {
		fp := &fv
		switch key {
		case "substance":
			in.Substance = d.str(fp, v)
		case "amount":
			in.Amount = d.decimal(fp, v)
		case "unit":
			in.Unit = d.str(fp, v)
		case "per_kg":
			in.PerKg = d.optBool(fp, v)
		case "max_amount":
			in.MaxAmount = d.optDecimal(fp, v)
		}
	})
	d.require(p, seen, ingredientFields, "substance", "amount", "unit")
	return in
}

var carrierFields = []string{"fluid", "volume_ml"}

func (d *decoder) carrier(p *fieldPath, n node) Carrier {
	var c Carrier
	if !d.object(p, n) {
		return c
	}
	seen := d.fields(p, n, carrierFields, func(fv fieldPath, key string, v node) {
		fp := &fv
		switch key {
		case "fluid":
			c.Fluid = d.str(fp, v)
		case "volume_ml":
			c.VolumeML = d.decimal(fp, v)
		}
	})
	d.require(p, seen, carrierFields, carrierFields...)
	return c
}

var rateFields = []string{"ml_per_hour", "duration_minutes"}

// rate reads the rate object; "exactly one of the two" is a rule of
// validateRecord, which reports it on the path "rate".
func (d *decoder) rate(p *fieldPath, n node) Rate {
	var r Rate
	if !d.object(p, n) {
		return r
	}
	d.fields(p, n, rateFields, func(fv fieldPath, key string, v node) {
		fp := &fv
		switch key {
		case "ml_per_hour":
			r.MLPerHour = d.optDecimal(fp, v)
		case "duration_minutes":
			r.DurationMinutes = d.optDecimal(fp, v)
		}
	})
	return r
}

var scheduleFields = []string{"sessions", "every", "period", "start_date", "end_date"}

func (d *decoder) schedule(p *fieldPath, n node) Schedule {
	var s Schedule
	if !d.object(p, n) {
		return s
	}
	seen := d.fields(p, n, scheduleFields, func(fv fieldPath, key string, v node) {
		fp := &fv
		switch key {
		case "sessions":
			s.Sessions = d.integer(fp, v)
		case "every":
			s.Every = d.integer(fp, v)
		case "period":
			s.Period = d.str(fp, v)
		case "start_date":
			s.StartDate = Date(d.str(fp, v))
		case "end_date":
			s.EndDate = d.date(fp, v)
		}
	})
	d.require(p, seen, scheduleFields, "sessions", "every", "period", "start_date")
	return s
}

var administrationFields = []string{"kind", "id", "version", "plan_id", "patient_id", "session_number", "status",
	"status_reason", "started_at", "ended_at", "performer_id", "site", "volume_infused_ml", "rate_ml_per_hour", "doses",
	"weight_kg", "pain_before", "pain_after", "notes"}

func (d *decoder) administration(n node) *Administration {
	r := &Administration{}
	seen := d.fields(nil, n, administrationFields, func(fv fieldPath, key string, v node) {
		p := &fv
		if d.header(&r.Header, p, key, v) {
			return
		}
		switch key {
		case "plan_id":
			r.PlanID = d.str(p, v)
		case "patient_id":
			r.Patient = d.str(p, v)
		case "session_number":
			r.SessionNumber = d.integer(p, v)
		case "status":
			r.Status = d.str(p, v)
		case "status_reason":
			r.StatusReason = d.optStr(p, v)
		case "started_at":
			r.StartedAt = d.time(p, v)
		case "ended_at":
			r.EndedAt = d.time(p, v)
		case "performer_id":
			r.PerformerID = d.str(p, v)
		case "site":
			r.Site = d.optStr(p, v)
		case "volume_infused_ml":
			r.VolumeInfusedML = d.optDecimal(p, v)
		case "rate_ml_per_hour":
			r.RateMLPerHour = d.optDecimal(p, v)
		case "doses":
			if d.array(p, v) {
				r.Doses = make([]Dose, len(v.items))
				for i, it := range v.items {
					ip := p.at(i)
					r.Doses[i] = d.dose(&ip, it)
				}
			}
		case "weight_kg":
			r.WeightKg = d.optDecimal(p, v)
		case "pain_before":
			r.PainBefore = d.optInt(p, v)
		case "pain_after":
			r.PainAfter = d.optInt(p, v)
		case "notes":
			r.Notes = d.str(p, v)
		}
	})
	d.require(nil, seen, administrationFields, "kind", "id", "version", "plan_id", "patient_id", "session_number",
		"status", "performer_id")
	return r
}

var doseFields = []string{"substance", "amount", "unit"}

func (d *decoder) dose(p *fieldPath, n node) Dose {
	var ds Dose
	if !d.object(p, n) {
		return ds
	}
	seen := d.fields(p, n, doseFields, func(fv fieldPath, key string, v node) {
		fp := &fv
		switch key {
		case "substance":
			ds.Substance = d.str(fp, v)
		case "amount":
			ds.Amount = d.decimal(fp, v)
		case "unit":
			ds.Unit = d.str(fp, v)
		}
	})
	d.require(p, seen, doseFields, doseFields...)
	return ds
}

var reactionFields = []string{"kind", "id", "version", "patient_id", "administration_id", "category", "manifestations",
	"severity", "serious", "onset_at", "recorded_at", "suspected_substances", "action_taken", "outcome", "is_allergy", "notes"}

func (d *decoder) reaction(n node) *Reaction {
	r := &Reaction{}
	seen := d.fields(nil, n, reactionFields, func(fv fieldPath, key string, v node) {
		p := &fv
		if d.header(&r.Header, p, key, v) {
			return
		}
		switch key {
		case "patient_id":
			r.Patient = d.str(p, v)
		case "administration_id":
			r.AdministrationID = d.optStr(p, v)
		case "category":
			r.Category = d.str(p, v)
		case "manifestations":
			r.Manifestations = d.strings(p, v)
		case "severity":
			r.Severity = d.str(p, v)
		case "serious":
			r.Serious = d.boolean(p, v)
		case "onset_at":
			r.OnsetAt = Time(d.str(p, v))
		case "recorded_at":
			r.RecordedAt = Time(d.str(p, v))
		case "suspected_substances":
			r.SuspectedSubstances = d.strings(p, v)
		case "action_taken":
			r.ActionTaken = d.str(p, v)
		case "outcome":
			r.Outcome = d.str(p, v)
		case "is_allergy":
			r.IsAllergy = d.optBool(p, v)
		case "notes":
			r.Notes = d.str(p, v)
		}
	})
	d.require(nil, seen, reactionFields, "kind", "id", "version", "patient_id", "category", "manifestations",
		"severity", "serious", "onset_at", "recorded_at", "action_taken", "outcome")
	return r
}
