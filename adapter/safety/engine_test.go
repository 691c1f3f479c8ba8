package safety

import (
	"context"
	"fmt"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// pagedAllergies is a Records whose AllergyIntolerance search pages like the
// store's: Count results from Offset, with the Total of all matches.
type pagedAllergies struct {
	*RecordSet
	bodies [][]byte
}

func (p pagedAllergies) SearchResources(_ context.Context, q store.ResourceQuery) (store.ResourcePage, error) {
	page := store.ResourcePage{Total: len(p.bodies)}
	for i := q.Offset; i < len(p.bodies) && (q.Count <= 0 || i < q.Offset+q.Count); i++ {
		page.Resources = append(page.Resources, store.Resource{Type: "AllergyIntolerance", ID: fmt.Sprint("ai-", i), Body: p.bodies[i]})
	}
	return page, nil
}

// TestFactsReadsEveryAllergyPage puts the one relevant AllergyIntolerance
// after more than a page of unrelated ones: the engine must still see it.
func TestFactsReadsEveryAllergyPage(t *testing.T) {
	recs := pagedAllergies{RecordSet: NewRecordSet()}
	for range 2500 {
		recs.bodies = append(recs.bodies, []byte(`{"resourceType":"AllergyIntolerance","code":{"coding":[{"system":"urn:x","code":"other"}]}}`))
	}
	recs.bodies = append(recs.bodies, []byte(`{"resourceType":"AllergyIntolerance","code":{"coding":[{"system":"urn:x","code":"lido"}]}}`))
	substanceOf := func(system, code string) (string, bool) {
		if system == "urn:x" && code == "lido" {
			return "lidocaine", true
		}
		return "", false
	}
	eng := NewEngine(DefaultRules(), recs, substanceOf, func(id string) string { return "Patient/" + id })
	facts, err := eng.Facts(context.Background(), &clinic.Plan{Patient: "pat-1"})
	if err != nil {
		t.Fatal(err)
	}
	if where, ok := facts.Allergens["lidocaine"]; !ok || where != "AllergyIntolerance ai-2500" {
		t.Errorf("Allergens = %v, want lidocaine from AllergyIntolerance ai-2500", facts.Allergens)
	}
}
