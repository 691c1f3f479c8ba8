package clinic

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Encode writes a record as canonical clinic JSON: fields in the order of
// the struct (and of the README), no insignificant white space, number and
// time literals exactly as held. Optional strings, numbers and times are
// left out when unset; optional lists are written when non-nil, so an
// explicit empty list survives a round trip.
//
// Encode does not apply the model's rules (use Validate); it fails only
// when the output would not be JSON, i.e. a Decimal that is not a number
// literal.
func Encode(r Record) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 1024)}
	switch r := r.(type) {
	case *Patient:
		if r == nil {
			break
		}
		e.patient(r)
		return e.result()
	case *Practitioner:
		if r == nil {
			break
		}
		e.practitioner(r)
		return e.result()
	case *Plan:
		if r == nil {
			break
		}
		e.plan(r)
		return e.result()
	case *Administration:
		if r == nil {
			break
		}
		e.administration(r)
		return e.result()
	case *Reaction:
		if r == nil {
			break
		}
		e.reaction(r)
		return e.result()
	}
	return nil, fmt.Errorf("clinic: cannot encode %T: not a clinic record", r)
}

type encoder struct {
	buf   []byte
	first bool // no member written yet in the current object
	err   error
}

func (e *encoder) result() ([]byte, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.buf, nil
}

func (e *encoder) open() {
	e.buf = append(e.buf, '{')
	e.first = true
}

func (e *encoder) close() {
	e.buf = append(e.buf, '}')
	e.first = false
}

func (e *encoder) key(k string) {
	if !e.first {
		e.buf = append(e.buf, ',')
	}
	e.first = false
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, k...)
	e.buf = append(e.buf, '"', ':')
}

func (e *encoder) str(k, v string) {
	e.key(k)
	e.buf = appendString(e.buf, v)
}

func (e *encoder) optStr(k, v string) {
	if v != "" {
		e.str(k, v)
	}
}

func (e *encoder) num(k string, d Decimal) {
	e.key(k)
	e.decimal(k, d)
}

func (e *encoder) decimal(k string, d Decimal) {
	if !validNumber(string(d)) {
		if e.err == nil {
			e.err = fmt.Errorf("clinic: %s: %q is not a number literal", k, truncateString(string(d)))
		}
		e.buf = append(e.buf, '0')
		return
	}
	e.buf = append(e.buf, d...)
}

func (e *encoder) optNum(k string, d *Decimal) {
	if d != nil {
		e.num(k, *d)
	}
}

func (e *encoder) integer(k string, n int) {
	e.key(k)
	e.buf = strconv.AppendInt(e.buf, int64(n), 10)
}

func (e *encoder) boolean(k string, b bool) {
	e.key(k)
	e.buf = strconv.AppendBool(e.buf, b)
}

func (e *encoder) strList(k string, l []string) {
	e.key(k)
	e.buf = append(e.buf, '[')
	for i, s := range l {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, s)
	}
	e.buf = append(e.buf, ']')
}

func (e *encoder) optStrList(k string, l []string) {
	if l != nil {
		e.strList(k, l)
	}
}

// objects writes k as an array of n objects, the members of each written
// by item(i).
func (e *encoder) objects(k string, n int, item func(i int)) {
	e.key(k)
	e.buf = append(e.buf, '[')
	for i := range n {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.open()
		item(i)
		e.close()
	}
	e.buf = append(e.buf, ']')
}

func (e *encoder) header(h Header) {
	e.str("kind", string(h.Kind))
	e.str("id", h.ID)
	e.integer("version", h.Version)
}

func (e *encoder) patient(r *Patient) {
	e.open()
	e.header(r.Header)
	e.str("mrn", r.MRN)
	e.strList("given_names", r.GivenNames)
	e.str("family_name", r.FamilyName)
	e.str("birth_date", string(r.BirthDate))
	e.str("sex", r.Sex)
	e.optNum("weight_kg", r.WeightKg)
	e.optStrList("conditions", r.Conditions)
	if r.Allergies != nil {
		e.objects("allergies", len(r.Allergies), func(i int) {
			a := &r.Allergies[i]
			e.str("substance", a.Substance)
			e.optStr("reaction", a.Reaction)
			e.optStr("severity", a.Severity)
		})
	}
	e.optStr("phone", r.Phone)
	e.optStr("email", r.Email)
	e.close()
}

