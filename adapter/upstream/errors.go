package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// ErrUnreachable wraps every failure to get an HTTP answer from the
// upstream at all (connection refused or reset, timeout) once the retry
// budget is spent. The work stays queued; nothing was refused.
var ErrUnreachable = errors.New("upstream: unreachable")

// StatusError is a non-2xx answer of the upstream. Callers branch on it
// with the Is* helpers below.
type StatusError struct {
	Method string
	Path   string // request path and query, without the base URL
	Status int
	// RetryAfter is the upstream's Retry-After (seconds or HTTP-date),
	// 0 when absent.
	RetryAfter time.Duration
	// Outcome is the OperationOutcome the upstream sent, if it sent one.
	Outcome []byte
}

// Error reports the status and the first diagnostics of the outcome. It
// never includes the request body, so no patient data reaches a log.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("upstream: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if d := Diagnostics(e.Outcome); d != "" {
		msg += ": " + d
	}
	return msg
}

// Transient reports whether the same request may succeed later without any
// change on our side: rate limits, gateway errors and server errors.
func (e *StatusError) Transient() bool {
	switch {
	case e.Status == http.StatusTooManyRequests, e.Status == http.StatusRequestTimeout:
		return true
	case e.Status >= 500:
		return true
	}
	return false
}

// IsTransient reports whether err is worth retrying later: the upstream was
// unreachable, answered 408/429/5xx, or the context expired mid-flight.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnreachable) {
		return true
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Transient()
	}
	return false
}

// IsConflict reports a 409 Conflict or 412 Precondition Failed: the
// resource changed on the upstream underneath us.
func IsConflict(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Status == http.StatusConflict || se.Status == http.StatusPreconditionFailed)
}

// IsNotFound reports a 404 Not Found or 410 Gone.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusGone)
}

// tooLargeText matches the diagnostics upstreams use when a Bundle has more
// entries or bytes than they accept; Medplum answers 400 with "Transaction
// contains more update operations than allowed" or "… has too many entries".
var tooLargeText = regexp.MustCompile(`(?i)too (many|large|big)|more .* than allowed|exceeds? .*(limit|maximum|size)|payload too large|entity too large`)

// IsTooLarge reports that the upstream refused a request because of its
// size: 413, or a 400/422 whose OperationOutcome says so. The caller splits
// the Bundle and tries again.
func IsTooLarge(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	if se.Status == http.StatusRequestEntityTooLarge {
		return true
	}
	if se.Status == http.StatusBadRequest || se.Status == http.StatusUnprocessableEntity {
		return tooLargeText.MatchString(Diagnostics(se.Outcome))
	}
	return false
}

// IsPermanent reports a refusal that retrying cannot fix: a 4xx other than
// 408, 409, 412, 429 and the size refusals.
func IsPermanent(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	if se.Status < 400 || se.Status >= 500 || se.Transient() {
		return false
	}
	return !IsConflict(err) && !IsTooLarge(err)
}

// RetryAfterOf returns the upstream's Retry-After carried by err, or 0.
func RetryAfterOf(err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) {
		return se.RetryAfter
	}
	return 0
}

// OutcomeOf returns the OperationOutcome carried by err, or nil.
func OutcomeOf(err error) []byte {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Outcome
	}
	return nil
}

// Diagnostics joins the diagnostics (or details.text) of an
// OperationOutcome's issues; "" when body is not one.
func Diagnostics(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity    string `json:"severity"`
			Code        string `json:"code"`
			Diagnostics string `json:"diagnostics"`
			Details     *struct {
				Text string `json:"text"`
			} `json:"details"`
			Expression []string `json:"expression"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		return ""
	}
	var parts []string
	for _, is := range oo.Issue {
		text := is.Diagnostics
		if text == "" && is.Details != nil {
			text = is.Details.Text
		}
		if text == "" {
			text = is.Code
		}
		if len(is.Expression) > 0 {
			text += " (" + strings.Join(is.Expression, ", ") + ")"
		}
		if text != "" {
			parts = append(parts, text)
		}
	}
	return strings.Join(parts, "; ")
}
