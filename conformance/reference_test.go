package conformance

import "testing"

func TestReferenceType(t *testing.T) {
	tests := []struct{ ref, want string }{
		{"Patient/123", "Patient"},
		{"Patient/123/_history/2", "Patient"},
		{"https://example.org/fhir/Patient/123", "Patient"},
		{"https://example.org/fhir/Patient/123/_history/2", "Patient"},
		{"Patient?identifier=x|1", "Patient"},
		{"Patient/123#frag", "Patient"},
		{"a/Patient/123", ""},     // relative with a prefix: not Type/id
		{"/Patient/123", ""},      // likewise
		{"Patient/", ""},          // no id
		{"patient/123", ""},       // a type starts upper case
		{"Patient/has space", ""}, // not a FHIR id
		{"urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", ""},
		{"Patient", ""},
	}
	for _, tt := range tests {
		if got := referenceType(tt.ref); got != tt.want {
			t.Errorf("referenceType(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestTypeAndID(t *testing.T) {
	tests := []struct {
		in           string
		typ, id      string
		relative, ok bool
	}{
		{"Patient/1", "Patient", "1", true, true},
		{"https://x.org/fhir/Observation/a.b-c/_history/3", "Observation", "a.b-c", false, true},
		{"https://x.org/fhir/metadata", "", "", false, false},
		{"Patient", "", "", false, false},
	}
	for _, tt := range tests {
		typ, id, rel, ok := typeAndID(tt.in)
		if typ != tt.typ || id != tt.id || rel != tt.relative || ok != tt.ok {
			t.Errorf("typeAndID(%q) = %q, %q, %v, %v; want %q, %q, %v, %v", tt.in, typ, id, rel, ok, tt.typ, tt.id, tt.relative, tt.ok)
		}
	}
}
