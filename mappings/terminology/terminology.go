// Package terminology maps the clinic's local codes to standard codings
// (RxNorm, SNOMED CT, LOINC, UCUM) and back. The mapping is data, not code:
// terminology.json is embedded as the default table, and an integrator adds
// or overrides rows at run time with a file of the same format
// (--terminology FILE), read by Load and combined with Merge.
//
// # File format
//
// One JSON object:
//
//	{
//	  "format": "ivbridge-terminology/1",
//	  "description": "free text (optional)",
//	  "localSystems": {"substance": "urn:ivbridge:codesystem:substance", ...},
//	  "rows": [
//	    {"axis": "substance", "local": "lidocaine", "text": "lidocaine",
//	     "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "6387", "display": "lidocaine",
//	     "source": "[CPIC] cpicpgx/cpic-schema drug.sql"},
//	    {"axis": "substance", "local": "glutathione", "text": "glutathione",
//	     "source": "no confirmed RXCUI", "unverified": true}
//	  ]
//	}
//
// A row maps one local code of one axis. text (the clinic's wording) and
// source (where the code was verified, with the tags of
// shared/docs/domain.md) are required. system, code and display come
// together; a row without them is text only and must say "unverified":
// true. "unverified": true on a row with a code means the code is the
// nearest verified concept, not an exact equivalent. "preferred": true picks
// the row Reverse answers when several local codes of one axis share a
// standard code. "note" is free text. Unknown fields are errors.
//
// # Local code systems
//
// Every axis has a local code system (default urn:ivbridge:codesystem:<axis>)
// so an emitted CodeableConcept can carry the clinic's code as an extra
// coding. That makes the way back exact even where the standard coding is
// shared (left and right forearm are both SNOMED 14975008) or missing
// (unverified rows are text only).
//
// # Units
//
// The clinic's "unit" maps to the UCUM annotation {unit}, not [iU]: the
// clinic model does not say the unit is an international unit, and some
// products are dosed in USP or product-specific units; [iU] would state a
// meaning the source did not, while {unit} is valid UCUM that claims only a
// count of units. The row is marked unverified. mcg is UCUM ug and mEq is
// meq (UCUM codes are case-sensitive).
package terminology

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Axis is one kind of local code: the code lists of the clinic model, plus
// the fixed concepts the FHIR mappings need (route, dose form, observation
// codes, schedule periods).
type Axis string

// The axes of the default table.
const (
	Substance        Axis = "substance"         // RxNorm ingredients
	Condition        Axis = "condition"         // SNOMED CT disorders and findings
	Site             Axis = "site"              // SNOMED CT body structures
	Route            Axis = "route"             // SNOMED CT route: "intravenous"
	DoseForm         Axis = "dose_form"         // SNOMED CT dose form: "injection_solution"
	Manifestation    Axis = "manifestation"     // SNOMED CT clinical findings
	ReactionCategory Axis = "reaction_category" // SNOMED CT findings where one exists
	StatusReason     Axis = "status_reason"     // administration status reasons
	Unit             Axis = "unit"              // UCUM
	Period           Axis = "period"            // UCUM units of time for schedule periods
	Observation      Axis = "observation"       // LOINC: "pain_score", "body_weight"
)

// Axes lists every axis a table file may use.
func Axes() []Axis {
	return []Axis{Substance, Condition, Site, Route, DoseForm, Manifestation, ReactionCategory, StatusReason, Unit,
		Period, Observation}
}

// Code system URIs of the standard codings.
const (
	SystemRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SystemSNOMED = "http://snomed.info/sct"
	SystemLOINC  = "http://loinc.org"
	SystemUCUM   = "http://unitsofmeasure.org"
)

// Format is the value of the "format" member of a table file.
const Format = "ivbridge-terminology/1"

// Coding is the standard coding of one local code. System, Code and
// Display are empty for a text-only row. Text is the clinic's wording, for
// CodeableConcept.text. Source names where the code was verified.
// Unverified is true when the code is only the nearest verified concept or
// there is no code at all.
type Coding struct {
	System     string
	Code       string
	Display    string
	Text       string
	Source     string
	Unverified bool
}

// HasCode reports whether the coding carries a standard code (it is not
// text only).
func (c Coding) HasCode() bool { return c.Code != "" }

