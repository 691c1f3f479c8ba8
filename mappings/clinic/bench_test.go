package clinic

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecode decodes the largest example record (a plan), the work of
// every PUT; it falls back to the inline plan when the shared folder is
// absent.
func BenchmarkDecode(b *testing.B) {
	data := []byte(validPlan)
	if dir, ok := sharedClinicModel(); ok {
		if d, err := os.ReadFile(filepath.Join(dir, "examples", "plan-plan-2003.json")); err == nil {
			data = d
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode encodes the same plan.
func BenchmarkEncode(b *testing.B) {
	rec, err := Decode([]byte(validPlan))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibUnmarshal is the yardstick: encoding/json into the same
// struct, with no validation, no path errors and no duplicate-key check.
func BenchmarkStdlibUnmarshal(b *testing.B) {
	data := []byte(validPlan)
	if dir, ok := sharedClinicModel(); ok {
		if d, err := os.ReadFile(filepath.Join(dir, "examples", "plan-plan-2003.json")); err == nil {
			data = d
		}
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var p Plan
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			b.Fatal(err)
		}
	}
}
