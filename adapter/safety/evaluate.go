package safety

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Finding is one issue a rule found in a plan or session.
type Finding struct {
	Rule       string   `json:"rule"`
	Kind       Kind     `json:"kind"`
	Severity   Severity `json:"severity"`
	Code       string   `json:"code"`
	Detail     string   `json:"detail"`
	Source     string   `json:"source"`
	Substances []string `json:"substances,omitempty"`
	// Subject is the record the finding is about.
	SubjectKind clinic.Kind `json:"subject_kind"`
	SubjectID   string      `json:"subject_id"`
	// Override, when set, is the clinician's documented decision to go
	// ahead despite the finding (DetectedIssue.mitigation).
	Override *Override `json:"override,omitempty"`
}

// Override is a clinician's explicit decision to proceed despite high
// findings, with the reason and who decided.
type Override struct {
	Reason         string `json:"reason"`
	PractitionerID string `json:"practitioner_id"`
}

// Facts is what the engine knows about the patient when it evaluates one
// record; the Engine gathers it from the store.
type Facts struct {
	Patient *clinic.Patient
	// Plan is the administration's plan (nil for a plan).
	Plan *clinic.Plan
	// OtherPlans are the patient's other open plans: what the patient is
	// known to be taking, for interactions.
	OtherPlans []*clinic.Plan
	// Allergens maps a substance code to where the allergy is recorded.
	Allergens map[string]string
	// Unconsulted says which sources of allergies could not be read (the
	// upstream was down): the check ran without them.
	Unconsulted []string
}

