package r4

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
)

// TypedOnly marshals r (and every resource nested in it) from its typed fields
// alone, as if it had been built in code: the recorded deltas are cleared.
// It modifies r. Tests use it to check what ivbridge itself writes.
func TypedOnly(r Resource) ([]byte, error) {
	clearDeltas(reflect.ValueOf(r))
	return Marshal(r)
}

// HasDelta reports whether a typed resource carries unmodelled content.
func HasDelta(r Resource) bool {
	t, ok := r.(typedResource)
	return ok && *t.restPtr() != nil
}

func clearDeltas(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Pointer && v.CanInterface() {
			if t, ok := v.Interface().(typedResource); ok {
				*t.restPtr() = nil
			}
		}
		clearDeltas(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				clearDeltas(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			clearDeltas(v.Index(i))
		}
	}
}

// LegacyMarshal is Marshal as it was before nested resources were spliced
// in (see nested.go): encoding/json encodes r with its nested resources (via
// their MarshalJSON), then the whole output is scanned and, if needed,
// pruned and merged with the delta. Tests compare Marshal with it.
func LegacyMarshal(r Resource) ([]byte, error) {
	t, ok := r.(typedResource)
	if !ok {
		return Marshal(r)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := t.encodeTyped(enc); err != nil {
		return nil, err
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	rest := *t.restPtr()
	if rest == nil && !needsRewrite(out) {
		return out, nil
	}
	tree, err := typedTree(out)
	if err != nil {
		return nil, err
	}
	var merged any = tree
	if rest != nil {
		merged = applyDelta(tree, rest)
	}
	return writeTree(nil, merged)
}

// HasRaw reports whether r or a resource nested in it still holds a
// verified encoding, which must never outlive the reading of its parent.
func HasRaw(r Resource) bool {
	t, ok := r.(typedResource)
	if !ok || reflect.ValueOf(t).IsNil() {
		return false
	}
	if *t.rawPtr() != nil {
		return true
	}
	kids := nestedOf(t)
	for _, k := range kids {
		if HasRaw(k) {
			return true
		}
	}
	return false
}

// EntryInFields lists mismatches between BundleEntry and bundleEntryIn
// (and between their responses), which must have the same fields.
func EntryInFields() []string {
	var bad []string
	cmp := func(a, b reflect.Type, raw ...string) {
		if a.NumField() != b.NumField() {
			bad = append(bad, a.Name()+" field count")
			return
		}
		for i := 0; i < a.NumField(); i++ {
			fa, fb := a.Field(i), b.Field(i)
			if fa.Name != fb.Name || fa.Tag != fb.Tag {
				bad = append(bad, a.Name()+"."+fa.Name)
				continue
			}
			if fa.Type != fb.Type && !slices.Contains(raw, fa.Name) {
				bad = append(bad, a.Name()+"."+fa.Name+" type")
			}
		}
	}
	cmp(reflect.TypeFor[BundleEntry](), reflect.TypeFor[bundleEntryIn](), "Resource", "Response")
	cmp(reflect.TypeFor[BundleEntryResponse](), reflect.TypeFor[bundleEntryResponseIn](), "Outcome")
	return bad
}

// SplitArray exposes splitArray to tests.
func SplitArray(data []byte) ([][]byte, bool) { return splitArray(data) }
