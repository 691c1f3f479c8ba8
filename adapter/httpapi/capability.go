package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ivbridge/ivbridge/conformance"
)

// capabilityDate is the date of the CapabilityStatement: when this
// statement of the facade's behaviour was last changed (it describes the
// code, not the process, so it does not move with each start).
var capabilityDate = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// facadeInteractions derives, from the route table, what the facade does
// on each type and at system level, so the CapabilityStatement can only
// claim what a route serves.
func (s *Server) facadeInteractions() (typeLevel []string, typeOps []string, systemOps []string) {
	for _, r := range s.routes {
		switch {
		case r.method == http.MethodGet && r.path == "/fhir/:type/:id":
			typeLevel = append(typeLevel, "read")
		case r.method == http.MethodGet && r.path == "/fhir/:type/:id/_history/:vid":
			typeLevel = append(typeLevel, "vread")
		case r.method == http.MethodGet && r.path == "/fhir/:type":
			typeLevel = append(typeLevel, "search-type")
		case r.method == http.MethodPost && strings.HasPrefix(r.path, "/fhir/:type/$"):
			typeOps = append(typeOps, strings.TrimPrefix(r.path, "/fhir/:type/$"))
		case r.method == http.MethodPost && strings.HasPrefix(r.path, "/fhir/$"):
			systemOps = append(systemOps, strings.TrimPrefix(r.path, "/fhir/$"))
		}
	}
	return typeLevel, typeOps, systemOps
}

// capabilities describes the facade from its resource table and routes.
func (s *Server) capabilities() conformance.Capabilities {
	typeLevel, typeOps, systemOps := s.facadeInteractions()
	c := conformance.Capabilities{
		Description:  "ivbridge FHIR R4 facade: read-only view of the FHIR projection of the clinic records ivbridge accepted",
		Name:         "IvbridgeFacade",
		Title:        "ivbridge FHIR facade",
		Publisher:    "ivbridge",
		SoftwareName: "ivbridge",
		Date:         capabilityDate,
		Security: conformance.Security{
			Services:    []string{"OAuth"},
			Description: "Bearer tokens (Authorization: Bearer) carrying the fhir.read scope; missing or wrong token 401, missing scope 403.",
		},
	}
	if s.cfg.BaseURL != "" {
		c.BaseURL = s.cfg.BaseURL + "/fhir"
	}
	for _, o := range systemOps {
		c.Operations = append(c.Operations, conformance.Operation{Name: o, Documentation: "A resource, or Parameters with a \"resource\" parameter; answers the validator's OperationOutcome."})
	}
	for _, d := range s.facade {
		rc := conformance.ResourceCapability{
			Type:            d.Type,
			Interactions:    append([]string(nil), typeLevel...),
			Versioning:      "versioned",
			ReadHistory:     contains(typeLevel, "vread"),
			ConditionalRead: "not-match",
			SearchIncludes:  d.Includes,
			Documentation:   "Search is strict: an unknown parameter or modifier is answered 400 (Prefer: handling=lenient ignores unknown parameters). Paging with _count: next links carry a _cursor (keyset), so pages after a changed resource do not shift; _offset is also taken. Bundle.total is always given.",
		}
		for _, p := range d.Params {
			rc.SearchParams = append(rc.SearchParams, conformance.SearchParam{Name: p.Name, Type: p.Type, Definition: p.Definition, Documentation: p.Doc})
		}
		for _, o := range typeOps {
			rc.Operations = append(rc.Operations, conformance.Operation{Name: o})
		}
		c.Resources = append(c.Resources, rc)
	}
	return c
}

// buildCapability renders the CapabilityStatement and checks it with the
// validator: the facade's own self-description must be valid R4 too.
func (s *Server) buildCapability() ([]byte, error) {
	data, err := conformance.CapabilityStatement(s.capabilities())
	if err != nil {
		return nil, fmt.Errorf("httpapi: CapabilityStatement: %w", err)
	}
	if issues := s.cfg.Validator.Validate(data); conformance.HasErrors(issues) {
		b, _ := json.Marshal(issues)
		return nil, fmt.Errorf("httpapi: the CapabilityStatement is not valid R4: %s", b)
	}
	return data, nil
}
