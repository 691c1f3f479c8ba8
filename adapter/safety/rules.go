// Package safety checks infusion plans and sessions for the clinical risks
// the clinic's own material names — doses outside literature bands or the
// plan's own cap, allergens in the blend, drug interactions, fluid overload
// and electrolyte risks in heart or kidney disease — and reports each
// finding as a FHIR DetectedIssue.
//
// The rules are data (rules.json, embedded; extended or overridden at run
// time with --rules FILE), not code branches: the code knows a handful of
// rule kinds, the data says which substances, thresholds, severities and
// sources apply.
package safety

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
)

//go:embed rules.json
var defaultRules []byte

// RulesFormat is the format tag every rules file carries.
const RulesFormat = "ivbridge-safety-rules/1"

// Severity of a finding, as in DetectedIssue.severity.
type Severity string

// The DetectedIssue severities (required binding detectedissue-severity).
const (
	High     Severity = "high"
	Moderate Severity = "moderate"
	Low      Severity = "low"
)

// Kind names what a rule looks at; each kind is one evaluator in the engine.
type Kind string

// The rule kinds the engine knows.
const (
	KindDoseBand              Kind = "dose_band"              // dose per session against a max (total or per kg)
	KindDoseRate              Kind = "dose_rate"              // dose per hour against a max (total or per kg)
	KindPerKgCap              Kind = "per_kg_cap"             // per-kg amount × weight against the plan's max_amount
	KindAdministeredDose      Kind = "administered_dose"      // dose given against dose planned, with a tolerance
	KindAdministeredUnplanned Kind = "administered_unplanned" // a substance given that the plan does not contain
	KindWeightChange          Kind = "weight_change"          // weight now against the plan's dosing weight
	KindAllergy               Kind = "allergy"                // a component against the patient's allergies
	KindInteraction           Kind = "interaction"            // substances together (in the blend or with other plans)
	KindFluidVolume           Kind = "fluid_volume"           // carrier volume per session/week with conditions
	KindFluidRate             Kind = "fluid_rate"             // infusion rate with conditions
	KindElectrolyte           Kind = "electrolyte"            // substances with conditions
)

var knownKinds = map[Kind]bool{
	KindDoseBand: true, KindDoseRate: true, KindPerKgCap: true, KindAdministeredDose: true,
	KindAdministeredUnplanned: true, KindWeightChange: true, KindAllergy: true, KindInteraction: true,
	KindFluidVolume: true, KindFluidRate: true, KindElectrolyte: true,
}

// Rule is one row of the rules file.
type Rule struct {
	ID          string   `json:"id"`
	Kind        Kind     `json:"kind"`
	Substances  []string `json:"substances,omitempty"`
	With        []string `json:"with,omitempty"`
	Conditions  []string `json:"conditions,omitempty"`
	Basis       string   `json:"basis,omitempty"` // "total" or "per_kg"
	Max         string   `json:"max,omitempty"`
	Unit        string   `json:"unit,omitempty"` // mass unit the max is in: mg, g or mcg
	Tolerance   string   `json:"tolerance_percent,omitempty"`
	MaxPerSess  string   `json:"max_ml_per_session,omitempty"`
	MaxPerWeek  string   `json:"max_ml_per_week,omitempty"`
	MaxPerHour  string   `json:"max_ml_per_hour,omitempty"`
	Severity    Severity `json:"severity"`
	Code        string   `json:"code"` // v3-ActCode detected issue code
	Detail      string   `json:"detail"`
	Source      string   `json:"source"`
	Disabled    bool     `json:"disabled,omitempty"`
	max         *big.Rat // parsed thresholds
	tolerance   *big.Rat
	maxSession  *big.Rat
	maxWeek     *big.Rat
	maxHour     *big.Rat
	substanceIn map[string]bool
	withIn      map[string]bool
}

// Rules is a validated rule set, keyed by rule id, with the displays of the
// detected issue codes its rules use.
type Rules struct {
	byID  map[string]*Rule
	codes map[string]string
	// enabled is All's answer, sorted once when the set is built rather
	// than on every check.
	enabled []*Rule
}

// sortEnabled fills r.enabled; the set does not change afterwards.
func (r *Rules) sortEnabled() *Rules {
	r.enabled = make([]*Rule, 0, len(r.byID))
	for _, rule := range r.byID {
		if !rule.Disabled {
			r.enabled = append(r.enabled, rule)
		}
	}
	slices.SortFunc(r.enabled, func(a, b *Rule) int { return strings.Compare(a.ID, b.ID) })
	return r
}

type rulesFile struct {
	Format      string `json:"format"`
	Description string `json:"description,omitempty"`
	// Codes maps each v3-ActCode a rule uses to its display; "_source"
	// says where they were checked.
	Codes map[string]string `json:"codes,omitempty"`
	Rules []Rule            `json:"rules"`
}

// DefaultRules returns the embedded rule set.
func DefaultRules() *Rules {
	r, err := LoadRules(bytes.NewReader(defaultRules))
	if err != nil {
		panic(fmt.Sprintf("safety: embedded rules.json is invalid: %v", err)) // a build defect, caught by tests
	}
	return r
}

// RuleError names the rule and field of a rules file that is wrong.
type RuleError struct {
	Index int    // position in the file
	ID    string // rule id, if it has one
	Field string
	Msg   string
}

// Error names the rule by position and id, then the field and the problem.
func (e *RuleError) Error() string {
	return fmt.Sprintf("rules[%d] (%s).%s: %s", e.Index, e.ID, e.Field, e.Msg)
}

