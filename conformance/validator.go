package conformance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Issue severities (OperationOutcome.issue.severity).
const (
	SeverityFatal       = "fatal"
	SeverityError       = "error"
	SeverityWarning     = "warning"
	SeverityInformation = "information"
)

// Issue type codes used by the validator (OperationOutcome.issue.code,
// value set http://hl7.org/fhir/ValueSet/issue-type).
const (
	CodeStructure     = "structure"     // unknown element, wrong JSON shape, wrong reference target
	CodeRequired      = "required"      // a required element is missing
	CodeValue         = "value"         // a primitive value is malformed
	CodeCodeInvalid   = "code-invalid"  // a code outside a required binding
	CodeInvariant     = "invariant"     // an invariant (per-1, mad-1 …) is violated
	CodeInvalid       = "invalid"       // not JSON at all
	CodeInformational = "informational" // no finding
)

// Issue is one validation finding.
type Issue struct {
	// Severity is fatal, error, warning or information.
	Severity string `json:"severity"`
	// Code is the OperationOutcome issue type (structure, required, value,
	// code-invalid, invariant, invalid …).
	Code string `json:"code"`
	// Diagnostics says what is wrong; it never quotes string values of the
	// resource (they may hold patient data), only codes and element names.
	Diagnostics string `json:"diagnostics"`
	// Expression is the FHIRPath of the offending element, e.g.
	// "Bundle.entry[2].resource.status"; empty for whole-document problems.
	Expression string `json:"expression,omitempty"`
}

// Validator validates FHIR R4 JSON. It is immutable and safe for concurrent
// use; create it once and share it.
type Validator struct {
	m *model
}

// NewValidator returns a validator over the embedded R4 tables. The tables
// are decoded once per process; later calls are cheap. It panics only if the
// embedded tables are corrupt, which the package tests rule out.
func NewValidator() *Validator {
	m, err := loadModel()
	if err != nil {
		panic(fmt.Sprintf("conformance: %v", err))
	}
	return &Validator{m: m}
}

// Validate checks one JSON document holding a resource (a Bundle included)
// and returns every finding, sorted by expression; an empty result means
// the document is valid. Warnings do not make it invalid: use HasErrors.
func (v *Validator) Validate(data []byte) []Issue {
	s := scratchPool.Get().(*scratch)
	defer s.release()
	doc, err := s.p.parse(data)
	if err != nil {
		return []Issue{{Severity: SeverityFatal, Code: CodeInvalid, Diagnostics: err.Error()}}
	}
	var issues []Issue
	if doc.kind() != jObject {
		issues = []Issue{{Severity: SeverityFatal, Code: CodeStructure, Diagnostics: "a FHIR resource must be a JSON object"}}
	} else {
		w := &s.w
		w.m = v.m
		w.resource(doc, nil, nil)
		issues = w.issues
		sortIssues(issues)
	}
	if dups := s.p.dups; len(dups) > 0 {
		root := "$"
		if rt, ok := doc.get("resourceType").asString(); ok && v.m.resources[rt] != nil {
			root = rt
		}
		for _, d := range dups {
			issues = append(issues, Issue{Severity: SeverityError, Code: CodeStructure,
				Diagnostics: "duplicate JSON property (FHIR JSON forbids repeated names)", Expression: root + "." + d})
		}
		sortIssues(issues)
	}
	return issues
}

// scratch is the reusable state of one Validate call: the parsed tree and
// the walker's buffers. Pooling it makes a validation allocate little more
// than the document's string copy and the issues it returns.
type scratch struct {
	p jsonParser
	w walker
}

var scratchPool = sync.Pool{New: func() any { return &scratch{w: walker{path: make([]byte, 0, 128)}} }}

// Bounds on what a pooled scratch keeps: the buffers of a rare huge
// document are left to the collector rather than held by the pool.
const (
	maxPooledNodes = 1 << 16 // tree nodes
	maxPooledBytes = 1 << 16 // unescaping buffer
)

