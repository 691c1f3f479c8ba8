package translate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// Contained resource ids inside a plan's MedicationRequest.
const (
	containedMedication   = "med"
	containedDosingWeight = "dosing-weight"
)

// planStatus maps clinic plan statuses to MedicationRequest.status.
var planStatus = map[string]string{
	"draft":            "draft",
	"active":           "active",
	"on_hold":          "on-hold",
	"completed":        "completed",
	"cancelled":        "cancelled",
	"entered_in_error": "entered-in-error",
}

// periodUnit maps the clinic's schedule period to UCUM units-of-time.
var periodUnit = map[string]string{"day": "d", "week": "wk", "month": "mo"}

func reverseMap(m map[string]string) map[string]string {
	r := make(map[string]string, len(m))
	for k, v := range m {
		r[v] = k
	}
	return r
}

var (
	planStatusBack = reverseMap(planStatus)
	periodUnitBack = reverseMap(periodUnit)
)

func doseRateType(code, display string) *fhir.CodeableConcept {
	return fixedConcept(sysDoseRateType, code, display)
}

func (t *Translator) ivRoute() *fhir.CodeableConcept { return t.fixed.route }

func (t *Translator) planToFHIR(p *clinic.Plan) ([]r4.Resource, error) {
	var probs problems
	k := clinic.KindPlan
	subject := t.ref("Patient", clinic.KindPatient, p.Patient)

	status, ok := planStatus[p.Status]
	if !ok {
		probs.add("status", fmt.Sprintf("unknown plan status %q", p.Status))
	}
	mr := &r4.MedicationRequest{
		Id:                  t.ID("MedicationRequest", k, p.ID),
		Extension:           []fhir.Extension{t.versionExt(p.Version)},
		Identifier:          t.identifiers(k, p.ID, ""),
		Status:              status,
		Intent:              "order",
		Category:            []fhir.CodeableConcept{*fixedConcept(sysMRCategory, "outpatient", "Outpatient")},
		MedicationReference: ptr(r4.LocalRef(containedMedication)),
		Subject:             subject,
		AuthoredOn:          string(p.AuthoredAt),
		Requester:           t.refPtr("Practitioner", clinic.KindPractitioner, p.PrescriberID),
	}
	for i, ind := range p.Indications {
		cc, err := t.concept(axCondition, ind)
		if err != nil {
			probs.addErr(fmt.Sprintf("indications[%d]", i), err)
			continue
		}
		mr.ReasonCode = append(mr.ReasonCode, *cc)
	}
	if p.Notes != "" {
		mr.Note = []fhir.Annotation{{Text: p.Notes}}
	}

	f := p.Formulation
	bag := clinic.Decimal(f.Carrier.VolumeML)
	med := &r4.Medication{
		Id:     containedMedication,
		Code:   &fhir.CodeableConcept{Text: ptr(f.Name)},
		Form:   t.fixed.doseForm,
		Amount: &fhir.Ratio{Numerator: ucumQuantity(bag, "mL", "mL"), Denominator: &fhir.Quantity{Value: num("1"), Unit: ptr("bag")}},
	}

	repeat := &fhir.TimingRepeat{
		BoundsPeriod: &fhir.Period{Start: ptr(string(p.Schedule.StartDate))},
		Count:        ptr(p.Schedule.Sessions),
		Frequency:    ptr(1),
		Period:       ptr(json.Number(strconv.Itoa(p.Schedule.Every))),
	}
	if u, ok := periodUnit[p.Schedule.Period]; ok {
		repeat.PeriodUnit = ptr(u)
	} else {
		probs.add("schedule.period", fmt.Sprintf("unknown period %q", p.Schedule.Period))
	}
	validity := &fhir.Period{Start: ptr(string(p.Schedule.StartDate))}
	if p.Schedule.EndDate != "" {
		repeat.BoundsPeriod.End = ptr(string(p.Schedule.EndDate))
		validity.End = ptr(string(p.Schedule.EndDate))
	}
	mr.DispenseRequest = &r4.MedicationRequestDispenseRequest{ValidityPeriod: validity}
	var rateQty *fhir.Quantity
	rateText := ""
	switch {
	case p.Rate.MLPerHour != nil && p.Rate.DurationMinutes == nil:
		rateQty = ucumQuantity(*p.Rate.MLPerHour, "mL/h", "mL/h")
		rateText = "at " + string(*p.Rate.MLPerHour) + " mL/h"
	case p.Rate.DurationMinutes != nil && p.Rate.MLPerHour == nil:
		repeat.Duration = num(*p.Rate.DurationMinutes)
		repeat.DurationUnit = ptr("min")
		rateText = "over " + string(*p.Rate.DurationMinutes) + " min"
	default:
		probs.add("rate", "exactly one of ml_per_hour and duration_minutes is required")
	}
	fluid, err := t.concept(axSubstance, f.Carrier.Fluid)
	if err != nil {
		probs.addErr("formulation.carrier.fluid", err)
		fluid = &fhir.CodeableConcept{Text: ptr(f.Carrier.Fluid)}
	}
	scheduleText := fmt.Sprintf("%s; %d session(s), every %d %s from %s", rateText, p.Schedule.Sessions,
		p.Schedule.Every, p.Schedule.Period, p.Schedule.StartDate)
	if p.Schedule.EndDate != "" {
		scheduleText += " to " + string(p.Schedule.EndDate)
	}

	for i, ing := range f.Ingredients {
		path := fmt.Sprintf("formulation.ingredients[%d]", i)
		item, err := t.concept(axSubstance, ing.Substance)
		if err != nil {
			probs.addErr(path+".substance", err)
			continue
		}
		ucum, err := t.unit(ing.Unit)
		if err != nil {
			probs.addErr(path+".unit", err)
			continue
		}
		inBag := ing.Amount // the absolute amount in the bag
		ordered := ucumQuantity(ing.Amount, ing.Unit, ucum)
		dosage := fhir.Dosage{
			Extension: []fhir.Extension{{Url: t.urls.dosageIngredient, ValueCodeableConcept: item}},
			Sequence:  ptr(1),
			Timing:    &fhir.Timing{Repeat: repeat},
			Route:     t.ivRoute(),
		}
		var sig strings.Builder
		sig.WriteString(str(item.Text) + " " + string(ing.Amount) + " " + ing.Unit)
		if ing.IsPerKg() {
			ordered = ucumQuantity(ing.Amount, ing.Unit+"/kg", ucum+"/kg")
			sig.WriteString("/kg")
			if p.DosingWeightKg == nil {
				probs.add(path+".per_kg", "a per-kg ingredient needs dosing_weight_kg")
				continue
			}
			calc, err := mulDecimal(ing.Amount, *p.DosingWeightKg)
			if err != nil {
				probs.addErr(path+".amount", err)
				continue
			}
			if ing.MaxAmount != nil {
				if c, err := cmpDecimal(calc, *ing.MaxAmount); err != nil {
					probs.addErr(path+".max_amount", err)
					continue
				} else if c > 0 {
					calc = *ing.MaxAmount
				}
			}
			inBag = calc
			fmt.Fprintf(&sig, " × %s kg = %s %s", *p.DosingWeightKg, calc, ing.Unit)
		} else if ing.PerKg != nil {
			dosage.Extension = append(dosage.Extension, fhir.Extension{Url: t.urls.perKg, ValueBoolean: ptr(false)})
		}
		if ing.MaxAmount != nil {
			dosage.MaxDosePerAdministration = ucumQuantity(*ing.MaxAmount, ing.Unit, ucum)
			fmt.Fprintf(&sig, " (max %s %s)", *ing.MaxAmount, ing.Unit)
		}
		fmt.Fprintf(&sig, " in %s %s mL IV %s", str(fluid.Text), bag, scheduleText)
		dosage.Text = ptr(sig.String())
		dosage.DoseAndRate = []fhir.DosageDoseAndRate{{
			Type:         doseRateType("ordered", "Ordered"),
			DoseQuantity: ordered,
			RateQuantity: rateQty,
		}}
		if ing.IsPerKg() {
			dosage.DoseAndRate = append(dosage.DoseAndRate, fhir.DosageDoseAndRate{
				Type:         doseRateType("calculated", "Calculated"),
				DoseQuantity: ucumQuantity(inBag, ing.Unit, ucum),
			})
		}
		mr.DosageInstruction = append(mr.DosageInstruction, dosage)
		med.Ingredient = append(med.Ingredient, r4.MedicationIngredient{
			ItemCodeableConcept: item,
			IsActive:            ptr(true),
			Strength:            &fhir.Ratio{Numerator: ucumQuantity(inBag, ing.Unit, ucum), Denominator: ucumQuantity(bag, "mL", "mL")},
		})
	}
	med.Ingredient = append(med.Ingredient, r4.MedicationIngredient{ItemCodeableConcept: fluid, IsActive: ptr(false)})
	mr.Contained = []r4.Resource{med}

	if p.DosingWeightKg != nil {
		w := t.weightObservation(k, p.ID, "", p.Version, subject, *p.DosingWeightKg, "", nil)
		w.Id = containedDosingWeight
		w.Extension, w.Identifier = nil, nil // contained: identity comes from the container
		mr.Contained = append(mr.Contained, w)
		mr.SupportingInformation = []fhir.Reference{r4.LocalRef(containedDosingWeight)}
	}

	n := newNarrative("Infusion plan").
		row("Formulation", f.Name).
		row("Status", status).
		row("Authored", string(p.AuthoredAt))
	for _, d := range mr.DosageInstruction {
		n.row("Dose", str(d.Text))
	}
	if p.DosingWeightKg != nil {
		n.row("Dosing weight", string(*p.DosingWeightKg)+" kg")
	}
	mr.Text = n.row("Notes", p.Notes).done()
	if err := probs.err("plan " + p.ID); err != nil {
		return nil, err
	}
	return []r4.Resource{mr}, nil
}

