package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/ivbridge/ivbridge/conformance"
	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
	"github.com/ivbridge/ivbridge/mappings/translate"
)

// translateToFHIR handles POST /translate/fhir: one clinic record in, a
// Bundle (type collection) of its FHIR resources out. Nothing is stored
// and references to other records are not checked.
func (s *Server) translateToFHIR(c *gin.Context) {
	if !isJSON(c, false) {
		s.fail(c, http.StatusUnsupportedMediaType, "not-supported", "Content-Type must be application/json (a clinic record)", "")
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	rec, err := clinic.Decode(body)
	if err != nil {
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			s.failIssues(c, http.StatusUnprocessableEntity, validationIssues(ve))
			return
		}
		s.fail(c, http.StatusBadRequest, "structure", "the body is not a clinic record: "+err.Error(), "")
		return
	}
	c.Set(ctxKind, string(rec.RecordKind()))
	rs, err := s.cfg.Translator.ToFHIR(rec)
	if err != nil {
		if is, ok := translateIssues(err); ok {
			s.failIssues(c, http.StatusUnprocessableEntity, is)
			return
		}
		s.internal(c, fmt.Errorf("translate %s: %w", rec.RecordKind(), err))
		return
	}
	base := s.baseURL(c)
	bundle := searchBundle{
		ResourceType: "Bundle",
		ID:           uuid.NewString(),
		Type:         "collection",
		Timestamp:    s.cfg.Now().UTC().Format(instantLayout),
	}
	for _, r := range rs {
		b, err := r4.Marshal(r)
		if err != nil {
			s.internal(c, fmt.Errorf("marshal %s: %w", r.ResourceType(), err))
			return
		}
		bundle.Entry = append(bundle.Entry, bundleEntry{FullURL: base + "/fhir/" + r.ResourceType() + "/" + r.ResourceID(), Resource: b})
	}
	out, err := marshal(bundle)
	if err != nil {
		s.internal(c, fmt.Errorf("write bundle: %w", err))
		return
	}
	if issues := s.cfg.Validator.Validate(out); conformance.HasErrors(issues) {
		// A mapping bug: never hand out invalid FHIR.
		_ = c.Error(fmt.Errorf("translated %s is not valid R4", rec.RecordKind()))
		s.failIssues(c, http.StatusInternalServerError, issues)
		return
	}
	c.Data(http.StatusOK, mediaFHIRJSON+"; charset=utf-8", out)
}

// translateToClinic handles POST /translate/clinic: a FHIR resource or
// Bundle in, the clinic records it maps to out, as a JSON array or, with
// Accept: application/x-ndjson, one record per line. The input is checked
// by the validator first; invalid FHIR is refused with its issues.
func (s *Server) translateToClinic(c *gin.Context) {
	if !isJSON(c, true) {
		s.fail(c, http.StatusUnsupportedMediaType, "not-supported", "Content-Type must be application/fhir+json", "")
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	if issues := s.cfg.Validator.Validate(body); conformance.HasErrors(issues) {
		s.failIssues(c, http.StatusUnprocessableEntity, issues)
		return
	}
	res, err := r4.Unmarshal(body)
	if err != nil {
		s.fail(c, http.StatusUnprocessableEntity, "structure", "the body is not a FHIR resource this service reads: "+err.Error(), "")
		return
	}
	recs, err := s.cfg.Translator.ToClinic(res)
	if err != nil {
		var ue *translate.UnmappableError
		if errors.As(err, &ue) {
			is := make([]conformance.Issue, 0, len(ue.Problems))
			for _, p := range ue.Problems {
				is = append(is, issue("not-supported", p.String(), p.Path))
			}
			s.failIssues(c, http.StatusUnprocessableEntity, is)
			return
		}
		if is, ok := translateIssues(err); ok {
			s.failIssues(c, http.StatusUnprocessableEntity, is)
			return
		}
		s.fail(c, http.StatusUnprocessableEntity, "not-supported", err.Error(), "")
		return
	}
	encoded := make([][]byte, 0, len(recs))
	for _, r := range recs {
		b, err := clinic.Encode(r)
		if err != nil {
			s.internal(c, fmt.Errorf("encode %s: %w", r.RecordKind(), err))
			return
		}
		encoded = append(encoded, b)
	}
	if strings.Contains(c.GetHeader("Accept"), mediaNDJSON) {
		var buf bytes.Buffer
		for _, b := range encoded {
			buf.Write(b)
			buf.WriteByte('\n')
		}
		c.Data(http.StatusOK, mediaNDJSON, buf.Bytes())
		return
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, b := range encoded {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	c.Data(http.StatusOK, mediaJSON, buf.Bytes())
}
