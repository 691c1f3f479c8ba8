package terminology

import (
	"testing"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// TestClinicCodeListsMapped checks every code the clinic model accepts
// against the default table, without needing the shared folder.
func TestClinicCodeListsMapped(t *testing.T) {
	lists := map[string]Axis{
		"substance":       Substance,
		"condition":       Condition,
		"site":            Site,
		"unit":            Unit,
		"category":        ReactionCategory,
		"manifestation":   Manifestation,
		"status_reason":   StatusReason,
		"schedule.period": Period,
	}
	tab := Default()
	for list, axis := range lists {
		codes := clinic.CodeList(list)
		if len(codes) == 0 {
			t.Fatalf("clinic has no code list %q", list)
		}
		for _, c := range codes {
			if _, err := tab.Lookup(axis, c); err != nil {
				t.Errorf("clinic %s code %q: %v", list, c, err)
			}
		}
		if got, want := len(tab.Codes(axis)), len(codes); axis != Unit && got != want {
			t.Errorf("axis %s has %d rows, the clinic model %d codes", axis, got, want)
		}
	}
}
