package clinic

import (
	"errors"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestDecodeExamples(t *testing.T) {
	valid, _ := exampleFiles(t)
	for _, f := range valid {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := readFile(t, f)
			rec, err := Decode(data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if err := Validate(rec); err != nil {
				t.Errorf("Validate after Decode: %v", err)
			}
			out, err := Encode(rec)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			assertSameJSON(t, data, out)
		})
	}
}

// assertSameJSON checks that two documents are semantically equal with
// every number literal identical.
func assertSameJSON(t *testing.T, want, got []byte) {
	t.Helper()
	a, err := parseJSON(want)
	if err != nil {
		t.Fatalf("parse want: %v", err)
	}
	b, err := parseJSON(got)
	if err != nil {
		t.Fatalf("parse got: %v\n%s", err, got)
	}
	if diff := diffNodes("", a, b); diff != "" {
		t.Errorf("round trip differs at %s\nwant %s\ngot  %s", diff, want, got)
	}
}

// diffNodes returns the path of the first difference, "" when equal;
// object member order is ignored, number literals compare as text.
func diffNodes(path string, a, b node) string {
	if a.kind != b.kind || a.boolean != b.boolean || a.text != b.text || len(a.items) != len(b.items) ||
		len(a.members) != len(b.members) {
		if path == "" {
			return "(root)"
		}
		return path
	}
	for i := range a.items {
		if d := diffNodes(path+"["+strconv.Itoa(i)+"]", a.items[i], b.items[i]); d != "" {
			return d
		}
	}
	for _, m := range a.members {
		found := false
		for _, n := range b.members {
			if n.key == m.key {
				found = true
				if d := diffNodes(path+"."+m.key, m.val, n.val); d != "" {
					return d
				}
			}
		}
		if !found {
			return path + "." + m.key
		}
	}
	return ""
}

// TestDecodeInvalidExamples checks that each file of examples/invalid is
// rejected for the reason its README gives, named by path.
func TestDecodeInvalidExamples(t *testing.T) {
	_, invalid := exampleFiles(t)
	want := map[string]struct{ path, contains string }{
		"unknown-field.json":          {"wieght_kg", "unknown field"},
		"missing-required.json":       {"performer_id", "is required"},
		"per-kg-without-weight.json":  {"dosing_weight_kg", "per kg"},
		"two-rates.json":              {"rate", "exactly one"},
		"pain-out-of-range.json":      {"pain_before", "0 to 10"},
		"ended-before-started.json":   {"ended_at", "after started_at"},
		"unknown-substance.json":      {"formulation.ingredients[0].substance", `"nad_plus"`},
		"stopped-without-reason.json": {"status_reason", "required when status is stopped"},
		"time-without-offset.json":    {"onset_at", "offset"},
		"bad-id.json":                 {"id", "not a valid id"},
		"version-zero.json":           {"version", "≥ 1"},
		"truncated.json":              {"", "invalid JSON"},
	}
	if len(invalid) != len(want) {
		t.Errorf("%d invalid examples, the test knows %d", len(invalid), len(want))
	}
	for _, f := range invalid {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expectation for %s", name)
			}
			rec, err := Decode(readFile(t, f))
			if err == nil {
				t.Fatalf("accepted: %#v", rec)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *ValidationError: %v", err, err)
			}
			if len(ve.Errors) != 1 {
				t.Errorf("want exactly one error, got %v", ve)
			}
			fe := ve.Errors[0]
			if fe.Path != w.path || !strings.Contains(fe.Message, w.contains) {
				t.Errorf("got %q: %q, want path %q with %q", fe.Path, fe.Message, w.path, w.contains)
			}
		})
	}
}

const validPlan = `{"kind":"plan","id":"p-1","version":1,"patient_id":"pat-1","prescriber_id":"pr-1","status":"active",
"authored_at":"2026-02-23T16:40:00-05:00","indications":["fibromyalgia"],
"formulation":{"name":"L","ingredients":[{"substance":"lidocaine","amount":1.50,"unit":"mg","per_kg":true,"max_amount":200}],
"carrier":{"fluid":"sodium_chloride_0_9","volume_ml":250}},"dosing_weight_kg":68.40,
"rate":{"duration_minutes":60},"schedule":{"sessions":6,"every":1,"period":"week","start_date":"2026-03-02"}}`

