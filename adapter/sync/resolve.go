package sync

import (
	"context"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// StoreResolver names the clinic record behind a reference an upstream
// order makes by FHIR id alone ("Patient/<id>"): the record whose
// projection holds that resource. Give it to translate.Config
// .ResolveReference in the wiring, so pulled orders about clinic patients
// map; without it, an order that carries no clinic identifiers on its
// references is unmappable.
func StoreResolver(st store.Store) func(ref fhir.Reference) (clinic.Kind, string, bool) {
	return func(ref fhir.Reference) (clinic.Kind, string, bool) {
		if ref.Reference == nil {
			return "", "", false
		}
		sub := relativeRef.FindStringSubmatch(strings.TrimSpace(*ref.Reference))
		if sub == nil {
			return "", "", false
		}
		// The translator's hook has no context: bound the lookup.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := st.GetResource(ctx, sub[1], sub[2])
		if err != nil || r.Deleted || r.SourceID == "" {
			return "", "", false
		}
		return r.SourceKind, r.SourceID, true
	}
}
