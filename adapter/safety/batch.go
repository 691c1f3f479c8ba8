package safety

import (
	"context"
	"fmt"
	"sort"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Report is the result of checking one record in a batch. Recheck marks a
// plan re-checked because something about its patient arrived later.
type Report struct {
	Kind    clinic.Kind `json:"kind"`
	ID      string      `json:"id"`
	Recheck bool        `json:"recheck,omitempty"`
	Result
}

// loadOrder is the order the clinic's records depend on one another, with
// reactions before plans so earlier allergies are known when plans arrive.
var loadOrder = map[clinic.Kind]int{
	clinic.KindPatient: 0, clinic.KindPractitioner: 1, clinic.KindReaction: 2,
	clinic.KindPlan: 3, clinic.KindAdministration: 4,
}

// SortForLoad orders records as the clinic loads them: patients,
// practitioners, reactions, plans, administrations, keeping the given order
// within a kind.
func SortForLoad(recs []clinic.Record) []clinic.Record {
	sorted := append([]clinic.Record(nil), recs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return loadOrder[sorted[i].RecordKind()] < loadOrder[sorted[j].RecordKind()]
	})
	return sorted
}

// CheckBatch checks records without a store: it adds them to a RecordSet in
// the order given, checks each plan and administration as it arrives, and
// re-checks a patient's open plans when a reaction marked as an allergy
// arrives after them. Reports come in that order.
func CheckBatch(ctx context.Context, rules *Rules, recs []clinic.Record) ([]Report, error) {
	set := NewRecordSet()
	eng := NewEngine(rules, set, nil, nil)
	var out []Report
	for _, rec := range recs {
		if err := set.Add(rec); err != nil {
			return nil, err
		}
		res, err := eng.Check(ctx, rec, nil)
		if err != nil {
			return nil, fmt.Errorf("check %s %s: %w", rec.RecordKind(), rec.RecordID(), err)
		}
		if len(res.Findings) > 0 {
			out = append(out, Report{Kind: rec.RecordKind(), ID: rec.RecordID(), Result: res})
		}
		if rx, ok := rec.(*clinic.Reaction); ok && rx.IsAllergy != nil && *rx.IsAllergy {
			again, err := eng.Recheck(ctx, rx.Patient)
			if err != nil {
				return nil, err
			}
			ids := make([]string, 0, len(again))
			for id := range again {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				if len(again[id].Findings) > 0 {
					out = append(out, Report{Kind: clinic.KindPlan, ID: id, Recheck: true, Result: again[id]})
				}
			}
		}
	}
	return out, nil
}
