package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrInvalidCapabilities is wrapped by every error CapabilityStatement
// returns for a Capabilities value that cannot be described in valid R4.
var ErrInvalidCapabilities = errors.New("conformance: invalid capabilities")

// Capabilities describes what a FHIR server (the ivbridge facade) actually
// serves. CapabilityStatement renders it; pass only routes that exist.
type Capabilities struct {
	// BaseURL is the server's FHIR base (implementation.url), absolute;
	// optional.
	BaseURL string
	// Description describes the implementation (implementation.description);
	// required, as an instance statement needs an implementation (cpb-14).
	Description string
	// Name is a computer-friendly name (CapabilityStatement.name); optional.
	Name string
	// Title is a human-friendly title; optional.
	Title string
	// Publisher is the publisher's name; optional.
	Publisher string
	// SoftwareName and SoftwareVersion describe the software
	// (CapabilityStatement.software); the name is required when a version
	// is given.
	SoftwareName, SoftwareVersion string
	// Date is when the statement was made (required; rendered as an R4
	// dateTime in UTC with seconds precision).
	Date time.Time
	// Resources lists the resource types served, each at most once (cpb-9).
	Resources []ResourceCapability
	// Interactions lists system-level interactions: transaction, batch,
	// search-system, history-system.
	Interactions []string
	// Operations lists system-level operations (e.g. $validate at the base).
	Operations []Operation
	// Security describes how clients authenticate.
	Security Security
}

// ResourceCapability is what the server does with one resource type.
type ResourceCapability struct {
	// Type is the resource type (Patient, MedicationAdministration …).
	Type string
	// Profile is the canonical URL of the base profile; optional.
	Profile string
	// SupportedProfiles are further profiles served; optional.
	SupportedProfiles []string
	// Documentation is markdown about this type's support; optional.
	Documentation string
	// Interactions are type/instance interactions: read, vread, update,
	// patch, delete, history-instance, history-type, create, search-type.
	Interactions []string
	// Versioning is no-version, versioned or versioned-update; optional.
	Versioning string
	// ReadHistory is true when vread of past versions is supported.
	ReadHistory bool
	// UpdateCreate is true when update can create a new resource.
	UpdateCreate bool
	// ConditionalCreate and ConditionalUpdate declare conditional support.
	ConditionalCreate, ConditionalUpdate bool
	// ConditionalRead is not-supported, modified-since, not-match or
	// full-support; optional.
	ConditionalRead string
	// SearchIncludes are the _include values supported; optional.
	SearchIncludes []string
	// SearchParams are the search parameters supported (names unique,
	// cpb-12).
	SearchParams []SearchParam
	// Operations are the operations supported on this type ($validate …).
	Operations []Operation
}

// SearchParam is one supported search parameter.
type SearchParam struct {
	// Name is the parameter name as used in the URL (patient, date …).
	Name string
	// Type is number, date, string, token, reference, composite, quantity,
	// uri or special.
	Type string
	// Definition is the canonical URL of the SearchParameter; optional.
	Definition string
	// Documentation is markdown about how the server uses it; optional.
	Documentation string
}

// Operation is one supported operation.
type Operation struct {
	// Name is the operation name, with or without "$" (validate …).
	Name string
	// Definition is the canonical URL of the OperationDefinition; when empty,
	// the core R4 definition for a known name is used (validate, meta,
	// meta-add, meta-delete, convert, graphql, expand, validate-code,
	// lookup, subsumes, and everything on Patient or Encounter).
	Definition string
	// Documentation is markdown about the server's support; optional.
	Documentation string
}

// Security describes how clients authenticate with the server.
type Security struct {
	// CORS is true when the server implements CORS.
	CORS bool
	// Services are codes from
	// http://terminology.hl7.org/CodeSystem/restful-security-service:
	// OAuth, SMART-on-FHIR, NTLM, Basic, Kerberos, Certificates.
	Services []string
	// Description is markdown about the security (e.g. "Bearer tokens with
	// the fhir.read scope").
	Description string
	// TokenURL and AuthorizeURL are the OAuth2 endpoints, advertised with
	// the SMART oauth-uris extension when set.
	TokenURL, AuthorizeURL string
}

