package r4

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	fhir "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Nested resources (contained, Bundle.entry.resource,
// Bundle.entry.response.outcome, Parameters.parameter.resource) are written
// by the codec into their parent's buffer (appendNested), not through
// encoding/json, which would validate and compact their bytes again at each
// nesting level. Their bytes are never scanned again by the parent either.

// visitList visits the resources of a list such as contained.
func visitList(rs []Resource, name string, f func(*Resource) error) error {
	for i := range rs {
		if err := f(&rs[i]); err != nil {
			return fmt.Errorf("%s[%d]: %w", name, i, err)
		}
	}
	return nil
}

// visitNested visits the entries' resources and outcomes.
func (r *Bundle) visitNested(f func(*Resource) error) error {
	for i := range r.Entry {
		e := &r.Entry[i]
		if e.Resource != nil {
			if err := f(&e.Resource); err != nil {
				return fmt.Errorf("entry[%d]: %w", i, err)
			}
		}
		if e.Response != nil && e.Response.Outcome != nil {
			if err := f(&e.Response.Outcome); err != nil {
				return fmt.Errorf("entry[%d]: response: %w", i, err)
			}
		}
	}
	return nil
}

// visitNested visits the parameters' resources, parts included.
func (r *Parameters) visitNested(f func(*Resource) error) error {
	return visitParameters(r.Parameter, f)
}

func visitParameters(ps []ParametersParameter, f func(*Resource) error) error {
	for i := range ps {
		if ps[i].Resource != nil {
			if err := f(&ps[i].Resource); err != nil {
				return fmt.Errorf("parameter: %w", err)
			}
		}
		if err := visitParameters(ps[i].Part, f); err != nil {
			return fmt.Errorf("parameter: %w", err)
		}
	}
	return nil
}

// nestedOf lists the resources nested in r (nil ones included).
func nestedOf(r typedResource) []Resource {
	var kids []Resource
	_ = r.visitNested(func(p *Resource) error {
		kids = append(kids, *p)
		return nil
	})
	return kids
}

// encoder is a reusable json.Encoder with its buffer.
type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// encoders and scratch keep encoders and output buffers between calls, so a
// Marshal allocates little beside its result. They hold no data between calls.
var (
	encoders = sync.Pool{New: func() any {
		e := new(encoder)
		e.enc = json.NewEncoder(&e.buf)
		e.enc.SetEscapeHTML(false)
		return e
	}}
	scratch = sync.Pool{New: func() any { return new([]byte) }}
)

// maxPooled bounds the buffers kept for reuse, so one huge resource does not
// pin its memory.
const maxPooled = 1 << 20

func putEncoder(e *encoder) {
	if e.buf.Cap() > maxPooled {
		return
	}
	encoders.Put(e)
}

// marshalTyped encodes a typed resource, pruning empties and re-applying its
// delta.
func marshalTyped(r typedResource) ([]byte, error) {
	bp := scratch.Get().(*[]byte)
	out, err := appendTyped((*bp)[:0], r)
	if err != nil {
		scratch.Put(bp)
		return nil, err
	}
	res := bytes.Clone(out)
	if cap(out) <= maxPooled {
		*bp = out
		scratch.Put(bp)
	}
	return res, nil
}

// appendTyped appends the encoding of r (see Marshal) to dst.
func appendTyped(dst []byte, r typedResource) ([]byte, error) {
	if reflect.ValueOf(r).IsNil() {
		return nil, fmt.Errorf("r4: marshal: nil *%s", r.ResourceType())
	}
	if raw := *r.rawPtr(); raw != nil {
		return append(dst, raw...), nil
	}
	start := len(dst)
	st := encState{rewrite: *r.restPtr() != nil}
	dst, err := appendFields(dst, r, &st)
	if err != nil {
		return nil, fmt.Errorf("r4: marshal %s: %w", r.ResourceType(), err)
	}
	if !st.rewrite {
		return dst, nil
	}
	tree, err := typedTree(dst[start:])
	if err != nil {
		return nil, fmt.Errorf("r4: marshal %s: %w", r.ResourceType(), err)
	}
	var merged any = tree
	if rest := *r.restPtr(); rest != nil {
		merged = applyDelta(tree, rest)
	}
	if dst, err = writeTree(dst[:start], merged); err != nil {
		return nil, fmt.Errorf("r4: marshal %s: %w", r.ResourceType(), err)
	}
	return dst, nil
}

// appendNested appends the encoding of a nested resource. A nil resource is
// written as null (null reports it) and then pruned by the caller's rewrite.
func appendNested(dst []byte, r Resource) (out []byte, null bool, err error) {
	switch x := r.(type) {
	case nil:
		return append(dst, "null"...), true, nil
	case *Generic:
		if x == nil {
			return append(dst, "null"...), true, nil
		}
		if x.tree == nil {
			return nil, false, errors.New("r4: marshal: empty Generic resource")
		}
		out, err = writeTree(dst, x.tree)
		return out, false, err
	case typedResource:
		if reflect.ValueOf(x).IsNil() {
			return append(dst, "null"...), true, nil
		}
		out, err = appendTyped(dst, x)
		return out, false, err
	default:
		// Another Resource implementation: encoding/json as before; the
		// caller's rewrite re-checks the result.
		e := encoders.Get().(*encoder)
		defer putEncoder(e)
		e.buf.Reset()
		if err := e.enc.Encode(r); err != nil {
			return nil, false, err
		}
		return append(dst, bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))...), true, nil
	}
}

