package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDoc is the OpenAPI 3 description of the clinic API, the translate
// endpoints and the operational endpoints (the FHIR facade is described by
// its CapabilityStatement at /fhir/metadata).
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI document.
func OpenAPI() []byte { return append([]byte(nil), openAPIDoc...) }

// openapi handles GET /openapi.json.
func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/vnd.oai.openapi+json;version=3.1", openAPIDoc)
}