// release clears s and returns it to the pool. The issues now belong to
// the caller and are not kept.
func (s *scratch) release() {
	s.p.reset()
	s.w = walker{path: s.w.path[:0], ctxs: s.w.ctxs} // popCtx emptied the contexts
	if cap(s.p.doc.nodes) > maxPooledNodes || cap(s.p.buf) > maxPooledBytes {
		return
	}
	scratchPool.Put(s)
}

// naturalCompare compares strings with digit runs compared as numbers, so
// entry[2] sorts before entry[10].
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := digitRun(a), digitRun(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// sortIssues orders issues by expression, then code and diagnostics, so the
// result does not depend on the order of members in the document.
func sortIssues(issues []Issue) {
	slices.SortStableFunc(issues, func(a, b Issue) int {
		if c := naturalCompare(a.Expression, b.Expression); c != 0 {
			return c
		}
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Diagnostics, b.Diagnostics)
	})
}

// resCtx is the context of one resource and the resources it contains:
// contained resources are resolved against their container.
type resCtx struct {
	contained map[string]string // contained id → resourceType
	localRefs map[string]bool   // "#id" values seen anywhere in the container
	bundle    *bundleCtx
}

// bundleCtx lets urn:uuid: / fullUrl references resolve inside a Bundle.
type bundleCtx struct {
	fullURLs map[string]string // fullUrl → resourceType
}

type walker struct {
	m      *model
	path   []byte
	issues []Issue
	ic     invCtx // scratch context for invariant evaluation
	// ctxs are the contexts of the resources being walked, outermost
	// first, kept with their maps for the next resource at the same depth.
	ctxs  []*resCtx
	depth int
}

// maxPooledMapLen bounds the maps a reused resCtx keeps.
const maxPooledMapLen = 64

// pushCtx returns an empty context for a resource one level deeper.
func (w *walker) pushCtx(bundle *bundleCtx) *resCtx {
	if w.depth == len(w.ctxs) {
		w.ctxs = append(w.ctxs, &resCtx{})
	}
	ctx := w.ctxs[w.depth]
	w.depth++
	ctx.bundle = bundle
	return ctx
}

// popCtx ends the innermost context, emptying it for reuse.
func (w *walker) popCtx() {
	w.depth--
	ctx := w.ctxs[w.depth]
	ctx.contained = clearedMap(ctx.contained)
	ctx.localRefs = clearedMap(ctx.localRefs)
	ctx.bundle = nil
}

// clearedMap empties m, or drops it when it has grown large.
func clearedMap[V any](m map[string]V) map[string]V {
	if len(m) > maxPooledMapLen {
		return nil
	}
	clear(m)
	return m
}

func (w *walker) add(sev, code, diag string) {
	w.issues = append(w.issues, Issue{Severity: sev, Code: code, Diagnostics: diag, Expression: string(w.path)})
}

func (w *walker) addAt(sev, code, diag, suffix string) {
	w.issues = append(w.issues, Issue{Severity: sev, Code: code, Diagnostics: diag, Expression: string(w.path) + suffix})
}

func (w *walker) push(name string) int {
	mark := len(w.path)
	if mark > 0 {
		w.path = append(w.path, '.')
	}
	w.path = append(w.path, name...)
	return mark
}

func (w *walker) pushIndex(i int) int {
	mark := len(w.path)
	w.path = append(w.path, '[')
	w.path = strconv.AppendInt(w.path, int64(i), 10)
	w.path = append(w.path, ']')
	return mark
}

func (w *walker) pop(mark int) { w.path = w.path[:mark] }

