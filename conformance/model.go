package conformance

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/ivbridge/ivbridge/conformance/internal/defs"
)

//go:embed tables.json.gz
var tablesGz []byte

// primKind identifies a FHIR primitive type; zero means "not a primitive".
type primKind uint8

const (
	primNone primKind = iota
	primBoolean
	primInteger
	primPositiveInt
	primUnsignedInt
	primDecimal
	primString
	primMarkdown
	primURI
	primURL
	primCanonical
	primOID
	primUUID
	primID
	primCode
	primBase64
	primDate
	primDateTime
	primInstant
	primTime
	primXHTML
)

var primByName = map[string]primKind{
	"boolean": primBoolean, "integer": primInteger, "positiveInt": primPositiveInt,
	"unsignedInt": primUnsignedInt, "decimal": primDecimal, "string": primString,
	"markdown": primMarkdown, "uri": primURI, "url": primURL, "canonical": primCanonical,
	"oid": primOID, "uuid": primUUID, "id": primID, "code": primCode,
	"base64Binary": primBase64, "date": primDate, "dateTime": primDateTime,
	"instant": primInstant, "time": primTime, "xhtml": primXHTML,
}

// model is the validation model built once from the embedded tables. It is
// immutable after construction and shared by every Validator.
type model struct {
	resources map[string]*node     // resource type name → root node
	types     map[string]*typeInfo // every type by name
	valueSets map[string]*valueSet
	element   *node // the Element type: shape of a primitive's "_name" object
}

type typeInfo struct {
	name     string
	kind     string
	abstract bool
	root     *node
	prim     primKind
}

// node is the set of JSON properties allowed in one kind of object: a
// resource, a datatype or a backbone element.
type node struct {
	path        string            // definition path: "Patient", "Patient.contact", "Quantity"
	fields      map[string]*field // JSON property name → field
	elems       []*elem           // element definitions in snapshot order
	constraints []defs.Constraint // invariants of the element that defines this node
	invs        []boundInvariant  // the implemented ones among constraints
	isResource  bool
}

// boundInvariant is a declared invariant with its implementation.
type boundInvariant struct {
	key, severity, human string
	fn                   invariantFunc
}

// bindInvariants keeps the implemented invariants of cs, each key once.
func bindInvariants(cs []defs.Constraint) []boundInvariant {
	var out []boundInvariant
	for _, c := range cs {
		fn := invariants[c.Key]
		if fn == nil || slices.ContainsFunc(out, func(b boundInvariant) bool { return b.key == c.Key }) {
			continue
		}
		sev := c.Severity
		if sev != SeverityWarning {
			sev = SeverityError
		}
		out = append(out, boundInvariant{key: c.Key, severity: sev, human: c.Human, fn: fn})
	}
	return out
}

// elem is one element definition of a node (a choice element is one elem
// with several fields: valueQuantity, valueString …).
type elem struct {
	index       int    // position in node.elems
	name        string // JSON name, without [x] for choices
	min, max    int    // max -1 = unbounded
	choice      bool
	vs          *valueSet // required binding, nil when none or not checkable
	vsURL       string
	constraints []defs.Constraint
	invs        []boundInvariant
	fields      []*field
}

// field is one JSON property name with its single concrete type.
type field struct {
	name       string
	extName    string // "_" + name: the primitive extension property
	elem       *elem
	typ        string
	prim       primKind
	node       *node // complex or backbone content; nil for primitives and resources
	isResource bool  // an inline resource: dispatch on resourceType
	targets    map[string]bool
}

// valueSet is an expanded value set for required bindings.
type valueSet struct {
	url      string
	bySystem map[string]map[string]bool
	anyCode  map[string]bool
}

func (vs *valueSet) hasCode(code string) bool { return vs.anyCode[code] }

func (vs *valueSet) hasCoding(system, code string) bool {
	if system == "" {
		return vs.anyCode[code]
	}
	return vs.bySystem[system][code]
}

var loadModel = sync.OnceValues(func() (*model, error) { return buildModel(tablesGz) })

func decodeTables(gz []byte) (*defs.Tables, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("conformance tables: %w", err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("conformance tables: %w", err)
	}
	var t defs.Tables
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("conformance tables: %w", err)
	}
	return &t, nil
}

