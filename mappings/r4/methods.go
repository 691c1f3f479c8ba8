package r4

// Per-type plumbing of the typed resources: Resource methods, JSON methods and the
// unexported hooks the codec uses.

import "encoding/json"

// ResourceType returns "Patient".
func (*Patient) ResourceType() string { return "Patient" }

// ResourceID returns the logical id (Patient.id), "" when it has none.
func (r *Patient) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Patient) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Patient" into r, losslessly; see [Unmarshal].
func (r *Patient) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// patientFields has Patient's fields without its methods, so encoding/json handles them field by field.
type patientFields Patient

func (r *Patient) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*patientFields
	}{"Patient", (*patientFields)(r)})
}

func (r *Patient) decodeTyped(data []byte) error {
	s := struct {
		*patientFields
		Contained resourceList `json:"contained"`
	}{patientFields: (*patientFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *Patient) reset() { *r = Patient{} }

func (r *Patient) restPtr() **delta { return &r.rest }

func (r *Patient) rawPtr() *[]byte { return &r.raw }

func (r *Patient) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "Practitioner".
func (*Practitioner) ResourceType() string { return "Practitioner" }

// ResourceID returns the logical id (Practitioner.id), "" when it has none.
func (r *Practitioner) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Practitioner) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Practitioner" into r, losslessly; see [Unmarshal].
func (r *Practitioner) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// practitionerFields has Practitioner's fields without its methods, so encoding/json handles them field by field.
type practitionerFields Practitioner

func (r *Practitioner) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*practitionerFields
	}{"Practitioner", (*practitionerFields)(r)})
}

func (r *Practitioner) decodeTyped(data []byte) error {
	s := struct {
		*practitionerFields
		Contained resourceList `json:"contained"`
	}{practitionerFields: (*practitionerFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *Practitioner) reset() { *r = Practitioner{} }

func (r *Practitioner) restPtr() **delta { return &r.rest }

func (r *Practitioner) rawPtr() *[]byte { return &r.raw }

func (r *Practitioner) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "Medication".
func (*Medication) ResourceType() string { return "Medication" }

// ResourceID returns the logical id (Medication.id), "" when it has none.
func (r *Medication) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Medication) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Medication" into r, losslessly; see [Unmarshal].
func (r *Medication) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// medicationFields has Medication's fields without its methods, so encoding/json handles them field by field.
type medicationFields Medication

func (r *Medication) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*medicationFields
	}{"Medication", (*medicationFields)(r)})
}

func (r *Medication) decodeTyped(data []byte) error {
	s := struct {
		*medicationFields
		Contained resourceList `json:"contained"`
	}{medicationFields: (*medicationFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *Medication) reset() { *r = Medication{} }

func (r *Medication) restPtr() **delta { return &r.rest }

func (r *Medication) rawPtr() *[]byte { return &r.raw }

func (r *Medication) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "MedicationRequest".
func (*MedicationRequest) ResourceType() string { return "MedicationRequest" }

// ResourceID returns the logical id (MedicationRequest.id), "" when it has none.
func (r *MedicationRequest) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *MedicationRequest) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "MedicationRequest" into r, losslessly; see [Unmarshal].
func (r *MedicationRequest) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// medicationRequestFields has MedicationRequest's fields without its methods, so encoding/json handles them field by field.
type medicationRequestFields MedicationRequest

func (r *MedicationRequest) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*medicationRequestFields
	}{"MedicationRequest", (*medicationRequestFields)(r)})
}

func (r *MedicationRequest) decodeTyped(data []byte) error {
	s := struct {
		*medicationRequestFields
		Contained resourceList `json:"contained"`
	}{medicationRequestFields: (*medicationRequestFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *MedicationRequest) reset() { *r = MedicationRequest{} }

func (r *MedicationRequest) restPtr() **delta { return &r.rest }

func (r *MedicationRequest) rawPtr() *[]byte { return &r.raw }

func (r *MedicationRequest) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "MedicationAdministration".
func (*MedicationAdministration) ResourceType() string { return "MedicationAdministration" }

// ResourceID returns the logical id (MedicationAdministration.id), "" when it has none.
func (r *MedicationAdministration) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *MedicationAdministration) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "MedicationAdministration" into r, losslessly; see [Unmarshal].
func (r *MedicationAdministration) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// medicationAdministrationFields has MedicationAdministration's fields without its methods, so encoding/json handles them field by field.
type medicationAdministrationFields MedicationAdministration

func (r *MedicationAdministration) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*medicationAdministrationFields
	}{"MedicationAdministration", (*medicationAdministrationFields)(r)})
}

