package translate

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// identifiers returns the clinic identifier of a record's resource.
func (t *Translator) identifiers(kind clinic.Kind, id, role string) []fhir.Identifier {
	return []fhir.Identifier{t.identifier(kind, id, role)}
}

func (t *Translator) identifier(kind clinic.Kind, id, role string) fhir.Identifier {
	return fhir.Identifier{System: ptr(t.IdentifierSystem(kind, role)), Value: ptr(id)}
}

// ref is a reference to the primary resource of a clinic record; it carries
// the record's identifier too, so that the reference alone names the record.
func (t *Translator) ref(fhirType string, kind clinic.Kind, id string) fhir.Reference {
	return fhir.Reference{
		Reference:  ptr(fhirType + "/" + t.ID(fhirType, kind, id)),
		Identifier: &fhir.Identifier{System: ptr(t.IdentifierSystem(kind, "")), Value: ptr(id)},
	}
}

func (t *Translator) refPtr(fhirType string, kind clinic.Kind, id string) *fhir.Reference {
	r := t.ref(fhirType, kind, id)
	return &r
}

// versionExt carries the clinic version of the record.
func (t *Translator) versionExt(v int) fhir.Extension {
	return fhir.Extension{Url: t.urls.version, ValueInteger: ptr(v)}
}

// emptyListExt marks an optional list of the clinic record that was sent as
// [] rather than left out. FHIR has no empty lists, yet the two differ for a
// clinician: "allergies": [] is "no known allergies", no allergies field is
// "not recorded". The extension (valueString = the field name) keeps that.
func (t *Translator) emptyListExt(field string) fhir.Extension {
	return fhir.Extension{Url: t.urls.emptyList, ValueString: ptr(field)}
}

// markEmptyLists appends an empty-list extension for each named list that
// is present but empty.
func (t *Translator) markEmptyLists(exts []fhir.Extension, lists ...namedList) []fhir.Extension {
	for _, l := range lists {
		if l.present && l.n == 0 {
			exts = append(exts, t.emptyListExt(l.field))
		}
	}
	return exts
}

// namedList is one optional list of a clinic record: its field name,
// whether it was sent and its length.
type namedList struct {
	field   string
	present bool
	n       int
}

func list[T any](field string, l []T) namedList { return namedList{field, l != nil, len(l)} }

// markedEmpty reports whether the extensions mark field as an empty list.
func (t *Translator) markedEmpty(exts []fhir.Extension, field string) bool {
	for _, e := range exts {
		if e.Url == t.urls.emptyList && e.ValueString != nil && *e.ValueString == field {
			return true
		}
	}
	return false
}

// positionExt carries a list item's position in the clinic record.
func (t *Translator) positionExt(i int) fhir.Extension {
	return fhir.Extension{Url: t.urls.position, ValueInteger: ptr(i)}
}

// ext finds the first extension with url.
func ext(exts []fhir.Extension, url string) *fhir.Extension {
	for i := range exts {
		if exts[i].Url == url {
			return &exts[i]
		}
	}
	return nil
}

// listRoles gives each item of a list its role, "<prefix>-<code>"; the
// n-th repeat of a code gets "-n" appended, so roles are unique and stay
// the same when other items come and go.
func listRoles(prefix string, codes []string) []string {
	roles := make([]string, len(codes))
	seen := make(map[string]int, len(codes))
	for i, c := range codes {
		seen[c]++
		if n := seen[c]; n > 1 {
			roles[i] = prefix + "-" + c + "-" + strconv.Itoa(n)
		} else {
			roles[i] = prefix + "-" + c
		}
	}
	return roles
}

// owner is what a resource's clinic identifier says about it.
type owner struct {
	kind clinic.Kind
	id   string
	role string // "" for the record's primary resource
}

// ownerOf reads the clinic identifier of a resource: system
// <ns>/<kind>[/<role>], value = the record id.
func (t *Translator) ownerOf(ids []fhir.Identifier) (owner, bool) {
	prefix := t.ns + "/"
	for _, id := range ids {
		if id.System == nil || id.Value == nil || !strings.HasPrefix(*id.System, prefix) {
			continue
		}
		rest := (*id.System)[len(prefix):]
		kind, role, _ := strings.Cut(rest, "/")
		switch k := clinic.Kind(kind); k {
		case clinic.KindPatient, clinic.KindPractitioner, clinic.KindPlan, clinic.KindAdministration, clinic.KindReaction:
			if role == "mrn" {
				continue // the MRN is an identifier of the patient, not an owner
			}
			return owner{kind: k, id: *id.Value, role: role}, true
		}
	}
	return owner{}, false
}

