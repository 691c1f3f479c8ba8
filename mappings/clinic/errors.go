package clinic

import (
	"strconv"
	"strings"
)

// FieldError is one broken rule, located by the path of the field that
// breaks it, e.g. "formulation.ingredients[0].amount" or "rate". Path is ""
// when the record as a whole is at fault (not JSON, not an object).
type FieldError struct {
	Path    string
	Message string
}

// Error formats the error as "path: message".
func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// ValidationError reports every rule a record breaks, not just the first.
// Decode, Validate and CheckReferences return it as *ValidationError.
type ValidationError struct {
	Errors []FieldError
}

// Error joins the field errors with "; ".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid clinic record: ")
	for i, fe := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

// Has reports whether one of the errors is at path.
func (e *ValidationError) Has(path string) bool {
	for _, fe := range e.Errors {
		if fe.Path == path {
			return true
		}
	}
	return false
}

// fieldPath is a field's location, built on the stack while decoding and
// turned into a string only when an error needs it, so the success path
// allocates no path strings.
type fieldPath struct {
	up    *fieldPath
	key   string // "" for an array index
	index int
}

func (p *fieldPath) field(key string) fieldPath { return fieldPath{up: p, key: key} }

func (p *fieldPath) at(i int) fieldPath { return fieldPath{up: p, index: i} }

// String renders the path as "a.b[2].c".
func (p *fieldPath) String() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	p.write(&b)
	return b.String()
}

// write renders the path root first; it keeps no pointer to p, so paths
// built on the stack stay there.
func (p *fieldPath) write(b *strings.Builder) {
	if p.up != nil {
		p.up.write(b)
	}
	if p.key == "" {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.index))
		b.WriteByte(']')
		return
	}
	if p.up != nil {
		b.WriteByte('.')
	}
	b.WriteString(p.key)
}

// errorList collects field errors.
type errorList struct {
	errs []FieldError
}

func (l *errorList) add(p *fieldPath, msg string) {
	l.errs = append(l.errs, FieldError{Path: p.String(), Message: msg})
}

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	return &ValidationError{Errors: l.errs}
}

// covered reports whether path is at or below one of the paths in errs: a
// field that already failed to decode is not reported again by the rules.
func covered(errs []FieldError, path string) bool {
	for _, e := range errs {
		if e.Path == path || (strings.HasPrefix(path, e.Path) && len(path) > len(e.Path) &&
			(path[len(e.Path)] == '.' || path[len(e.Path)] == '[')) {
			return true
		}
	}
	return false
}
