package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/ivbridge/ivbridge/adapter/store"
)

// waitError: a resource refers to one the upstream does not have yet (its
// record is still queued). The record stays pending and is tried again.
type waitError struct{ ref string }

func (e *waitError) Error() string {
	return fmt.Sprintf("sync: waiting for %s to reach the upstream first", e.ref)
}

// relativeRef matches a relative literal reference "Type/id".
var relativeRef = regexp.MustCompile(`^([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\-.]{1,64})$`)

// prepare sets o.body: the stored body as is while every type takes
// client ids (the common, fast case), else with the id the upstream knows
// and references rewritten to upstream ids, or to the urn:uuid fullUrl of
// a target written in the same Bundle (inBundle).
func (s *Syncer) prepare(ctx context.Context, o *op, inBundle map[string]bool) error {
	if o.method == http.MethodDelete || o.res == nil {
		return nil
	}
	caps, _ := s.capabilities()
	allClientIDs := s.takesClientIDs()
	if allClientIDs && !o.conditional && o.upstreamID == o.id {
		o.body = o.res.Body
		return nil
	}
	m, err := decodeObject(o.res.Body)
	if err != nil {
		return fmt.Errorf("sync: stored %s is not JSON: %w", o.typ, err)
	}
	switch {
	case o.conditional && o.upstreamID == "":
		// A conditional update that may create must not carry an id.
		delete(m, "id")
	default:
		m["id"] = o.upstreamID
	}
	if !allClientIDs {
		var walkErr error
		rewriteRefs(m, func(ref string) string {
			if walkErr != nil {
				return ref
			}
			sub := relativeRef.FindStringSubmatch(ref)
			if sub == nil || caps.ClientIDs(sub[1]) {
				return ref
			}
			up, err := s.upstreamID(ctx, sub[1], sub[2])
			switch {
			case err != nil:
				walkErr = err
				return ref
			case up != "":
				return sub[1] + "/" + up
			case inBundle[key(sub[1], sub[2])]:
				return "urn:uuid:" + sub[2]
			default:
				walkErr = &waitError{ref: sub[1]}
				return ref
			}
		})
		if walkErr != nil {
			return walkErr
		}
	}
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("sync: %s: %w", o.typ, err)
	}
	o.body = body
	return nil
}

// rewriteRefs calls fn on every Reference.reference string in v.
func rewriteRefs(v any, fn func(string) string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "reference" {
				x[k] = fn(s)
				continue
			}
			rewriteRefs(val, fn)
		}
	case []any:
		for _, e := range x {
			rewriteRefs(e, fn)
		}
	}
}

// upstreamID finds the upstream id of a local resource: from the cache of
// deliveries, else from its record's sync state. "" when it has not been
// delivered yet.
func (s *Syncer) upstreamID(ctx context.Context, typ, id string) (string, error) {
	k := key(typ, id)
	s.mu.Lock()
	up, ok := s.upIDs[k]
	s.mu.Unlock()
	if ok {
		return up, nil
	}
	res, err := s.st.GetResource(ctx, typ, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sync: resolving %s: %w", typ, err)
	}
	state, err := s.st.GetSyncState(ctx, res.SourceKind, res.SourceID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sync: resolving %s: %w", typ, err)
	}
	s.rememberDeliveries(state.Deliveries)
	for _, d := range state.Deliveries {
		if d.Type == typ && d.ID == id {
			return d.UpstreamID, nil
		}
	}
	return "", nil
}

// rememberDeliveries caches local → upstream ids that differ (server-
// assigned ids); equal ids need no lookup.
func (s *Syncer) rememberDeliveries(ds []store.Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		if d.UpstreamID != "" && d.UpstreamID != d.ID {
			if s.upIDs == nil {
				s.upIDs = map[string]string{}
			}
			s.upIDs[key(d.Type, d.ID)] = d.UpstreamID
		}
	}
}
