// Package defs holds the shape of the compact R4 definition tables that
// conformance/gen writes and package conformance embeds. Keeping the shape in
// one internal package lets the generator and the validator share it without
// the validator depending on the generator.
package defs

// Tables is the whole generated data set: every R4 type (resources, complex
// and primitive datatypes, and the SimpleQuantity/MoneyQuantity profiles) and
// the expansions of the value sets used by required bindings.
type Tables struct {
	// FHIRVersion is the FHIR version of the definitions ("4.0.1").
	FHIRVersion string `json:"fhirVersion"`
	// Source names the package the tables were generated from.
	Source string `json:"source"`
	// Types lists every type definition, resources included.
	Types []Type `json:"types"`
	// ValueSets maps a value set URL (version stripped) to its expansion.
	ValueSets map[string]ValueSet `json:"valueSets"`
}

// Type is one StructureDefinition reduced to what validation needs.
type Type struct {
	// Name is the type name (Patient, Quantity, SimpleQuantity, boolean …).
	Name string `json:"name"`
	// Kind is "resource", "complex-type" or "primitive-type".
	Kind string `json:"kind"`
	// Abstract is true for Resource, DomainResource, Element, BackboneElement.
	Abstract bool `json:"abstract,omitempty"`
	// Base is the name of the base type ("DomainResource" for Patient).
	Base string `json:"base,omitempty"`
	// Elements is the snapshot, root element first, paths rooted at Name.
	Elements []Element `json:"elements"`
}

// Element is one ElementDefinition of a snapshot.
type Element struct {
	// Path is the element path with the type name first; choice elements
	// keep their "[x]" suffix (Observation.value[x]).
	Path string `json:"p"`
	// Min is the minimum cardinality.
	Min int `json:"min,omitempty"`
	// Max is the maximum cardinality, -1 for "*".
	Max int `json:"max"`
	// Types lists the allowed types (several for a choice element).
	Types []TypeRef `json:"t,omitempty"`
	// ContentRef is the path this element reuses the definition of
	// (contentReference without the leading '#'), e.g. "Parameters.parameter".
	ContentRef string `json:"cr,omitempty"`
	// Binding is set for required bindings only (the only strength that
	// makes a code outside the value set invalid).
	Binding string `json:"vs,omitempty"`
	// Constraints are the invariants declared on this element, ele-1 aside.
	Constraints []Constraint `json:"c,omitempty"`
}

// TypeRef is one allowed type of an element.
type TypeRef struct {
	// Code is the type name; FHIRPath system types are mapped to the FHIR
	// primitive they stand for, and Quantity with the SimpleQuantity profile
	// is written as SimpleQuantity.
	Code string `json:"c"`
	// Targets lists the allowed target resource types of a Reference (or
	// canonical); empty means any.
	Targets []string `json:"r,omitempty"`
}

// Constraint is an invariant of an element.
type Constraint struct {
	// Key is the invariant id (mad-1, per-1 …).
	Key string `json:"k"`
	// Severity is "error" or "warning".
	Severity string `json:"s"`
	// Human is the invariant's human description.
	Human string `json:"h"`
}

// ValueSet is the expansion of a value set.
type ValueSet struct {
	// Codes maps each code system URL to its codes in the value set.
	Codes map[string][]string `json:"codes,omitempty"`
	// Open is true when the value set cannot be expanded from the shipped
	// definitions (UCUM, BCP-47, MIME types, external terminologies); codes
	// bound to it are not checked.
	Open bool `json:"open,omitempty"`
}
