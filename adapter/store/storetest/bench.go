package storetest

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// benchBody is a clinic administration record of a typical size.
var benchBody = []byte(`{"kind":"administration","id":"%s","version":1,"patient_id":"p-%d","plan_id":"pl-1",` +
	`"started_at":"2026-03-05T09:00:00+01:00","ended_at":"2026-03-05T10:30:00+01:00","status":"completed",` +
	`"performer_id":"nurse-1","site":"left-forearm","route":"iv","rate_ml_h":"100","volume_ml":"250",` +
	`"ingredients":[{"substance":"iron-sucrose","amount":"200","unit":"mg"}],"notes":"uneventful"}`)

// BenchPutRecord measures PutRecord of new records with a two-resource
// projection and an outbox entry (the clinic PUT path), sequentially and
// from parallel goroutines; it reports records/s.
func BenchPutRecord(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	w := func(i int64) store.Write {
		id := fmt.Sprintf("ad-%d", i)
		patient := fmt.Sprintf("p-%d", i%50)
		return store.Write{
			Kind: clinic.KindAdministration, ID: id, Version: 1, PatientID: patient,
			Body: fmt.Appendf(nil, string(benchBody), id, i%50), Origin: store.OriginClinic, Enqueue: true,
			Resources: []store.Resource{
				{Type: "MedicationAdministration", ID: "ma-" + id, PatientID: patient, Status: "completed",
					Date: "2026-03-05T09:00:00+01:00", Identifiers: []string{"urn:ivbridge:clinic/administration|" + id},
					Refs: map[string]string{"subject": "Patient/" + patient, "request": "MedicationRequest/mr-pl-1"},
					Body: fmt.Appendf(nil, `{"resourceType":"MedicationAdministration","id":"ma-%s","status":"completed"}`, id)},
				{Type: "Provenance", ID: "pv-" + id, PatientID: patient, Date: "2026-03-05T10:30:00+01:00",
					Body: fmt.Appendf(nil, `{"resourceType":"Provenance","id":"pv-%s"}`, id)},
			},
		}
	}
	b.Run("serial", func(b *testing.B) {
		s := open(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.PutRecord(ctx, w(int64(i))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("parallel", func(b *testing.B) {
		s := open(b)
		var n atomic.Int64
		b.SetParallelism(8)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.PutRecord(ctx, w(n.Add(1))); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// RawInserter is the baseline write both stores offer outside the contract.
type RawInserter interface {
	InsertRaw(ctx context.Context, kind clinic.Kind, id string, body []byte) error
}

// BenchInsertRaw measures the baseline: the same record bytes inserted with
// one upsert in one durable transaction, no projection, no outbox.
func BenchInsertRaw(b *testing.B, open func(b *testing.B) RawInserter) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		s := open(b)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id := fmt.Sprintf("ad-%d", i)
			if err := s.InsertRaw(ctx, clinic.KindAdministration, id, fmt.Appendf(nil, string(benchBody), id, i%50)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("parallel", func(b *testing.B) {
		s := open(b)
		var n atomic.Int64
		b.SetParallelism(8)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				id := fmt.Sprintf("ad-%d", i)
				if err := s.InsertRaw(ctx, clinic.KindAdministration, id, fmt.Appendf(nil, string(benchBody), id, i%50)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// CheckInsertRaw checks the baseline write lands where GetRecord reads.
func CheckInsertRaw(t *testing.T, s store.Store) {
	t.Helper()
	ri, ok := s.(RawInserter)
	if !ok {
		t.Fatalf("%T has no InsertRaw", s)
	}
	ctx := context.Background()
	for _, b := range []string{`{"a":1}`, `{"a":2}`} {
		if err := ri.InsertRaw(ctx, clinic.KindPatient, "raw", []byte(b)); err != nil {
			t.Fatal(err)
		}
		rec, err := s.GetRecord(ctx, clinic.KindPatient, "raw")
		if err != nil || string(rec.Body) != b || rec.Version != 1 {
			t.Fatalf("after InsertRaw: %+v, %v", rec, err)
		}
	}
	if err := ri.InsertRaw(ctx, clinic.KindPatient, "", []byte(`{}`)); err == nil {
		t.Error("InsertRaw without id succeeded")
	}
}

// BenchReads measures the facade's and the sync's hot reads on a store
// holding 1,000 administrations of 50 patients: GetRecord, GetResource, a
// patient search with a date filter, and one outbox claim+complete cycle.
func BenchReads(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	s := open(b)
	const n = 1000
	for i := range n {
		id := fmt.Sprintf("ad-%d", i)
		patient := fmt.Sprintf("p-%d", i%50)
		_, err := s.PutRecord(ctx, store.Write{
			Kind: clinic.KindAdministration, ID: id, Version: 1, PatientID: patient,
			Body: fmt.Appendf(nil, string(benchBody), id, i%50), Origin: store.OriginClinic, Enqueue: true,
			Resources: []store.Resource{{Type: "MedicationAdministration", ID: "ma-" + id, PatientID: patient,
				Status: "completed", Date: fmt.Sprintf("2026-03-%02dT09:00:00Z", 1+i%28),
				Identifiers: []string{"urn:ivbridge:clinic/administration|" + id},
				Body:        fmt.Appendf(nil, `{"resourceType":"MedicationAdministration","id":"ma-%s"}`, id)}},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("GetRecord", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.GetRecord(ctx, clinic.KindAdministration, fmt.Sprintf("ad-%d", i%n)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetResource", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.GetResource(ctx, "MedicationAdministration", fmt.Sprintf("ma-ad-%d", i%n)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SearchPatientDate", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			page, err := s.SearchResources(ctx, store.ResourceQuery{
				Type: "MedicationAdministration", PatientID: fmt.Sprintf("p-%d", i%50),
				Date: []store.DateFilter{{Comparator: store.GE, Value: "2026-03-10"}}, Count: 20,
			})
			if err != nil || page.Total == 0 {
				b.Fatal(page.Total, err)
			}
		}
	})
	b.Run("SearchIdentifier", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			page, err := s.SearchResources(ctx, store.ResourceQuery{
				Type: "MedicationAdministration", Identifier: fmt.Sprintf("urn:ivbridge:clinic/administration|ad-%d", i%n),
			})
			if err != nil || page.Total != 1 {
				b.Fatal(page.Total, err)
			}
		}
	})
	b.Run("ClaimComplete", func(b *testing.B) {
		done := 0
		for i := 0; i < b.N; i++ {
			items, err := s.ClaimOutbox(ctx, "bench", 1, time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			if len(items) == 0 {
				b.StopTimer()
				// Refill: the claims drained the outbox.
				for j := range 50 {
					id := fmt.Sprintf("ad-%d", (done+j)%n)
					if err := s.PutResources(ctx, []store.Resource{{Type: "Provenance", ID: "pv-" + id,
						Body: []byte(`{"resourceType":"Provenance"}`), SourceKind: clinic.KindAdministration, SourceID: id}}, true); err != nil {
						b.Fatal(err)
					}
				}
				done += 50
				b.StartTimer()
				continue
			}
			if err := s.CompleteOutbox(ctx, items[0].Seq, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchGroupCommit measures what a group commit costs against the bare
// writes of the load baseline: a group of three administrations, each
// with a four-resource projection of realistic size (3.3, 1.9, 1.3 and
// 1.3 KB, random ids), against three PutRecords of the same records
// without projection, one transaction each. It reports each per record.
func BenchGroupCommit(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	pad := make([]byte, 3300)
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	sizes := []int{3300, 1900, 1300, 1300}
	types := []string{"MedicationAdministration", "MedicationAdministration", "Observation", "Observation"}
	write := func(n int, projected bool) store.Write {
		id := fmt.Sprintf("ad-%d", n)
		w := store.Write{Kind: clinic.KindAdministration, ID: id, Version: 1, PatientID: "p-1",
			Body: fmt.Appendf(nil, string(benchBody), id, 1), Origin: store.OriginClinic, Enqueue: true}
		if projected {
			for j, typ := range types {
				h := sha1.Sum(fmt.Appendf(nil, "%s#%d", id, j))
				w.Resources = append(w.Resources, store.Resource{
					Type: typ, ID: fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16]),
					PatientID: "pt-1", Status: "completed", Date: "2026-03-02T09:02:00-05:00",
					Identifiers: []string{fmt.Sprintf("urn:ivbridge:clinic/administration/r%d|%s", j, id)},
					Refs:        map[string]string{"subject": "Patient/pt-1"},
					Body:        fmt.Appendf(nil, `{"resourceType":%q,"id":"x","text":%q}`, typ, pad[:sizes[j]])})
			}
		}
		return w
	}
	b.Run("group-of-3", func(b *testing.B) {
		s := open(b)
		g, ok := s.(store.GroupWriter)
		if !ok {
			b.Skip("the store does not implement store.GroupWriter")
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ws := []store.Write{write(3*i, true), write(3*i+1, true), write(3*i+2, true)}
			if _, errs := g.PutRecords(ctx, ws); errors.Join(errs...) != nil {
				b.Fatal(errors.Join(errs...))
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(3*b.N), "µs/record")
	})
	b.Run("bare-3", func(b *testing.B) {
		s := open(b)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for k := range 3 {
				if _, err := s.PutRecord(ctx, write(3*i+k, false)); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(3*b.N), "µs/record")
	})
}
