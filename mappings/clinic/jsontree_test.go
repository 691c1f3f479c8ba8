package clinic

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// toAny converts a tree to what encoding/json's UseNumber decoding gives,
// keeping the last of duplicate keys as encoding/json does.
func toAny(n node) any {
	switch n.kind {
	case jNull:
		return nil
	case jBool:
		return n.boolean
	case jNumber:
		return json.Number(n.text)
	case jString:
		return n.text
	case jArray:
		out := make([]any, len(n.items))
		for i, it := range n.items {
			out[i] = toAny(it)
		}
		return out
	default:
		out := map[string]any{}
		for _, m := range n.members {
			out[m.key] = toAny(m.val)
		}
		return out
	}
}

// FuzzParseJSON checks the strict reader against encoding/json: what it
// accepts is valid JSON with the same value; what it rejects and
// encoding/json accepts must be one of its deliberate refusals (invalid
// UTF-8, unpaired surrogate escapes, nesting deeper than maxDepth).
func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{validPlan, `{"a":[1,2.5e3,-0,true,false,null,"x\u00e9\n"]}`, `"\ud83d\ude00"`, `[[[]]]`,
		`{"a":1,"a":2}`, ` 1 `, `"\ud800"`, "\"\xff\"", `{"a":}`, `[1,]`, `01`, `1.`, `-`, `1e`, `"\x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseJSON(data)
		valid := json.Valid(data)
		if err != nil {
			if valid && utf8.Valid(data) && !bytes.Contains(data, []byte(`\u`)) && depth(data) <= maxDepth {
				t.Fatalf("rejected valid JSON %q: %v", data, err)
			}
			return
		}
		if !valid {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if got := toAny(n); !reflect.DeepEqual(got, want) {
			t.Fatalf("value differs for %q:\n%#v\n%#v", data, got, want)
		}
	})
}

// depth is an upper bound of the nesting depth of a document.
func depth(data []byte) int {
	return strings.Count(string(data), "[") + strings.Count(string(data), "{")
}
