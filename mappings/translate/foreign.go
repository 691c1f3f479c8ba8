package translate

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// Reading an order written by an EHR. The clinic's plan needs more than
// most orders say: a compounded bag (active ingredients + carrier fluid and
// its volume), a rate or duration, a course (count, period, start). Every
// gap and every code without a mapping is reported, all at once.

// carrierFluids are the substances that are a bag's carrier when an order
// does not flag its carrier with isActive false.
var carrierFluids = map[string]bool{"sodium_chloride_0_9": true, "lactated_ringers": true, "dextrose_5": true}

// orderIntents are the MedicationRequest intents that are orders the clinic
// can carry out.
var orderIntents = map[string]bool{"order": true, "original-order": true, "reflex-order": true,
	"filler-order": true, "instance-order": true, "plan": true}

var clinicIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// foreignIngredient is one ingredient of a foreign Medication.
type foreignIngredient struct {
	path      string
	substance string
	active    bool
	strength  *fhir.Ratio
}

func (t *Translator) foreignPlan(mr *r4.MedicationRequest, idx *inputIndex) (clinic.Record, error) {
	var probs problems
	const base = "MedicationRequest"
	p := &clinic.Plan{Header: clinic.Header{Kind: clinic.KindPlan, ID: mr.Id, Version: 1}}
	if !clinicIDPattern.MatchString(mr.Id) {
		probs.add(base+".id", fmt.Sprintf("%q cannot be a clinic id (1–64 of A-Za-z0-9._-)", mr.Id))
	}
	if mr.Meta != nil && mr.Meta.VersionId != nil {
		if v, err := strconv.Atoi(*mr.Meta.VersionId); err == nil && v > 0 {
			p.Version = v
		}
	}
	if s, ok := planStatusBack[mr.Status]; ok {
		p.Status = s
	} else {
		probs.add(base+".status", fmt.Sprintf("%q has no clinic plan status", mr.Status))
	}
	if !orderIntents[mr.Intent] {
		probs.add(base+".intent", fmt.Sprintf("%q is not an order", mr.Intent))
	}
	if mr.DoNotPerform != nil && *mr.DoNotPerform {
		probs.add(base+".doNotPerform", "a do-not-perform request is not a plan")
	}
	if _, err := clinic.ParseTime(mr.AuthoredOn); err != nil {
		probs.add(base+".authoredOn", "a date-time with seconds and offset is required: "+err.Error())
	} else {
		p.AuthoredAt = clinic.Time(mr.AuthoredOn)
	}
	resolve := idx.ownerResolver(t)
	var err error
	if p.Patient, err = t.refRecordID(&mr.Subject, clinic.KindPatient, "Patient", resolve); err != nil {
		probs.addErr(base+".subject", err)
	}
	if p.PrescriberID, err = t.refRecordID(mr.Requester, clinic.KindPractitioner, "Practitioner", resolve); err != nil {
		probs.addErr(base+".requester", err)
	}

	for i := range mr.ReasonCode {
		c, err := t.localCode(axCondition, &mr.ReasonCode[i])
		if err != nil {
			probs.addErr(fmt.Sprintf("%s.reasonCode[%d]", base, i), err)
			continue
		}
		p.Indications = append(p.Indications, c)
	}
	for i := range mr.ReasonReference {
		path := fmt.Sprintf("%s.reasonReference[%d]", base, i)
		cond, ok := t.lookupRef(mr.Contained, idx, &mr.ReasonReference[i]).(*r4.Condition)
		if !ok {
			probs.add(path, "not a Condition in the order or the bundle")
			continue
		}
		c, err := t.localCode(axCondition, cond.Code)
		if err != nil {
			probs.addErr(path, err)
			continue
		}
		p.Indications = append(p.Indications, c)
	}
	if len(mr.ReasonCode)+len(mr.ReasonReference) == 0 {
		probs.add(base+".reasonCode", "no indication: a plan needs at least one")
	}
	notes := make([]string, 0, len(mr.Note))
	for _, n := range mr.Note {
		if n.Text != "" {
			notes = append(notes, n.Text)
		}
	}
	p.Notes = strings.Join(notes, "\n\n")

	for i := range mr.SupportingInformation {
		obs, ok := t.lookupRef(mr.Contained, idx, &mr.SupportingInformation[i]).(*r4.Observation)
		if !ok || !hasCoding(&obs.Code, sysLOINC, loincBodyWeight) {
			continue
		}
		if d, ok := decimalOf(obs.ValueQuantity); ok && str(obs.ValueQuantity.Code) == "kg" {
			p.DosingWeightKg = &d
		} else {
			probs.add(fmt.Sprintf("%s.supportingInformation[%d]", base, i), "body weight must be a value in kg")
		}
	}

	ings, name := t.foreignMedication(mr, idx, &probs)
	p.Formulation.Name = name
	var actives []foreignIngredient
	for _, in := range ings {
		if !in.active {
			if p.Formulation.Carrier.Fluid != "" {
				probs.add(in.path, "a second carrier fluid; a plan has one bag")
				continue
			}
			p.Formulation.Carrier.Fluid = in.substance
			if in.strength != nil && in.strength.Numerator != nil && str(in.strength.Numerator.Code) == "mL" {
				if d, ok := decimalOf(in.strength.Numerator); ok && p.Formulation.Carrier.VolumeML == "" {
					p.Formulation.Carrier.VolumeML = d
				}
			}
			continue
		}
		actives = append(actives, in)
	}
	if p.Formulation.Carrier.Fluid == "" && len(ings) > 0 {
		probs.add(base+".medication", "the order names no carrier fluid (an ingredient with isActive false, or sodium chloride 0.9%, lactated Ringer's or dextrose 5%)")
	}
	if len(actives) == 0 && len(ings) > 0 {
		probs.add(base+".medication", "the order names no active ingredient")
	}
	if med := t.medicationOf(mr, idx); med != nil && med.Amount != nil && med.Amount.Numerator != nil {
		if d, ok := decimalOf(med.Amount.Numerator); ok && str(med.Amount.Numerator.Code) == "mL" {
			p.Formulation.Carrier.VolumeML = d
		}
	}
	if p.Formulation.Carrier.VolumeML == "" {
		// Strengths written as amount per bag volume (domain.md 2.2) name the
		// bag volume; per-1-mL concentrations do not, and denominators that
		// disagree leave it unknown.
		var volume clinic.Decimal
		for _, in := range actives {
			if in.strength == nil || in.strength.Denominator == nil || str(in.strength.Denominator.Code) != "mL" {
				continue
			}
			d, ok := decimalOf(in.strength.Denominator)
			if !ok || d.Sign() <= 0 {
				continue
			}
			if c, _ := cmpDecimal(d, "1"); c == 0 {
				continue
			}
			if volume != "" {
				if c, _ := cmpDecimal(d, volume); c != 0 {
					volume = ""
					break
				}
				continue
			}
			volume = d
		}
		p.Formulation.Carrier.VolumeML = volume
	}

	var dosage *fhir.Dosage
	switch len(mr.DosageInstruction) {
	case 0:
		probs.add(base+".dosageInstruction", "missing: rate and schedule come from it")
	case 1:
		dosage = &mr.DosageInstruction[0]
	default:
		dosage = &mr.DosageInstruction[0]
		for i := 1; i < len(mr.DosageInstruction); i++ {
			if seq := mr.DosageInstruction[i].Sequence; seq == nil || dosage.Sequence == nil || *seq != *dosage.Sequence {
				probs.add(fmt.Sprintf("%s.dosageInstruction[%d]", base, i), "a sequence of different dosages (tapering, loading dose) has no clinic equivalent")
			}
		}
	}
	for i, in := range actives {
		ing := clinic.Ingredient{Substance: in.substance}
		var dose *fhir.Quantity
		if dosage != nil && len(actives) == 1 {
			dose = orderedDose(dosage)
			if dose != nil && str(dose.Code) == "mL" && in.strength != nil {
				// a volume of the bag, not an amount of the ingredient: the
				// strength gives the amount, the dose the bag volume
				if v, ok := decimalOf(dose); ok && p.Formulation.Carrier.VolumeML == "" {
					p.Formulation.Carrier.VolumeML = v
				}
				dose = nil
			}
			if dosage.MaxDosePerAdministration != nil {
				if m, ok := decimalOf(dosage.MaxDosePerAdministration); ok {
					ing.MaxAmount = &m
				}
			}
		}
		if err := t.foreignAmount(&ing, in, dose, p.Formulation.Carrier.VolumeML); err != nil {
			probs.addErr(fmt.Sprintf("%s (ingredient %d, %s)", in.path, i, in.substance), err)
		}
		if ing.IsPerKg() && p.DosingWeightKg == nil {
			probs.add(base+".supportingInformation", "a per-kg dose needs a body weight Observation (LOINC 29463-7, kg)")
		}
		p.Formulation.Ingredients = append(p.Formulation.Ingredients, ing)
	}
	if p.Formulation.Carrier.VolumeML == "" && len(ings) > 0 {
		probs.add(base+".medication", "no bag volume: Medication.amount or ingredient strengths in mL, or an ordered dose in mL, are needed")
	}
	if dosage != nil {
		t.foreignSchedule(dosage, mr, p, &probs)
	}
	if len(probs.list) == 0 {
		if err := clinic.Validate(p); err != nil {
			var ve *clinic.ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Errors {
					probs.add("plan."+fe.Path, fe.Message)
				}
			} else {
				probs.addErr("plan", err)
			}
		}
	}
	if err := probs.err("MedicationRequest/" + mr.Id); err != nil {
		return nil, err
	}
	return p, nil
}

