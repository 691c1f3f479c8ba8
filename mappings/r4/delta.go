package r4

import "strings"

// Lossless reading works by difference. After a resource is decoded into its
// typed struct, the struct is encoded again and compared with the original
// JSON tree; whatever the typed encoding does not reproduce (primitive
// extensions such as _birthDate, extensions where samply's datatypes have no
// field, elements of other FHIR versions, number literals an int field would
// normalise, members samply always writes) is recorded as a delta on the
// resource. Marshal re-applies the delta to the typed encoding. A resource
// built in code has no delta and is encoded by the codec's encoder alone.
//
// The delta is written against the typed encoding as it was when the resource
// was read, and every operation checks that this is still the value it finds
// before it acts. So a field that mapping code changes after reading wins over
// the recorded original, and data recorded for an array is only applied while
// that array keeps its length (never to a shifted element).

// absent marks "no member here" in a delta (distinct from JSON null).
type absent struct{}

// deltaKind says what a delta node does.
type deltaKind uint8

const (
	// dReplace: if the current value equals expect, the result is value
	// (either may be absent: absent expect adds a member, absent value removes one).
	dReplace deltaKind = iota
	// dObject: apply member deltas inside an object.
	dObject
	// dArray: apply element deltas inside an array of length n.
	dArray
)

// delta turns the typed encoding of a value into the original value.
type delta struct {
	kind    deltaKind
	value   any           // dReplace: the original value
	expect  any           // dReplace: the typed value the original replaces
	members []memberDelta // dObject, in the original's member order
	elems   []elemDelta   // dArray
	n       int           // dArray: the array's length when read
}

// memberDelta is the delta of one object member. after names the member that
// preceded it in the original ("" when it was first), so added members are put
// back where they were relative to the typed ones.
type memberDelta struct {
	name  string
	after string
	d     *delta
	// guarded marks an added primitive extension _x; base is the shape of x in
	// the original (see shapeOf). The _x is kept only while x still has that
	// shape: FHIR aligns an array _x with x by index, and the extensions of a
	// value that mapping code removed go with it (a changed value keeps them).
	guarded bool
	base    int
}

// elemDelta is the delta of one array element.
type elemDelta struct {
	i int
	d *delta
}

// diffTree returns the delta that turns typed into orig, or nil when they are
// semantically equal.
//
// encoding/json matches member names case-insensitively, so {"Active":true}
// would fill Patient.Active although FHIR has no element "Active". The round
// trip would still be exact (the delta removes "active" and adds "Active"),
// but typed fields would then claim something the JSON does not say. diffTree
// therefore reports such a member in *clash (the first one found) and the
// caller rejects the input.
func diffTree(orig, typed any, clash *string) *delta {
	switch o := orig.(type) {
	case *object:
		t, ok := typed.(*object)
		if !ok {
			break
		}
		var ms []memberDelta
		prev := ""
		for _, m := range o.members {
			tv, ok := t.get(m.name)
			if !ok {
				if *clash == "" && t.foldIndex(m.name) >= 0 {
					*clash = m.name
				}
				md := memberDelta{name: m.name, after: prev, d: &delta{kind: dReplace, value: m.value, expect: absent{}}}
				if strings.HasPrefix(m.name, "_") {
					md.guarded, md.base = true, shapeOf(o, m.name[1:])
				}
				ms = append(ms, md)
			} else if d := diffTree(m.value, tv, clash); d != nil {
				ms = append(ms, memberDelta{name: m.name, after: prev, d: d})
			}
			prev = m.name
		}
		for _, m := range t.members {
			if o.index(m.name) < 0 {
				ms = append(ms, memberDelta{name: m.name, d: &delta{kind: dReplace, value: absent{}, expect: m.value}})
			}
		}
		if len(ms) == 0 {
			return nil
		}
		return &delta{kind: dObject, members: ms}
	case []any:
		t, ok := typed.([]any)
		if !ok || len(t) != len(o) {
			break
		}
		var es []elemDelta
		for i := range o {
			if d := diffTree(o[i], t[i], clash); d != nil {
				es = append(es, elemDelta{i: i, d: d})
			}
		}
		if len(es) == 0 {
			return nil
		}
		return &delta{kind: dArray, elems: es, n: len(o)}
	}
	if equalTree(orig, typed) {
		return nil
	}
	return &delta{kind: dReplace, value: orig, expect: typed}
}

