package translate

import (
	"encoding/json"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// The benchmarks work on the valid clinic examples, one pass over all of
// them per iteration, and report records/s beside ns/op and allocations.
// BenchmarkBaselineEncodingJSON is the yardstick: encoding/json marshalling
// the very resources ToFHIR returns. Run:
//
//	go test ./mappings/translate -run '^$' -bench . -benchmem

func benchRecords(b *testing.B) []clinic.Record {
	b.Helper()
	exs := clinicExamples(b)
	recs := make([]clinic.Record, len(exs))
	for i, ex := range exs {
		recs[i] = ex.rec
	}
	return recs
}

func reportRecords(b *testing.B, n int) {
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkToFHIR is the translation alone: records to resource structs.
func BenchmarkToFHIR(b *testing.B) {
	tr := newTestTranslator(b)
	recs := benchRecords(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range recs {
			if _, err := tr.ToFHIR(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRecords(b, len(recs))
}

// BenchmarkBaselineEncodingJSON marshals the resources ToFHIR returns with
// encoding/json (the same output structs).
func BenchmarkBaselineEncodingJSON(b *testing.B) {
	tr := newTestTranslator(b)
	recs := benchRecords(b)
	outs := make([][]r4.Resource, len(recs))
	for i, r := range recs {
		res, err := tr.ToFHIR(r)
		if err != nil {
			b.Fatal(err)
		}
		outs[i] = res
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, res := range outs {
			if _, err := json.Marshal(res); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRecords(b, len(recs))
}

// BenchmarkToFHIRJSON is clinic record → collection Bundle JSON.
func BenchmarkToFHIRJSON(b *testing.B) {
	tr := newTestTranslator(b)
	recs := benchRecords(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range recs {
			bundle, err := tr.Collection(r)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r4.Marshal(bundle); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRecords(b, len(recs))
}

// BenchmarkToClinic is the reverse translation alone: decoded Bundles to
// records.
func BenchmarkToClinic(b *testing.B) {
	tr := newTestTranslator(b)
	recs := benchRecords(b)
	bundles := make([]r4.Resource, len(recs))
	for i, r := range recs {
		bundle, err := tr.Collection(r)
		if err != nil {
			b.Fatal(err)
		}
		bundles[i] = bundle
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, bundle := range bundles {
			if _, err := tr.ToClinic(bundle); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRecords(b, len(recs))
}

// BenchmarkRoundTripJSON is clinic record → FHIR JSON → decode → clinic
// record.
func BenchmarkRoundTripJSON(b *testing.B) {
	tr := newTestTranslator(b)
	recs := benchRecords(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, r := range recs {
			bundle, err := tr.Collection(r)
			if err != nil {
				b.Fatal(err)
			}
			data, err := r4.Marshal(bundle)
			if err != nil {
				b.Fatal(err)
			}
			res, err := r4.Unmarshal(data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tr.ToClinic(res); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRecords(b, len(recs))
}
