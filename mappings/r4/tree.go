package r4

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The codec keeps foreign JSON as an ordered tree: *object (members in document
// order), []any, string, json.Number (the literal as written), bool and nil.
// encoding/json's map[string]any loses member order and, without UseNumber,
// number literals; both matter for deterministic, lossless output.

// maxDepth bounds nesting so hostile input cannot exhaust the stack; real FHIR
// resources nest a few dozen levels at most.
const maxDepth = 1000

// member is one name/value pair of an object.
type member struct {
	name  string
	value any
}

// object is a JSON object with its members in order. Names are unique: the
// parser rejects duplicates (RFC 8259 says names SHOULD be unique, and FHIR
// JSON never repeats one).
type object struct {
	members []member
	// byName indexes members of large objects so lookups stay O(1) on hostile
	// input with thousands of members; nil until needed, reset on every change.
	byName map[string]int
}

// smallObject is the size up to which linear search beats a map.
const smallObject = 16

// index returns the position of the member called name, or -1.
func (o *object) index(name string) int {
	if len(o.members) <= smallObject {
		for i := range o.members {
			if o.members[i].name == name {
				return i
			}
		}
		return -1
	}
	if o.byName == nil {
		o.byName = make(map[string]int, len(o.members))
		for i, m := range o.members {
			o.byName[m.name] = i
		}
	}
	if i, ok := o.byName[name]; ok {
		return i
	}
	return -1
}

// setMembers replaces the members (and drops the index).
func (o *object) setMembers(ms []member) {
	o.members = ms
	o.byName = nil
}

// get returns the value of the member called name.
func (o *object) get(name string) (any, bool) {
	if i := o.index(name); i >= 0 {
		return o.members[i].value, true
	}
	return nil, false
}

// SyntaxError reports malformed JSON at a byte offset of the input.
type SyntaxError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what is wrong
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// parser is a recursive-descent JSON parser producing the ordered tree.
type parser struct {
	data  []byte
	pos   int
	depth int
}

// parseTree parses exactly one JSON value (surrounded by optional whitespace).
func parseTree(data []byte) (any, error) {
	p := parser{data: data}
	p.skipSpace()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.fail("unexpected data after the top-level value")
	}
	return v, nil
}

