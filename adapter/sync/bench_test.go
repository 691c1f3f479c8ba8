package sync_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store/sqlite"
	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

const benchRecords = 10000

// benchWorkers is the syncer's worker count in the benchmark, and the
// ceiling's number of concurrent clients.
var benchWorkers = 8

// benchTemplate builds, once, a store directory holding benchRecords
// patient records waiting in the outbox; each run copies it.
func benchTemplate(b *testing.B) string {
	b.Helper()
	tmplOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ivbridge-bench-")
		if err != nil {
			tmplErr = err
			return
		}
		st, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			tmplErr = err
			return
		}
		for i := range benchRecords {
			if _, err := st.PutRecord(context.Background(), patientWrite(fmt.Sprintf("bench-%05d", i), 1)); err != nil {
				tmplErr = err
				return
			}
		}
		tmplErr = st.Close()
		tmplDir = dir
	})
	if tmplErr != nil {
		b.Fatal(tmplErr)
	}
	return tmplDir
}

var (
	tmplOnce gosync.Once
	tmplDir  string
	tmplErr  error
)

func copyStore(b *testing.B, from string) string {
	b.Helper()
	to := b.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return to
}

// BenchmarkPush pushes 10,000 records to the real upstream through the
// syncer — in transaction Bundles, in batch Bundles, and one request per
// resource — and, in the same iteration right before, measures the
// upstream's own ceiling: the same transaction Bundles posted straight to
// it by as many concurrent clients as the syncer has workers. It reports
// records/s of both and their ratio (x-ceiling); the ratio is what to
// compare, as the machine's load moves both.
func BenchmarkPush(b *testing.B) {
	srv := upstreamtest.StartServer(b)
	tmpl := benchTemplate(b)
	ctx := context.Background()
	bundles := prepareBundles(b, 50)
	// Warm the upstream up first (node compiles its hot paths as it
	// runs): the first mode measured must not meet a colder ceiling.
	for range 2 {
		postAll(b, srv.URL, bundles, benchWorkers)
		if err := srv.Reset(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []string{sync.ModeTransaction, sync.ModeBatch, sync.ModeSingle} {
		b.Run(mode, func(b *testing.B) {
			var sumRate, sumCeiling float64
			n := 0
			for b.Loop() {
				b.StopTimer()
				if err := srv.Reset(ctx); err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				postAll(b, srv.URL, bundles, benchWorkers)
				ceiling := float64(benchRecords) / time.Since(start).Seconds()
				if err := srv.Reset(ctx); err != nil {
					b.Fatal(err)
				}
				st := openStore(b, copyStore(b, tmpl))
				up := newClient(b, srv.URL, upstream.Config{})
				s := newSyncer(b, st, up, sync.Config{Mode: mode, Workers: benchWorkers})
				b.StartTimer()
				start = time.Now()
				stop := runSyncer(b, s)
				waitDrainedEvery(b, st, 10*time.Minute, 5*time.Millisecond)
				rate := float64(benchRecords) / time.Since(start).Seconds()
				b.StopTimer()
				stop()
				counts, _ := upstreamIdentifiers(b, srv.URL, "Patient")
				if len(counts) != benchRecords {
					b.Fatalf("%d patients upstream, want %d", len(counts), benchRecords)
				}
				sumRate += rate
				sumCeiling += ceiling
				n++
				b.StartTimer()
			}
			b.ReportMetric(sumRate/float64(n), "records/s")
			b.ReportMetric(sumCeiling/float64(n), "ceiling-records/s")
			b.ReportMetric(sumRate/sumCeiling, "x-ceiling")
		})
	}
}

// prepareBundles builds the transaction Bundles of the benchmark records.
func prepareBundles(b *testing.B, size int) [][]byte {
	b.Helper()
	var out [][]byte
	type entry struct {
		FullURL  string                `json:"fullUrl"`
		Resource json.RawMessage       `json:"resource"`
		Request  upstream.EntryRequest `json:"request"`
	}
	var cur []entry
	flush := func() {
		if len(cur) == 0 {
			return
		}
		data, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": cur})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
		cur = nil
	}
	for i := range benchRecords {
		w := patientWrite(fmt.Sprintf("bench-%05d", i), 1)
		r := w.Resources[0]
		cur = append(cur, entry{FullURL: "http://upstream/Patient/" + r.ID, Resource: r.Body, Request: upstream.EntryRequest{Method: "PUT", URL: "Patient/" + r.ID}})
		if len(cur) == size {
			flush()
		}
	}
	flush()
	return out
}

func postAll(b *testing.B, base string, bundles [][]byte, workers int) {
	b.Helper()
	// A connection per client, kept: http.DefaultClient keeps only two
	// idle connections per host, so most posts would open a new one and
	// the ceiling would measure connection setup.
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	ch := make(chan []byte)
	var wg gosync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range ch {
				resp, err := client.Post(base, "application/fhir+json", bytesReader(body))
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("ceiling: %d", resp.StatusCode)
					return
				}
			}
		}()
	}
	for _, body := range bundles {
		ch <- body
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
