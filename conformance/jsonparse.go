package conformance

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 512

// maxScanMembers is the member count up to which an object's names are
// checked for repeats by a linear scan; larger objects get a map. FHIR
// objects rarely have more than a dozen members.
const maxScanMembers = 32

// errJSON is wrapped by every syntax error of the parser.
var errJSON = errors.New("invalid JSON")

// jkind is the JSON type of a node.
type jkind uint8

const (
	jAbsent jkind = iota // the zero jval: no such member or item
	jNull
	jFalse
	jTrue
	jNumber
	jString
	jArray
	jObject
)

// jnode is one value of a parsed document. The nodes of a document live in
// one slice and link by index, so parsing allocates (almost) nothing once
// the slice has grown, and the slice is reused for the next document. A
// node holds no pointers (its strings are spans), so the collector neither
// scans the slice nor puts write barriers on filling it.
type jnode struct {
	key   span  // the member name, when the node is a member of an object
	str   span  // a string's value, or a number's source text
	first int32 // the first item or member; -1 when there is none
	next  int32 // the next item or member of the parent; -1 after the last
	n     int32 // how many items or members
	kind  jkind
	// underscore marks an object with a member whose name starts with '_',
	// so the walker looks for "_name" only where one can be.
	underscore bool
}

// span locates a string of a jdoc: src[start:end], or for a string with
// escapes (start < 0) its unescaped text, escaped[end].
type span struct {
	start, end int32
}

// jdoc is a parsed document: nodes[0] is the top-level value.
type jdoc struct {
	nodes   []jnode
	src     string   // the document
	escaped []string // strings with escapes, unescaped
}

// text returns the string sp locates.
func (d *jdoc) text(sp span) string {
	if sp.start < 0 {
		return d.escaped[sp.end]
	}
	return d.src[sp.start:sp.end]
}

// jval is one value of a jdoc. The zero jval stands for a missing value;
// every method accepts it, which keeps lookups along paths short.
type jval struct {
	d *jdoc
	i int32
}

// at returns the node with index i, or the zero jval for -1.
func (d *jdoc) at(i int32) jval {
	if i < 0 {
		return jval{}
	}
	return jval{d, i}
}

// ok reports whether v exists (it may be null).
func (v jval) ok() bool { return v.d != nil }

func (v jval) kind() jkind {
	if v.d == nil {
		return jAbsent
	}
	return v.d.nodes[v.i].kind
}

// notNull reports whether v exists and is not null, as a non-nil value of
// a decoded map would.
func (v jval) notNull() bool { return v.kind() > jNull }

// key is v's name in its object.
func (v jval) key() string { return v.d.text(v.d.nodes[v.i].key) }

// len is the number of items of an array or distinct members of an object.
func (v jval) len() int {
	if v.d == nil {
		return 0
	}
	return int(v.d.nodes[v.i].n)
}

// first returns the first item or member of v.
func (v jval) first() jval {
	if v.d == nil {
		return jval{}
	}
	return v.d.at(v.d.nodes[v.i].first)
}

// next returns the item or member after v in its parent.
func (v jval) next() jval { return v.d.at(v.d.nodes[v.i].next) }

// asString returns v's value when v is a string.
func (v jval) asString() (string, bool) {
	if v.kind() != jString {
		return "", false
	}
	return v.d.text(v.d.nodes[v.i].str), true
}

// numberText returns v's source text when v is a number.
func (v jval) numberText() (string, bool) {
	if v.kind() != jNumber {
		return "", false
	}
	return v.d.text(v.d.nodes[v.i].str), true
}

// get returns the member named key of an object; the zero jval when v is
// not an object or has no such member. Members are few, so a scan is
// cheaper than any index.
func (v jval) get(key string) jval {
	if v.kind() != jObject {
		return jval{}
	}
	nodes := v.d.nodes
	for i := nodes[v.i].first; i >= 0; i = nodes[i].next {
		if v.d.text(nodes[i].key) == key {
			return jval{v.d, i}
		}
	}
	return jval{}
}

// mayHaveUnderscore reports whether an object may have a member whose name
// starts with '_'; false means it certainly has none.
func (v jval) mayHaveUnderscore() bool {
	return v.kind() == jObject && v.d.nodes[v.i].underscore
}

// jframe is an open array or object while parsing.
type jframe struct {
	key   string // object: the name of the member being parsed
	index int    // array: the index of the item being parsed; -1 for an object
}

