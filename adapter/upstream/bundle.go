package upstream

import (
	"encoding/json"
	"strings"
)

// Bundle is the part of a FHIR Bundle the client reads and writes.
// Resources stay raw JSON, so nothing is lost on the way through.
type Bundle struct {
	ResourceType string       `json:"resourceType"`
	Type         string       `json:"type"`
	Total        *int         `json:"total,omitempty"`
	Links        []BundleLink `json:"link,omitempty"`
	Entry        []Entry      `json:"entry,omitempty"`
}

// BundleReply is the answer to a batch or transaction Bundle, read for
// what a writer needs of each entry: its response, and the id and version
// of the resource written when the server returns it. Decoding only those
// scans each returned resource once instead of keeping it to decode
// again.
type BundleReply struct {
	ResourceType string       `json:"resourceType"`
	Entry        []ReplyEntry `json:"entry,omitempty"`
}

// ReplyEntry is one entry of a BundleReply.
type ReplyEntry struct {
	Response *EntryResponse   `json:"response,omitempty"`
	Resource *WrittenResource `json:"resource,omitempty"`
}

// WrittenResource is what a writer needs of a resource the server returns.
type WrittenResource struct {
	ID   string `json:"id"`
	Meta struct {
		VersionID string `json:"versionId"`
	} `json:"meta"`
}

// BundleLink is one Bundle.link.
type BundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

// Link returns the URL of the link with that relation, or "".
func (b *Bundle) Link(relation string) string {
	for _, l := range b.Links {
		if l.Relation == relation {
			return l.URL
		}
	}
	return ""
}

// Entry is one Bundle.entry.
type Entry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *EntrySearch    `json:"search,omitempty"`
	Request  *EntryRequest   `json:"request,omitempty"`
	Response *EntryResponse  `json:"response,omitempty"`
}

// EntrySearch is Bundle.entry.search.
type EntrySearch struct {
	Mode string `json:"mode,omitempty"`
}

// EntryRequest is Bundle.entry.request of a batch or transaction.
type EntryRequest struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	IfMatch     string `json:"ifMatch,omitempty"`
	IfNoneExist string `json:"ifNoneExist,omitempty"`
}

// EntryResponse is Bundle.entry.response of a batch or transaction
// response.
type EntryResponse struct {
	Status   string          `json:"status"`
	Location string          `json:"location,omitempty"`
	ETag     string          `json:"etag,omitempty"`
	Outcome  json.RawMessage `json:"outcome,omitempty"`
}

// Code returns the HTTP status code at the start of Status ("201 Created"
// → 201), or 0.
func (r *EntryResponse) Code() int {
	if r == nil {
		return 0
	}
	s := strings.TrimSpace(r.Status)
	n := 0
	for i := 0; i < len(s) && i < 3; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0
		}
		n = n*10 + int(s[i]-'0')
	}
	if len(s) < 3 || (len(s) > 3 && s[3] != ' ') {
		return 0
	}
	return n
}

// Location splits a response location "Type/id/_history/vid" (relative or
// absolute) into its id and version id; both "" when it has neither.
func Location(loc string) (id, version string) {
	if i := strings.IndexAny(loc, "?#"); i >= 0 {
		loc = loc[:i]
	}
	parts := strings.Split(strings.Trim(loc, "/"), "/")
	for i := len(parts) - 1; i >= 1; i-- {
		if parts[i] == "_history" && i >= 1 && i+1 < len(parts) {
			return parts[i-1], parts[i+1]
		}
	}
	if len(parts) >= 2 {
		return parts[len(parts)-1], ""
	}
	return "", ""
}