// ownerResolver resolves references to resources of the input that carry
// the clinic identifier.
func (c *inputIndex) ownerResolver(t *Translator) func(string) (owner, bool) {
	return func(ref string) (owner, bool) {
		r, ok := c.resolve(ref)
		if !ok {
			return owner{}, false
		}
		return t.ownerOf(identifiersOf(r))
	}
}

// lookupRef finds what a reference points at: a contained resource for
// "#id", else a resource of the input.
func (t *Translator) lookupRef(contained []r4.Resource, idx *inputIndex, ref *fhir.Reference) r4.Resource {
	if ref == nil || ref.Reference == nil {
		return nil
	}
	if strings.HasPrefix(*ref.Reference, "#") {
		return containedByRef(contained, ref)
	}
	r, _ := idx.resolve(*ref.Reference)
	return r
}

func (t *Translator) medicationOf(mr *r4.MedicationRequest, idx *inputIndex) *r4.Medication {
	med, _ := t.lookupRef(mr.Contained, idx, mr.MedicationReference).(*r4.Medication)
	return med
}

// foreignMedication reads the order's medication as ingredients, and a name
// for the formulation.
func (t *Translator) foreignMedication(mr *r4.MedicationRequest, idx *inputIndex, probs *problems) ([]foreignIngredient, string) {
	const base = "MedicationRequest"
	switch {
	case mr.MedicationCodeableConcept != nil:
		path := base + ".medicationCodeableConcept"
		s, err := t.localCode(axSubstance, mr.MedicationCodeableConcept)
		if err != nil {
			probs.addErr(path, err)
			return nil, conceptName(mr.MedicationCodeableConcept)
		}
		return []foreignIngredient{{path: path, substance: s, active: !carrierFluids[s]}}, conceptName(mr.MedicationCodeableConcept)
	case mr.MedicationReference != nil:
		path := base + ".medicationReference"
		med := t.medicationOf(mr, idx)
		if med == nil {
			probs.add(path, fmt.Sprintf("%s is neither contained nor in the bundle", str(mr.MedicationReference.Reference)))
			return nil, ""
		}
		name := conceptName(med.Code)
		if len(med.Ingredient) == 0 {
			// a single-substance product coded at ingredient level
			s, err := t.localCode(axSubstance, med.Code)
			if err != nil {
				probs.addErr(path+"→Medication.code", err)
				return nil, name
			}
			return []foreignIngredient{{path: path + "→Medication.code", substance: s, active: !carrierFluids[s], strength: med.Amount}}, name
		}
		var out []foreignIngredient
		n := 0
		for i, ing := range med.Ingredient {
			ipath := fmt.Sprintf("%s→Medication.ingredient[%d]", path, i)
			cc := ing.ItemCodeableConcept
			if cc == nil && ing.ItemReference != nil {
				if m, ok := t.lookupRef(med.Contained, idx, ing.ItemReference).(*r4.Medication); ok {
					cc = m.Code
				}
			}
			if cc == nil {
				probs.add(ipath+".item", "not a coded ingredient")
				continue
			}
			s, err := t.localCode(axSubstance, cc)
			if err != nil {
				probs.addErr(ipath+".item", err)
				continue
			}
			active := ing.IsActive == nil || *ing.IsActive
			out = append(out, foreignIngredient{path: ipath, substance: s, active: active, strength: ing.Strength})
			if active && !carrierFluids[s] {
				n++
			}
		}
		// With no isActive flags, a carrier fluid beside other actives is the
		// carrier.
		if n > 0 {
			for i := range out {
				if out[i].active && carrierFluids[out[i].substance] && !hasInactive(out) {
					out[i].active = false
					break
				}
			}
		}
		if name == "" {
			name = t.formulationName(out)
		}
		return out, name
	}
	probs.add(base+".medication[x]", "missing")
	return nil, ""
}

