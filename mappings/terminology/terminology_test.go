package terminology

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// schemaEnums reads the code lists of ../shared/clinic-model/schema.json,
// found next to the module root; it skips when the folder is absent.
func schemaEnums(t *testing.T) map[string][]string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory")
		}
		dir = parent
	}
	name := filepath.Join(dir, "..", "shared", "clinic-model", "schema.json")
	data, err := os.ReadFile(name)
	if os.IsNotExist(err) {
		t.Skipf("shared clinic model not found at %s", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Defs map[string]struct {
			Enum       []string `json:"enum"`
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	enums := map[string][]string{}
	for name, def := range schema.Defs {
		if def.Enum != nil {
			enums[name] = def.Enum
		}
		for field, p := range def.Properties {
			if p.Enum != nil {
				enums[name+"."+field] = p.Enum
			}
		}
	}
	return enums
}

// TestEveryLocalCodeHasARow checks that each code of the schema enums that
// maps to a FHIR coding has a row in the default table.
func TestEveryLocalCodeHasARow(t *testing.T) {
	enums := schemaEnums(t)
	axisOf := map[string]Axis{
		"substance":                    Substance,
		"condition":                    Condition,
		"site":                         Site,
		"unit":                         Unit,
		"category":                     ReactionCategory,
		"manifestation":                Manifestation,
		"administration.status_reason": StatusReason,
		"plan.schedule":                Period, // nested: read below
	}
	tab := Default()
	checked := 0
	for name, axis := range axisOf {
		codes := enums[name]
		if name == "plan.schedule" {
			codes = []string{"day", "week", "month"}
		} else if len(codes) == 0 {
			t.Errorf("schema.json has no enum %q", name)
		}
		for _, c := range codes {
			checked++
			if _, err := tab.Lookup(axis, c); err != nil {
				t.Errorf("%s code %q: %v", axis, c, err)
			}
			if _, err := tab.LocalCoding(axis, c); err != nil {
				t.Errorf("%s code %q has no local coding: %v", axis, c, err)
			}
		}
	}
	if checked < 90 {
		t.Errorf("only %d codes checked", checked)
	}
}

// TestPinnedCodings pins system, code and display of every verified
// concept, and the text-only or nearest-concept status of the others.
func TestPinnedCodings(t *testing.T) {
	type pin struct {
		axis       Axis
		local      string
		system     string
		code       string
		display    string
		unverified bool
	}
	rx, sct, ln, ucum := SystemRxNorm, SystemSNOMED, SystemLOINC, SystemUCUM
	pins := []pin{
		{Substance, "lidocaine", rx, "6387", "lidocaine", false},
		{Substance, "ketamine", rx, "6130", "ketamine", false},
		{Substance, "cyanocobalamin", rx, "11248", "vitamin B12", false},
		{Substance, "hydroxocobalamin", rx, "5514", "hydroxocobalamin", false},
		{Substance, "magnesium_sulfate", rx, "6585", "magnesium sulfate", false},
		{Substance, "ascorbic_acid", rx, "1151", "ascorbic acid", false},
		{Substance, "pyridoxine", rx, "684879", "pyridoxine", false},
		{Substance, "dexpanthenol", rx, "22701", "dexpanthenol", false},
		{Substance, "calcium_gluconate", rx, "1908", "calcium gluconate", false},
		{Substance, "zinc_sulfate", rx, "39954", "zinc sulfate", false},
		{Substance, "glutathione", "", "", "", true},
		{Substance, "ondansetron", rx, "26225", "ondansetron", false},
		{Substance, "diphenhydramine", rx, "3498", "diphenhydramine", false},
		{Substance, "midazolam", rx, "6960", "midazolam", false},
		{Substance, "sodium_chloride_0_9", rx, "9863", "sodium chloride", false},
		{Substance, "lactated_ringers", "", "", "", true},
		{Substance, "dextrose_5", rx, "4850", "glucose", false},

		{Condition, "fibromyalgia", sct, "203082005", "Fibromyalgia (disorder)", false},
		{Condition, "chronic_pain", sct, "82423001", "Chronic pain (finding)", false},
		{Condition, "neuropathic_pain", sct, "247398009", "Neuropathic pain (finding)", false},
		{Condition, "diabetic_neuropathy", sct, "230572002", "Neuropathy due to diabetes mellitus (disorder)", false},
		{Condition, "complex_regional_pain_syndrome", sct, "128200000", "Complex regional pain syndrome (disorder)", false},
		{Condition, "chronic_low_back_pain", sct, "278860009", "Chronic low back pain (finding)", false},
		{Condition, "cancer_pain", sct, "735935009", "Chronic pain due to malignant neoplastic disease (finding)", false},
		{Condition, "osteoarthritis", sct, "396275006", "Osteoarthritis (disorder)", false},
		{Condition, "rheumatoid_arthritis", sct, "69896004", "Rheumatoid arthritis (disorder)", false},
		{Condition, "migraine", sct, "37796009", "Migraine (disorder)", false},
		{Condition, "heart_failure", sct, "84114007", "Heart failure (disorder)", false},
		{Condition, "chronic_kidney_disease", sct, "709044004", "Chronic kidney disease (disorder)", false},

		{Site, "left_antecubital", sct, "49852007", "Structure of median cubital vein (body structure)", true},
		{Site, "right_antecubital", sct, "49852007", "Structure of median cubital vein (body structure)", true},
		{Site, "left_hand_dorsum", sct, "85562004", "Hand structure (body structure)", true},
		{Site, "right_hand_dorsum", sct, "85562004", "Hand structure (body structure)", true},
		{Site, "left_forearm", sct, "14975008", "Forearm structure", false},
		{Site, "right_forearm", sct, "14975008", "Forearm structure", false},
		{Route, "intravenous", sct, "47625008", "Intravenous route (qualifier value)", false},
		{DoseForm, "injection_solution", sct, "385219001", "Injection solution (qualifier value)", false},

		{Manifestation, "pain_at_site", "", "", "", true},
		{Manifestation, "redness_at_site", "", "", "", true},
		{Manifestation, "swelling_at_site", sct, "274724004", "Localized edema", false},
		{Manifestation, "phlebitis", sct, "61599003", "Phlebitis", false},
		{Manifestation, "thrombophlebitis", sct, "64156001", "Thrombophlebitis (disorder)", false},
		{Manifestation, "extravasation", sct, "95384003", "Injection site extravasation", false},
		{Manifestation, "site_infection", sct, "440653007", "Infection associated with catheter", false},
		{Manifestation, "rash", sct, "271807003", "Eruption of skin", false},
		{Manifestation, "urticaria", sct, "126485001", "Urticaria", false},
		{Manifestation, "pruritus", sct, "418290006", "Itching (finding)", false},
		{Manifestation, "angioedema", sct, "41291007", "Angioedema (disorder)", false},
		{Manifestation, "anaphylaxis", sct, "39579001", "Anaphylaxis", false},
		{Manifestation, "bronchospasm", sct, "4386001", "Bronchospasm", false},
		{Manifestation, "hypokalemia", sct, "43339004", "Hypokalemia", false},
		{Manifestation, "hyponatremia", sct, "89627008", "Hyponatremia", false},
		{Manifestation, "hypomagnesemia", sct, "190855004", "Hypomagnesemia", false},
		{Manifestation, "hypocalcemia", sct, "5291005", "Hypocalcemia", false},
		{Manifestation, "muscle_cramps", sct, "55300003", "Cramp (finding)", false},
		{Manifestation, "arrhythmia", sct, "698247007", "Cardiac arrhythmia (disorder)", false},
		{Manifestation, "confusion", sct, "286933003", "Confusional state (finding)", false},
		{Manifestation, "peripheral_edema", sct, "424372002", "Edema of extremity", true},
		{Manifestation, "dyspnea", sct, "267036007", "Dyspnea", false},
		{Manifestation, "hypertension", sct, "38341003", "Hypertensive disorder, systemic arterial (disorder)", false},
		{Manifestation, "hypotension", sct, "45007003", "Low blood pressure", false},
		{Manifestation, "drowsiness", sct, "271782001", "Drowsy", false},
		{Manifestation, "dizziness", sct, "404640003", "Dizziness", false},
		{Manifestation, "nausea", sct, "422587007", "Nausea", false},
		{Manifestation, "vomiting", sct, "422400008", "Vomiting", false},
		{Manifestation, "headache", sct, "25064002", "Headache", false},
		{Manifestation, "dissociation", "", "", "", true},
		{Manifestation, "hallucinations", sct, "7011001", "Hallucinations", false},
		{Manifestation, "perioral_numbness", sct, "91019004", "Paresthesia", true},
		{Manifestation, "tinnitus", sct, "60862001", "Tinnitus", false},
		{Manifestation, "metallic_taste", sct, "271801002", "Taste sense altered", true},
		{Manifestation, "deep_vein_thrombosis", sct, "128053003", "Deep venous thrombosis (disorder)", false},

		{ReactionCategory, "injection_site_reaction", "", "", "", true},
		{ReactionCategory, "infection", "", "", "", true},
		{ReactionCategory, "allergic_reaction", sct, "419076005", "Allergic reaction", false},
		{ReactionCategory, "electrolyte_imbalance", sct, "237840007", "Disorder of electrolytes (disorder)", false},
		{ReactionCategory, "fluid_overload", "", "", "", true},
		{ReactionCategory, "adverse_drug_reaction", "", "", "", true},
		{ReactionCategory, "drug_interaction", "", "", "", true},
		{ReactionCategory, "vein_irritation", sct, "61599003", "Phlebitis", false},
		{ReactionCategory, "blood_clot", sct, "439127006", "Thrombosis (disorder)", false},
		{ReactionCategory, "tissue_damage", sct, "95384003", "Injection site extravasation", false},

		{StatusReason, "adverse_reaction", "", "", "", true},
		{StatusReason, "iv_access_failed", "", "", "", true},

		{Unit, "mg", ucum, "mg", "mg", false},
		{Unit, "g", ucum, "g", "g", false},
		{Unit, "mcg", ucum, "ug", "ug", false},
		{Unit, "mEq", ucum, "meq", "meq", false},
		{Unit, "mL", ucum, "mL", "mL", false},
		{Unit, "unit", ucum, "{unit}", "unit", true},
		{Unit, "kg", ucum, "kg", "kg", false},
		{Unit, "mL/h", ucum, "mL/h", "mL/h", false},
		{Period, "day", ucum, "d", "day", false},
		{Period, "week", ucum, "wk", "week", false},
		{Period, "month", ucum, "mo", "month", false},
		{Observation, "pain_score", ln, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", false},
		{Observation, "body_weight", ln, "29463-7", "Body weight", false},
	}
	tab := Default()
	for _, p := range pins {
		t.Run(string(p.axis)+"/"+p.local, func(t *testing.T) {
			c, err := tab.Lookup(p.axis, p.local)
			if err != nil {
				t.Fatal(err)
			}
			if c.System != p.system || c.Code != p.code || c.Display != p.display || c.Unverified != p.unverified {
				t.Errorf("got %s|%s %q unverified=%v, want %s|%s %q unverified=%v",
					c.System, c.Code, c.Display, c.Unverified, p.system, p.code, p.display, p.unverified)
			}
			if c.Text == "" || c.Source == "" {
				t.Errorf("text %q, source %q: both required", c.Text, c.Source)
			}
		})
	}
}

func TestReverse(t *testing.T) {
	tab := Default()
	tests := []struct {
		axis         Axis
		system, code string
		want         string
		errType      string
	}{
		{Substance, SystemRxNorm, "6387", "lidocaine", ""},
		{Substance, SystemRxNorm, "11248", "cyanocobalamin", ""},
		{Substance, SystemRxNorm, "4850", "dextrose_5", ""},
		{Substance, "urn:ivbridge:codesystem:substance", "glutathione", "glutathione", ""},
		{Substance, "urn:ivbridge:codesystem:substance", "nad_plus", "", "unmapped"},
		{Substance, SystemRxNorm, "999999", "", "unmapped"},
		{Substance, SystemSNOMED, "6387", "", "unmapped"},
		{Manifestation, SystemSNOMED, "91019004", "perioral_numbness", ""},
		{Unit, SystemUCUM, "ug", "mcg", ""},
		{Unit, SystemUCUM, "meq", "mEq", ""},
		{Site, SystemSNOMED, "14975008", "", "ambiguous"},
		{Site, "urn:ivbridge:codesystem:site", "right_forearm", "right_forearm", ""},
		{ReactionCategory, SystemSNOMED, "61599003", "vein_irritation", ""},
		{Manifestation, SystemSNOMED, "61599003", "phlebitis", ""},
		{Observation, SystemLOINC, "72514-3", "pain_score", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.axis)+"/"+tt.code, func(t *testing.T) {
			got, err := tab.Reverse(tt.axis, tt.system, tt.code)
			var ue *UnmappedError
			var ae *AmbiguousError
			switch tt.errType {
			case "":
				if err != nil || got != tt.want {
					t.Errorf("got %q, %v; want %q", got, err, tt.want)
				}
			case "unmapped":
				if !errors.As(err, &ue) || ue.Code != tt.code || ue.Axis != tt.axis || !strings.Contains(err.Error(), tt.code) {
					t.Errorf("want *UnmappedError naming %q, got %q, %v", tt.code, got, err)
				}
			case "ambiguous":
				if !errors.As(err, &ae) || len(ae.Locals) < 2 {
					t.Errorf("want *AmbiguousError, got %q, %v", got, err)
				}
			}
		})
	}
}

// TestLocalRoundTrip checks that every row maps back from its local coding
// and, where the standard coding is unambiguous, from that coding.
func TestLocalRoundTrip(t *testing.T) {
	tab := Default()
	ambiguous := map[[3]string]bool{}
	for _, a := range tab.Ambiguities() {
		ambiguous[[3]string{string(a.Axis), a.System, a.Code}] = true
	}
	for _, row := range tab.Rows() {
		lc, err := tab.LocalCoding(row.Axis, row.Local)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := tab.Reverse(row.Axis, lc.System, lc.Code); err != nil || got != row.Local {
			t.Errorf("%s/%s: local coding maps back to %q, %v", row.Axis, row.Local, got, err)
		}
		if row.Code == "" || ambiguous[[3]string{string(row.Axis), row.System, row.Code}] {
			continue
		}
		if got, err := tab.Reverse(row.Axis, row.System, row.Code); err != nil || got != row.Local {
			t.Errorf("%s/%s: %s|%s maps back to %q, %v", row.Axis, row.Local, row.System, row.Code, got, err)
		}
	}
}

// TestKnownAmbiguities lists every standard coding shared by local codes
// with no preferred row. All are left/right sites: SNOMED CT body
// structures carry no laterality, so the local coding (or the text) decides
// on the way back. A new ambiguity fails this test until it is resolved
// with "preferred" or added here deliberately.
func TestKnownAmbiguities(t *testing.T) {
	var got []string
	for _, a := range Default().Ambiguities() {
		got = append(got, string(a.Axis)+" "+a.Code+" "+strings.Join(a.Locals, ","))
	}
	want := []string{
		"site 14975008 left_forearm,right_forearm",
		"site 49852007 left_antecubital,right_antecubital",
		"site 85562004 left_hand_dorsum,right_hand_dorsum",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ambiguities:\n%q\nwant\n%q", got, want)
	}
}

func TestUnmappedLookup(t *testing.T) {
	_, err := Default().Lookup(Substance, "nad_plus")
	var ue *UnmappedError
	if !errors.As(err, &ue) || ue.Axis != Substance || ue.Code != "nad_plus" {
		t.Fatalf("want *UnmappedError{substance, nad_plus}, got %v", err)
	}
	if !strings.Contains(err.Error(), `"nad_plus"`) {
		t.Errorf("message does not name the code: %v", err)
	}
}

const override = `{"format": "ivbridge-terminology/1",
 "localSystems": {"substance": "https://clinic.example/codes/substance"},
 "rows": [
  {"axis": "substance", "local": "nad_plus", "text": "NAD+", "source": "integrator: no RxNorm ingredient", "unverified": true},
  {"axis": "substance", "local": "glutathione", "text": "glutathione", "system": "http://example.org/local-formulary",
   "code": "GSH", "display": "Glutathione", "source": "integrator formulary"},
  {"axis": "site", "local": "left_forearm", "text": "left forearm", "system": "http://snomed.info/sct", "code": "14975008",
   "display": "Forearm structure", "source": "[BE]", "preferred": true}
 ]}`

func TestOverride(t *testing.T) {
	over, err := Load(strings.NewReader(override))
	if err != nil {
		t.Fatal(err)
	}
	base := Default()
	m := base.Merge(over)

	if c, err := m.Lookup(Substance, "nad_plus"); err != nil || c.Text != "NAD+" || !c.Unverified {
		t.Errorf("added row: %+v, %v", c, err)
	}
	if c, err := m.Lookup(Substance, "glutathione"); err != nil || c.Code != "GSH" || c.Unverified {
		t.Errorf("overridden row: %+v, %v", c, err)
	}
	if c, _ := m.Lookup(Substance, "lidocaine"); c.Code != "6387" {
		t.Errorf("kept row: %+v", c)
	}
	if got := m.LocalSystem(Substance); got != "https://clinic.example/codes/substance" {
		t.Errorf("local system %q", got)
	}
	if got, err := m.Reverse(Site, SystemSNOMED, "14975008"); err != nil || got != "left_forearm" {
		t.Errorf("preferred row: %q, %v", got, err)
	}
	// The base table is unchanged.
	if _, err := base.Lookup(Substance, "nad_plus"); err == nil {
		t.Error("Merge changed the base table")
	}
	if c, _ := base.Lookup(Substance, "glutathione"); c.Code != "" {
		t.Error("Merge changed a base row")
	}
	if len(m.Rows()) != len(base.Rows())+1 {
		t.Errorf("%d rows after merge, want %d", len(m.Rows()), len(base.Rows())+1)
	}
}

func TestLoadErrors(t *testing.T) {
	row := func(s string) string { return `{"format":"ivbridge-terminology/1","rows":[` + s + `]}` }
	tests := []struct {
		name, doc string
		want      []string // substrings of the error
	}{
		{"not json", `{`, []string{"not a terminology file"}},
		{"unknown top field", `{"format":"ivbridge-terminology/1","rowz":[]}`, []string{"rowz"}},
		{"wrong format", `{"format":"v2","rows":[]}`, []string{"format", `"v2"`}},
		{"trailing data", row(``) + `{}`, []string{"after the end"}},
		{"unknown row field", row(`{"axis":"unit","local":"mg","text":"mg","source":"s","unverified":true,"sytem":"x"}`), []string{"sytem"}},
		{"unknown axis", row(`{"axis":"drug","local":"x","text":"x","source":"s","unverified":true}`), []string{"rows[0].axis", `"drug"`}},
		{"missing text and source", row(`{"axis":"unit","local":"mg","unverified":true}`), []string{"rows[0].text", "rows[0].source"}},
		{"text only not unverified", row(`{"axis":"unit","local":"mg","text":"mg","source":"s"}`), []string{"rows[0].unverified"}},
		{"code without system", row(`{"axis":"unit","local":"mg","text":"mg","source":"s","code":"mg","display":"mg"}`), []string{"rows[0].system"}},
		{"system without code", row(`{"axis":"unit","local":"mg","text":"mg","source":"s","system":"http://unitsofmeasure.org","display":"mg"}`), []string{"rows[0].code"}},
		{"relative system", row(`{"axis":"unit","local":"mg","text":"mg","source":"s","system":"ucum","code":"mg","display":"mg"}`), []string{"rows[0].system"}},
		{"no display", row(`{"axis":"unit","local":"mg","text":"mg","source":"s","system":"http://unitsofmeasure.org","code":"mg"}`), []string{"rows[0].display"}},
		{"space in local", row(`{"axis":"unit","local":"m g","text":"mg","source":"s","unverified":true}`), []string{"rows[0].local"}},
		{"duplicate", row(`{"axis":"unit","local":"mg","text":"mg","source":"s","unverified":true},{"axis":"unit","local":"mg","text":"mg","source":"s","unverified":true}`), []string{"rows[1].local", "twice"}},
		{"two preferred", row(`{"axis":"site","local":"a","text":"a","source":"s","system":"http://snomed.info/sct","code":"1","display":"d","preferred":true},{"axis":"site","local":"b","text":"b","source":"s","system":"http://snomed.info/sct","code":"1","display":"d","preferred":true}`), []string{"more than one", "a, b"}},
		{"bad local system", `{"format":"ivbridge-terminology/1","localSystems":{"unit":"codes"},"rows":[]}`, []string{"localSystems.unit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Errorf("error %T has no *LoadError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestDefaultDataIsCanonical checks that the embedded file loads and that
// every row carries text and source (Load enforces it; this pins it for the
// file shipped).
func TestDefaultDataIsCanonical(t *testing.T) {
	tab, err := Load(bytes.NewReader(DefaultData()))
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows()) < 100 {
		t.Errorf("only %d rows", len(tab.Rows()))
	}
}

// FuzzLoad checks that Load never panics and that an accepted table answers
// Lookup and Reverse for each of its rows.
func FuzzLoad(f *testing.F) {
	f.Add(DefaultData())
	f.Add([]byte(override))
	f.Add([]byte(`{"format":"ivbridge-terminology/1","rows":[]}`))
	f.Add([]byte(`{"format":"ivbridge-terminology/1","rows":[{"axis":"unit","local":"x","text":"x","source":"s","unverified":true}]}`))
	f.Add([]byte(`{"format":"ivbridge-terminology/1","localSystems":{"unit":"urn:x:y"},"rows":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Load(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, row := range tab.Rows() {
			c, err := tab.Lookup(row.Axis, row.Local)
			if err != nil || c.Code != row.Code {
				t.Fatalf("Lookup(%s, %q) = %+v, %v", row.Axis, row.Local, c, err)
			}
			lc, err := tab.LocalCoding(row.Axis, row.Local)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := tab.Reverse(row.Axis, lc.System, lc.Code); err != nil || got != row.Local {
				t.Fatalf("Reverse of local coding %q: %q, %v", row.Local, got, err)
			}
		}
		_ = tab.Merge(Default()).Ambiguities()
	})
}

// TestMergeTwoPreferredIsAmbiguous: when two merged files each prefer a
// different local code for one coding, Reverse must not pick one of them
// silently; it reports the ambiguity that Ambiguities lists.
func TestMergeTwoPreferredIsAmbiguous(t *testing.T) {
	load := func(local string) *Table {
		t.Helper()
		tb, err := Load(strings.NewReader(`{"format": "ivbridge-terminology/1", "rows": [
  {"axis": "site", "local": "` + local + `", "text": "forearm", "system": "http://snomed.info/sct", "code": "14975008",
   "display": "Forearm structure", "source": "[BE]", "preferred": true}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
	m := Default().Merge(load("left_forearm")).Merge(load("right_forearm"))
	_, err := m.Reverse(Site, SystemSNOMED, "14975008")
	var ae *AmbiguousError
	if !errors.As(err, &ae) || !slices.Contains(ae.Locals, "left_forearm") || !slices.Contains(ae.Locals, "right_forearm") {
		t.Fatalf("Reverse = %v, want *AmbiguousError naming left_forearm and right_forearm", err)
	}
	listed := false
	for _, a := range m.Ambiguities() {
		listed = listed || (a.Axis == Site && a.System == SystemSNOMED && a.Code == "14975008")
	}
	if !listed {
		t.Error("Ambiguities does not list the coding Reverse cannot resolve")
	}
}