func (r *MedicationAdministration) decodeTyped(data []byte) error {
	s := struct {
		*medicationAdministrationFields
		Contained resourceList `json:"contained"`
	}{medicationAdministrationFields: (*medicationAdministrationFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *MedicationAdministration) reset() { *r = MedicationAdministration{} }

func (r *MedicationAdministration) restPtr() **delta { return &r.rest }

func (r *MedicationAdministration) rawPtr() *[]byte { return &r.raw }

func (r *MedicationAdministration) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "AdverseEvent".
func (*AdverseEvent) ResourceType() string { return "AdverseEvent" }

// ResourceID returns the logical id (AdverseEvent.id), "" when it has none.
func (r *AdverseEvent) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *AdverseEvent) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "AdverseEvent" into r, losslessly; see [Unmarshal].
func (r *AdverseEvent) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// adverseEventFields has AdverseEvent's fields without its methods, so encoding/json handles them field by field.
type adverseEventFields AdverseEvent

func (r *AdverseEvent) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*adverseEventFields
	}{"AdverseEvent", (*adverseEventFields)(r)})
}

func (r *AdverseEvent) decodeTyped(data []byte) error {
	s := struct {
		*adverseEventFields
		Contained resourceList `json:"contained"`
	}{adverseEventFields: (*adverseEventFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *AdverseEvent) reset() { *r = AdverseEvent{} }

func (r *AdverseEvent) restPtr() **delta { return &r.rest }

func (r *AdverseEvent) rawPtr() *[]byte { return &r.raw }

func (r *AdverseEvent) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "AllergyIntolerance".
func (*AllergyIntolerance) ResourceType() string { return "AllergyIntolerance" }

// ResourceID returns the logical id (AllergyIntolerance.id), "" when it has none.
func (r *AllergyIntolerance) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *AllergyIntolerance) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "AllergyIntolerance" into r, losslessly; see [Unmarshal].
func (r *AllergyIntolerance) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// allergyIntoleranceFields has AllergyIntolerance's fields without its methods, so encoding/json handles them field by field.
type allergyIntoleranceFields AllergyIntolerance

func (r *AllergyIntolerance) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*allergyIntoleranceFields
	}{"AllergyIntolerance", (*allergyIntoleranceFields)(r)})
}

func (r *AllergyIntolerance) decodeTyped(data []byte) error {
	s := struct {
		*allergyIntoleranceFields
		Contained resourceList `json:"contained"`
	}{allergyIntoleranceFields: (*allergyIntoleranceFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *AllergyIntolerance) reset() { *r = AllergyIntolerance{} }

func (r *AllergyIntolerance) restPtr() **delta { return &r.rest }

func (r *AllergyIntolerance) rawPtr() *[]byte { return &r.raw }

func (r *AllergyIntolerance) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "Condition".
func (*Condition) ResourceType() string { return "Condition" }

// ResourceID returns the logical id (Condition.id), "" when it has none.
func (r *Condition) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Condition) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Condition" into r, losslessly; see [Unmarshal].
func (r *Condition) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// conditionFields has Condition's fields without its methods, so encoding/json handles them field by field.
type conditionFields Condition

func (r *Condition) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*conditionFields
	}{"Condition", (*conditionFields)(r)})
}

func (r *Condition) decodeTyped(data []byte) error {
	s := struct {
		*conditionFields
		Contained resourceList `json:"contained"`
	}{conditionFields: (*conditionFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *Condition) reset() { *r = Condition{} }

func (r *Condition) restPtr() **delta { return &r.rest }

func (r *Condition) rawPtr() *[]byte { return &r.raw }

func (r *Condition) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "Observation".
func (*Observation) ResourceType() string { return "Observation" }

// ResourceID returns the logical id (Observation.id), "" when it has none.
func (r *Observation) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Observation) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Observation" into r, losslessly; see [Unmarshal].
func (r *Observation) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// observationFields has Observation's fields without its methods, so encoding/json handles them field by field.
type observationFields Observation

func (r *Observation) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*observationFields
	}{"Observation", (*observationFields)(r)})
}

