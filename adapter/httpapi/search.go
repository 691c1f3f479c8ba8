package httpapi

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ivbridge/ivbridge/adapter/store"
)

// Search parameter types, as in CapabilityStatement.rest.resource.searchParam.type.
const (
	paramToken     = "token"
	paramReference = "reference"
	paramDate      = "date"
)

// searchParam is one search parameter the facade supports on a type.
type searchParam struct {
	Name string
	Type string
	// Definition is the canonical URL of the SearchParameter, when it is a
	// standard one.
	Definition string
	Doc        string
	// apply adds a parsed value to the query.
	key paramKey
}

// paramKey says which ResourceQuery field a parameter fills.
type paramKey int

const (
	keyID paramKey = iota
	keyIdentifier
	keyPatient
	keyStatus
	keyDate
	keyLastUpdated
)

// resourceDef is a resource type the facade serves.
type resourceDef struct {
	Type     string
	Params   []searchParam
	Includes []string // "Type:param" values of _include
}

func spDef(typ, code string) string {
	return "http://hl7.org/fhir/SearchParameter/" + typ + "-" + code
}

// facadeResources is the facade's resource table: it drives routing,
// search parsing and the CapabilityStatement.
func facadeResources() []resourceDef {
	common := func(typ string) []searchParam {
		return []searchParam{
			{Name: "_id", Type: paramToken, Definition: "http://hl7.org/fhir/SearchParameter/Resource-id", Doc: "logical id (comma-separated: any of)", key: keyID},
			{Name: "_lastUpdated", Type: paramDate, Definition: "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated", Doc: "when the facade last changed the resource; prefixes eq ne lt gt le ge sa eb", key: keyLastUpdated},
			{Name: "identifier", Type: paramToken, Definition: identifierDef(typ), Doc: "system|value, |value or system|", key: keyIdentifier},
		}
	}
	patientRef := func(typ, name string) searchParam {
		return searchParam{Name: name, Type: paramReference, Definition: spDef(typ, name), Doc: "the patient: id or Patient/id", key: keyPatient}
	}
	status := func(typ, name string) searchParam {
		return searchParam{Name: name, Type: paramToken, Definition: spDef(typ, name), Doc: "status code (comma-separated: any of)", key: keyStatus}
	}
	date := func(typ, name, doc string) searchParam {
		return searchParam{Name: name, Type: paramDate, Definition: spDef(typ, name), Doc: doc + "; prefixes eq ne lt gt le ge sa eb", key: keyDate}
	}
	with := func(typ string, ps ...searchParam) []searchParam { return append(common(typ), ps...) }
	return []resourceDef{
		{Type: "Patient", Params: with("Patient", date("Patient", "birthdate", "birth date"))},
		{Type: "Practitioner", Params: with("Practitioner")},
		{Type: "Medication", Params: with("Medication", status("Medication", "status"))},
		{Type: "MedicationRequest", Params: with("MedicationRequest",
			patientRef("MedicationRequest", "patient"), patientRef("MedicationRequest", "subject"),
			status("MedicationRequest", "status"), date("MedicationRequest", "authoredon", "authoredOn"))},
		{Type: "MedicationAdministration", Params: with("MedicationAdministration",
			patientRef("MedicationAdministration", "patient"), patientRef("MedicationAdministration", "subject"),
			status("MedicationAdministration", "status"), date("MedicationAdministration", "effective-time", "effective[x] (start of a period)")),
			Includes: []string{"MedicationAdministration:request", "MedicationAdministration:patient"}},
		{Type: "AdverseEvent", Params: with("AdverseEvent",
			patientRef("AdverseEvent", "subject"), date("AdverseEvent", "date", "date of the event")),
			Includes: []string{"AdverseEvent:subject"}},
		{Type: "AllergyIntolerance", Params: with("AllergyIntolerance",
			patientRef("AllergyIntolerance", "patient"), status("AllergyIntolerance", "clinical-status"),
			date("AllergyIntolerance", "date", "recordedDate"))},
		{Type: "Observation", Params: with("Observation",
			patientRef("Observation", "patient"), patientRef("Observation", "subject"),
			status("Observation", "status"), date("Observation", "date", "effective[x] (start of a period)"))},
		{Type: "Condition", Params: with("Condition",
			patientRef("Condition", "patient"), patientRef("Condition", "subject"),
			status("Condition", "clinical-status"), date("Condition", "recorded-date", "recordedDate"))},
		{Type: "DetectedIssue", Params: with("DetectedIssue",
			patientRef("DetectedIssue", "patient"), date("DetectedIssue", "identified", "identified[x]"))},
	}
}

// identifierDef is the standard identifier SearchParameter of a type; the
// R4 AdverseEvent has none, so there the facade declares its own (no
// definition).
func identifierDef(typ string) string {
	switch typ {
	case "AdverseEvent":
		return ""
	case "Patient", "Practitioner", "Medication", "MedicationRequest", "MedicationAdministration",
		"AllergyIntolerance", "Observation", "Condition", "DetectedIssue":
		return "http://hl7.org/fhir/SearchParameter/clinical-identifier"
	}
	return ""
}

