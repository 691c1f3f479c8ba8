package r4

// Resource structs of the typed resource types. Derived once from samply's R4 structs
// (same elements, names and order) and then maintained here; the differences are
// described in doc.go.

import (
	"encoding/json"

	fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Patient is the FHIR R4 Patient resource (http://hl7.org/fhir/R4/patient.html).
type Patient struct {
	Id                   string                 `json:"id,omitempty"`
	Meta                 *fhir.Meta             `json:"meta,omitempty"`
	ImplicitRules        string                 `json:"implicitRules,omitempty"`
	Language             string                 `json:"language,omitempty"`
	Text                 *fhir.Narrative        `json:"text,omitempty"`
	Contained            []Resource             `json:"contained,omitempty"`
	Extension            []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension    []fhir.Extension       `json:"modifierExtension,omitempty"`
	Identifier           []fhir.Identifier      `json:"identifier,omitempty"`
	Active               *bool                  `json:"active,omitempty"`
	Name                 []fhir.HumanName       `json:"name,omitempty"`
	Telecom              []fhir.ContactPoint    `json:"telecom,omitempty"`
	Gender               string                 `json:"gender,omitempty"`
	BirthDate            string                 `json:"birthDate,omitempty"`
	DeceasedBoolean      *bool                  `json:"deceasedBoolean,omitempty"`
	DeceasedDateTime     *string                `json:"deceasedDateTime,omitempty"`
	Address              []fhir.Address         `json:"address,omitempty"`
	MaritalStatus        *fhir.CodeableConcept  `json:"maritalStatus,omitempty"`
	MultipleBirthBoolean *bool                  `json:"multipleBirthBoolean,omitempty"`
	MultipleBirthInteger *int                   `json:"multipleBirthInteger,omitempty"`
	Photo                []fhir.Attachment      `json:"photo,omitempty"`
	Contact              []PatientContact       `json:"contact,omitempty"`
	Communication        []PatientCommunication `json:"communication,omitempty"`
	GeneralPractitioner  []fhir.Reference       `json:"generalPractitioner,omitempty"`
	ManagingOrganization *fhir.Reference        `json:"managingOrganization,omitempty"`
	Link                 []PatientLink          `json:"link,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// PatientContact is the backbone element Patient.contact.
type PatientContact struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Relationship      []fhir.CodeableConcept `json:"relationship,omitempty"`
	Name              *fhir.HumanName        `json:"name,omitempty"`
	Telecom           []fhir.ContactPoint    `json:"telecom,omitempty"`
	Address           *fhir.Address          `json:"address,omitempty"`
	Gender            string                 `json:"gender,omitempty"`
	Organization      *fhir.Reference        `json:"organization,omitempty"`
	Period            *fhir.Period           `json:"period,omitempty"`
}

// PatientCommunication is the backbone element Patient.communication.
type PatientCommunication struct {
	Id                string               `json:"id,omitempty"`
	Extension         []fhir.Extension     `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension     `json:"modifierExtension,omitempty"`
	Language          fhir.CodeableConcept `json:"language,omitzero"`
	Preferred         *bool                `json:"preferred,omitempty"`
}

// PatientLink is the backbone element Patient.link.
type PatientLink struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Other             fhir.Reference   `json:"other,omitzero"`
	Type              string           `json:"type,omitempty"`
}

// Practitioner is the FHIR R4 Practitioner resource (http://hl7.org/fhir/R4/practitioner.html).
type Practitioner struct {
	Id                string                      `json:"id,omitempty"`
	Meta              *fhir.Meta                  `json:"meta,omitempty"`
	ImplicitRules     string                      `json:"implicitRules,omitempty"`
	Language          string                      `json:"language,omitempty"`
	Text              *fhir.Narrative             `json:"text,omitempty"`
	Contained         []Resource                  `json:"contained,omitempty"`
	Extension         []fhir.Extension            `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension            `json:"modifierExtension,omitempty"`
	Identifier        []fhir.Identifier           `json:"identifier,omitempty"`
	Active            *bool                       `json:"active,omitempty"`
	Name              []fhir.HumanName            `json:"name,omitempty"`
	Telecom           []fhir.ContactPoint         `json:"telecom,omitempty"`
	Address           []fhir.Address              `json:"address,omitempty"`
	Gender            string                      `json:"gender,omitempty"`
	BirthDate         string                      `json:"birthDate,omitempty"`
	Photo             []fhir.Attachment           `json:"photo,omitempty"`
	Qualification     []PractitionerQualification `json:"qualification,omitempty"`
	Communication     []fhir.CodeableConcept      `json:"communication,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// PractitionerQualification is the backbone element Practitioner.qualification.
type PractitionerQualification struct {
	Id                string               `json:"id,omitempty"`
	Extension         []fhir.Extension     `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension     `json:"modifierExtension,omitempty"`
	Identifier        []fhir.Identifier    `json:"identifier,omitempty"`
	Code              fhir.CodeableConcept `json:"code,omitzero"`
	Period            *fhir.Period         `json:"period,omitempty"`
	Issuer            *fhir.Reference      `json:"issuer,omitempty"`
}

// Medication is the FHIR R4 Medication resource (http://hl7.org/fhir/R4/medication.html).
type Medication struct {
	Id                string                 `json:"id,omitempty"`
	Meta              *fhir.Meta             `json:"meta,omitempty"`
	ImplicitRules     string                 `json:"implicitRules,omitempty"`
	Language          string                 `json:"language,omitempty"`
	Text              *fhir.Narrative        `json:"text,omitempty"`
	Contained         []Resource             `json:"contained,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Identifier        []fhir.Identifier      `json:"identifier,omitempty"`
	Code              *fhir.CodeableConcept  `json:"code,omitempty"`
	Status            string                 `json:"status,omitempty"`
	Manufacturer      *fhir.Reference        `json:"manufacturer,omitempty"`
	Form              *fhir.CodeableConcept  `json:"form,omitempty"`
	Amount            *fhir.Ratio            `json:"amount,omitempty"`
	Ingredient        []MedicationIngredient `json:"ingredient,omitempty"`
	Batch             *MedicationBatch       `json:"batch,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// MedicationIngredient is the backbone element Medication.ingredient.
type MedicationIngredient struct {
	Id                  string                `json:"id,omitempty"`
	Extension           []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension   []fhir.Extension      `json:"modifierExtension,omitempty"`
	ItemCodeableConcept *fhir.CodeableConcept `json:"itemCodeableConcept,omitempty"`
	ItemReference       *fhir.Reference       `json:"itemReference,omitempty"`
	IsActive            *bool                 `json:"isActive,omitempty"`
	Strength            *fhir.Ratio           `json:"strength,omitempty"`
}

// MedicationBatch is the backbone element Medication.batch.
type MedicationBatch struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	LotNumber         string           `json:"lotNumber,omitempty"`
	ExpirationDate    string           `json:"expirationDate,omitempty"`
}

// MedicationRequest is the FHIR R4 MedicationRequest resource (http://hl7.org/fhir/R4/medicationrequest.html).
type MedicationRequest struct {
	Id                        string                            `json:"id,omitempty"`
	Meta                      *fhir.Meta                        `json:"meta,omitempty"`
	ImplicitRules             string                            `json:"implicitRules,omitempty"`
	Language                  string                            `json:"language,omitempty"`
	Text                      *fhir.Narrative                   `json:"text,omitempty"`
	Contained                 []Resource                        `json:"contained,omitempty"`
	Extension                 []fhir.Extension                  `json:"extension,omitempty"`
	ModifierExtension         []fhir.Extension                  `json:"modifierExtension,omitempty"`
	Identifier                []fhir.Identifier                 `json:"identifier,omitempty"`
	Status                    string                            `json:"status,omitempty"`
	StatusReason              *fhir.CodeableConcept             `json:"statusReason,omitempty"`
	Intent                    string                            `json:"intent,omitempty"`
	Category                  []fhir.CodeableConcept            `json:"category,omitempty"`
	Priority                  string                            `json:"priority,omitempty"`
	DoNotPerform              *bool                             `json:"doNotPerform,omitempty"`
	ReportedBoolean           *bool                             `json:"reportedBoolean,omitempty"`
	ReportedReference         *fhir.Reference                   `json:"reportedReference,omitempty"`
	MedicationCodeableConcept *fhir.CodeableConcept             `json:"medicationCodeableConcept,omitempty"`
	MedicationReference       *fhir.Reference                   `json:"medicationReference,omitempty"`
	Subject                   fhir.Reference                    `json:"subject,omitzero"`
	Encounter                 *fhir.Reference                   `json:"encounter,omitempty"`
	SupportingInformation     []fhir.Reference                  `json:"supportingInformation,omitempty"`
	AuthoredOn                string                            `json:"authoredOn,omitempty"`
	Requester                 *fhir.Reference                   `json:"requester,omitempty"`
	Performer                 *fhir.Reference                   `json:"performer,omitempty"`
	PerformerType             *fhir.CodeableConcept             `json:"performerType,omitempty"`
	Recorder                  *fhir.Reference                   `json:"recorder,omitempty"`
	ReasonCode                []fhir.CodeableConcept            `json:"reasonCode,omitempty"`
	ReasonReference           []fhir.Reference                  `json:"reasonReference,omitempty"`
	InstantiatesCanonical     []string                          `json:"instantiatesCanonical,omitempty"`
	InstantiatesUri           []string                          `json:"instantiatesUri,omitempty"`
	BasedOn                   []fhir.Reference                  `json:"basedOn,omitempty"`
	GroupIdentifier           *fhir.Identifier                  `json:"groupIdentifier,omitempty"`
	CourseOfTherapyType       *fhir.CodeableConcept             `json:"courseOfTherapyType,omitempty"`
	Insurance                 []fhir.Reference                  `json:"insurance,omitempty"`
	Note                      []fhir.Annotation                 `json:"note,omitempty"`
	DosageInstruction         []fhir.Dosage                     `json:"dosageInstruction,omitempty"`
	DispenseRequest           *MedicationRequestDispenseRequest `json:"dispenseRequest,omitempty"`
	Substitution              *MedicationRequestSubstitution    `json:"substitution,omitempty"`
	PriorPrescription         *fhir.Reference                   `json:"priorPrescription,omitempty"`
	DetectedIssue             []fhir.Reference                  `json:"detectedIssue,omitempty"`
	EventHistory              []fhir.Reference                  `json:"eventHistory,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// MedicationRequestDispenseRequest is the backbone element MedicationRequest.dispenseRequest.
type MedicationRequestDispenseRequest struct {
	Id                     string                                       `json:"id,omitempty"`
	Extension              []fhir.Extension                             `json:"extension,omitempty"`
	ModifierExtension      []fhir.Extension                             `json:"modifierExtension,omitempty"`
	InitialFill            *MedicationRequestDispenseRequestInitialFill `json:"initialFill,omitempty"`
	DispenseInterval       *fhir.Duration                               `json:"dispenseInterval,omitempty"`
	ValidityPeriod         *fhir.Period                                 `json:"validityPeriod,omitempty"`
	NumberOfRepeatsAllowed *int                                         `json:"numberOfRepeatsAllowed,omitempty"`
	Quantity               *fhir.Quantity                               `json:"quantity,omitempty"`
	ExpectedSupplyDuration *fhir.Duration                               `json:"expectedSupplyDuration,omitempty"`
	Performer              *fhir.Reference                              `json:"performer,omitempty"`
}

// MedicationRequestDispenseRequestInitialFill is the backbone element MedicationRequest.dispenseRequest.initialFill.
type MedicationRequestDispenseRequestInitialFill struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Quantity          *fhir.Quantity   `json:"quantity,omitempty"`
	Duration          *fhir.Duration   `json:"duration,omitempty"`
}

// MedicationRequestSubstitution is the backbone element MedicationRequest.substitution.
type MedicationRequestSubstitution struct {
	Id                     string                `json:"id,omitempty"`
	Extension              []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension      []fhir.Extension      `json:"modifierExtension,omitempty"`
	AllowedBoolean         *bool                 `json:"allowedBoolean,omitempty"`
	AllowedCodeableConcept *fhir.CodeableConcept `json:"allowedCodeableConcept,omitempty"`
	Reason                 *fhir.CodeableConcept `json:"reason,omitempty"`
}

// MedicationAdministration is the FHIR R4 MedicationAdministration resource (http://hl7.org/fhir/R4/medicationadministration.html).
type MedicationAdministration struct {
	Id                        string                              `json:"id,omitempty"`
	Meta                      *fhir.Meta                          `json:"meta,omitempty"`
	ImplicitRules             string                              `json:"implicitRules,omitempty"`
	Language                  string                              `json:"language,omitempty"`
	Text                      *fhir.Narrative                     `json:"text,omitempty"`
	Contained                 []Resource                          `json:"contained,omitempty"`
	Extension                 []fhir.Extension                    `json:"extension,omitempty"`
	ModifierExtension         []fhir.Extension                    `json:"modifierExtension,omitempty"`
	Identifier                []fhir.Identifier                   `json:"identifier,omitempty"`
	Instantiates              []string                            `json:"instantiates,omitempty"`
	PartOf                    []fhir.Reference                    `json:"partOf,omitempty"`
	Status                    string                              `json:"status,omitempty"`
	StatusReason              []fhir.CodeableConcept              `json:"statusReason,omitempty"`
	Category                  *fhir.CodeableConcept               `json:"category,omitempty"`
	MedicationCodeableConcept *fhir.CodeableConcept               `json:"medicationCodeableConcept,omitempty"`
	MedicationReference       *fhir.Reference                     `json:"medicationReference,omitempty"`
	Subject                   fhir.Reference                      `json:"subject,omitzero"`
	Context                   *fhir.Reference                     `json:"context,omitempty"`
	SupportingInformation     []fhir.Reference                    `json:"supportingInformation,omitempty"`
	EffectiveDateTime         *string                             `json:"effectiveDateTime,omitempty"`
	EffectivePeriod           *fhir.Period                        `json:"effectivePeriod,omitempty"`
	Performer                 []MedicationAdministrationPerformer `json:"performer,omitempty"`
	ReasonCode                []fhir.CodeableConcept              `json:"reasonCode,omitempty"`
	ReasonReference           []fhir.Reference                    `json:"reasonReference,omitempty"`
	Request                   *fhir.Reference                     `json:"request,omitempty"`
	Device                    []fhir.Reference                    `json:"device,omitempty"`
	Note                      []fhir.Annotation                   `json:"note,omitempty"`
	Dosage                    *MedicationAdministrationDosage     `json:"dosage,omitempty"`
	EventHistory              []fhir.Reference                    `json:"eventHistory,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// MedicationAdministrationPerformer is the backbone element MedicationAdministration.performer.
type MedicationAdministrationPerformer struct {
	Id                string                `json:"id,omitempty"`
	Extension         []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension      `json:"modifierExtension,omitempty"`
	Function          *fhir.CodeableConcept `json:"function,omitempty"`
	Actor             fhir.Reference        `json:"actor,omitzero"`
}

// MedicationAdministrationDosage is the backbone element MedicationAdministration.dosage.
type MedicationAdministrationDosage struct {
	Id                string                `json:"id,omitempty"`
	Extension         []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension      `json:"modifierExtension,omitempty"`
	Text              string                `json:"text,omitempty"`
	Site              *fhir.CodeableConcept `json:"site,omitempty"`
	Route             *fhir.CodeableConcept `json:"route,omitempty"`
	Method            *fhir.CodeableConcept `json:"method,omitempty"`
	Dose              *fhir.Quantity        `json:"dose,omitempty"`
	RateRatio         *fhir.Ratio           `json:"rateRatio,omitempty"`
	RateQuantity      *fhir.Quantity        `json:"rateQuantity,omitempty"`
}

// AdverseEvent is the FHIR R4 AdverseEvent resource (http://hl7.org/fhir/R4/adverseevent.html).
type AdverseEvent struct {
	Id                    string                      `json:"id,omitempty"`
	Meta                  *fhir.Meta                  `json:"meta,omitempty"`
	ImplicitRules         string                      `json:"implicitRules,omitempty"`
	Language              string                      `json:"language,omitempty"`
	Text                  *fhir.Narrative             `json:"text,omitempty"`
	Contained             []Resource                  `json:"contained,omitempty"`
	Extension             []fhir.Extension            `json:"extension,omitempty"`
	ModifierExtension     []fhir.Extension            `json:"modifierExtension,omitempty"`
	Identifier            *fhir.Identifier            `json:"identifier,omitempty"`
	Actuality             string                      `json:"actuality,omitempty"`
	Category              []fhir.CodeableConcept      `json:"category,omitempty"`
	Event                 *fhir.CodeableConcept       `json:"event,omitempty"`
	Subject               fhir.Reference              `json:"subject,omitzero"`
	Encounter             *fhir.Reference             `json:"encounter,omitempty"`
	Date                  string                      `json:"date,omitempty"`
	Detected              string                      `json:"detected,omitempty"`
	RecordedDate          string                      `json:"recordedDate,omitempty"`
	ResultingCondition    []fhir.Reference            `json:"resultingCondition,omitempty"`
	Location              *fhir.Reference             `json:"location,omitempty"`
	Seriousness           *fhir.CodeableConcept       `json:"seriousness,omitempty"`
	Severity              *fhir.CodeableConcept       `json:"severity,omitempty"`
	Outcome               *fhir.CodeableConcept       `json:"outcome,omitempty"`
	Recorder              *fhir.Reference             `json:"recorder,omitempty"`
	Contributor           []fhir.Reference            `json:"contributor,omitempty"`
	SuspectEntity         []AdverseEventSuspectEntity `json:"suspectEntity,omitempty"`
	SubjectMedicalHistory []fhir.Reference            `json:"subjectMedicalHistory,omitempty"`
	ReferenceDocument     []fhir.Reference            `json:"referenceDocument,omitempty"`
	Study                 []fhir.Reference            `json:"study,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// AdverseEventSuspectEntity is the backbone element AdverseEvent.suspectEntity.
type AdverseEventSuspectEntity struct {
	Id                string                               `json:"id,omitempty"`
	Extension         []fhir.Extension                     `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension                     `json:"modifierExtension,omitempty"`
	Instance          fhir.Reference                       `json:"instance,omitzero"`
	Causality         []AdverseEventSuspectEntityCausality `json:"causality,omitempty"`
}

// AdverseEventSuspectEntityCausality is the backbone element AdverseEvent.suspectEntity.causality.
type AdverseEventSuspectEntityCausality struct {
	Id                 string                `json:"id,omitempty"`
	Extension          []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension  []fhir.Extension      `json:"modifierExtension,omitempty"`
	Assessment         *fhir.CodeableConcept `json:"assessment,omitempty"`
	ProductRelatedness string                `json:"productRelatedness,omitempty"`
	Author             *fhir.Reference       `json:"author,omitempty"`
	Method             *fhir.CodeableConcept `json:"method,omitempty"`
}

// AllergyIntolerance is the FHIR R4 AllergyIntolerance resource (http://hl7.org/fhir/R4/allergyintolerance.html).
type AllergyIntolerance struct {
	Id                 string                       `json:"id,omitempty"`
	Meta               *fhir.Meta                   `json:"meta,omitempty"`
	ImplicitRules      string                       `json:"implicitRules,omitempty"`
	Language           string                       `json:"language,omitempty"`
	Text               *fhir.Narrative              `json:"text,omitempty"`
	Contained          []Resource                   `json:"contained,omitempty"`
	Extension          []fhir.Extension             `json:"extension,omitempty"`
	ModifierExtension  []fhir.Extension             `json:"modifierExtension,omitempty"`
	Identifier         []fhir.Identifier            `json:"identifier,omitempty"`
	ClinicalStatus     *fhir.CodeableConcept        `json:"clinicalStatus,omitempty"`
	VerificationStatus *fhir.CodeableConcept        `json:"verificationStatus,omitempty"`
	Type               string                       `json:"type,omitempty"`
	Category           []string                     `json:"category,omitempty"`
	Criticality        string                       `json:"criticality,omitempty"`
	Code               *fhir.CodeableConcept        `json:"code,omitempty"`
	Patient            fhir.Reference               `json:"patient,omitzero"`
	Encounter          *fhir.Reference              `json:"encounter,omitempty"`
	OnsetDateTime      *string                      `json:"onsetDateTime,omitempty"`
	OnsetAge           *fhir.Age                    `json:"onsetAge,omitempty"`
	OnsetPeriod        *fhir.Period                 `json:"onsetPeriod,omitempty"`
	OnsetRange         *fhir.Range                  `json:"onsetRange,omitempty"`
	OnsetString        *string                      `json:"onsetString,omitempty"`
	RecordedDate       string                       `json:"recordedDate,omitempty"`
	Recorder           *fhir.Reference              `json:"recorder,omitempty"`
	Asserter           *fhir.Reference              `json:"asserter,omitempty"`
	LastOccurrence     string                       `json:"lastOccurrence,omitempty"`
	Note               []fhir.Annotation            `json:"note,omitempty"`
	Reaction           []AllergyIntoleranceReaction `json:"reaction,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// AllergyIntoleranceReaction is the backbone element AllergyIntolerance.reaction.
type AllergyIntoleranceReaction struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Substance         *fhir.CodeableConcept  `json:"substance,omitempty"`
	Manifestation     []fhir.CodeableConcept `json:"manifestation,omitempty"`
	Description       string                 `json:"description,omitempty"`
	Onset             string                 `json:"onset,omitempty"`
	Severity          string                 `json:"severity,omitempty"`
	ExposureRoute     *fhir.CodeableConcept  `json:"exposureRoute,omitempty"`
	Note              []fhir.Annotation      `json:"note,omitempty"`
}

// Condition is the FHIR R4 Condition resource (http://hl7.org/fhir/R4/condition.html).
type Condition struct {
	Id                 string                 `json:"id,omitempty"`
	Meta               *fhir.Meta             `json:"meta,omitempty"`
	ImplicitRules      string                 `json:"implicitRules,omitempty"`
	Language           string                 `json:"language,omitempty"`
	Text               *fhir.Narrative        `json:"text,omitempty"`
	Contained          []Resource             `json:"contained,omitempty"`
	Extension          []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension  []fhir.Extension       `json:"modifierExtension,omitempty"`
	Identifier         []fhir.Identifier      `json:"identifier,omitempty"`
	ClinicalStatus     *fhir.CodeableConcept  `json:"clinicalStatus,omitempty"`
	VerificationStatus *fhir.CodeableConcept  `json:"verificationStatus,omitempty"`
	Category           []fhir.CodeableConcept `json:"category,omitempty"`
	Severity           *fhir.CodeableConcept  `json:"severity,omitempty"`
	Code               *fhir.CodeableConcept  `json:"code,omitempty"`
	BodySite           []fhir.CodeableConcept `json:"bodySite,omitempty"`
	Subject            fhir.Reference         `json:"subject,omitzero"`
	Encounter          *fhir.Reference        `json:"encounter,omitempty"`
	OnsetDateTime      *string                `json:"onsetDateTime,omitempty"`
	OnsetAge           *fhir.Age              `json:"onsetAge,omitempty"`
	OnsetPeriod        *fhir.Period           `json:"onsetPeriod,omitempty"`
	OnsetRange         *fhir.Range            `json:"onsetRange,omitempty"`
	OnsetString        *string                `json:"onsetString,omitempty"`
	AbatementDateTime  *string                `json:"abatementDateTime,omitempty"`
	AbatementAge       *fhir.Age              `json:"abatementAge,omitempty"`
	AbatementPeriod    *fhir.Period           `json:"abatementPeriod,omitempty"`
	AbatementRange     *fhir.Range            `json:"abatementRange,omitempty"`
	AbatementString    *string                `json:"abatementString,omitempty"`
	RecordedDate       string                 `json:"recordedDate,omitempty"`
	Recorder           *fhir.Reference        `json:"recorder,omitempty"`
	Asserter           *fhir.Reference        `json:"asserter,omitempty"`
	Stage              []ConditionStage       `json:"stage,omitempty"`
	Evidence           []ConditionEvidence    `json:"evidence,omitempty"`
	Note               []fhir.Annotation      `json:"note,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// ConditionStage is the backbone element Condition.stage.
type ConditionStage struct {
	Id                string                `json:"id,omitempty"`
	Extension         []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension      `json:"modifierExtension,omitempty"`
	Summary           *fhir.CodeableConcept `json:"summary,omitempty"`
	Assessment        []fhir.Reference      `json:"assessment,omitempty"`
	Type              *fhir.CodeableConcept `json:"type,omitempty"`
}

// ConditionEvidence is the backbone element Condition.evidence.
type ConditionEvidence struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Code              []fhir.CodeableConcept `json:"code,omitempty"`
	Detail            []fhir.Reference       `json:"detail,omitempty"`
}

// Observation is the FHIR R4 Observation resource (http://hl7.org/fhir/R4/observation.html).
type Observation struct {
	Id                   string                      `json:"id,omitempty"`
	Meta                 *fhir.Meta                  `json:"meta,omitempty"`
	ImplicitRules        string                      `json:"implicitRules,omitempty"`
	Language             string                      `json:"language,omitempty"`
	Text                 *fhir.Narrative             `json:"text,omitempty"`
	Contained            []Resource                  `json:"contained,omitempty"`
	Extension            []fhir.Extension            `json:"extension,omitempty"`
	ModifierExtension    []fhir.Extension            `json:"modifierExtension,omitempty"`
	Identifier           []fhir.Identifier           `json:"identifier,omitempty"`
	BasedOn              []fhir.Reference            `json:"basedOn,omitempty"`
	PartOf               []fhir.Reference            `json:"partOf,omitempty"`
	Status               string                      `json:"status,omitempty"`
	Category             []fhir.CodeableConcept      `json:"category,omitempty"`
	Code                 fhir.CodeableConcept        `json:"code,omitzero"`
	Subject              *fhir.Reference             `json:"subject,omitempty"`
	Focus                []fhir.Reference            `json:"focus,omitempty"`
	Encounter            *fhir.Reference             `json:"encounter,omitempty"`
	EffectiveDateTime    *string                     `json:"effectiveDateTime,omitempty"`
	EffectivePeriod      *fhir.Period                `json:"effectivePeriod,omitempty"`
	EffectiveTiming      *fhir.Timing                `json:"effectiveTiming,omitempty"`
	EffectiveInstant     *string                     `json:"effectiveInstant,omitempty"`
	Issued               string                      `json:"issued,omitempty"`
	Performer            []fhir.Reference            `json:"performer,omitempty"`
	ValueQuantity        *fhir.Quantity              `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *fhir.CodeableConcept       `json:"valueCodeableConcept,omitempty"`
	ValueString          *string                     `json:"valueString,omitempty"`
	ValueBoolean         *bool                       `json:"valueBoolean,omitempty"`
	ValueInteger         *int                        `json:"valueInteger,omitempty"`
	ValueRange           *fhir.Range                 `json:"valueRange,omitempty"`
	ValueRatio           *fhir.Ratio                 `json:"valueRatio,omitempty"`
	ValueSampledData     *fhir.SampledData           `json:"valueSampledData,omitempty"`
	ValueTime            *string                     `json:"valueTime,omitempty"`
	ValueDateTime        *string                     `json:"valueDateTime,omitempty"`
	ValuePeriod          *fhir.Period                `json:"valuePeriod,omitempty"`
	DataAbsentReason     *fhir.CodeableConcept       `json:"dataAbsentReason,omitempty"`
	Interpretation       []fhir.CodeableConcept      `json:"interpretation,omitempty"`
	Note                 []fhir.Annotation           `json:"note,omitempty"`
	BodySite             *fhir.CodeableConcept       `json:"bodySite,omitempty"`
	Method               *fhir.CodeableConcept       `json:"method,omitempty"`
	Specimen             *fhir.Reference             `json:"specimen,omitempty"`
	Device               *fhir.Reference             `json:"device,omitempty"`
	ReferenceRange       []ObservationReferenceRange `json:"referenceRange,omitempty"`
	HasMember            []fhir.Reference            `json:"hasMember,omitempty"`
	DerivedFrom          []fhir.Reference            `json:"derivedFrom,omitempty"`
	Component            []ObservationComponent      `json:"component,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// ObservationReferenceRange is the backbone element Observation.referenceRange.
type ObservationReferenceRange struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Low               *fhir.Quantity         `json:"low,omitempty"`
	High              *fhir.Quantity         `json:"high,omitempty"`
	Type              *fhir.CodeableConcept  `json:"type,omitempty"`
	AppliesTo         []fhir.CodeableConcept `json:"appliesTo,omitempty"`
	Age               *fhir.Range            `json:"age,omitempty"`
	Text              string                 `json:"text,omitempty"`
}

// ObservationComponent is the backbone element Observation.component.
type ObservationComponent struct {
	Id                   string                      `json:"id,omitempty"`
	Extension            []fhir.Extension            `json:"extension,omitempty"`
	ModifierExtension    []fhir.Extension            `json:"modifierExtension,omitempty"`
	Code                 fhir.CodeableConcept        `json:"code,omitzero"`
	ValueQuantity        *fhir.Quantity              `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *fhir.CodeableConcept       `json:"valueCodeableConcept,omitempty"`
	ValueString          *string                     `json:"valueString,omitempty"`
	ValueBoolean         *bool                       `json:"valueBoolean,omitempty"`
	ValueInteger         *int                        `json:"valueInteger,omitempty"`
	ValueRange           *fhir.Range                 `json:"valueRange,omitempty"`
	ValueRatio           *fhir.Ratio                 `json:"valueRatio,omitempty"`
	ValueSampledData     *fhir.SampledData           `json:"valueSampledData,omitempty"`
	ValueTime            *string                     `json:"valueTime,omitempty"`
	ValueDateTime        *string                     `json:"valueDateTime,omitempty"`
	ValuePeriod          *fhir.Period                `json:"valuePeriod,omitempty"`
	DataAbsentReason     *fhir.CodeableConcept       `json:"dataAbsentReason,omitempty"`
	Interpretation       []fhir.CodeableConcept      `json:"interpretation,omitempty"`
	ReferenceRange       []ObservationReferenceRange `json:"referenceRange,omitempty"`
}

// Encounter is the FHIR R4 Encounter resource (http://hl7.org/fhir/R4/encounter.html).
type Encounter struct {
	Id                string                    `json:"id,omitempty"`
	Meta              *fhir.Meta                `json:"meta,omitempty"`
	ImplicitRules     string                    `json:"implicitRules,omitempty"`
	Language          string                    `json:"language,omitempty"`
	Text              *fhir.Narrative           `json:"text,omitempty"`
	Contained         []Resource                `json:"contained,omitempty"`
	Extension         []fhir.Extension          `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension          `json:"modifierExtension,omitempty"`
	Identifier        []fhir.Identifier         `json:"identifier,omitempty"`
	Status            string                    `json:"status,omitempty"`
	StatusHistory     []EncounterStatusHistory  `json:"statusHistory,omitempty"`
	Class             fhir.Coding               `json:"class,omitzero"`
	ClassHistory      []EncounterClassHistory   `json:"classHistory,omitempty"`
	Type              []fhir.CodeableConcept    `json:"type,omitempty"`
	ServiceType       *fhir.CodeableConcept     `json:"serviceType,omitempty"`
	Priority          *fhir.CodeableConcept     `json:"priority,omitempty"`
	Subject           *fhir.Reference           `json:"subject,omitempty"`
	EpisodeOfCare     []fhir.Reference          `json:"episodeOfCare,omitempty"`
	BasedOn           []fhir.Reference          `json:"basedOn,omitempty"`
	Participant       []EncounterParticipant    `json:"participant,omitempty"`
	Appointment       []fhir.Reference          `json:"appointment,omitempty"`
	Period            *fhir.Period              `json:"period,omitempty"`
	Length            *fhir.Duration            `json:"length,omitempty"`
	ReasonCode        []fhir.CodeableConcept    `json:"reasonCode,omitempty"`
	ReasonReference   []fhir.Reference          `json:"reasonReference,omitempty"`
	Diagnosis         []EncounterDiagnosis      `json:"diagnosis,omitempty"`
	Account           []fhir.Reference          `json:"account,omitempty"`
	Hospitalization   *EncounterHospitalization `json:"hospitalization,omitempty"`
	Location          []EncounterLocation       `json:"location,omitempty"`
	ServiceProvider   *fhir.Reference           `json:"serviceProvider,omitempty"`
	PartOf            *fhir.Reference           `json:"partOf,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// EncounterStatusHistory is the backbone element Encounter.statusHistory.
type EncounterStatusHistory struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Status            string           `json:"status,omitempty"`
	Period            fhir.Period      `json:"period,omitzero"`
}

// EncounterClassHistory is the backbone element Encounter.classHistory.
type EncounterClassHistory struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Class             fhir.Coding      `json:"class,omitzero"`
	Period            fhir.Period      `json:"period,omitzero"`
}

// EncounterParticipant is the backbone element Encounter.participant.
type EncounterParticipant struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Type              []fhir.CodeableConcept `json:"type,omitempty"`
	Period            *fhir.Period           `json:"period,omitempty"`
	Individual        *fhir.Reference        `json:"individual,omitempty"`
}

// EncounterDiagnosis is the backbone element Encounter.diagnosis.
type EncounterDiagnosis struct {
	Id                string                `json:"id,omitempty"`
	Extension         []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension      `json:"modifierExtension,omitempty"`
	Condition         fhir.Reference        `json:"condition,omitzero"`
	Use               *fhir.CodeableConcept `json:"use,omitempty"`
	Rank              *int                  `json:"rank,omitempty"`
}

// EncounterHospitalization is the backbone element Encounter.hospitalization.
type EncounterHospitalization struct {
	Id                     string                 `json:"id,omitempty"`
	Extension              []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension      []fhir.Extension       `json:"modifierExtension,omitempty"`
	PreAdmissionIdentifier *fhir.Identifier       `json:"preAdmissionIdentifier,omitempty"`
	Origin                 *fhir.Reference        `json:"origin,omitempty"`
	AdmitSource            *fhir.CodeableConcept  `json:"admitSource,omitempty"`
	ReAdmission            *fhir.CodeableConcept  `json:"reAdmission,omitempty"`
	DietPreference         []fhir.CodeableConcept `json:"dietPreference,omitempty"`
	SpecialCourtesy        []fhir.CodeableConcept `json:"specialCourtesy,omitempty"`
	SpecialArrangement     []fhir.CodeableConcept `json:"specialArrangement,omitempty"`
	Destination            *fhir.Reference        `json:"destination,omitempty"`
	DischargeDisposition   *fhir.CodeableConcept  `json:"dischargeDisposition,omitempty"`
}

// EncounterLocation is the backbone element Encounter.location.
type EncounterLocation struct {
	Id                string                `json:"id,omitempty"`
	Extension         []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension      `json:"modifierExtension,omitempty"`
	Location          fhir.Reference        `json:"location,omitzero"`
	Status            string                `json:"status,omitempty"`
	PhysicalType      *fhir.CodeableConcept `json:"physicalType,omitempty"`
	Period            *fhir.Period          `json:"period,omitempty"`
}

// DetectedIssue is the FHIR R4 DetectedIssue resource (http://hl7.org/fhir/R4/detectedissue.html).
type DetectedIssue struct {
	Id                 string                    `json:"id,omitempty"`
	Meta               *fhir.Meta                `json:"meta,omitempty"`
	ImplicitRules      string                    `json:"implicitRules,omitempty"`
	Language           string                    `json:"language,omitempty"`
	Text               *fhir.Narrative           `json:"text,omitempty"`
	Contained          []Resource                `json:"contained,omitempty"`
	Extension          []fhir.Extension          `json:"extension,omitempty"`
	ModifierExtension  []fhir.Extension          `json:"modifierExtension,omitempty"`
	Identifier         []fhir.Identifier         `json:"identifier,omitempty"`
	Status             string                    `json:"status,omitempty"`
	Code               *fhir.CodeableConcept     `json:"code,omitempty"`
	Severity           string                    `json:"severity,omitempty"`
	Patient            *fhir.Reference           `json:"patient,omitempty"`
	IdentifiedDateTime *string                   `json:"identifiedDateTime,omitempty"`
	IdentifiedPeriod   *fhir.Period              `json:"identifiedPeriod,omitempty"`
	Author             *fhir.Reference           `json:"author,omitempty"`
	Implicated         []fhir.Reference          `json:"implicated,omitempty"`
	Evidence           []DetectedIssueEvidence   `json:"evidence,omitempty"`
	Detail             string                    `json:"detail,omitempty"`
	Reference          string                    `json:"reference,omitempty"`
	Mitigation         []DetectedIssueMitigation `json:"mitigation,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// DetectedIssueEvidence is the backbone element DetectedIssue.evidence.
type DetectedIssueEvidence struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Code              []fhir.CodeableConcept `json:"code,omitempty"`
	Detail            []fhir.Reference       `json:"detail,omitempty"`
}

// DetectedIssueMitigation is the backbone element DetectedIssue.mitigation.
type DetectedIssueMitigation struct {
	Id                string               `json:"id,omitempty"`
	Extension         []fhir.Extension     `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension     `json:"modifierExtension,omitempty"`
	Action            fhir.CodeableConcept `json:"action,omitzero"`
	Date              string               `json:"date,omitempty"`
	Author            *fhir.Reference      `json:"author,omitempty"`
}

// Provenance is the FHIR R4 Provenance resource (http://hl7.org/fhir/R4/provenance.html).
type Provenance struct {
	Id                string                 `json:"id,omitempty"`
	Meta              *fhir.Meta             `json:"meta,omitempty"`
	ImplicitRules     string                 `json:"implicitRules,omitempty"`
	Language          string                 `json:"language,omitempty"`
	Text              *fhir.Narrative        `json:"text,omitempty"`
	Contained         []Resource             `json:"contained,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Target            []fhir.Reference       `json:"target,omitempty"`
	OccurredPeriod    *fhir.Period           `json:"occurredPeriod,omitempty"`
	OccurredDateTime  *string                `json:"occurredDateTime,omitempty"`
	Recorded          string                 `json:"recorded,omitempty"`
	Policy            []string               `json:"policy,omitempty"`
	Location          *fhir.Reference        `json:"location,omitempty"`
	Reason            []fhir.CodeableConcept `json:"reason,omitempty"`
	Activity          *fhir.CodeableConcept  `json:"activity,omitempty"`
	Agent             []ProvenanceAgent      `json:"agent,omitempty"`
	Entity            []ProvenanceEntity     `json:"entity,omitempty"`
	Signature         []fhir.Signature       `json:"signature,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// ProvenanceAgent is the backbone element Provenance.agent.
type ProvenanceAgent struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Type              *fhir.CodeableConcept  `json:"type,omitempty"`
	Role              []fhir.CodeableConcept `json:"role,omitempty"`
	Who               fhir.Reference         `json:"who,omitzero"`
	OnBehalfOf        *fhir.Reference        `json:"onBehalfOf,omitempty"`
}

// ProvenanceEntity is the backbone element Provenance.entity.
type ProvenanceEntity struct {
	Id                string            `json:"id,omitempty"`
	Extension         []fhir.Extension  `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension  `json:"modifierExtension,omitempty"`
	Role              string            `json:"role,omitempty"`
	What              fhir.Reference    `json:"what,omitzero"`
	Agent             []ProvenanceAgent `json:"agent,omitempty"`
}

// OperationOutcome is the FHIR R4 OperationOutcome resource (http://hl7.org/fhir/R4/operationoutcome.html).
type OperationOutcome struct {
	Id                string                  `json:"id,omitempty"`
	Meta              *fhir.Meta              `json:"meta,omitempty"`
	ImplicitRules     string                  `json:"implicitRules,omitempty"`
	Language          string                  `json:"language,omitempty"`
	Text              *fhir.Narrative         `json:"text,omitempty"`
	Contained         []Resource              `json:"contained,omitempty"`
	Extension         []fhir.Extension        `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension        `json:"modifierExtension,omitempty"`
	Issue             []OperationOutcomeIssue `json:"issue,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// OperationOutcomeIssue is the backbone element OperationOutcome.issue.
type OperationOutcomeIssue struct {
	Id                string                `json:"id,omitempty"`
	Extension         []fhir.Extension      `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension      `json:"modifierExtension,omitempty"`
	Severity          string                `json:"severity,omitempty"`
	Code              string                `json:"code,omitempty"`
	Details           *fhir.CodeableConcept `json:"details,omitempty"`
	Diagnostics       string                `json:"diagnostics,omitempty"`
	Location          []string              `json:"location,omitempty"`
	Expression        []string              `json:"expression,omitempty"`
}

// Bundle is the FHIR R4 Bundle resource (http://hl7.org/fhir/R4/bundle.html).
type Bundle struct {
	Id            string           `json:"id,omitempty"`
	Meta          *fhir.Meta       `json:"meta,omitempty"`
	ImplicitRules string           `json:"implicitRules,omitempty"`
	Language      string           `json:"language,omitempty"`
	Identifier    *fhir.Identifier `json:"identifier,omitempty"`
	Type          string           `json:"type,omitempty"`
	Timestamp     string           `json:"timestamp,omitempty"`
	Total         *int             `json:"total,omitempty"`
	Link          []BundleLink     `json:"link,omitempty"`
	Entry         []BundleEntry    `json:"entry,omitempty"`
	Signature     *fhir.Signature  `json:"signature,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// BundleLink is the backbone element Bundle.link.
type BundleLink struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Relation          string           `json:"relation,omitempty"`
	Url               string           `json:"url,omitempty"`
}

// BundleEntry is the backbone element Bundle.entry.
type BundleEntry struct {
	Id                string               `json:"id,omitempty"`
	Extension         []fhir.Extension     `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension     `json:"modifierExtension,omitempty"`
	Link              []BundleLink         `json:"link,omitempty"`
	FullUrl           string               `json:"fullUrl,omitempty"`
	Resource          Resource             `json:"resource,omitempty"`
	Search            *BundleEntrySearch   `json:"search,omitempty"`
	Request           *BundleEntryRequest  `json:"request,omitempty"`
	Response          *BundleEntryResponse `json:"response,omitempty"`
}

// BundleEntrySearch is the backbone element Bundle.entry.search.
type BundleEntrySearch struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Mode              string           `json:"mode,omitempty"`
	Score             *json.Number     `json:"score,omitempty"`
}

