package translate

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// gen builds random valid clinic records that exercise the literal-keeping
// rules: trailing zeros, exponents, offsets such as +00:00, fractional
// seconds, empty-vs-absent optional fields and repeated list items.
type gen struct{ r *rand.Rand }

func (g gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g gen) chance(p float64) bool { return g.r.Float64() < p }

func (g gen) id() string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
	n := 1 + g.r.IntN(20)
	var b strings.Builder
	for range n {
		b.WriteByte(chars[g.r.IntN(len(chars))])
	}
	return b.String()
}

func (g gen) text() string {
	words := []string{"Maria", "O'Neil", "Zoë", "<b>", "a & b", `"quoted"`, "Dr.", "Ōkafor", "x", "line\nbreak", "tab\there", "émile", "李"}
	n := 1 + g.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.pick(words)
	}
	return strings.Join(parts, " ")
}

// decimal writes a positive number in one of the literal forms JSON allows.
func (g gen) decimal() clinic.Decimal {
	whole := g.r.IntN(500)
	switch g.r.IntN(6) {
	case 0:
		return clinic.Decimal(fmt.Sprint(whole + 1))
	case 1:
		return clinic.Decimal(fmt.Sprintf("%d.%02d", whole, 1+g.r.IntN(99)))
	case 2:
		return clinic.Decimal(fmt.Sprintf("%d.%d0", whole, 1+g.r.IntN(9))) // trailing zero
	case 3:
		return clinic.Decimal(fmt.Sprintf("%d.000", whole+1))
	case 4:
		return clinic.Decimal(fmt.Sprintf("0.%03d", 1+g.r.IntN(999)))
	default:
		return clinic.Decimal(fmt.Sprintf("%de%d", 1+g.r.IntN(9), g.r.IntN(3)))
	}
}

func (g gen) optDecimal() *clinic.Decimal {
	if g.chance(0.5) {
		return nil
	}
	d := g.decimal()
	return &d
}

func (g gen) date(year int) clinic.Date {
	return clinic.Date(fmt.Sprintf("%04d-%02d-%02d", year, 1+g.r.IntN(12), 1+g.r.IntN(28)))
}

// timePair returns two times on one day with the same offset, start < end.
func (g gen) timePair() (clinic.Time, clinic.Time) {
	offsets := []string{"Z", "+00:00", "-05:00", "+05:30", "-08:00", "+14:00", "-12:00"}
	off := g.pick(offsets)
	day := fmt.Sprintf("2026-%02d-%02d", 1+g.r.IntN(12), 1+g.r.IntN(28))
	h := g.r.IntN(20)
	frac := ""
	if g.chance(0.3) {
		frac = g.pick([]string{".250", ".5", ".000", ".123456789"})
	}
	start := clinic.Time(fmt.Sprintf("%sT%02d:%02d:%02d%s%s", day, h, g.r.IntN(60), g.r.IntN(60), frac, off))
	end := clinic.Time(fmt.Sprintf("%sT%02d:%02d:%02d%s", day, h+1+g.r.IntN(3), g.r.IntN(60), g.r.IntN(60), off))
	return start, end
}

func (g gen) codes(list string, min, max int) []string {
	all := clinic.CodeList(list)
	n := min + g.r.IntN(max-min+1)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = g.pick(all)
	}
	return out
}

func (g gen) boolPtr() *bool {
	switch g.r.IntN(3) {
	case 0:
		return nil
	case 1:
		return ptr(false)
	}
	return ptr(true)
}

func (g gen) header(k clinic.Kind) clinic.Header {
	return clinic.Header{Kind: k, ID: g.id(), Version: 1 + g.r.IntN(1000)}
}

func (g gen) record() clinic.Record {
	switch g.r.IntN(5) {
	case 0:
		return g.patient()
	case 1:
		return g.practitioner()
	case 2:
		return g.plan()
	case 3:
		return g.administration()
	}
	return g.reaction()
}

func (g gen) patient() *clinic.Patient {
	p := &clinic.Patient{
		Header:     g.header(clinic.KindPatient),
		MRN:        "MRN-" + g.id(),
		GivenNames: []string{g.text()},
		FamilyName: g.text(),
		BirthDate:  g.date(1920 + g.r.IntN(100)),
		Sex:        g.pick(clinic.CodeList("sex")),
		WeightKg:   g.optDecimal(),
		Conditions: g.codes("condition", 0, 4),
	}
	if g.chance(0.3) {
		p.GivenNames = append(p.GivenNames, g.text())
	}
	for range g.r.IntN(3) {
		a := clinic.Allergy{Substance: g.pick(clinic.CodeList("substance"))}
		if g.chance(0.5) {
			a.Reaction = g.pick(clinic.CodeList("manifestation"))
		}
		if g.chance(0.5) {
			a.Severity = g.pick(clinic.CodeList("severity"))
		}
		p.Allergies = append(p.Allergies, a)
	}
	if g.chance(0.5) {
		p.Phone = "+1-555-" + fmt.Sprint(1000+g.r.IntN(9000))
	}
	if g.chance(0.5) {
		p.Email = "p" + fmt.Sprint(g.r.IntN(1000)) + "@example.org"
	}
	return p
}