// Paging defaults of the facade.
const (
	defaultCount = 50
	maxCount     = 1000
)

// searchRequest is a parsed facade search.
type searchRequest struct {
	query    store.ResourceQuery
	includes []string
	// empty: a filter that can match nothing (e.g. subject=Group/x).
	empty bool
	// canonical is the normalised query string for self and next links.
	canonical url.Values
}

// SearchError is a refused search parameter (answered 400).
type SearchError struct {
	Param   string
	Message string
}

func (e *SearchError) Error() string {
	return fmt.Sprintf("search parameter %s: %s", e.Param, e.Message)
}

var (
	datePattern    = regexp.MustCompile(`^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9](:([0-5][0-9]|60)(\.[0-9]+)?)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?)?)?)?$`)
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)
	typePattern    = regexp.MustCompile(`^[A-Z][A-Za-z]{1,63}$`)
	datePrefixes   = []store.Comparator{store.EQ, store.NE, store.LT, store.GT, store.LE, store.GE, store.SA, store.EB}
	unsupportedPfx = []string{"ap"}
)

// parseSearch reads a search's parameters strictly by default: an unknown
// parameter, modifier or malformed value is an error (handling=strict), so
// a client never gets a wider result than it asked for without knowing.
// With lenient (the client sent Prefer: handling=lenient) unknown
// parameters are ignored, as FHIR allows, and left out of the self link so
// the client can see what was applied; malformed values of known ones are
// still errors.
func parseSearch(def resourceDef, params url.Values, lenient bool) (searchRequest, error) {
	req := searchRequest{query: store.ResourceQuery{Type: def.Type, Count: defaultCount}, canonical: url.Values{}}
	byName := map[string]searchParam{}
	for _, p := range def.Params {
		byName[p.Name] = p
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		values := params[name]
		base, modifier, hasMod := strings.Cut(name, ":")
		switch base {
		case "_count":
			if hasMod || len(values) != 1 {
				return req, &SearchError{name, "give _count once, without modifier"}
			}
			n, err := strconv.Atoi(values[0])
			if err != nil || n < 0 {
				return req, &SearchError{name, "must be a non-negative integer"}
			}
			if n > maxCount {
				n = maxCount
			}
			req.query.Count = n
			continue
		case "_offset":
			if hasMod || len(values) != 1 {
				return req, &SearchError{name, "give _offset once, without modifier"}
			}
			n, err := strconv.Atoi(values[0])
			if err != nil || n < 0 {
				return req, &SearchError{name, "must be a non-negative integer"}
			}
			req.query.Offset = n
			continue
		case "_cursor":
			if hasMod || len(values) != 1 {
				return req, &SearchError{name, "give _cursor once, without modifier"}
			}
			c, err := parseCursor(values[0])
			if err != nil {
				return req, &SearchError{name, err.Error()}
			}
			req.query.After = c
			continue
		case "_format":
			continue // checked by content negotiation
		case "_total":
			// Bundle.total is always the accurate count.
			for _, v := range values {
				if v != "none" && v != "estimate" && v != "accurate" {
					return req, &SearchError{name, "must be none, estimate or accurate"}
				}
			}
			continue
		case "_include":
			if hasMod {
				return req, &SearchError{name, "modifiers of _include (:iterate) are not supported"}
			}
			for _, v := range values {
				for _, inc := range strings.Split(v, ",") {
					typ, param, ok := strings.Cut(inc, ":")
					target := ""
					if t, p, ok2 := strings.Cut(param, ":"); ok2 {
						param, target = t, p
					}
					key := typ + ":" + param
					if !ok || !contains(def.Includes, key) {
						return req, &SearchError{name, fmt.Sprintf("%q is not supported on %s (supported: %s)", inc, def.Type, strings.Join(def.Includes, ", "))}
					}
					_ = target // the target type is implied by the reference
					req.includes = append(req.includes, param)
					req.canonical.Add("_include", inc)
				}
			}
			continue
		}
		p, ok := byName[base]
		if !ok {
			if lenient {
				continue
			}
			return req, &SearchError{name, "unknown search parameter on " + def.Type}
		}
		if hasMod {
			return req, &SearchError{name, fmt.Sprintf("modifier :%s is not supported", modifier)}
		}
		for _, v := range values {
			if v == "" {
				return req, &SearchError{name, "empty value"}
			}
			req.canonical.Add(name, v)
			if err := applyParam(&req, p, v); err != nil {
				return req, err
			}
		}
	}
	if req.query.After != nil && req.query.Offset > 0 {
		return req, &SearchError{"_cursor", "give _cursor or _offset, not both"}
	}
	return req, nil
}