func buildModel(gz []byte) (*model, error) {
	t, err := decodeTables(gz)
	if err != nil {
		return nil, err
	}
	m := &model{
		resources: map[string]*node{},
		types:     map[string]*typeInfo{},
		valueSets: map[string]*valueSet{},
	}
	for url, v := range t.ValueSets {
		if v.Open {
			continue
		}
		vs := &valueSet{url: url, bySystem: map[string]map[string]bool{}, anyCode: map[string]bool{}}
		for sys, codes := range v.Codes {
			set := make(map[string]bool, len(codes))
			for _, c := range codes {
				set[c] = true
				vs.anyCode[c] = true
			}
			vs.bySystem[sys] = set
		}
		m.valueSets[url] = vs
	}
	nodes := map[string]*node{} // definition path → node
	// Phase 1: a node for every type root and every element with children.
	for i := range t.Types {
		td := &t.Types[i]
		ti := &typeInfo{name: td.Name, kind: td.Kind, abstract: td.Abstract, prim: primByName[td.Name]}
		m.types[td.Name] = ti
		if td.Kind == "primitive-type" {
			continue
		}
		parents := map[string]bool{}
		for _, e := range td.Elements {
			if i := strings.LastIndexByte(e.Path, '.'); i > 0 {
				parents[e.Path[:i]] = true
			}
		}
		for _, e := range td.Elements {
			if parents[e.Path] {
				n := &node{path: e.Path, fields: map[string]*field{}, constraints: e.Constraints}
				nodes[e.Path] = n
			}
		}
		root := nodes[td.Name]
		if root == nil {
			root = &node{path: td.Name, fields: map[string]*field{}}
			nodes[td.Name] = root
		}
		if len(td.Elements) > 0 {
			root.constraints = td.Elements[0].Constraints
		}
		root.isResource = td.Kind == "resource"
		ti.root = root
		if td.Kind == "resource" && !td.Abstract {
			m.resources[td.Name] = root
		}
	}
	// Phase 2: fields.
	for i := range t.Types {
		td := &t.Types[i]
		if td.Kind == "primitive-type" {
			continue
		}
		for _, e := range td.Elements[1:] {
			dot := strings.LastIndexByte(e.Path, '.')
			parent := nodes[e.Path[:dot]]
			if parent == nil {
				return nil, fmt.Errorf("conformance tables: %s has no parent", e.Path)
			}
			name := e.Path[dot+1:]
			el := &elem{name: strings.TrimSuffix(name, "[x]"), min: e.Min, max: e.Max, choice: strings.HasSuffix(name, "[x]"), constraints: e.Constraints, invs: bindInvariants(e.Constraints)}
			if e.Binding != "" {
				el.vsURL = e.Binding
				el.vs = m.valueSets[e.Binding]
			}
			el.index = len(parent.elems)
			parent.elems = append(parent.elems, el)
			if e.ContentRef != "" {
				target := nodes[e.ContentRef]
				if target == nil {
					return nil, fmt.Errorf("conformance tables: %s: contentReference %s not found", e.Path, e.ContentRef)
				}
				f := &field{name: el.name, extName: "_" + el.name, elem: el, typ: "BackboneElement", node: target}
				el.fields = append(el.fields, f)
				parent.fields[f.name] = f
				continue
			}
			for _, tr := range e.Types {
				jsonName := el.name
				if el.choice {
					jsonName = el.name + strings.ToUpper(tr.Code[:1]) + tr.Code[1:]
					if tr.Code == "SimpleQuantity" {
						jsonName = el.name + "Quantity"
					}
				}
				f := &field{name: jsonName, extName: "_" + jsonName, elem: el, typ: tr.Code}
				switch {
				case nodes[e.Path] != nil && (tr.Code == "BackboneElement" || tr.Code == "Element"):
					f.node = nodes[e.Path]
				case primByName[tr.Code] != primNone:
					f.prim = primByName[tr.Code]
				case tr.Code == "Resource" || tr.Code == "DomainResource":
					f.isResource = true
				default:
					ti := m.types[tr.Code]
					if ti == nil {
						return nil, fmt.Errorf("conformance tables: %s: unknown type %s", e.Path, tr.Code)
					}
					if ti.kind == "resource" {
						f.isResource = true
						f.targets = map[string]bool{tr.Code: true}
					} else {
						f.node = ti.root
					}
				}
				if tr.Code == "Reference" && len(tr.Targets) > 0 {
					f.targets = make(map[string]bool, len(tr.Targets))
					for _, tg := range tr.Targets {
						f.targets[tg] = true
					}
				}
				if _, dup := parent.fields[jsonName]; dup {
					return nil, fmt.Errorf("conformance tables: %s: duplicate JSON name %s", e.Path, jsonName)
				}
				el.fields = append(el.fields, f)
				parent.fields[jsonName] = f
			}
		}
	}
	for _, n := range nodes {
		n.invs = bindInvariants(n.constraints)
	}
	m.element = m.types["Element"].root
	if m.element == nil || m.resources["Patient"] == nil || m.resources["Bundle"] == nil {
		return nil, fmt.Errorf("conformance tables: core types missing")
	}
	return m, nil
}
