package translate

import (
	"testing"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

// TestExamplesAreValidR4 maps every valid clinic example and checks each
// resource, and the collection Bundle, with the independent validator.
func TestExamplesAreValidR4(t *testing.T) {
	tr := newTestTranslator(t)
	for _, ex := range clinicExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			b, err := tr.Collection(ex.rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range b.Entry {
				data, err := r4.Marshal(e.Resource)
				if err != nil {
					t.Fatal(err)
				}
				validateR4(t, e.Resource.ResourceType()+"/"+e.Resource.ResourceID(), data)
			}
			data, err := r4.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			validateR4(t, "Bundle", data)
		})
	}
}
