package translate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// aeOutcome maps the clinic's reaction outcome to the required
// adverse-event-outcome codes.
var aeOutcome = map[string]string{
	"resolved":               "resolved",
	"resolving":              "recovering",
	"not_resolved":           "ongoing",
	"resolved_with_sequelae": "resolvedWithSequelae",
	"fatal":                  "fatal",
	"unknown":                "unknown",
}

var aeOutcomeDisplay = map[string]string{
	"resolved": "Resolved", "recovering": "Recovering", "ongoing": "Ongoing",
	"resolvedWithSequelae": "Resolved with Sequelae", "fatal": "Fatal", "unknown": "Unknown",
}

var aeOutcomeBack = reverseMap(aeOutcome)

var aeSeverityDisplay = map[string]string{"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}

const suspectPrefix = "suspect-"

func (t *Translator) reactionToFHIR(r *clinic.Reaction) ([]r4.Resource, error) {
	var probs problems
	k := clinic.KindReaction
	subject := t.ref("Patient", clinic.KindPatient, r.Patient)
	version := t.versionExt(r.Version)

	ae := &r4.AdverseEvent{
		Id:           t.ID("AdverseEvent", k, r.ID),
		Extension:    t.markEmptyLists([]fhir.Extension{version}, list("suspected_substances", r.SuspectedSubstances)),
		Identifier:   ptr(t.identifier(k, r.ID, "")),
		Actuality:    "actual",
		Subject:      subject,
		Date:         string(r.OnsetAt),
		RecordedDate: string(r.RecordedAt),
	}
	if cat, err := t.concept(axCategory, r.Category); err != nil {
		probs.addErr("category", err)
	} else {
		ae.Category = []fhir.CodeableConcept{*cat}
	}
	manifestations := make([]fhir.CodeableConcept, 0, len(r.Manifestations))
	for i, m := range r.Manifestations {
		cc, err := t.concept(axManifestation, m)
		if err != nil {
			probs.addErr(fmt.Sprintf("manifestations[%d]", i), err)
			continue
		}
		manifestations = append(manifestations, *cc)
		if i == 0 {
			ae.Event = cc
		} else {
			ae.Extension = append(ae.Extension, fhir.Extension{Url: t.urls.manifestation, ValueCodeableConcept: cc})
		}
	}
	if r.Serious {
		ae.Seriousness = fixedConcept(sysAESeriousness, "Serious", "Serious")
	} else {
		ae.Seriousness = fixedConcept(sysAESeriousness, "Non-serious", "Non-serious")
	}
	if d, ok := aeSeverityDisplay[r.Severity]; ok {
		ae.Severity = fixedConcept(sysAESeverity, r.Severity, d)
	} else {
		probs.add("severity", fmt.Sprintf("unknown severity %q", r.Severity))
	}
	if o, ok := aeOutcome[r.Outcome]; ok {
		ae.Outcome = fixedConcept(sysAEOutcome, o, aeOutcomeDisplay[o])
	} else {
		probs.add("outcome", fmt.Sprintf("unknown outcome %q", r.Outcome))
	}
	if r.AdministrationID != "" {
		ae.SuspectEntity = append(ae.SuspectEntity, r4.AdverseEventSuspectEntity{
			Instance: t.ref("MedicationAdministration", clinic.KindAdministration, r.AdministrationID)})
	}
	substances := make([]*fhir.CodeableConcept, 0, len(r.SuspectedSubstances))
	for i, s := range r.SuspectedSubstances {
		cc, err := t.concept(axSubstance, s)
		if err != nil {
			probs.addErr(fmt.Sprintf("suspected_substances[%d]", i), err)
			continue
		}
		substances = append(substances, cc)
		id := suspectPrefix + strconv.Itoa(i+1)
		ae.Contained = append(ae.Contained, &r4.Medication{Id: id, Code: cc})
		ae.SuspectEntity = append(ae.SuspectEntity, r4.AdverseEventSuspectEntity{Instance: r4.LocalRef(id)})
	}
	if action, err := t.concept(axActionTaken, r.ActionTaken); err != nil {
		probs.addErr("action_taken", err)
	} else {
		ae.Extension = append(ae.Extension, fhir.Extension{Url: t.urls.actionTaken, ValueCodeableConcept: action})
	}
	if r.IsAllergy != nil {
		ae.Extension = append(ae.Extension, fhir.Extension{Url: t.urls.isAllergy, ValueBoolean: ptr(*r.IsAllergy)})
	}
	if r.Notes != "" {
		ae.Extension = append(ae.Extension, fhir.Extension{Url: t.urls.notes, ValueString: ptr(r.Notes)})
	}

	names := make([]string, len(manifestations))
	for i := range manifestations {
		names[i] = str(manifestations[i].Text)
	}
	subNames := make([]string, len(substances))
	for i := range substances {
		subNames[i] = str(substances[i].Text)
	}
	seriousness := "non-serious"
	if r.Serious {
		seriousness = "serious"
	}
	ae.Text = newNarrative("Adverse reaction").
		row("Category", r.Category).
		row("Manifestations", strings.Join(names, ", ")).
		row("Severity", r.Severity+", "+seriousness).
		row("Onset", string(r.OnsetAt)).
		row("Suspected", strings.Join(subNames, ", ")).
		row("Action taken", r.ActionTaken).
		row("Outcome", r.Outcome).
		row("Notes", r.Notes).done()
	out := []r4.Resource{ae}

	if r.IsAllergy != nil && *r.IsAllergy {
		criticality := "low"
		if r.Severity == "severe" || r.Serious {
			criticality = "high"
		}
		reaction := r4.AllergyIntoleranceReaction{Manifestation: manifestations, Severity: r.Severity, Onset: string(r.OnsetAt)}
		codes := r.SuspectedSubstances
		roles := listRoles("allergy", codes)
		if len(codes) == 0 {
			roles = []string{"allergy"} // allergic to something not named
		}
		for i, role := range roles {
			ai := &r4.AllergyIntolerance{
				Id:                 t.roleID("AllergyIntolerance", k, r.ID, role),
				Extension:          []fhir.Extension{version},
				Identifier:         t.identifiers(k, r.ID, role),
				ClinicalStatus:     fixedConcept(sysAllergyClinical, "active", "Active"),
				VerificationStatus: fixedConcept(sysAllergyVerify, "confirmed", "Confirmed"),
				Category:           []string{"medication"},
				Criticality:        criticality,
				Patient:            subject,
				OnsetDateTime:      ptr(string(r.OnsetAt)),
				RecordedDate:       string(r.RecordedAt),
				Reaction:           []r4.AllergyIntoleranceReaction{reaction},
			}
			what := "unnamed substance"
			if i < len(substances) && len(codes) > 0 {
				ai.Code = substances[i]
				what = str(substances[i].Text)
			}
			ai.Text = newNarrative("Allergy or intolerance").
				row("Substance", what).
				row("Reaction", strings.Join(names, ", ")).
				row("Criticality", criticality).done()
			out = append(out, ai)
		}
	}
	if err := probs.err("reaction " + r.ID); err != nil {
		return nil, err
	}
	return out, nil
}

func (t *Translator) reactionFromFHIR(ae *r4.AdverseEvent, o owner) (*clinic.Reaction, error) {
	var probs problems
	r := &clinic.Reaction{Header: t.readHeader(clinic.KindReaction, o, "AdverseEvent", ae.Extension, &probs)}
	var err error
	if r.Patient, err = t.refRecordID(&ae.Subject, clinic.KindPatient, "Patient", nil); err != nil {
		probs.addErr("AdverseEvent.subject", err)
	}
	if len(ae.Category) > 0 {
		if r.Category, err = t.localCode(axCategory, &ae.Category[0]); err != nil {
			probs.addErr("AdverseEvent.category", err)
		}
	}
	if ae.Event != nil {
		m, err := t.localCode(axManifestation, ae.Event)
		if err != nil {
			probs.addErr("AdverseEvent.event", err)
		}
		r.Manifestations = append(r.Manifestations, m)
	}
	for _, e := range ae.Extension {
		switch e.Url {
		case t.urls.manifestation:
			m, err := t.localCode(axManifestation, e.ValueCodeableConcept)
			if err != nil {
				probs.addErr("AdverseEvent.extension(reaction-manifestation)", err)
			}
			r.Manifestations = append(r.Manifestations, m)
		case t.urls.actionTaken:
			if r.ActionTaken, err = t.localCode(axActionTaken, e.ValueCodeableConcept); err != nil {
				probs.addErr("AdverseEvent.extension(action-taken)", err)
			}
		case t.urls.isAllergy:
			if e.ValueBoolean != nil {
				r.IsAllergy = ptr(*e.ValueBoolean)
			}
		case t.urls.notes:
			r.Notes = str(e.ValueString)
		}
	}
	r.Serious = hasCoding(ae.Seriousness, sysAESeriousness, "Serious")
	if c, ok := codeIn(ae.Severity, sysAESeverity); ok {
		r.Severity = c
	} else {
		probs.add("AdverseEvent.severity", "missing")
	}
	if c, ok := codeIn(ae.Outcome, sysAEOutcome); ok {
		r.Outcome = aeOutcomeBack[c]
	} else {
		probs.add("AdverseEvent.outcome", "missing")
	}
	r.OnsetAt = clinic.Time(ae.Date)
	r.RecordedAt = clinic.Time(ae.RecordedDate)
	for i := range ae.SuspectEntity {
		inst := &ae.SuspectEntity[i].Instance
		if med, ok := containedByRef(ae.Contained, inst).(*r4.Medication); ok {
			s, err := t.localCode(axSubstance, med.Code)
			if err != nil {
				probs.addErr(fmt.Sprintf("AdverseEvent.suspectEntity[%d]", i), err)
			}
			r.SuspectedSubstances = append(r.SuspectedSubstances, s)
			continue
		}
		id, err := t.refRecordID(inst, clinic.KindAdministration, "MedicationAdministration", nil)
		if err != nil {
			probs.addErr(fmt.Sprintf("AdverseEvent.suspectEntity[%d].instance", i), err)
		}
		r.AdministrationID = id
	}
	if r.SuspectedSubstances == nil && t.markedEmpty(ae.Extension, "suspected_substances") {
		r.SuspectedSubstances = []string{}
	}
	return r, probs.err("AdverseEvent/" + ae.Id)
}
