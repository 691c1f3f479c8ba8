package clinic

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"time"
)

// Decimal is a JSON number kept as the clinic wrote it: "1.50" stays "1.50".
// It is never converted through float64 on its way to FHIR or back.
type Decimal string

// jsonNumber is the JSON grammar of a number (RFC 8259 §6).
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// ParseDecimal checks that s is a JSON number literal and returns it as a
// Decimal.
func ParseDecimal(s string) (Decimal, error) {
	if !jsonNumber.MatchString(s) {
		return "", fmt.Errorf("%q is not a number", s)
	}
	return Decimal(s), nil
}

// MarshalJSON writes the literal unchanged.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if !jsonNumber.MatchString(string(d)) {
		return nil, fmt.Errorf("clinic: %q is not a number", string(d))
	}
	return []byte(d), nil
}

// UnmarshalJSON keeps the literal as written; it accepts only a JSON number.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if !jsonNumber.Match(b) {
		return fmt.Errorf("expected a number, got %s", truncate(b))
	}
	*d = Decimal(b)
	return nil
}

// Rat returns the exact value of the decimal.
func (d Decimal) Rat() (*big.Rat, bool) {
	return new(big.Rat).SetString(string(d))
}

// Sign reports -1, 0 or +1; an invalid literal reports 0.
func (d Decimal) Sign() int {
	r, ok := d.Rat()
	if !ok {
		return 0
	}
	return r.Sign()
}

// Float64 returns the nearest float64, for arithmetic in checks only; never
// use it to write a value back out.
func (d Decimal) Float64() float64 {
	r, ok := d.Rat()
	if !ok {
		return 0
	}
	f, _ := r.Float64()
	return f
}

// String returns the literal.
func (d Decimal) String() string { return string(d) }

// Time is an RFC 3339 time with an offset, kept as written: "+00:00" stays
// "+00:00" and ".250" stays ".250".
type Time string

var timePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

// ParseTime checks that s is an RFC 3339 time with an offset.
func ParseTime(s string) (Time, error) {
	if !timePattern.MatchString(s) {
		return "", fmt.Errorf("%q is not an RFC 3339 time with an offset", s)
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return "", fmt.Errorf("%q is not a valid time: %w", s, err)
	}
	return Time(s), nil
}

// Time returns the instant the text names.
func (t Time) Time() (time.Time, error) { return time.Parse(time.RFC3339Nano, string(t)) }

// IsZero reports whether the time is unset.
func (t Time) IsZero() bool { return t == "" }

// Date is a calendar date, YYYY-MM-DD.
type Date string

var datePattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// ParseDate checks that s is a valid YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	if !datePattern.MatchString(s) {
		return "", fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return "", fmt.Errorf("%q is not a valid date", s)
	}
	return Date(s), nil
}

// Time returns midnight UTC of the date.
func (d Date) Time() (time.Time, error) { return time.Parse(time.DateOnly, string(d)) }

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

var _ json.Marshaler = Decimal("")
