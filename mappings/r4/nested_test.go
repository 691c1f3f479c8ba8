package r4_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/r4"
)

// assertSplicedLikeLegacy checks that Marshal, which splices nested
// resources into their parent, writes the very bytes of the plain
// encoding/json path, and that a decoded resource holds no verified
// encoding once Unmarshal has returned.
func assertSplicedLikeLegacy(t *testing.T, name string, r r4.Resource) {
	t.Helper()
	got, err := r4.Marshal(r)
	if err != nil {
		t.Fatalf("%s: Marshal: %v", name, err)
	}
	want, err := r4.LegacyMarshal(r)
	if err != nil {
		t.Fatalf("%s: LegacyMarshal: %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: spliced output differs from encoding/json's\n got: %s\nwant: %s", name, got, want)
	}
	if r4.HasRaw(r) {
		t.Fatalf("%s: a verified encoding outlived Unmarshal", name)
	}
}

func TestSplicedNestedMatchesLegacy(t *testing.T) {
	var all []r4.Resource
	for _, f := range exampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := mustUnmarshal(t, data)
		name := filepath.Base(f)
		assertSplicedLikeLegacy(t, name, r)
		all = append(all, r)
		// What ivbridge itself would write for the same content.
		r2 := mustUnmarshal(t, data)
		if _, err := r4.TypedOnly(r2); err != nil {
			t.Fatalf("%s: TypedOnly: %v", name, err)
		}
		assertSplicedLikeLegacy(t, name+" (typed only)", r2)
	}
	// Everything nested once more, with the degenerate nested values too.
	b := &r4.Bundle{Type: "collection"}
	for _, r := range all {
		b.Entry = append(b.Entry, r4.BundleEntry{FullUrl: "urn:x", Resource: r,
			Response: &r4.BundleEntryResponse{Status: "200", Outcome: &r4.OperationOutcome{Issue: []r4.OperationOutcomeIssue{{Severity: "information", Code: "informational"}}}}})
	}
	b.Entry = append(b.Entry, r4.BundleEntry{}, r4.BundleEntry{Resource: (*r4.Patient)(nil)}, r4.BundleEntry{Resource: (*r4.Generic)(nil)})
	assertSplicedLikeLegacy(t, "bundle of all", b)
	out := mustMarshal(t, b)
	assertSplicedLikeLegacy(t, "bundle of all, read back", mustUnmarshal(t, out))

	p := &r4.Parameters{Parameter: []r4.ParametersParameter{
		{Name: "a", Resource: all[0], Part: []r4.ParametersParameter{{Name: "b", Resource: all[1]}, {Name: "c", ValueString: new("x")}}},
		{Name: "d", Resource: all[2]},
	}}
	assertSplicedLikeLegacy(t, "parameters", p)
	assertSplicedLikeLegacy(t, "parameters, read back", mustUnmarshal(t, mustMarshal(t, p)))

	// Nil nested resources are left out (encoding/json would write null).
	ma := infusion()
	ma.Contained = append(ma.Contained, nil, (*r4.Medication)(nil), &r4.Medication{})
	want := infusion()
	want.Contained = append(want.Contained, &r4.Medication{})
	if got := mustMarshal(t, ma); !bytes.Equal(got, mustMarshal(t, want)) {
		t.Errorf("nil contained resources written: %s", got)
	}
}

// TestEditsAfterReadingNested changes nested resources of a Bundle read from
// ivbridge's own output: Marshal must write the changes, not the bytes that
// were verified while the Bundle was read.
func TestEditsAfterReadingNested(t *testing.T) {
	ma := infusion()
	b := &r4.Bundle{Type: "collection", Entry: []r4.BundleEntry{
		{FullUrl: "urn:uuid:" + ma.Id, Resource: ma},
		{Resource: &r4.Patient{Id: "p1", Active: new(true)}, Response: &r4.BundleEntryResponse{Status: "201", Outcome: &r4.OperationOutcome{Issue: []r4.OperationOutcomeIssue{{Severity: "information", Code: "informational"}}}}},
	}}
	data := mustMarshal(t, b)
	got, ok := mustUnmarshal(t, data).(*r4.Bundle)
	if !ok {
		t.Fatal("not a Bundle")
	}
	if r4.HasRaw(got) {
		t.Fatal("a verified encoding outlived Unmarshal")
	}
	got.Entry[0].Resource.(*r4.MedicationAdministration).Status = "stopped"
	got.Entry[0].Resource.(*r4.MedicationAdministration).Contained[0].(*r4.Medication).Id = "med2"
	got.Entry[1].Resource.(*r4.Patient).Active = new(false)
	got.Entry[1].Response.Outcome.(*r4.OperationOutcome).Issue[0].Diagnostics = "changed"
	out := string(mustMarshal(t, got))
	for _, want := range []string{`"status":"stopped"`, `"id":"med2"`, `"active":false`, `"diagnostics":"changed"`} {
		if !strings.Contains(out, want) {
			t.Errorf("edit %s lost: %s", want, out)
		}
	}
	// A nested resource that carries a delta is still written with it.
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["entry"].([]any)[1].(map[string]any)["resource"].(map[string]any)["_active"] = map[string]any{"id": "x"}
	foreign, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, mustMarshal(t, mustUnmarshal(t, foreign)), foreign)
}

