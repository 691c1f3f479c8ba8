package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Capabilities is what ivbridge needs to know from the upstream's
// CapabilityStatement (GET /metadata) to choose how to write.
type Capabilities struct {
	FHIRVersion string
	Transaction bool // rest.interaction has "transaction"
	Batch       bool // rest.interaction has "batch"
	// Types maps each declared resource type to its capabilities.
	Types map[string]TypeCapability
}

// TypeCapability is one CapabilityStatement.rest.resource.
type TypeCapability struct {
	Update bool // interaction "update"
	Delete bool
	Read   bool
	Search bool // interaction "search-type"
	// UpdateCreate is the declared updateCreate; nil when the statement
	// does not say.
	UpdateCreate      *bool
	ConditionalUpdate bool
}

// ClientIDs reports whether PUT Type/id may create a resource with our id.
// An upstream that declares the type without updateCreate: true, or
// without update, refuses client ids, so ivbridge falls back to
// conditional update by identifier. A type the statement does not list at
// all is assumed to take client ids (the statement is incomplete, and the
// first write will tell).
func (c *Capabilities) ClientIDs(typ string) bool {
	tc, ok := c.Types[typ]
	if !ok {
		return true
	}
	return tc.Update && tc.UpdateCreate != nil && *tc.UpdateCreate
}

// ParseCapabilityStatement reads a CapabilityStatement's server rest part.
func ParseCapabilityStatement(data []byte) (*Capabilities, error) {
	var cs struct {
		ResourceType string `json:"resourceType"`
		FHIRVersion  string `json:"fhirVersion"`
		Rest         []struct {
			Mode        string `json:"mode"`
			Interaction []struct {
				Code string `json:"code"`
			} `json:"interaction"`
			Resource []struct {
				Type        string `json:"type"`
				Interaction []struct {
					Code string `json:"code"`
				} `json:"interaction"`
				UpdateCreate      *bool `json:"updateCreate"`
				ConditionalUpdate *bool `json:"conditionalUpdate"`
			} `json:"resource"`
		} `json:"rest"`
	}
	if err := json.Unmarshal(data, &cs); err != nil {
		return nil, fmt.Errorf("upstream: CapabilityStatement: %w", err)
	}
	if cs.ResourceType != "CapabilityStatement" {
		return nil, fmt.Errorf("upstream: /metadata answered a %q, not a CapabilityStatement", cs.ResourceType)
	}
	caps := &Capabilities{FHIRVersion: cs.FHIRVersion, Types: map[string]TypeCapability{}}
	found := false
	for _, r := range cs.Rest {
		if r.Mode != "" && r.Mode != "server" {
			continue
		}
		found = true
		for _, in := range r.Interaction {
			switch in.Code {
			case "transaction":
				caps.Transaction = true
			case "batch":
				caps.Batch = true
			}
		}
		for _, res := range r.Resource {
			if res.Type == "" {
				continue
			}
			tc := TypeCapability{UpdateCreate: res.UpdateCreate, ConditionalUpdate: res.ConditionalUpdate != nil && *res.ConditionalUpdate}
			for _, in := range res.Interaction {
				switch in.Code {
				case "update":
					tc.Update = true
				case "delete":
					tc.Delete = true
				case "read":
					tc.Read = true
				case "search-type":
					tc.Search = true
				}
			}
			caps.Types[res.Type] = tc
		}
	}
	if !found {
		return nil, errors.New("upstream: CapabilityStatement has no server rest part")
	}
	return caps, nil
}

// Capabilities fetches and parses GET /metadata.
func (c *Client) Capabilities(ctx context.Context) (*Capabilities, error) {
	resp, err := c.Do(ctx, http.MethodGet, "metadata", nil, nil)
	if err != nil {
		return nil, err
	}
	return ParseCapabilityStatement(resp.Body)
}
