package translate

import (
	"errors"
	"fmt"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/terminology"
)

// axis is one family of clinic-local codes. When standard is true, term is
// the terminology axis that gives the standard coding and the local code
// system (the table's LocalSystem); otherwise the codes have no standard
// equivalent and their local system is <ns>/CodeSystem/<name>.
type axis struct {
	name     string
	term     terminology.Axis
	standard bool
}

// The code axes the mapping uses.
var (
	axSubstance     = axis{name: "substance", term: terminology.Substance, standard: true}
	axCondition     = axis{name: "condition", term: terminology.Condition, standard: true}
	axSite          = axis{name: "site", term: terminology.Site, standard: true}
	axManifestation = axis{name: "manifestation", term: terminology.Manifestation, standard: true}
	axCategory      = axis{name: "reaction_category", term: terminology.ReactionCategory, standard: true}
	axStatusReason  = axis{name: "status_reason", term: terminology.StatusReason, standard: true}
	axRoute         = axis{name: "route", term: terminology.Route, standard: true}
	axDoseForm      = axis{name: "dose_form", term: terminology.DoseForm, standard: true}
	axObservation   = axis{name: "observation", term: terminology.Observation, standard: true}
	axActionTaken   = axis{name: "action-taken"}
	axRole          = axis{name: "practitioner-role"}
)

// localSystem is the code system of an axis' local codes.
func (t *Translator) localSystem(ax axis) string {
	if ax.standard {
		return t.terms.LocalSystem(ax.term)
	}
	return t.LocalCodeSystem(ax.name)
}

// concept builds the CodeableConcept of a local code: the standard coding
// (when the table has one with a system and code), the local coding and
// text. A code the table does not know is an error for standard axes: a
// local code with no mapping is never silently dropped.
//
// The concepts of every code the table and the clinic model list are built
// once in New and shared between the resources (they are read-only), so a
// mapping allocates none.
func (t *Translator) concept(ax axis, local string) (*fhir.CodeableConcept, error) {
	if cc, ok := t.concepts[conceptKey{ax.name, local}]; ok {
		return cc, nil
	}
	return t.buildConcept(ax, local)
}

// conceptKey names one local code of one axis.
type conceptKey struct{ axis, local string }

// cachedAxes are the axes whose concepts New builds ahead, with where their
// codes are listed.
var cachedAxes = []struct {
	ax    axis
	model string // clinic.CodeList name for axes the table does not hold
}{
	{ax: axSubstance}, {ax: axCondition}, {ax: axSite}, {ax: axManifestation}, {ax: axCategory},
	{ax: axStatusReason}, {ax: axRoute}, {ax: axDoseForm}, {ax: axObservation},
	{ax: axActionTaken, model: "action_taken"}, {ax: axRole, model: "role"},
}

// buildConcepts builds the concept of every listed code.
func (t *Translator) buildConcepts() (map[conceptKey]*fhir.CodeableConcept, error) {
	m := make(map[conceptKey]*fhir.CodeableConcept, 128)
	for _, c := range cachedAxes {
		codes := clinic.CodeList(c.model)
		if c.ax.standard {
			codes = t.terms.Codes(c.ax.term)
		}
		for _, local := range codes {
			cc, err := t.buildConcept(c.ax, local)
			if err != nil {
				return nil, err
			}
			m[conceptKey{c.ax.name, local}] = cc
		}
	}
	return m, nil
}

func (t *Translator) buildConcept(ax axis, local string) (*fhir.CodeableConcept, error) {
	cc := &fhir.CodeableConcept{Coding: make([]fhir.Coding, 0, 2)}
	text := local
	if ax.standard {
		c, err := t.terms.Lookup(ax.term, local)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", ax.name, local, err)
		}
		if c.System != "" && c.Code != "" {
			cc.Coding = append(cc.Coding, r4.Code(c.System, c.Code, c.Display))
		}
		switch {
		case c.Text != "":
			text = c.Text
		case c.Display != "":
			text = c.Display
		}
	}
	cc.Coding = append(cc.Coding, r4.Code(t.localSystem(ax), local, ""))
	cc.Text = ptr(text)
	return cc, nil
}

// errNoCode reports a CodeableConcept with no coding that maps to a clinic
// code.
var errNoCode = errors.New("no coding maps to a clinic code")

// localCode reads a clinic code back from a CodeableConcept: the local
// coding when present (exact), else the first standard coding the
// terminology table maps back.
func (t *Translator) localCode(ax axis, cc *fhir.CodeableConcept) (string, error) {
	if cc == nil {
		return "", fmt.Errorf("%s: missing", ax.name)
	}
	if code, ok := codeIn(cc, t.localSystem(ax)); ok {
		return code, nil
	}
	if !ax.standard {
		return "", fmt.Errorf("%s %s: %w", ax.name, describe(cc), errNoCode)
	}
	var firstErr error
	for _, c := range cc.Coding {
		if c.System == nil || c.Code == nil {
			continue
		}
		local, err := t.terms.Reverse(ax.term, *c.System, *c.Code)
		if err == nil {
			return local, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", fmt.Errorf("%s %s: %w", ax.name, describe(cc), firstErr)
	}
	return "", fmt.Errorf("%s %s: %w", ax.name, describe(cc), errNoCode)
}

// describe names a CodeableConcept in an error: its codings as system|code,
// or its text.
func describe(cc *fhir.CodeableConcept) string {
	if cc == nil {
		return "(none)"
	}
	s := ""
	for _, c := range cc.Coding {
		if s != "" {
			s += ", "
		}
		s += str(c.System) + "|" + str(c.Code)
	}
	if s == "" {
		return fmt.Sprintf("%q (text only)", str(cc.Text))
	}
	return s
}

// unit maps a clinic unit word to its UCUM code.
func (t *Translator) unit(local string) (string, error) {
	c, err := t.terms.Lookup(terminology.Unit, local)
	if err != nil {
		return "", fmt.Errorf("unit %q: %w", local, err)
	}
	if c.Code == "" {
		return "", fmt.Errorf("unit %q has no UCUM code", local)
	}
	return c.Code, nil
}

// localUnit maps a UCUM code back to the clinic's unit word.
func (t *Translator) localUnit(ucum string) (string, error) {
	local, err := t.terms.Reverse(terminology.Unit, sysUCUM, ucum)
	if err != nil {
		return "", fmt.Errorf("unit %q: %w", ucum, err)
	}
	return local, nil
}

// fixedCodes are the concepts every mapping uses, looked up once in New so a
// table without them fails early.
type fixedCodes struct {
	route, doseForm, bodyWeight, painScore *fhir.CodeableConcept
}

func (t *Translator) lookupFixed() (fixedCodes, error) {
	var f fixedCodes
	for _, x := range []struct {
		dst   **fhir.CodeableConcept
		ax    axis
		local string
	}{
		{&f.route, axRoute, "intravenous"},
		{&f.doseForm, axDoseForm, "injection_solution"},
		{&f.bodyWeight, axObservation, "body_weight"},
		{&f.painScore, axObservation, "pain_score"},
	} {
		cc, err := t.concept(x.ax, x.local)
		if err != nil {
			return f, fmt.Errorf("translate: terminology table: %w", err)
		}
		if len(cc.Coding) < 2 {
			return f, fmt.Errorf("translate: terminology table: %s %q needs a standard coding", x.ax.name, x.local)
		}
		*x.dst = cc
	}
	return f, nil
}