const (
	securityServiceSystem = "http://terminology.hl7.org/CodeSystem/restful-security-service"
	smartOAuthURIs        = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"
	opDefBase             = "http://hl7.org/fhir/OperationDefinition/"
)

var (
	typeInteractions   = []string{"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"}
	systemInteractions = []string{"transaction", "batch", "search-system", "history-system"}
	searchParamTypes   = []string{"number", "date", "string", "token", "reference", "composite", "quantity", "uri", "special"}
	securityServices   = map[string]string{
		"OAuth": "OAuth", "SMART-on-FHIR": "SMART-on-FHIR", "NTLM": "NTLM", "Basic": "Basic",
		"Kerberos": "Kerberos", "Certificates": "Certificates",
	}
	versioningCodes      = []string{"no-version", "versioned", "versioned-update"}
	conditionalReadCodes = []string{"not-supported", "modified-since", "not-match", "full-support"}
)

// Rendered shapes, in the element order of the R4 definition.
type csDoc struct {
	ResourceType   string   `json:"resourceType"`
	Name           string   `json:"name,omitempty"`
	Title          string   `json:"title,omitempty"`
	Status         string   `json:"status"`
	Date           string   `json:"date"`
	Publisher      string   `json:"publisher,omitempty"`
	Kind           string   `json:"kind"`
	Software       *csSW    `json:"software,omitempty"`
	Implementation *csImpl  `json:"implementation,omitempty"`
	FHIRVersion    string   `json:"fhirVersion"`
	Format         []string `json:"format"`
	Rest           []csRest `json:"rest"`
}

type csSW struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type csImpl struct {
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
}

type csRest struct {
	Mode        string       `json:"mode"`
	Security    *csSecurity  `json:"security,omitempty"`
	Resource    []csResource `json:"resource,omitempty"`
	Interaction []csCode     `json:"interaction,omitempty"`
	Operation   []csOp       `json:"operation,omitempty"`
}

type csSecurity struct {
	Extension   []csExt `json:"extension,omitempty"`
	CORS        *bool   `json:"cors,omitempty"`
	Service     []csCC  `json:"service,omitempty"`
	Description string  `json:"description,omitempty"`
}

type csExt struct {
	URL       string  `json:"url"`
	Extension []csExt `json:"extension,omitempty"`
	ValueURI  string  `json:"valueUri,omitempty"`
}

type csCC struct {
	Coding []csCoding `json:"coding"`
	Text   string     `json:"text,omitempty"`
}

type csCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type csCode struct {
	Code string `json:"code"`
}

type csOp struct {
	Name          string `json:"name"`
	Definition    string `json:"definition"`
	Documentation string `json:"documentation,omitempty"`
}

type csSP struct {
	Name          string `json:"name"`
	Definition    string `json:"definition,omitempty"`
	Type          string `json:"type"`
	Documentation string `json:"documentation,omitempty"`
}

type csResource struct {
	Type              string   `json:"type"`
	Profile           string   `json:"profile,omitempty"`
	SupportedProfile  []string `json:"supportedProfile,omitempty"`
	Documentation     string   `json:"documentation,omitempty"`
	Interaction       []csCode `json:"interaction,omitempty"`
	Versioning        string   `json:"versioning,omitempty"`
	ReadHistory       *bool    `json:"readHistory,omitempty"`
	UpdateCreate      *bool    `json:"updateCreate,omitempty"`
	ConditionalCreate *bool    `json:"conditionalCreate,omitempty"`
	ConditionalRead   string   `json:"conditionalRead,omitempty"`
	ConditionalUpdate *bool    `json:"conditionalUpdate,omitempty"`
	SearchInclude     []string `json:"searchInclude,omitempty"`
	SearchParam       []csSP   `json:"searchParam,omitempty"`
	Operation         []csOp   `json:"operation,omitempty"`
}

func boolPtr(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidCapabilities, fmt.Sprintf(format, args...))
}