// resource validates an inline resource. parent is the container's context
// for contained resources (nil otherwise); bundle is the enclosing Bundle.
func (w *walker) resource(obj jval, parent *resCtx, bundle *bundleCtx) {
	rtv := obj.get("resourceType")
	rt, _ := rtv.asString()
	if !rtv.ok() {
		w.add(SeverityError, CodeStructure, "resourceType is missing")
		return
	}
	n := w.m.resources[rt]
	if n == nil {
		w.add(SeverityError, CodeStructure, fmt.Sprintf("unknown resourceType %q", rt))
		return
	}
	if len(w.path) == 0 {
		w.path = append(w.path, rt...)
	}
	ctx := parent
	if ctx == nil {
		ctx = w.pushCtx(bundle)
		defer w.popCtx()
		if cs := obj.get("contained"); cs.kind() == jArray {
			if ctx.contained == nil {
				ctx.contained = make(map[string]string, cs.len())
			}
			for c := cs.first(); c.ok(); c = c.next() {
				if c.kind() == jObject {
					id := str(c, "id")
					crt := str(c, "resourceType")
					if id != "" {
						ctx.contained[id] = crt
					}
				}
			}
		}
		if rt == "Bundle" {
			ctx.bundle = newBundleCtx(obj)
		}
	}
	w.object(obj, n, nil, ctx, parent != nil)
	if rt == "Bundle" {
		w.bundleEntryRules(obj)
	}
}

func newBundleCtx(bundle jval) *bundleCtx {
	entries := bundle.get("entry")
	b := &bundleCtx{fullURLs: make(map[string]string, entries.len())}
	if entries.kind() != jArray {
		return b
	}
	for e := entries.first(); e.ok(); e = e.next() {
		fu := str(e, "fullUrl")
		res := obj(e, "resource")
		if fu == "" || !res.ok() {
			continue
		}
		b.fullURLs[fu] = str(res, "resourceType")
	}
	return b
}

// object validates one JSON object against node n. f is the field that
// holds it (nil for a resource or a primitive's extension holder);
// inContained marks a resource contained in another.
func (w *walker) object(obj jval, n *node, f *field, ctx *resCtx, inContained bool) {
	if obj.len() == 0 || (!n.isResource && obj.len() == 1 && obj.get("id").notNull()) {
		w.add(SeverityError, CodeInvariant, "ele-1: All FHIR elements must have a @value or children")
	}
	// Per-element item and variant counts, on the stack for usual nodes.
	var countBuf [48]int32
	var variantBuf [48]uint8
	var counts []int32
	var variants []uint8
	if len(n.elems) <= len(countBuf) {
		counts, variants = countBuf[:len(n.elems)], variantBuf[:len(n.elems)]
	} else {
		counts, variants = make([]int32, len(n.elems)), make([]uint8, len(n.elems))
	}
	underscore := obj.mayHaveUnderscore()
	for val := obj.first(); val.ok(); val = val.next() {
		key := val.key()
		if key == "resourceType" && n.isResource {
			continue
		}
		if len(key) > 1 && key[0] == '_' {
			base := key[1:]
			bf := n.fields[base]
			if bf == nil || bf.prim == primNone {
				mark := w.push(key)
				w.add(SeverityError, CodeStructure, fmt.Sprintf("unknown element %q (no primitive %q here)", key, base))
				w.pop(mark)
				continue
			}
			baseVal := obj.get(base)
			w.primitiveExtension(key, val, bf, baseVal, ctx)
			if !baseVal.ok() {
				counts[bf.elem.index] += itemCount(val)
				variants[bf.elem.index]++
			}
			continue
		}
		fl := n.fields[key]
		mark := w.push(key)
		if fl == nil {
			w.add(SeverityError, CodeStructure, fmt.Sprintf("unknown element %q in %s", key, n.path))
			w.pop(mark)
			continue
		}
		counts[fl.elem.index] += itemCount(val)
		variants[fl.elem.index]++
		hasExt := false
		if fl.prim != primNone && underscore {
			hasExt = obj.get(fl.extName).ok()
		}
		w.value(val, fl, ctx, hasExt)
		w.pop(mark)
	}
	for i, el := range n.elems {
		c := int(counts[i])
		if el.choice && variants[i] > 1 {
			w.twoVariants(obj, el)
		}
		switch {
		case c < el.min:
			name := el.name
			if el.choice {
				name += "[x]"
			}
			if c == 0 {
				w.addAt(SeverityError, CodeRequired, fmt.Sprintf("missing required element %s (min %d)", name, el.min), "."+name)
			} else {
				w.addAt(SeverityError, CodeStructure, fmt.Sprintf("%s has %d items, at least %d required", name, c, el.min), "."+name)
			}
		case el.max > 1 && c > el.max:
			w.addAt(SeverityError, CodeStructure, fmt.Sprintf("%s has %d items, at most %d allowed", el.name, c, el.max), "."+el.name)
		case el.max == 0 && c > 0 && !prohibitedByInvariant(el):
			w.addAt(SeverityError, CodeStructure, fmt.Sprintf("%s is not allowed here", el.name), "."+el.name)
		}
	}
	w.invariants(obj, n, f, ctx, inContained)
}