// Evaluate runs every rule against one plan or administration. It is pure:
// the same record and facts give the same findings, in a stable order.
func Evaluate(rules *Rules, rec clinic.Record, facts Facts) []Finding {
	// One evaluation per record type; the doses are the same for every
	// rule, so they are computed once (big.Rat arithmetic) and read by each.
	var eval func(*Rule) []Finding
	switch r := rec.(type) {
	case *clinic.Plan:
		doses := planDoses(r)
		eval = func(rule *Rule) []Finding { return evalPlan(rule, r, doses, facts) }
	case *clinic.Administration:
		given := givenDoses(r)
		var planned []dose
		if facts.Plan != nil {
			planned = planDoses(facts.Plan)
		}
		eval = func(rule *Rule) []Finding { return evalAdministration(rule, r, given, planned, facts) }
	default:
		return nil
	}
	var out []Finding
	for _, rule := range rules.enabled {
		fs := eval(rule)
		for i := range fs {
			fs[i].Rule, fs[i].Kind, fs[i].Severity = rule.ID, rule.Kind, rule.Severity
			fs[i].Code, fs[i].Source = rule.Code, rule.Source
			fs[i].SubjectKind, fs[i].SubjectID = rec.RecordKind(), rec.RecordID()
		}
		out = append(out, fs...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank(out[i].Severity) != rank(out[j].Severity) {
			return rank(out[i].Severity) < rank(out[j].Severity)
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

func rank(s Severity) int {
	switch s {
	case High:
		return 0
	case Moderate:
		return 1
	}
	return 2
}

// dose is an amount of one substance in one session, in mg when it has a
// mass unit.
type dose struct {
	substance string
	mg        *big.Rat // nil when the unit is not a mass
	amount    clinic.Decimal
	unit      string
}

func rat(d clinic.Decimal) *big.Rat {
	r, ok := d.Rat()
	if !ok {
		return nil
	}
	return r
}

func ratp(d *clinic.Decimal) *big.Rat {
	if d == nil {
		return nil
	}
	return rat(*d)
}

// planDoses are the absolute doses one session of the plan gives: per-kg
// amounts times the dosing weight, capped by max_amount as the clinic does.
func planDoses(p *clinic.Plan) []dose {
	weight := ratp(p.DosingWeightKg)
	out := make([]dose, 0, len(p.Formulation.Ingredients))
	for _, ing := range p.Formulation.Ingredients {
		amt := rat(ing.Amount)
		if amt == nil {
			continue
		}
		if ing.IsPerKg() {
			if weight == nil {
				continue
			}
			amt = new(big.Rat).Mul(amt, weight)
			if maxAmt := ratp(ing.MaxAmount); maxAmt != nil && amt.Cmp(maxAmt) > 0 {
				amt = maxAmt
			}
		}
		out = append(out, newDose(ing.Substance, amt, ing.Unit))
	}
	return out
}

func newDose(substance string, amt *big.Rat, unit string) dose {
	d := dose{substance: substance, unit: unit, amount: clinic.Decimal(amt.FloatString(3))}
	if f, ok := massToMg[unit]; ok {
		d.mg = new(big.Rat).Mul(amt, f)
	}
	return d
}

func givenDoses(a *clinic.Administration) []dose {
	out := make([]dose, 0, len(a.Doses))
	for _, d := range a.Doses {
		if amt := rat(d.Amount); amt != nil {
			out = append(out, newDose(d.Substance, amt, d.Unit))
		}
	}
	return out
}

// planHours is how long one session of the plan runs.
func planHours(p *clinic.Plan) *big.Rat {
	if m := ratp(p.Rate.DurationMinutes); m != nil && m.Sign() > 0 {
		return new(big.Rat).Quo(m, big.NewRat(60, 1))
	}
	vol, rate := rat(p.Formulation.Carrier.VolumeML), ratp(p.Rate.MLPerHour)
	if vol != nil && rate != nil && rate.Sign() > 0 {
		return new(big.Rat).Quo(vol, rate)
	}
	return nil
}

// planMLPerHour is the plan's pump rate.
func planMLPerHour(p *clinic.Plan) *big.Rat {
	if r := ratp(p.Rate.MLPerHour); r != nil {
		return r
	}
	if h := planHours(p); h != nil && h.Sign() > 0 {
		if vol := rat(p.Formulation.Carrier.VolumeML); vol != nil {
			return new(big.Rat).Quo(vol, h)
		}
	}
	return nil
}

// sessionsPerWeek converts the schedule; a month counts as 30 days.
func sessionsPerWeek(s clinic.Schedule) *big.Rat {
	if s.Every < 1 {
		return nil
	}
	every := big.NewRat(int64(s.Every), 1)
	switch s.Period {
	case "day":
		return new(big.Rat).Quo(big.NewRat(7, 1), every)
	case "week":
		return new(big.Rat).Quo(big.NewRat(1, 1), every)
	case "month":
		return new(big.Rat).Quo(big.NewRat(7, 30), every)
	}
	return nil
}

// adminHours is how long a session actually ran.
func adminHours(a *clinic.Administration) *big.Rat {
	if a.StartedAt == "" || a.EndedAt == "" {
		return nil
	}
	s, err1 := a.StartedAt.Time()
	e, err2 := a.EndedAt.Time()
	if err1 != nil || err2 != nil || !e.After(s) {
		return nil
	}
	return big.NewRat(int64(e.Sub(s).Seconds()), 3600)
}

func weightFor(facts Facts, own *clinic.Decimal) *big.Rat {
	if w := ratp(own); w != nil && w.Sign() > 0 {
		return w
	}
	if facts.Plan != nil {
		if w := ratp(facts.Plan.DosingWeightKg); w != nil && w.Sign() > 0 {
			return w
		}
	}
	if facts.Patient != nil {
		if w := ratp(facts.Patient.WeightKg); w != nil && w.Sign() > 0 {
			return w
		}
	}
	return nil
}

func hasCondition(p *clinic.Patient, conds []string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, c := range p.Conditions {
		for _, want := range conds {
			if c == want {
				out = append(out, c)
			}
		}
	}
	return out
}

func num(r *big.Rat) string {
	s := r.FloatString(2)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// evalPlan applies one rule to a plan; doses are planDoses(p).
func evalPlan(rule *Rule, p *clinic.Plan, doses []dose, facts Facts) []Finding {
	switch rule.Kind {
	case KindDoseBand:
		return doseBand(rule, doses, weightFor(facts, p.DosingWeightKg))
	case KindDoseRate:
		return doseRate(rule, doses, planHours(p), weightFor(facts, p.DosingWeightKg))
	case KindPerKgCap:
		var out []Finding
		weight := ratp(p.DosingWeightKg)
		for _, ing := range p.Formulation.Ingredients {
			maxAmt, amt := ratp(ing.MaxAmount), rat(ing.Amount)
			if !ing.IsPerKg() || maxAmt == nil || weight == nil || amt == nil {
				continue
			}
			if total := new(big.Rat).Mul(amt, weight); total.Cmp(maxAmt) > 0 {
				out = append(out, Finding{Substances: []string{ing.Substance}, Detail: fmt.Sprintf(
					"%s: %s %s/kg × %s kg = %s %s, above the plan's cap of %s %s",
					ing.Substance, ing.Amount, ing.Unit, *p.DosingWeightKg, num(total), ing.Unit, *ing.MaxAmount, ing.Unit)})
			}
		}
		return out
	case KindWeightChange:
		return weightChange(rule, ratp(p.DosingWeightKg), patientWeight(facts), "the patient's latest weight")
	case KindAllergy:
		subs := append(substancesOfPlan(p), p.Formulation.Carrier.Fluid)
		return allergy(subs, facts)
	case KindInteraction:
		var others []string
		for _, o := range facts.OtherPlans {
			if o.ID != p.ID {
				others = append(others, substancesOfPlan(o)...)
			}
		}
		return interaction(rule, substancesOfPlan(p), others)
	case KindFluidVolume:
		conds := hasCondition(facts.Patient, rule.Conditions)
		vol := rat(p.Formulation.Carrier.VolumeML)
		if len(conds) == 0 || vol == nil {
			return nil
		}
		if rule.maxSession != nil && vol.Cmp(rule.maxSession) >= 0 {
			return []Finding{{Substances: []string{p.Formulation.Carrier.Fluid}, Detail: fmt.Sprintf(
				"%s mL of %s per session in a patient with %s (limit %s mL per session)",
				p.Formulation.Carrier.VolumeML, p.Formulation.Carrier.Fluid, strings.Join(conds, ", "), rule.MaxPerSess)}}
		}
		if spw := sessionsPerWeek(p.Schedule); rule.maxWeek != nil && spw != nil {
			if week := new(big.Rat).Mul(vol, spw); week.Cmp(rule.maxWeek) >= 0 {
				return []Finding{{Substances: []string{p.Formulation.Carrier.Fluid}, Detail: fmt.Sprintf(
					"%s mL of %s per week in a patient with %s (limit %s mL per week)",
					num(week), p.Formulation.Carrier.Fluid, strings.Join(conds, ", "), rule.MaxPerWeek)}}
			}
		}
	case KindFluidRate:
		conds := hasCondition(facts.Patient, rule.Conditions)
		if rate := planMLPerHour(p); len(conds) > 0 && rate != nil && rate.Cmp(rule.maxHour) > 0 {
			return []Finding{{Substances: []string{p.Formulation.Carrier.Fluid}, Detail: fmt.Sprintf(
				"%s mL/h in a patient with %s (limit %s mL/h)", num(rate), strings.Join(conds, ", "), rule.MaxPerHour)}}
		}
	case KindElectrolyte:
		return electrolyte(rule, substancesOfPlan(p), facts)
	}
	return nil
}

// evalAdministration applies one rule to a session; given are
// givenDoses(a) and planned planDoses of the session's plan (nil without
// one).
func evalAdministration(rule *Rule, a *clinic.Administration, given, planned []dose, facts Facts) []Finding {
	switch rule.Kind {
	case KindDoseBand:
		return doseBand(rule, given, weightFor(facts, a.WeightKg))
	case KindDoseRate:
		return doseRate(rule, given, adminHours(a), weightFor(facts, a.WeightKg))
	case KindAdministeredDose:
		if facts.Plan == nil {
			return nil
		}
		bySubstance := map[string]dose{}
		for _, d := range planned {
			bySubstance[d.substance] = d
		}
		var out []Finding
		for _, g := range given {
			p, ok := bySubstance[g.substance]
			if !ok {
				continue
			}
			gv, pv := comparable(g, p)
			if gv == nil || pv == nil || pv.Sign() == 0 {
				continue
			}
			// |given − planned| / planned, in percent.
			diff := new(big.Rat).Sub(gv, pv)
			pct := new(big.Rat).Quo(new(big.Rat).Mul(new(big.Rat).Abs(diff), big.NewRat(100, 1)), pv)
			if pct.Cmp(rule.tolerance) <= 0 {
				continue
			}
			// Less than planned is expected when a session stops early.
			if diff.Sign() < 0 && a.Status != "completed" {
				continue
			}
			word := "more"
			if diff.Sign() < 0 {
				word = "less"
			}
			out = append(out, Finding{Substances: []string{g.substance}, Detail: fmt.Sprintf(
				"%s: %s %s given, %s%% %s than the %s %s planned", g.substance, g.amount, g.unit, num(pct), word, p.amount, p.unit)})
		}
		return out
	case KindAdministeredUnplanned:
		if facts.Plan == nil {
			return nil
		}
		inPlan := set(append(substancesOfPlan(facts.Plan), facts.Plan.Formulation.Carrier.Fluid))
		var out []Finding
		for _, g := range given {
			if !inPlan[g.substance] {
				out = append(out, Finding{Substances: []string{g.substance}, Detail: fmt.Sprintf(
					"%s was given but is not in plan %s", g.substance, facts.Plan.ID)})
			}
		}
		return out
	case KindWeightChange:
		if facts.Plan == nil {
			return nil
		}
		return weightChange(rule, ratp(facts.Plan.DosingWeightKg), ratp(a.WeightKg), "the weight measured at the session")
	case KindAllergy:
		subs := substancesGiven(a)
		if facts.Plan != nil && a.Status != "not_done" {
			subs = append(subs, facts.Plan.Formulation.Carrier.Fluid)
		}
		return allergy(subs, facts)
	case KindInteraction:
		var others []string
		for _, o := range facts.OtherPlans {
			if facts.Plan == nil || o.ID != facts.Plan.ID {
				others = append(others, substancesOfPlan(o)...)
			}
		}
		return interaction(rule, substancesGiven(a), others)
	case KindElectrolyte:
		return electrolyte(rule, substancesGiven(a), facts)
	}
	return nil
}

// comparable returns two doses in one unit: mg when both have mass, else
// their amounts when the units are equal.
func comparable(a, b dose) (*big.Rat, *big.Rat) {
	if a.mg != nil && b.mg != nil {
		return a.mg, b.mg
	}
	if a.unit == b.unit {
		return rat(a.amount), rat(b.amount)
	}
	return nil, nil
}

func doseBand(rule *Rule, doses []dose, weight *big.Rat) []Finding {
	var out []Finding
	for _, d := range doses {
		if !rule.substanceIn[d.substance] || d.mg == nil {
			continue
		}
		switch rule.Basis {
		case "total":
			if d.mg.Cmp(rule.max) > 0 {
				out = append(out, Finding{Substances: []string{d.substance}, Detail: fmt.Sprintf(
					"%s %s mg per session, above %s %s", d.substance, num(d.mg), rule.Max, rule.Unit)})
			}
		case "per_kg":
			if weight == nil || weight.Sign() == 0 {
				continue
			}
			perKg := new(big.Rat).Quo(d.mg, weight)
			if perKg.Cmp(rule.max) > 0 {
				out = append(out, Finding{Substances: []string{d.substance}, Detail: fmt.Sprintf(
					"%s %s mg/kg per session (%s mg for %s kg), above %s %s/kg",
					d.substance, num(perKg), num(d.mg), num(weight), rule.Max, rule.Unit)})
			}
		}
	}
	return out
}

func doseRate(rule *Rule, doses []dose, hours, weight *big.Rat) []Finding {
	if hours == nil || hours.Sign() == 0 {
		return nil
	}
	var out []Finding
	for _, d := range doses {
		if !rule.substanceIn[d.substance] || d.mg == nil {
			continue
		}
		perHour := new(big.Rat).Quo(d.mg, hours)
		unit := "mg/h"
		if rule.Basis == "per_kg" {
			if weight == nil || weight.Sign() == 0 {
				continue
			}
			perHour.Quo(perHour, weight)
			unit = "mg/kg/h"
		}
		if perHour.Cmp(rule.max) > 0 {
			out = append(out, Finding{Substances: []string{d.substance}, Detail: fmt.Sprintf(
				"%s at %s %s, above %s %s", d.substance, num(perHour), unit, rule.Max, strings.Replace(unit, "mg", rule.Unit, 1))})
		}
	}
	return out
}

func patientWeight(facts Facts) *big.Rat {
	if facts.Patient == nil {
		return nil
	}
	return ratp(facts.Patient.WeightKg)
}

func weightChange(rule *Rule, planned, now *big.Rat, what string) []Finding {
	if planned == nil || now == nil || planned.Sign() == 0 {
		return nil
	}
	diff := new(big.Rat).Sub(now, planned)
	pct := new(big.Rat).Quo(new(big.Rat).Mul(new(big.Rat).Abs(diff), big.NewRat(100, 1)), planned)
	if pct.Cmp(rule.tolerance) <= 0 {
		return nil
	}
	return []Finding{{Detail: fmt.Sprintf("%s (%s kg) differs from the dosing weight (%s kg) by %s%%",
		what, num(now), num(planned), num(pct))}}
}

func allergy(substances []string, facts Facts) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, s := range substances {
		where, ok := facts.Allergens[s]
		if !ok || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, Finding{Substances: []string{s}, Detail: fmt.Sprintf(
			"%s is in the infusion and the patient is allergic to it (%s)", s, where)})
	}
	return out
}

func interaction(rule *Rule, own, others []string) []Finding {
	ownSet, otherSet := set(own), set(others)
	var a, b []string
	// The pair must involve the record itself: its own substances on one
	// side, its own or the patient's other medicines on the other.
	for s := range rule.substanceIn {
		for w := range rule.withIn {
			switch {
			case ownSet[s] && (ownSet[w] || otherSet[w]), ownSet[w] && otherSet[s]:
				a, b = append(a, s), append(b, w)
			}
		}
	}
	if len(a) == 0 {
		return nil
	}
	pairs := make([]string, len(a))
	subs := map[string]bool{}
	for i := range a {
		pairs[i] = a[i] + " with " + b[i]
		subs[a[i]], subs[b[i]] = true, true
	}
	sort.Strings(pairs)
	return []Finding{{Substances: sortedKeys(subs), Detail: strings.Join(pairs, "; ") + ": " + rule.Detail}}
}

func electrolyte(rule *Rule, substances []string, facts Facts) []Finding {
	conds := hasCondition(facts.Patient, rule.Conditions)
	if len(conds) == 0 {
		return nil
	}
	var hit []string
	for _, s := range substances {
		if rule.substanceIn[s] {
			hit = append(hit, s)
		}
	}
	if len(hit) == 0 {
		return nil
	}
	return []Finding{{Substances: hit, Detail: fmt.Sprintf("%s in a patient with %s: %s",
		strings.Join(hit, ", "), strings.Join(conds, ", "), rule.Detail)}}
}

func substancesOfPlan(p *clinic.Plan) []string {
	out := make([]string, 0, len(p.Formulation.Ingredients))
	for _, ing := range p.Formulation.Ingredients {
		out = append(out, ing.Substance)
	}
	return out
}

func substancesGiven(a *clinic.Administration) []string {
	out := make([]string, 0, len(a.Doses))
	for _, d := range a.Doses {
		out = append(out, d.Substance)
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
