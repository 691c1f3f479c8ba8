package clinic

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCheckReferences(t *testing.T) {
	valid, _ := exampleFiles(t)
	held := map[Kind]map[string]Record{}
	for _, f := range valid {
		rec, err := Decode(readFile(t, f))
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if held[rec.RecordKind()] == nil {
			held[rec.RecordKind()] = map[string]Record{}
		}
		held[rec.RecordKind()][rec.RecordID()] = rec
	}
	lookup := func(kind Kind, id string) (Record, bool) {
		r, ok := held[kind][id]
		return r, ok
	}
	// Every example refers only to examples.
	for _, byID := range held {
		for id, rec := range byID {
			if err := CheckReferences(rec, lookup); err != nil {
				t.Errorf("%s %s: %v", rec.RecordKind(), id, err)
			}
		}
	}

	adm := *held[KindAdministration]["adm-3001"].(*Administration)
	rx := *held[KindReaction]["rx-4002"].(*Reaction)
	plan := *held[KindPlan]["plan-2001"].(*Plan)
	tests := []struct {
		name   string
		rec    Record
		paths  []string
		lookup func(Kind, string) (Record, bool)
	}{
		{"missing plan", withAdm(adm, func(a *Administration) { a.PlanID = "plan-404" }), []string{"plan_id"}, lookup},
		{"other patient's plan", withAdm(adm, func(a *Administration) { a.Patient = "pat-1002" }), []string{"patient_id"}, lookup},
		{"session beyond plan", withAdm(adm, func(a *Administration) { a.SessionNumber = 7 }), []string{"session_number"}, lookup},
		{"last session ok", withAdm(adm, func(a *Administration) { a.SessionNumber = 6 }), nil, lookup},
		{"performer is a patient id", withAdm(adm, func(a *Administration) { a.PerformerID = "pat-1001" }), []string{"performer_id"}, lookup},
		{"reaction of another patient's session", func() Record { r := rx; r.Patient = "pat-1003"; return &r }(), []string{"administration_id"}, lookup},
		{"plan with unknown prescriber", func() Record { p := plan; p.PrescriberID = "x"; return &p }(), []string{"prescriber_id"}, lookup},
		{"lookup returns the wrong kind", &adm, []string{"patient_id", "performer_id", "plan_id"},
			func(Kind, string) (Record, bool) { return held[KindReaction]["rx-4001"], true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckReferences(tt.rec, tt.lookup)
			var got []string
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Errors {
					got = append(got, fe.Path)
				}
			} else if err != nil {
				t.Fatalf("error %T is not a *ValidationError", err)
			}
			if !reflect.DeepEqual(got, tt.paths) {
				t.Errorf("paths %q, want %q (%v)", got, tt.paths, err)
			}
		})
	}
}

func withAdm(a Administration, change func(*Administration)) Record {
	change(&a)
	return &a
}

// TestReferences: the references listed are exactly those CheckReferences
// asks for, in the same order, for every valid example.
func TestReferences(t *testing.T) {
	valid, _ := exampleFiles(t)
	for _, f := range valid {
		rec, err := Decode(readFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		refs, err := References(rec)
		if err != nil {
			t.Fatal(err)
		}
		var asked []Reference
		_ = CheckReferences(rec, func(kind Kind, id string) (Record, bool) {
			asked = append(asked, Reference{Kind: kind, ID: id})
			return nil, false
		})
		if len(asked) != len(refs) {
			t.Fatalf("%s: References %v, CheckReferences asked %v", f, refs, asked)
		}
		for i := range refs {
			if refs[i].Kind != asked[i].Kind || refs[i].ID != asked[i].ID || refs[i].Field == "" {
				t.Errorf("%s: reference %d = %+v, asked %+v", f, i, refs[i], asked[i])
			}
		}
	}
}