// containedByRef finds the contained resource a "#id" reference points at.
func containedByRef(contained []r4.Resource, ref *fhir.Reference) r4.Resource {
	if ref == nil || ref.Reference == nil || !strings.HasPrefix(*ref.Reference, "#") {
		return nil
	}
	id := (*ref.Reference)[1:]
	for _, c := range contained {
		if c != nil && c.ResourceID() == id {
			return c
		}
	}
	return nil
}

// planFromFHIR reads back a MedicationRequest the mapping wrote.
func (t *Translator) planFromFHIR(mr *r4.MedicationRequest, o owner) (*clinic.Plan, error) {
	var probs problems
	p := &clinic.Plan{Header: t.readHeader(clinic.KindPlan, o, "MedicationRequest", mr.Extension, &probs)}
	var err error
	if p.Patient, err = t.refRecordID(&mr.Subject, clinic.KindPatient, "Patient", nil); err != nil {
		probs.addErr("MedicationRequest.subject", err)
	}
	if p.PrescriberID, err = t.refRecordID(mr.Requester, clinic.KindPractitioner, "Practitioner", nil); err != nil {
		probs.addErr("MedicationRequest.requester", err)
	}
	if s, ok := planStatusBack[mr.Status]; ok {
		p.Status = s
	} else {
		probs.add("MedicationRequest.status", fmt.Sprintf("%q has no clinic plan status", mr.Status))
	}
	p.AuthoredAt = clinic.Time(mr.AuthoredOn)
	for i := range mr.ReasonCode {
		c, err := t.localCode(axCondition, &mr.ReasonCode[i])
		if err != nil {
			probs.addErr(fmt.Sprintf("MedicationRequest.reasonCode[%d]", i), err)
			continue
		}
		p.Indications = append(p.Indications, c)
	}
	if len(mr.Note) > 0 {
		p.Notes = mr.Note[0].Text
	}
	if w, ok := containedByRef(mr.Contained, firstRef(mr.SupportingInformation)).(*r4.Observation); ok {
		if d, ok := decimalOf(w.ValueQuantity); ok {
			p.DosingWeightKg = &d
		}
	}
	med, ok := containedByRef(mr.Contained, mr.MedicationReference).(*r4.Medication)
	if !ok {
		probs.add("MedicationRequest.medicationReference", "no contained Medication")
		return p, probs.err("MedicationRequest/" + mr.Id)
	}
	if med.Code != nil {
		p.Formulation.Name = str(med.Code.Text)
	}
	if med.Amount == nil {
		probs.add("MedicationRequest.contained.amount", "missing bag volume")
	} else if d, ok := decimalOf(med.Amount.Numerator); ok {
		p.Formulation.Carrier.VolumeML = d
	}
	active := 0
	for i, ing := range med.Ingredient {
		path := fmt.Sprintf("MedicationRequest.contained.ingredient[%d]", i)
		sub, err := t.localCode(axSubstance, ing.ItemCodeableConcept)
		if err != nil {
			probs.addErr(path, err)
			continue
		}
		if ing.IsActive != nil && !*ing.IsActive {
			p.Formulation.Carrier.Fluid = sub
			continue
		}
		if active >= len(mr.DosageInstruction) {
			probs.add(path, "no dosageInstruction for this ingredient")
			continue
		}
		in, err := t.ingredientFromDosage(sub, &mr.DosageInstruction[active])
		if err != nil {
			probs.addErr(fmt.Sprintf("MedicationRequest.dosageInstruction[%d]", active), err)
		}
		p.Formulation.Ingredients = append(p.Formulation.Ingredients, in)
		active++
	}
	if len(mr.DosageInstruction) > 0 {
		t.readSchedule(&mr.DosageInstruction[0], p, &probs)
	}
	return p, probs.err("MedicationRequest/" + mr.Id)
}

