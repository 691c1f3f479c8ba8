package safety

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/mappings/terminology"
)

func terminologySubstance(t *testing.T) SubstanceOf {
	t.Helper()
	terms := terminology.Default()
	return func(system, code string) (string, bool) {
		s, err := terms.Reverse(terminology.Substance, system, code)
		return s, err == nil
	}
}

const lidocaineAllergy = `{"resourceType":"AllergyIntolerance","id":"ai-1","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},"code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"6387","display":"lidocaine"}]},"patient":{"reference":"Patient/fhir-pat-t"}}`

// TestUpstreamAllergies: an AllergyIntolerance the upstream holds for the
// patient blocks an active plan with that substance; a refuted one does not;
// an unreachable upstream leaves a low finding instead of failing the check.
func TestUpstreamAllergies(t *testing.T) {
	ctx := context.Background()
	set := NewRecordSet()
	if err := set.Add(patient()); err != nil {
		t.Fatal(err)
	}
	plan := testPlan(ing("lidocaine", "1.5", "mg", true, ""))
	var asked []string
	base := NewEngine(DefaultRules(), set, terminologySubstance(t), func(id string) string { return "fhir-" + id })
	cases := []struct {
		name        string
		answer      []string
		err         error
		wantBlocked bool
		wantDetail  string
		wantSev     Severity
	}{
		{"allergy upstream", []string{lidocaineAllergy}, nil, true, "AllergyIntolerance ai-1 on the upstream", High},
		{"refuted upstream", []string{strings.Replace(lidocaineAllergy, `"clinicalStatus"`, `"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"refuted"}]},"clinicalStatus"`, 1)}, nil, false, "", ""},
		{"other substance upstream", []string{strings.Replace(lidocaineAllergy, `"6387"`, `"6960"`, 1)}, nil, false, "", ""},
		{"upstream down", nil, errors.New("connection refused"), false, "allergy check incomplete", Low},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eng := base.WithUpstreamAllergies(func(_ context.Context, id string) ([][]byte, error) {
				asked = append(asked, id)
				var out [][]byte
				for _, a := range c.answer {
					out = append(out, []byte(a))
				}
				return out, c.err
			})
			res, err := eng.Check(ctx, plan, nil)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if res.Blocked != c.wantBlocked {
				t.Errorf("blocked = %v, want %v; findings %+v", res.Blocked, c.wantBlocked, res.Findings)
			}
			got := findingsOf(res.Findings, "allergy")
			if c.wantDetail == "" {
				if len(got) != 0 {
					t.Errorf("unexpected allergy finding: %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Severity != c.wantSev || !strings.Contains(got[0].Detail, c.wantDetail) {
				t.Errorf("allergy findings %+v, want one %s finding mentioning %q", got, c.wantSev, c.wantDetail)
			}
		})
	}
	if len(asked) == 0 || asked[0] != "fhir-pat-t" {
		t.Errorf("upstream asked for %v, want the patient's FHIR id", asked)
	}
}

func TestCachedUpstreamAllergies(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := 0
	fail := false
	f := CachedUpstreamAllergies(func(context.Context, string) ([][]byte, error) {
		calls++
		if fail {
			return nil, errors.New("down")
		}
		return [][]byte{[]byte(lidocaineAllergy)}, nil
	}, time.Minute, func() time.Time { return now })
	ctx := context.Background()
	for range 3 {
		if _, err := f(ctx, "p1"); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d upstream reads for three checks within the TTL, want 1", calls)
	}
	now = now.Add(2 * time.Minute)
	fail = true
	if _, err := f(ctx, "p1"); err == nil {
		t.Fatal("an expired entry hid the upstream's failure")
	}
	if _, err := f(ctx, "p1"); err == nil || calls != 3 {
		t.Fatalf("a failure was cached (calls %d)", calls)
	}
}