// UnmappedError reports a code with no mapping: a local code with no row
// (Lookup) or a coding that maps to no local code (Reverse). System is
// empty for a local code.
type UnmappedError struct {
	Axis   Axis
	System string
	Code   string
}

// Error names the axis and the code.
func (e *UnmappedError) Error() string {
	if e.System == "" {
		return fmt.Sprintf("terminology: no mapping for %s code %q", e.Axis, e.Code)
	}
	return fmt.Sprintf("terminology: no %s maps to %s|%s", e.Axis, e.System, e.Code)
}

// AmbiguousError reports a standard coding that several local codes of an
// axis map to, none of them preferred: Reverse cannot choose.
type AmbiguousError struct {
	Axis   Axis
	System string
	Code   string
	Locals []string
}

// Error names the coding and the candidates.
func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("terminology: %s|%s is ambiguous on %s: it maps back to %s", e.System, e.Code, e.Axis,
		strings.Join(e.Locals, ", "))
}

// Row is one mapping as written in a table file.
type Row struct {
	Axis       Axis   `json:"axis"`
	Local      string `json:"local"`
	Text       string `json:"text"`
	System     string `json:"system,omitempty"`
	Code       string `json:"code,omitempty"`
	Display    string `json:"display,omitempty"`
	Source     string `json:"source"`
	Unverified bool   `json:"unverified,omitempty"`
	Preferred  bool   `json:"preferred,omitempty"`
	Note       string `json:"note,omitempty"`
}

type file struct {
	Format       string          `json:"format"`
	Description  string          `json:"description,omitempty"`
	LocalSystems map[Axis]string `json:"localSystems,omitempty"`
	Rows         []Row           `json:"rows"`
}

type key struct {
	axis  Axis
	local string
}

type stdKey struct {
	axis         Axis
	system, code string
}

// Table is an immutable set of mappings; it is safe for concurrent use.
type Table struct {
	rows         map[key]Row
	order        []key // file order, for Rows
	localSystems map[Axis]string
	reverse      map[stdKey][]string // local codes per standard coding, sorted
}

//go:embed terminology.json
var defaultData []byte

// defaultTable parses the embedded file once; the result is never
// modified, so sharing it is safe.
var defaultTable = sync.OnceValue(func() *Table {
	t, err := Load(bytes.NewReader(defaultData))
	if err != nil {
		panic(fmt.Sprintf("terminology: embedded terminology.json is invalid: %v", err))
	}
	return t
})

// Default returns the table of the embedded terminology.json.
func Default() *Table { return defaultTable() }

// DefaultData returns a copy of the embedded terminology.json, e.g. to
// start an override file from.
func DefaultData() []byte { return bytes.Clone(defaultData) }

// LoadError reports what is wrong with a table file; Row is the 0-based
// index of the offending row, -1 for the file as a whole.
type LoadError struct {
	Row   int
	Field string
	Err   error
}

