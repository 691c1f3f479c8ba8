package translate

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/terminology"
)

// DefaultNamespace is the clinic namespace used when Config.Namespace is
// empty.
const DefaultNamespace = "urn:ivbridge:clinic"

// Config configures a Translator.
type Config struct {
	// Namespace is the clinic's URI (e.g. "urn:ivbridge:clinic" or
	// "https://clinic.example.org/fhir"): identifier systems, local code
	// systems and extension URLs are built under it, and it seeds the
	// UUIDv5 logical ids. Empty means DefaultNamespace.
	Namespace string
	// Terminology maps local codes to standard codings; nil means
	// terminology.Default().
	Terminology *terminology.Table
	// ResolveReference, when set, names the clinic record behind a
	// reference that carries no clinic identifier and does not point into
	// the input Bundle: a literal "Patient/<id>" (e.g. a look-up of the
	// deterministic ids, Translator.ID, in the local store) or a logical
	// reference by another identifier (e.g. the patient's MRN in system
	// <ns>/patient/mrn). It is consulted only when reading FHIR written by
	// others and must not modify anything.
	ResolveReference func(ref fhir.Reference) (kind clinic.Kind, clinicID string, ok bool)
}

// Translator maps clinic records to FHIR R4 and back. It holds no mutable
// state and is safe for concurrent use.
type Translator struct {
	ns    string
	nsID  uuid.UUID
	terms *terminology.Table
	urls  urls
	fixed fixedCodes
	// concepts holds the CodeableConcept of every known local code.
	concepts map[conceptKey]*fhir.CodeableConcept
	// resolveRef is Config.ResolveReference (may be nil).
	resolveRef func(fhir.Reference) (clinic.Kind, string, bool)
}

// urls are the namespace-derived URIs, built once.
type urls struct {
	version, position, dosageIngredient, perKg, sessionNumber, adminSite,
	manifestation, actionTaken, notes, isAllergy, allergySeverity, emptyList string
}

// New checks the configuration and returns a Translator.
func New(cfg Config) (*Translator, error) {
	ns := cfg.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	terms := cfg.Terminology
	if terms == nil {
		terms = terminology.Default()
	}
	sd := ns + "/StructureDefinition/"
	t := &Translator{
		resolveRef: cfg.ResolveReference,
		ns:         ns,
		nsID:       uuid.NewSHA1(uuid.NameSpaceURL, []byte(ns)),
		terms:      terms,
		urls: urls{
			version:          sd + "clinic-version",
			position:         sd + "clinic-position",
			dosageIngredient: sd + "dosage-ingredient",
			perKg:            sd + "per-kg",
			sessionNumber:    sd + "session-number",
			adminSite:        sd + "administration-site",
			manifestation:    sd + "reaction-manifestation",
			actionTaken:      sd + "action-taken",
			notes:            sd + "notes",
			isAllergy:        sd + "is-allergy",
			allergySeverity:  sd + "allergy-severity",
			emptyList:        sd + "empty-list",
		},
	}
	concepts, err := t.buildConcepts()
	if err != nil {
		return nil, fmt.Errorf("translate: terminology table: %w", err)
	}
	t.concepts = concepts
	fixed, err := t.lookupFixed()
	if err != nil {
		return nil, err
	}
	t.fixed = fixed
	return t, nil
}

// ErrNamespace reports an unusable Config.Namespace.
var ErrNamespace = errors.New("translate: namespace must be an absolute URI without query, fragment or trailing slash")

func checkNamespace(ns string) error {
	u, err := url.Parse(ns)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrNamespace, ns, err)
	}
	if u.Scheme == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(ns, "/") ||
		strings.ContainsAny(ns, " \t\r\n|") {
		return fmt.Errorf("%w: %q", ErrNamespace, ns)
	}
	return nil
}

// Namespace reports the clinic namespace URI in use.
func (t *Translator) Namespace() string { return t.ns }

// ID returns the deterministic FHIR logical id of the resource of type
// fhirType that a record of kind with id clinicID maps to: a UUIDv5 over the
// namespace and "<fhirType>/<kind>/<clinicID>". clinicID may end in
// "#<role>" for the secondary resources of a record (e.g. "adm-3001#pain-before");
// clinic ids never contain '#', so names never collide.
func (t *Translator) ID(fhirType string, kind clinic.Kind, clinicID string) string {
	// uuid.NewSHA1(t.nsID, name) computed on a stack buffer: ids are made
	// for every resource and reference, and this keeps them to one
	// allocation (the string).
	var buf [160]byte
	b := append(buf[:0], t.nsID[:]...)
	b = append(b, fhirType...)
	b = append(b, '/')
	b = append(b, kind...)
	b = append(b, '/')
	b = append(b, clinicID...)
	sum := sha1.Sum(b)
	var u uuid.UUID
	copy(u[:], sum[:16])
	u[6] = (u[6] & 0x0f) | 0x50 // version 5
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return u.String()
}

// roleID is ID for the resource with the given role ("" for the record's
// primary resource).
func (t *Translator) roleID(fhirType string, kind clinic.Kind, id, role string) string {
	if role == "" {
		return t.ID(fhirType, kind, id)
	}
	return t.ID(fhirType, kind, id+"#"+role)
}

// IdentifierSystem returns the identifier system of a record kind's
// resources, "<ns>/<kind>" or "<ns>/<kind>/<role>".
func (t *Translator) IdentifierSystem(kind clinic.Kind, role string) string {
	if role == "" {
		return t.ns + "/" + string(kind)
	}
	return t.ns + "/" + string(kind) + "/" + role
}

// LocalCodeSystem returns the code system URI of the clinic's local codes on
// one axis, "<ns>/CodeSystem/<axis>".
func (t *Translator) LocalCodeSystem(axis string) string {
	return t.ns + "/CodeSystem/" + axis
}

// ResourceType names the FHIR type of the primary resource a record kind
// maps to ("" for an unknown kind).
func ResourceType(kind clinic.Kind) string {
	switch kind {
	case clinic.KindPatient:
		return "Patient"
	case clinic.KindPractitioner:
		return "Practitioner"
	case clinic.KindPlan:
		return "MedicationRequest"
	case clinic.KindAdministration:
		return "MedicationAdministration"
	case clinic.KindReaction:
		return "AdverseEvent"
	}
	return ""
}