// BundleEntryRequest is the backbone element Bundle.entry.request.
type BundleEntryRequest struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Method            string           `json:"method,omitempty"`
	Url               string           `json:"url,omitempty"`
	IfNoneMatch       string           `json:"ifNoneMatch,omitempty"`
	IfModifiedSince   string           `json:"ifModifiedSince,omitempty"`
	IfMatch           string           `json:"ifMatch,omitempty"`
	IfNoneExist       string           `json:"ifNoneExist,omitempty"`
}

// BundleEntryResponse is the backbone element Bundle.entry.response.
type BundleEntryResponse struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Status            string           `json:"status,omitempty"`
	Location          string           `json:"location,omitempty"`
	Etag              string           `json:"etag,omitempty"`
	LastModified      string           `json:"lastModified,omitempty"`
	Outcome           Resource         `json:"outcome,omitempty"`
}

// Parameters is the FHIR R4 Parameters resource (http://hl7.org/fhir/R4/parameters.html).
type Parameters struct {
	Id            string                `json:"id,omitempty"`
	Meta          *fhir.Meta            `json:"meta,omitempty"`
	ImplicitRules string                `json:"implicitRules,omitempty"`
	Language      string                `json:"language,omitempty"`
	Parameter     []ParametersParameter `json:"parameter,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// ParametersParameter is the backbone element Parameters.parameter.
type ParametersParameter struct {
	Id                       string                    `json:"id,omitempty"`
	Extension                []fhir.Extension          `json:"extension,omitempty"`
	ModifierExtension        []fhir.Extension          `json:"modifierExtension,omitempty"`
	Name                     string                    `json:"name,omitempty"`
	ValueBase64Binary        *string                   `json:"valueBase64Binary,omitempty"`
	ValueBoolean             *bool                     `json:"valueBoolean,omitempty"`
	ValueCanonical           *string                   `json:"valueCanonical,omitempty"`
	ValueCode                *string                   `json:"valueCode,omitempty"`
	ValueDate                *string                   `json:"valueDate,omitempty"`
	ValueDateTime            *string                   `json:"valueDateTime,omitempty"`
	ValueDecimal             *json.Number              `json:"valueDecimal,omitempty"`
	ValueId                  *string                   `json:"valueId,omitempty"`
	ValueInstant             *string                   `json:"valueInstant,omitempty"`
	ValueInteger             *int                      `json:"valueInteger,omitempty"`
	ValueMarkdown            *string                   `json:"valueMarkdown,omitempty"`
	ValueOid                 *string                   `json:"valueOid,omitempty"`
	ValuePositiveInt         *int                      `json:"valuePositiveInt,omitempty"`
	ValueString              *string                   `json:"valueString,omitempty"`
	ValueTime                *string                   `json:"valueTime,omitempty"`
	ValueUnsignedInt         *int                      `json:"valueUnsignedInt,omitempty"`
	ValueUri                 *string                   `json:"valueUri,omitempty"`
	ValueUrl                 *string                   `json:"valueUrl,omitempty"`
	ValueUuid                *string                   `json:"valueUuid,omitempty"`
	ValueAddress             *fhir.Address             `json:"valueAddress,omitempty"`
	ValueAge                 *fhir.Age                 `json:"valueAge,omitempty"`
	ValueAnnotation          *fhir.Annotation          `json:"valueAnnotation,omitempty"`
	ValueAttachment          *fhir.Attachment          `json:"valueAttachment,omitempty"`
	ValueCodeableConcept     *fhir.CodeableConcept     `json:"valueCodeableConcept,omitempty"`
	ValueCoding              *fhir.Coding              `json:"valueCoding,omitempty"`
	ValueContactPoint        *fhir.ContactPoint        `json:"valueContactPoint,omitempty"`
	ValueCount               *fhir.Count               `json:"valueCount,omitempty"`
	ValueDistance            *fhir.Distance            `json:"valueDistance,omitempty"`
	ValueDuration            *fhir.Duration            `json:"valueDuration,omitempty"`
	ValueHumanName           *fhir.HumanName           `json:"valueHumanName,omitempty"`
	ValueIdentifier          *fhir.Identifier          `json:"valueIdentifier,omitempty"`
	ValueMoney               *fhir.Money               `json:"valueMoney,omitempty"`
	ValuePeriod              *fhir.Period              `json:"valuePeriod,omitempty"`
	ValueQuantity            *fhir.Quantity            `json:"valueQuantity,omitempty"`
	ValueRange               *fhir.Range               `json:"valueRange,omitempty"`
	ValueRatio               *fhir.Ratio               `json:"valueRatio,omitempty"`
	ValueReference           *fhir.Reference           `json:"valueReference,omitempty"`
	ValueSampledData         *fhir.SampledData         `json:"valueSampledData,omitempty"`
	ValueSignature           *fhir.Signature           `json:"valueSignature,omitempty"`
	ValueTiming              *fhir.Timing              `json:"valueTiming,omitempty"`
	ValueContactDetail       *fhir.ContactDetail       `json:"valueContactDetail,omitempty"`
	ValueContributor         *fhir.Contributor         `json:"valueContributor,omitempty"`
	ValueDataRequirement     *fhir.DataRequirement     `json:"valueDataRequirement,omitempty"`
	ValueExpression          *fhir.Expression          `json:"valueExpression,omitempty"`
	ValueParameterDefinition *fhir.ParameterDefinition `json:"valueParameterDefinition,omitempty"`
	ValueRelatedArtifact     *fhir.RelatedArtifact     `json:"valueRelatedArtifact,omitempty"`
	ValueTriggerDefinition   *fhir.TriggerDefinition   `json:"valueTriggerDefinition,omitempty"`
	ValueUsageContext        *UsageContext             `json:"valueUsageContext,omitempty"`
	ValueDosage              *fhir.Dosage              `json:"valueDosage,omitempty"`
	ValueMeta                *fhir.Meta                `json:"valueMeta,omitempty"`
	Resource                 Resource                  `json:"resource,omitempty"`
	Part                     []ParametersParameter     `json:"part,omitempty"`
}

// CapabilityStatement is the FHIR R4 CapabilityStatement resource (http://hl7.org/fhir/R4/capabilitystatement.html).
type CapabilityStatement struct {
	Id                  string                             `json:"id,omitempty"`
	Meta                *fhir.Meta                         `json:"meta,omitempty"`
	ImplicitRules       string                             `json:"implicitRules,omitempty"`
	Language            string                             `json:"language,omitempty"`
	Text                *fhir.Narrative                    `json:"text,omitempty"`
	Contained           []Resource                         `json:"contained,omitempty"`
	Extension           []fhir.Extension                   `json:"extension,omitempty"`
	ModifierExtension   []fhir.Extension                   `json:"modifierExtension,omitempty"`
	Url                 string                             `json:"url,omitempty"`
	Version             string                             `json:"version,omitempty"`
	Name                string                             `json:"name,omitempty"`
	Title               string                             `json:"title,omitempty"`
	Status              string                             `json:"status,omitempty"`
	Experimental        *bool                              `json:"experimental,omitempty"`
	Date                string                             `json:"date,omitempty"`
	Publisher           string                             `json:"publisher,omitempty"`
	Contact             []fhir.ContactDetail               `json:"contact,omitempty"`
	Description         string                             `json:"description,omitempty"`
	UseContext          []UsageContext                     `json:"useContext,omitempty"`
	Jurisdiction        []fhir.CodeableConcept             `json:"jurisdiction,omitempty"`
	Purpose             string                             `json:"purpose,omitempty"`
	Copyright           string                             `json:"copyright,omitempty"`
	Kind                string                             `json:"kind,omitempty"`
	Instantiates        []string                           `json:"instantiates,omitempty"`
	Imports             []string                           `json:"imports,omitempty"`
	Software            *CapabilityStatementSoftware       `json:"software,omitempty"`
	Implementation      *CapabilityStatementImplementation `json:"implementation,omitempty"`
	FhirVersion         string                             `json:"fhirVersion,omitempty"`
	Format              []string                           `json:"format,omitempty"`
	PatchFormat         []string                           `json:"patchFormat,omitempty"`
	ImplementationGuide []string                           `json:"implementationGuide,omitempty"`
	Rest                []CapabilityStatementRest          `json:"rest,omitempty"`
	Messaging           []CapabilityStatementMessaging     `json:"messaging,omitempty"`
	Document            []CapabilityStatementDocument      `json:"document,omitempty"`

	rest *delta // what the typed fields do not model; see delta.go
	raw  []byte // own verified encoding, only while the parent resource is being read; see nested.go
}

// CapabilityStatementSoftware is the backbone element CapabilityStatement.software.
type CapabilityStatementSoftware struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Name              string           `json:"name,omitempty"`
	Version           string           `json:"version,omitempty"`
	ReleaseDate       string           `json:"releaseDate,omitempty"`
}

// CapabilityStatementImplementation is the backbone element CapabilityStatement.implementation.
type CapabilityStatementImplementation struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Description       string           `json:"description,omitempty"`
	Url               string           `json:"url,omitempty"`
	Custodian         *fhir.Reference  `json:"custodian,omitempty"`
}

// CapabilityStatementRest is the backbone element CapabilityStatement.rest.
type CapabilityStatementRest struct {
	Id                string                                       `json:"id,omitempty"`
	Extension         []fhir.Extension                             `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension                             `json:"modifierExtension,omitempty"`
	Mode              string                                       `json:"mode,omitempty"`
	Documentation     string                                       `json:"documentation,omitempty"`
	Security          *CapabilityStatementRestSecurity             `json:"security,omitempty"`
	Resource          []CapabilityStatementRestResource            `json:"resource,omitempty"`
	Interaction       []CapabilityStatementRestInteraction         `json:"interaction,omitempty"`
	SearchParam       []CapabilityStatementRestResourceSearchParam `json:"searchParam,omitempty"`
	Operation         []CapabilityStatementRestResourceOperation   `json:"operation,omitempty"`
	Compartment       []string                                     `json:"compartment,omitempty"`
}

