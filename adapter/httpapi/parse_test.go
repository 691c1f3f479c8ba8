package httpapi

import (
	"bufio"
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
)

func defOf(t testing.TB, typ string) resourceDef {
	t.Helper()
	for _, d := range facadeResources() {
		if d.Type == typ {
			return d
		}
	}
	t.Fatalf("no facade type %s", typ)
	return resourceDef{}
}

func TestParseSearch(t *testing.T) {
	ma := defOf(t, "MedicationAdministration")
	tests := []struct {
		query string
		check func(r searchRequest) bool
		err   string
	}{
		{"", func(r searchRequest) bool {
			return r.query.Count == defaultCount && r.query.Type == "MedicationAdministration"
		}, ""},
		{"_id=a,b&_id=b,c", func(r searchRequest) bool { return strings.Join(r.query.IDs, ",") == "b" }, ""},
		{"_id=a&_id=c", func(r searchRequest) bool { return r.empty }, ""},
		{"patient=Patient/p1", func(r searchRequest) bool { return r.query.PatientID == "p1" }, ""},
		{"subject=https://x.example/fhir/Patient/p1", func(r searchRequest) bool { return r.query.PatientID == "p1" }, ""},
		{"subject=Group/g1", func(r searchRequest) bool { return r.empty }, ""},
		{"patient=p1&subject=p2", func(r searchRequest) bool { return r.empty }, ""},
		{"status=completed,stopped", func(r searchRequest) bool { return len(r.query.Status) == 2 }, ""},
		{"status=http://hl7.org/fhir/CodeSystem/medication-admin-status|completed", func(r searchRequest) bool { return r.query.Status[0] == "completed" }, ""},
		{"effective-time=ge2026-01-01&effective-time=lt2026-02-01T00:00:00Z", func(r searchRequest) bool {
			return len(r.query.Date) == 2 && r.query.Date[0].Comparator == store.GE && r.query.Date[1].Comparator == store.LT
		}, ""},
		{"_lastUpdated=2026", func(r searchRequest) bool { return r.query.LastUpdated[0].Comparator == store.EQ }, ""},
		{"_count=5000", func(r searchRequest) bool { return r.query.Count == maxCount }, ""},
		{"_count=3&_offset=6", func(r searchRequest) bool { return r.query.Count == 3 && r.query.Offset == 6 }, ""},
		{"identifier=sys|v", func(r searchRequest) bool { return r.query.Identifier == "sys|v" }, ""},
		{"_include=MedicationAdministration:request", func(r searchRequest) bool { return r.includes[0] == "request" }, ""},
		{"_include=MedicationAdministration:request:MedicationRequest", func(r searchRequest) bool { return r.includes[0] == "request" }, ""},
		{"_total=accurate&_format=json", func(r searchRequest) bool { return true }, ""},
		{"foo=1", nil, "unknown search parameter"},
		{"status:not=completed", nil, "modifier"},
		{"effective-time=ap2026", nil, "not supported"},
		{"effective-time=xx2026", nil, "prefix"},
		{"effective-time=2026-01-01T10:00", nil, "time zone"},
		{"effective-time=2026-02-30x", nil, "not a FHIR date"},
		{"_count=-1", nil, "non-negative"},
		{"_include=AdverseEvent:subject", nil, "not supported"},
		{"_include:iterate=MedicationAdministration:request", nil, "iterate"},
		{"identifier=a|b&identifier=c|d", nil, "two different"},
		{"patient=", nil, "empty"},
		{"_id=bad id", nil, "not a FHIR id"},
		{"_total=maybe", nil, "none, estimate or accurate"},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		r, err := parseSearch(ma, q, false)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.query, err, tt.err)
			}
			continue
		}
		if err != nil || !tt.check(r) {
			t.Errorf("%q: %+v, %v", tt.query, r, err)
		}
	}
	// Lenient handling ignores unknown parameters, not bad values.
	if r, err := parseSearch(ma, url.Values{"foo": {"1"}, "status": {"completed"}}, true); err != nil || len(r.query.Status) != 1 || r.canonical.Has("foo") {
		t.Fatalf("lenient: %+v %v", r, err)
	}
	if _, err := parseSearch(ma, url.Values{"effective-time": {"never"}}, true); err == nil {
		t.Fatal("lenient accepted a bad date")
	}
	// A parameter of another type is unknown here.
	if _, err := parseSearch(defOf(t, "Patient"), url.Values{"status": {"active"}}, false); err == nil {
		t.Fatal("status accepted on Patient")
	}
}

