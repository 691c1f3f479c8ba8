package r4

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The typed structs are written by the codec's own encoder rather than by
// encoding/json followed by a scan for empty values. It walks the structs
// with per-type plans computed once (when the package is initialised, from
// the typed resources' types; nothing changes them afterwards), writes
// exactly the bytes encoding/json would write, and leaves out every empty
// value (null, "", [] and {}, the latter two after their own empties are
// left out) as it goes, so the output needs no second pass: this is what
// prune does to encoding/json's output. Nested resources are appended in
// place (appendNested).
//
// What it does not model it hands back to the tree path (encState.rewrite):
// \u00XX escapes (control characters, or what a json.Marshaler of samply
// writes) are re-written by writeTree as before, and values of kinds the
// typed structs do not use are encoded by encoding/json and checked like
// before.

// planKind says how a type is written.
type planKind uint8

const (
	pFallback  planKind = iota // encoding/json, then checked (see fallback)
	pStruct                    // object of the exported fields
	pPointer                   // the element, or nothing when nil
	pSlice                     // array of the elements, or nothing when empty
	pString                    // JSON string, or nothing when ""
	pNumber                    // json.Number literal (0 when "")
	pBool                      // true or false
	pInt                       // signed integer
	pUint                      // unsigned integer
	pCode                      // samply enum: the string of its Code method
	pMarshaler                 // json.Marshaler with a value receiver
	pResource                  // a nested Resource (interface)
)

// typePlan is how values of one Go type are written.
type typePlan struct {
	kind   planKind
	fields []fieldPlan    // pStruct
	byKey  map[string]int // pStruct: index in fields by member name (decodeStrict)
	elem   *typePlan      // pPointer, pSlice
}

// fieldPlan is one exported struct field.
type fieldPlan struct {
	index     int
	name      string
	key       string // `"name":`
	omitEmpty bool
	omitZero  bool
	zeroer    bool // omitZero through the type's IsZero method
	plan      *typePlan
}

var (
	numberType    = reflect.TypeFor[json.Number]()
	resourceType  = reflect.TypeFor[Resource]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
	zeroerType    = reflect.TypeFor[interface{ IsZero() bool }]()
	coderType     = reflect.TypeFor[interface{ Code() string }]()
)

// typedPlans holds the plan of every typed resource struct (and, through
// them, of every type they contain). Built once at initialisation and only
// read afterwards.
var typedPlans = func() map[reflect.Type]*typePlan {
	built := make(map[reflect.Type]*typePlan)
	out := make(map[reflect.Type]*typePlan)
	for _, name := range TypedResourceTypes() {
		// The struct's own fields: its MarshalJSON is what is being written.
		t := reflect.TypeOf(newTyped(name)).Elem()
		fields, ok := structFields(t, built)
		if !ok {
			panic("r4: typed resource " + name + " has fields the encoder does not plan")
		}
		out[t] = &typePlan{kind: pStruct, fields: fields, byKey: keyIndex(fields)}
	}
	return out
}()

// planFor builds (or finds) the plan of t; built breaks recursion
// (Extension contains Extension).
func planFor(t reflect.Type, built map[reflect.Type]*typePlan) *typePlan {
	if p, ok := built[t]; ok {
		return p
	}
	p := new(typePlan)
	built[t] = p
	switch {
	case t == resourceType:
		p.kind = pResource
	case t.Kind() == reflect.Pointer && t.Elem().Implements(marshalerType):
		// encoding/json calls the element's MarshalJSON unless nil.
		p.kind = pPointer
		p.elem = planFor(t.Elem(), built)
	case t.Implements(marshalerType):
		p.kind = pMarshaler
		if t.Kind() == reflect.Int && t.Implements(coderType) {
			p.kind = pCode
		}
	case reflect.PointerTo(t).Implements(marshalerType) || t.Implements(textType) || reflect.PointerTo(t).Implements(textType):
		p.kind = pFallback
	case t == numberType:
		p.kind = pNumber
	default:
		switch t.Kind() {
		case reflect.String:
			p.kind = pString
		case reflect.Bool:
			p.kind = pBool
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			p.kind = pInt
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			p.kind = pUint
		case reflect.Pointer:
			p.kind = pPointer
			p.elem = planFor(t.Elem(), built)
		case reflect.Slice:
			if t.Elem().Kind() == reflect.Uint8 {
				break // []byte is base64
			}
			p.kind = pSlice
			p.elem = planFor(t.Elem(), built)
		case reflect.Struct:
			if fields, ok := structFields(t, built); ok {
				p.kind = pStruct
				p.fields = fields
				p.byKey = keyIndex(fields)
			}
		}
	}
	return p
}