const validAdministration = `{"kind":"administration","id":"a-1","version":1,"plan_id":"p-1","patient_id":"pat-1",
"session_number":1,"status":"completed","started_at":"2026-03-02T09:02:00-05:00","ended_at":"2026-03-02T10:04:30-05:00",
"performer_id":"pr-7","site":"left_antecubital","volume_infused_ml":250,"doses":[{"substance":"lidocaine","amount":102.60,"unit":"mg"}]}`

// edit replaces old by new in doc once, failing when old is absent.
func edit(t *testing.T, doc, old, new string) string {
	t.Helper()
	if !strings.Contains(doc, old) {
		t.Fatalf("%q not in document", old)
	}
	return strings.Replace(doc, old, new, 1)
}

func TestDecodeRules(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		paths []string // every error path, in order
	}{
		{"plan ok", validPlan, nil},
		{"administration ok", validAdministration, nil},
		{"integer written as 1.0", edit(t, validPlan, `"version":1`, `"version":1.0`), nil},
		{"integer written as 0.6e1", edit(t, validPlan, `"sessions":6`, `"sessions":0.6e1`), nil},
		{"fractional integer", edit(t, validPlan, `"sessions":6`, `"sessions":6.5`), []string{"schedule.sessions"}},
		{"huge integer", edit(t, validPlan, `"sessions":6`, `"sessions":1e999999999999`), []string{"schedule.sessions"}},
		{"tiny exponent integer", edit(t, validPlan, `"sessions":6`, `"sessions":1e-999999999999`), []string{"schedule.sessions"}},
		{"huge decimal", edit(t, validPlan, `"volume_ml":250`, `"volume_ml":1e999999999`), []string{"formulation.carrier.volume_ml"}},
		{"decimal beyond double", edit(t, validPlan, `"volume_ml":250`, `"volume_ml":1.8e308`), []string{"formulation.carrier.volume_ml"}},
		{"decimal rounding to zero", edit(t, validPlan, `"volume_ml":250`, `"volume_ml":1e-400`), []string{"formulation.carrier.volume_ml"}},
		{"large decimal ok", edit(t, validPlan, `"volume_ml":250`, `"volume_ml":1.7e308`), nil},
		{"volume infused beyond double", edit(t, validAdministration, `"volume_infused_ml":250`, `"volume_infused_ml":2e308`), []string{"volume_infused_ml"}},
		{"zero amount", edit(t, validPlan, `"amount":1.50`, `"amount":0.0`), []string{"formulation.ingredients[0].amount"}},
		{"negative amount", edit(t, validPlan, `"amount":1.50`, `"amount":-1`), []string{"formulation.ingredients[0].amount"}},
		{"amount as string", edit(t, validPlan, `"amount":1.50`, `"amount":"1.50"`), []string{"formulation.ingredients[0].amount"}},
		{"null optional", edit(t, validPlan, `"dosing_weight_kg":68.40`, `"dosing_weight_kg":null`), []string{"dosing_weight_kg"}},
		{"null required", edit(t, validPlan, `"status":"active"`, `"status":null`), []string{"status"}},
		{"unknown nested field", edit(t, validPlan, `"volume_ml":250`, `"volume_ml":250,"volum_ml":3`), []string{"formulation.carrier.volum_ml"}},
		{"unknown ingredient field", edit(t, validPlan, `"per_kg":true`, `"per_kg":true,"perkg":1`), []string{"formulation.ingredients[0].perkg"}},
		{"duplicate key", edit(t, validPlan, `"status":"active"`, `"status":"active","status":"draft"`), []string{"status"}},
		{"no rate", edit(t, validPlan, `{"duration_minutes":60}`, `{}`), []string{"rate"}},
		{"unknown rate field", edit(t, validPlan, `{"duration_minutes":60}`, `{"duration_minutes":60,"x":1}`), []string{"rate.x"}},
		{"trailing data", validPlan + ` {}`, []string{""}},
		{"trailing garbage", validPlan + `x`, []string{""}},
		{"trailing white space ok", validPlan + " \n", nil},
		{"not an object", `[1]`, []string{""}},
		{"no kind", `{"id":"x"}`, []string{"kind"}},
		{"bad kind", `{"kind":"nurse"}`, []string{"kind"}},
		{"empty indications", edit(t, validPlan, `["fibromyalgia"]`, `[]`), []string{"indications"}},
		{"unknown indication", edit(t, validPlan, `["fibromyalgia"]`, `["fibromyalgia","gout"]`), []string{"indications[1]"}},
		{"bad date", edit(t, validPlan, `"2026-03-02"`, `"2026-02-30"`), []string{"schedule.start_date"}},
		{"bad time", edit(t, validPlan, `16:40:00-05:00`, `25:40:00-05:00`), []string{"authored_at"}},
		{"lower-case t", edit(t, validPlan, `2026-02-23T16`, `2026-02-23t16`), []string{"authored_at"}},
		{"many errors collected", edit(t, edit(t, validPlan, `"version":1`, `"version":0`), `"unit":"mg"`, `"unit":"mgs"`),
			[]string{"version", "formulation.ingredients[0].unit"}},
		{"id too long", edit(t, validPlan, `"p-1"`, `"`+strings.Repeat("a", 65)+`"`), []string{"id"}},
		{"id 64 ok", edit(t, validPlan, `"p-1"`, `"`+strings.Repeat("a", 64)+`"`), nil},
		{"not done without times ok", `{"kind":"administration","id":"a","version":1,"plan_id":"p","patient_id":"q",
			"session_number":1,"status":"not_done","status_reason":"other","performer_id":"n"}`, nil},
		{"in progress needs start and site", `{"kind":"administration","id":"a","version":1,"plan_id":"p","patient_id":"q",
			"session_number":1,"status":"in_progress","performer_id":"n"}`, []string{"started_at", "site"}},
		{"completed needs everything", `{"kind":"administration","id":"a","version":1,"plan_id":"p","patient_id":"q",
			"session_number":1,"status":"completed","performer_id":"n"}`,
			[]string{"started_at", "ended_at", "site", "volume_infused_ml", "doses"}},
		{"empty status reason", edit(t, validAdministration, `"status":"completed"`, `"status":"completed","status_reason":""`), []string{"status_reason"}},
		{"ended equal started", edit(t, validAdministration, `10:04:30-05:00`, `09:02:00-05:00`), []string{"ended_at"}},
		{"ended after started across offsets", edit(t, validAdministration, `10:04:30-05:00`, `14:04:30Z`), nil},
		{"volume zero ok", edit(t, validAdministration, `"volume_infused_ml":250`, `"volume_infused_ml":0`), nil},
		{"pain 1.0 ok", edit(t, validAdministration, `"site"`, `"pain_before":1.0,"site"`), nil},
		{"pain negative", edit(t, validAdministration, `"site"`, `"pain_after":-1,"site"`), []string{"pain_after"}},
		{"pain fraction", edit(t, validAdministration, `"site"`, `"pain_after":2.5,"site"`), []string{"pain_after"}},
		{"dose missing unit", edit(t, validAdministration, `,"unit":"mg"`, ``), []string{"doses[0].unit"}},
		{"doses not array", edit(t, validAdministration, `[{"substance":"lidocaine","amount":102.60,"unit":"mg"}]`, `{}`), []string{"doses"}},
		{"invalid utf8", edit(t, validPlan, `"L"`, "\"L\xff\""), []string{""}},
		{"lone surrogate", edit(t, validPlan, `"L"`, `"L\ud800"`), []string{""}},
		{"escaped ok", edit(t, validPlan, `"L"`, `"L\u00e9\ud83d\ude00\n"`), nil},
		{"deep nesting", strings.Repeat("[", 100000), []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := Decode([]byte(tt.doc))
			if tt.paths == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				out, err := Encode(rec)
				if err != nil {
					t.Fatal(err)
				}
				again, err := Decode(out)
				if err != nil {
					t.Fatalf("re-decode of %s: %v", out, err)
				}
				if !reflect.DeepEqual(rec, again) {
					t.Errorf("re-decoded record differs:\n%#v\n%#v", rec, again)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			var got []string
			for _, fe := range ve.Errors {
				got = append(got, fe.Path)
			}
			if !reflect.DeepEqual(got, tt.paths) {
				t.Errorf("error paths %q, want %q (%v)", got, tt.paths, err)
			}
		})
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	one := 1
	tests := []struct {
		name  string
		rec   Record
		paths []string
	}{
		{"patient ok", &Patient{Header: Header{KindPatient, "p", 1}, MRN: "m", GivenNames: []string{"A"}, FamilyName: "B",
			BirthDate: "2000-01-01", Sex: "female"}, nil},
		{"wrong kind", &Patient{Header: Header{KindPlan, "p", 1}, MRN: "m", GivenNames: []string{"A"}, FamilyName: "B",
			BirthDate: "2000-01-01", Sex: "female"}, []string{"kind"}},
		{"empty practitioner", &Practitioner{}, []string{"kind", "id", "version", "given_names", "family_name", "role"}},
		{"bad decimal literal", &Patient{Header: Header{KindPatient, "p", 1}, MRN: "m", GivenNames: []string{"A"}, FamilyName: "B",
			BirthDate: "2000-01-01", Sex: "female", WeightKg: ptr(Decimal("1,5"))}, []string{"weight_kg"}},
		{"not done with pain score", &Administration{Header: Header{KindAdministration, "a", 1}, PlanID: "p", Patient: "q", SessionNumber: 1,
			Status: "not_done", StatusReason: "other", PerformerID: "n", PainBefore: &one}, nil},
		{"nil record", (*Plan)(nil), []string{""}},
		{"npi", &Practitioner{Header: Header{KindPractitioner, "p", 1}, NPI: "123", GivenNames: []string{"A"}, FamilyName: "B",
			Role: "pharmacist"}, []string{"npi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.rec)
			var got []string
			var ve *ValidationError
			if errors.As(err, &ve) {
				for _, fe := range ve.Errors {
					got = append(got, fe.Path)
				}
			} else if err != nil {
				t.Fatalf("error %T is not a *ValidationError", err)
			}
			if !reflect.DeepEqual(got, tt.paths) {
				t.Errorf("paths %q, want %q (%v)", got, tt.paths, err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestEncodeRejectsBadLiteral(t *testing.T) {
	_, err := Encode(&Patient{WeightKg: ptr(Decimal("NaN"))})
	if err == nil || !strings.Contains(err.Error(), "weight_kg") {
		t.Errorf("want an error naming weight_kg, got %v", err)
	}
	if _, err := Encode(nil); err == nil {
		t.Error("Encode(nil) succeeded")
	}
}

func TestEncodeEscapes(t *testing.T) {
	p := &Patient{Header: Header{KindPatient, "p", 1}, MRN: "m\"\\\n\x01\u2028é", GivenNames: []string{"A"}, FamilyName: "B",
		BirthDate: "2000-01-01", Sex: "female"}
	out, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"mrn":"m\"\\\n\u0001\u2028é"`) {
		t.Errorf("escaping: %s", out)
	}
	back, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, Record(p)) {
		t.Errorf("round trip: %#v", back)
	}
}

func TestWholeNumber(t *testing.T) {
	tests := []struct {
		lit         string
		n           int
		ok, inRange bool
	}{
		{"0", 0, true, true}, {"-0", 0, true, true}, {"7", 7, true, true}, {"1.0", 1, true, true},
		{"1.5", 0, false, true}, {"15e-1", 0, false, true}, {"150e-2", 0, false, true}, {"0.3e1", 3, true, true},
		{"-2.000E+1", -20, true, true}, {"9007199254740992", 1 << 53, true, true}, {"9007199254740993", 0, true, false},
		{"1e16", 0, true, false}, {"0e999999999999999999999", 0, true, true}, {"0.0e-5", 0, true, true},
		{"1e-99999999999999999999", 0, false, true}, {"12e99999999999999999999", 0, true, false},
	}
	for _, tt := range tests {
		n, ok, inRange := wholeNumber(tt.lit)
		if ok != tt.ok || inRange != tt.inRange || (ok && inRange && n != tt.n) {
			t.Errorf("wholeNumber(%q) = %d, %v, %v; want %d, %v, %v", tt.lit, n, ok, inRange, tt.n, tt.ok, tt.inRange)
		}
	}
}
