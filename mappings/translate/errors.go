package translate

import (
	"errors"
	"strings"
)

// Problem is one thing that kept a FHIR resource from mapping to a clinic
// record (or a record to FHIR): Path locates it, FHIRPath-like for FHIR input
// ("MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit") or the
// clinic field path for clinic input ("formulation.ingredients[1].substance").
type Problem struct {
	Path    string
	Message string
}

// String formats the problem as "path: message".
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// UnmappableError lists everything that could not be mapped, not only the
// first problem, so an integrator can fix a feed in one pass.
type UnmappableError struct {
	// Resource names what was being mapped, e.g. "MedicationRequest/medrx0302"
	// or "plan plan-2001".
	Resource string
	Problems []Problem
}

// Error joins the problems with "; ".
func (e *UnmappableError) Error() string {
	var b strings.Builder
	b.WriteString("translate: cannot map ")
	b.WriteString(e.Resource)
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects Problems while a mapping runs.
type problems struct {
	list []Problem
}

func (p *problems) add(path, msg string) { p.list = append(p.list, Problem{Path: path, Message: msg}) }

func (p *problems) addErr(path string, err error) { p.add(path, err.Error()) }

// err returns nil when nothing went wrong, else an *UnmappableError.
func (p *problems) err(resource string) error {
	if len(p.list) == 0 {
		return nil
	}
	return &UnmappableError{Resource: resource, Problems: p.list}
}

// ErrNotARecord reports a resource that is part of a record (a patient's
// Condition, an administration's pain Observation …) given to ToClinic
// without the resource that carries the record.
var ErrNotARecord = errors.New("translate: resource is part of a clinic record, not a record of its own")