func firstRef(refs []fhir.Reference) *fhir.Reference {
	if len(refs) == 0 {
		return nil
	}
	return &refs[0]
}

// ingredientFromDosage reads an ingredient's amount, unit, per-kg flag and
// cap from its Dosage (doseAndRate type ordered).
func (t *Translator) ingredientFromDosage(substance string, d *fhir.Dosage) (clinic.Ingredient, error) {
	in := clinic.Ingredient{Substance: substance}
	var ordered *fhir.Quantity
	for _, dr := range d.DoseAndRate {
		if dr.Type == nil || hasCoding(dr.Type, sysDoseRateType, "ordered") {
			ordered = dr.DoseQuantity
			break
		}
	}
	amount, ok := decimalOf(ordered)
	if !ok {
		return in, fmt.Errorf("no ordered dose")
	}
	in.Amount = amount
	code := str(ordered.Code)
	if base, ok := strings.CutSuffix(code, "/kg"); ok {
		code = base
		in.PerKg = ptr(true)
	} else if e := ext(d.Extension, t.urls.perKg); e != nil && e.ValueBoolean != nil {
		in.PerKg = ptr(*e.ValueBoolean)
	}
	u, err := t.localUnit(code)
	if err != nil {
		return in, err
	}
	in.Unit = u
	if d.MaxDosePerAdministration != nil {
		m, ok := decimalOf(d.MaxDosePerAdministration)
		if !ok {
			return in, fmt.Errorf("maxDosePerAdministration without a value")
		}
		in.MaxAmount = &m
	}
	return in, nil
}

