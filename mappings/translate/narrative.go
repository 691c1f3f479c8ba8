package translate

import (
	"html"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// narrative builds the generated text.div (dom-6): a title and label/value
// rows, every value XML-escaped. It shows only what the resource itself
// holds.
type narrative struct {
	b strings.Builder
}

func newNarrative(title string) *narrative {
	n := &narrative{}
	n.b.Grow(256)
	n.b.WriteString(`<div xmlns="http://www.w3.org/1999/xhtml"><p><b>`)
	n.b.WriteString(html.EscapeString(title))
	n.b.WriteString(`</b></p>`)
	return n
}

// row adds "label: value"; an empty value adds nothing.
func (n *narrative) row(label, value string) *narrative {
	if value == "" {
		return n
	}
	n.b.WriteString(`<p>`)
	n.b.WriteString(html.EscapeString(label))
	n.b.WriteString(`: `)
	n.b.WriteString(html.EscapeString(value))
	n.b.WriteString(`</p>`)
	return n
}

func (n *narrative) done() *fhir.Narrative {
	n.b.WriteString(`</div>`)
	return &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: n.b.String()}
}
