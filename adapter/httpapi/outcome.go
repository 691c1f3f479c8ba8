package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ivbridge/ivbridge/conformance"
)

// Media types the API speaks.
const (
	mediaFHIRJSON = "application/fhir+json"
	mediaJSON     = "application/json"
	mediaNDJSON   = "application/x-ndjson"
)

// fail answers status with an OperationOutcome of one error issue.
func (s *Server) fail(c *gin.Context, status int, code, diagnostics, expression string) {
	s.failIssues(c, status, []conformance.Issue{{Severity: "error", Code: code, Diagnostics: diagnostics, Expression: expression}})
}

// failIssues answers status with an OperationOutcome of issues.
func (s *Server) failIssues(c *gin.Context, status int, issues []conformance.Issue) {
	c.Data(status, mediaFHIRJSON+"; charset=utf-8", outcome(issues))
	c.Abort()
}

// outcome renders issues as an OperationOutcome; an empty list becomes one
// informational issue, since an OperationOutcome needs at least one.
func outcome(issues []conformance.Issue) []byte {
	if len(issues) == 0 {
		issues = []conformance.Issue{{Severity: "information", Code: "informational", Diagnostics: "no issues"}}
	}
	return conformance.OperationOutcome(issues)
}

// internal answers 500 and keeps err for the error log.
func (s *Server) internal(c *gin.Context, err error) {
	_ = c.Error(err)
	s.fail(c, http.StatusInternalServerError, "exception", "internal error; see the server log for request "+c.GetString(ctxRequestID), "")
}

// marshal writes v as JSON without HTML escaping, so URLs in links keep
// their & instead of \u0026.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
