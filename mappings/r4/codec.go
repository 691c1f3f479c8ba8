package r4

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Resource is any FHIR R4 resource the codec reads or writes: one of the typed
// structs (*Patient, *MedicationAdministration, …) or *Generic.
type Resource interface {
	// ResourceType returns the FHIR type name, e.g. "Patient".
	ResourceType() string
	// ResourceID returns the logical id, "" when the resource has none.
	ResourceID() string
}

// typedResource is implemented by the pointer of every typed resource struct
// (see methods.go).
type typedResource interface {
	Resource
	// encodeTyped is the reference encoding with encoding/json (typed
	// fields only, resourceType first): Marshal uses the codec's own
	// encoder, and tests check that it writes the same (LegacyMarshal).
	encodeTyped(enc *json.Encoder) error
	decodeTyped(data []byte) error // typed fields only (plus nested resources)
	reset()
	restPtr() **delta
	// rawPtr points to the resource's verified encoding, set only while its
	// parent is being read (see decodeTypedLossless).
	rawPtr() *[]byte
	// visitNested calls f with the location of every resource nested in
	// this one (contained, entries' resources, …), nil ones included, and
	// returns f's first error with where it happened.
	visitNested(f func(*Resource) error) error
}

// Marshal writes r as FHIR R4 JSON: resourceType first, then the typed fields
// in struct (= FHIR element) order, with whatever was read but is not modelled
// by the struct placed after the member it followed when it was read. It never
// writes an empty object, array or string, or null, for unset elements (FHIR
// ele-1); values of a resource read by Unmarshal are written as read.
//
// Strings are not HTML-escaped (narrative XHTML stays readable).
func Marshal(r Resource) ([]byte, error) {
	switch x := r.(type) {
	case nil:
		return nil, errors.New("r4: marshal: nil resource")
	case *Generic:
		if x == nil {
			return nil, errors.New("r4: marshal: nil *Generic")
		}
		return x.MarshalJSON()
	case typedResource:
		return marshalTyped(x)
	default:
		return nil, fmt.Errorf("r4: marshal: unsupported Resource implementation %T", r)
	}
}

// typedTree parses encoder output and prunes its empties.
func typedTree(out []byte) (*object, error) {
	v, err := parseTree(out)
	if err != nil {
		return nil, fmt.Errorf("internal error: re-reading encoder output: %w", err)
	}
	o, ok := v.(*object)
	if !ok {
		return nil, errors.New("internal error: encoder output is not an object")
	}
	prune(o, true)
	return o, nil
}

// Unmarshal reads one FHIR R4 resource (JSON object with a resourceType).
// Types listed by TypedResourceTypes decode into their struct, any other
// type into *Generic. Nested resources (contained, Bundle.entry.resource,
// Bundle.entry.response.outcome, Parameters.parameter.resource) are read the
// same way.
//
// Reading is lossless: Marshal of the result gives JSON that is semantically
// equal to data (member order aside, number literals as written). What the
// struct does not model is kept with the resource and written back by Marshal.
//
// Unmarshal rejects input that is not a single JSON object, objects with
// duplicate member names, a missing or malformed resourceType, and values whose
// JSON type does not fit the struct (e.g. a string where FHIR has a boolean,
// or an unknown code in a samply enum such as HumanName.use). It does not
// validate codes, cardinalities or invariants beyond that: that is the
// validator's job.
func Unmarshal(data []byte) (Resource, error) {
	r, err := decodeResource(data, false)
	if err != nil {
		return nil, fmt.Errorf("r4: unmarshal: %w", err)
	}
	return r, nil
}

// decodeResource dispatches on resourceType. nested is true for a resource
// inside another one.
func decodeResource(data []byte, nested bool) (Resource, error) {
	// Fast path for ivbridge's own output, which starts with the resourceType.
	if name, ok := leadingResourceType(data); ok {
		if r := newTyped(name); r != nil {
			if err := decodeTypedLossless(r, data, nil, nested); err != nil {
				return nil, err
			}
			return r, nil
		}
	}
	v, err := parseTree(data)
	if err != nil {
		return nil, err
	}
	o, ok := v.(*object)
	if !ok {
		return nil, errNotObject
	}
	name, err := resourceTypeOf(o)
	if err != nil {
		return nil, err
	}
	r := newTyped(name)
	if r == nil {
		return &Generic{tree: o}, nil
	}
	if err := decodeTypedLossless(r, data, o, nested); err != nil {
		return nil, err
	}
	return r, nil
}

// decodeInto is UnmarshalJSON of the typed resources.
func decodeInto(r typedResource, data []byte) error {
	if err := decodeTypedLossless(r, data, nil, false); err != nil {
		return fmt.Errorf("r4: unmarshal %s: %w", r.ResourceType(), err)
	}
	return nil
}

