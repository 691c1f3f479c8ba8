package conformance

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxStringBytes is the R4 limit on string sizes (1 MB).
const maxStringBytes = 1024 * 1024

// primitive checks one primitive JSON value against the R4 format of kind.
// Diagnostics never quote string values (they may be patient data) except
// for codes, ids and date forms, which carry none.
func (w *walker) primitive(val jval, kind primKind) {
	switch kind {
	case primBoolean:
		if k := val.kind(); k != jTrue && k != jFalse {
			w.add(SeverityError, CodeStructure, "a boolean must be a JSON true or false")
		}
		return
	case primInteger, primPositiveInt, primUnsignedInt, primDecimal:
		text, ok := val.numberText()
		if !ok {
			w.add(SeverityError, CodeStructure, fmt.Sprintf("a %s must be a JSON number", primName(kind)))
			return
		}
		if kind == primDecimal {
			return // the parser checked the number grammar, which is the decimal's
		}
		i, err := strconv.ParseInt(text, 10, 32)
		if err != nil {
			w.add(SeverityError, CodeValue, fmt.Sprintf("not a valid %s (32-bit whole number)", primName(kind)))
			return
		}
		if kind == primPositiveInt && i < 1 {
			w.add(SeverityError, CodeValue, "not a valid positiveInt (must be ≥ 1)")
		}
		if kind == primUnsignedInt && i < 0 {
			w.add(SeverityError, CodeValue, "not a valid unsignedInt (must be ≥ 0)")
		}
		return
	}
	s, ok := val.asString()
	if !ok {
		w.add(SeverityError, CodeStructure, fmt.Sprintf("a %s must be a JSON string", primName(kind)))
		return
	}
	if s == "" {
		w.add(SeverityError, CodeValue, "empty strings are not allowed (omit the element instead)")
		return
	}
	if msg := checkStringFormat(s, kind); msg != "" {
		w.add(SeverityError, CodeValue, msg)
	}
}

// checkStringFormat returns "" when s is a valid value of kind, otherwise
// the reason.
func checkStringFormat(s string, kind primKind) string {
	switch kind {
	case primString, primMarkdown:
		if len(s) > maxStringBytes {
			return "string longer than 1 MB"
		}
		if !utf8.ValidString(s) {
			return "string is not valid UTF-8"
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 && c != '\t' && c != '\r' && c != '\n' {
				return "strings SHALL NOT contain control characters other than tab, CR and LF"
			}
		}
	case primURI, primURL, primCanonical:
		if strings.ContainsAny(s, " \t\r\n") {
			return fmt.Sprintf("a %s must not contain whitespace", primName(kind))
		}
	case primOID:
		if !validOID(s) {
			return "not a valid oid (urn:oid:…)"
		}
	case primUUID:
		if !validUUID(s) {
			return "not a valid uuid (urn:uuid: + lowercase UUID)"
		}
	case primID:
		if !validID(s) {
			// Not quoted: an id is free text to whoever wrote it, and a
			// misplaced MRN or name must not reach a log.
			return "not an id (1–64 of A-Z a-z 0-9 - .)"
		}
	case primCode:
		if !validCode(s) {
			return fmt.Sprintf("%q is not a code (no leading, trailing or repeated whitespace)", s)
		}
	case primBase64:
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, s)
		if _, err := base64.StdEncoding.DecodeString(clean); err != nil {
			return "not valid base64Binary"
		}
	case primDate:
		if _, ok := parseDate(s, false); !ok {
			return "not a valid date (YYYY, YYYY-MM or YYYY-MM-DD, a real calendar day)"
		}
	case primDateTime:
		if _, ok := parseDate(s, true); !ok {
			return "not a valid dateTime (YYYY[-MM[-DD[Thh:mm:ss[.f](Z|+hh:mm)]]], a time needs a zone)"
		}
	case primInstant:
		if t, ok := parseDate(s, true); !ok || t.prec != precTime {
			return "not a valid instant (YYYY-MM-DDThh:mm:ss[.f](Z|+hh:mm))"
		}
	case primTime:
		if !validTime(s) {
			return "not a valid time (hh:mm:ss[.f])"
		}
	case primXHTML:
		t := strings.TrimSpace(s)
		if !strings.HasPrefix(t, "<div") || !strings.HasSuffix(t, "</div>") && !strings.HasSuffix(t, "/>") {
			return "narrative must be an XHTML <div> element"
		}
		open := t[:strings.IndexByte(t, '>')+1]
		if !strings.Contains(open, `xmlns="http://www.w3.org/1999/xhtml"`) && !strings.Contains(open, `xmlns='http://www.w3.org/1999/xhtml'`) {
			return `the narrative <div> must declare xmlns="http://www.w3.org/1999/xhtml"`
		}
	}
	return ""
}