// structFields plans the exported fields of t in order; false when t has a
// field encoding/json treats specially (embedded fields, the string option).
func structFields(t reflect.Type, built map[reflect.Type]*typePlan) ([]fieldPlan, bool) {
	var fields []fieldPlan
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			return nil, false
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || !validKey(name) {
			name = f.Name
		}
		fp := fieldPlan{index: i, name: name, key: string(appendString(nil, name)) + ":", plan: planFor(f.Type, built)}
		for opt := range strings.SplitSeq(opts, ",") {
			switch opt {
			case "omitempty":
				// Empty pointers, slices, strings and interfaces are left
				// out anyway; the test is needed where encoding/json's
				// empty (false, 0, json.Number "") is written otherwise.
				switch f.Type.Kind() {
				case reflect.Pointer, reflect.Slice, reflect.Interface:
				case reflect.String:
					fp.omitEmpty = fp.plan.kind != pString
				default:
					fp.omitEmpty = true
				}
			case "omitzero":
				fp.omitZero = true
				fp.zeroer = f.Type.Implements(zeroerType)
			case "string":
				return nil, false
			}
		}
		fields = append(fields, fp)
	}
	return fields, true
}

// keyIndex maps member names to fields.
func keyIndex(fields []fieldPlan) map[string]int {
	m := make(map[string]int, len(fields))
	for i, f := range fields {
		m[f.name] = i
	}
	return m
}

// validKey accepts the tag names this encoder writes as given: letters,
// digits and _ (all FHIR element names). Anything else falls back to the
// field name, which only matters for struct tags nobody here writes.
func validKey(s string) bool {
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// encState is the state of one resource's encoding.
type encState struct {
	rewrite bool // the output must go through the tree path
}

// appendFields writes the typed fields of resource r (a pointer to one of the
// typed structs) after `{"resourceType":"X"` and closes the object.
func appendFields(dst []byte, r typedResource, st *encState) ([]byte, error) {
	v := reflect.ValueOf(r).Elem()
	p := typedPlans[v.Type()]
	if p == nil || p.kind != pStruct {
		return nil, fmt.Errorf("internal error: no plan for %s", v.Type())
	}
	dst = append(dst, `{"resourceType":`...)
	dst = appendString(dst, r.ResourceType())
	dst, _, err := appendStructFields(dst, v, p, st, true)
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendStructFields writes the non-empty fields of v, each preceded by a
// comma when more is set or when one was written before; it reports whether
// it wrote any.
func appendStructFields(dst []byte, v reflect.Value, p *typePlan, st *encState, more bool) ([]byte, bool, error) {
	wrote := false
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.Field(f.index)
		if f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv, f.zeroer) {
			continue
		}
		mark := len(dst)
		if more || wrote {
			dst = append(dst, ',')
		}
		dst = append(dst, f.key...)
		var empty bool
		var err error
		if dst, empty, err = appendValue(dst, fv, f.plan, st); err != nil {
			return nil, false, err
		}
		if empty {
			dst = dst[:mark]
			continue
		}
		wrote = true
	}
	return dst, wrote, nil
}

