package r4

import fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"

// UsageContext is the R4 UsageContext datatype
// (http://hl7.org/fhir/R4/metadatatypes.html#UsageContext). samply's
// fhir.UsageContext declares its required choice value[x] as four non-pointer
// fields, so it always writes all four variants, which is invalid FHIR; this one
// has a pointer per variant (set exactly one).
type UsageContext struct {
	Id                   *string               `json:"id,omitempty"`
	Extension            []fhir.Extension      `json:"extension,omitempty"`
	Code                 fhir.Coding           `json:"code,omitzero"`
	ValueCodeableConcept *fhir.CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueQuantity        *fhir.Quantity        `json:"valueQuantity,omitempty"`
	ValueRange           *fhir.Range           `json:"valueRange,omitempty"`
	ValueReference       *fhir.Reference       `json:"valueReference,omitempty"`
}