func applyParam(req *searchRequest, p searchParam, v string) error {
	q := &req.query
	switch p.key {
	case keyID:
		ids := strings.Split(v, ",")
		for _, id := range ids {
			if !idPattern.MatchString(id) {
				return &SearchError{p.Name, fmt.Sprintf("%q is not a FHIR id", id)}
			}
		}
		if q.IDs != nil {
			// Two _id parameters: AND, so only ids in both remain.
			q.IDs = intersect(q.IDs, ids)
			if len(q.IDs) == 0 {
				req.empty = true
			}
			return nil
		}
		q.IDs = ids
	case keyIdentifier:
		if strings.Contains(v, ",") {
			return &SearchError{p.Name, "several identifiers in one parameter are not supported"}
		}
		if q.Identifier != "" && q.Identifier != v {
			// Two identifier parameters are an AND; the store holds one
			// filter, so different values cannot both be checked there.
			return &SearchError{p.Name, "two different identifier parameters are not supported"}
		}
		q.Identifier = v
	case keyPatient:
		if strings.Contains(v, ",") {
			return &SearchError{p.Name, "several patients in one parameter are not supported"}
		}
		id := v
		if i := strings.LastIndex(v, "/"); i >= 0 {
			typ := v[:i]
			if j := strings.LastIndex(typ, "/"); j >= 0 {
				typ = typ[j+1:]
			}
			if typ != "Patient" {
				req.empty = true // the facade's subjects are all patients
				return nil
			}
			id = v[i+1:]
		}
		if !idPattern.MatchString(id) {
			return &SearchError{p.Name, fmt.Sprintf("%q is not a patient id or reference", v)}
		}
		if q.PatientID != "" && q.PatientID != id {
			req.empty = true
			return nil
		}
		q.PatientID = id
	case keyStatus:
		codes := strings.Split(v, ",")
		for _, c := range codes {
			if c == "" || strings.Contains(c, "|") && strings.HasSuffix(c, "|") {
				return &SearchError{p.Name, "empty code"}
			}
		}
		for i, c := range codes {
			if _, code, ok := strings.Cut(c, "|"); ok {
				codes[i] = code
			}
		}
		if q.Status != nil {
			q.Status = intersect(q.Status, codes)
			if len(q.Status) == 0 {
				req.empty = true
			}
			return nil
		}
		q.Status = codes
	case keyDate, keyLastUpdated:
		f, err := parseDateFilter(v)
		if err != nil {
			return &SearchError{p.Name, err.Error()}
		}
		if p.key == keyDate {
			q.Date = append(q.Date, f)
		} else {
			q.LastUpdated = append(q.LastUpdated, f)
		}
	}
	return nil
}

func parseDateFilter(v string) (store.DateFilter, error) {
	f := store.DateFilter{Comparator: store.EQ, Value: v}
	if len(v) >= 2 && v[0] >= 'a' && v[0] <= 'z' {
		pfx := v[:2]
		if contains(unsupportedPfx, pfx) {
			return f, fmt.Errorf("prefix %q is not supported", pfx)
		}
		found := false
		for _, c := range datePrefixes {
			if string(c) == pfx {
				f.Comparator, f.Value, found = c, v[2:], true
			}
		}
		if !found {
			return f, fmt.Errorf("unknown prefix %q", pfx)
		}
	}
	if !datePattern.MatchString(f.Value) {
		return f, fmt.Errorf("%q is not a FHIR date or dateTime", f.Value)
	}
	if strings.Contains(f.Value, "T") && !strings.ContainsAny(f.Value[10:], "Z+-") {
		return f, fmt.Errorf("%q: a dateTime needs a time zone", f.Value)
	}
	// The store's reading is the one that counts (year 0000, 2026-02-30 …).
	if _, err := store.ParseDateRange(f.Value); err != nil {
		return f, fmt.Errorf("%q is not a usable date: %w", f.Value, err)
	}
	return f, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// The next links of a search carry a cursor, the last resource of the
// page (keyset paging): the pages after it do not shift when resources
// before it change, as offsets would. Its form is
// <lastUpdated in µs since the epoch>~<type>~<id>; none of the three
// holds a "~".

// cursorOf is the _cursor value of the place after r.
func cursorOf(r store.Resource) string {
	return strconv.FormatInt(r.LastUpdated.UnixMicro(), 10) + "~" + r.Type + "~" + r.ID
}

// parseCursor reads a _cursor value.
func parseCursor(v string) (*store.ResourceCursor, error) {
	parts := strings.Split(v, "~")
	if len(parts) != 3 {
		return nil, errors.New("not a cursor this server gave")
	}
	us, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || us < 0 || !typePattern.MatchString(parts[1]) || !idPattern.MatchString(parts[2]) {
		return nil, errors.New("not a cursor this server gave")
	}
	return &store.ResourceCursor{LastUpdated: time.UnixMicro(us).UTC(), Type: parts[1], ID: parts[2]}, nil
}
