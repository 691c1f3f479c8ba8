package conformance

import (
	"fmt"
	"strings"
)

// checkReference checks a Reference's literal reference and type against
// the element's target resource types, and that "#id" resolves (ref-1).
func (w *walker) checkReference(obj jval, f *field, ctx *resCtx) {
	ref, _ := obj.get("reference").asString()
	if typ, ok := obj.get("type").asString(); ok && f.targets != nil && w.m.resources[typ] != nil && !f.targets[typ] {
		w.addAt(SeverityError, CodeStructure, fmt.Sprintf("Reference.type %s is not an allowed target (%s)", typ, keys(f.targets)), ".type")
	}
	if ref == "" {
		return
	}
	if ref[0] == '#' {
		ctx.noteLocalRef(ref)
		if ref == "#" {
			return // the container itself
		}
		rt, ok := ctx.contained[ref[1:]]
		if !ok {
			w.addAt(SeverityError, CodeInvariant, "ref-1: SHALL have a contained resource if a local reference is provided (no contained resource with id "+ref[1:]+")", ".reference")
			return
		}
		w.checkTarget(rt, f)
		return
	}
	if strings.HasPrefix(ref, "urn:uuid:") || strings.HasPrefix(ref, "urn:oid:") {
		if ctx.bundle != nil {
			if rt, ok := ctx.bundle.fullURLs[ref]; ok {
				w.checkTarget(rt, f)
			}
		}
		return
	}
	if ctx.bundle != nil {
		if rt, ok := ctx.bundle.fullURLs[ref]; ok {
			w.checkTarget(rt, f)
			return
		}
	}
	rt := referenceType(ref)
	if rt == "" {
		if !strings.Contains(ref, ":") {
			w.addAt(SeverityError, CodeValue, "a relative reference must have the form Type/id (or Type?query in a transaction)", ".reference")
		}
		return
	}
	if w.m.resources[rt] == nil {
		if !strings.Contains(ref, ":") {
			w.addAt(SeverityError, CodeValue, fmt.Sprintf("%q is not a resource type", rt), ".reference")
		}
		return
	}
	w.checkTarget(rt, f)
}

func (w *walker) checkTarget(rt string, f *field) {
	if f.targets == nil || rt == "" || f.targets[rt] {
		return
	}
	w.addAt(SeverityError, CodeStructure, fmt.Sprintf("a reference to %s is not allowed here (allowed: %s)", rt, keys(f.targets)), ".reference")
}

// referenceType extracts the resource type of a literal reference:
// Type/id, Type/id/_history/vid, http(s)://base/Type/id[...], Type?query.
// It returns "" when the reference does not have one of these forms.
func referenceType(ref string) string {
	if i := strings.IndexByte(ref, '?'); i >= 0 {
		head := ref[:i]
		if !strings.Contains(head, "/") && !strings.Contains(head, ":") {
			return head // conditional reference Type?query
		}
		ref = head
	}
	if i := strings.IndexByte(ref, '#'); i >= 0 {
		ref = ref[:i]
	}
	typ, _, relative, ok := typeAndID(ref)
	if !ok || (!relative && !strings.Contains(ref, ":")) {
		return "" // a relative reference is exactly Type/id
	}
	return typ
}

// typeAndID splits a reference or URL that ends in Type/id, after dropping
// a /_history/vid suffix; ok is false when it does not end so. relative
// reports whether Type/id is all there is. It slices rather than splits:
// it runs for every reference the validator sees.
func typeAndID(ref string) (typ, id string, relative, ok bool) {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	slash := strings.LastIndexByte(ref, '/')
	if slash < 0 {
		return "", "", false, false
	}
	head := ref[:slash]
	prev := strings.LastIndexByte(head, '/')
	typ, id = head[prev+1:], ref[slash+1:]
	if typ == "" || typ[0] < 'A' || typ[0] > 'Z' || !validID(id) {
		return "", "", false, false
	}
	return typ, id, prev < 0, true
}
