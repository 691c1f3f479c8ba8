// Package clinic is the infusion clinic's own record format (version 1):
// the five record kinds, their JSON form and every rule of the contract in
// shared/clinic-model/README.md. It does no I/O.
//
// Numbers and times are kept as the clinic wrote them (Decimal, Time), so a
// record survives clinic → FHIR → clinic byte for byte in its literals.
package clinic

// Kind names one of the five record kinds.
type Kind string

// The record kinds of the clinic model.
const (
	KindPatient        Kind = "patient"
	KindPractitioner   Kind = "practitioner"
	KindPlan           Kind = "plan"
	KindAdministration Kind = "administration"
	KindReaction       Kind = "reaction"
)

// Kinds lists every kind in dependency order: a record may refer only to
// kinds that come before its own.
var Kinds = []Kind{KindPatient, KindPractitioner, KindPlan, KindAdministration, KindReaction}

// Record is any of the five clinic records.
type Record interface {
	// RecordKind reports the record's kind.
	RecordKind() Kind
	// RecordID reports the clinic's stable id of the record.
	RecordID() string
	// RecordVersion reports the clinic's version of the record (≥ 1).
	RecordVersion() int
	// PatientID reports the patient the record is about, or "" for a
	// practitioner.
	PatientID() string
}

// Header holds the fields every record carries.
type Header struct {
	Kind    Kind   `json:"kind"`
	ID      string `json:"id"`
	Version int    `json:"version"`
}

// RecordKind implements Record.
func (h Header) RecordKind() Kind { return h.Kind }

// RecordID implements Record.
func (h Header) RecordID() string { return h.ID }

// RecordVersion implements Record.
func (h Header) RecordVersion() int { return h.Version }

// Patient is a patient of the clinic.
type Patient struct {
	Header
	MRN        string    `json:"mrn"`
	GivenNames []string  `json:"given_names"`
	FamilyName string    `json:"family_name"`
	BirthDate  Date      `json:"birth_date"`
	Sex        string    `json:"sex"`
	WeightKg   *Decimal  `json:"weight_kg,omitempty"`
	Conditions []string  `json:"conditions,omitempty"`
	Allergies  []Allergy `json:"allergies,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Email      string    `json:"email,omitempty"`
}

// PatientID implements Record.
func (p *Patient) PatientID() string { return p.ID }

// Allergy is a known allergy of a patient.
type Allergy struct {
	Substance string `json:"substance"`
	Reaction  string `json:"reaction,omitempty"`
	Severity  string `json:"severity,omitempty"`
}

// Practitioner is a clinician: prescriber, nurse or pharmacist.
type Practitioner struct {
	Header
	NPI        string   `json:"npi,omitempty"`
	GivenNames []string `json:"given_names"`
	FamilyName string   `json:"family_name"`
	Role       string   `json:"role"`
}

// PatientID implements Record; a practitioner is about no patient.
func (p *Practitioner) PatientID() string { return "" }

// Plan is an infusion therapy plan: one course of treatment.
type Plan struct {
	Header
	Patient        string      `json:"patient_id"`
	PrescriberID   string      `json:"prescriber_id"`
	Status         string      `json:"status"`
	AuthoredAt     Time        `json:"authored_at"`
	Indications    []string    `json:"indications"`
	Formulation    Formulation `json:"formulation"`
	DosingWeightKg *Decimal    `json:"dosing_weight_kg,omitempty"`
	Rate           Rate        `json:"rate"`
	Schedule       Schedule    `json:"schedule"`
	Notes          string      `json:"notes,omitempty"`
}

// PatientID implements Record.
func (p *Plan) PatientID() string { return p.Patient }

// Formulation is the compounded blend of a plan.
type Formulation struct {
	Name        string       `json:"name"`
	Ingredients []Ingredient `json:"ingredients"`
	Carrier     Carrier      `json:"carrier"`
}

// Ingredient is one active ingredient of a formulation.
type Ingredient struct {
	Substance string   `json:"substance"`
	Amount    Decimal  `json:"amount"`
	Unit      string   `json:"unit"`
	PerKg     *bool    `json:"per_kg,omitempty"`
	MaxAmount *Decimal `json:"max_amount,omitempty"`
}

// IsPerKg reports whether the amount is per kg of dosing weight.
func (i Ingredient) IsPerKg() bool { return i.PerKg != nil && *i.PerKg }

// Carrier is the bag the ingredients are mixed into.
type Carrier struct {
	Fluid    string  `json:"fluid"`
	VolumeML Decimal `json:"volume_ml"`
}

// Rate is how fast a plan's bag runs: exactly one field is set.
type Rate struct {
	MLPerHour       *Decimal `json:"ml_per_hour,omitempty"`
	DurationMinutes *Decimal `json:"duration_minutes,omitempty"`
}

// Schedule is how often and how many times the infusion is given.
type Schedule struct {
	Sessions  int    `json:"sessions"`
	Every     int    `json:"every"`
	Period    string `json:"period"`
	StartDate Date   `json:"start_date"`
	EndDate   Date   `json:"end_date,omitempty"`
}

// Administration is one infusion session as given.
type Administration struct {
	Header
	PlanID          string   `json:"plan_id"`
	Patient         string   `json:"patient_id"`
	SessionNumber   int      `json:"session_number"`
	Status          string   `json:"status"`
	StatusReason    string   `json:"status_reason,omitempty"`
	StartedAt       Time     `json:"started_at,omitempty"`
	EndedAt         Time     `json:"ended_at,omitempty"`
	PerformerID     string   `json:"performer_id"`
	Site            string   `json:"site,omitempty"`
	VolumeInfusedML *Decimal `json:"volume_infused_ml,omitempty"`
	RateMLPerHour   *Decimal `json:"rate_ml_per_hour,omitempty"`
	Doses           []Dose   `json:"doses,omitempty"`
	WeightKg        *Decimal `json:"weight_kg,omitempty"`
	PainBefore      *int     `json:"pain_before,omitempty"`
	PainAfter       *int     `json:"pain_after,omitempty"`
	Notes           string   `json:"notes,omitempty"`
}

// PatientID implements Record.
func (a *Administration) PatientID() string { return a.Patient }

// Dose is the amount of one substance actually given in a session.
type Dose struct {
	Substance string  `json:"substance"`
	Amount    Decimal `json:"amount"`
	Unit      string  `json:"unit"`
}

// Reaction is an adverse reaction.
type Reaction struct {
	Header
	Patient             string   `json:"patient_id"`
	AdministrationID    string   `json:"administration_id,omitempty"`
	Category            string   `json:"category"`
	Manifestations      []string `json:"manifestations"`
	Severity            string   `json:"severity"`
	Serious             bool     `json:"serious"`
	OnsetAt             Time     `json:"onset_at"`
	RecordedAt          Time     `json:"recorded_at"`
	SuspectedSubstances []string `json:"suspected_substances,omitempty"`
	ActionTaken         string   `json:"action_taken"`
	Outcome             string   `json:"outcome"`
	IsAllergy           *bool    `json:"is_allergy,omitempty"`
	Notes               string   `json:"notes,omitempty"`
}

// PatientID implements Record.
func (r *Reaction) PatientID() string { return r.Patient }