func hasInactive(ings []foreignIngredient) bool {
	for _, in := range ings {
		if !in.active {
			return true
		}
	}
	return false
}

func conceptName(cc *fhir.CodeableConcept) string {
	if cc == nil {
		return ""
	}
	if cc.Text != nil && *cc.Text != "" {
		return *cc.Text
	}
	for _, c := range cc.Coding {
		if c.Display != nil && *c.Display != "" {
			return *c.Display
		}
	}
	return ""
}

// orderedDose is the Dosage's ordered dose (or its only untyped dose).
func orderedDose(d *fhir.Dosage) *fhir.Quantity {
	for _, dr := range d.DoseAndRate {
		if dr.DoseQuantity != nil && (dr.Type == nil || hasCoding(dr.Type, sysDoseRateType, "ordered")) {
			return dr.DoseQuantity
		}
	}
	return nil
}

// foreignAmount sets an ingredient's amount and unit: from the ordered dose
// of a single-ingredient order (mg/kg makes it per kg), else from its
// strength scaled to the bag volume, exactly.
func (t *Translator) foreignAmount(ing *clinic.Ingredient, in foreignIngredient, dose *fhir.Quantity, bag clinic.Decimal) error {
	if dose != nil {
		v, ok := decimalOf(dose)
		if !ok {
			return errors.New("the ordered dose has no value")
		}
		if str(dose.System) != sysUCUM {
			return fmt.Errorf("the ordered dose unit %q is not UCUM", str(dose.Code))
		}
		code := str(dose.Code)
		if b, ok := strings.CutSuffix(code, "/kg"); ok {
			code = b
			ing.PerKg = ptr(true)
		}
		u, err := t.localUnit(code)
		if err != nil {
			return err
		}
		ing.Amount, ing.Unit = v, u
		return nil
	}
	s := in.strength
	if s == nil || s.Numerator == nil {
		return errors.New("no strength and no ordered dose: the amount in the bag is unknown")
	}
	num, ok := decimalOf(s.Numerator)
	if !ok || str(s.Numerator.System) != sysUCUM {
		return errors.New("strength numerator needs a value in UCUM")
	}
	u, err := t.localUnit(str(s.Numerator.Code))
	if err != nil {
		return err
	}
	ing.Unit = u
	if s.Denominator == nil {
		ing.Amount = num
		return nil
	}
	den, ok := decimalOf(s.Denominator)
	if !ok || str(s.Denominator.Code) != "mL" || den.Sign() <= 0 {
		return fmt.Errorf("strength denominator must be a volume in mL, got %q", str(s.Denominator.Code))
	}
	if bag == "" {
		return errors.New("strength per volume but no bag volume")
	}
	rn, _ := decimalRat(num)
	rd, _ := decimalRat(den)
	rb, _ := decimalRat(bag)
	if rd.Cmp(rb) == 0 {
		ing.Amount = num // the strength is already per bag: keep the literal
		return nil
	}
	amount, err := formatRat(new(big.Rat).Quo(new(big.Rat).Mul(rn, rb), rd))
	if err != nil {
		return fmt.Errorf("amount in the bag: %w", err)
	}
	ing.Amount = clinic.Decimal(amount)
	return nil
}