// LoadRules reads and validates a rules file.
func LoadRules(r io.Reader) (*Rules, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f rulesFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("safety: rules file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("safety: rules file: trailing data after the object")
	}
	if f.Format != RulesFormat {
		return nil, fmt.Errorf("safety: rules file: format %q, want %q", f.Format, RulesFormat)
	}
	rs := &Rules{byID: make(map[string]*Rule, len(f.Rules)), codes: f.Codes}
	for i := range f.Rules {
		rule := f.Rules[i]
		if err := rule.compile(i); err != nil {
			return nil, err
		}
		if _, ok := f.Codes[rule.Code]; !ok {
			return nil, &RuleError{Index: i, ID: rule.ID, Field: "code", Msg: fmt.Sprintf("%q has no display in the file's codes table", rule.Code)}
		}
		if _, dup := rs.byID[rule.ID]; dup {
			return nil, &RuleError{Index: i, ID: rule.ID, Field: "id", Msg: "duplicate rule id"}
		}
		rs.byID[rule.ID] = &rule
	}
	return rs.sortEnabled(), nil
}

// Merge returns a rule set with over's rules added to r's; a rule of over
// with the id of one in r replaces it (set "disabled": true to switch a
// default rule off).
func (r *Rules) Merge(over *Rules) *Rules {
	out := &Rules{byID: make(map[string]*Rule, len(r.byID)+len(over.byID)), codes: map[string]string{}}
	for id, rule := range r.byID {
		out.byID[id] = rule
	}
	for id, rule := range over.byID {
		out.byID[id] = rule
	}
	for c, d := range r.codes {
		out.codes[c] = d
	}
	for c, d := range over.codes {
		out.codes[c] = d
	}
	return out.sortEnabled()
}

// CodeDisplay returns the display of a detected issue code.
func (r *Rules) CodeDisplay(code string) string { return r.codes[code] }

// All returns the enabled rules in id order.
func (r *Rules) All() []*Rule { return slices.Clone(r.enabled) }

// Rule returns the rule with the id, if any.
func (r *Rules) Rule(id string) (*Rule, bool) {
	rule, ok := r.byID[id]
	return rule, ok
}

func (rule *Rule) compile(i int) error {
	fail := func(field, msg string) error { return &RuleError{Index: i, ID: rule.ID, Field: field, Msg: msg} }
	if rule.ID == "" {
		return fail("id", "required")
	}
	if !knownKinds[rule.Kind] {
		return fail("kind", fmt.Sprintf("unknown kind %q", rule.Kind))
	}
	switch rule.Severity {
	case High, Moderate, Low:
	default:
		return fail("severity", fmt.Sprintf("%q is not high, moderate or low", rule.Severity))
	}
	if rule.Code == "" {
		return fail("code", "required (a v3-ActCode detected issue code)")
	}
	if rule.Detail == "" {
		return fail("detail", "required")
	}
	if rule.Source == "" {
		return fail("source", "required: every threshold carries its source")
	}
	num := func(field, s string, required bool) (*big.Rat, error) {
		if s == "" {
			if required {
				return nil, fail(field, "required")
			}
			return nil, nil
		}
		v, ok := new(big.Rat).SetString(s)
		if !ok || v.Sign() < 0 {
			return nil, fail(field, fmt.Sprintf("%q is not a non-negative number", s))
		}
		return v, nil
	}
	var err error
	needSubstances := false
	switch rule.Kind {
	case KindDoseBand, KindDoseRate:
		needSubstances = true
		if rule.Basis != "total" && rule.Basis != "per_kg" {
			return fail("basis", `must be "total" or "per_kg"`)
		}
		if _, ok := massToMg[rule.Unit]; !ok {
			return fail("unit", "must be mg, g or mcg")
		}
		if rule.max, err = num("max", rule.Max, true); err != nil {
			return err
		}
		// Keep thresholds in mg so evaluation compares like with like.
		rule.max.Mul(rule.max, massToMg[rule.Unit])
	case KindAdministeredDose, KindWeightChange:
		if rule.tolerance, err = num("tolerance_percent", rule.Tolerance, true); err != nil {
			return err
		}
	case KindInteraction:
		needSubstances = true
		if len(rule.With) == 0 {
			return fail("with", "required: the substances it interacts with")
		}
	case KindFluidVolume:
		if len(rule.Conditions) == 0 {
			return fail("conditions", "required")
		}
		if rule.maxSession, err = num("max_ml_per_session", rule.MaxPerSess, false); err != nil {
			return err
		}
		if rule.maxWeek, err = num("max_ml_per_week", rule.MaxPerWeek, false); err != nil {
			return err
		}
		if rule.maxSession == nil && rule.maxWeek == nil {
			return fail("max_ml_per_session", "a session or a weekly maximum is required")
		}
	case KindFluidRate:
		if len(rule.Conditions) == 0 {
			return fail("conditions", "required")
		}
		if rule.maxHour, err = num("max_ml_per_hour", rule.MaxPerHour, true); err != nil {
			return err
		}
	case KindElectrolyte:
		needSubstances = true
		if len(rule.Conditions) == 0 {
			return fail("conditions", "required")
		}
	}
	if needSubstances && len(rule.Substances) == 0 {
		return fail("substances", "required")
	}
	rule.substanceIn = set(rule.Substances)
	rule.withIn = set(rule.With)
	return nil
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// massToMg converts the clinic's mass units to milligrams; other units
// (mEq, mL, unit) have no mass and are not compared with mass thresholds.
var massToMg = map[string]*big.Rat{
	"mg":  big.NewRat(1, 1),
	"g":   big.NewRat(1000, 1),
	"mcg": big.NewRat(1, 1000),
}
