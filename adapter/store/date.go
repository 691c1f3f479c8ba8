package store

import (
	"fmt"
	"strconv"
	"time"
)

// DateRange is the implicit range of a FHIR date, dateTime or instant: a
// value covers every instant its precision leaves open, so "2026-03" is all
// of March 2026 and "2026-03-05T10:00" the whole minute. End is exclusive.
type DateRange struct {
	Start time.Time // inclusive, UTC
	End   time.Time // exclusive, UTC
}

// ParseDateRange parses a FHIR date, dateTime or instant as written in a
// resource or in a search parameter (without the comparator prefix):
// YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm[:ss[.fff…]][Z|±hh:mm].
// A time without a timezone is taken as UTC (the server's zone). Values
// that are not real calendar dates (2026-02-30) are errors.
func ParseDateRange(s string) (DateRange, error) {
	p := dateParser{s: s}
	r, err := p.parse()
	if err != nil {
		return DateRange{}, fmt.Errorf("store: date %q: %w", s, err)
	}
	return r, nil
}

type dateParser struct {
	s   string
	pos int
}

func (p *dateParser) digits(n int, what string) (int, error) {
	if p.pos+n > len(p.s) {
		return 0, fmt.Errorf("%s: want %d digits", what, n)
	}
	v := 0
	for i := 0; i < n; i++ {
		c := p.s[p.pos+i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%s: want %d digits", what, n)
		}
		v = v*10 + int(c-'0')
	}
	p.pos += n
	return v, nil
}

func (p *dateParser) accept(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *dateParser) done() bool { return p.pos == len(p.s) }

func (p *dateParser) parse() (DateRange, error) {
	year, err := p.digits(4, "year")
	if err != nil {
		return DateRange{}, err
	}
	if year < 1 {
		return DateRange{}, fmt.Errorf("year 0000 does not exist")
	}
	if p.done() {
		start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		return DateRange{start, start.AddDate(1, 0, 0)}, nil
	}
	if !p.accept('-') {
		return DateRange{}, fmt.Errorf("want '-' after the year")
	}
	month, err := p.digits(2, "month")
	if err != nil {
		return DateRange{}, err
	}
	if month < 1 || month > 12 {
		return DateRange{}, fmt.Errorf("month %02d out of range", month)
	}
	if p.done() {
		start := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		return DateRange{start, start.AddDate(0, 1, 0)}, nil
	}
	if !p.accept('-') {
		return DateRange{}, fmt.Errorf("want '-' after the month")
	}
	day, err := p.digits(2, "day")
	if err != nil {
		return DateRange{}, err
	}
	if day < 1 || day > daysIn(year, time.Month(month)) {
		return DateRange{}, fmt.Errorf("day %02d out of range", day)
	}
	if p.done() {
		start := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		return DateRange{start, start.AddDate(0, 0, 1)}, nil
	}
	if !p.accept('T') {
		return DateRange{}, fmt.Errorf("want 'T' after the day")
	}
	hour, err := p.digits(2, "hour")
	if err != nil {
		return DateRange{}, err
	}
	if !p.accept(':') {
		return DateRange{}, fmt.Errorf("want ':' after the hour")
	}
	minute, err := p.digits(2, "minute")
	if err != nil {
		return DateRange{}, err
	}
	if hour > 23 || minute > 59 {
		return DateRange{}, fmt.Errorf("time %02d:%02d out of range", hour, minute)
	}
	sec, nsec := 0, 0
	width := time.Minute
	if p.accept(':') {
		if sec, err = p.digits(2, "second"); err != nil {
			return DateRange{}, err
		}
		// 60 is a leap second; FHIR's regex allows it. Go normalises it
		// to the next minute, which is the instant it denotes in UTC.
		if sec > 60 {
			return DateRange{}, fmt.Errorf("second %02d out of range", sec)
		}
		width = time.Second
		if p.accept('.') {
			n := 0
			frac := 0
			for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
				if n < 9 {
					frac = frac*10 + int(p.s[p.pos]-'0')
				}
				n++
				p.pos++
			}
			if n == 0 {
				return DateRange{}, fmt.Errorf("want digits after '.'")
			}
			digits := min(n, 9)
			for i := 0; i < digits; i++ {
				width /= 10
			}
			for i := digits; i < 9; i++ {
				frac *= 10
			}
			nsec = frac
		}
	}
	loc := time.UTC
	switch {
	case p.done():
	case p.accept('Z'):
	case p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-'):
		sign := 1
		if p.s[p.pos] == '-' {
			sign = -1
		}
		p.pos++
		th, err := p.digits(2, "zone hour")
		if err != nil {
			return DateRange{}, err
		}
		if !p.accept(':') {
			return DateRange{}, fmt.Errorf("want ':' in the zone offset")
		}
		tm, err := p.digits(2, "zone minute")
		if err != nil {
			return DateRange{}, err
		}
		if th > 14 || tm > 59 {
			return DateRange{}, fmt.Errorf("zone offset out of range")
		}
		loc = time.FixedZone("", sign*(th*3600+tm*60))
	default:
		return DateRange{}, fmt.Errorf("unexpected %s", strconv.Quote(p.s[p.pos:]))
	}
	if !p.done() {
		return DateRange{}, fmt.Errorf("unexpected %s", strconv.Quote(p.s[p.pos:]))
	}
	start := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc).UTC()
	return DateRange{start, start.Add(width)}, nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
