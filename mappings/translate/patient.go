package translate

import (
	"fmt"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

const (
	roleMRN    = "mrn"
	roleWeight = "weight"
)

func (t *Translator) patientToFHIR(p *clinic.Patient) ([]r4.Resource, error) {
	var probs problems
	k := clinic.KindPatient
	subject := t.ref("Patient", k, p.ID)
	version := t.versionExt(p.Version)

	pat := &r4.Patient{
		Id:        t.ID("Patient", k, p.ID),
		Extension: []fhir.Extension{version},
		Identifier: []fhir.Identifier{
			t.identifier(k, p.ID, ""),
			{
				Use:    ptr(fhir.IdentifierUseUsual),
				Type:   fixedConcept(sysV20203, "MR", "Medical record number"),
				System: ptr(t.IdentifierSystem(k, roleMRN)),
				Value:  ptr(p.MRN),
			},
		},
		Name:      []fhir.HumanName{{Use: ptr(fhir.NameUseOfficial), Family: ptr(p.FamilyName), Given: p.GivenNames}},
		Gender:    p.Sex,
		BirthDate: string(p.BirthDate),
	}
	if p.Phone != "" {
		pat.Telecom = append(pat.Telecom, fhir.ContactPoint{System: ptr(fhir.ContactPointSystemPhone), Value: ptr(p.Phone)})
	}
	if p.Email != "" {
		pat.Telecom = append(pat.Telecom, fhir.ContactPoint{System: ptr(fhir.ContactPointSystemEmail), Value: ptr(p.Email)})
	}
	pat.Extension = t.markEmptyLists(pat.Extension, list("conditions", p.Conditions), list("allergies", p.Allergies))
	pat.Text = newNarrative("Patient").
		row("MRN", p.MRN).
		row("Name", strings.Join(p.GivenNames, " ")+" "+p.FamilyName).
		row("Born", string(p.BirthDate)).
		row("Sex", p.Sex).done()
	out := []r4.Resource{pat}

	for i, role := range listRoles("condition", p.Conditions) {
		code, err := t.concept(axCondition, p.Conditions[i])
		if err != nil {
			probs.addErr(fmt.Sprintf("conditions[%d]", i), err)
			continue
		}
		out = append(out, &r4.Condition{
			Id:             t.roleID("Condition", k, p.ID, role),
			Extension:      []fhir.Extension{version, t.positionExt(i)},
			Identifier:     t.identifiers(k, p.ID, role),
			ClinicalStatus: fixedConcept(sysCondClinical, "active", "Active"),
			Category:       []fhir.CodeableConcept{*fixedConcept(sysCondCategory, "problem-list-item", "Problem List Item")},
			Code:           code,
			Subject:        subject,
			Text:           newNarrative("Condition").row("Code", str(code.Text)).row("Status", "active").done(),
		})
	}

	substances := make([]string, len(p.Allergies))
	for i, a := range p.Allergies {
		substances[i] = a.Substance
	}
	for i, role := range listRoles("allergy", substances) {
		a := p.Allergies[i]
		path := fmt.Sprintf("allergies[%d]", i)
		code, err := t.concept(axSubstance, a.Substance)
		if err != nil {
			probs.addErr(path+".substance", err)
			continue
		}
		ai := &r4.AllergyIntolerance{
			Id:             t.roleID("AllergyIntolerance", k, p.ID, role),
			Extension:      []fhir.Extension{version, t.positionExt(i)},
			Identifier:     t.identifiers(k, p.ID, role),
			ClinicalStatus: fixedConcept(sysAllergyClinical, "active", "Active"),
			Category:       []string{"medication"},
			Code:           code,
			Patient:        subject,
		}
		n := newNarrative("Allergy or intolerance").row("Substance", str(code.Text))
		switch {
		case a.Reaction != "":
			m, err := t.concept(axManifestation, a.Reaction)
			if err != nil {
				probs.addErr(path+".reaction", err)
				continue
			}
			ai.Reaction = []r4.AllergyIntoleranceReaction{{Manifestation: []fhir.CodeableConcept{*m}, Severity: a.Severity}}
			n.row("Reaction", str(m.Text)).row("Severity", a.Severity)
		case a.Severity != "":
			// reaction.manifestation is 1..*: a severity with no manifestation
			// cannot go in reaction.
			ai.Extension = append(ai.Extension, fhir.Extension{Url: t.urls.allergySeverity, ValueCode: ptr(a.Severity)})
			n.row("Severity", a.Severity)
		}
		ai.Text = n.done()
		out = append(out, ai)
	}

	if p.WeightKg != nil {
		out = append(out, t.weightObservation(k, p.ID, roleWeight, p.Version, subject, *p.WeightKg, "", nil))
	}
	if err := probs.err("patient " + p.ID); err != nil {
		return nil, err
	}
	return out, nil
}

// weightObservation is a body weight Observation (LOINC 29463-7) of a record.
func (t *Translator) weightObservation(kind clinic.Kind, id, role string, version int, subject fhir.Reference, kg clinic.Decimal, effective clinic.Time, partOf []fhir.Reference) *r4.Observation {
	o := &r4.Observation{
		Extension:     []fhir.Extension{t.versionExt(version)},
		Identifier:    t.identifiers(kind, id, role),
		PartOf:        partOf,
		Status:        "final",
		Category:      []fhir.CodeableConcept{*fixedConcept(sysObsCategory, "vital-signs", "Vital Signs")},
		Code:          *t.fixed.bodyWeight,
		Subject:       &subject,
		ValueQuantity: ucumQuantity(kg, "kg", "kg"),
		Text:          newNarrative("Body weight").row("Weight", string(kg)+" kg").row("When", string(effective)).done(),
	}
	if role != "" {
		o.Id = t.roleID("Observation", kind, id, role)
	}
	if effective != "" {
		o.EffectiveDateTime = ptr(string(effective))
	}
	return o
}

// part is a secondary resource of a record found beside its primary.
type part struct {
	role string
	res  r4.Resource
}

func (t *Translator) patientFromFHIR(pat *r4.Patient, o owner, parts []part) (*clinic.Patient, error) {
	var probs problems
	p := &clinic.Patient{Header: t.readHeader(clinic.KindPatient, o, "Patient", pat.Extension, &probs)}
	for _, id := range pat.Identifier {
		if t.isIdentifierSystem(str(id.System), clinic.KindPatient, roleMRN) {
			p.MRN = str(id.Value)
		}
	}
	if p.MRN == "" {
		probs.add("Patient.identifier", "no MRN identifier in system "+t.IdentifierSystem(clinic.KindPatient, roleMRN))
	}
	if len(pat.Name) == 0 {
		probs.add("Patient.name", "missing")
	} else {
		p.FamilyName = str(pat.Name[0].Family)
		p.GivenNames = pat.Name[0].Given
	}
	p.BirthDate = clinic.Date(pat.BirthDate)
	p.Sex = pat.Gender
	for _, c := range pat.Telecom {
		switch {
		case c.System != nil && *c.System == fhir.ContactPointSystemPhone:
			p.Phone = str(c.Value)
		case c.System != nil && *c.System == fhir.ContactPointSystemEmail:
			p.Email = str(c.Value)
		}
	}

	var conds []positioned[string]
	var allergies []positioned[clinic.Allergy]
	for _, pt := range parts {
		switch r := pt.res.(type) {
		case *r4.Condition:
			code, err := t.localCode(axCondition, r.Code)
			if err != nil {
				probs.addErr("Condition.code", err)
				continue
			}
			conds = append(conds, positioned[string]{t.readPosition(r.Extension), code})
		case *r4.AllergyIntolerance:
			var a clinic.Allergy
			sub, err := t.localCode(axSubstance, r.Code)
			if err != nil {
				probs.addErr("AllergyIntolerance.code", err)
				continue
			}
			a.Substance = sub
			if len(r.Reaction) > 0 {
				if len(r.Reaction[0].Manifestation) > 0 {
					m, err := t.localCode(axManifestation, &r.Reaction[0].Manifestation[0])
					if err != nil {
						probs.addErr("AllergyIntolerance.reaction.manifestation", err)
					}
					a.Reaction = m
				}
				a.Severity = r.Reaction[0].Severity
			}
			if e := ext(r.Extension, t.urls.allergySeverity); e != nil {
				a.Severity = str(e.ValueCode)
			}
			allergies = append(allergies, positioned[clinic.Allergy]{t.readPosition(r.Extension), a})
		case *r4.Observation:
			if pt.role == roleWeight {
				if d, ok := decimalOf(r.ValueQuantity); ok {
					p.WeightKg = &d
				} else {
					probs.add("Observation.valueQuantity", "body weight without a decimal value")
				}
			}
		}
	}
	p.Conditions = inPositionOrder(conds)
	p.Allergies = inPositionOrder(allergies)
	if p.Conditions == nil && t.markedEmpty(pat.Extension, "conditions") {
		p.Conditions = []string{}
	}
	if p.Allergies == nil && t.markedEmpty(pat.Extension, "allergies") {
		p.Allergies = []clinic.Allergy{}
	}
	return p, probs.err("Patient/" + pat.Id)
}

func (t *Translator) practitionerToFHIR(p *clinic.Practitioner) ([]r4.Resource, error) {
	k := clinic.KindPractitioner
	role, err := t.concept(axRole, p.Role)
	if err != nil {
		return nil, &UnmappableError{Resource: "practitioner " + p.ID, Problems: []Problem{{Path: "role", Message: err.Error()}}}
	}
	pr := &r4.Practitioner{
		Id:            t.ID("Practitioner", k, p.ID),
		Extension:     []fhir.Extension{t.versionExt(p.Version)},
		Identifier:    t.identifiers(k, p.ID, ""),
		Name:          []fhir.HumanName{{Use: ptr(fhir.NameUseOfficial), Family: ptr(p.FamilyName), Given: p.GivenNames}},
		Qualification: []r4.PractitionerQualification{{Code: *role}},
	}
	if p.NPI != "" {
		pr.Identifier = append(pr.Identifier, fhir.Identifier{System: ptr(sysNPI), Value: ptr(p.NPI)})
	}
	pr.Text = newNarrative("Practitioner").
		row("Name", strings.Join(p.GivenNames, " ")+" "+p.FamilyName).
		row("Role", str(role.Text)).
		row("NPI", p.NPI).done()
	return []r4.Resource{pr}, nil
}

func (t *Translator) practitionerFromFHIR(pr *r4.Practitioner, o owner) (*clinic.Practitioner, error) {
	var probs problems
	p := &clinic.Practitioner{Header: t.readHeader(clinic.KindPractitioner, o, "Practitioner", pr.Extension, &probs)}
	for _, id := range pr.Identifier {
		if str(id.System) == sysNPI {
			p.NPI = str(id.Value)
		}
	}
	if len(pr.Name) == 0 {
		probs.add("Practitioner.name", "missing")
	} else {
		p.FamilyName = str(pr.Name[0].Family)
		p.GivenNames = pr.Name[0].Given
	}
	if len(pr.Qualification) == 0 {
		probs.add("Practitioner.qualification", "missing: the role is its code")
	} else {
		role, err := t.localCode(axRole, &pr.Qualification[0].Code)
		if err != nil {
			probs.addErr("Practitioner.qualification[0].code", err)
		}
		p.Role = role
	}
	return p, probs.err("Practitioner/" + pr.Id)
}
