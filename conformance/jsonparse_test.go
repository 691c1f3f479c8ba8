package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func stdDecode(data []byte) (any, error) {
	if !json.Valid(data) {
		return nil, errors.New("encoding/json: invalid")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		dups    []string
		compare bool // compare with encoding/json
	}{
		{`{"a":[1,-0.5e+3,true,false,null,"x\u00e9\n\"\\\/"],"b":{}}`, true, nil, true},
		{`  {"a" : [ ] }  `, true, nil, true},
		{`"\ud83d\ude00 \ud800 x"`, true, nil, true},
		{`{"a":1,"a":2}`, true, []string{"a"}, false},
		{`{"x":[{"b":1,"b":1}]}`, true, []string{"x[0].b"}, false},
		{`{"a":1,}`, false, nil, false},
		{`[1 2]`, false, nil, false},
		{`01`, false, nil, false},
		{`1.`, false, nil, false},
		{`"a` + "\x01" + `"`, false, nil, false},
		{"\"\xff\"", false, nil, false},
		{`{"a":1} x`, false, nil, false},
		{`tru`, false, nil, false},
		{`"\x"`, false, nil, false},
		{``, false, nil, false},
	}
	for _, tc := range tests {
		v, dups, err := parsedAsMap([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if err != nil && !errors.Is(err, errJSON) {
			t.Errorf("%q: error %v does not wrap errJSON", tc.in, err)
		}
		if !slices.Equal(dups, tc.dups) {
			t.Errorf("%q: dups %v, want %v", tc.in, dups, tc.dups)
		}
		if tc.compare {
			want, err := stdDecode([]byte(tc.in))
			if err != nil || !reflect.DeepEqual(v, want) {
				t.Errorf("%q: got %#v, encoding/json %#v (%v)", tc.in, v, want, err)
			}
		}
	}
	deep := bytes.Repeat([]byte("["), maxJSONDepth+1)
	if _, _, err := parsedAsMap(deep); err == nil {
		t.Error("deep nesting accepted")
	}
}

// compareWithEncodingJSON reports where the parser and encoding/json
// (UseNumber) differ on data: the verdict or the value. FHIR is stricter
// in two places, where only the parser refuses: invalid UTF-8 and nesting
// deeper than maxJSONDepth. A repeated name keeps its last value in both.
func compareWithEncodingJSON(data []byte) string {
	got, _, err := parsedAsMap(data)
	want, stdErr := stdDecode(data)
	switch {
	case err == nil && stdErr != nil:
		return fmt.Sprintf("accepted what encoding/json refuses (%v)", stdErr)
	case err == nil && !utf8.Valid(data):
		return "accepted invalid UTF-8"
	case err != nil && stdErr == nil && utf8.Valid(data) && !strings.Contains(err.Error(), "nesting deeper"):
		return fmt.Sprintf("refused valid JSON: %v", err)
	case err == nil && !reflect.DeepEqual(got, want):
		return fmt.Sprintf("value %#v, encoding/json %#v", got, want)
	}
	return ""
}

// FuzzParseJSON checks the parser against encoding/json
// (compareWithEncodingJSON).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,"x\u00e9"],"b":null}`, `"\ud83d\ude00"`, `[{"a":1,"a":2}]`, `-0`, `{"":{}}`, "\"\xe2\x82\"", `[`, `"\u12"`, `""}`} {
		f.Add([]byte(s))
	}
	for _, c := range differentialCases {
		if len(c.doc) < 4096 {
			f.Add([]byte(c.doc))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if d := compareWithEncodingJSON(data); d != "" {
			t.Fatalf("%q: %s", data, d)
		}
	})
}
