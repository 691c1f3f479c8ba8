package conformance

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests in this file pin the validator to what the map-based
// implementation (before the flat tree) did: the parser is compared with
// encoding/json value by value (compareWithEncodingJSON), and Validate's
// issue lists, which carry the parser's error texts and duplicate paths,
// with digests that implementation recorded
// (testdata/validator/digests.json).

var updateValidateDigests = flag.Bool("update-validate-digests", false,
	"rewrite testdata/validator/digests.json from the current Validate (only to record a deliberate change of behaviour)")

// differentialCases are hand-written documents aimed at the parser's and the
// walker's edge cases: syntax errors, duplicate names, numbers, escapes,
// surrogates, nulls and JSON shapes FHIR forbids.
var differentialCases = []struct{ name, doc string }{
	{"administration", baseAdministration},
	{"bundle3", string(benchBundle(3))},

	// Syntax and encoding errors: the fatal issue quotes the offset.
	{"empty", ``},
	{"space", " \t\r\n"},
	{"open-object", `{`},
	{"open-array", `[`},
	{"trailing-comma-object", `{"a":1,}`},
	{"trailing-comma-array", `[1,]`},
	{"missing-colon", `{"a" 1}`},
	{"missing-comma", `{"a":1 "b":2}`},
	{"key-not-string", `{a:1}`},
	{"literal-short", `nul`},
	{"literal-wrong", `{"a":tru}`},
	{"literal-t", `t`},
	{"leading-zero", `01`},
	{"minus-alone", `-`},
	{"dot-no-digits", `1.`},
	{"exp-no-digits", `1e`},
	{"exp-sign-no-digits", `1e+`},
	{"unterminated-string", `"abc`},
	{"unterminated-escape", `"a\`},
	{"unterminated-after-escape", `{"a":"x\n`},
	{"bad-escape", `"\x"`},
	{"bad-u-escape", `"\u12G4"`},
	{"short-u-escape", `"\u12"`},
	{"bad-second-surrogate-escape", `"\ud800\u12"`},
	{"control-char", "\"a\x01\""},
	{"control-char-after-escape", "\"a\\n\x01\""},
	{"invalid-utf8-value", "{\"resourceType\":\"Patient\",\"id\":\"\xff\"}"},
	{"invalid-utf8-key", "{\"resourceType\":\"Patient\",\"\xc3\":1}"},
	{"invalid-utf8-after-escape", "{\"resourceType\":\"Patient\",\"id\":\"\\u00e9\xe2\x82\"}"},
	{"bom", "\xef\xbb\xbf{\"resourceType\":\"Patient\"}"},
	{"trailing-data", `{"resourceType":"Patient"} x`},
	{"two-documents", `{"resourceType":"Patient"}{}`},
	{"unexpected-char", `{"resourceType":"Patient","active":+1}`},
	{"depth-512", strings.Repeat("[", 512) + strings.Repeat("]", 512)},
	{"depth-513", strings.Repeat("[", 513) + strings.Repeat("]", 513)},
	{"depth-513-objects", strings.Repeat(`{"a":`, 513) + "1" + strings.Repeat("}", 513)},

	// Not a resource.
	{"null", `null`},
	{"array", `[]`},
	{"string", `"x"`},
	{"number", `1`},
	{"true", `true`},
	{"empty-object", `{}`},
	{"resourceType-null", `{"resourceType":null}`},
	{"resourceType-number", `{"resourceType":1}`},
	{"resourceType-unknown", `{"resourceType":"Nope","x":1}`},
	{"resourceType-escaped-key", `{"resource\u0054ype":"Patient","gender":"ma\u006ce"}`},

	// Duplicate property names: the last value counts, every repeat is reported.
	{"dup-id", `{"resourceType":"Patient","id":"a","id":"b"}`},
	{"dup-resourceType", `{"resourceType":"Patient","resourceType":"Observation"}`},
	{"dup-resourceType-unknown-last", `{"resourceType":"Patient","resourceType":"Nope"}`},
	{"dup-last-bad", `{"resourceType":"Patient","gender":"male","gender":"bogus"}`},
	{"dup-last-good", `{"resourceType":"Patient","gender":"bogus","gender":"male"}`},
	{"dup-array-items", `{"resourceType":"Patient","name":[{"given":["a"],"given":["b","c"],"_given":[null,{"id":"x"}]}]}`},
	{"dup-inside-discarded", `{"resourceType":"Patient","name":{"a":1,"a":2},"name":[{"text":"x","text":"y"}]}`},
	{"dup-thrice", `{"resourceType":"Patient","active":true,"active":false,"active":1}`},
	{"dup-extension-holder", `{"resourceType":"Patient","active":true,"_active":{"id":"x"},"_active":{"extension":[]}}`},
	{"dup-empty-key", `{"":1,"":2}`},
	{"dup-escaped-equal", `{"resourceType":"Patient","gender":"male","gend\u0065r":"female"}`},
	{"dup-root-array", `[{"a":1,"a":2},[{"b":[{"c":1,"c":2}]}]]`},
	{"dup-unknown-root", `{"resourceType":"Nope","x":1,"x":2}`},
	{"dup-null-id", `{"resourceType":"Patient","name":[{"id":"x","id":null}]}`},
	{"dup-many-members", manyMembers()},

	// Numbers keep their text.
	{"decimal-negative-zero", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":-0.0}}`},
	{"decimal-huge", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e400}}`},
	{"decimal-exp", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1E+2}}`},
	{"decimal-string", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"1.5"}}`},
	{"integer-fraction", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":1.0}`},
	{"integer-exp", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":1e2}`},
	{"integer-overflow", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":2147483648}`},
	{"integer-min", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":-2147483648}`},
	{"integer-string", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":"1"}`},
	{"integer-bool", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":true}`},
	{"unsignedInt-negative", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p"},"medicationCodeableConcept":{"text":"x"},"dispenseRequest":{"numberOfRepeatsAllowed":-1}}`},
	{"positiveInt-zero", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p"},"medicationCodeableConcept":{"text":"x"},"dosageInstruction":[{"timing":{"repeat":{"count":0,"duration":-1,"period":-2.5,"offset":3}}}]}`},
	{"age-negative", `{"resourceType":"Condition","subject":{"reference":"Patient/p"},"onsetAge":{"value":-1.5,"system":"http://unitsofmeasure.org","code":"a"}}`},
	{"range-reversed", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueRange":{"low":{"value":5,"code":"mg"},"high":{"value":1e0,"code":"mg"}}}`},
	{"boolean-number", `{"resourceType":"Patient","active":1}`},
	{"boolean-string", `{"resourceType":"Patient","active":"true"}`},

	// Escapes and surrogates in values.
	{"escaped-id", `{"resourceType":"Patient","id":"a\u0062c\/d"}`},
	{"escaped-control", `{"resourceType":"Patient","name":[{"text":"a\u0000b\tc"}]}`},
	{"lone-surrogate", `{"resourceType":"Patient","gender":"\ud800"}`},
	{"surrogate-pair", `{"resourceType":"Patient","gender":"\ud83d\ude00","name":[{"text":"\ud83d\ude00"}]}`},
	{"reversed-surrogates", `{"resourceType":"Patient","name":[{"text":"\ude00\ud83d"}],"gender":"\ude00\ud83d"}`},
	{"surrogate-then-escape", `{"resourceType":"Patient","gender":"\ud800\u0041"}`},
	{"escaped-code-space", `{"resourceType":"Patient","gender":"male\u0020"}`},
	{"escaped-key-unknown", `{"resourceType":"Patient","\u00e9":1}`},

	// Nulls, arrays and objects where FHIR wants something else.
	{"id-null", `{"resourceType":"Patient","id":null}`},
	{"element-only-id", `{"resourceType":"Patient","name":[{"id":"x"}]}`},
	{"element-only-null-id", `{"resourceType":"Patient","name":[{"id":null}]}`},
	{"element-empty", `{"resourceType":"Patient","name":[{}]}`},
	{"array-empty", `{"resourceType":"Patient","name":[]}`},
	{"array-null-item", `{"resourceType":"Patient","name":[null]}`},
	{"array-expected", `{"resourceType":"Patient","name":{"text":"x"}}`},
	{"array-not-allowed", `{"resourceType":"Patient","gender":["male"]}`},
	{"object-expected", `{"resourceType":"Patient","maritalStatus":"M"}`},
	{"primitive-object", `{"resourceType":"Patient","gender":{"value":"male"}}`},
	{"extension-misaligned", `{"resourceType":"Patient","name":[{"given":["a","b"],"_given":[{"id":"x"}]}]}`},
	{"extension-null-both", `{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,null]}]}`},
	{"extension-not-array", `{"resourceType":"Patient","name":[{"given":["a"],"_given":{"id":"x"}}]}`},
	{"extension-only", `{"resourceType":"Patient","_gender":{"extension":[{"url":"http://x","valueString":"y"}]}}`},
	{"extension-holder-string", `{"resourceType":"Patient","gender":"male","_gender":"x"}`},
	{"extension-unknown", `{"resourceType":"Patient","_foo":{"id":"x"},"_name":{"id":"y"},"_":1}`},
	{"extension-null-primitive", `{"resourceType":"Patient","gender":null,"_gender":{"id":"x"}}`},
	{"primitive-null", `{"resourceType":"Patient","gender":null}`},
	{"ext-1", `{"resourceType":"Patient","extension":[{"url":"http://x"},{"url":"http://y","valueString":"z","extension":[{"url":"a","valueBoolean":true}]}]}`},
	{"two-variants", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","_valueBoolean":{"id":"b"},"valueInteger":1}`},
	{"variant-and-extension", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","_valueString":{"id":"b"}}`},

	// Contained resources, references and narrative.
	{"contained", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p"},"contained":[{"resourceType":"Medication","id":"m"},{"resourceType":"Medication","id":"unused","meta":{"versionId":"1","security":[{"code":"x"}]}},{"resourceType":"Patient","id":"c","contained":[{"resourceType":"Patient"}],"link":[{"other":{"reference":"#"},"type":"seealso"}]},"x",null],"medicationReference":{"reference":"#m"},"requester":{"reference":"#missing"},"note":[{"text":"x","authorReference":{"reference":"#c","type":"Device"}}]}`},
	{"references", `{"resourceType":"MedicationAdministration","status":"completed","medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Encounter/e"},"context":{"reference":"nope"},"effectiveDateTime":"2020","performer":[{"actor":{"reference":"http://x/fhir/Patient/1/_history/2"}},{"actor":{"reference":"Foo/1"}},{"actor":{"reference":"urn:uuid:1"}},{"actor":{"reference":"Practitioner?identifier=x"}}],"request":{"reference":"MedicationRequest/a b"}}`},
	{"narrative", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script><a href=\"javascript:x\" onclick=\"y\">z</a></div>"}}`},
	{"narrative-empty", `{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"> </div>"}}`},
	{"narrative-no-xmlns", `{"resourceType":"Patient","text":{"status":"generated","div":"<div>x</div>"}}`},
	{"dates", `{"resourceType":"Patient","birthDate":"2020-02-30","deceasedDateTime":"2020-01-01T10:00:00","meta":{"lastUpdated":"2020"},"period":{"start":"x"}}`},
	{"period-reversed", `{"resourceType":"Encounter","status":"finished","class":{"code":"x"},"period":{"start":"2021","end":"2020-12-31T23:00:00-14:00"}}`},
	{"coding-binding", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p"},"clinicalStatus":{"coding":[{"system":"x","code":"y"},{"code":"z"},"s",{"system":"x"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"entered-in-error"}]}}`},
	{"condition-invariants", `{"resourceType":"Condition","subject":{"reference":"Patient/p"},"category":[{"coding":[{"code":"problem-list-item"}]},"x"],"abatementString":"x","stage":[{}],"evidence":[{}]}`},
	{"contained-refers-to-container", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/p"},"medicationCodeableConcept":{"text":"x"},"contained":[{"resourceType":"Patient","id":"c","link":[{"other":{"reference":"#"},"type":"seealso"}]}]}`},
	{"extension-only-invariants", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1,"_code":{"extension":[{"url":"http://x","valueString":"y"}]}},"dataAbsentReason":{"text":"y"}}`},
	{"extension-only-choice", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"_valueString":{"extension":[{"url":"http://x","valueString":"y"}]},"dataAbsentReason":{"text":"y"}}`},
	{"required-null-with-extension", `{"resourceType":"Observation","status":null,"_status":{"extension":[{"url":"http://x","valueString":"y"}]},"code":{"text":"x"}}`},
	{"category-object", `{"resourceType":"Condition","subject":{"reference":"Patient/p"},"category":{"coding":[{"code":"problem-list-item"}]}}`},
	{"bundle-message-first-not-object", `{"resourceType":"Bundle","type":"message","entry":["x",{"resource":{"resourceType":"MessageHeader","eventCoding":{"code":"x"},"source":{"endpoint":"http://x"}}}]}`},
	{"observation-invariants", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"s","code":"c"}]},"valueString":"x","dataAbsentReason":{"text":"y"},"component":[{"code":{"coding":[{"system":"s","code":"c"}]}}],"referenceRange":[{}]}`},

	// Bundles.
	{"bundle-rules", `{"resourceType":"Bundle","type":"transaction","total":3,"entry":[` +
		`{"fullUrl":"http://x/fhir/Patient/1","resource":{"resourceType":"Observation","id":"1","status":"final","code":{"text":"x"}},"request":{"method":"POST","url":"Patient"}},` +
		`{"fullUrl":"http://x/fhir/Patient/1","resource":{"resourceType":"Patient","id":"2"},"request":{"method":"PUT","url":"Patient/3?x=y"}},` +
		`{"request":{"method":"PUT","url":"Patient/4"}},` +
		`{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","id":"5"},"request":{"method":"POST","url":"Patient/$match"}},` +
		`{"fullUrl":"http://x/Patient/6/_history/1","resource":{"resourceType":"Patient","id":"6"},"search":{"mode":"match"}},` +
		`"x",null,{}]}`},
	{"bundle-put-urls", `{"resourceType":"Bundle","type":"batch","entry":[` +
		`{"resource":{"resourceType":"Patient","id":"1"},"request":{"method":"PUT","url":"Patient/1/_history/2"}},` +
		`{"resource":{"resourceType":"Patient","id":"1"},"request":{"method":"PUT","url":"Patient/2/"}},` +
		`{"resource":{"resourceType":"Patient","id":"1"},"request":{"method":"PUT","url":"Patient/"}},` +
		`{"resource":{"resourceType":"Patient","id":"1"},"request":{"method":"PUT","url":"/Patient/2"}},` +
		`{"resource":{"resourceType":"Patient","id":"1"},"request":{"method":"PUT","url":"Patient?identifier=x/y"}},` +
		`{"resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient/3"}},` +
		`{"resource":{"resourceType":"Patient","id":"1"},"request":{"method":"PUT","url":"Patient/2"}}]}`},
	{"bundle-references", `{"resourceType":"Bundle","type":"collection","entry":[` +
		`{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient"}},` +
		`{"fullUrl":"http://x/fhir/Encounter/e","resource":{"resourceType":"Encounter","status":"finished","class":{"code":"x"}}},` +
		`{"fullUrl":"urn:uuid:o","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:p"},"encounter":{"reference":"urn:uuid:p"},"basedOn":[{"reference":"http://x/fhir/Encounter/e"}]}}]}`},
	{"bundle-document", `{"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Patient"}}]}`},
	{"bundle-message", `{"resourceType":"Bundle","type":"message","identifier":{"system":"x"},"entry":["x",{"resource":{"resourceType":"Patient"}}]}`},
	{"bundle-entry-not-array", `{"resourceType":"Bundle","type":"batch","entry":{"request":{"method":"POST","url":"Patient"}}}`},
	{"bundle-wrong-resource", `{"resourceType":"Parameters","parameter":[{"name":"a","resource":{"resourceType":"Nope"}},{"name":"b","valueString":"x","resource":{"resourceType":"Patient"}},{"name":"c"}]}`},
	{"capability", `{"resourceType":"CapabilityStatement","status":"active","date":"2020","kind":"instance","fhirVersion":"4.0.1","format":["json"],"software":{"name":"x"},"messaging":[{"endpoint":[{"protocol":{"code":"http"},"address":"http://x"}]}],"document":[{"mode":"producer","profile":"http://x"},{"mode":"producer","profile":"http://x"}],"rest":[{"mode":"server","resource":[{"type":"Patient","searchParam":[{"name":"a","type":"string"},{"name":"a","type":"token"}]},{"type":"Patient"}]}]}`},
}

// manyMembers is an object with more members than a linear duplicate scan
// is meant for, with repeats among them.
func manyMembers() string {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient"`)
	for i := range 80 {
		fmt.Fprintf(&b, `,"k%d":%d`, i%50, i)
	}
	b.WriteString(`,"gender":"male","gender":"x","name":[{"text":"a"}]}`)
	return b.String()
}

// differentialInput is one document the implementations are compared on.
type differentialInput struct {
	name string
	data []byte
}

// exampleInputs returns the official examples, each followed by its
// mutants, grouped per example; it skips t when the examples are absent.
func exampleInputs(t *testing.T) [][]differentialInput {
	t.Helper()
	m, err := loadModel()
	if err != nil {
		t.Fatal(err)
	}
	var groups [][]differentialInput
	for _, ex := range loadExamples(t) {
		g := []differentialInput{{ex.name, ex.data}}
		for _, mu := range makeMutants(t, m, ex) {
			g = append(g, differentialInput{mu.id, mu.data})
		}
		groups = append(groups, g)
	}
	return groups
}

// goldenInputs returns the translation golden Bundles of the repository.
func goldenInputs(t *testing.T) []differentialInput {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "testdata", "golden", "*.json"))
	var out []differentialInput
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, differentialInput{"golden/" + filepath.Base(f), data})
	}
	return out
}

// parsedAsMap parses data with the validator's parser and returns the
// result in encoding/json's shapes (with UseNumber).
func parsedAsMap(data []byte) (any, []string, error) {
	var p jsonParser
	root, err := p.parse(data)
	if err != nil {
		return nil, nil, err
	}
	return treeToMap(root), p.dups, nil
}

// treeToMap converts a parsed value to encoding/json's shapes with
// UseNumber.
func treeToMap(v jval) any {
	switch v.kind() {
	case jObject:
		m := make(map[string]any, v.len())
		for c := v.first(); c.ok(); c = c.next() {
			if _, dup := m[c.key()]; dup {
				// A repeated name must not reach the walker twice.
				return fmt.Sprintf("tree has member %q twice", c.key())
			}
			m[c.key()] = treeToMap(c)
		}
		if len(m) != v.len() {
			return fmt.Sprintf("object of %d members counts %d", len(m), v.len())
		}
		return m
	case jArray:
		a := make([]any, 0, v.len())
		for c := v.first(); c.ok(); c = c.next() {
			a = append(a, treeToMap(c))
		}
		if len(a) != v.len() {
			return fmt.Sprintf("array of %d items counts %d", len(a), v.len())
		}
		return a
	case jString:
		s, _ := v.asString()
		return s
	case jNumber:
		s, _ := v.numberText()
		return json.Number(s)
	case jTrue:
		return true
	case jFalse:
		return false
	}
	return nil
}

func TestParseMatchesEncodingJSON(t *testing.T) {
	check := func(t *testing.T, in differentialInput) {
		if d := compareWithEncodingJSON(in.data); d != "" {
			t.Errorf("%s: %s", in.name, d)
		}
	}
	for _, c := range differentialCases {
		check(t, differentialInput{c.name, []byte(c.doc)})
	}
	for _, in := range goldenInputs(t) {
		check(t, in)
	}
	t.Run("examples", func(t *testing.T) {
		for _, g := range exampleInputs(t) {
			for _, in := range g {
				check(t, in)
			}
		}
	})
}

// issuesDigest is a short hash of Validate's result on data, nil and empty
// told apart.
func issuesDigest(v *Validator, data ...[]byte) string {
	h := sha256.New()
	for _, d := range data {
		out, err := json.Marshal(v.Validate(d))
		if err != nil {
			panic(err)
		}
		h.Write(out)
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func TestValidateMatchesRecorded(t *testing.T) {
	v := NewValidator()
	got := map[string]string{}
	for _, c := range differentialCases {
		got["case/"+c.name] = issuesDigest(v, []byte(c.doc))
	}
	for _, in := range goldenInputs(t) {
		got[in.name] = issuesDigest(v, in.data)
	}
	examples := true
	t.Run("examples", func(t *testing.T) {
		examples = false
		for _, g := range exampleInputs(t) {
			data := make([][]byte, len(g))
			for i, in := range g {
				data[i] = in.data
			}
			got[fmt.Sprintf("example/%s+%d-mutants", g[0].name, len(g)-1)] = issuesDigest(v, data...)
		}
		examples = true
	})
	file := filepath.Join(repoRoot(t), "testdata", "validator", "digests.json")
	if *updateValidateDigests {
		if !examples {
			t.Fatal("not rewriting the digests without the official examples")
		}
		writeDigests(t, file, got)
		return
	}
	recordedValidateDigests := readDigests(t, file)
	for name, d := range got {
		want, ok := recordedValidateDigests[name]
		switch {
		case !ok:
			t.Errorf("%s: no recorded digest", name)
		case d != want:
			detail := ""
			for _, c := range differentialCases {
				if "case/"+c.name == name {
					detail = fmt.Sprintf(": now %+v", v.Validate([]byte(c.doc)))
				}
			}
			t.Errorf("%s: issues differ from the recorded ones%s", name, detail)
		}
	}
	for name := range recordedValidateDigests {
		if _, ok := got[name]; !ok && (examples || !strings.HasPrefix(name, "example/")) {
			t.Errorf("%s: recorded but not checked", name)
		}
	}
}

// readDigests reads the recorded digests: name → issuesDigest.
func readDigests(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var digests map[string]string
	if err := json.Unmarshal(data, &digests); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return digests
}

// writeDigests rewrites the recorded digests (json sorts the names).
func writeDigests(t *testing.T, file string, digests map[string]string) {
	t.Helper()
	data, err := json.MarshalIndent(digests, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