// readSchedule reads rate and schedule from a Dosage.
func (t *Translator) readSchedule(d *fhir.Dosage, p *clinic.Plan, probs *problems) {
	for _, dr := range d.DoseAndRate {
		if dr.RateQuantity != nil {
			if v, ok := decimalOf(dr.RateQuantity); ok && str(dr.RateQuantity.Code) == "mL/h" {
				p.Rate.MLPerHour = &v
			} else {
				probs.add("MedicationRequest.dosageInstruction[0].doseAndRate.rateQuantity", "want a value in mL/h")
			}
			break
		}
	}
	if d.Timing == nil || d.Timing.Repeat == nil {
		probs.add("MedicationRequest.dosageInstruction[0].timing.repeat", "missing")
		return
	}
	r := d.Timing.Repeat
	if r.Duration != nil {
		if str(r.DurationUnit) != "min" {
			probs.add("MedicationRequest.dosageInstruction[0].timing.repeat.durationUnit", "want min")
		}
		dm := clinic.Decimal(*r.Duration)
		p.Rate.DurationMinutes = &dm
	}
	if r.Count != nil {
		p.Schedule.Sessions = *r.Count
	}
	if r.Period != nil {
		n, ok := wholeNumber(string(*r.Period))
		if !ok {
			probs.add("MedicationRequest.dosageInstruction[0].timing.repeat.period", "want a whole number")
		}
		p.Schedule.Every = n
	}
	p.Schedule.Period = periodUnitBack[str(r.PeriodUnit)]
	if r.BoundsPeriod != nil {
		p.Schedule.StartDate = clinic.Date(str(r.BoundsPeriod.Start))
		p.Schedule.EndDate = clinic.Date(str(r.BoundsPeriod.End))
	}
}