// jsonParser parses JSON (RFC 8259) into a jdoc in one pass, and also
// reports what encoding/json silently accepts but FHIR forbids: duplicate
// property names and invalid UTF-8. Of a repeated name the last value
// counts, as with encoding/json. Its buffers are reused from one document
// to the next; reset drops what they refer to.
type jsonParser struct {
	data   []byte
	src    string // one copy of data, p.doc.src: spans index it
	pos    int
	depth  int
	doc    jdoc
	kids   []int32  // items or members of the open containers, innermost last
	frames []jframe // the open containers, for the path of a duplicate
	dups   []string // paths (from the root, dotted) of duplicate properties
	buf    []byte   // scratch for unescaping
}

// maxDocument is the size limit spans and node indices (int32) impose.
const maxDocument = math.MaxInt32

// parse parses one JSON document into p.doc and returns its top-level
// value; trailing non-space data is an error. Duplicate names are left in
// p.dups. A document of 2 GiB or more is rejected.
func (p *jsonParser) parse(data []byte) (jval, error) {
	p.reset()
	if len(data) > maxDocument {
		return jval{}, fmt.Errorf("%w: document larger than %d bytes", errJSON, maxDocument)
	}
	p.data, p.src = data, string(data)
	p.doc.src = p.src
	p.skipSpace()
	root, err := p.value()
	if err != nil {
		return jval{}, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return jval{}, p.errorf("data after the top-level value")
	}
	return p.doc.at(root), nil
}

// reset empties p for another document, clearing the strings its buffers
// hold so a pooled parser does not keep the last document alive.
func (p *jsonParser) reset() {
	clear(p.doc.escaped)
	clear(p.frames)
	clear(p.dups)
	*p = jsonParser{
		doc:  jdoc{nodes: p.doc.nodes[:0], escaped: p.doc.escaped[:0]},
		kids: p.kids[:0], frames: p.frames[:0], dups: p.dups[:0], buf: p.buf[:0],
	}
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s at offset %d", errJSON, fmt.Sprintf(format, args...), p.pos)
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

// add appends a node without children and returns its index.
func (p *jsonParser) add(kind jkind, s span) int32 {
	p.doc.nodes = append(p.doc.nodes, jnode{kind: kind, str: s, first: -1, next: -1})
	return int32(len(p.doc.nodes) - 1)
}

// value parses the value at p.pos and returns its node's index.
func (p *jsonParser) value() (int32, error) {
	if p.pos >= len(p.data) {
		return -1, p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		s, err := p.str()
		if err != nil {
			return -1, err
		}
		return p.add(jString, s), nil
	case c == '-' || c >= '0' && c <= '9':
		s, err := p.number()
		if err != nil {
			return -1, err
		}
		return p.add(jNumber, s), nil
	case c == 't':
		return p.add(jTrue, span{}), p.literal("true")
	case c == 'f':
		return p.add(jFalse, span{}), p.literal("false")
	case c == 'n':
		return p.add(jNull, span{}), p.literal("null")
	default:
		return -1, p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) literal(word string) error {
	if !strings.HasPrefix(p.src[p.pos:], word) {
		return p.errorf("invalid literal")
	}
	p.pos += len(word)
	return nil
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > maxJSONDepth {
		return p.errorf("nesting deeper than %d", maxJSONDepth)
	}
	return nil
}

// close links the children stacked in p.kids[base:] under node self and
// pops them and the container's frame.
func (p *jsonParser) close(self int32, base int) {
	kids := p.kids[base:]
	nodes := p.doc.nodes
	nodes[self].first = kids[0]
	nodes[self].n = int32(len(kids))
	for i, k := range kids[:len(kids)-1] {
		nodes[k].next = kids[i+1]
	}
	nodes[kids[len(kids)-1]].next = -1
	p.kids = p.kids[:base]
	p.frames = p.frames[:len(p.frames)-1]
	p.depth--
}

func (p *jsonParser) object() (int32, error) {
	if err := p.enter(); err != nil {
		return -1, err
	}
	p.pos++ // '{'
	self := p.add(jObject, span{})
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.depth--
		return self, nil
	}
	base := len(p.kids)
	p.frames = append(p.frames, jframe{index: -1})
	var byName map[string]int // member name → position in p.kids[base:], for large objects
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return -1, p.errorf("expected a property name")
		}
		keySpan, err := p.str()
		if err != nil {
			return -1, err
		}
		key := p.doc.text(keySpan)
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return -1, p.errorf("expected ':'")
		}
		p.pos++
		p.skipSpace()
		p.frames[len(p.frames)-1].key = key
		v, err := p.value()
		if err != nil {
			return -1, err
		}
		p.doc.nodes[v].key = keySpan
		if key != "" && key[0] == '_' {
			p.doc.nodes[self].underscore = true
		}
		// A repeated name replaces the earlier member, as a map would.
		members := p.kids[base:]
		at := -1
		if byName != nil {
			if j, ok := byName[key]; ok {
				at = j
			}
		} else {
			for j, m := range members {
				if p.doc.text(p.doc.nodes[m].key) == key {
					at = j
					break
				}
			}
		}
		switch {
		case at >= 0:
			members[at] = v
			p.dups = append(p.dups, p.pathString())
		case byName != nil:
			byName[key] = len(members)
			p.kids = append(p.kids, v)
		default:
			p.kids = append(p.kids, v)
			if len(members) == maxScanMembers {
				byName = make(map[string]int, 2*maxScanMembers)
				for j, m := range p.kids[base:] {
					byName[p.doc.text(p.doc.nodes[m].key)] = j
				}
			}
		}
		p.skipSpace()
		if p.pos >= len(p.data) {
			return -1, p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.close(self, base)
			return self, nil
		default:
			return -1, p.errorf("expected ',' or '}'")
		}
	}
}