// applyDelta returns v with d applied; the result may be absent{} (remove the
// member). It rewrites the tree in place: v must be a fresh tree (the typed
// encoding just parsed), while values taken from d are shared, never modified.
func applyDelta(v any, d *delta) any {
	switch d.kind {
	case dReplace:
		if equalTree(v, d.expect) {
			return d.value
		}
		return v
	case dObject:
		o, ok := v.(*object)
		if !ok {
			return v
		}
		return applyMembers(o, d.members)
	case dArray:
		a, ok := v.([]any)
		if !ok || len(a) != d.n {
			return v
		}
		for _, ed := range d.elems {
			if nv := applyDelta(a[ed.i], ed.d); nv != (absent{}) {
				a[ed.i] = nv
			}
		}
		return a
	}
	return v
}

// applyMembers applies member deltas to o in one pass over its members, so
// objects with thousands of members cost linear time.
func applyMembers(o *object, mds []memberDelta) *object {
	removed := make(map[int]bool)
	added := make(map[string][]member) // by the member they follow ("" = first)
	var guarded []memberDelta
	for _, md := range mds {
		i := o.index(md.name)
		if i >= 0 && removed[i] {
			continue
		}
		var cur any = absent{}
		if i >= 0 {
			cur = o.members[i].value
		}
		nv := applyDelta(cur, md.d)
		_, remove := nv.(absent)
		switch {
		case i >= 0 && remove:
			removed[i] = true
		case i >= 0:
			o.members[i].value = nv
		case !remove:
			added[md.after] = append(added[md.after], member{name: md.name, value: nv})
			if md.guarded {
				guarded = append(guarded, md)
			}
		}
	}
	if len(removed) == 0 && len(added) == 0 {
		return o
	}
	out := make([]member, 0, len(o.members)+len(mds))
	var emit func(m member)
	emit = func(m member) {
		out = append(out, m)
		if after, ok := added[m.name]; ok {
			delete(added, m.name)
			for _, a := range after {
				emit(a)
			}
		}
	}
	for i, m := range o.members {
		if i == 0 && m.name == "resourceType" {
			emit(m)
			continue
		}
		if i <= 1 {
			if first, ok := added[""]; ok {
				delete(added, "")
				for _, a := range first {
					emit(a)
				}
			}
		}
		if !removed[i] {
			emit(m)
		}
	}
	// Members whose predecessor is gone (or that came first in an empty
	// object) go to the end, in the original order.
	for _, md := range mds {
		if after, ok := added[md.after]; ok {
			delete(added, md.after)
			for _, a := range after {
				emit(a)
			}
		}
	}
	o.setMembers(out)
	// The _x guard is checked once everything is back, so x's original value
	// is restored first whatever the member order.
	for _, md := range guarded {
		if shapeOf(o, md.name[1:]) != md.base {
			if i := o.index(md.name); i >= 0 {
				o.setMembers(append(o.members[:i], o.members[i+1:]...))
			}
		}
	}
	return o
}

// shapeOf describes member name of o for the _x guard: its length when it is
// an array, -1 when it is absent, -2 for any other value.
func shapeOf(o *object, name string) int {
	v, ok := o.get(name)
	if !ok {
		return -1
	}
	if a, isArray := v.([]any); isArray {
		return len(a)
	}
	return -2
}

// foldIndex returns the position of a member whose name equals name under
// Unicode case folding but differs from it, or -1.
func (o *object) foldIndex(name string) int {
	for i := range o.members {
		if n := o.members[i].name; n != name && strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}
