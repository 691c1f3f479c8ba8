package r4

import fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"

// Small constructors for the datatypes mapping code writes most often. Go 1.26's
// new(expr) covers pointers to literals (new("completed"), new(json.Number("1.5"))).

// Ref returns a literal reference "Type/id".
func Ref(resourceType, id string) fhir.Reference {
	ref := resourceType + "/" + id
	return fhir.Reference{Reference: &ref}
}

// RefPtr is Ref for optional (pointer) reference elements.
func RefPtr(resourceType, id string) *fhir.Reference {
	r := Ref(resourceType, id)
	return &r
}

// LocalRef returns a reference to a contained resource, "#id".
func LocalRef(id string) fhir.Reference {
	ref := "#" + id
	return fhir.Reference{Reference: &ref}
}

// Code returns a Coding; an empty display is left out.
func Code(system, code, display string) fhir.Coding {
	c := fhir.Coding{System: &system, Code: &code}
	if display != "" {
		c.Display = &display
	}
	return c
}

// CC returns a CodeableConcept of the given codings (no text).
func CC(codings ...fhir.Coding) fhir.CodeableConcept {
	return fhir.CodeableConcept{Coding: codings}
}

// CCPtr is CC for optional (pointer) CodeableConcept elements.
func CCPtr(codings ...fhir.Coding) *fhir.CodeableConcept {
	c := CC(codings...)
	return &c
}