func (p *jsonParser) array() (int32, error) {
	if err := p.enter(); err != nil {
		return -1, err
	}
	p.pos++ // '['
	self := p.add(jArray, span{})
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.depth--
		return self, nil
	}
	base := len(p.kids)
	p.frames = append(p.frames, jframe{})
	for i := 0; ; i++ {
		p.skipSpace()
		p.frames[len(p.frames)-1].index = i
		v, err := p.value()
		if err != nil {
			return -1, err
		}
		p.kids = append(p.kids, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return -1, p.errorf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.close(self, base)
			return self, nil
		default:
			return -1, p.errorf("expected ',' or ']'")
		}
	}
}

// pathString is the dotted path of the member being parsed.
func (p *jsonParser) pathString() string {
	var b strings.Builder
	for _, f := range p.frames {
		if f.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(f.index))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return b.String()
}

func (p *jsonParser) number() (span, error) {
	start := p.pos
	d := p.data
	if p.pos < len(d) && d[p.pos] == '-' {
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
		return span{}, p.errorf("invalid number")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return span{}, p.errorf("invalid number")
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
			return span{}, p.errorf("invalid number")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	return span{int32(start), int32(p.pos)}, nil
}

// str parses a string at p.pos (which is '"').
func (p *jsonParser) str() (span, error) {
	p.pos++
	start := p.pos
	d := p.data
	// Fast path: no escapes, and UTF-8 to check only past ASCII.
	ascii := true
	for p.pos < len(d) {
		c := d[p.pos]
		if c == '"' {
			end := p.pos
			p.pos++
			if !ascii && !utf8.ValidString(p.src[start:end]) {
				return span{}, p.errorf("invalid UTF-8 in a string")
			}
			return span{int32(start), int32(end)}, nil
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return span{}, p.errorf("control character in a string")
		}
		p.pos++
	}
	if p.pos >= len(d) {
		return span{}, p.errorf("unterminated string")
	}
	buf := append(p.buf[:0], d[start:p.pos]...)
	defer func() { p.buf = buf[:0] }()
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			if !utf8.Valid(buf) {
				return span{}, p.errorf("invalid UTF-8 in a string")
			}
			p.doc.escaped = append(p.doc.escaped, string(buf))
			return span{-1, int32(len(p.doc.escaped) - 1)}, nil
		case c < 0x20:
			return span{}, p.errorf("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			p.pos++
			continue
		}
		p.pos++ // backslash
		if p.pos >= len(d) {
			break
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
			r, ok := p.hex4()
			if !ok {
				return span{}, p.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				// A valid pair decodes to one rune; a lone surrogate becomes
				// U+FFFD, as encoding/json does.
				if p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
					save := p.pos
					p.pos += 2
					r2, ok := p.hex4()
					if !ok {
						return span{}, p.errorf("invalid \\u escape")
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						continue
					}
					p.pos = save
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return span{}, p.errorf("invalid escape")
		}
	}
	return span{}, p.errorf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}