func (p *parser) fail(msg string) error {
	return &SyntaxError{Offset: p.pos, Msg: msg}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value() (any, error) {
	if p.pos >= len(p.data) {
		return nil, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case bytes.HasPrefix(p.data[p.pos:], []byte("true")):
		p.pos += 4
		return true, nil
	case bytes.HasPrefix(p.data[p.pos:], []byte("false")):
		p.pos += 5
		return false, nil
	case bytes.HasPrefix(p.data[p.pos:], []byte("null")):
		p.pos += 4
		return nil, nil
	default:
		return nil, p.fail(fmt.Sprintf("unexpected character %q", c))
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nesting too deep")
	}
	return nil
}

func (p *parser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // {
	o := &object{}
	var seen map[string]struct{} // duplicate check for large objects
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return o, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail("expected a member name")
		}
		at := p.pos
		name, err := p.string()
		if err != nil {
			return nil, err
		}
		dup := false
		if seen != nil {
			_, dup = seen[name]
			seen[name] = struct{}{}
		} else {
			dup = o.index(name) >= 0
			if len(o.members) == smallObject {
				seen = make(map[string]struct{}, 2*smallObject)
				for _, m := range o.members {
					seen[m.name] = struct{}{}
				}
				seen[name] = struct{}{}
			}
		}
		if dup {
			return nil, &SyntaxError{Offset: at, Msg: fmt.Sprintf("duplicate member %q", name)}
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail("expected ':' after a member name")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		o.members = append(o.members, member{name: name, value: v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return o, nil
		default:
			return nil, p.fail("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // [
	arr := []any{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return arr, nil
	}
	for {
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.fail("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.fail("expected ',' or ']' in an array")
		}
	}
}

// string parses a string token. Strings without escapes are sliced directly;
// the rest go through encoding/json so escapes and invalid UTF-8 (replaced by
// U+FFFD) are treated exactly as the typed decoder treats them.
func (p *parser) string() (string, error) {
	start := p.pos
	p.pos++ // opening quote
	simple := true
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			raw := p.data[start+1 : p.pos-1]
			if simple && utf8.Valid(raw) {
				return string(raw), nil
			}
			var s string
			if err := json.Unmarshal(p.data[start:p.pos], &s); err != nil {
				return "", &SyntaxError{Offset: start, Msg: "invalid string: " + err.Error()}
			}
			return s, nil
		case c == '\\':
			simple = false
			p.pos += 2
		case c < 0x20:
			return "", p.fail("control character in a string")
		default:
			p.pos++
		}
	}
	return "", &SyntaxError{Offset: start, Msg: "unterminated string"}
}

// number validates the RFC 8259 number grammar and keeps the literal.
func (p *parser) number() (any, error) {
	start := p.pos
	d := p.data
	i := p.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return nil, p.fail("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			p.pos = i
			return nil, p.fail("invalid number: no digit after '.'")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			p.pos = i
			return nil, p.fail("invalid number: no digit in the exponent")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return json.Number(d[start:i]), nil
}

// writeTree appends the JSON encoding of v. A member named resourceType is
// written first, so every resource (also *Generic and nested ones) starts with it.
func writeTree(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), nil
	case bool:
		return strconv.AppendBool(buf, x), nil
	case json.Number:
		return append(buf, x...), nil
	case string:
		return appendString(buf, x), nil
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = writeTree(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	case *object:
		buf = append(buf, '{')
		first := true
		writeMember := func(m member) error {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = appendString(buf, m.name)
			buf = append(buf, ':')
			var err error
			buf, err = writeTree(buf, m.value)
			return err
		}
		rt := x.index("resourceType")
		if rt > 0 {
			if err := writeMember(x.members[rt]); err != nil {
				return nil, err
			}
		}
		for i, m := range x.members {
			if i == rt && rt > 0 {
				continue
			}
			if err := writeMember(m); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	default:
		return nil, fmt.Errorf("internal error: unexpected tree value %T", v)
	}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Like encoding/json without HTML
// escaping: quotes, backslashes, control characters, U+2028 and U+2029 are escaped.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// equalTree reports semantic JSON equality: member order is ignored, number
// literals compare as text (1.50 differs from 1.5, as the spec's decimal
// precision rules require).
func equalTree(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalTree(x[i], y[i]) {
				return false
			}
		}
		return true
	case *object:
		y, ok := b.(*object)
		if !ok || len(x.members) != len(y.members) {
			return false
		}
		for _, m := range x.members {
			v, ok := y.get(m.name)
			if !ok || !equalTree(m.value, v) {
				return false
			}
		}
		return true
	case absent:
		_, ok := b.(absent)
		return ok
	}
	return false
}

// isResourceObject reports whether o is a resource (only resources carry a
// resourceType member in FHIR JSON).
func isResourceObject(o *object) bool {
	v, ok := o.get("resourceType")
	_, isString := v.(string)
	return ok && isString
}

// prune removes empty values ({}, [], "", null) recursively, because FHIR
// forbids them (ele-1) and Go zero values produce them (samply's non-omitempty
// fields, an empty struct in a slice, a pointer to an empty struct). It does
// not enter nested resources: their own codec already decided their content
// (a foreign nested resource may legitimately carry its original empties).
// It reports whether v itself is empty and should be dropped.
func prune(v any, root bool) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return x, x == ""
	case []any:
		out := x[:0]
		for _, e := range x {
			if e, empty := prune(e, false); !empty {
				out = append(out, e)
			}
		}
		return out, len(out) == 0
	case *object:
		if !root && isResourceObject(x) {
			return x, false
		}
		out := x.members[:0]
		for _, m := range x.members {
			if val, empty := prune(m.value, false); !empty {
				m.value = val
				out = append(out, m)
			}
		}
		x.setMembers(out)
		return x, len(out) == 0
	}
	return v, false
}

// errNotObject is returned when the top-level JSON value is not an object.
var errNotObject = errors.New("a resource must be a JSON object")