// CapabilityStatement renders c as an R4 CapabilityStatement (JSON): status
// active, kind instance, fhirVersion 4.0.1, format json and
// application/fhir+json, one rest entry in server mode. It checks c against
// the R4 vocabularies and invariants (errors wrap ErrInvalidCapabilities),
// and validates its own output before returning it.
func CapabilityStatement(c Capabilities) ([]byte, error) {
	v := NewValidator()
	if c.Date.IsZero() {
		return nil, invalidf("Date is required")
	}
	if strings.TrimSpace(c.Description) == "" {
		return nil, invalidf("Description is required (implementation.description of an instance statement)")
	}
	if c.Name != "" && !validComputableName(c.Name) {
		return nil, invalidf("Name %q is not usable as an identifier (cpb-0: [A-Z][A-Za-z0-9_]{0,254})", c.Name)
	}
	if c.SoftwareVersion != "" && c.SoftwareName == "" {
		return nil, invalidf("SoftwareVersion needs SoftwareName")
	}
	doc := csDoc{
		ResourceType:   "CapabilityStatement",
		Name:           c.Name,
		Title:          c.Title,
		Status:         "active",
		Date:           c.Date.UTC().Format("2006-01-02T15:04:05Z07:00"),
		Publisher:      c.Publisher,
		Kind:           "instance",
		Implementation: &csImpl{Description: c.Description, URL: c.BaseURL},
		FHIRVersion:    "4.0.1",
		Format:         []string{"json", "application/fhir+json"},
	}
	if c.SoftwareName != "" {
		doc.Software = &csSW{Name: c.SoftwareName, Version: c.SoftwareVersion}
	}
	rest := csRest{Mode: "server"}
	sec, err := renderSecurity(c.Security)
	if err != nil {
		return nil, err
	}
	rest.Security = sec
	seenTypes := map[string]bool{}
	for _, r := range c.Resources {
		if v.m.resources[r.Type] == nil {
			return nil, invalidf("unknown resource type %q", r.Type)
		}
		if seenTypes[r.Type] {
			return nil, invalidf("resource type %s listed twice (cpb-9)", r.Type)
		}
		seenTypes[r.Type] = true
		cr, err := renderResource(r)
		if err != nil {
			return nil, err
		}
		rest.Resource = append(rest.Resource, cr)
	}
	for _, i := range c.Interactions {
		if !slices.Contains(systemInteractions, i) {
			return nil, invalidf("unknown system interaction %q (want one of %s)", i, strings.Join(systemInteractions, ", "))
		}
		rest.Interaction = append(rest.Interaction, csCode{Code: i})
	}
	ops, err := renderOperations("", c.Operations)
	if err != nil {
		return nil, err
	}
	rest.Operation = ops
	doc.Rest = []csRest{rest}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("conformance: render CapabilityStatement: %w", err)
	}
	if issues := v.Validate(data); HasErrors(issues) {
		var msgs []string
		for _, is := range issues {
			if is.Severity == SeverityError || is.Severity == SeverityFatal {
				msgs = append(msgs, is.Expression+": "+is.Diagnostics)
			}
		}
		return nil, invalidf("the CapabilityStatement would not be valid R4: %s", strings.Join(msgs, "; "))
	}
	return data, nil
}

func renderSecurity(s Security) (*csSecurity, error) {
	out := &csSecurity{CORS: boolPtr(s.CORS), Description: s.Description}
	for _, svc := range s.Services {
		code, ok := securityServices[svc]
		if !ok {
			return nil, invalidf("unknown security service %q (want OAuth, SMART-on-FHIR, NTLM, Basic, Kerberos or Certificates)", svc)
		}
		out.Service = append(out.Service, csCC{Coding: []csCoding{{System: securityServiceSystem, Code: code}}})
	}
	if s.TokenURL != "" || s.AuthorizeURL != "" {
		ext := csExt{URL: smartOAuthURIs}
		if s.TokenURL != "" {
			ext.Extension = append(ext.Extension, csExt{URL: "token", ValueURI: s.TokenURL})
		}
		if s.AuthorizeURL != "" {
			ext.Extension = append(ext.Extension, csExt{URL: "authorize", ValueURI: s.AuthorizeURL})
		}
		out.Extension = []csExt{ext}
	}
	if out.CORS == nil && len(out.Service) == 0 && out.Description == "" && len(out.Extension) == 0 {
		return nil, nil
	}
	return out, nil
}