// itemCount is how many items a JSON property value stands for.
func itemCount(v jval) int32 {
	switch v.kind() {
	case jArray:
		return int32(v.len())
	case jNull:
		return 0
	}
	return 1
}

// twoVariants reports a choice element with more than one variant.
func (w *walker) twoVariants(obj jval, el *elem) {
	var names []string
	for _, f := range el.fields {
		if obj.get(f.name).ok() {
			names = append(names, f.name)
		} else if obj.get(f.extName).ok() {
			names = append(names, f.extName)
		}
	}
	if len(names) < 2 {
		return // value and _value of one variant
	}
	w.addAt(SeverityError, CodeStructure, fmt.Sprintf("only one variant of %s[x] is allowed, found %s", el.name, strings.Join(names, ", ")), "."+el.name+"[x]")
}

// prohibitedByInvariant reports elements whose max 0 is stated by an
// invariant (SimpleQuantity.comparator: sqty-1), reported there instead.
func prohibitedByInvariant(el *elem) bool { return el.name == "comparator" }

// value validates the JSON value of field f (the path already names it).
func (w *walker) value(val jval, f *field, ctx *resCtx, hasExt bool) {
	if f.elem.max != 1 {
		if val.kind() != jArray {
			w.add(SeverityError, CodeStructure, fmt.Sprintf("%s must be a JSON array (max %s)", f.name, maxString(f.elem.max)))
			return
		}
		if val.len() == 0 {
			w.add(SeverityError, CodeStructure, "empty arrays are not allowed")
			return
		}
		i := 0
		for item := val.first(); item.ok(); item = item.next() {
			mark := w.pushIndex(i)
			if item.kind() == jNull {
				if f.prim == primNone || !hasExt {
					w.add(SeverityError, CodeStructure, "null is not allowed in an array (except a primitive array aligned with its _ extensions)")
				}
			} else {
				w.single(item, f, ctx)
			}
			w.pop(mark)
			i++
		}
		return
	}
	switch val.kind() {
	case jArray:
		w.add(SeverityError, CodeStructure, fmt.Sprintf("%s must not be an array (max 1)", f.name))
		return
	case jNull:
		if f.prim == primNone || !hasExt {
			w.add(SeverityError, CodeStructure, "null values are not allowed")
		}
		return
	}
	w.single(val, f, ctx)
}

func maxString(m int) string {
	if m < 0 {
		return "*"
	}
	return strconv.Itoa(m)
}