// FuzzParseSearch: search parameters are outside input; the parser never
// panics, and what it accepts is a query the store can run.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{"_id=a,b", "patient=Patient/x&status=completed", "effective-time=ge2026-01-01T00:00:00+05:00",
		"_count=0&_offset=3", "_cursor=1772463720000000~MedicationAdministration~a-1", "_cursor=1~X~y&_offset=2", "_include=MedicationAdministration:request", "identifier=|v", "subject=Group/1", "%zz", "a=b=c"} {
		f.Add(s)
	}
	ma := defOf(f, "MedicationAdministration")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := parseSearch(ma, q, len(raw)%2 == 0)
		if err != nil {
			return
		}
		if r.query.Count < 0 || r.query.Count > maxCount || r.query.Offset < 0 {
			t.Fatalf("%q: paging %d/%d", raw, r.query.Count, r.query.Offset)
		}
		if c := r.query.After; c != nil && (r.query.Offset != 0 || !idPattern.MatchString(c.ID) || !typePattern.MatchString(c.Type)) {
			t.Fatalf("%q: accepted cursor %+v with offset %d", raw, c, r.query.Offset)
		}
		for _, d := range append(r.query.Date, r.query.LastUpdated...) {
			if _, err := store.ParseDateRange(d.Value); err != nil {
				t.Fatalf("%q: accepted date %q the store refuses: %v", raw, d.Value, err)
			}
		}
		for _, id := range r.query.IDs {
			if !idPattern.MatchString(id) {
				t.Fatalf("%q: accepted id %q", raw, id)
			}
		}
	})
}

func TestReadLine(t *testing.T) {
	in := "a\r\nbb\n" + strings.Repeat("x", 100) + "\nccc"
	rd := bufio.NewReaderSize(strings.NewReader(in), 16)
	var got []string
	for {
		line, tooLong, err := readLine(rd, 10)
		if tooLong {
			got = append(got, "<too long>")
		} else if len(line) > 0 {
			got = append(got, string(line))
		}
		if err != nil {
			break
		}
	}
	if strings.Join(got, "|") != "a|bb|<too long>|ccc" {
		t.Fatalf("got %q", got)
	}
}

// FuzzReadLine: batch bodies are outside input; every line within the
// limit comes back whole and nothing longer does.
func FuzzReadLine(f *testing.F) {
	f.Add("a\nb\r\n\n", 4)
	f.Add(strings.Repeat("y", 70)+"\nz", 8)
	f.Fuzz(func(t *testing.T, in string, max int) {
		if max < 1 || max > 1<<16 {
			return
		}
		rd := bufio.NewReaderSize(strings.NewReader(in), 16)
		var out [][]byte
		for i := 0; i <= len(in)+1; i++ {
			line, tooLong, err := readLine(rd, int64(max))
			if !tooLong {
				if len(line) > max {
					t.Fatalf("line of %d bytes over limit %d", len(line), max)
				}
				out = append(out, line)
			}
			if err != nil {
				break
			}
		}
		for _, l := range out {
			if bytes.ContainsRune(l, '\n') {
				t.Fatal("line with a newline")
			}
		}
	})
}

func TestWithMeta(t *testing.T) {
	lu := time.Date(2026, 3, 2, 14, 0, 0, 123456000, time.UTC)
	tests := []struct{ in, want string }{
		{`{"resourceType":"Patient","id":"p","gender":"female"}`,
			`{"resourceType":"Patient","id":"p","meta":{"lastUpdated":"2026-03-02T14:00:00.123456Z","versionId":"3"},"gender":"female"}`},
		{`{"resourceType":"Observation","id":"o","meta":{"profile":["x"]},"valueQuantity":{"value":1.50}}`,
			`{"resourceType":"Observation","id":"o","meta":{"lastUpdated":"2026-03-02T14:00:00.123456Z","profile":["x"],"versionId":"3"},"valueQuantity":{"value":1.50}}`},
	}
	for _, tt := range tests {
		got, err := withMeta([]byte(tt.in), 3, lu)
		if err != nil || string(got) != tt.want {
			t.Errorf("withMeta(%s) =\n %s, %v\nwant\n %s", tt.in, got, err, tt.want)
		}
	}
	if _, err := withMeta([]byte(`[1]`), 1, lu); err == nil {
		t.Fatal("array accepted")
	}
}

func TestEtagMatches(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{{`W/"3"`, true}, {`"3"`, true}, {`W/"2", W/"3"`, true}, {`*`, true}, {`W/"4"`, false}, {``, false}}
	for _, tt := range tests {
		if got := etagMatches(tt.header, `W/"3"`); got != tt.want {
			t.Errorf("etagMatches(%q) = %v", tt.header, got)
		}
	}
}
