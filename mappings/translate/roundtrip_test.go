package translate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// roundTrip maps rec to a collection, writes it as JSON, reads it back with
// the codec and maps it back; it returns the records and the JSON.
func roundTrip(t testing.TB, tr *Translator, rec clinic.Record) ([]clinic.Record, []byte) {
	t.Helper()
	b, err := tr.Collection(rec)
	if err != nil {
		t.Fatalf("Collection: %v", err)
	}
	data, err := r4.Marshal(b)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	res, err := r4.Unmarshal(data)
	if err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	back, err := tr.ToClinic(res)
	if err != nil {
		t.Fatalf("ToClinic: %v\n%s", err, truncateForLog(data))
	}
	return back, data
}

// assertSameRecord compares two records by their canonical clinic JSON,
// which keeps every literal as written.
func assertSameRecord(t testing.TB, want clinic.Record, got []clinic.Record) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("got %d records, want 1", len(got))
	}
	w, err := clinic.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	g, err := clinic.Encode(got[0])
	if err != nil {
		t.Fatalf("Encode(back): %v", err)
	}
	if !bytes.Equal(w, g) {
		t.Errorf("round trip changed the record\nwant %s\n got %s", w, g)
	}
}

func TestRoundTripExamples(t *testing.T) {
	tr := newTestTranslator(t)
	for _, ex := range clinicExamples(t) {
		t.Run(ex.name, func(t *testing.T) {
			back, _ := roundTrip(t, tr, ex.rec)
			assertSameRecord(t, ex.rec, back)
		})
	}
}

// TestRoundTripGenerated maps generated records to FHIR and back; every one
// must come back unchanged and every emitted resource must be valid R4.
func TestRoundTripGenerated(t *testing.T) {
	tr := newTestTranslator(t)
	n := 500
	if testing.Short() {
		n = 60
	}
	g := gen{r: rand.New(rand.NewPCG(1, 2))}
	for i := 0; i < n; i++ {
		rec := g.record()
		if err := clinic.Validate(rec); err != nil {
			t.Fatalf("generator made an invalid record: %v", err)
		}
		back, data := roundTrip(t, tr, rec)
		again, err := tr.Collection(rec)
		if err != nil {
			t.Fatal(err)
		}
		if data2, err := r4.Marshal(again); err != nil || !bytes.Equal(data, data2) {
			t.Fatalf("record %d: the same record gave different FHIR bytes (%v)", i, err)
		}
		assertSameRecord(t, rec, back)
		validateR4(t, fmt.Sprintf("record %d (%s)", i, rec.RecordKind()), data)
		if t.Failed() {
			enc, _ := clinic.Encode(rec)
			t.Fatalf("record %d: %s", i, enc)
		}
	}
}

// TestConcurrentUse runs the translator from several goroutines (run with
// -race): it holds no mutable state.
func TestConcurrentUse(t *testing.T) {
	tr := newTestTranslator(t)
	exs := clinicExamples(t)
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			for _, ex := range exs {
				b, err := tr.Collection(ex.rec)
				if err != nil {
					done <- err
					return
				}
				if _, err := tr.ToClinic(b); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
