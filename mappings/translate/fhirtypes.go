package translate

import (
	"encoding/json"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// Fixed FHIR code systems and codes used by the mapping (domain.md §3.1).
const (
	sysUCUM             = "http://unitsofmeasure.org"
	sysLOINC            = "http://loinc.org"
	sysNPI              = "http://hl7.org/fhir/sid/us-npi"
	sysV20203           = "http://terminology.hl7.org/CodeSystem/v2-0203"
	sysDoseRateType     = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
	sysMRCategory       = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
	sysMACategory       = "http://terminology.hl7.org/CodeSystem/medication-admin-category"
	sysObsCategory      = "http://terminology.hl7.org/CodeSystem/observation-category"
	sysCondClinical     = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	sysCondCategory     = "http://terminology.hl7.org/CodeSystem/condition-category"
	sysAllergyClinical  = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	sysAllergyVerify    = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	sysAESeriousness    = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
	sysAESeverity       = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
	sysAEOutcome        = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
	urlDataAbsentReason = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

	loincBodyWeight = "29463-7"
)

func ptr[T any](v T) *T { return &v }

// num turns a clinic decimal into a FHIR decimal without touching its
// literal.
func num(d clinic.Decimal) *json.Number { n := json.Number(d); return &n }

// fixedConcept is a CodeableConcept with one coding and text.
func fixedConcept(system, code, display string) *fhir.CodeableConcept {
	cc := &fhir.CodeableConcept{Coding: []fhir.Coding{r4.Code(system, code, display)}}
	if display != "" {
		cc.Text = ptr(display)
	}
	return cc
}

// ucumQuantity is a Quantity in UCUM: value as written, unit the clinic's
// word, code the UCUM code.
func ucumQuantity(value clinic.Decimal, unit, code string) *fhir.Quantity {
	return &fhir.Quantity{Value: num(value), Unit: ptr(unit), System: ptr(sysUCUM), Code: ptr(code)}
}

// hasCoding reports whether cc has a coding with system and code.
func hasCoding(cc *fhir.CodeableConcept, system, code string) bool {
	if cc == nil {
		return false
	}
	for _, c := range cc.Coding {
		if c.System != nil && c.Code != nil && *c.System == system && *c.Code == code {
			return true
		}
	}
	return false
}

// codeIn returns the code of cc's first coding in system.
func codeIn(cc *fhir.CodeableConcept, system string) (string, bool) {
	if cc == nil {
		return "", false
	}
	for _, c := range cc.Coding {
		if c.System != nil && c.Code != nil && *c.System == system {
			return *c.Code, true
		}
	}
	return "", false
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