// Error names the row and field.
func (e *LoadError) Error() string {
	if e.Row < 0 {
		if e.Field == "" {
			return "terminology file: " + e.Err.Error()
		}
		return fmt.Sprintf("terminology file: %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("terminology file: rows[%d].%s: %v", e.Row, e.Field, e.Err)
}

// Unwrap returns the cause.
func (e *LoadError) Unwrap() error { return e.Err }

// Load reads and checks a table file. Every problem is reported, joined
// with errors.Join, as *LoadError values naming the row and field.
func Load(r io.Reader) (*Table, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, &LoadError{Row: -1, Err: fmt.Errorf("not a terminology file: %w", err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &LoadError{Row: -1, Err: errors.New("data after the end of the table")}
	}
	var errs []error
	fail := func(row int, field, format string, args ...any) {
		errs = append(errs, &LoadError{Row: row, Field: field, Err: fmt.Errorf(format, args...)})
	}
	if f.Format != Format {
		fail(-1, "format", "must be %q, got %q", Format, f.Format)
	}
	t := &Table{rows: map[key]Row{}, localSystems: map[Axis]string{}, reverse: map[stdKey][]string{}}
	for axis, sys := range f.LocalSystems {
		if !slices.Contains(Axes(), axis) {
			fail(-1, "localSystems", "unknown axis %q", axis)
			continue
		}
		if !absoluteURI(sys) {
			fail(-1, "localSystems."+string(axis), "%q is not an absolute URI", sys)
			continue
		}
		t.localSystems[axis] = sys
	}
	for i, row := range f.Rows {
		n := len(errs)
		checkRow(i, row, fail)
		if len(errs) > n {
			continue
		}
		k := key{row.Axis, row.Local}
		if _, dup := t.rows[k]; dup {
			fail(i, "local", "%s code %q appears twice", row.Axis, row.Local)
			continue
		}
		t.rows[k] = row
		t.order = append(t.order, k)
	}
	t.index()
	for sk := range t.reverse {
		if sys, ok := t.localSystems[sk.axis]; ok && sys == sk.system {
			fail(-1, "localSystems."+string(sk.axis), "%q is also the system of a standard coding on that axis", sys)
			delete(t.localSystems, sk.axis)
		}
	}
	for _, a := range t.conflicts() {
		fail(-1, "rows", "%s|%s on %s: more than one of %s is preferred", a.System, a.Code, a.Axis,
			strings.Join(a.Locals, ", "))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

func checkRow(i int, row Row, fail func(int, string, string, ...any)) {
	if !slices.Contains(Axes(), row.Axis) {
		fail(i, "axis", "unknown axis %q (one of %v)", row.Axis, Axes())
	}
	if row.Local == "" || strings.TrimSpace(row.Local) != row.Local || strings.ContainsAny(row.Local, " \t\r\n") {
		fail(i, "local", "must be a code without white space, got %q", row.Local)
	}
	if strings.TrimSpace(row.Text) == "" {
		fail(i, "text", "is required")
	}
	if strings.TrimSpace(row.Source) == "" {
		fail(i, "source", "is required: say where the code was verified, or why there is none")
	}
	hasAny := row.System != "" || row.Code != "" || row.Display != ""
	switch {
	case !hasAny && !row.Unverified:
		fail(i, "unverified", "a row without system/code must be marked unverified")
	case !hasAny && row.Preferred:
		fail(i, "preferred", "a text-only row cannot be preferred")
	case hasAny:
		if !absoluteURI(row.System) {
			fail(i, "system", "must be an absolute URI, got %q", row.System)
		}
		if strings.TrimSpace(row.Code) == "" || strings.TrimSpace(row.Code) != row.Code {
			fail(i, "code", "is required with system and must not have surrounding white space")
		}
		if strings.TrimSpace(row.Display) == "" {
			fail(i, "display", "is required with system and code")
		}
	}
}

func absoluteURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Opaque != "" || u.Host != "") && !strings.ContainsAny(s, " \t\r\n")
}

// index rebuilds the reverse index.
func (t *Table) index() {
	t.reverse = map[stdKey][]string{}
	for _, k := range t.order {
		row := t.rows[k]
		if row.Code == "" {
			continue
		}
		sk := stdKey{row.Axis, row.System, row.Code}
		t.reverse[sk] = append(t.reverse[sk], row.Local)
	}
	for _, l := range t.reverse {
		sort.Strings(l)
	}
}

// preferred returns those of the local codes of an axis whose rows are
// marked preferred.
func (t *Table) preferred(axis Axis, locals []string) []string {
	var pref []string
	for _, l := range locals {
		if t.rows[key{axis, l}].Preferred {
			pref = append(pref, l)
		}
	}
	return pref
}

// conflicts lists standard codings with more than one preferred row.
func (t *Table) conflicts() []AmbiguousError {
	var out []AmbiguousError
	for sk, locals := range t.reverse {
		if pref := t.preferred(sk.axis, locals); len(pref) > 1 {
			out = append(out, AmbiguousError{Axis: sk.axis, System: sk.system, Code: sk.code, Locals: pref})
		}
	}
	sortAmbiguities(out)
	return out
}

func sortAmbiguities(a []AmbiguousError) {
	sort.Slice(a, func(i, j int) bool {
		if a[i].Axis != a[j].Axis {
			return a[i].Axis < a[j].Axis
		}
		if a[i].System != a[j].System {
			return a[i].System < a[j].System
		}
		return a[i].Code < a[j].Code
	})
}

// Merge returns a new table with the rows of t, each replaced by the row of
// over with the same axis and local code, plus the rows only over has; the
// local systems of over replace those of t. Neither table changes. A
// standard coding that ends up preferred by two rows is left ambiguous
// (Reverse reports it); Load of the override file has already checked it on
// its own.
func (t *Table) Merge(over *Table) *Table {
	m := &Table{rows: map[key]Row{}, localSystems: map[Axis]string{}}
	for _, src := range []*Table{t, over} {
		if src == nil {
			continue
		}
		for _, k := range src.order {
			if _, ok := m.rows[k]; !ok {
				m.order = append(m.order, k)
			}
			m.rows[k] = src.rows[k]
		}
		for a, s := range src.localSystems {
			m.localSystems[a] = s
		}
	}
	m.index()
	return m
}

// Lookup returns the standard coding of a local code. A text-only row gives
// a Coding with no code and Unverified set; the caller emits the text (and
// the local coding). An unknown code gives *UnmappedError.
func (t *Table) Lookup(axis Axis, local string) (Coding, error) {
	row, ok := t.rows[key{axis, local}]
	if !ok {
		return Coding{}, &UnmappedError{Axis: axis, Code: local}
	}
	return Coding{System: row.System, Code: row.Code, Display: row.Display, Text: row.Text, Source: row.Source,
		Unverified: row.Unverified}, nil
}

// LocalSystem returns the URI of the axis' local code system:
// the file's localSystems entry or urn:ivbridge:codesystem:<axis>.
func (t *Table) LocalSystem(axis Axis) string {
	if s, ok := t.localSystems[axis]; ok {
		return s
	}
	return "urn:ivbridge:codesystem:" + string(axis)
}

// LocalCoding returns the coding of the local code in the axis' local code
// system, with the clinic's text as display, to be emitted beside the
// standard coding. An unknown code gives *UnmappedError.
func (t *Table) LocalCoding(axis Axis, local string) (Coding, error) {
	row, ok := t.rows[key{axis, local}]
	if !ok {
		return Coding{}, &UnmappedError{Axis: axis, Code: local}
	}
	return Coding{System: t.LocalSystem(axis), Code: local, Display: row.Text, Text: row.Text,
		Source: "clinic model (shared/clinic-model)"}, nil
}

// Reverse maps a coding back to a local code: a coding in the axis' local
// system gives its code (when the table has it); a standard coding gives
// the one local code mapped to it, or the preferred one when several are.
// It returns *UnmappedError when nothing maps and *AmbiguousError when
// several local codes share the coding and none is preferred (callers then
// look for the local coding or the text).
func (t *Table) Reverse(axis Axis, system, code string) (string, error) {
	if system == t.LocalSystem(axis) {
		if _, ok := t.rows[key{axis, code}]; ok {
			return code, nil
		}
		return "", &UnmappedError{Axis: axis, System: system, Code: code}
	}
	locals := t.reverse[stdKey{axis, system, code}]
	switch len(locals) {
	case 0:
		return "", &UnmappedError{Axis: axis, System: system, Code: code}
	case 1:
		return locals[0], nil
	}
	// Exactly one preferred row decides; two (possible after Merge) are as
	// ambiguous as none, and Ambiguities lists the coding either way.
	if pref := t.preferred(axis, locals); len(pref) == 1 {
		return pref[0], nil
	}
	return "", &AmbiguousError{Axis: axis, System: system, Code: code, Locals: slices.Clone(locals)}
}

// Ambiguities lists every standard coding that Reverse cannot resolve:
// several local codes of one axis share it and none (or more than one) is
// preferred. Sorted by axis, system, code.
func (t *Table) Ambiguities() []AmbiguousError {
	var out []AmbiguousError
	for sk, locals := range t.reverse {
		if len(locals) < 2 {
			continue
		}
		if len(t.preferred(sk.axis, locals)) != 1 {
			out = append(out, AmbiguousError{Axis: sk.axis, System: sk.system, Code: sk.code, Locals: slices.Clone(locals)})
		}
	}
	sortAmbiguities(out)
	return out
}

// Codes lists the local codes of an axis in file order.
func (t *Table) Codes(axis Axis) []string {
	var out []string
	for _, k := range t.order {
		if k.axis == axis {
			out = append(out, k.local)
		}
	}
	return out
}

// Rows returns a copy of every row in file order (overrides in place,
// additions last).
func (t *Table) Rows() []Row {
	out := make([]Row, 0, len(t.order))
	for _, k := range t.order {
		out = append(out, t.rows[k])
	}
	return out
}
