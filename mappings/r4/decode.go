package r4

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// decodeStrict is the fast path of Unmarshal for the codec's own output
// (compact, resourceType first, only modelled members, no null and no
// empties). It fills r in one pass, using the encoder's plans, where
// encoding/json would validate the whole input and then validate every
// nested resource's bytes again, and skip over them at each level.
//
// It reports false at anything unexpected (whitespace, an unknown or
// differently cased member, null, a kind it does not read) and the caller
// then resets r and uses encoding/json. It does not validate: the caller
// accepts its result only when r's encoding is byte for byte the input,
// which is valid JSON, so whatever it read is what the input says.
//
// Nested resources are read in a second step, once r's own members have all
// been read: so a resource that is not the codec's own output is never
// read twice below the level where that shows, whatever the nesting depth.
// An error reading a nested resource is final (when the input is valid JSON
// encoding/json would meet the same error; when it is not, err is nil and
// ok false, so the caller reports the syntax error as usual).
func decodeStrict(r typedResource, data []byte) (ok bool, err error) {
	v := reflect.ValueOf(r).Elem()
	p := typedPlans[v.Type()]
	if p == nil {
		return false, nil
	}
	d := strictDecoder{data: data}
	if !d.literal(`{"resourceType":`) || !d.literal(`"`+r.ResourceType()+`"`) {
		return false, nil
	}
	if !d.fields(v, p, true) || d.pos != len(data) {
		return false, nil
	}
	err = r.visitNested(func(res *Resource) error {
		pr, ok := (*res).(*pendingResource)
		if !ok {
			return nil
		}
		nr, err := decodeResource(pr.raw, true)
		if err != nil {
			return err
		}
		*res = nr
		return nil
	})
	if err != nil {
		r.reset()
		if !json.Valid(data) {
			return false, nil
		}
		return false, fmt.Errorf("%s: %w", r.ResourceType(), err)
	}
	return true, nil
}

// pendingResource holds a nested resource's JSON between decodeStrict's two
// steps; none is left once it returns.
type pendingResource struct{ raw []byte }

// ResourceType implements Resource.
func (*pendingResource) ResourceType() string { return "" }

// ResourceID implements Resource.
func (*pendingResource) ResourceID() string { return "" }

// strictDecoder reads the codec's own output.
type strictDecoder struct {
	data []byte
	pos  int
}

// literal consumes s.
func (d *strictDecoder) literal(s string) bool {
	if !bytes.HasPrefix(d.data[d.pos:], []byte(s)) {
		return false
	}
	d.pos += len(s)
	return true
}

// fields reads members into struct v up to the closing brace; more is set
// when a member was read before.
func (d *strictDecoder) fields(v reflect.Value, p *typePlan, more bool) bool {
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '}' {
			d.pos++
			return true
		}
		if more {
			if c != ',' {
				return false
			}
			d.pos++
		}
		more = true
		name, ok := d.rawString()
		if !ok || d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return false
		}
		d.pos++
		i, ok := p.byKey[string(name)]
		if !ok {
			return false
		}
		f := &p.fields[i]
		if !d.value(v.Field(f.index), f.plan) {
			return false
		}
	}
	return false
}

// rawString reads a string without escapes and returns its content.
func (d *strictDecoder) rawString() ([]byte, bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, false
	}
	rest := d.data[d.pos+1:]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return nil, false
	}
	d.pos += end + 2
	return rest[:end], true
}

// stringToken returns the bytes of the string token at pos, quotes
// included, and whether it has escapes.
func (d *strictDecoder) stringToken() (tok []byte, escaped, ok bool) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, false, false
	}
	start := d.pos
	i := start + 1
	for i < len(d.data) {
		switch d.data[i] {
		case '"':
			d.pos = i + 1
			return d.data[start:d.pos], escaped, true
		case '\\':
			escaped = true
			i++
		}
		i++
	}
	return nil, false, false
}

// numberToken returns the bytes of a number literal at pos (not validated).
func (d *strictDecoder) numberToken() []byte {
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
			break
		}
		d.pos++
	}
	return d.data[start:d.pos]
}

// value reads one value into v.
func (d *strictDecoder) value(v reflect.Value, p *typePlan) bool {
	if d.pos >= len(d.data) {
		return false
	}
	switch p.kind {
	case pString:
		tok, escaped, ok := d.stringToken()
		if !ok {
			return false
		}
		if !escaped {
			// encoding/json would replace invalid UTF-8 by U+FFFD.
			if !utf8.Valid(tok) {
				return false
			}
			v.SetString(string(tok[1 : len(tok)-1]))
			return true
		}
		var s string
		if json.Unmarshal(tok, &s) != nil {
			return false
		}
		v.SetString(s)
		return true
	case pNumber:
		tok := d.numberToken()
		if len(tok) == 0 {
			return false
		}
		v.SetString(string(tok))
		return true
	case pBool:
		switch {
		case d.literal("true"):
			v.SetBool(true)
		case d.literal("false"):
			v.SetBool(false)
		default:
			return false
		}
		return true
	case pInt:
		n, err := strconv.ParseInt(string(d.numberToken()), 10, 64)
		if err != nil || v.OverflowInt(n) {
			return false
		}
		v.SetInt(n)
		return true
	case pUint:
		n, err := strconv.ParseUint(string(d.numberToken()), 10, 64)
		if err != nil || v.OverflowUint(n) {
			return false
		}
		v.SetUint(n)
		return true
	case pCode:
		tok, _, ok := d.stringToken()
		if !ok || !v.CanAddr() {
			return false
		}
		u, ok := v.Addr().Interface().(json.Unmarshaler)
		return ok && u.UnmarshalJSON(tok) == nil
	case pPointer:
		if d.data[d.pos] == 'n' {
			return false
		}
		nv := reflect.New(v.Type().Elem())
		if !d.value(nv.Elem(), p.elem) {
			return false
		}
		v.Set(nv)
		return true
	case pStruct:
		if d.data[d.pos] != '{' {
			return false
		}
		d.pos++
		return d.fields(v, p, false)
	case pSlice:
		if d.data[d.pos] != '[' {
			return false
		}
		d.pos++
		s := reflect.MakeSlice(v.Type(), 0, 2)
		zero := reflect.Zero(v.Type().Elem())
		for d.pos < len(d.data) {
			if d.data[d.pos] == ']' {
				d.pos++
				v.Set(s)
				return s.Len() > 0
			}
			if s.Len() > 0 {
				if d.data[d.pos] != ',' {
					return false
				}
				d.pos++
			}
			s = reflect.Append(s, zero)
			if !d.value(s.Index(s.Len()-1), p.elem) {
				return false
			}
		}
		return false
	case pResource:
		c := d.data[d.pos]
		if c != '{' {
			return false
		}
		start := d.pos
		d.pos = skipValue(d.data, d.pos)
		v.Set(reflect.ValueOf(&pendingResource{raw: d.data[start:d.pos]}))
		return true
	}
	return false
}
