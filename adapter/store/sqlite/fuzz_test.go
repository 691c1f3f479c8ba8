package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// FuzzSearchResources feeds facade search values (they come from the URL)
// to the store: a search either runs or is refused with ErrInvalid, never
// fails in SQL, and never returns more than it counts.
func FuzzSearchResources(f *testing.F) {
	f.Add("MedicationAdministration", "urn:x|ad1", "pt1", "completed", "ge", "2026-03", "lt", "2026-03-05T10:00Z", 0, 10)
	f.Add("", "|", "", "", "eq", "2026", "sa", "2026-13", 3, 0)
	f.Add("X' OR 1=1 --", "a|b|c", "'); DROP TABLE records; --", "%", "ap", "", "", "x", -1, -5)
	ctx := context.Background()
	s := openDir(f, f.TempDir())
	for i, id := range []string{"ad1", "ad2"} {
		_, err := s.PutRecord(ctx, store.Write{Kind: clinic.KindAdministration, ID: id, Version: 1, PatientID: "p",
			Body: []byte(`{}`), Origin: store.OriginClinic, Resources: []store.Resource{{
				Type: "MedicationAdministration", ID: "ma" + id, PatientID: "pt1", Status: "completed",
				Date: []string{"2026-03-05T10:00:00Z", "2026-04"}[i], Identifiers: []string{"urn:x|" + id},
				Body: []byte(`{"resourceType":"MedicationAdministration"}`)}}})
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, typ, ident, patient, status, c1, d1, c2, d2 string, offset, count int) {
		q := store.ResourceQuery{Type: typ, Identifier: ident, PatientID: patient, Offset: offset, Count: count,
			Date:        []store.DateFilter{{Comparator: store.Comparator(c1), Value: d1}},
			LastUpdated: []store.DateFilter{{Comparator: store.Comparator(c2), Value: d2}},
		}
		if status != "" {
			q.Status = []string{status}
		}
		if d1 == "" {
			q.Date = nil
		}
		if d2 == "" {
			q.LastUpdated = nil
		}
		page, err := s.SearchResources(ctx, q)
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("SearchResources(%+v): %v", q, err)
			}
			return
		}
		if len(page.Resources) > page.Total || page.Total > 2 {
			t.Fatalf("SearchResources(%+v): %d resources, total %d", q, len(page.Resources), page.Total)
		}
	})
}
