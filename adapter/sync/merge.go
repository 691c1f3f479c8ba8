package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Ownership rule for conflicts (a 409/412 from the upstream: the resource
// changed there after ivbridge last wrote it).
//
// The clinic owns every element its mapping writes: every top-level element
// of ivbridge's current version of the resource, and every element of the
// version before it (so a field the clinic removed stays removed instead of
// coming back from the upstream). Those are replaced wholesale by the
// clinic's values.
//
// Everything else on the upstream copy is the upstream's and is kept:
//   - top-level elements ivbridge never wrote (an address added upstream,
//     a text narrative …);
//   - identifiers whose system is outside ivbridge's namespace;
//   - extensions and modifier extensions whose url is outside the namespace;
//   - meta.tag, meta.security and meta.profile entries ivbridge did not set;
//   - notes (Annotation) whose text the clinic never wrote.
//
// id, meta.versionId and meta.lastUpdated are the server's.

// listMerged names the list elements merged entry by entry rather than
// replaced: the upstream may add its own entries next to the clinic's.
var listMerged = map[string]bool{"identifier": true, "extension": true, "modifierExtension": true, "note": true}

// Merge re-applies ours (the clinic's current version) onto theirs (the
// upstream's current copy) under the ownership rule above. previous is
// ivbridge's version before ours (nil when ours is the first). The result
// keeps theirs' id.
func Merge(ours, theirs, previous []byte, namespace string) ([]byte, error) {
	o, err := decodeObject(ours)
	if err != nil {
		return nil, fmt.Errorf("sync merge: ours: %w", err)
	}
	t, err := decodeObject(theirs)
	if err != nil {
		return nil, fmt.Errorf("sync merge: theirs: %w", err)
	}
	var p map[string]any
	if len(previous) > 0 {
		if p, err = decodeObject(previous); err != nil {
			return nil, fmt.Errorf("sync merge: previous: %w", err)
		}
	}
	ot, _ := o["resourceType"].(string)
	tt, _ := t["resourceType"].(string)
	if ot == "" || ot != tt {
		return nil, fmt.Errorf("sync merge: resource types differ or are missing (%q, %q)", ot, tt)
	}
	out := make(map[string]any, len(o)+len(t))
	for k, v := range o {
		out[k] = v
	}
	for k, tv := range t {
		switch k {
		case "resourceType", "meta":
			continue
		case "id":
			out["id"] = tv
			continue
		}
		_, inOurs := o[k]
		_, inPrev := p[k]
		if listMerged[k] {
			out[k] = mergeList(k, o[k], tv, p[k], namespace)
			if l, ok := out[k].([]any); ok && len(l) == 0 {
				delete(out, k)
			}
			continue
		}
		if !inOurs && !inPrev {
			out[k] = tv // the upstream's own element
		}
	}
	if meta := mergeMeta(o["meta"], t["meta"], p["meta"], namespace); meta != nil {
		out["meta"] = meta
	} else {
		delete(out, "meta")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("sync merge: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// mergeList keeps ours and adds the upstream's entries that are not ours:
// outside the namespace and never written by the clinic.
func mergeList(name string, ours, theirs, previous any, namespace string) any {
	ol := asList(ours)
	pl := asList(previous)
	single := false
	if _, isObj := theirs.(map[string]any); isObj {
		// R4 AdverseEvent.identifier is 0..1: a single object.
		single = true
	}
	if _, isObj := ours.(map[string]any); isObj {
		single = true
	}
	out := append([]any(nil), ol...)
	for _, tv := range asList(theirs) {
		if clinicEntry(name, tv, namespace) || containsJSON(ol, tv) || containsJSON(pl, tv) || sameNote(name, tv, ol, pl) {
			continue
		}
		out = append(out, tv)
	}
	if single {
		if len(ol) > 0 {
			return ol[0]
		}
		if len(out) > 0 {
			return out[0]
		}
		return nil
	}
	return out
}

// clinicEntry reports whether a list entry lies in the clinic's namespace.
func clinicEntry(name string, v any, namespace string) bool {
	m, ok := v.(map[string]any)
	if !ok || namespace == "" {
		return false
	}
	var key string
	switch name {
	case "identifier":
		key, _ = m["system"].(string)
	case "extension", "modifierExtension":
		key, _ = m["url"].(string)
	default:
		return false
	}
	return key == namespace || strings.HasPrefix(key, strings.TrimRight(namespace, "/")+"/") ||
		strings.HasPrefix(key, strings.TrimRight(namespace, ":")+":")
}

// sameNote reports a note whose text the clinic wrote (now or before).
func sameNote(name string, v any, lists ...[]any) bool {
	if name != "note" {
		return false
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	text, _ := m["text"].(string)
	if text == "" {
		return false
	}
	for _, l := range lists {
		for _, x := range l {
			if m, ok := x.(map[string]any); ok && m["text"] == text {
				return true
			}
		}
	}
	return false
}

// mergeMeta keeps ours' meta (without server fields) plus the upstream's
// tags, security labels and profiles that ivbridge did not set.
func mergeMeta(ours, theirs, previous any, namespace string) map[string]any {
	om, _ := ours.(map[string]any)
	tm, _ := theirs.(map[string]any)
	pm, _ := previous.(map[string]any)
	out := map[string]any{}
	for k, v := range om {
		if k != "versionId" && k != "lastUpdated" {
			out[k] = v
		}
	}
	for _, k := range []string{"tag", "security", "profile"} {
		ol := asList(om[k])
		pl := asList(pm[k])
		merged := append([]any(nil), ol...)
		for _, tv := range asList(tm[k]) {
			if containsJSON(ol, tv) || containsJSON(pl, tv) || codingInNamespace(tv, namespace) {
				continue
			}
			merged = append(merged, tv)
		}
		if len(merged) > 0 {
			out[k] = merged
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func codingInNamespace(v any, namespace string) bool {
	m, ok := v.(map[string]any)
	if !ok || namespace == "" {
		return false
	}
	sys, _ := m["system"].(string)
	return sys == namespace || strings.HasPrefix(sys, strings.TrimRight(namespace, "/")+"/")
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

func containsJSON(list []any, v any) bool {
	want, err := json.Marshal(v)
	if err != nil {
		return false
	}
	for _, x := range list {
		got, err := json.Marshal(x)
		if err == nil && bytes.Equal(got, want) {
			return true
		}
	}
	return false
}

// decodeObject decodes a JSON object keeping numbers as json.Number, so
// decimals like 1.50 survive byte for byte.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}
