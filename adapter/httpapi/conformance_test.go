package httpapi_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/conformance/suite"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// TestConformanceSuite runs the conformance suite (conformance/suite)
// against the facade over real HTTP, with the clinic examples stored.
func TestConformanceSuite(t *testing.T) {
	eachStore(t, func(t *testing.T, o opener) {
		e := newEnv(t, o, withBaseURL(""))
		e.seed(t)
		ts := httptest.NewServer(e.h)
		defer ts.Close()
		rep, err := suite.Run(context.Background(), suite.Config{
			BaseURL: ts.URL + "/fhir",
			Token:   tokWriter,
			Fixtures: suite.Fixtures{
				Patient:                  e.fhirID("Patient", clinic.KindPatient, "pat-1001"),
				Practitioner:             e.fhirID("Practitioner", clinic.KindPractitioner, "prac-07"),
				MedicationRequest:        e.fhirID("MedicationRequest", clinic.KindPlan, "plan-2001"),
				MedicationAdministration: e.fhirID("MedicationAdministration", clinic.KindAdministration, "adm-3001"),
				AdverseEvent:             e.fhirID("AdverseEvent", clinic.KindReaction, "rx-4002"), // pat-1001's, like the other fixtures
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		rep.WriteTo(&b)
		t.Log("\n" + b.String())
		for _, c := range rep.Failed() {
			t.Errorf("conformance: %s", c)
		}
	})
}
