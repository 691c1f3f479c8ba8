// Package r4 holds ivbridge's FHIR R4 resource types and their lossless JSON
// codec.
//
// # Types
//
// Patient, Practitioner, Medication, MedicationRequest,
// MedicationAdministration, AdverseEvent, AllergyIntolerance, Condition,
// Observation, Encounter, DetectedIssue, Provenance, OperationOutcome, Bundle,
// Parameters and CapabilityStatement are structs with every R4 element, in
// FHIR element order, built from the datatypes of
// github.com/samply/golang-fhir-models (imported as fhir: fhir.CodeableConcept,
// fhir.Reference, fhir.Quantity with json.Number values so decimals keep their
// literal, fhir.Dosage, fhir.Timing, …). Any other resource type is a *Generic.
// All of them implement Resource.
//
// Conventions of the structs (samply's resource structs get these wrong, which
// is why the resources and their backbone elements are declared here):
//   - string-like primitives (code, id, uri, dateTime, markdown, …) are string
//     with omitempty: FHIR forbids "" so "" means absent;
//   - boolean, integer and decimal elements are pointers (*bool, *int,
//     *json.Number) so false and 0 are distinguishable from absent;
//   - optional complex elements are pointers; required (1..1) complex elements
//     are values with omitzero (e.g. MedicationAdministration.Subject);
//   - each variant of a choice element value[x] is its own pointer field
//     (MedicationCodeableConcept, MedicationReference): set exactly one;
//   - codes are plain strings (status, intent, gender, …): the codec does not
//     validate them, conformance does;
//   - Contained is []Resource, and Bundle.entry.resource,
//     Bundle.entry.response.outcome and Parameters.parameter.resource are
//     Resource;
//   - UsageContext is declared here because samply's writes all four variants
//     of its required value[x].
//
// samply quirks that remain with its datatypes: enum-typed fields (e.g.
// fhir.Narrative.Status, whose zero value is "generated", HumanName.Use,
// Quantity.Comparator) reject unknown codes when read, and a zero
// json.Number in a non-pointer field (SampledData.period) is written as 0.
//
// # Codec
//
// Marshal writes resourceType first and never writes an empty object, array or
// string, or null (FHIR ele-1), whatever zero values the structs hold. The
// codec has its own reflection-driven encoder (encode.go) that writes the
// bytes encoding/json would write but leaves empties out as it goes, and
// appends nested resources (contained, Bundle entries) straight into their
// parent's buffer; only a resource read with unmodelled content, or a string
// needing a \u00XX escape, goes through the ordered tree (parse, prune,
// re-apply the delta, write).
//
// Unmarshal of ivbridge's own output (compact, resourceType first) reads the
// typed fields in one pass (decode.go) instead of through encoding/json, and
// accepts the result only when re-encoding it gives the input byte for byte;
// anything else is read with encoding/json as below. A nested resource that
// passed that check lends its bytes to its parent's check, so a Bundle is
// encoded once to be verified, not once per nesting level.
//
// Unmarshal is lossless: whatever the struct does not model (primitive
// extensions like _birthDate, extensions inside samply datatypes that drop
// them, elements of other FHIR versions, number literals an int would
// normalise) is kept with the resource as a delta against its typed encoding
// and written back by Marshal, so every official R4 example reads and writes
// back unchanged (tests prove it). Mapping code can change typed fields of a
// resource it read: a changed field wins over the recorded original, recorded
// data of an array is dropped when the array changes length, and the
// primitive extension _x of a removed x goes with it (see delta.go).
//
// Unmarshal rejects what is not one JSON object with a resourceType, duplicate
// member names, member names that differ from an element only in letter case,
// and values of the wrong JSON type for the struct; it does not validate codes
// or cardinalities (conformance does). Malformed JSON is a *SyntaxError.
// EqualJSON compares two documents the way losslessness is defined.
//
// Use pointers (*Patient) with encoding/json: MarshalJSON and UnmarshalJSON
// have pointer receivers and do the same as Marshal and Unmarshal.
package r4