// foreignSchedule reads rate and course from the order's Dosage.
func (t *Translator) foreignSchedule(d *fhir.Dosage, mr *r4.MedicationRequest, p *clinic.Plan, probs *problems) {
	const base = "MedicationRequest.dosageInstruction[0]"
	for i, dr := range d.DoseAndRate {
		path := fmt.Sprintf("%s.doseAndRate[%d]", base, i)
		switch {
		case dr.RateQuantity != nil:
			q := dr.RateQuantity
			if v, ok := decimalOf(q); ok && str(q.Code) == "mL/h" {
				p.Rate.MLPerHour = &v
			} else {
				probs.add(path+".rateQuantity", fmt.Sprintf("a rate in %q: only mL/h maps", str(q.Code)))
			}
		case dr.RateRatio != nil:
			v, err := mlPerHour(dr.RateRatio)
			if err != nil {
				probs.addErr(path+".rateRatio", err)
			} else {
				p.Rate.MLPerHour = &v
			}
		case dr.RateRange != nil:
			probs.add(path+".rateRange", "a rate range has no clinic equivalent")
		}
	}
	if d.Timing == nil || d.Timing.Repeat == nil {
		probs.add(base+".timing.repeat", "missing: sessions, period and start come from it")
		return
	}
	r := d.Timing.Repeat
	if r.Duration != nil {
		dur := clinic.Decimal(*r.Duration)
		switch str(r.DurationUnit) {
		case "min":
		case "h":
			m, err := mulDecimal(dur, "60")
			if err != nil {
				probs.addErr(base+".timing.repeat.duration", err)
			}
			dur = m
		default:
			probs.add(base+".timing.repeat.durationUnit", fmt.Sprintf("%q: only min and h map", str(r.DurationUnit)))
		}
		if p.Rate.MLPerHour == nil {
			p.Rate.DurationMinutes = &dur
		}
	}
	if p.Rate.MLPerHour == nil && p.Rate.DurationMinutes == nil {
		probs.add(base, "neither a rate in mL/h nor an infusion duration")
	}
	if r.Count != nil {
		p.Schedule.Sessions = *r.Count
	} else {
		probs.add(base+".timing.repeat.count", "missing: the number of sessions")
	}
	if r.Frequency != nil && *r.Frequency != 1 {
		probs.add(base+".timing.repeat.frequency", fmt.Sprintf("%d per period: the clinic gives one infusion per period", *r.Frequency))
	}
	if r.Period == nil {
		probs.add(base+".timing.repeat.period", "missing")
	} else if n, ok := wholeNumber(string(*r.Period)); !ok {
		probs.add(base+".timing.repeat.period", fmt.Sprintf("%s: a whole number of periods (1 or more) is needed", *r.Period))
	} else {
		p.Schedule.Every = n
	}
	if u, ok := periodUnitBack[str(r.PeriodUnit)]; ok {
		p.Schedule.Period = u
	} else {
		probs.add(base+".timing.repeat.periodUnit", fmt.Sprintf("%q: only d, wk and mo map", str(r.PeriodUnit)))
	}
	var start, end string
	if r.BoundsPeriod != nil {
		start, end = str(r.BoundsPeriod.Start), str(r.BoundsPeriod.End)
	}
	if start == "" && mr.DispenseRequest != nil && mr.DispenseRequest.ValidityPeriod != nil {
		start, end = str(mr.DispenseRequest.ValidityPeriod.Start), str(mr.DispenseRequest.ValidityPeriod.End)
	}
	if start == "" {
		probs.add(base+".timing.repeat.boundsPeriod.start", "missing: the course's start date")
	} else if d, err := clinic.ParseDate(datePart(start)); err != nil {
		probs.addErr(base+".timing.repeat.boundsPeriod.start", err)
	} else {
		p.Schedule.StartDate = d
	}
	if end != "" {
		if d, err := clinic.ParseDate(datePart(end)); err != nil {
			probs.addErr(base+".timing.repeat.boundsPeriod.end", err)
		} else {
			p.Schedule.EndDate = d
		}
	}
}