// clearNestedRaw forgets the verified encodings of r's nested resources,
// which are valid only while r itself is being read (nothing can change them
// in between).
func clearNestedRaw(r typedResource) {
	kids := nestedOf(r)
	for _, k := range kids {
		if t, ok := k.(typedResource); ok && !reflect.ValueOf(t).IsNil() {
			*t.rawPtr() = nil
		}
	}
}

// Reading a Bundle through BundleEntry.UnmarshalJSON would make encoding/json
// validate and skip each entry's bytes, then validate them again inside the
// method, and the same again for the entry's resource: a resource's bytes
// would be scanned six times before being decoded. Bundle.decodeTyped
// therefore reads entries into bundleEntryIn, which takes the resource (and
// the response's outcome) as raw JSON and has BundleEntry's other fields
// (entryInMatches checks that the two stay in step).

// bundleEntryIn is BundleEntry as read, with the resource still raw JSON.
type bundleEntryIn struct {
	Id                string                 `json:"id,omitempty"`
	Extension         []fhir.Extension       `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension       `json:"modifierExtension,omitempty"`
	Link              []BundleLink           `json:"link,omitempty"`
	FullUrl           string                 `json:"fullUrl,omitempty"`
	Resource          json.RawMessage        `json:"resource,omitempty"`
	Search            *BundleEntrySearch     `json:"search,omitempty"`
	Request           *BundleEntryRequest    `json:"request,omitempty"`
	Response          *bundleEntryResponseIn `json:"response,omitempty"`
}

// bundleEntryResponseIn is BundleEntryResponse as read, with the outcome
// still raw JSON.
type bundleEntryResponseIn struct {
	Id                string           `json:"id,omitempty"`
	Extension         []fhir.Extension `json:"extension,omitempty"`
	ModifierExtension []fhir.Extension `json:"modifierExtension,omitempty"`
	Status            string           `json:"status,omitempty"`
	Location          string           `json:"location,omitempty"`
	Etag              string           `json:"etag,omitempty"`
	LastModified      string           `json:"lastModified,omitempty"`
	Outcome           json.RawMessage  `json:"outcome,omitempty"`
}

// rawResource decodes a nested resource read as raw JSON; null or absent is
// no resource.
func rawResource(raw json.RawMessage) (Resource, error) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	return decodeResource(raw, true)
}

// entry decodes the raw resources and returns the BundleEntry.
func (in *bundleEntryIn) entry() (BundleEntry, error) {
	e := BundleEntry{
		Id:                in.Id,
		Extension:         in.Extension,
		ModifierExtension: in.ModifierExtension,
		Link:              in.Link,
		FullUrl:           in.FullUrl,
		Search:            in.Search,
		Request:           in.Request,
	}
	var err error
	if e.Resource, err = rawResource(in.Resource); err != nil {
		return BundleEntry{}, err
	}
	if in.Response != nil {
		resp := in.Response
		e.Response = &BundleEntryResponse{
			Id:                resp.Id,
			Extension:         resp.Extension,
			ModifierExtension: resp.ModifierExtension,
			Status:            resp.Status,
			Location:          resp.Location,
			Etag:              resp.Etag,
			LastModified:      resp.LastModified,
		}
		if e.Response.Outcome, err = rawResource(resp.Outcome); err != nil {
			return BundleEntry{}, fmt.Errorf("response: %w", err)
		}
	}
	return e, nil
}

func (r *Bundle) decodeTyped(data []byte) error {
	s := struct {
		*bundleFields
		Entry []bundleEntryIn `json:"entry"`
	}{bundleFields: (*bundleFields)(r)}
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	if s.Entry == nil {
		return nil
	}
	r.Entry = make([]BundleEntry, len(s.Entry))
	for i := range s.Entry {
		e, err := s.Entry[i].entry()
		if err != nil {
			return fmt.Errorf("entry[%d]: %w", i, err)
		}
		r.Entry[i] = e
	}
	return nil
}

// splitArray returns the elements of data when it is a JSON array, without
// validating it: it is meant for input encoding/json has validated. On
// malformed input it stays within bounds and returns pieces the caller's
// decoding then rejects.
func splitArray(data []byte) ([][]byte, bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, false
	}
	var out [][]byte
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return [][]byte{}, true
	}
	for i < len(data) {
		start := i
		i = skipValue(data, i)
		out = append(out, data[start:i])
		i = skipSpace(data, i)
		if i >= len(data) || data[i] != ',' {
			break
		}
		i = skipSpace(data, i+1)
	}
	return out, true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i.
func skipValue(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch data[i] {
		case '"':
			i++
			for i < len(data) && data[i] != '"' {
				if data[i] == '\\' {
					i++
				}
				i++
			}
			i++
			if depth == 0 {
				return min(i, len(data))
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing array, after a scalar
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return len(data)
}
