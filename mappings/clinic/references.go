package clinic

import (
	"fmt"
	"strconv"
)

// CheckReferences applies the rules that need another record: every *_id
// names a record of its kind; an administration's patient is its plan's
// patient and its session_number does not exceed the plan's
// schedule.sessions; a reaction's administration (when given) is of the
// reaction's patient. lookup returns the record of a kind and id as
// currently held. The error is a *ValidationError naming the field, e.g.
// "plan_id: no plan \"plan-9\"".
//
// The last rule is not written in the README but follows from it: a
// reaction happens in a session of the patient who has it.
func CheckReferences(rec Record, lookup func(kind Kind, id string) (Record, bool)) error {
	refs, err := References(rec)
	if err != nil {
		return err
	}
	var l errorList
	found := make(map[string]Record, len(refs))
	for _, ref := range refs {
		r, ok := lookup(ref.Kind, ref.ID)
		if !ok || r == nil || r.RecordKind() != ref.Kind {
			p := top(ref.Field)
			l.add(&p, fmt.Sprintf("no %s %q", ref.Kind, ref.ID))
			continue
		}
		found[ref.Field] = r
	}
	switch r := rec.(type) {
	case *Administration:
		if plan, ok := found["plan_id"].(*Plan); ok {
			if plan.Patient != r.Patient {
				p := top("patient_id")
				l.add(&p, fmt.Sprintf("%q is not the patient of plan %q (%q)", r.Patient, plan.ID, plan.Patient))
			}
			if r.SessionNumber > plan.Schedule.Sessions {
				p := top("session_number")
				l.add(&p, fmt.Sprintf("%d exceeds the %s sessions of plan %q", r.SessionNumber,
					strconv.Itoa(plan.Schedule.Sessions), plan.ID))
			}
		}
	case *Reaction:
		if adm, ok := found["administration_id"].(*Administration); ok && adm.Patient != r.Patient {
			p := top("administration_id")
			l.add(&p, fmt.Sprintf("administration %q is of patient %q, not %q", adm.ID, adm.Patient, r.Patient))
		}
	}
	return l.err()
}

// Reference is one *_id field of a record: the record it names.
type Reference struct {
	Field string // e.g. "plan_id"
	Kind  Kind
	ID    string
}

// References lists the records rec names, in field order; an optional
// field left empty names none. A caller can read them all at once before
// CheckReferences asks for them one by one.
func References(rec Record) ([]Reference, error) {
	var out []Reference
	add := func(field string, kind Kind, id string) {
		if id != "" {
			out = append(out, Reference{Field: field, Kind: kind, ID: id})
		}
	}
	switch r := rec.(type) {
	case *Patient, *Practitioner:
		// No references.
	case *Plan:
		add("patient_id", KindPatient, r.Patient)
		add("prescriber_id", KindPractitioner, r.PrescriberID)
	case *Administration:
		add("patient_id", KindPatient, r.Patient)
		add("performer_id", KindPractitioner, r.PerformerID)
		add("plan_id", KindPlan, r.PlanID)
	case *Reaction:
		add("patient_id", KindPatient, r.Patient)
		add("administration_id", KindAdministration, r.AdministrationID)
	default:
		return nil, &ValidationError{Errors: []FieldError{{Message: fmt.Sprintf("not a clinic record: %T", rec)}}}
	}
	return out, nil
}
