package safety

import (
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func dec(s string) *clinic.Decimal { d := clinic.Decimal(s); return &d }
func yes() *bool                   { b := true; return &b }

type planOpt func(*clinic.Plan)

func testPlan(opts ...planOpt) *clinic.Plan {
	p := &clinic.Plan{
		Header:       clinic.Header{Kind: clinic.KindPlan, ID: "plan-t", Version: 1},
		Patient:      "pat-t",
		PrescriberID: "prac-t",
		Status:       "active",
		AuthoredAt:   "2026-04-01T09:00:00-04:00",
		Indications:  []string{"fibromyalgia"},
		Formulation: clinic.Formulation{
			Name:    "test",
			Carrier: clinic.Carrier{Fluid: "sodium_chloride_0_9", VolumeML: "250"},
		},
		DosingWeightKg: dec("70"),
		Rate:           clinic.Rate{DurationMinutes: dec("60")},
		Schedule:       clinic.Schedule{Sessions: 4, Every: 1, Period: "week", StartDate: "2026-04-06"},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func ing(sub, amount, unit string, perKg bool, maxAmount string) planOpt {
	return func(p *clinic.Plan) {
		i := clinic.Ingredient{Substance: sub, Amount: clinic.Decimal(amount), Unit: unit}
		if perKg {
			i.PerKg = yes()
		}
		if maxAmount != "" {
			i.MaxAmount = dec(maxAmount)
		}
		p.Formulation.Ingredients = append(p.Formulation.Ingredients, i)
	}
}

func carrier(ml string) planOpt {
	return func(p *clinic.Plan) { p.Formulation.Carrier.VolumeML = clinic.Decimal(ml) }
}

func mlPerHour(r string) planOpt {
	return func(p *clinic.Plan) { p.Rate = clinic.Rate{MLPerHour: dec(r)} }
}

func minutes(m string) planOpt {
	return func(p *clinic.Plan) { p.Rate = clinic.Rate{DurationMinutes: dec(m)} }
}

func testAdmin(status string, doses ...clinic.Dose) *clinic.Administration {
	return &clinic.Administration{
		Header: clinic.Header{Kind: clinic.KindAdministration, ID: "adm-t", Version: 1},
		PlanID: "plan-t", Patient: "pat-t", SessionNumber: 1, Status: status,
		StartedAt: "2026-04-06T09:00:00-04:00", EndedAt: "2026-04-06T10:00:00-04:00",
		PerformerID: "prac-t", Site: "left_forearm", VolumeInfusedML: dec("250"), Doses: doses,
	}
}

func given(sub, amount, unit string) clinic.Dose {
	return clinic.Dose{Substance: sub, Amount: clinic.Decimal(amount), Unit: unit}
}

func patient(conds ...string) *clinic.Patient {
	return &clinic.Patient{Header: clinic.Header{Kind: clinic.KindPatient, ID: "pat-t", Version: 1},
		MRN: "MRN-T", GivenNames: []string{"Test"}, FamilyName: "Patient", BirthDate: "1970-01-01", Sex: "female",
		WeightKg: dec("70"), Conditions: conds}
}

// TestEveryRuleFiresAndStaysQuiet gives each rule of the default rule set
// one case where it fires and a near-miss where it does not.
func TestEveryRuleFiresAndStaysQuiet(t *testing.T) {
	type tc struct {
		rule  string
		fires bool
		rec   clinic.Record
		facts Facts
	}
	lido := func(amount, max string) planOpt { return ing("lidocaine", amount, "mg", true, max) }
	keta := func(amount, max string) planOpt { return ing("ketamine", amount, "mg", true, max) }
	base := Facts{Patient: patient()}
	withPlan := func(p *clinic.Plan) Facts { return Facts{Patient: patient(), Plan: p} }
	cases := []tc{
		{"lidocaine-dose-per-kg", true, testPlan(lido("8", "")), base},
		{"lidocaine-dose-per-kg", false, testPlan(lido("7.5", "")), base},
		{"lidocaine-dose-total", true, testPlan(ing("lidocaine", "501", "mg", false, "")), base},
		{"lidocaine-dose-total", false, testPlan(ing("lidocaine", "0.5", "g", false, "")), base},
		{"lidocaine-rate", true, testPlan(ing("lidocaine", "500", "mg", false, ""), minutes("29")), base},
		{"lidocaine-rate", false, testPlan(ing("lidocaine", "500", "mg", false, ""), minutes("30")), base},
		{"ketamine-dose-per-kg", true, testPlan(keta("2.1", "")), base},
		{"ketamine-dose-per-kg", false, testPlan(keta("2", "")), base},
		{"ketamine-dose-total", true, testPlan(ing("ketamine", "201", "mg", false, ""), minutes("240")), base},
		{"ketamine-dose-total", false, testPlan(ing("ketamine", "200", "mg", false, ""), minutes("240")), base},
		{"ketamine-rate-per-kg", true, testPlan(keta("1.5", ""), minutes("60")), base},
		{"ketamine-rate-per-kg", false, testPlan(keta("1.5", ""), minutes("90")), base},
		{"per-kg-cap", true, testPlan(lido("1.5", "100")), base},
		{"per-kg-cap", false, testPlan(lido("1.5", "105")), base},
		{"administered-vs-plan", true, testAdmin("completed", given("lidocaine", "116", "mg")), withPlan(testPlan(lido("1.5", "")))},
		{"administered-vs-plan", false, testAdmin("completed", given("lidocaine", "115.5", "mg")), withPlan(testPlan(lido("1.5", "")))},
		{"administered-vs-plan", true, testAdmin("completed", given("lidocaine", "90", "mg")), withPlan(testPlan(lido("1.5", "")))},
		{"administered-vs-plan", false, testAdmin("stopped", given("lidocaine", "30", "mg")), withPlan(testPlan(lido("1.5", "")))},
		{"administered-not-in-plan", true, testAdmin("completed", given("ketamine", "10", "mg")), withPlan(testPlan(lido("1.5", "")))},
		{"administered-not-in-plan", false, testAdmin("completed", given("lidocaine", "105", "mg")), withPlan(testPlan(lido("1.5", "")))},
		{"weight-change", true, func() clinic.Record {
			a := testAdmin("completed", given("lidocaine", "105", "mg"))
			a.WeightKg = dec("77.1")
			return a
		}(), withPlan(testPlan(lido("1.5", "")))},
		{"weight-change", false, func() clinic.Record {
			a := testAdmin("completed", given("lidocaine", "105", "mg"))
			a.WeightKg = dec("77")
			return a
		}(), withPlan(testPlan(lido("1.5", "")))},
		{"allergy", true, testPlan(ing("cyanocobalamin", "1000", "mcg", false, "")),
			Facts{Patient: patient(), Allergens: map[string]string{"cyanocobalamin": "reaction rx-1"}}},
		{"allergy", true, testPlan(ing("cyanocobalamin", "1000", "mcg", false, "")),
			Facts{Patient: patient(), Allergens: map[string]string{"sodium_chloride_0_9": "patient record"}}},
		{"allergy", false, testPlan(ing("cyanocobalamin", "1000", "mcg", false, "")),
			Facts{Patient: patient(), Allergens: map[string]string{"ondansetron": "patient record"}}},
		{"interaction-ketamine-benzodiazepine", true, testPlan(keta("0.35", ""), ing("midazolam", "1", "mg", false, "")), base},
		{"interaction-ketamine-benzodiazepine", true, testPlan(keta("0.35", "")),
			Facts{Patient: patient(), OtherPlans: []*clinic.Plan{func() *clinic.Plan {
				p := testPlan(ing("midazolam", "1", "mg", false, ""))
				p.ID = "plan-other"
				return p
			}()}}},
		{"interaction-ketamine-benzodiazepine", false, testPlan(keta("0.35", ""), ing("ondansetron", "4", "mg", false, "")), base},
		{"interaction-antihistamine-cns-depressant", true, testPlan(ing("diphenhydramine", "25", "mg", false, ""), keta("0.2", "")), base},
		{"interaction-antihistamine-cns-depressant", false, testPlan(ing("diphenhydramine", "25", "mg", false, ""), lido("1", "")), base},
		{"interaction-lidocaine-class1-antiarrhythmic", true, testPlan(lido("1", "")),
			Facts{Patient: patient(), OtherPlans: []*clinic.Plan{func() *clinic.Plan {
				p := testPlan(ing("mexiletine", "200", "mg", false, ""))
				p.ID = "plan-other"
				return p
			}()}}},
		{"interaction-lidocaine-class1-antiarrhythmic", false, testPlan(lido("1", "")), base},
		{"fluid-heart-failure", true, testPlan(ing("ascorbic_acid", "1", "g", false, ""), carrier("1000"), minutes("240")), Facts{Patient: patient("heart_failure")}},
		{"fluid-heart-failure", true, func() clinic.Record {
			p := testPlan(ing("ascorbic_acid", "1", "g", false, ""), carrier("500"), minutes("240"))
			p.Schedule.Every, p.Schedule.Period = 3, "day" // 500 mL every 3 days ≈ 1,167 mL a week
			return p
		}(), Facts{Patient: patient("heart_failure")}},
		{"fluid-heart-failure", false, testPlan(ing("ascorbic_acid", "1", "g", false, ""), carrier("999"), minutes("240")), Facts{Patient: patient("heart_failure")}},
		{"fluid-heart-failure", false, testPlan(ing("ascorbic_acid", "1", "g", false, ""), carrier("1000"), minutes("240")), Facts{Patient: patient("fibromyalgia")}},
		{"fluid-kidney-disease", true, testPlan(ing("ascorbic_acid", "1", "g", false, ""), carrier("1000"), minutes("240")), Facts{Patient: patient("chronic_kidney_disease")}},
		{"fluid-kidney-disease", false, testPlan(ing("ascorbic_acid", "1", "g", false, ""), carrier("500"), minutes("240")), Facts{Patient: patient("chronic_kidney_disease")}},
		{"fluid-rate-heart-kidney", true, testPlan(ing("ascorbic_acid", "1", "g", false, ""), mlPerHour("250.1")), Facts{Patient: patient("heart_failure")}},
		{"fluid-rate-heart-kidney", false, testPlan(ing("ascorbic_acid", "1", "g", false, ""), mlPerHour("250")), Facts{Patient: patient("chronic_kidney_disease")}},
		{"electrolyte-magnesium-kidney", true, testPlan(ing("magnesium_sulfate", "1", "g", false, "")), Facts{Patient: patient("chronic_kidney_disease")}},
		{"electrolyte-magnesium-kidney", false, testPlan(ing("magnesium_sulfate", "1", "g", false, "")), Facts{Patient: patient("heart_failure")}},
	}
	rules := DefaultRules()
	tested := map[string][2]bool{}
	for _, c := range cases {
		name := c.rule + map[bool]string{true: "/fires", false: "/quiet"}[c.fires]
		t.Run(name, func(t *testing.T) {
			fs := Evaluate(rules, c.rec, c.facts)
			got := findingsOf(fs, c.rule)
			if c.fires && len(got) == 0 {
				t.Fatalf("rule %s did not fire; findings: %v", c.rule, fs)
			}
			if !c.fires && len(got) > 0 {
				t.Fatalf("rule %s fired on a near miss: %s", c.rule, got[0].Detail)
			}
			for _, f := range got {
				r, _ := rules.Rule(c.rule)
				if f.Severity != r.Severity || f.Code != r.Code || f.Source == "" || f.Detail == "" {
					t.Errorf("finding does not carry the rule's severity, code, source and detail: %+v", f)
				}
			}
		})
		seen := tested[c.rule]
		if c.fires {
			seen[0] = true
		} else {
			seen[1] = true
		}
		tested[c.rule] = seen
	}
	for _, r := range rules.All() {
		if s := tested[r.ID]; !s[0] || !s[1] {
			t.Errorf("rule %s needs a case that fires and one that does not (have fires=%v quiet=%v)", r.ID, s[0], s[1])
		}
	}
}

func findingsOf(fs []Finding, rule string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

func TestLoadRulesRejectsBadFiles(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"unknown field", `{"format":"ivbridge-safety-rules/1","rules":[],"extra":1}`, "unknown field"},
		{"wrong format", `{"format":"other","rules":[]}`, "format"},
		{"no source", `{"format":"ivbridge-safety-rules/1","rules":[{"id":"x","kind":"allergy","severity":"high","code":"ALGY","detail":"d"}]}`, "source"},
		{"bad severity", `{"format":"ivbridge-safety-rules/1","rules":[{"id":"x","kind":"allergy","severity":"urgent","code":"ALGY","detail":"d","source":"s"}]}`, "severity"},
		{"bad number", `{"format":"ivbridge-safety-rules/1","rules":[{"id":"x","kind":"dose_band","substances":["lidocaine"],"basis":"total","unit":"mg","max":"lots","severity":"high","code":"DOSE","detail":"d","source":"s"}]}`, "max"},
		{"code without display", `{"format":"ivbridge-safety-rules/1","codes":{},"rules":[{"id":"x","kind":"allergy","severity":"high","code":"ALGY","detail":"d","source":"s"}]}`, "display"},
		{"unknown kind", `{"format":"ivbridge-safety-rules/1","rules":[{"id":"x","kind":"vibes","severity":"high","code":"DOSE","detail":"d","source":"s"}]}`, "kind"},
		{"duplicate", `{"format":"ivbridge-safety-rules/1","codes":{"ALGY":"Allergy Alert"},"rules":[{"id":"x","kind":"allergy","severity":"high","code":"ALGY","detail":"d","source":"s"},{"id":"x","kind":"allergy","severity":"high","code":"ALGY","detail":"d","source":"s"}]}`, "duplicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadRules(strings.NewReader(c.file))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadRules = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestMergeOverridesAndDisables(t *testing.T) {
	over, err := LoadRules(strings.NewReader(`{"format":"ivbridge-safety-rules/1","codes":{"ALGY":"Allergy Alert","DOSE":"Dosage problem"},"rules":[
		{"id":"allergy","kind":"allergy","severity":"high","code":"ALGY","detail":"d","source":"s","disabled":true},
		{"id":"lidocaine-dose-total","kind":"dose_band","substances":["lidocaine"],"basis":"total","unit":"mg","max":"400","severity":"moderate","code":"DOSE","detail":"d","source":"local protocol"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rules := DefaultRules().Merge(over)
	fs := Evaluate(rules, testPlan(ing("lidocaine", "450", "mg", false, ""), ing("cyanocobalamin", "1", "mg", false, "")),
		Facts{Patient: patient(), Allergens: map[string]string{"cyanocobalamin": "x"}})
	if len(findingsOf(fs, "allergy")) != 0 {
		t.Error("a disabled rule still fired")
	}
	got := findingsOf(fs, "lidocaine-dose-total")
	if len(got) != 1 || got[0].Severity != Moderate {
		t.Errorf("override of lidocaine-dose-total: got %+v, want one moderate finding at 400 mg", got)
	}
}

func FuzzLoadRules(f *testing.F) {
	f.Add(defaultRules)
	f.Add([]byte(`{"format":"ivbridge-safety-rules/1","rules":[]}`))
	f.Add([]byte(`{"format":"ivbridge-safety-rules/1","codes":{"COND":"Condition Alert"},"rules":[{"id":"x","kind":"fluid_volume","conditions":["heart_failure"],"max_ml_per_week":"-1","severity":"low","code":"COND","detail":"d","source":"s"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, err := LoadRules(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		// Whatever loads must evaluate without panicking.
		Evaluate(rules, testPlan(ing("lidocaine", "1.5", "mg", true, "100"), carrier("1000")), Facts{Patient: patient("heart_failure", "chronic_kidney_disease")})
		Evaluate(rules, testAdmin("completed", given("lidocaine", "105", "mg")), Facts{Patient: patient(), Plan: testPlan(ing("lidocaine", "1.5", "mg", true, ""))})
	})
}
