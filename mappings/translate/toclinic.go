package translate

import (
	"errors"
	"fmt"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
	"github.com/ivbridge/ivbridge/mappings/r4"
)

// ToClinic maps FHIR back to clinic records. res is one resource or a Bundle
// of them (any type: collection, searchset, transaction …).
//
// Resources the mapping wrote (they carry the clinic identifier) come back
// exactly as the record they were made from; a record whose parts are
// spread over several resources (a patient's Conditions, an
// administration's doses and pain scores) needs all of them in the Bundle,
// as Collection gives them. A MedicationRequest written by someone else (no
// clinic identifier) becomes a plan when every code and reference maps, and
// *UnmappableError listing every problem otherwise; its Medication,
// supporting Observations and referenced Patient/Practitioner may be
// contained or elsewhere in the Bundle. Other resources written by others
// are context only and give no record. Parts of a record given without
// the record's primary resource are context too when something else maps,
// and an error wrapping ErrNotARecord when nothing does.
//
// The records come back in Bundle order; each is checked with
// clinic.Validate.
func (t *Translator) ToClinic(res r4.Resource) ([]clinic.Record, error) {
	if res == nil {
		return nil, errors.New("translate: nil resource")
	}
	var list []r4.Resource
	var fullURLs []string
	if b, ok := res.(*r4.Bundle); ok {
		for _, e := range b.Entry {
			if e.Resource != nil {
				list = append(list, e.Resource)
				fullURLs = append(fullURLs, e.FullUrl)
			}
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("translate: Bundle %s has no resources", b.Id)
		}
	} else {
		list, fullURLs = []r4.Resource{res}, []string{""}
	}
	idx := t.newInputIndex(list, fullURLs)

	var out []clinic.Record
	var errs, orphans []error
	foreignSeen := false
	for i, r := range list {
		o, ours := idx.owners[i], idx.ours[i]
		if !ours {
			mr, isMR := r.(*r4.MedicationRequest)
			if !isMR {
				continue // context only
			}
			foreignSeen = true
			rec, err := t.foreignPlan(mr, idx)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, rec)
			continue
		}
		if o.role != "" {
			if !idx.hasPrimary(o) {
				orphans = append(orphans, fmt.Errorf("translate: %s/%s belongs to %s %s (%s), which is not in the input: %w",
					r.ResourceType(), r.ResourceID(), o.kind, o.id, o.role, ErrNotARecord))
			}
			continue
		}
		rec, err := t.primaryFromFHIR(r, o, idx.parts[ownerKey{o.kind, o.id}])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := clinic.Validate(rec); err != nil {
			errs = append(errs, fmt.Errorf("translate: %s/%s maps to an invalid %s record: %w", r.ResourceType(), r.ResourceID(), o.kind, err))
			continue
		}
		out = append(out, rec)
	}
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	if len(out) == 0 && !foreignSeen && len(orphans) > 0 {
		// parts of records and nothing else: say whose parts they are. Beside
		// other records they are context (e.g. a Condition an order cites).
		return nil, errors.Join(orphans...)
	}
	if len(out) == 0 && !foreignSeen {
		return nil, fmt.Errorf("translate: no clinic record in the input (%s): %w", describeInput(list), ErrNoRecord)
	}
	return out, nil
}

// ErrNoRecord reports input that holds nothing that maps to a clinic record.
var ErrNoRecord = errors.New("translate: nothing maps to a clinic record")

func describeInput(list []r4.Resource) string {
	names := make([]string, 0, len(list))
	for i, r := range list {
		if i == 5 {
			names = append(names, "…")
			break
		}
		names = append(names, r.ResourceType())
	}
	return strings.Join(names, ", ")
}

func (t *Translator) primaryFromFHIR(r r4.Resource, o owner, parts []part) (clinic.Record, error) {
	switch x := r.(type) {
	case *r4.Patient:
		if o.kind == clinic.KindPatient {
			return t.patientFromFHIR(x, o, parts)
		}
	case *r4.Practitioner:
		if o.kind == clinic.KindPractitioner {
			return t.practitionerFromFHIR(x, o)
		}
	case *r4.MedicationRequest:
		if o.kind == clinic.KindPlan {
			return t.planFromFHIR(x, o)
		}
	case *r4.MedicationAdministration:
		if o.kind == clinic.KindAdministration {
			return t.administrationFromFHIR(x, o, parts)
		}
	case *r4.AdverseEvent:
		if o.kind == clinic.KindReaction {
			return t.reactionFromFHIR(x, o)
		}
	}
	return nil, fmt.Errorf("translate: %s/%s carries the identifier of %s %s, which never maps to a %s",
		r.ResourceType(), r.ResourceID(), o.kind, o.id, r.ResourceType())
}

type ownerKey struct {
	kind clinic.Kind
	id   string
}

// inputIndex indexes the input of one ToClinic call (named so as not to
// read as a context.Context).
type inputIndex struct {
	list    []r4.Resource
	owners  []owner
	ours    []bool
	parts   map[ownerKey][]part
	primary map[ownerKey]bool
	byRef   map[string]r4.Resource // "Type/id" and fullUrl
}

func (t *Translator) newInputIndex(list []r4.Resource, fullURLs []string) *inputIndex {
	c := &inputIndex{
		list:    list,
		owners:  make([]owner, len(list)),
		ours:    make([]bool, len(list)),
		parts:   map[ownerKey][]part{},
		primary: map[ownerKey]bool{},
		byRef:   make(map[string]r4.Resource, 2*len(list)),
	}
	for i, r := range list {
		if id := r.ResourceID(); id != "" {
			c.byRef[r.ResourceType()+"/"+id] = r
		}
		if fullURLs[i] != "" {
			c.byRef[fullURLs[i]] = r
			// an absolute URL ending in Type/id also answers Type/id
			if j := strings.LastIndex(fullURLs[i], "/"+r.ResourceType()+"/"); j >= 0 {
				c.byRef[fullURLs[i][j+1:]] = r
			}
		}
		o, ok := t.ownerOf(identifiersOf(r))
		if !ok {
			continue
		}
		c.owners[i], c.ours[i] = o, true
		k := ownerKey{o.kind, o.id}
		if o.role == "" {
			c.primary[k] = true
		} else {
			c.parts[k] = append(c.parts[k], part{role: o.role, res: r})
		}
	}
	return c
}

func (c *inputIndex) hasPrimary(o owner) bool { return c.primary[ownerKey{o.kind, o.id}] }

// resolve finds a referenced resource in the input.
func (c *inputIndex) resolve(ref string) (r4.Resource, bool) {
	r, ok := c.byRef[ref]
	if !ok {
		// "Patient/x/_history/2" → "Patient/x"
		if i := strings.Index(ref, "/_history/"); i > 0 {
			r, ok = c.byRef[ref[:i]]
		}
	}
	return r, ok
}

// identifiersOf returns a resource's identifiers.
func identifiersOf(r r4.Resource) []fhir.Identifier {
	switch x := r.(type) {
	case *r4.Patient:
		return x.Identifier
	case *r4.Practitioner:
		return x.Identifier
	case *r4.MedicationRequest:
		return x.Identifier
	case *r4.MedicationAdministration:
		return x.Identifier
	case *r4.AdverseEvent:
		if x.Identifier != nil {
			return []fhir.Identifier{*x.Identifier}
		}
	case *r4.AllergyIntolerance:
		return x.Identifier
	case *r4.Condition:
		return x.Identifier
	case *r4.Observation:
		return x.Identifier
	case *r4.Medication:
		return x.Identifier
	}
	return nil
}