func (g gen) practitioner() *clinic.Practitioner {
	p := &clinic.Practitioner{
		Header:     g.header(clinic.KindPractitioner),
		GivenNames: []string{g.text()},
		FamilyName: g.text(),
		Role:       g.pick(clinic.CodeList("role")),
	}
	if g.chance(0.5) {
		p.NPI = fmt.Sprintf("%010d", g.r.IntN(1e9))
	}
	return p
}

func (g gen) plan() *clinic.Plan {
	authored, _ := g.timePair()
	p := &clinic.Plan{
		Header:       g.header(clinic.KindPlan),
		Patient:      g.id(),
		PrescriberID: g.id(),
		Status:       g.pick(clinic.CodeList("plan.status")),
		AuthoredAt:   authored,
		Indications:  g.codes("condition", 1, 3),
		Formulation: clinic.Formulation{
			Name:    g.text(),
			Carrier: clinic.Carrier{Fluid: g.pick([]string{"sodium_chloride_0_9", "lactated_ringers", "dextrose_5"}), VolumeML: g.decimal()},
		},
		Schedule: clinic.Schedule{
			Sessions:  1 + g.r.IntN(20),
			Every:     1 + g.r.IntN(4),
			Period:    g.pick(clinic.CodeList("schedule.period")),
			StartDate: g.date(2026),
		},
	}
	if g.chance(0.5) {
		p.Schedule.EndDate = "2027-01-01"
	}
	perKg := false
	for range 1 + g.r.IntN(4) {
		in := clinic.Ingredient{
			Substance: g.pick(clinic.CodeList("substance")),
			Amount:    g.decimal(),
			Unit:      g.pick(clinic.CodeList("unit")),
			PerKg:     g.boolPtr(),
			MaxAmount: g.optDecimal(),
		}
		perKg = perKg || in.IsPerKg()
		p.Formulation.Ingredients = append(p.Formulation.Ingredients, in)
	}
	if perKg || g.chance(0.3) {
		d := g.decimal()
		p.DosingWeightKg = &d
	}
	if g.chance(0.5) {
		d := g.decimal()
		p.Rate.MLPerHour = &d
	} else {
		d := g.decimal()
		p.Rate.DurationMinutes = &d
	}
	if g.chance(0.5) {
		p.Notes = g.text()
	}
	return p
}

func (g gen) administration() *clinic.Administration {
	a := &clinic.Administration{
		Header:        g.header(clinic.KindAdministration),
		PlanID:        g.id(),
		Patient:       g.id(),
		SessionNumber: 1 + g.r.IntN(10),
		Status:        g.pick(clinic.CodeList("administration.status")),
		PerformerID:   g.id(),
	}
	start, end := g.timePair()
	if a.Status != "not_done" {
		a.StartedAt = start
		if a.Status != "in_progress" {
			a.EndedAt = end
		}
		a.Site = g.pick(clinic.CodeList("site"))
		v := g.decimal()
		if g.chance(0.1) {
			v = "0"
		}
		a.VolumeInfusedML = &v
		for range 1 + g.r.IntN(3) {
			a.Doses = append(a.Doses, clinic.Dose{Substance: g.pick(clinic.CodeList("substance")), Amount: g.decimal(), Unit: g.pick(clinic.CodeList("unit"))})
		}
	}
	if a.Status == "stopped" || a.Status == "not_done" || g.chance(0.2) {
		a.StatusReason = g.pick(clinic.CodeList("status_reason"))
	}
	a.RateMLPerHour = g.optDecimal()
	a.WeightKg = g.optDecimal()
	if g.chance(0.5) {
		a.PainBefore = ptr(g.r.IntN(11))
	}
	if g.chance(0.5) {
		a.PainAfter = ptr(g.r.IntN(11))
	}
	if g.chance(0.5) {
		a.Notes = g.text()
	}
	return a
}

func (g gen) reaction() *clinic.Reaction {
	onset, recorded := g.timePair()
	r := &clinic.Reaction{
		Header:              g.header(clinic.KindReaction),
		Patient:             g.id(),
		Category:            g.pick(clinic.CodeList("category")),
		Manifestations:      g.codes("manifestation", 1, 4),
		Severity:            g.pick(clinic.CodeList("severity")),
		Serious:             g.chance(0.3),
		OnsetAt:             onset,
		RecordedAt:          recorded,
		SuspectedSubstances: g.codes("substance", 0, 3),
		ActionTaken:         g.pick(clinic.CodeList("action_taken")),
		Outcome:             g.pick(clinic.CodeList("outcome")),
		IsAllergy:           g.boolPtr(),
	}
	if g.chance(0.5) {
		r.AdministrationID = g.id()
	}
	if g.chance(0.5) {
		r.Notes = g.text()
	}
	return r
}
