package upstreamtest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// benchRecords is the store size the benchmarks measure at: the size of
// the sync benchmark's data set.
const benchRecords = 10_000

func benchPatient(i int) []byte {
	return fmt.Appendf(nil, `{"resourceType":"Patient","id":"bench-%d","identifier":[{"system":"urn:ivbridge:bench","value":"%d"}],"birthDate":"1970-01-01"}`, i, i)
}

// send does one request and fails the benchmark on an unexpected status.
func send(b *testing.B, c *http.Client, method, url string, body []byte, header map[string]string, want ...int) {
	req, err := http.NewRequestWithContext(b.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		b.Error(err)
		return
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	for _, w := range want {
		if resp.StatusCode == w {
			return
		}
	}
	b.Errorf("%s %s: status %d, want %v", method, url, resp.StatusCode, want)
}

// seed PUTs n Patients with client-chosen ids from 8 clients.
func seed(b *testing.B, base string, n int) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || b.Failed() {
					return
				}
				send(b, c, http.MethodPut, fmt.Sprintf("%s/Patient/bench-%d", base, i), benchPatient(i), nil, http.StatusOK, http.StatusCreated)
			}
		})
	}
	wg.Wait()
}

// BenchmarkPutCreate measures update-as-create (PUT Type/id) into an empty
// store, 8 clients.
func BenchmarkPutCreate(b *testing.B) {
	base := upstreamtest.Start(b)
	b.ResetTimer()
	seed(b, base, b.N)
}

// BenchmarkConditionalUpdateAt10k measures PUT Patient?identifier=… (the
// idempotent write a sync can use) against a store of 10,000 Patients.
func BenchmarkConditionalUpdateAt10k(b *testing.B) {
	base := upstreamtest.Start(b)
	seed(b, base, benchRecords)
	c := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		k := i % benchRecords
		body := fmt.Appendf(nil, `{"resourceType":"Patient","identifier":[{"system":"urn:ivbridge:bench","value":"%d"}],"birthDate":"1971-01-01"}`, k)
		send(b, c, http.MethodPut, fmt.Sprintf("%s/Patient?identifier=urn:ivbridge:bench|%d", base, k), body, nil, http.StatusOK)
	}
}

// BenchmarkSearchPageAt10k measures one page of 100 from an unfiltered
// search over 10,000 Patients (what a full pull follows next links
// through).
func BenchmarkSearchPageAt10k(b *testing.B) {
	base := upstreamtest.Start(b)
	seed(b, base, benchRecords)
	c := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		send(b, c, http.MethodGet, fmt.Sprintf("%s/Patient?_count=100&_offset=%d", base, (i*100)%benchRecords), nil, nil, http.StatusOK)
	}
}

// BenchmarkLastUpdatedPageAt10k measures a page of 100 from a
// _lastUpdated-filtered, _lastUpdated-sorted search over 10,000 Patients
// (what an incremental pull pages through).
func BenchmarkLastUpdatedPageAt10k(b *testing.B) {
	base := upstreamtest.Start(b)
	seed(b, base, benchRecords)
	c := &http.Client{}
	b.ResetTimer()
	for i := range b.N {
		send(b, c, http.MethodGet, fmt.Sprintf("%s/Patient?_lastUpdated=gt2000-01-01&_sort=_lastUpdated&_count=100&_offset=%d", base, (i*100)%benchRecords), nil, nil, http.StatusOK)
	}
}
