package sync_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/ivbridge/ivbridge/adapter/sync"
	"github.com/ivbridge/ivbridge/adapter/upstream"
	"github.com/ivbridge/ivbridge/conformance/upstreamtest"
)

// TestRateLimitAndBursts injects 429 with Retry-After (seconds and
// HTTP-date) and bursts of 503 at the proxy while 1,000 records flow. Every
// record must arrive once, and each retried request must have waited at
// least its Retry-After.
func TestRateLimitAndBursts(t *testing.T) {
	base := upstreamtest.Start(t)
	proxy := newFaultProxy(t, base)
	st := openStore(t, t.TempDir())
	pats, plans := records(t, st, "rl", outagePatients)

	var script []scripted
	for range 3 {
		script = append(script, scripted{status: http.StatusTooManyRequests, retryAfter: "1", only: "POST /"})
	}
	for range 5 {
		script = append(script, scripted{status: http.StatusServiceUnavailable, only: "POST /"})
	}
	script = append(script, scripted{status: http.StatusBadGateway, only: "POST /"}, scripted{status: http.StatusGatewayTimeout, only: "POST /"})
	// Let a few bundles through first, so the faults land mid-stream.
	s := newSyncer(t, st, newClient(t, proxy.URL(), upstream.Config{RetryMax: 12}), sync.Config{Workers: 4, ClaimLimit: 25})
	runSyncer(t, s)
	waitPendingBelow(t, st, 2*outagePatients*4/5, 60*time.Second)
	proxy.addScript(script...)
	// An HTTP-date Retry-After, two seconds ahead (whole seconds).
	dateAt := time.Now().Add(2 * time.Second).Truncate(time.Second)
	proxy.addScript(scripted{status: http.StatusTooManyRequests, retryAfter: dateAt.UTC().Format(http.TimeFormat), only: "POST /"})

	assertAllOnce(t, st, base, pats, plans)

	checked := 0
	for _, a := range proxy.answers() {
		if a.retryAfter == "" {
			continue
		}
		next, ok := proxy.nextArrivalAfter(a.hash, a.at)
		if !ok {
			t.Errorf("the request answered %s at %s was never retried", a.retryAfter, a.at.Format(time.StampMilli))
			continue
		}
		checked++
		if secs, err := strconv.Atoi(a.retryAfter); err == nil {
			if gap := next.Sub(a.at); gap < time.Duration(secs)*time.Second {
				t.Errorf("retried %s after a 429 with Retry-After: %s", gap, a.retryAfter)
			}
			continue
		}
		when, err := http.ParseTime(a.retryAfter)
		if err != nil {
			t.Fatal(err)
		}
		if next.Before(when) {
			t.Errorf("retried at %s, before the Retry-After date %s", next.Format(time.StampMilli), when.Format(time.StampMilli))
		}
	}
	if checked != 4 {
		t.Errorf("checked %d Retry-After waits, want 4", checked)
	}
}
