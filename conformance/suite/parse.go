package suite

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// decodeObject decodes a JSON object with numbers kept as json.Number.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding JSON: %w", err)
	}
	if m == nil {
		return nil, errors.New("decoding JSON: not an object")
	}
	return m, nil
}

// entryRef is one Bundle entry as the checks use it.
type entryRef struct {
	ResourceType string
	ID           string
	// Mode is entry.search.mode ("match", "include", "outcome" or "").
	Mode string
	// FullURL is entry.fullUrl ("" when absent).
	FullURL  string
	Resource map[string]any
}

// key is "Type/id".
func (e entryRef) key() string { return e.ResourceType + "/" + e.ID }

// searchPage is what the suite reads from one page of a search result.
type searchPage struct {
	BundleType string
	// Total is Bundle.total, or -1 when the server did not give one.
	Total   int
	Self    string
	Next    string
	Entries []entryRef
}

// matches are the entries found by the search itself (not _include-d).
func (p searchPage) matches() []entryRef {
	var out []entryRef
	for _, e := range p.Entries {
		// A server that sets no search.mode means "match" (R4 3.1.1.4.5:
		// mode is optional; servers that _include SHALL mark includes).
		if e.Mode == "match" || e.Mode == "" {
			out = append(out, e)
		}
	}
	return out
}

// parseSearchPage reads a searchset Bundle. It fails on anything that is
// not a searchset Bundle, or on entries without resourceType and id.
func parseSearchPage(m map[string]any) (searchPage, error) {
	if rt := str(m, "resourceType"); rt != "Bundle" {
		return searchPage{}, fmt.Errorf("response is a %q, not a Bundle", rt)
	}
	p := searchPage{BundleType: str(m, "type"), Total: -1}
	if p.BundleType != "searchset" {
		return p, fmt.Errorf("Bundle.type is %q, want searchset", p.BundleType)
	}
	if t, ok := m["total"].(json.Number); ok {
		n, err := t.Int64()
		if err != nil || n < 0 {
			return p, fmt.Errorf("Bundle.total %q is not a non-negative integer", t)
		}
		p.Total = int(n)
	}
	for _, l := range arr(m, "link") {
		lm, _ := l.(map[string]any)
		switch str(lm, "relation") {
		case "self":
			p.Self = str(lm, "url")
		case "next":
			p.Next = str(lm, "url")
		}
	}
	for i, e := range arr(m, "entry") {
		em, _ := e.(map[string]any)
		res := obj(em, "resource")
		ref := entryRef{
			ResourceType: str(res, "resourceType"),
			ID:           str(res, "id"),
			Mode:         str(obj(em, "search"), "mode"),
			FullURL:      str(em, "fullUrl"),
			Resource:     res,
		}
		if ref.ResourceType == "" || (ref.ID == "" && ref.ResourceType != "OperationOutcome") {
			return p, fmt.Errorf("Bundle.entry[%d] has no resource with resourceType and id", i)
		}
		p.Entries = append(p.Entries, ref)
	}
	return p, nil
}

// capabilities is what the suite reads from a CapabilityStatement.
type capabilities struct {
	FHIRVersion string
	Formats     []string
	// Resources by type: the interactions ("read", "create" …) and search
	// parameter names the server declares.
	Resources map[string]resourceCaps
	// System interactions ("transaction", "batch", "search-system" …).
	System map[string]bool
}

type resourceCaps struct {
	Interactions  map[string]bool
	SearchParams  map[string]bool
	SearchInclude []string
}

// can reports whether the server declares interaction on resource type rt.
func (c capabilities) can(rt, interaction string) bool {
	return c.Resources[rt].Interactions[interaction]
}

// parseCapabilities reads the server part of a CapabilityStatement.
func parseCapabilities(m map[string]any) (capabilities, error) {
	if rt := str(m, "resourceType"); rt != "CapabilityStatement" {
		return capabilities{}, fmt.Errorf("response is a %q, not a CapabilityStatement", rt)
	}
	c := capabilities{
		FHIRVersion: str(m, "fhirVersion"),
		Resources:   map[string]resourceCaps{},
		System:      map[string]bool{},
	}
	for _, f := range arr(m, "format") {
		if s, ok := f.(string); ok {
			c.Formats = append(c.Formats, s)
		}
	}
	for _, r := range arr(m, "rest") {
		rest, _ := r.(map[string]any)
		if str(rest, "mode") != "server" {
			continue
		}
		for _, it := range arr(rest, "interaction") {
			if code := str(asMap(it), "code"); code != "" {
				c.System[code] = true
			}
		}
		for _, res := range arr(rest, "resource") {
			rm := asMap(res)
			t := str(rm, "type")
			if t == "" {
				continue
			}
			rc, ok := c.Resources[t]
			if !ok {
				rc = resourceCaps{Interactions: map[string]bool{}, SearchParams: map[string]bool{}}
			}
			for _, it := range arr(rm, "interaction") {
				if code := str(asMap(it), "code"); code != "" {
					rc.Interactions[code] = true
				}
			}
			for _, sp := range arr(rm, "searchParam") {
				if name := str(asMap(sp), "name"); name != "" {
					rc.SearchParams[name] = true
				}
			}
			for _, inc := range arr(rm, "searchInclude") {
				if s, ok := inc.(string); ok {
					rc.SearchInclude = append(rc.SearchInclude, s)
				}
			}
			c.Resources[t] = rc
		}
	}
	return c, nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// parseETag returns the version id of a weak or strong ETag (W/"3" → 3).
func parseETag(h string) (string, bool) {
	h = strings.TrimSpace(h)
	h = strings.TrimPrefix(h, "W/")
	if len(h) < 2 || h[0] != '"' || h[len(h)-1] != '"' {
		return "", false
	}
	v := h[1 : len(h)-1]
	if v == "" || strings.ContainsRune(v, '"') {
		return "", false
	}
	return v, true
}

// parseLocation splits a create/update Location header
// ([base]/Type/id[/_history/vid], absolute or relative) into its parts.
func parseLocation(loc string) (rt, id, vid string, ok bool) {
	loc = strings.TrimSpace(loc)
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		loc = loc[:i]
	}
	parts := strings.Split(strings.TrimSuffix(loc, "/"), "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		vid = parts[n-1]
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 || parts[n-1] == "" || parts[n-2] == "" {
		return "", "", "", false
	}
	return parts[n-2], parts[n-1], vid, true
}