func TestBundleEntryInMatchesBundleEntry(t *testing.T) {
	if bad := r4.EntryInFields(); len(bad) > 0 {
		t.Fatalf("bundleEntryIn out of step with BundleEntry: %v", bad)
	}
}

// TestBundleEntryErrors checks that errors inside entries are still reported.
func TestBundleEntryErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"resource not object", `{"resourceType":"Bundle","entry":[{"resource":1}]}`, "entry[0]"},
		{"outcome bad", `{"resourceType":"Bundle","entry":[{"response":{"outcome":{"resourceType":"OperationOutcome","issue":1}}}]}`, "response"},
		{"entry wrong type", `{"resourceType":"Bundle","entry":[{"fullUrl":1}]}`, "fullUrl"},
		{"nested type mismatch", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","active":"yes"}}]}`, "active"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r4.Unmarshal([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

// checkSplitArray compares splitArray with encoding/json on valid JSON.
func checkSplitArray(t *testing.T, data []byte) {
	t.Helper()
	if !json.Valid(data) {
		return
	}
	var want []json.RawMessage
	isArray := json.Unmarshal(data, &want) == nil && bytes.HasPrefix(bytes.TrimSpace(data), []byte("["))
	got, ok := r4.SplitArray(data)
	if ok != isArray {
		t.Fatalf("%q: array %v, want %v", data, ok, isArray)
	}
	if !ok {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%q: %d elements, want %d", data, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%q: element %d is %q, want %q", data, i, got[i], want[i])
		}
	}
}

var splitSeeds = []string{
	`[]`, ` [ ] `, `[1]`, `[1,2 , 3]`, `["a,b]","c\"]",{"x":[1,{"y":"}"}]}]`, `[ {"resourceType":"Medication"} , null ,true,false,-1.5e3]`,
	`[[[]],[{}]]`, `["\\"]`, `{"a":1}`, `1`, `"["`, "[\n\t1\r\n]",
}

func TestSplitArray(t *testing.T) {
	for _, s := range splitSeeds {
		checkSplitArray(t, []byte(s))
	}
}

func FuzzSplitArray(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSplitArray(t, data)
		r4.SplitArray(data) // never panics, valid or not
	})
}

// TestDeepCompactNestingStaysCheap nests compact resources that look like
// the codec's own output until a member it does not model comes after the
// nested one, at every level: each level must still be read once (reading
// them again at each level would take 2^40 steps), and the result must be
// what encoding/json reads.
func TestDeepCompactNestingStaysCheap(t *testing.T) {
	const depth = 40
	build := func(innermost, after string) string {
		inner := innermost
		for i := 0; i < depth; i++ {
			inner = `{"resourceType":"Observation","contained":[` + inner + `],"status":"final"` + after + `}`
		}
		return inner
	}
	ok := build(`{"resourceType":"Observation","status":"final"}`, `,"x":1`)
	res := mustUnmarshal(t, []byte(ok))
	assertSameJSON(t, mustMarshal(t, res), []byte(ok))
	if r4.HasRaw(res) {
		t.Fatal("a verified encoding outlived Unmarshal")
	}
	own := build(`{"resourceType":"Observation","status":"final"}`, ``)
	res = mustUnmarshal(t, []byte(own))
	if got := mustMarshal(t, res); !bytes.Equal(got, []byte(own)) {
		t.Fatalf("own output not written back byte for byte")
	}
	for _, tc := range []struct{ name, innermost, after, want string }{
		{"type error", `{"resourceType":"Observation","status":1}`, ``, "contained[0]"},
		{"type error, unknown after", `{"resourceType":"Observation","status":1}`, `,"x":1`, "contained[0]"},
		{"bad literal", `{"resourceType":"Observation","valueQuantity":{"value":01}}`, ``, "invalid JSON"},
		{"syntax", `{"resourceType":"Observation","status":"final"`, ``, "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r4.Unmarshal([]byte(build(tc.innermost, tc.after)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
