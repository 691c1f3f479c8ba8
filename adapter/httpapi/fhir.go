package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/conformance"
)

// instantLayout renders meta.lastUpdated: UTC with microseconds, the
// store's precision, so a client's _lastUpdated=le<value> finds it.
const instantLayout = "2006-01-02T15:04:05.000000Z"

// negotiate answers 406 when the client accepts only formats the facade
// does not produce (XML); JSON is the only format served.
func (s *Server) negotiate(c *gin.Context) bool {
	if f := c.Query("_format"); f != "" {
		switch f {
		case "json", mediaJSON, mediaFHIRJSON:
			return true
		}
		s.fail(c, http.StatusNotAcceptable, "not-supported", "_format "+f+" is not supported; only JSON is served", "")
		return false
	}
	accept := c.GetHeader("Accept")
	if strings.TrimSpace(accept) == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				continue
			}
		}
		switch mt {
		case mediaFHIRJSON, mediaJSON, "*/*", "application/*", "text/*", "text/plain":
			return true
		}
	}
	s.fail(c, http.StatusNotAcceptable, "not-supported", "only application/fhir+json is served (Accept: "+accept+")", "")
	return false
}

// facadeDef finds the served type of the URL, answering 404 otherwise.
func (s *Server) facadeDef(c *gin.Context) (resourceDef, bool) {
	typ := c.Param("type")
	for _, d := range s.facade {
		if d.Type == typ {
			return d, true
		}
	}
	s.fail(c, http.StatusNotFound, "not-supported", fmt.Sprintf("resource type %q is not served by this facade", typ), "")
	return resourceDef{}, false
}

// withMeta returns the resource JSON with meta.versionId and
// meta.lastUpdated set, keeping the order and literals of every other
// member (decimals stay as written).
func withMeta(body []byte, versionID int, lastUpdated time.Time) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("resource is not a JSON object")
	}
	type member struct {
		key string
		val json.RawMessage
	}
	var members []member
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read resource: %w", err)
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("read resource member %s: %w", key, err)
		}
		members = append(members, member{key, raw})
	}
	meta := map[string]json.RawMessage{}
	metaAt := -1
	for i, m := range members {
		if m.key == "meta" {
			if err := json.Unmarshal(m.val, &meta); err != nil {
				return nil, fmt.Errorf("read meta: %w", err)
			}
			metaAt = i
		}
	}
	meta["versionId"], _ = json.Marshal(strconv.Itoa(versionID))
	meta["lastUpdated"], _ = json.Marshal(lastUpdated.UTC().Format(instantLayout))
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("write meta: %w", err)
	}
	if metaAt >= 0 {
		members[metaAt].val = metaJSON
	} else {
		// After resourceType and id, where FHIR's own serialisers put it.
		at := 0
		for at < len(members) && (members[at].key == "resourceType" || members[at].key == "id") {
			at++
		}
		members = append(members[:at], append([]member{{"meta", metaJSON}}, members[at:]...)...)
	}
	var b bytes.Buffer
	b.Grow(len(body) + 96)
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// serveResource answers one stored resource version with ETag and
// Last-Modified, or 304 when If-None-Match names it.
func (s *Server) serveResource(c *gin.Context, r store.Resource) {
	tag := etag(r.VersionID)
	c.Header("ETag", tag)
	c.Header("Last-Modified", r.LastUpdated.UTC().Format(http.TimeFormat))
	if etagMatches(c.GetHeader("If-None-Match"), tag) {
		c.Status(http.StatusNotModified)
		return
	}
	body, err := withMeta(r.Body, r.VersionID, r.LastUpdated)
	if err != nil {
		s.internal(c, fmt.Errorf("serve %s: %w", r.Type, err))
		return
	}
	c.Data(http.StatusOK, mediaFHIRJSON+"; charset=utf-8", body)
}

// read handles GET /fhir/{type}/{id}.
func (s *Server) read(c *gin.Context) {
	def, ok := s.facadeDef(c)
	if !ok || !s.negotiate(c) {
		return
	}
	id := c.Param("id")
	if !idPattern.MatchString(id) {
		s.fail(c, http.StatusNotFound, "not-found", "no "+def.Type+" with this id", "")
		return
	}
	r, err := s.cfg.Store.GetResource(c.Request.Context(), def.Type, id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(c, http.StatusNotFound, "not-found", "no "+def.Type+" with this id", "")
		return
	}
	if err != nil {
		s.internal(c, fmt.Errorf("read %s: %w", def.Type, err))
		return
	}
	if r.Deleted {
		c.Header("ETag", etag(r.VersionID))
		s.fail(c, http.StatusGone, "deleted", "this "+def.Type+" was deleted", "")
		return
	}
	s.serveResource(c, r)
}