// CapabilityStatementRestSecurity is the backbone element CapabilityStatement.rest.security.
type CapabilityStatementRestSecurity struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Cors              *bool                  `json:"cors,omitempty"`
	Service           []fhir.CodeableConcept `json:"service,omitempty"`
	Description       string                 `json:"description,omitempty"`
}

// CapabilityStatementRestResource is the backbone element CapabilityStatement.rest.resource.
type CapabilityStatementRestResource struct {
	Id                string                                       `json:"id,omitempty"`
	Extension         []fhir.Extension                             `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension                             `json:"modifierExtension,omitempty"`
	Type              string                                       `json:"type,omitempty"`
	Profile           string                                       `json:"profile,omitempty"`
	SupportedProfile  []string                                     `json:"supportedProfile,omitempty"`
	Documentation     string                                       `json:"documentation,omitempty"`
	Interaction       []CapabilityStatementRestResourceInteraction `json:"interaction,omitempty"`
	Versioning        string                                       `json:"versioning,omitempty"`
	ReadHistory       *bool                                        `json:"readHistory,omitempty"`
	UpdateCreate      *bool                                        `json:"updateCreate,omitempty"`
	ConditionalCreate *bool                                        `json:"conditionalCreate,omitempty"`
	ConditionalRead   string                                       `json:"conditionalRead,omitempty"`
	ConditionalUpdate *bool                                        `json:"conditionalUpdate,omitempty"`
	ConditionalDelete string                                       `json:"conditionalDelete,omitempty"`
	ReferencePolicy   []string                                     `json:"referencePolicy,omitempty"`
	SearchInclude     []string                                     `json:"searchInclude,omitempty"`
	SearchRevInclude  []string                                     `json:"searchRevInclude,omitempty"`
	SearchParam       []CapabilityStatementRestResourceSearchParam `json:"searchParam,omitempty"`
	Operation         []CapabilityStatementRestResourceOperation   `json:"operation,omitempty"`
}

// CapabilityStatementRestResourceInteraction is the backbone element CapabilityStatement.rest.resource.interaction.
type CapabilityStatementRestResourceInteraction struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Code              string           `json:"code,omitempty"`
	Documentation     string           `json:"documentation,omitempty"`
}

// CapabilityStatementRestResourceSearchParam is the backbone element CapabilityStatement.rest.resource.searchParam, also used for CapabilityStatement.rest.searchParam.
type CapabilityStatementRestResourceSearchParam struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Name              string           `json:"name,omitempty"`
	Definition        string           `json:"definition,omitempty"`
	Type              string           `json:"type,omitempty"`
	Documentation     string           `json:"documentation,omitempty"`
}

// CapabilityStatementRestResourceOperation is the backbone element CapabilityStatement.rest.resource.operation, also used for CapabilityStatement.rest.operation.
type CapabilityStatementRestResourceOperation struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Name              string           `json:"name,omitempty"`
	Definition        string           `json:"definition,omitempty"`
	Documentation     string           `json:"documentation,omitempty"`
}

// CapabilityStatementRestInteraction is the backbone element CapabilityStatement.rest.interaction.
type CapabilityStatementRestInteraction struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Code              string           `json:"code,omitempty"`
	Documentation     string           `json:"documentation,omitempty"`
}

// CapabilityStatementMessaging is the backbone element CapabilityStatement.messaging.
type CapabilityStatementMessaging struct {
	Id                string                                         `json:"id,omitempty"`
	Extension         []fhir.Extension                               `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension                               `json:"modifierExtension,omitempty"`
	Endpoint          []CapabilityStatementMessagingEndpoint         `json:"endpoint,omitempty"`
	ReliableCache     *int                                           `json:"reliableCache,omitempty"`
	Documentation     string                                         `json:"documentation,omitempty"`
	SupportedMessage  []CapabilityStatementMessagingSupportedMessage `json:"supportedMessage,omitempty"`
}

// CapabilityStatementMessagingEndpoint is the backbone element CapabilityStatement.messaging.endpoint.
type CapabilityStatementMessagingEndpoint struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Protocol          fhir.Coding      `json:"protocol,omitzero"`
	Address           string           `json:"address,omitempty"`
}

// CapabilityStatementMessagingSupportedMessage is the backbone element CapabilityStatement.messaging.supportedMessage.
type CapabilityStatementMessagingSupportedMessage struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Mode              string           `json:"mode,omitempty"`
	Definition        string           `json:"definition,omitempty"`
}

// CapabilityStatementDocument is the backbone element CapabilityStatement.document.
type CapabilityStatementDocument struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Mode              string           `json:"mode,omitempty"`
	Documentation     string           `json:"documentation,omitempty"`
	Profile           string           `json:"profile,omitempty"`
}