// refRecordID reads the clinic id of the record a reference points at, from
// the identifier the mapping puts on every reference, or from resolve (a
// lookup in the surrounding Bundle) when the reference was written by
// someone else.
func (t *Translator) refRecordID(r *fhir.Reference, kind clinic.Kind, fhirType string, resolve func(string) (owner, bool)) (string, error) {
	if r == nil {
		return "", fmt.Errorf("missing reference to a %s", fhirType)
	}
	if r.Identifier != nil && r.Identifier.Value != nil && t.isIdentifierSystem(str(r.Identifier.System), kind, "") {
		return *r.Identifier.Value, nil
	}
	ref := str(r.Reference)
	if ref != "" && resolve != nil {
		if o, ok := resolve(ref); ok && o.kind == kind && o.role == "" {
			return o.id, nil
		}
	}
	if t.resolveRef != nil && resolve != nil {
		// only for FHIR written by others (resolve is set): never guess
		// for resources the mapping wrote
		if k, id, ok := t.resolveRef(*r); ok && k == kind {
			return id, nil
		}
	}
	if ref == "" {
		return "", fmt.Errorf("reference has neither a clinic identifier nor a resolvable reference")
	}
	return "", fmt.Errorf("cannot resolve %s to a clinic %s (no clinic identifier on it and no such resource in the bundle)", ref, kind)
}

// isIdentifierSystem reports whether sys is IdentifierSystem(kind, role),
// without building that string: it is asked for every reference read.
func (t *Translator) isIdentifierSystem(sys string, kind clinic.Kind, role string) bool {
	rest, ok := strings.CutPrefix(sys, t.ns)
	if !ok || rest == "" || rest[0] != '/' {
		return false
	}
	rest, ok = strings.CutPrefix(rest[1:], string(kind))
	if role == "" {
		return ok && rest == ""
	}
	return ok && len(rest) == 1+len(role) && rest[0] == '/' && rest[1:] == role
}

// readVersion reads the clinic version extension; resources written by
// others have none and count as version 1.
func (t *Translator) readVersion(exts []fhir.Extension) (int, error) {
	e := ext(exts, t.urls.version)
	if e == nil {
		return 1, nil
	}
	if e.ValueInteger == nil || *e.ValueInteger < 1 {
		return 0, fmt.Errorf("extension %s: want a valueInteger ≥ 1", t.urls.version)
	}
	return *e.ValueInteger, nil
}

// readHeader builds the header of the record o names, with the version
// from the extensions of its primary resource (of type fhirType); a bad
// version is a problem at <fhirType>.extension.
func (t *Translator) readHeader(kind clinic.Kind, o owner, fhirType string, exts []fhir.Extension, probs *problems) clinic.Header {
	v, err := t.readVersion(exts)
	if err != nil {
		probs.addErr(fhirType+".extension", err)
	}
	return clinic.Header{Kind: kind, ID: o.id, Version: v}
}

// readPosition reads the list position extension, -1 when absent.
func (t *Translator) readPosition(exts []fhir.Extension) int {
	e := ext(exts, t.urls.position)
	if e == nil || e.ValueInteger == nil {
		return -1
	}
	return *e.ValueInteger
}

// positioned is a list item read back from its own resource, with the
// position extension that resource carried.
type positioned[T any] struct {
	pos  int
	item T
}

// inPositionOrder returns the items sorted by position; items without a
// position (-1, resources written by others) come first, in input order.
// It returns nil for no items, as the clinic record leaves an empty list
// unset.
func inPositionOrder[T any](list []positioned[T]) []T {
	if len(list) == 0 {
		return nil
	}
	slices.SortStableFunc(list, func(a, b positioned[T]) int { return cmp.Compare(a.pos, b.pos) })
	out := make([]T, len(list))
	for i, p := range list {
		out[i] = p.item
	}
	return out
}

// decimalOf reads a FHIR decimal back as a clinic decimal literal, as
// written.
func decimalOf(q *fhir.Quantity) (clinic.Decimal, bool) {
	if q == nil || q.Value == nil {
		return "", false
	}
	d, err := clinic.ParseDecimal(string(*q.Value))
	if err != nil || !exponentInRange(string(d)) {
		return "", false
	}
	return d, true
}