// decodeTypedLossless decodes data into r and records the delta between data
// and r's typed encoding. orig is data's parsed tree when the caller has it.
//
// samply's enum types (e.g. Quantity.comparator) read their JSON string
// without unescaping it, so "\u003e" (how encoding/json writes ">") is not
// understood. When the typed decoding fails and re-writing the tree with
// minimal escaping changes the bytes, the decoding is retried once on those.
// (A successful decoding never needs the retry: an escaped code is never
// mistaken for a valid one.) Nested resources are then decoded from the
// re-written bytes, so the retry happens at most once per nesting level.
//
// A nested resource (nested is true) whose input is exactly its typed
// encoding keeps that encoding while its parent checks its own: the parent's
// encoding then copies it instead of encoding the nested resource again.
// The parent forgets it before returning, since mapping code may change the
// resource afterwards.
func decodeTypedLossless(r typedResource, data []byte, orig *object, nested bool) error {
	r.reset()
	var decErr error
	strict := false
	if orig == nil {
		var err error
		if strict, err = decodeStrict(r, data); err != nil {
			return err
		}
	}
	if !strict {
		r.reset()
		decErr = r.decodeTyped(data)
	}
	defer clearNestedRaw(r)
	var out []byte // r's typed encoding
	if decErr == nil {
		// The encoding is only compared (and parsed into a tree, which
		// copies what it keeps), so it is written into a reused buffer.
		bp := scratch.Get().(*[]byte)
		defer func() {
			if cap(*bp) <= maxPooled {
				scratch.Put(bp)
			}
		}()
		var err error
		out, err = appendTyped((*bp)[:0], r)
		if err != nil && strict {
			// decodeStrict does not validate (e.g. a number literal 01):
			// let encoding/json say what is wrong.
			clearNestedRaw(r)
			r.reset()
			strict = false
			out, err = nil, nil
			if decErr = r.decodeTyped(data); decErr == nil {
				out, err = appendTyped((*bp)[:0], r)
			}
		}
		if err != nil {
			return err
		}
		if out != nil {
			*bp = out
		}
		// Fast path: ivbridge's own output is exactly its typed encoding.
		if in := bytes.TrimSpace(data); decErr == nil && orig == nil && bytes.Equal(out, in) {
			if nested {
				// data outlives the parent's reading (it is part of the
				// parent's input), and equals the encoding.
				*r.rawPtr() = in
			}
			return nil
		}
		// Otherwise (also after decodeStrict, whose result encoding/json
		// would give too: no member it read can differ) the delta is
		// worked out below.
	}
	if orig == nil {
		v, err := parseTree(data)
		if err != nil {
			return err
		}
		o, ok := v.(*object)
		if !ok {
			return errNotObject
		}
		orig = o
	}
	name, err := resourceTypeOf(orig)
	if err != nil {
		return err
	}
	if name != r.ResourceType() {
		return fmt.Errorf("resourceType is %q, want %q", name, r.ResourceType())
	}
	if decErr != nil {
		norm, err := writeTree(nil, orig)
		if err != nil {
			return err
		}
		if bytes.Equal(norm, bytes.TrimSpace(data)) {
			return fmt.Errorf("%s: %w", r.ResourceType(), decErr)
		}
		r.reset()
		if err := r.decodeTyped(norm); err != nil {
			return fmt.Errorf("%s: %w", r.ResourceType(), err)
		}
		if out, err = marshalTyped(r); err != nil {
			return err
		}
	}
	typed, err := typedTree(out)
	if err != nil {
		return err
	}
	var clash string
	d := diffTree(orig, typed, &clash)
	if clash != "" {
		return fmt.Errorf("member %q differs from a %s element name only in letter case (FHIR names are case-sensitive)", clash, r.ResourceType())
	}
	*r.restPtr() = d
	return nil
}

// resourceTypeOf returns the resourceType member of a resource object.
func resourceTypeOf(o *object) (string, error) {
	v, ok := o.get("resourceType")
	if !ok {
		return "", errors.New("missing resourceType")
	}
	name, ok := v.(string)
	if !ok {
		return "", errors.New("resourceType is not a string")
	}
	if !isTypeName(name) {
		return "", fmt.Errorf("resourceType %q is not a FHIR type name", name)
	}
	return name, nil
}

// isTypeName checks the shape of a FHIR resource type name: an ASCII capital
// followed by ASCII letters and digits.
func isTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// leadingResourceType recognises JSON that starts exactly like the codec's own
// output, {"resourceType":"Name", and returns Name.
func leadingResourceType(data []byte) (string, bool) {
	const prefix = `{"resourceType":"`
	if !bytes.HasPrefix(data, []byte(prefix)) {
		return "", false
	}
	rest := data[len(prefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || !isTypeName(string(rest[:end])) {
		return "", false
	}
	return string(rest[:end]), true
}

// resourceList decodes a JSON array of resources (contained).
type resourceList []Resource

// UnmarshalJSON implements json.Unmarshaler.
func (l *resourceList) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	// encoding/json has validated data already (it checks its whole input
	// before calling any UnmarshalJSON), so an array is only split here.
	raws, ok := splitArray(data)
	if !ok {
		var elems []json.RawMessage // not an array: encoding/json says why
		if err := json.Unmarshal(data, &elems); err != nil {
			return err
		}
		raws = make([][]byte, len(elems))
		for i, e := range elems {
			raws[i] = e
		}
	}
	out := make([]Resource, len(raws))
	for i, raw := range raws {
		r, err := decodeResource(raw, true)
		if err != nil {
			return fmt.Errorf("contained[%d]: %w", i, err)
		}
		out[i] = r
	}
	*l = out
	return nil
}

// resourceField decodes a single nested resource.
type resourceField struct{ r Resource }

// UnmarshalJSON implements json.Unmarshaler.
func (f *resourceField) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	r, err := decodeResource(data, true)
	if err != nil {
		return err
	}
	f.r = r
	return nil
}