func primName(k primKind) string {
	for n, pk := range primByName {
		if pk == k {
			return n
		}
	}
	return "primitive"
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// validCode implements [^\s]+( [^\s]+)*.
func validCode(s string) bool {
	prevSpace := true // forbids a leading space
	for _, r := range s {
		switch r {
		case ' ':
			if prevSpace {
				return false
			}
			prevSpace = true
		case '\t', '\n', '\r', '\v', '\f', 0x85, 0xA0:
			return false
		default:
			prevSpace = false
		}
	}
	return !prevSpace
}

func validOID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:oid:")
	if !ok || rest == "" || rest[0] < '0' || rest[0] > '2' {
		return false
	}
	parts := strings.Split(rest, ".")
	if len(parts) < 2 || len(parts[0]) != 1 {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || (len(p) > 1 && p[0] == '0') {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

func validUUID(s string) bool {
	rest, ok := strings.CutPrefix(s, "urn:uuid:")
	if !ok || len(rest) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := rest[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// Date precision of a parsed date/dateTime/instant.
const (
	precYear = iota + 1
	precMonth
	precDay
	precTime
)

// fhirTime is a parsed date, dateTime or instant.
type fhirTime struct {
	prec                 int
	year, month, day     int
	hour, minute, second int
	frac                 string // fraction digits, without the dot
	tzMinutes            int    // offset east of UTC
}

func digits(s string, n int) (int, bool) {
	if len(s) < n {
		return 0, false
	}
	v := 0
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseDate parses an R4 date (withTime false) or dateTime (withTime true):
// YYYY, YYYY-MM, YYYY-MM-DD, and for dateTime YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm).
// A time needs a time zone.
func parseDate(s string, withTime bool) (fhirTime, bool) {
	var t fhirTime
	var ok bool
	if t.year, ok = digits(s, 4); !ok || t.year == 0 {
		return t, false
	}
	t.prec = precYear
	s = s[4:]
	if s == "" {
		return t, true
	}
	if s[0] != '-' {
		return t, false
	}
	if t.month, ok = digits(s[1:], 2); !ok || t.month < 1 || t.month > 12 {
		return t, false
	}
	t.prec = precMonth
	s = s[3:]
	if s == "" {
		return t, true
	}
	if s[0] != '-' {
		return t, false
	}
	if t.day, ok = digits(s[1:], 2); !ok || t.day < 1 || t.day > daysIn(t.year, t.month) {
		return t, false
	}
	t.prec = precDay
	s = s[3:]
	if s == "" {
		return t, true
	}
	if !withTime || s[0] != 'T' {
		return t, false
	}
	s = s[1:]
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return t, false
	}
	h, ok1 := digits(s, 2)
	mi, ok2 := digits(s[3:], 2)
	se, ok3 := digits(s[6:], 2)
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || se > 60 {
		return t, false
	}
	t.hour, t.minute, t.second = h, mi, se
	t.prec = precTime
	s = s[8:]
	if s != "" && s[0] == '.' {
		j := 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == 1 {
			return t, false
		}
		t.frac = s[1:j]
		s = s[j:]
	}
	switch {
	case s == "Z":
		return t, true
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		th, ok1 := digits(s[1:], 2)
		tm, ok2 := digits(s[4:], 2)
		if !ok1 || !ok2 || tm > 59 || th > 14 || (th == 14 && tm != 0) {
			return t, false
		}
		t.tzMinutes = th*60 + tm
		if s[0] == '-' {
			t.tzMinutes = -t.tzMinutes
		}
		return t, true
	}
	return t, false
}

// validTime implements hh:mm:ss(.f+)? of the R4 time type.
func validTime(s string) bool {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return false
	}
	h, ok1 := digits(s, 2)
	m, ok2 := digits(s[3:], 2)
	sec, ok3 := digits(s[6:], 2)
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 60 {
		return false
	}
	rest := s[8:]
	if rest == "" {
		return true
	}
	if rest[0] != '.' || len(rest) == 1 {
		return false
	}
	for i := 1; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}
