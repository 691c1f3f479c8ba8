package upstream

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryableStatus lists the answers worth repeating within one call: rate
// limiting and the gateway family. 500 is not among them: an internal error
// usually repeats, so the call returns and the outbox backs off instead.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3; IMF-fixdate and the two obsolete formats).
// A date in the past gives 0. ok is false for an absent or malformed value.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		if n > int64(math.MaxInt64/time.Second) {
			return time.Duration(math.MaxInt64), true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if until := t.Sub(now); until > 0 {
		return until, true
	}
	return 0, true
}

// retryPolicy decides, after every attempt, whether go-retryablehttp tries
// again. It retries transport errors and retryableStatus answers, except a
// Retry-After longer than maxRetryAfter: that wait is the caller's (the
// outbox reschedules the record) so no worker sleeps for minutes.
func retryPolicy(maxRetryAfter time.Duration, now func() time.Time) func(ctx context.Context, resp *http.Response, err error) (bool, error) {
	return func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if err != nil {
			// Transport-level failure: refused, reset, timeout, EOF. The
			// request bodies are byte slices, so a resend is exact, and
			// every write ivbridge sends is idempotent.
			return true, nil
		}
		if !retryableStatus(resp.StatusCode) {
			return false, nil
		}
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now()); ok && d > maxRetryAfter {
			return false, nil
		}
		return true, nil
	}
}

// backoff is exponential with full jitter between min and the capped
// exponential value, but never shorter than the upstream's Retry-After.
func backoff(now func() time.Time) func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	return func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		ceiling := float64(min) * math.Pow(2, float64(attempt))
		if ceiling > float64(max) || math.IsInf(ceiling, 0) {
			ceiling = float64(max)
		}
		wait := min
		if span := time.Duration(ceiling) - min; span > 0 {
			wait += rand.N(span + 1)
		}
		if resp != nil {
			if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now()); ok && d > wait {
				// Retry-After has one-second resolution: an HTTP-date
				// rounds down, so add the lost fraction back.
				wait = d
				if !isDigits(resp.Header.Get("Retry-After")) {
					wait += time.Second - d%time.Second
				}
			}
		}
		return wait
	}
}

func isDigits(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