// vread handles GET /fhir/{type}/{id}/_history/{vid}.
func (s *Server) vread(c *gin.Context) {
	def, ok := s.facadeDef(c)
	if !ok || !s.negotiate(c) {
		return
	}
	id := c.Param("id")
	vid, err := strconv.Atoi(c.Param("vid"))
	if err != nil || vid < 1 || !idPattern.MatchString(id) {
		s.fail(c, http.StatusNotFound, "not-found", "no such version", "")
		return
	}
	r, err := s.cfg.Store.GetResourceVersion(c.Request.Context(), def.Type, id, vid)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(c, http.StatusNotFound, "not-found", "no such version of this "+def.Type, "")
		return
	}
	if err != nil {
		s.internal(c, fmt.Errorf("vread %s: %w", def.Type, err))
		return
	}
	if r.Deleted {
		s.fail(c, http.StatusGone, "deleted", "this version deleted the "+def.Type, "")
		return
	}
	s.serveResource(c, r)
}

// search handles GET /fhir/{type} and POST /fhir/{type}/_search.
func (s *Server) search(c *gin.Context) {
	def, ok := s.facadeDef(c)
	if !ok || !s.negotiate(c) {
		return
	}
	params := url.Values{}
	for k, v := range c.Request.URL.Query() {
		params[k] = append(params[k], v...)
	}
	if c.Request.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if c.Request.ContentLength != 0 && (err != nil || mt != "application/x-www-form-urlencoded") {
			s.fail(c, http.StatusUnsupportedMediaType, "not-supported", "POST _search takes application/x-www-form-urlencoded", "")
			return
		}
		body, ok := s.readBody(c)
		if !ok {
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			s.fail(c, http.StatusBadRequest, "invalid", "the form body is malformed", "")
			return
		}
		for k, v := range form {
			params[k] = append(params[k], v...)
		}
	}
	req, err := parseSearch(def, params, preferLenient(c.GetHeader("Prefer")))
	if err != nil {
		var se *SearchError
		if errors.As(err, &se) {
			s.fail(c, http.StatusBadRequest, "not-supported", se.Error(), se.Param)
			return
		}
		s.internal(c, err)
		return
	}
	ctx := c.Request.Context()
	var page store.ResourcePage
	hasNext := false
	if !req.empty {
		q := req.query
		if q.Count == 0 {
			q.Count = 1 // _count=0: the total only
		} else {
			q.Count++ // one more tells whether a next page has any
		}
		page, err = s.cfg.Store.SearchResources(ctx, q)
		if errors.Is(err, store.ErrInvalid) {
			s.fail(c, http.StatusBadRequest, "invalid", "the search cannot be run: "+err.Error(), "")
			return
		}
		if err != nil {
			s.internal(c, fmt.Errorf("search %s: %w", def.Type, err))
			return
		}
		if len(page.Resources) > req.query.Count {
			hasNext = req.query.Count > 0
			page.Resources = page.Resources[:req.query.Count]
		}
	}
	base := s.baseURL(c)
	bundle := searchBundle{
		ResourceType: "Bundle",
		ID:           uuid.NewString(),
		Meta:         &bundleMeta{LastUpdated: s.cfg.Now().UTC().Format(instantLayout)},
		Type:         "searchset",
		Total:        &page.Total,
	}
	// link is this search's URL at a page: after a cursor, at an offset,
	// or (neither) the first.
	link := func(cursor string, offset int) string {
		v := url.Values{}
		for k, vs := range req.canonical {
			v[k] = vs
		}
		v.Set("_count", strconv.Itoa(req.query.Count))
		switch {
		case cursor != "":
			v.Set("_cursor", cursor)
		case offset > 0:
			v.Set("_offset", strconv.Itoa(offset))
		}
		return base + "/fhir/" + def.Type + "?" + v.Encode()
	}
	self := ""
	if c := req.query.After; c != nil {
		self = cursorOf(store.Resource{LastUpdated: c.LastUpdated, Type: c.Type, ID: c.ID})
	}
	bundle.Link = append(bundle.Link, bundleLink{Relation: "self", URL: link(self, req.query.Offset)})
	// Next pages go by cursor (keyset): they do not shift when resources
	// before them change. A client's own _offset still gets previous.
	if hasNext && len(page.Resources) > 0 {
		bundle.Link = append(bundle.Link, bundleLink{Relation: "next", URL: link(cursorOf(page.Resources[len(page.Resources)-1]), 0)})
	}
	if req.query.Offset > 0 && req.query.Count > 0 {
		prev := max(req.query.Offset-req.query.Count, 0)
		bundle.Link = append(bundle.Link, bundleLink{Relation: "previous", URL: link("", prev)})
	}
	seen := map[string]bool{}
	for _, r := range page.Resources {
		seen[r.Type+"/"+r.ID] = true
	}
	for _, r := range page.Resources {
		e, err := s.entry(base, r, "match")
		if err != nil {
			s.internal(c, err)
			return
		}
		bundle.Entry = append(bundle.Entry, e)
	}
	for _, r := range page.Resources {
		for _, param := range req.includes {
			ref := r.Refs[param]
			typ, id, ok := strings.Cut(ref, "/")
			if !ok || seen[ref] {
				continue
			}
			seen[ref] = true
			inc, err := s.cfg.Store.GetResource(ctx, typ, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				s.internal(c, fmt.Errorf("include %s: %w", typ, err))
				return
			}
			if inc.Deleted {
				continue
			}
			e, err := s.entry(base, inc, "include")
			if err != nil {
				s.internal(c, err)
				return
			}
			bundle.Entry = append(bundle.Entry, e)
		}
	}
	out, err := marshal(bundle)
	if err != nil {
		s.internal(c, fmt.Errorf("write search bundle: %w", err))
		return
	}
	c.Data(http.StatusOK, mediaFHIRJSON+"; charset=utf-8", out)
}