// single validates one (non-array) value of field f.
func (w *walker) single(val jval, f *field, ctx *resCtx) {
	if f.prim != primNone {
		w.primitive(val, f.prim)
		if len(f.elem.constraints) > 0 {
			w.evalInvariants(invCtx{value: val, ctx: ctx}, nil, f)
		}
		s, isString := val.asString()
		if f.elem.vs != nil && f.prim == primCode && isString && !f.elem.vs.hasCode(s) {
			w.add(SeverityError, CodeCodeInvalid, fmt.Sprintf("code %q is not in the required value set %s", s, f.elem.vsURL))
		}
		if len(s) > 1 && s[0] == '#' && (f.prim == primCanonical || f.prim == primURI || f.prim == primURL) {
			ctx.noteLocalRef(s)
		}
		return
	}
	if val.kind() != jObject {
		w.add(SeverityError, CodeStructure, fmt.Sprintf("%s must be a JSON object (type %s)", f.name, f.typ))
		return
	}
	if f.isResource {
		rt := str(val, "resourceType")
		if f.targets != nil && rt != "" && !f.targets[rt] {
			w.add(SeverityError, CodeStructure, fmt.Sprintf("a %s is not allowed here (expected %s)", rt, keys(f.targets)))
			return
		}
		if f.name == "contained" {
			w.resource(val, ctx, ctx.bundle)
		} else {
			w.resource(val, nil, ctx.bundle)
		}
		return
	}
	w.object(val, f.node, f, ctx, false)
	if f.elem.vs != nil {
		switch f.typ {
		case "Coding":
			w.checkCoding(val, f.elem)
		case "CodeableConcept":
			w.checkCodeableConcept(val, f.elem)
		}
	}
	if f.typ == "Reference" {
		w.checkReference(val, f, ctx)
	}
}

func (ctx *resCtx) noteLocalRef(ref string) {
	if ctx.localRefs == nil {
		ctx.localRefs = map[string]bool{}
	}
	ctx.localRefs[ref] = true
}

func keys(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return strings.Join(ks, " | ")
}

// primitiveExtension validates "_name": an Element (id, extension) or, for
// repeating primitives, an array of them aligned with the values.
func (w *walker) primitiveExtension(key string, val jval, f *field, values jval, ctx *resCtx) {
	mark := w.push(key)
	defer w.pop(mark)
	if f.elem.max != 1 {
		if val.kind() != jArray {
			w.add(SeverityError, CodeStructure, key+" must be an array aligned with "+f.name)
			return
		}
		var v jval // values' item aligned with item, if any
		if values.kind() == jArray {
			if values.len() != val.len() {
				w.add(SeverityError, CodeStructure, fmt.Sprintf("%s has %d items but %s has %d", key, val.len(), f.name, values.len()))
			}
			v = values.first()
		}
		i := 0
		for item := val.first(); item.ok(); item, i = item.next(), i+1 {
			aligned := v
			if v.ok() {
				v = v.next()
			}
			if item.kind() == jNull {
				if aligned.kind() <= jNull {
					im := w.pushIndex(i)
					w.add(SeverityError, CodeStructure, "a repeating primitive item must have a value or extensions")
					w.pop(im)
				}
				continue
			}
			im := w.pushIndex(i)
			w.elementObject(item, ctx)
			w.pop(im)
		}
		return
	}
	w.elementObject(val, ctx)
}

func (w *walker) elementObject(val jval, ctx *resCtx) {
	if val.kind() != jObject {
		w.add(SeverityError, CodeStructure, "a primitive's extension holder must be a JSON object")
		return
	}
	w.object(val, w.m.element, nil, ctx, false)
}

func (w *walker) checkCoding(obj jval, el *elem) {
	sys, code := str(obj, "system"), str(obj, "code")
	if code == "" {
		w.add(SeverityError, CodeCodeInvalid, "a Coding bound to the required value set "+el.vsURL+" has no code")
		return
	}
	if !el.vs.hasCoding(sys, code) {
		w.add(SeverityError, CodeCodeInvalid, fmt.Sprintf("code %s#%s is not in the required value set %s", sys, code, el.vsURL))
	}
}

func (w *walker) checkCodeableConcept(obj jval, el *elem) {
	var seen []string
	if codings := obj.get("coding"); codings.kind() == jArray {
		for c := codings.first(); c.ok(); c = c.next() {
			sys, code := str(c, "system"), str(c, "code")
			if code != "" && el.vs.hasCoding(sys, code) {
				return
			}
			if code != "" {
				seen = append(seen, sys+"#"+code)
			}
		}
	}
	if len(seen) == 0 {
		w.add(SeverityError, CodeCodeInvalid, "no coding from the required value set "+el.vsURL)
		return
	}
	w.add(SeverityError, CodeCodeInvalid, fmt.Sprintf("none of the codes %s is in the required value set %s", strings.Join(seen, ", "), el.vsURL))
}