// appendValue writes v; empty means it wrote nothing worth keeping (the
// caller cuts back).
func appendValue(dst []byte, v reflect.Value, p *typePlan, st *encState) ([]byte, bool, error) {
	switch p.kind {
	case pString:
		s := v.String()
		if s == "" {
			return dst, true, nil
		}
		return appendJSONString(dst, s, st), false, nil
	case pPointer:
		if v.IsNil() {
			return dst, true, nil
		}
		return appendValue(dst, v.Elem(), p.elem, st)
	case pStruct:
		mark := len(dst)
		dst = append(dst, '{')
		dst, wrote, err := appendStructFields(dst, v, p, st, false)
		if err != nil {
			return nil, false, err
		}
		if !wrote {
			return dst[:mark], true, nil
		}
		return append(dst, '}'), false, nil
	case pSlice:
		n := v.Len()
		if n == 0 {
			return dst, true, nil
		}
		mark := len(dst)
		dst = append(dst, '[')
		wrote := false
		for i := 0; i < n; i++ {
			em := len(dst)
			if wrote {
				dst = append(dst, ',')
			}
			var empty bool
			var err error
			if dst, empty, err = appendValue(dst, v.Index(i), p.elem, st); err != nil {
				return nil, false, err
			}
			if empty {
				dst = dst[:em]
				continue
			}
			wrote = true
		}
		if !wrote {
			return dst[:mark], true, nil
		}
		return append(dst, ']'), false, nil
	case pNumber:
		s := v.String()
		if s == "" {
			return append(dst, '0'), false, nil
		}
		if !validNumber(s) {
			return nil, false, fmt.Errorf("json: invalid number literal %q", s)
		}
		return append(dst, s...), false, nil
	case pBool:
		return strconv.AppendBool(dst, v.Bool()), false, nil
	case pInt:
		return strconv.AppendInt(dst, v.Int(), 10), false, nil
	case pUint:
		return strconv.AppendUint(dst, v.Uint(), 10), false, nil
	case pCode:
		s := v.Interface().(interface{ Code() string }).Code()
		return appendJSONString(dst, s, st), s == "", nil
	case pResource:
		if v.IsNil() {
			return dst, true, nil
		}
		mark := len(dst)
		dst, null, err := appendNested(dst, v.Interface().(Resource))
		if err != nil {
			return nil, false, err
		}
		if null {
			// A nil resource (written as null) is left out; any other
			// Resource implementation is checked by the tree path.
			if bytes.Equal(dst[mark:], []byte("null")) {
				return dst[:mark], true, nil
			}
			st.rewrite = true
		}
		return dst, false, nil
	case pMarshaler:
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return dst, true, nil
		}
		data, err := v.Interface().(json.Marshaler).MarshalJSON()
		if err != nil {
			return nil, false, fmt.Errorf("json: error calling MarshalJSON for type %s: %w", v.Type(), err)
		}
		return appendChecked(dst, data, st)
	default:
		return appendFallback(dst, v, st)
	}
}

// appendFallback writes a value of a kind the typed structs do not use with
// encoding/json, as the codec did before it had its own encoder.
func appendFallback(dst []byte, v reflect.Value, st *encState) ([]byte, bool, error) {
	if !v.CanInterface() {
		return dst, true, nil
	}
	x := v.Interface()
	if v.CanAddr() && v.Kind() != reflect.Pointer {
		x = v.Addr().Interface() // pointer-receiver marshallers, as encoding/json does
	}
	e := encoders.Get().(*encoder)
	defer putEncoder(e)
	e.buf.Reset()
	if err := e.enc.Encode(x); err != nil {
		return nil, false, err
	}
	return appendChecked(dst, bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), st)
}

// appendChecked appends JSON that something else wrote, compacted like
// encoding/json does; when it is empty it is left out, when it holds an
// empty value or an \u00 escape the tree path cleans it.
func appendChecked(dst, data []byte, st *encState) ([]byte, bool, error) {
	mark := len(dst)
	var buf bytes.Buffer
	if err := json.Compact(&buf, data); err != nil {
		return nil, false, fmt.Errorf("json: invalid JSON from a marshaller: %w", err)
	}
	c := buf.Bytes()
	switch string(c) {
	case "null", `""`, "{}", "[]":
		return dst[:mark], true, nil
	}
	if needsRewrite(c) {
		st.rewrite = true
	}
	return append(dst, c...), false, nil
}

// appendJSONString writes s exactly as encoding/json does without HTML
// escaping; a \u00XX escape sends the output down the tree path, which
// writes such strings its own way (see appendString), as it did before.
func appendJSONString(dst []byte, s string, st *encState) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				st.rewrite = true
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZeroValue is encoding/json's omitzero test.
func isZeroValue(v reflect.Value, zeroer bool) bool {
	if zeroer {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return true
		}
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

// validNumber is the RFC 8259 number grammar, which encoding/json checks
// json.Number values against.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