func (e *encoder) practitioner(r *Practitioner) {
	e.open()
	e.header(r.Header)
	e.optStr("npi", r.NPI)
	e.strList("given_names", r.GivenNames)
	e.str("family_name", r.FamilyName)
	e.str("role", r.Role)
	e.close()
}

func (e *encoder) plan(r *Plan) {
	e.open()
	e.header(r.Header)
	e.str("patient_id", r.Patient)
	e.str("prescriber_id", r.PrescriberID)
	e.str("status", r.Status)
	e.str("authored_at", string(r.AuthoredAt))
	e.strList("indications", r.Indications)

	e.key("formulation")
	e.open()
	e.str("name", r.Formulation.Name)
	e.objects("ingredients", len(r.Formulation.Ingredients), func(i int) {
		in := &r.Formulation.Ingredients[i]
		e.str("substance", in.Substance)
		e.num("amount", in.Amount)
		e.str("unit", in.Unit)
		if in.PerKg != nil {
			e.boolean("per_kg", *in.PerKg)
		}
		e.optNum("max_amount", in.MaxAmount)
	})
	e.key("carrier")
	e.open()
	e.str("fluid", r.Formulation.Carrier.Fluid)
	e.num("volume_ml", r.Formulation.Carrier.VolumeML)
	e.close()
	e.close()

	e.optNum("dosing_weight_kg", r.DosingWeightKg)
	e.key("rate")
	e.open()
	e.optNum("ml_per_hour", r.Rate.MLPerHour)
	e.optNum("duration_minutes", r.Rate.DurationMinutes)
	e.close()

	e.key("schedule")
	e.open()
	e.integer("sessions", r.Schedule.Sessions)
	e.integer("every", r.Schedule.Every)
	e.str("period", r.Schedule.Period)
	e.str("start_date", string(r.Schedule.StartDate))
	e.optStr("end_date", string(r.Schedule.EndDate))
	e.close()
	e.optStr("notes", r.Notes)
	e.close()
}

func (e *encoder) administration(r *Administration) {
	e.open()
	e.header(r.Header)
	e.str("plan_id", r.PlanID)
	e.str("patient_id", r.Patient)
	e.integer("session_number", r.SessionNumber)
	e.str("status", r.Status)
	e.optStr("status_reason", r.StatusReason)
	e.optStr("started_at", string(r.StartedAt))
	e.optStr("ended_at", string(r.EndedAt))
	e.str("performer_id", r.PerformerID)
	e.optStr("site", r.Site)
	e.optNum("volume_infused_ml", r.VolumeInfusedML)
	e.optNum("rate_ml_per_hour", r.RateMLPerHour)
	if r.Doses != nil {
		e.objects("doses", len(r.Doses), func(i int) {
			d := &r.Doses[i]
			e.str("substance", d.Substance)
			e.num("amount", d.Amount)
			e.str("unit", d.Unit)
		})
	}
	e.optNum("weight_kg", r.WeightKg)
	if r.PainBefore != nil {
		e.integer("pain_before", *r.PainBefore)
	}
	if r.PainAfter != nil {
		e.integer("pain_after", *r.PainAfter)
	}
	e.optStr("notes", r.Notes)
	e.close()
}

func (e *encoder) reaction(r *Reaction) {
	e.open()
	e.header(r.Header)
	e.str("patient_id", r.Patient)
	e.optStr("administration_id", r.AdministrationID)
	e.str("category", r.Category)
	e.strList("manifestations", r.Manifestations)
	e.str("severity", r.Severity)
	e.boolean("serious", r.Serious)
	e.str("onset_at", string(r.OnsetAt))
	e.str("recorded_at", string(r.RecordedAt))
	e.optStrList("suspected_substances", r.SuspectedSubstances)
	e.str("action_taken", r.ActionTaken)
	e.str("outcome", r.Outcome)
	if r.IsAllergy != nil {
		e.boolean("is_allergy", *r.IsAllergy)
	}
	e.optStr("notes", r.Notes)
	e.close()
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string. Control characters, '"' and '\'
// are escaped; U+2028 and U+2029 too, so the output is also safe inside
// JavaScript. Invalid UTF-8 (possible only in records built in code) is
// written as U+FFFD.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, "\ufffd"...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