func (r *Observation) decodeTyped(data []byte) error {
	s := struct {
		*observationFields
		Contained resourceList `json:"contained"`
	}{observationFields: (*observationFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *Observation) reset() { *r = Observation{} }

func (r *Observation) restPtr() **delta { return &r.rest }

func (r *Observation) rawPtr() *[]byte { return &r.raw }

func (r *Observation) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "Encounter".
func (*Encounter) ResourceType() string { return "Encounter" }

// ResourceID returns the logical id (Encounter.id), "" when it has none.
func (r *Encounter) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Encounter) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Encounter" into r, losslessly; see [Unmarshal].
func (r *Encounter) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// encounterFields has Encounter's fields without its methods, so encoding/json handles them field by field.
type encounterFields Encounter

func (r *Encounter) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*encounterFields
	}{"Encounter", (*encounterFields)(r)})
}

func (r *Encounter) decodeTyped(data []byte) error {
	s := struct {
		*encounterFields
		Contained resourceList `json:"contained"`
	}{encounterFields: (*encounterFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *Encounter) reset() { *r = Encounter{} }

func (r *Encounter) restPtr() **delta { return &r.rest }

func (r *Encounter) rawPtr() *[]byte { return &r.raw }

func (r *Encounter) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "DetectedIssue".
func (*DetectedIssue) ResourceType() string { return "DetectedIssue" }

// ResourceID returns the logical id (DetectedIssue.id), "" when it has none.
func (r *DetectedIssue) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *DetectedIssue) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "DetectedIssue" into r, losslessly; see [Unmarshal].
func (r *DetectedIssue) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// detectedIssueFields has DetectedIssue's fields without its methods, so encoding/json handles them field by field.
type detectedIssueFields DetectedIssue

func (r *DetectedIssue) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*detectedIssueFields
	}{"DetectedIssue", (*detectedIssueFields)(r)})
}

func (r *DetectedIssue) decodeTyped(data []byte) error {
	s := struct {
		*detectedIssueFields
		Contained resourceList `json:"contained"`
	}{detectedIssueFields: (*detectedIssueFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *DetectedIssue) reset() { *r = DetectedIssue{} }

func (r *DetectedIssue) restPtr() **delta { return &r.rest }

func (r *DetectedIssue) rawPtr() *[]byte { return &r.raw }

func (r *DetectedIssue) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "Provenance".
func (*Provenance) ResourceType() string { return "Provenance" }

// ResourceID returns the logical id (Provenance.id), "" when it has none.
func (r *Provenance) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Provenance) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Provenance" into r, losslessly; see [Unmarshal].
func (r *Provenance) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// provenanceFields has Provenance's fields without its methods, so encoding/json handles them field by field.
type provenanceFields Provenance

func (r *Provenance) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*provenanceFields
	}{"Provenance", (*provenanceFields)(r)})
}

func (r *Provenance) decodeTyped(data []byte) error {
	s := struct {
		*provenanceFields
		Contained resourceList `json:"contained"`
	}{provenanceFields: (*provenanceFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *Provenance) reset() { *r = Provenance{} }

func (r *Provenance) restPtr() **delta { return &r.rest }

func (r *Provenance) rawPtr() *[]byte { return &r.raw }

func (r *Provenance) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "OperationOutcome".
func (*OperationOutcome) ResourceType() string { return "OperationOutcome" }

// ResourceID returns the logical id (OperationOutcome.id), "" when it has none.
func (r *OperationOutcome) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *OperationOutcome) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "OperationOutcome" into r, losslessly; see [Unmarshal].
func (r *OperationOutcome) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// operationOutcomeFields has OperationOutcome's fields without its methods, so encoding/json handles them field by field.
type operationOutcomeFields OperationOutcome

func (r *OperationOutcome) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*operationOutcomeFields
	}{"OperationOutcome", (*operationOutcomeFields)(r)})
}

func (r *OperationOutcome) decodeTyped(data []byte) error {
	s := struct {
		*operationOutcomeFields
		Contained resourceList `json:"contained"`
	}{operationOutcomeFields: (*operationOutcomeFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *OperationOutcome) reset() { *r = OperationOutcome{} }

func (r *OperationOutcome) restPtr() **delta { return &r.rest }

func (r *OperationOutcome) rawPtr() *[]byte { return &r.raw }

func (r *OperationOutcome) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// ResourceType returns "Bundle".
func (*Bundle) ResourceType() string { return "Bundle" }

// ResourceID returns the logical id (Bundle.id), "" when it has none.
func (r *Bundle) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Bundle) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Bundle" into r, losslessly; see [Unmarshal].
func (r *Bundle) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// bundleFields has Bundle's fields without its methods, so encoding/json handles them field by field.
type bundleFields Bundle

func (r *Bundle) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*bundleFields
	}{"Bundle", (*bundleFields)(r)})
}

