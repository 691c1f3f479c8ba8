package translate

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// The clinic's formats are a little wider than FHIR's: an offset of +15:00
// or the year 0000 pass RFC 3339 parsing but not the R4 dateTime grammar.
// Such a record is refused with the field named, since every resource
// emitted must be valid R4.
var (
	fhirDateTime = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`)
	fhirDate     = regexp.MustCompile(`^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])$`)
)

// checkLiterals reports the record's dates, times and strings that have no
// valid R4 form.
func checkLiterals(rec clinic.Record) []Problem {
	var probs problems
	tm := func(path string, v clinic.Time) {
		if v != "" && !fhirDateTime.MatchString(string(v)) {
			probs.add(path, "not a valid FHIR dateTime (offsets run from -12:59 to +14:00, years from 0001)")
		}
	}
	dt := func(path string, v clinic.Date) {
		if v != "" && !fhirDate.MatchString(string(v)) {
			probs.add(path, "not a valid FHIR date (years from 0001)")
		}
	}
	st := func(path, v string) {
		if !validFHIRString(v) {
			probs.add(path, "holds characters FHIR strings cannot carry (control characters or invalid UTF-8)")
		}
	}
	sts := func(path string, vs []string) {
		for _, v := range vs {
			st(path, v)
		}
	}
	switch r := rec.(type) {
	case *clinic.Patient:
		dt("birth_date", r.BirthDate)
		st("mrn", r.MRN)
		sts("given_names", r.GivenNames)
		st("family_name", r.FamilyName)
		st("phone", r.Phone)
		st("email", r.Email)
	case *clinic.Practitioner:
		sts("given_names", r.GivenNames)
		st("family_name", r.FamilyName)
		st("npi", r.NPI)
	case *clinic.Plan:
		tm("authored_at", r.AuthoredAt)
		dt("schedule.start_date", r.Schedule.StartDate)
		dt("schedule.end_date", r.Schedule.EndDate)
		st("formulation.name", r.Formulation.Name)
		st("notes", r.Notes)
	case *clinic.Administration:
		tm("started_at", r.StartedAt)
		tm("ended_at", r.EndedAt)
		st("notes", r.Notes)
	case *clinic.Reaction:
		tm("onset_at", r.OnsetAt)
		tm("recorded_at", r.RecordedAt)
		st("notes", r.Notes)
	}
	return probs.list
}

// validFHIRString reports whether s is valid UTF-8 without the control
// characters XML (and so the narrative) cannot hold; tab, CR and LF are fine.
func validFHIRString(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF
	})
}
