package conformance

import (
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// invCtx is what an invariant sees: the object the invariant is declared
// on, the resource context, and whether the resource is contained.
type invCtx struct {
	obj         jval
	value       jval // the value, for invariants declared on a primitive
	ctx         *resCtx
	inContained bool
}

// invariantFunc reports whether the invariant is violated.
type invariantFunc func(ic *invCtx) bool

const (
	ucum             = "http://unitsofmeasure.org"
	allergyVerSystem = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	condVerSystem    = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	condClinSystem   = "http://terminology.hl7.org/CodeSystem/condition-clinical"
)

// invariants maps an invariant id to its implementation. Each is written
// from the FHIRPath expression in the R4 definitions; the severity and the
// human text come from the generated tables.
var invariants = map[string]invariantFunc{
	// Element, Extension, Reference, Narrative.
	"ext-1": func(ic *invCtx) bool { return has(ic.obj, "extension") == hasPrefixKey(ic.obj, "value") },
	"txt-1": func(ic *invCtx) bool { s, _ := ic.value.asString(); return narrativeActiveContent(s) },
	"txt-2": func(ic *invCtx) bool { s, _ := ic.value.asString(); return !narrativeHasContent(s) },
	// DomainResource (evaluated on the container).
	"dom-2": func(ic *invCtx) bool {
		return anyContained(ic.obj, func(c jval) bool { return has(c, "contained") })
	},
	"dom-3": func(ic *invCtx) bool {
		if ic.inContained {
			return false
		}
		return anyContained(ic.obj, func(c jval) bool {
			id := str(c, "id")
			referenced := id != "" && ic.ctx.localRefs["#"+id]
			return !referenced && !refersToContainer(c)
		})
	},
	"dom-4": func(ic *invCtx) bool {
		return anyContained(ic.obj, func(c jval) bool {
			m := obj(c, "meta")
			return has(m, "versionId") || has(m, "lastUpdated")
		})
	},
	"dom-5": func(ic *invCtx) bool {
		return anyContained(ic.obj, func(c jval) bool { return has(obj(c, "meta"), "security") })
	},
	// Datatypes.
	"per-1": func(ic *invCtx) bool { return periodReversed(str(ic.obj, "start"), str(ic.obj, "end")) },
	"rat-1": func(ic *invCtx) bool {
		n, d := has(ic.obj, "numerator"), has(ic.obj, "denominator")
		return n != d || (!n && !has(ic.obj, "extension"))
	},
	"qty-3":  func(ic *invCtx) bool { return has(ic.obj, "code") && !has(ic.obj, "system") },
	"sqty-1": func(ic *invCtx) bool { return has(ic.obj, "comparator") },
	"drt-1": func(ic *invCtx) bool {
		return has(ic.obj, "code") && (str(ic.obj, "system") != ucum || !has(ic.obj, "value"))
	},
	"age-1": func(ic *invCtx) bool {
		v, ok := num(ic.obj, "value")
		return !(has(ic.obj, "code") || !has(ic.obj, "value")) ||
			(has(ic.obj, "system") && str(ic.obj, "system") != ucum) ||
			(ok && v <= 0)
	},
	"cnt-3": func(ic *invCtx) bool {
		n, _ := ic.obj.get("value").numberText()
		return !(has(ic.obj, "code") || !has(ic.obj, "value")) ||
			(has(ic.obj, "system") && str(ic.obj, "system") != ucum) ||
			(has(ic.obj, "code") && str(ic.obj, "code") != "1") ||
			strings.ContainsAny(n, ".eE")
	},
	"dis-1": func(ic *invCtx) bool {
		return !(has(ic.obj, "code") || !has(ic.obj, "value")) ||
			(has(ic.obj, "system") && str(ic.obj, "system") != ucum)
	},
	"rng-2": func(ic *invCtx) bool {
		lo, hi := obj(ic.obj, "low"), obj(ic.obj, "high")
		l, ok1 := num(lo, "value")
		h, ok2 := num(hi, "value")
		if !ok1 || !ok2 || str(lo, "code") != str(hi, "code") || str(lo, "unit") != str(hi, "unit") && str(lo, "code") == "" {
			return false
		}
		return l > h
	},
	"cpt-2": func(ic *invCtx) bool { return has(ic.obj, "value") && !has(ic.obj, "system") },
	"att-1": func(ic *invCtx) bool { return has(ic.obj, "data") && !has(ic.obj, "contentType") },
	"tim-1": func(ic *invCtx) bool { return has(ic.obj, "duration") && !has(ic.obj, "durationUnit") },
	"tim-2": func(ic *invCtx) bool { return has(ic.obj, "period") && !has(ic.obj, "periodUnit") },
	"tim-4": func(ic *invCtx) bool { v, ok := num(ic.obj, "duration"); return ok && v < 0 },
	"tim-5": func(ic *invCtx) bool { v, ok := num(ic.obj, "period"); return ok && v < 0 },
	"tim-6": func(ic *invCtx) bool { return has(ic.obj, "periodMax") && !has(ic.obj, "period") },
	"tim-7": func(ic *invCtx) bool { return has(ic.obj, "durationMax") && !has(ic.obj, "duration") },
	"tim-8": func(ic *invCtx) bool { return has(ic.obj, "countMax") && !has(ic.obj, "count") },
	"tim-9": func(ic *invCtx) bool {
		if !has(ic.obj, "offset") {
			return false
		}
		when := strs(ic.obj, "when")
		if len(when) == 0 {
			return true
		}
		return slices.ContainsFunc(when, func(w string) bool { return w == "C" || w == "CM" || w == "CD" || w == "CV" })
	},
	"tim-10": func(ic *invCtx) bool { return has(ic.obj, "timeOfDay") && has(ic.obj, "when") },
	// Resources ivbridge reads or writes.
	"mad-1": func(ic *invCtx) bool { return !has(ic.obj, "dose") && !hasPrefixKey(ic.obj, "rate") },
	"ait-1": func(ic *invCtx) bool {
		return !hasCoding(obj(ic.obj, "verificationStatus"), allergyVerSystem, "entered-in-error") && !has(ic.obj, "clinicalStatus")
	},
	"ait-2": func(ic *invCtx) bool {
		return hasCoding(obj(ic.obj, "verificationStatus"), allergyVerSystem, "entered-in-error") && has(ic.obj, "clinicalStatus")
	},
	"con-1": func(ic *invCtx) bool { return !has(ic.obj, "summary") && !has(ic.obj, "assessment") },
	"con-2": func(ic *invCtx) bool { return !has(ic.obj, "code") && !has(ic.obj, "detail") },
	// con-3 as intended (the R4 FHIRPath compares a CodeableConcept with a
	// string): a problem-list item that is not entered-in-error should have
	// a clinical status.
	"con-3": func(ic *invCtx) bool {
		if has(ic.obj, "clinicalStatus") || hasCoding(obj(ic.obj, "verificationStatus"), condVerSystem, "entered-in-error") {
			return false
		}
		for c := range objs(ic.obj, "category") {
			for cd := range objs(c, "coding") {
				if str(cd, "code") == "problem-list-item" {
					return true
				}
			}
		}
		return false
	},
	"con-4": func(ic *invCtx) bool {
		if !hasPrefixKey(ic.obj, "abatement") {
			return false
		}
		cs := obj(ic.obj, "clinicalStatus")
		return !hasCoding(cs, condClinSystem, "resolved") && !hasCoding(cs, condClinSystem, "remission") && !hasCoding(cs, condClinSystem, "inactive")
	},
	"con-5": func(ic *invCtx) bool {
		return hasCoding(obj(ic.obj, "verificationStatus"), condVerSystem, "entered-in-error") && has(ic.obj, "clinicalStatus")
	},
	"obs-3": func(ic *invCtx) bool {
		return !has(ic.obj, "low") && !has(ic.obj, "high") && !has(ic.obj, "text")
	},
	"obs-6": func(ic *invCtx) bool { return has(ic.obj, "dataAbsentReason") && hasPrefixKey(ic.obj, "value") },
	"obs-7": func(ic *invCtx) bool {
		if !hasPrefixKey(ic.obj, "value") {
			return false
		}
		codes := objs(obj(ic.obj, "code"), "coding")
		for comp := range objs(ic.obj, "component") {
			for cc := range objs(obj(comp, "code"), "coding") {
				for oc := range codes {
					if str(cc, "system") == str(oc, "system") && str(cc, "code") == str(oc, "code") && str(cc, "code") != "" {
						return true
					}
				}
			}
		}
		return false
	},
	"pat-1": func(ic *invCtx) bool {
		return !has(ic.obj, "name") && !has(ic.obj, "telecom") && !has(ic.obj, "address") && !has(ic.obj, "organization")
	},
	"inv-1": func(ic *invCtx) bool {
		part, value, res := has(ic.obj, "part"), hasPrefixKey(ic.obj, "value"), has(ic.obj, "resource")
		ok := (part && !value && !res) || (!part && value != res)
		return !ok
	},
	// Bundle.
	"bdl-1": func(ic *invCtx) bool {
		t := str(ic.obj, "type")
		return has(ic.obj, "total") && t != "searchset" && t != "history"
	},
	"bdl-2": func(ic *invCtx) bool {
		if str(ic.obj, "type") == "searchset" {
			return false
		}
		return anyObj(objs(ic.obj, "entry"), func(e jval) bool { return has(e, "search") })
	},
	"bdl-3": func(ic *invCtx) bool {
		t := str(ic.obj, "type")
		want := t == "batch" || t == "transaction" || t == "history"
		return anyObj(objs(ic.obj, "entry"), func(e jval) bool { return has(e, "request") != want })
	},
	"bdl-4": func(ic *invCtx) bool {
		t := str(ic.obj, "type")
		want := t == "batch-response" || t == "transaction-response" || t == "history"
		return anyObj(objs(ic.obj, "entry"), func(e jval) bool { return has(e, "response") != want })
	},
	"bdl-5": func(ic *invCtx) bool {
		return !has(ic.obj, "resource") && !has(ic.obj, "request") && !has(ic.obj, "response")
	},
	"bdl-7": func(ic *invCtx) bool {
		if str(ic.obj, "type") == "history" {
			return false
		}
		seen := map[[2]string]bool{}
		for e := range objs(ic.obj, "entry") {
			fu := str(e, "fullUrl")
			if fu == "" {
				continue
			}
			k := [2]string{fu, str(obj(obj(e, "resource"), "meta"), "versionId")}
			if seen[k] {
				return true
			}
			seen[k] = true
		}
		return false
	},
	"bdl-8": func(ic *invCtx) bool { return strings.Contains(str(ic.obj, "fullUrl"), "/_history/") },
	"bdl-9": func(ic *invCtx) bool {
		id := obj(ic.obj, "identifier")
		return str(ic.obj, "type") == "document" && (!has(id, "system") || !has(id, "value"))
	},
	"bdl-10": func(ic *invCtx) bool { return str(ic.obj, "type") == "document" && !has(ic.obj, "timestamp") },
	"bdl-11": func(ic *invCtx) bool {
		return str(ic.obj, "type") == "document" && firstEntryType(ic.obj) != "Composition"
	},
	"bdl-12": func(ic *invCtx) bool {
		return str(ic.obj, "type") == "message" && firstEntryType(ic.obj) != "MessageHeader"
	},
	// CapabilityStatement.
	"cpb-1": func(ic *invCtx) bool {
		return !has(ic.obj, "rest") && !has(ic.obj, "messaging") && !has(ic.obj, "document")
	},
	"cpb-2": func(ic *invCtx) bool {
		return !has(ic.obj, "description") && !has(ic.obj, "software") && !has(ic.obj, "implementation")
	},
	"cpb-3": func(ic *invCtx) bool {
		if str(ic.obj, "kind") == "instance" {
			return false
		}
		return anyObj(objs(ic.obj, "messaging"), func(m jval) bool { return has(m, "endpoint") })
	},
	"cpb-7": func(ic *invCtx) bool {
		return duplicated(objs(ic.obj, "document"), func(d jval) string { return str(d, "profile") + "\x00" + str(d, "mode") })
	},
	"cpb-9": func(ic *invCtx) bool {
		return duplicated(objs(ic.obj, "resource"), func(r jval) string { return str(r, "type") })
	},
	"cpb-12": func(ic *invCtx) bool {
		return duplicated(objs(ic.obj, "searchParam"), func(p jval) string { return str(p, "name") })
	},
	"cpb-14": func(ic *invCtx) bool { return str(ic.obj, "kind") == "instance" && !has(ic.obj, "implementation") },
	"cpb-15": func(ic *invCtx) bool {
		return str(ic.obj, "kind") == "capability" && (has(ic.obj, "implementation") || !has(ic.obj, "software"))
	},
	"cpb-16": func(ic *invCtx) bool {
		return str(ic.obj, "kind") == "requirements" && (has(ic.obj, "implementation") || has(ic.obj, "software"))
	},
}

// ImplementedInvariants returns the ids of the R4 invariants the validator
// evaluates (as code, not FHIRPath), sorted; ele-1 and ref-1 are checked
// structurally and included, txt-1 only for active content (scripts, event
// handlers, javascript: URLs). Invariants of the definitions not listed here
// (dom-6, drq-*, trd-*, exp-1, and those of resources ivbridge does not use)
// are not evaluated.
func ImplementedInvariants() []string {
	ks := []string{"ele-1", "ref-1"}
	for k := range invariants {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// invariants evaluates the invariants declared on the element holding obj
// (f) and on its node's type, each once.
func (w *walker) invariants(o jval, n *node, f *field, ctx *resCtx, inContained bool) {
	w.evalInvariants(invCtx{obj: o, ctx: ctx, inContained: inContained}, n, f)
}

// evalInvariants runs the implemented invariants of f's element and of
// node n (nil for a primitive), each key once.
func (w *walker) evalInvariants(ic invCtx, n *node, f *field) {
	var fi, ni []boundInvariant
	if f != nil {
		fi = f.elem.invs
	}
	if n != nil {
		ni = n.invs
	}
	if len(fi) == 0 && len(ni) == 0 {
		return
	}
	// The context lives in the walker so passing it to the (indirect)
	// invariant functions does not allocate.
	w.ic = ic
	for _, b := range fi {
		if b.fn(&w.ic) {
			w.add(b.severity, CodeInvariant, b.key+": "+b.human)
		}
	}
outer:
	for _, b := range ni {
		for _, d := range fi {
			if d.key == b.key {
				continue outer
			}
		}
		if b.fn(&w.ic) {
			w.add(b.severity, CodeInvariant, b.key+": "+b.human)
		}
	}
}

// Small accessors over the parsed tree; a missing or wrongly typed value
// reads as absent.

// has reports whether o has a member k or its extension "_k".
func has(o jval, k string) bool {
	if o.kind() != jObject {
		return false
	}
	for m := o.first(); m.ok(); m = m.next() {
		key := m.key()
		if key == k || len(key) == len(k)+1 && key[0] == '_' && key[1:] == k {
			return true
		}
	}
	return false
}

// hasPrefixKey reports whether o has a member (or "_" member) named prefix
// or prefix followed by an upper-case letter: a choice element's variant.
func hasPrefixKey(o jval, prefix string) bool {
	if o.kind() != jObject {
		return false
	}
	for m := o.first(); m.ok(); m = m.next() {
		k := strings.TrimPrefix(m.key(), "_")
		if len(k) > len(prefix) && strings.HasPrefix(k, prefix) && k[len(prefix)] >= 'A' && k[len(prefix)] <= 'Z' {
			return true
		}
		if k == prefix {
			return true
		}
	}
	return false
}

// str returns the string member k of o, or "".
func str(o jval, k string) string {
	s, _ := o.get(k).asString()
	return s
}

// strs returns the strings of member k of o: its string items, or the
// member itself when it is a string.
func strs(o jval, k string) []string {
	var out []string
	switch v := o.get(k); v.kind() {
	case jArray:
		for x := v.first(); x.ok(); x = x.next() {
			if s, ok := x.asString(); ok {
				out = append(out, s)
			}
		}
	case jString:
		s, _ := v.asString()
		out = append(out, s)
	}
	return out
}

// obj returns the object member k of o, or the zero jval.
func obj(o jval, k string) jval {
	if v := o.get(k); v.kind() == jObject {
		return v
	}
	return jval{}
}

// objs yields the objects of member k of o: the object items of an array,
// or the member itself when it is an object.
func objs(o jval, k string) iter.Seq[jval] {
	return func(yield func(jval) bool) {
		switch v := o.get(k); v.kind() {
		case jArray:
			for x := v.first(); x.ok(); x = x.next() {
				if x.kind() == jObject && !yield(x) {
					return
				}
			}
		case jObject:
			yield(v)
		}
	}
}

// anyObj reports whether pred holds for any of seq.
func anyObj(seq iter.Seq[jval], pred func(jval) bool) bool {
	for x := range seq {
		if pred(x) {
			return true
		}
	}
	return false
}

// num returns the numeric member k of o.
func num(o jval, k string) (float64, bool) {
	text, ok := o.get(k).numberText()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(text, 64)
	return f, err == nil
}

func hasCoding(cc jval, system, code string) bool {
	return anyObj(objs(cc, "coding"), func(c jval) bool { return str(c, "system") == system && str(c, "code") == code })
}

func anyContained(o jval, pred func(jval) bool) bool {
	return anyObj(objs(o, "contained"), pred)
}

// duplicated reports whether two of items have the same key.
func duplicated(items iter.Seq[jval], key func(jval) string) bool {
	seen := map[string]bool{}
	for it := range items {
		k := key(it)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

// firstEntryType is the resourceType of the first entry of a Bundle that
// is an object.
func firstEntryType(bundle jval) string {
	for e := range objs(bundle, "entry") {
		return str(obj(e, "resource"), "resourceType")
	}
	return ""
}

// refersToContainer reports whether v holds a reference "#" (to the
// containing resource) anywhere.
func refersToContainer(v jval) bool {
	switch v.kind() {
	case jObject:
		if s, ok := v.get("reference").asString(); ok && s == "#" {
			return true
		}
		fallthrough
	case jArray:
		for c := v.first(); c.ok(); c = c.next() {
			if refersToContainer(c) {
				return true
			}
		}
	}
	return false
}

// forbiddenNarrativeElements are the elements outside txt-1's basic HTML
// that make a narrative active or change the page around it.
var forbiddenNarrativeElements = map[string]bool{
	"script": true, "style": true, "object": true, "embed": true, "iframe": true, "frame": true,
	"frameset": true, "applet": true, "form": true, "input": true, "button": true, "select": true,
	"textarea": true, "option": true, "base": true, "link": true, "meta": true, "head": true,
	"body": true, "html": true, "title": true, "noscript": true, "param": true, "svg": true,
	"math": true, "audio": true, "video": true, "source": true, "canvas": true, "template": true,
}

// narrativeActiveContent implements the security-relevant part of txt-1:
// it reports script-capable elements, event-handler attributes (on…) and
// javascript:/vbscript:/data: URLs other than data: images. The allow-list
// of formatting elements itself is not enforced.
func narrativeActiveContent(div string) bool {
	lower := strings.ToLower(div)
	for i := 0; i < len(lower); i++ {
		if lower[i] != '<' {
			continue
		}
		j := i + 1
		if j < len(lower) && lower[j] == '/' {
			j++
		}
		k := j
		for k < len(lower) && (lower[k] >= 'a' && lower[k] <= 'z' || lower[k] >= '0' && lower[k] <= '9' || lower[k] == ':' || lower[k] == '-') {
			k++
		}
		if forbiddenNarrativeElements[lower[j:k]] {
			return true
		}
		end := strings.IndexByte(lower[k:], '>')
		if end < 0 {
			end = len(lower) - k
		}
		tag := lower[k : k+end]
		for _, attr := range strings.FieldsFunc(tag, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
			name, val, _ := strings.Cut(attr, "=")
			if strings.HasPrefix(name, "on") {
				return true
			}
			val = strings.Trim(val, `"' `)
			if strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "vbscript:") ||
				(strings.HasPrefix(val, "data:") && !strings.HasPrefix(val, "data:image/")) {
				return true
			}
		}
		i = k + end
	}
	return false
}

// narrativeHasContent implements txt-2: the div has some non-whitespace
// text, or an image.
func narrativeHasContent(div string) bool {
	if div == "" {
		return true // a missing div is reported by cardinality
	}
	if strings.Contains(div, "<img") {
		return true
	}
	in := false
	for _, r := range div {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in && r != ' ' && r != '\t' && r != '\n' && r != '\r':
			return true
		}
	}
	return false
}

// periodReversed reports whether start is certainly after end, comparing
// the earliest instant start can mean with the latest instant end can mean.
func periodReversed(start, end string) bool {
	if start == "" || end == "" {
		return false
	}
	s, ok1 := parseDate(start, true)
	e, ok2 := parseDate(end, true)
	if !ok1 || !ok2 {
		return false
	}
	lo, _ := s.bounds()
	_, hi := e.bounds()
	return lo.After(hi)
}

// bounds returns the first and last instant a partial date/time can mean;
// dates without a zone are read in UTC with ±14h of slack.
func (t fhirTime) bounds() (time.Time, time.Time) {
	month, day := max(t.month, 1), max(t.day, 1)
	loc := time.UTC
	slack := time.Duration(0)
	if t.prec == precTime {
		loc = time.FixedZone("", t.tzMinutes*60)
	} else {
		slack = 14 * time.Hour
	}
	lo := time.Date(t.year, time.Month(month), day, t.hour, t.minute, t.second, 0, loc)
	var hi time.Time
	switch t.prec {
	case precYear:
		hi = lo.AddDate(1, 0, 0)
	case precMonth:
		hi = lo.AddDate(0, 1, 0)
	case precDay:
		hi = lo.AddDate(0, 0, 1)
	default:
		hi = lo.Add(time.Second)
	}
	return lo.Add(-slack), hi.Add(slack - time.Nanosecond)
}
