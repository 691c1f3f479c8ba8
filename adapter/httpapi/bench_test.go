package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/loadgen"
)

// BenchmarkPutAdministration measures the whole PUT pipeline in process
// (no network) on SQLite: decode, map, references, safety, validation of
// the projection and the store transaction. Compare with
// BenchmarkBaselinePut, the bare handler storing the same bytes.
func BenchmarkPutAdministration(b *testing.B) {
	e := newEnv(b, openers(b)[0])
	for _, body := range loadgen.SeedRecords("bench", 1<<20) {
		e.mustPut(body, http.StatusCreated)
	}
	benchPuts(b, e.h, tokWriter)
}

// BenchmarkBaselinePut is the comparison point of BenchmarkPutAdministration.
func BenchmarkBaselinePut(b *testing.B) {
	st := openers(b)[0].open(b)
	benchPuts(b, loadgen.BaselineHandler(st), "")
}

// BenchmarkPutAdministrationParallel is BenchmarkPutAdministration from
// 8 concurrent writers (4 per GOMAXPROCS on 2 cores), as the load test
// sends them: concurrent writes share group commits.
func BenchmarkPutAdministrationParallel(b *testing.B) {
	e := newEnv(b, openers(b)[0])
	for _, body := range loadgen.SeedRecords("bench", 1<<20) {
		e.mustPut(body, http.StatusCreated)
	}
	benchPutsParallel(b, e.h, tokWriter)
}

// BenchmarkBaselinePutParallel is the comparison point of
// BenchmarkPutAdministrationParallel.
func BenchmarkBaselinePutParallel(b *testing.B) {
	st := openers(b)[0].open(b)
	benchPutsParallel(b, loadgen.BaselineHandler(st), "")
}

func benchPutsParallel(b *testing.B, h http.Handler, token string) {
	b.Helper()
	b.ReportAllocs()
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			putOne(b, h, token, int(next.Add(1)))
		}
	})
}

func benchPuts(b *testing.B, h http.Handler, token string) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		putOne(b, h, token, i)
	}
}

// putOne PUTs the i-th administration and fails the benchmark unless it
// was created.
func putOne(b *testing.B, h http.Handler, token string, i int) {
	body := loadgen.Administration("bench", i)
	hr := httptest.NewRequest("PUT", fmt.Sprintf("/clinic/v1/administrations/bench-adm-%d", i), bytes.NewReader(body))
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set(loadgen.HeaderPatient, "bench-pat")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hr)
	if rec.Code != http.StatusCreated {
		b.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}
