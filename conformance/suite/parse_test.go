package suite

import (
	"strings"
	"testing"
)

func TestParseETag(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`W/"3"`, "3", true},
		{`"abc-def"`, "abc-def", true},
		{` W/"7" `, "7", true},
		{`W/""`, "", false},
		{`W/3`, "", false},
		{`3`, "", false},
		{`"a"b"`, "", false},
		{``, "", false},
	}
	for _, tc := range tests {
		got, ok := parseETag(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseETag(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in          string
		rt, id, vid string
		ok          bool
	}{
		{"http://h/fhir/Patient/1/_history/2", "Patient", "1", "2", true},
		{"http://h/fhir/Patient/1", "Patient", "1", "", true},
		{"Patient/1/_history/2", "Patient", "1", "2", true},
		{"Patient/1", "Patient", "1", "", true},
		{"Patient/1/", "Patient", "1", "", true},
		{"http://h/Patient/1?x=y", "Patient", "1", "", true},
		{"Patient", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tc := range tests {
		rt, id, vid, ok := parseLocation(tc.in)
		if rt != tc.rt || id != tc.id || vid != tc.vid || ok != tc.ok {
			t.Errorf("parseLocation(%q) = %q %q %q %v; want %q %q %q %v", tc.in, rt, id, vid, ok, tc.rt, tc.id, tc.vid, tc.ok)
		}
	}
}

func TestRefID(t *testing.T) {
	tests := []struct {
		ref, rt, want string
	}{
		{"Patient/1", "Patient", "1"},
		{"http://h/fhir/Patient/1", "Patient", "1"},
		{"Patient/1/_history/4", "Patient", "1"},
		{"Practitioner/1", "Patient", ""},
		{"#contained", "Patient", ""},
		{"urn:uuid:0b6e3a46-1f0b-4d9a-9d49-000000000001", "Patient", ""},
		{"", "Patient", ""},
	}
	for _, tc := range tests {
		if got := refID(map[string]any{"reference": tc.ref}, tc.rt); got != tc.want {
			t.Errorf("refID(%q, %s) = %q, want %q", tc.ref, tc.rt, got, tc.want)
		}
	}
	if got := refID(nil, "Patient"); got != "" {
		t.Errorf("refID(nil) = %q", got)
	}
}

func TestCompareDay(t *testing.T) {
	const d = "2024-03-15"
	tests := []struct {
		op, v string
		want  bool
	}{
		{"eq", d, true}, {"eq", "2024-03-14", false},
		{"ne", d, false}, {"ne", "2024-03-14", true},
		{"gt", "2024-03-14", true}, {"gt", d, false},
		{"lt", "2024-03-16", true}, {"lt", d, false},
		{"ge", d, true}, {"ge", "2024-03-16", false},
		{"le", d, true}, {"le", "2024-03-14", false},
		{"sa", d, false},
	}
	for _, tc := range tests {
		if got := compareDay(tc.op, d, tc.v); got != tc.want {
			t.Errorf("event on %s, date=%s%s: %v, want %v", d, tc.op, tc.v, got, tc.want)
		}
	}
}

func TestParseSearchPage(t *testing.T) {
	good := `{"resourceType":"Bundle","type":"searchset","total":3,
	  "link":[{"relation":"self","url":"http://h/P?_count=1"},{"relation":"next","url":"http://h/P?_count=1&_offset=1"}],
	  "entry":[{"resource":{"resourceType":"MedicationAdministration","id":"a"},"search":{"mode":"match"}},
	           {"resource":{"resourceType":"MedicationRequest","id":"b"},"search":{"mode":"include"}},
	           {"resource":{"resourceType":"OperationOutcome"},"search":{"mode":"outcome"}}]}`
	m, err := decodeObject([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseSearchPage(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 3 || p.Next != "http://h/P?_count=1&_offset=1" || p.Self == "" || len(p.Entries) != 3 {
		t.Errorf("parsed %+v", p)
	}
	if ms := p.matches(); len(ms) != 1 || ms[0].key() != "MedicationAdministration/a" {
		t.Errorf("matches = %+v", ms)
	}

	bad := map[string]string{
		"not a bundle":   `{"resourceType":"Patient","id":"1"}`,
		"not searchset":  `{"resourceType":"Bundle","type":"batch-response"}`,
		"negative total": `{"resourceType":"Bundle","type":"searchset","total":-1}`,
		"decimal total":  `{"resourceType":"Bundle","type":"searchset","total":1.5}`,
		"entry no id":    `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient"}}]}`,
		"entry no res":   `{"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"x"}]}`,
	}
	for name, doc := range bad {
		m, err := decodeObject([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := parseSearchPage(m); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestParseCapabilities(t *testing.T) {
	doc := `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","format":["json"],
	  "rest":[{"mode":"client","resource":[{"type":"Basic","interaction":[{"code":"create"}]}]},
	          {"mode":"server","interaction":[{"code":"transaction"}],
	           "resource":[{"type":"Patient","interaction":[{"code":"read"},{"code":"create"}],"searchParam":[{"name":"identifier"}],"searchInclude":["*"]},
	                       {"type":"Observation","interaction":[{"code":"search-type"}]}, {"interaction":[{"code":"read"}]}]}]}`
	m, err := decodeObject([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCapabilities(m)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case !c.can("Patient", "read") || !c.can("Patient", "create"):
		t.Error("Patient read/create missing")
	case c.can("Observation", "create"):
		t.Error("Observation create invented")
	case c.can("Basic", "create"):
		t.Error("client-mode rest read as server capabilities")
	case !c.System["transaction"]:
		t.Error("system transaction missing")
	case !c.Resources["Patient"].SearchParams["identifier"]:
		t.Error("search param missing")
	case c.FHIRVersion != "4.0.1" || len(c.Formats) != 1:
		t.Errorf("version/format: %+v", c)
	}
	if _, err := parseCapabilities(map[string]any{"resourceType": "Bundle"}); err == nil {
		t.Error("a Bundle parsed as a CapabilityStatement")
	}
}

func TestCheckString(t *testing.T) {
	tests := []struct {
		c    Check
		want string
	}{
		{Check{Name: "read/Patient", Request: "GET /Patient/1", Pass: true}, "pass read/Patient"},
		{Check{Name: "x", Request: "GET /x", Why: "status 500"}, "FAIL x"},
		{Check{Name: "y", Skip: true, Why: "read-only"}, "skip y"},
	}
	for _, tc := range tests {
		s := tc.c.String()
		if !strings.HasPrefix(s, tc.want) || (tc.c.Why != "" && !strings.HasSuffix(s, "— "+tc.c.Why)) {
			t.Errorf("String() = %q", s)
		}
	}
	r := &Report{Server: "http://h", Checks: []Check{tests[0].c, tests[1].c, tests[2].c}}
	if r.OK() || len(r.Failed()) != 1 {
		t.Errorf("OK/Failed wrong: %v %v", r.OK(), r.Failed())
	}
	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 4 || !strings.Contains(lines[3], "1 passed, 1 failed, 1 skipped") {
		t.Errorf("report:\n%s", b.String())
	}
}

// FuzzParseSearchPage: whatever a server sends, reading a search page
// never panics, and a page it accepts has resourceType and id on every
// entry but outcomes.
func FuzzParseSearchPage(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"next","url":"x"}],"entry":[{"resource":{"resourceType":"Patient","id":"1"},"search":{"mode":"match"}}]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","total":"1","link":{},"entry":[null,1,"x"]}`))
	f.Add([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":[]}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeObject(data)
		if err != nil {
			return
		}
		p, err := parseSearchPage(m)
		if err != nil {
			return
		}
		for _, e := range p.Entries {
			if e.ResourceType == "" || (e.ID == "" && e.ResourceType != "OperationOutcome") {
				t.Fatalf("accepted entry %+v", e)
			}
		}
	})
}

// FuzzParseCapabilities: reading any CapabilityStatement never panics.
func FuzzParseCapabilities(f *testing.F) {
	f.Add([]byte(`{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","rest":[{"mode":"server","resource":[{"type":"Patient","interaction":[{"code":"read"}]}]}]}`))
	f.Add([]byte(`{"resourceType":"CapabilityStatement","rest":[{"mode":"server","resource":[1,{"type":2},{"type":"X","interaction":"read","searchParam":[null]}]}]}`))
	f.Add([]byte(`{"resourceType":"CapabilityStatement","rest":"x","format":[1,"json"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeObject(data)
		if err != nil {
			return
		}
		c, err := parseCapabilities(m)
		if err != nil {
			return
		}
		_ = c.can("Patient", "read")
	})
}

// FuzzHeaders: ETag and Location parsing never panic, and what they accept
// is non-empty.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{`W/"1"`, `"x"`, `W/`, `"`, "http://h/Patient/1/_history/2", "/_history/", "a/_history/b", "//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := parseETag(s); ok && v == "" {
			t.Fatalf("parseETag(%q) accepted an empty version", s)
		}
		if rt, id, _, ok := parseLocation(s); ok && (rt == "" || id == "") {
			t.Fatalf("parseLocation(%q) accepted %q %q", s, rt, id)
		}
		_ = refID(map[string]any{"reference": s}, "Patient")
	})
}