type bundleEntryFields BundleEntry

// UnmarshalJSON reads an entry, with its resource, losslessly.
func (e *BundleEntry) UnmarshalJSON(data []byte) error {
	s := struct {
		*bundleEntryFields
		Resource resourceField `json:"resource"`
	}{bundleEntryFields: (*bundleEntryFields)(e)}
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("entry: %w", err)
	}
	e.Resource = s.Resource.r
	return nil
}

type bundleEntryResponseFields BundleEntryResponse

// UnmarshalJSON reads an entry response, with its outcome resource, losslessly.
func (e *BundleEntryResponse) UnmarshalJSON(data []byte) error {
	s := struct {
		*bundleEntryResponseFields
		Outcome resourceField `json:"outcome"`
	}{bundleEntryResponseFields: (*bundleEntryResponseFields)(e)}
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("response: %w", err)
	}
	e.Outcome = s.Outcome.r
	return nil
}

type parametersParameterFields ParametersParameter

// UnmarshalJSON reads a parameter, with its resource and parts, losslessly.
func (p *ParametersParameter) UnmarshalJSON(data []byte) error {
	s := struct {
		*parametersParameterFields
		Resource resourceField `json:"resource"`
	}{parametersParameterFields: (*parametersParameterFields)(p)}
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("parameter: %w", err)
	}
	p.Resource = s.Resource.r
	return nil
}

// Generic is a resource of a type without a typed struct (Organization,
// Substance, Binary, …), kept as an ordered JSON object so it is written back
// exactly as read. Nested resources inside it stay part of its JSON.
type Generic struct {
	tree *object
}

// NewGeneric reads any resource JSON as a *Generic, whatever its type (useful
// to pass a resource through untouched).
func NewGeneric(data []byte) (*Generic, error) {
	g := new(Generic)
	if err := g.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return g, nil
}

// ResourceType returns the resource's type name.
func (g *Generic) ResourceType() string {
	if g == nil || g.tree == nil {
		return ""
	}
	name, _ := g.tree.get("resourceType")
	s, _ := name.(string)
	return s
}

// ResourceID returns the resource's id, "" when it has none (or it is not a string).
func (g *Generic) ResourceID() string {
	if g == nil || g.tree == nil {
		return ""
	}
	id, _ := g.tree.get("id")
	s, _ := id.(string)
	return s
}

// MarshalJSON writes the resource as read, resourceType first.
func (g *Generic) MarshalJSON() ([]byte, error) {
	if g == nil || g.tree == nil {
		return nil, errors.New("r4: marshal: empty Generic resource")
	}
	return writeTree(nil, g.tree)
}

// UnmarshalJSON reads any resource JSON into g.
func (g *Generic) UnmarshalJSON(data []byte) error {
	v, err := parseTree(data)
	if err != nil {
		return fmt.Errorf("r4: unmarshal generic resource: %w", err)
	}
	o, ok := v.(*object)
	if !ok {
		return fmt.Errorf("r4: unmarshal generic resource: %w", errNotObject)
	}
	if _, err := resourceTypeOf(o); err != nil {
		return fmt.Errorf("r4: unmarshal generic resource: %w", err)
	}
	g.tree = o
	return nil
}

// Decode decodes the resource's JSON into v with encoding/json (numbers as
// json.Number), e.g. into samply's struct for its type or a map.
func (g *Generic) Decode(v any) error {
	data, err := g.MarshalJSON()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("r4: decode %s: %w", g.ResourceType(), err)
	}
	return nil
}

// EqualJSON reports whether two JSON documents are semantically equal the way
// the codec's losslessness is defined: member order is ignored, number
// literals compare as written (1.50 differs from 1.5, as FHIR decimal
// precision requires) and strings compare after unescaping. It errors when
// either is not a single JSON value (or has duplicate member names).
func EqualJSON(a, b []byte) (bool, error) {
	x, err := parseTree(a)
	if err != nil {
		return false, fmt.Errorf("r4: compare: first document: %w", err)
	}
	y, err := parseTree(b)
	if err != nil {
		return false, fmt.Errorf("r4: compare: second document: %w", err)
	}
	return equalTree(x, y), nil
}
