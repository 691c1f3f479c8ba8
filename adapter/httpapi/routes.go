package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/adapter/auth"
)

// Route access levels besides the scopes of package auth.
const (
	scopePublic        auth.Scope = ""  // no token: the health probes
	scopeAuthenticated auth.Scope = "*" // any valid token
)

// route is one endpoint of the service.
type route struct {
	method  string
	path    string // gin pattern
	scope   auth.Scope
	handler gin.HandlerFunc
}

// Route is the public view of one endpoint, for documentation and tests.
type Route struct {
	Method string
	// Path is the gin pattern, e.g. "/clinic/v1/plans/:id".
	Path string
	// Scope is the scope a token needs: "" for none, "*" for any token.
	Scope string
}

// Routes lists every endpoint the server serves.
func (s *Server) Routes() []Route {
	out := make([]Route, 0, len(s.routes))
	for _, r := range s.routes {
		out = append(out, Route{Method: r.method, Path: r.path, Scope: string(r.scope)})
	}
	return out
}

// routeTable declares every endpoint with the scope it needs.
func (s *Server) routeTable() []route {
	rs := []route{
		{http.MethodGet, "/healthz", scopePublic, s.healthz},
		{http.MethodGet, "/readyz", scopePublic, s.readyz},
		{http.MethodGet, "/metrics", auth.Admin, s.metricsHandler},
		{http.MethodGet, "/openapi.json", scopeAuthenticated, s.openapi},
	}
	for _, col := range collections {
		base := "/clinic/v1/" + col.path
		rs = append(rs,
			route{http.MethodPut, base + "/:id", auth.ClinicWrite, s.putRecord(col.kind)},
			route{http.MethodGet, base + "/:id", auth.ClinicRead, s.getRecord(col.kind)},
			route{http.MethodGet, base, auth.ClinicRead, s.listRecords(col.kind)},
			route{http.MethodGet, base + "/:id/sync", auth.ClinicRead, s.syncState(col.kind)},
		)
	}
	rs = append(rs,
		route{http.MethodPost, "/clinic/v1/batch", auth.ClinicWrite, s.batch},
		route{http.MethodPost, "/translate/fhir", auth.ClinicRead, s.translateToFHIR},
		route{http.MethodPost, "/translate/clinic", auth.ClinicRead, s.translateToClinic},

		route{http.MethodGet, "/fhir/metadata", fhirScope, s.metadata},
		route{http.MethodPost, "/fhir/$validate", fhirScope, s.validate},
		route{http.MethodGet, "/fhir/:type", fhirScope, s.search},
		route{http.MethodPost, "/fhir/:type/_search", fhirScope, s.search},
		route{http.MethodPost, "/fhir/:type/$validate", fhirScope, s.validate},
		route{http.MethodGet, "/fhir/:type/:id", fhirScope, s.read},
		route{http.MethodGet, "/fhir/:type/:id/_history/:vid", fhirScope, s.vread},

		route{http.MethodGet, "/sync/v1/status", auth.Admin, s.syncStatus},
		route{http.MethodGet, "/sync/v1/dead-letters", auth.Admin, s.deadLetters},
		route{http.MethodPost, "/sync/v1/dead-letters/:id/replay", auth.Admin, s.replayDeadLetter},
	)
	return rs
}

// fhirScope guards the facade.
const fhirScope = auth.FHIRRead
