package translate

import (
	"fmt"
	"strconv"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

const (
	rolePainBefore = "pain-before"
	rolePainAfter  = "pain-after"
	roleDosePrefix = "dose"
)

// adminStatus maps clinic administration statuses to
// MedicationAdministration.status.
var adminStatus = map[string]string{
	"in_progress": "in-progress",
	"completed":   "completed",
	"stopped":     "stopped",
	"not_done":    "not-done",
}

var adminStatusBack = reverseMap(adminStatus)

func (t *Translator) administrationToFHIR(a *clinic.Administration) ([]r4.Resource, error) {
	var probs problems
	k := clinic.KindAdministration
	subject := t.ref("Patient", clinic.KindPatient, a.Patient)
	performer := []r4.MedicationAdministrationPerformer{{Actor: t.ref("Practitioner", clinic.KindPractitioner, a.PerformerID)}}
	request := t.refPtr("MedicationRequest", clinic.KindPlan, a.PlanID)
	version := t.versionExt(a.Version)
	maID := t.ID("MedicationAdministration", k, a.ID)
	self := []fhir.Reference{t.ref("MedicationAdministration", k, a.ID)}

	status, ok := adminStatus[a.Status]
	if !ok {
		probs.add("status", fmt.Sprintf("unknown administration status %q", a.Status))
	}
	var statusReason []fhir.CodeableConcept
	if a.StatusReason != "" {
		cc, err := t.concept(axStatusReason, a.StatusReason)
		if err != nil {
			probs.addErr("status_reason", err)
		} else {
			statusReason = []fhir.CodeableConcept{*cc}
		}
	}
	var effective *fhir.Period
	if a.StartedAt != "" {
		effective = &fhir.Period{Start: ptr(string(a.StartedAt))}
		if a.EndedAt != "" {
			effective.End = ptr(string(a.EndedAt))
		}
	} else {
		// effective[x] is 1..1 but a session that was not done has no time;
		// say so instead of inventing one.
		effective = &fhir.Period{Extension: []fhir.Extension{{Url: urlDataAbsentReason, ValueCode: ptr("not-applicable")}}}
		if a.EndedAt != "" {
			effective.End = ptr(string(a.EndedAt))
		}
	}
	ma := &r4.MedicationAdministration{
		Id:              maID,
		Extension:       t.markEmptyLists([]fhir.Extension{version, {Url: t.urls.sessionNumber, ValuePositiveInt: ptr(a.SessionNumber)}}, list("doses", a.Doses)),
		Identifier:      t.identifiers(k, a.ID, ""),
		Status:          status,
		StatusReason:    statusReason,
		Category:        fixedConcept(sysMACategory, "outpatient", "Outpatient"),
		Subject:         subject,
		EffectivePeriod: effective,
		Performer:       performer,
		Request:         request,
	}
	if a.Notes != "" {
		ma.Note = []fhir.Annotation{{Text: a.Notes}}
	}

	// The bag as given: one contained Medication ingredient per dose.
	var children []r4.Resource
	substances := make([]string, len(a.Doses))
	for i, d := range a.Doses {
		substances[i] = d.Substance
	}
	med := &r4.Medication{Id: containedMedication, Code: &fhir.CodeableConcept{
		Text: ptr("IV infusion, session " + strconv.Itoa(a.SessionNumber) + " of plan " + a.PlanID)}}
	for i, role := range listRoles(roleDosePrefix, substances) {
		d := a.Doses[i]
		path := fmt.Sprintf("doses[%d]", i)
		item, err := t.concept(axSubstance, d.Substance)
		if err != nil {
			probs.addErr(path+".substance", err)
			continue
		}
		ucum, err := t.unit(d.Unit)
		if err != nil {
			probs.addErr(path+".unit", err)
			continue
		}
		amount := ucumQuantity(d.Amount, d.Unit, ucum)
		ing := r4.MedicationIngredient{ItemCodeableConcept: item, IsActive: ptr(true)}
		if a.VolumeInfusedML != nil && a.VolumeInfusedML.Sign() > 0 {
			ing.Strength = &fhir.Ratio{Numerator: amount, Denominator: ucumQuantity(*a.VolumeInfusedML, "mL", "mL")}
		}
		med.Ingredient = append(med.Ingredient, ing)
		children = append(children, &r4.MedicationAdministration{
			Id:                        t.roleID("MedicationAdministration", k, a.ID, role),
			Extension:                 []fhir.Extension{version, t.positionExt(i)},
			Identifier:                t.identifiers(k, a.ID, role),
			PartOf:                    self,
			Status:                    status,
			StatusReason:              statusReason,
			MedicationCodeableConcept: item,
			Subject:                   subject,
			EffectivePeriod:           effective,
			Performer:                 performer,
			Request:                   request,
			Dosage:                    &r4.MedicationAdministrationDosage{Route: t.ivRoute(), Dose: amount},
			Text: newNarrative("Dose given").
				row("Substance", str(item.Text)).
				row("Amount", string(d.Amount)+" "+d.Unit).
				row("Status", status).done(),
		})
	}
	if len(a.Doses) > 0 {
		ma.Contained = []r4.Resource{med}
		ma.MedicationReference = ptr(r4.LocalRef(containedMedication))
	} else {
		ma.MedicationCodeableConcept = med.Code
	}

	var site *fhir.CodeableConcept
	if a.Site != "" {
		cc, err := t.concept(axSite, a.Site)
		if err != nil {
			probs.addErr("site", err)
		}
		site = cc
	}
	dosage := &r4.MedicationAdministrationDosage{Site: site, Route: t.ivRoute()}
	if a.VolumeInfusedML != nil {
		dosage.Dose = ucumQuantity(*a.VolumeInfusedML, "mL", "mL")
	}
	if a.RateMLPerHour != nil {
		dosage.RateQuantity = ucumQuantity(*a.RateMLPerHour, "mL/h", "mL/h")
	}
	switch {
	case dosage.Dose != nil || dosage.RateQuantity != nil:
		ma.Dosage = dosage
	case site != nil:
		// mad-1: a dosage needs dose or rate; keep the site without one.
		ma.Extension = append(ma.Extension, fhir.Extension{Url: t.urls.adminSite, ValueCodeableConcept: site})
	}

	n := newNarrative("Infusion session").
		row("Plan session", strconv.Itoa(a.SessionNumber)).
		row("Status", status)
	if len(statusReason) > 0 {
		n.row("Reason", str(statusReason[0].Text))
	}
	n.row("Started", string(a.StartedAt)).row("Ended", string(a.EndedAt))
	if site != nil {
		n.row("Site", str(site.Text))
	}
	if a.VolumeInfusedML != nil {
		n.row("Volume infused", string(*a.VolumeInfusedML)+" mL")
	}
	if a.RateMLPerHour != nil {
		n.row("Rate", string(*a.RateMLPerHour)+" mL/h")
	}
	for _, d := range a.Doses {
		n.row("Dose", d.Substance+" "+string(d.Amount)+" "+d.Unit)
	}
	ma.Text = n.row("Notes", a.Notes).done()

	out := append([]r4.Resource{ma}, children...)
	if a.WeightKg != nil {
		out = append(out, t.weightObservation(k, a.ID, roleWeight, a.Version, subject, *a.WeightKg, a.StartedAt, self))
	}
	if a.PainBefore != nil {
		out = append(out, t.painObservation(a, rolePainBefore, *a.PainBefore, a.StartedAt, subject, self))
	}
	if a.PainAfter != nil {
		out = append(out, t.painObservation(a, rolePainAfter, *a.PainAfter, a.EndedAt, subject, self))
	}
	if err := probs.err("administration " + a.ID); err != nil {
		return nil, err
	}
	return out, nil
}

// painObservation is a 0–10 pain score (LOINC 72514-3) taken before or after
// a session.
func (t *Translator) painObservation(a *clinic.Administration, role string, score int, when clinic.Time, subject fhir.Reference, partOf []fhir.Reference) *r4.Observation {
	k := clinic.KindAdministration
	label := "Pain before infusion"
	if role == rolePainAfter {
		label = "Pain after infusion"
	}
	o := &r4.Observation{
		Id:           t.roleID("Observation", k, a.ID, role),
		Extension:    []fhir.Extension{t.versionExt(a.Version)},
		Identifier:   t.identifiers(k, a.ID, role),
		PartOf:       partOf,
		Status:       "final",
		Category:     []fhir.CodeableConcept{*fixedConcept(sysObsCategory, "survey", "Survey")},
		Code:         *t.fixed.painScore,
		Subject:      &subject,
		ValueInteger: ptr(score),
		Text:         newNarrative(label).row("Score (0-10)", strconv.Itoa(score)).row("When", string(when)).done(),
	}
	if when != "" {
		o.EffectiveDateTime = ptr(string(when))
	}
	return o
}

func (t *Translator) administrationFromFHIR(ma *r4.MedicationAdministration, o owner, parts []part) (*clinic.Administration, error) {
	var probs problems
	a := &clinic.Administration{Header: t.readHeader(clinic.KindAdministration, o, "MedicationAdministration", ma.Extension, &probs)}
	var err error
	if e := ext(ma.Extension, t.urls.sessionNumber); e != nil && e.ValuePositiveInt != nil {
		a.SessionNumber = *e.ValuePositiveInt
	} else {
		probs.add("MedicationAdministration.extension", "no session number")
	}
	if a.Patient, err = t.refRecordID(&ma.Subject, clinic.KindPatient, "Patient", nil); err != nil {
		probs.addErr("MedicationAdministration.subject", err)
	}
	if a.PlanID, err = t.refRecordID(ma.Request, clinic.KindPlan, "MedicationRequest", nil); err != nil {
		probs.addErr("MedicationAdministration.request", err)
	}
	if len(ma.Performer) == 0 {
		probs.add("MedicationAdministration.performer", "missing")
	} else if a.PerformerID, err = t.refRecordID(&ma.Performer[0].Actor, clinic.KindPractitioner, "Practitioner", nil); err != nil {
		probs.addErr("MedicationAdministration.performer[0].actor", err)
	}
	if s, ok := adminStatusBack[ma.Status]; ok {
		a.Status = s
	} else {
		probs.add("MedicationAdministration.status", fmt.Sprintf("%q has no clinic administration status", ma.Status))
	}
	if len(ma.StatusReason) > 0 {
		if a.StatusReason, err = t.localCode(axStatusReason, &ma.StatusReason[0]); err != nil {
			probs.addErr("MedicationAdministration.statusReason", err)
		}
	}
	if ma.EffectivePeriod != nil {
		a.StartedAt = clinic.Time(str(ma.EffectivePeriod.Start))
		a.EndedAt = clinic.Time(str(ma.EffectivePeriod.End))
	}
	if len(ma.Note) > 0 {
		a.Notes = ma.Note[0].Text
	}
	var siteCC *fhir.CodeableConcept
	if d := ma.Dosage; d != nil {
		siteCC = d.Site
		if v, ok := decimalOf(d.Dose); ok {
			a.VolumeInfusedML = &v
		}
		if v, ok := decimalOf(d.RateQuantity); ok {
			a.RateMLPerHour = &v
		}
	}
	if e := ext(ma.Extension, t.urls.adminSite); e != nil {
		siteCC = e.ValueCodeableConcept
	}
	if siteCC != nil {
		if a.Site, err = t.localCode(axSite, siteCC); err != nil {
			probs.addErr("MedicationAdministration.dosage.site", err)
		}
	}

	var doses []positioned[clinic.Dose]
	for _, pt := range parts {
		switch r := pt.res.(type) {
		case *r4.MedicationAdministration:
			sub, err := t.localCode(axSubstance, r.MedicationCodeableConcept)
			if err != nil {
				probs.addErr("MedicationAdministration("+pt.role+").medicationCodeableConcept", err)
				continue
			}
			d := clinic.Dose{Substance: sub}
			if r.Dosage != nil {
				if v, ok := decimalOf(r.Dosage.Dose); ok {
					d.Amount = v
					if d.Unit, err = t.localUnit(str(r.Dosage.Dose.Code)); err != nil {
						probs.addErr("MedicationAdministration("+pt.role+").dosage.dose", err)
					}
				}
			}
			doses = append(doses, positioned[clinic.Dose]{t.readPosition(r.Extension), d})
		case *r4.Observation:
			switch pt.role {
			case roleWeight:
				if v, ok := decimalOf(r.ValueQuantity); ok {
					a.WeightKg = &v
				}
			case rolePainBefore:
				a.PainBefore = r.ValueInteger
			case rolePainAfter:
				a.PainAfter = r.ValueInteger
			}
		}
	}
	if med, ok := containedByRef(ma.Contained, ma.MedicationReference).(*r4.Medication); ok && len(med.Ingredient) != len(doses) {
		probs.add("MedicationAdministration.contained", fmt.Sprintf(
			"the session lists %d dose(s) but %d per-dose MedicationAdministration(s) are in the input: give the whole collection",
			len(med.Ingredient), len(doses)))
	}
	a.Doses = inPositionOrder(doses)
	if a.Doses == nil && t.markedEmpty(ma.Extension, "doses") {
		a.Doses = []clinic.Dose{}
	}
	return a, probs.err("MedicationAdministration/" + ma.Id)
}