func (r *Bundle) reset() { *r = Bundle{} }

func (r *Bundle) restPtr() **delta { return &r.rest }

func (r *Bundle) rawPtr() *[]byte { return &r.raw }

// ResourceType returns "Parameters".
func (*Parameters) ResourceType() string { return "Parameters" }

// ResourceID returns the logical id (Parameters.id), "" when it has none.
func (r *Parameters) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *Parameters) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "Parameters" into r, losslessly; see [Unmarshal].
func (r *Parameters) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// parametersFields has Parameters's fields without its methods, so encoding/json handles them field by field.
type parametersFields Parameters

func (r *Parameters) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*parametersFields
	}{"Parameters", (*parametersFields)(r)})
}

func (r *Parameters) decodeTyped(data []byte) error {
	return json.Unmarshal(data, (*parametersFields)(r))
}

func (r *Parameters) reset() { *r = Parameters{} }

func (r *Parameters) restPtr() **delta { return &r.rest }

func (r *Parameters) rawPtr() *[]byte { return &r.raw }

// ResourceType returns "CapabilityStatement".
func (*CapabilityStatement) ResourceType() string { return "CapabilityStatement" }

// ResourceID returns the logical id (CapabilityStatement.id), "" when it has none.
func (r *CapabilityStatement) ResourceID() string { return r.Id }

// MarshalJSON writes r as FHIR JSON; see [Marshal].
func (r *CapabilityStatement) MarshalJSON() ([]byte, error) { return marshalTyped(r) }

// UnmarshalJSON reads FHIR JSON whose resourceType is "CapabilityStatement" into r, losslessly; see [Unmarshal].
func (r *CapabilityStatement) UnmarshalJSON(data []byte) error { return decodeInto(r, data) }

// capabilityStatementFields has CapabilityStatement's fields without its methods, so encoding/json handles them field by field.
type capabilityStatementFields CapabilityStatement

func (r *CapabilityStatement) encodeTyped(enc *json.Encoder) error {
	return enc.Encode(struct {
		ResourceType string `json:"resourceType"`
		*capabilityStatementFields
	}{"CapabilityStatement", (*capabilityStatementFields)(r)})
}

func (r *CapabilityStatement) decodeTyped(data []byte) error {
	s := struct {
		*capabilityStatementFields
		Contained resourceList `json:"contained"`
	}{capabilityStatementFields: (*capabilityStatementFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	r.Contained = s.Contained
	return nil
}

func (r *CapabilityStatement) reset() { *r = CapabilityStatement{} }

func (r *CapabilityStatement) restPtr() **delta { return &r.rest }

func (r *CapabilityStatement) rawPtr() *[]byte { return &r.raw }

func (r *CapabilityStatement) visitNested(f func(*Resource) error) error {
	return visitList(r.Contained, "contained", f)
}

// newTyped returns a new empty typed resource for a resourceType, or nil when the type has no typed struct.
func newTyped(resourceType string) typedResource {
	switch resourceType {
	case "Patient":
		return new(Patient)
	case "Practitioner":
		return new(Practitioner)
	case "Medication":
		return new(Medication)
	case "MedicationRequest":
		return new(MedicationRequest)
	case "MedicationAdministration":
		return new(MedicationAdministration)
	case "AdverseEvent":
		return new(AdverseEvent)
	case "AllergyIntolerance":
		return new(AllergyIntolerance)
	case "Condition":
		return new(Condition)
	case "Observation":
		return new(Observation)
	case "Encounter":
		return new(Encounter)
	case "DetectedIssue":
		return new(DetectedIssue)
	case "Provenance":
		return new(Provenance)
	case "OperationOutcome":
		return new(OperationOutcome)
	case "Bundle":
		return new(Bundle)
	case "Parameters":
		return new(Parameters)
	case "CapabilityStatement":
		return new(CapabilityStatement)
	}
	return nil
}

// TypedResourceTypes lists the resource types that have a typed struct, in a fixed order; any other type decodes as *Generic.
func TypedResourceTypes() []string {
	return []string{"Patient", "Practitioner", "Medication", "MedicationRequest", "MedicationAdministration", "AdverseEvent", "AllergyIntolerance", "Condition", "Observation", "Encounter", "DetectedIssue", "Provenance", "OperationOutcome", "Bundle", "Parameters", "CapabilityStatement"}
}
