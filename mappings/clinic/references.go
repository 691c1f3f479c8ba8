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
	var l errorList
	ref := func(field string, kind Kind, id string) Record {
		if id == "" {
			return nil
		}
		r, ok := lookup(kind, id)
		if !ok || r == nil || r.RecordKind() != kind {
			p := top(field)
			l.add(&p, fmt.Sprintf("no %s %q", kind, id))
			return nil
		}
		return r
	}
	switch r := rec.(type) {
	case *Patient, *Practitioner:
		// No references.
	case *Plan:
		ref("patient_id", KindPatient, r.Patient)
		ref("prescriber_id", KindPractitioner, r.PrescriberID)
	case *Administration:
		ref("patient_id", KindPatient, r.Patient)
		ref("performer_id", KindPractitioner, r.PerformerID)
		if plan, ok := ref("plan_id", KindPlan, r.PlanID).(*Plan); ok {
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
		ref("patient_id", KindPatient, r.Patient)
		if adm, ok := ref("administration_id", KindAdministration, r.AdministrationID).(*Administration); ok {
			if adm.Patient != r.Patient {
				p := top("administration_id")
				l.add(&p, fmt.Sprintf("administration %q is of patient %q, not %q", adm.ID, adm.Patient, r.Patient))
			}
		}
	default:
		return &ValidationError{Errors: []FieldError{{Message: fmt.Sprintf("not a clinic record: %T", rec)}}}
	}
	return l.err()
}
