package conformance

import (
	"encoding/json"
	"fmt"
)

// HasErrors reports whether any issue is an error or fatal.
func HasErrors(issues []Issue) bool {
	for _, is := range issues {
		if is.Severity == SeverityError || is.Severity == SeverityFatal {
			return true
		}
	}
	return false
}

type ooIssue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

type operationOutcome struct {
	ResourceType string    `json:"resourceType"`
	Issue        []ooIssue `json:"issue"`
}

// OperationOutcome renders issues as an R4 OperationOutcome (JSON). With no
// issues it holds one information issue saying so, because
// OperationOutcome.issue is required (1..*).
func OperationOutcome(issues []Issue) []byte {
	oo := operationOutcome{ResourceType: "OperationOutcome", Issue: make([]ooIssue, 0, max(len(issues), 1))}
	for _, is := range issues {
		oi := ooIssue{Severity: is.Severity, Code: is.Code, Diagnostics: is.Diagnostics}
		if oi.Severity == "" {
			oi.Severity = SeverityError
		}
		if oi.Code == "" {
			oi.Code = "processing"
		}
		if is.Expression != "" {
			oi.Expression = []string{is.Expression}
		}
		oo.Issue = append(oo.Issue, oi)
	}
	if len(oo.Issue) == 0 {
		oo.Issue = append(oo.Issue, ooIssue{Severity: SeverityInformation, Code: CodeInformational, Diagnostics: "no issues found"})
	}
	data, err := json.Marshal(oo)
	if err != nil {
		// Marshalling strings and slices cannot fail; keep the contract of
		// always returning a valid OperationOutcome anyway.
		return []byte(fmt.Sprintf(`{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception","diagnostics":%q}]}`, err.Error()))
	}
	return data
}