type searchBundle struct {
	ResourceType string        `json:"resourceType"`
	ID           string        `json:"id"`
	Meta         *bundleMeta   `json:"meta,omitempty"`
	Type         string        `json:"type"`
	Timestamp    string        `json:"timestamp,omitempty"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link,omitempty"`
	Entry        []bundleEntry `json:"entry,omitempty"`
}

type bundleMeta struct {
	LastUpdated string `json:"lastUpdated"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Search   *entrySearch    `json:"search,omitempty"`
}

type entrySearch struct {
	Mode string `json:"mode"`
}

func (s *Server) entry(base string, r store.Resource, mode string) (bundleEntry, error) {
	body, err := withMeta(r.Body, r.VersionID, r.LastUpdated)
	if err != nil {
		return bundleEntry{}, fmt.Errorf("entry %s: %w", r.Type, err)
	}
	e := bundleEntry{FullURL: base + "/fhir/" + r.Type + "/" + r.ID, Resource: body}
	if mode != "" {
		e.Search = &entrySearch{Mode: mode}
	}
	return e, nil
}

// validate handles POST /fhir/$validate and POST /fhir/{type}/$validate:
// a bare resource or a Parameters with a "resource" parameter; the answer
// is the validator's OperationOutcome (200 whether valid or not).
func (s *Server) validate(c *gin.Context) {
	typ := c.Param("type")
	if typ != "" {
		if _, ok := s.facadeDef(c); !ok {
			return
		}
	}
	if !s.negotiate(c) {
		return
	}
	if !isJSON(c, true) {
		s.fail(c, http.StatusUnsupportedMediaType, "not-supported", "Content-Type must be application/fhir+json", "")
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	var head struct {
		ResourceType string `json:"resourceType"`
		Parameter    []struct {
			Name     string          `json:"name"`
			Resource json.RawMessage `json:"resource"`
		} `json:"parameter"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		s.fail(c, http.StatusBadRequest, "structure", "the body is not a JSON object: "+err.Error(), "")
		return
	}
	res := body
	if head.ResourceType == "Parameters" && typ != "Parameters" {
		res = nil
		for _, p := range head.Parameter {
			if p.Name == "resource" && len(p.Resource) > 0 {
				res = p.Resource
			}
		}
		if res == nil {
			s.fail(c, http.StatusBadRequest, "required", "the Parameters carry no \"resource\" parameter", "Parameters.parameter")
			return
		}
	}
	issues := s.cfg.Validator.Validate(res)
	if typ != "" {
		var rt struct {
			ResourceType string `json:"resourceType"`
		}
		_ = json.Unmarshal(res, &rt)
		if rt.ResourceType != typ {
			issues = append(issues, conformance.Issue{Severity: "error", Code: "invalid",
				Diagnostics: fmt.Sprintf("the resource is a %s, not a %s", rt.ResourceType, typ), Expression: "resourceType"})
		}
	}
	if len(issues) == 0 {
		issues = []conformance.Issue{{Severity: "information", Code: "informational", Diagnostics: "the resource is valid"}}
	}
	c.Data(http.StatusOK, mediaFHIRJSON+"; charset=utf-8", outcome(issues))
}

// metadata handles GET /fhir/metadata.
func (s *Server) metadata(c *gin.Context) {
	if !s.negotiate(c) {
		return
	}
	c.Data(http.StatusOK, mediaFHIRJSON+"; charset=utf-8", s.capability)
}

// preferLenient reports whether a Prefer header asks for handling=lenient.
func preferLenient(prefer string) bool {
	for _, p := range strings.Split(prefer, ",") {
		if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(p), " ", ""), "handling=lenient") {
			return true
		}
	}
	return false
}
