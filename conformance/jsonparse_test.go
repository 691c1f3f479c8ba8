package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
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

// FuzzParseJSON checks the parser against encoding/json: same verdict and
// same value, except where FHIR is stricter (invalid UTF-8).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,"x\u00e9"],"b":null}`, `"\ud83d\ude00"`, `[{"a":1,"a":2}]`, `-0`, `{"":{}}`, "\"\xe2\x82\"", `[`, `"\u12"`, `""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, dups, err := parsedAsMap(data)
		want, stdErr := stdDecode(data)
		switch {
		case err == nil && stdErr != nil:
			t.Fatalf("accepted what encoding/json rejects (%v): %q", stdErr, data)
		case err != nil && stdErr == nil && utf8.Valid(data):
			t.Fatalf("rejected valid JSON (%v): %q", err, data)
		case err == nil && len(dups) == 0 && !reflect.DeepEqual(got, want):
			t.Fatalf("value differs for %q: %#v vs %#v", data, got, want)
		}
	})
}