func renderResource(r ResourceCapability) (csResource, error) {
	out := csResource{
		Type:              r.Type,
		Profile:           r.Profile,
		SupportedProfile:  r.SupportedProfiles,
		Documentation:     r.Documentation,
		ReadHistory:       boolPtr(r.ReadHistory),
		UpdateCreate:      boolPtr(r.UpdateCreate),
		ConditionalCreate: boolPtr(r.ConditionalCreate),
		ConditionalUpdate: boolPtr(r.ConditionalUpdate),
		SearchInclude:     r.SearchIncludes,
	}
	for _, i := range r.Interactions {
		if !slices.Contains(typeInteractions, i) {
			return out, invalidf("%s: unknown interaction %q (want one of %s)", r.Type, i, strings.Join(typeInteractions, ", "))
		}
		out.Interaction = append(out.Interaction, csCode{Code: i})
	}
	if r.Versioning != "" && !slices.Contains(versioningCodes, r.Versioning) {
		return out, invalidf("%s: unknown versioning %q", r.Type, r.Versioning)
	}
	out.Versioning = r.Versioning
	if r.ConditionalRead != "" && !slices.Contains(conditionalReadCodes, r.ConditionalRead) {
		return out, invalidf("%s: unknown conditionalRead %q", r.Type, r.ConditionalRead)
	}
	out.ConditionalRead = r.ConditionalRead
	names := map[string]bool{}
	for _, p := range r.SearchParams {
		if p.Name == "" {
			return out, invalidf("%s: search parameter without a name", r.Type)
		}
		if names[p.Name] {
			return out, invalidf("%s: search parameter %s listed twice (cpb-12)", r.Type, p.Name)
		}
		names[p.Name] = true
		if !slices.Contains(searchParamTypes, p.Type) {
			return out, invalidf("%s: search parameter %s has unknown type %q (want one of %s)", r.Type, p.Name, p.Type, strings.Join(searchParamTypes, ", "))
		}
		out.SearchParam = append(out.SearchParam, csSP{Name: p.Name, Definition: p.Definition, Type: p.Type, Documentation: p.Documentation})
	}
	ops, err := renderOperations(r.Type, r.Operations)
	if err != nil {
		return out, err
	}
	out.Operation = ops
	return out, nil
}

func renderOperations(resourceType string, ops []Operation) ([]csOp, error) {
	var out []csOp
	seen := map[string]bool{}
	for _, o := range ops {
		name := strings.TrimPrefix(o.Name, "$")
		if name == "" {
			return nil, invalidf("%s: operation without a name", resourceType)
		}
		if seen[name] {
			return nil, invalidf("%s: operation %s listed twice", resourceType, name)
		}
		seen[name] = true
		def := o.Definition
		if def == "" {
			def = coreOperationDefinition(resourceType, name)
			if def == "" {
				return nil, invalidf("%s: operation %s needs a Definition (no core OperationDefinition of that name)", resourceType, name)
			}
		}
		out = append(out, csOp{Name: name, Definition: def, Documentation: o.Documentation})
	}
	return out, nil
}

// coreOperationDefinition returns the canonical URL of the core R4
// OperationDefinition for an operation name, or "".
func coreOperationDefinition(resourceType, name string) string {
	switch name {
	case "validate", "meta", "meta-add", "meta-delete", "convert", "graphql":
		return opDefBase + "Resource-" + name
	case "everything":
		if resourceType == "Patient" || resourceType == "Encounter" {
			return opDefBase + resourceType + "-everything"
		}
	case "expand", "validate-code":
		return opDefBase + "ValueSet-" + name
	case "lookup", "subsumes":
		return opDefBase + "CodeSystem-" + name
	}
	return ""
}

// validComputableName implements cpb-0's [A-Z]([A-Za-z0-9_]){0,254}.
func validComputableName(s string) bool {
	if len(s) == 0 || len(s) > 255 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
