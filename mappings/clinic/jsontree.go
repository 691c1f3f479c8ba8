package clinic

import (
	"fmt"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is a small strict JSON reader: it turns a document into a tree
// that keeps number literals as written and object members in order
// (duplicates included, so the decoder can reject them with a path).
// encoding/json cannot do that in one pass: it silently keeps the last of
// duplicate keys and it has no path for its errors.

// jsonKind is the JSON type of a node.
type jsonKind uint8

const (
	jNull jsonKind = iota
	jBool
	jNumber
	jString
	jObject
	jArray
)

// typeName names a JSON type in error messages.
func (k jsonKind) typeName() string {
	switch k {
	case jNull:
		return "null"
	case jBool:
		return "a boolean"
	case jNumber:
		return "a number"
	case jString:
		return "a string"
	case jObject:
		return "an object"
	default:
		return "an array"
	}
}

// node is one JSON value.
type node struct {
	kind    jsonKind
	boolean bool
	text    string   // string value (unescaped) or number literal
	members []member // object members in document order
	items   []node   // array items
}

// member is one name/value pair of an object.
type member struct {
	key string
	val node
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack; the
// deepest clinic record nests four levels.
const maxDepth = 64

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	offset int
	msg    string
}

// Error formats the offset and the problem.
func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.offset, e.msg)
}

type jsonParser struct {
	data  []byte
	src   string // one copy of data: strings without escapes are its substrings
	pos   int
	depth int
	// Scratch stacks: members and items of the objects and arrays being
	// read, copied to exact-size slices when each one closes, so a record
	// costs one allocation per container rather than one per growth step.
	members []member
	items   []node
}

// scratch is a parser's two stacks. Parses reuse them through scratchPool:
// a write parses its record and the stored records it checks against, and
// fresh stacks for each were a few KiB of garbage apiece.
type scratch struct {
	members []member
	items   []node
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{members: make([]member, 0, 32), items: make([]node, 0, 16)}
}}

// parseJSON reads exactly one JSON value, with nothing but white space
// after it.
func parseJSON(data []byte) (node, error) {
	sc := scratchPool.Get().(*scratch)
	p := jsonParser{data: data, src: string(data), members: sc.members[:0], items: sc.items[:0]}
	defer func() {
		// Nothing of this document stays reachable from the pool, even
		// after an error left the stacks part full.
		clear(p.members[:cap(p.members)])
		clear(p.items[:cap(p.items)])
		sc.members, sc.items = p.members[:0], p.items[:0]
		scratchPool.Put(sc)
	}()
	p.skipSpace()
	n, err := p.value()
	if err != nil {
		return node{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return node{}, p.fail("data after the end of the record")
	}
	return n, nil
}

func (p *jsonParser) fail(msg string) error {
	return &syntaxError{offset: p.pos, msg: msg}
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value() (node, error) {
	if p.pos >= len(p.data) {
		return node{}, p.fail("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		return node{kind: jString, text: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return node{kind: jBool, boolean: true}, p.literal("true")
	case c == 'f':
		return node{kind: jBool}, p.literal("false")
	case c == 'n':
		return node{kind: jNull}, p.literal("null")
	default:
		return node{}, p.fail(fmt.Sprintf("unexpected character %q", rune(c)))
	}
}

func (p *jsonParser) literal(word string) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.fail("invalid literal")
	}
	p.pos += len(word)
	return nil
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.fail("nesting too deep")
	}
	return nil
}

func (p *jsonParser) object() (node, error) {
	if err := p.enter(); err != nil {
		return node{}, err
	}
	p.pos++ // '{'
	n := node{kind: jObject}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		n.members = []member{}
		return n, nil
	}
	mark := len(p.members)
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return node{}, p.fail("expected a field name")
		}
		key, err := p.str()
		if err != nil {
			return node{}, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return node{}, p.fail("expected ':' after a field name")
		}
		p.pos++
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return node{}, err
		}
		p.members = append(p.members, member{key: key, val: v})
		p.skipSpace()
		if p.pos >= len(p.data) {
			return node{}, p.fail("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			n.members = make([]member, len(p.members)-mark)
			copy(n.members, p.members[mark:])
			clear(p.members[mark:])
			p.members = p.members[:mark]
			return n, nil
		default:
			return node{}, p.fail("expected ',' or '}' in an object")
		}
	}
}

func (p *jsonParser) array() (node, error) {
	if err := p.enter(); err != nil {
		return node{}, err
	}
	p.pos++ // '['
	n := node{kind: jArray, items: []node{}}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return n, nil
	}
	mark := len(p.items)
	for {
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return node{}, err
		}
		p.items = append(p.items, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return node{}, p.fail("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			n.items = make([]node, len(p.items)-mark)
			copy(n.items, p.items[mark:])
			clear(p.items[mark:])
			p.items = p.items[:mark]
			return n, nil
		default:
			return node{}, p.fail("expected ',' or ']' in an array")
		}
	}
}

// number scans a number by the RFC 8259 grammar and keeps its literal.
func (p *jsonParser) number() (node, error) {
	start := p.pos
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case p.pos < len(d) && d[p.pos] >= '1' && d[p.pos] <= '9':
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	default:
		return node{}, p.fail("invalid number")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return node{}, p.fail("invalid number: digit expected after '.'")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return node{}, p.fail("invalid number: digit expected in exponent")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	return node{kind: jNumber, text: p.src[start:p.pos]}, nil
}

// str reads a string; it rejects control characters, invalid UTF-8 and
// unpaired surrogate escapes instead of replacing them, so what is stored
// is exactly what the clinic sent.
func (p *jsonParser) str() (string, error) {
	p.pos++ // opening quote
	start := p.pos
	d := p.data
	// Fast path: no escapes and plain ASCII.
	for p.pos < len(d) {
		c := d[p.pos]
		if c == '"' {
			s := p.src[start:p.pos]
			p.pos++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		p.pos++
	}
	buf := make([]byte, 0, p.pos-start+16)
	buf = append(buf, d[start:p.pos]...)
	for {
		if p.pos >= len(d) {
			return "", p.fail("unexpected end of input in a string")
		}
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c == '\\':
			p.pos++
			if p.pos >= len(d) {
				return "", p.fail("unexpected end of input in a string")
			}
			e := d[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					if r >= 0xDC00 || p.pos+1 >= len(d) || d[p.pos] != '\\' || d[p.pos+1] != 'u' {
						return "", p.fail("unpaired surrogate in a string")
					}
					p.pos += 2
					r2, err := p.hex4()
					if err != nil {
						return "", err
					}
					r = utf16.DecodeRune(r, r2)
					if r == utf8.RuneError {
						return "", p.fail("unpaired surrogate in a string")
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", p.fail(fmt.Sprintf("invalid escape \\%c", e))
			}
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, size := utf8.DecodeRune(d[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", p.fail("invalid UTF-8 in a string")
			}
			buf = append(buf, d[p.pos:p.pos+size]...)
			p.pos += size
		}
	}
}

func (p *jsonParser) hex4() (rune, error) {
	if len(p.data)-p.pos < 4 {
		return 0, p.fail("invalid \\u escape")
	}
	v, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, p.fail("invalid \\u escape")
	}
	p.pos += 4
	return rune(v), nil
}