// wholeNumber reads a decimal that is a whole number from 1 to 10^6 ("2",
// "2.0").
func wholeNumber(s string) (int, bool) {
	if !exponentInRange(s) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() || r.Sign() <= 0 || r.Num().Cmp(big.NewInt(1_000_000)) > 0 {
		return 0, false
	}
	return int(r.Num().Int64()), true
}

// datePart is the YYYY-MM-DD of a FHIR date or dateTime.
func datePart(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

// mlPerHour turns a Ratio of mL per time into mL/h, exactly.
func mlPerHour(r *fhir.Ratio) (clinic.Decimal, error) {
	if r.Numerator == nil || r.Denominator == nil || str(r.Numerator.Code) != "mL" {
		return "", errors.New("only a volume (mL) per time maps to a pump rate")
	}
	n, ok1 := decimalOf(r.Numerator)
	d, ok2 := decimalOf(r.Denominator)
	if !ok1 || !ok2 || d.Sign() <= 0 {
		return "", errors.New("rate needs values")
	}
	var perHour *big.Rat
	switch str(r.Denominator.Code) {
	case "h":
		perHour = big.NewRat(1, 1)
	case "min":
		perHour = big.NewRat(60, 1)
	default:
		return "", fmt.Errorf("time unit %q: only h and min map", str(r.Denominator.Code))
	}
	rn, _ := decimalRat(n)
	rd, _ := decimalRat(d)
	if perHour.Cmp(big.NewRat(1, 1)) == 0 && rd.Cmp(big.NewRat(1, 1)) == 0 {
		return n, nil // 100 mL per 1 h: keep the literal
	}
	s, err := formatRat(new(big.Rat).Quo(new(big.Rat).Mul(rn, perHour), rd))
	if err != nil {
		return "", err
	}
	return clinic.Decimal(s), nil
}

// formulationName names a bag by its ingredients in the clinic's wording,
// e.g. "cyanocobalamin in sodium chloride 0.9%".
func (t *Translator) formulationName(ings []foreignIngredient) string {
	var actives, carriers []string
	for _, in := range ings {
		text := in.substance
		if c, err := t.terms.Lookup(axSubstance.term, in.substance); err == nil && c.Text != "" {
			text = c.Text
		}
		if in.active {
			actives = append(actives, text)
		} else {
			carriers = append(carriers, text)
		}
	}
	name := strings.Join(actives, " + ")
	if len(carriers) > 0 {
		name += " in " + strings.Join(carriers, " + ")
	}
	return name
}
