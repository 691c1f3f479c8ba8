package conformance

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func facadeCapabilities() Capabilities {
	read := []string{"read", "vread", "search-type"}
	return Capabilities{
		BaseURL:         "https://ivbridge.example.org/fhir",
		Description:     "ivbridge FHIR R4 facade over the clinic records",
		Name:            "IvbridgeFacade",
		Title:           "ivbridge FHIR facade",
		Publisher:       "ivbridge",
		SoftwareName:    "ivbridge",
		SoftwareVersion: "1.0.0",
		Date:            time.Date(2026, 11, 23, 22, 0, 0, 0, time.FixedZone("", 3600)),
		Resources: []ResourceCapability{
			{
				Type: "Patient", Interactions: read, Versioning: "versioned", ReadHistory: true, ConditionalRead: "not-match",
				SearchParams: []SearchParam{
					{Name: "identifier", Type: "token", Definition: "http://hl7.org/fhir/SearchParameter/Patient-identifier"},
					{Name: "_lastUpdated", Type: "date", Documentation: "ge/le prefixes"},
				},
				Operations: []Operation{{Name: "$validate"}, {Name: "everything"}},
			},
			{
				Type: "MedicationAdministration", Interactions: read, SearchIncludes: []string{"MedicationAdministration:request"},
				SearchParams: []SearchParam{{Name: "patient", Type: "reference"}, {Name: "effective-time", Type: "date"}},
				Operations:   []Operation{{Name: "validate"}},
			},
		},
		Interactions: []string{"batch"},
		Operations:   []Operation{{Name: "validate", Documentation: "validates any R4 resource"}},
		Security: Security{
			CORS: true, Services: []string{"OAuth", "SMART-on-FHIR"}, Description: "Bearer tokens with the fhir.read scope",
			TokenURL: "https://auth.example.org/token", AuthorizeURL: "https://auth.example.org/authorize",
		},
	}
}

func TestCapabilityStatement(t *testing.T) {
	data, err := CapabilityStatement(facadeCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	if issues := NewValidator().Validate(data); len(issues) != 0 {
		t.Fatalf("CapabilityStatement has issues: %+v\n%s", issues, data)
	}
	var cs map[string]any
	if err := json.Unmarshal(data, &cs); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
		"fhirVersion": "4.0.1", "date": "2026-11-23T21:00:00Z",
	} {
		if cs[k] != want {
			t.Errorf("%s = %v, want %v", k, cs[k], want)
		}
	}
	if f, _ := json.Marshal(cs["format"]); string(f) != `["json","application/fhir+json"]` {
		t.Errorf("format = %s", f)
	}
	for _, want := range []string{
		`"mode":"server"`, `"code":"SMART-on-FHIR"`, `"cors":true`, `"type":"MedicationAdministration"`,
		`"name":"validate","definition":"http://hl7.org/fhir/OperationDefinition/Resource-validate"`,
		`"definition":"http://hl7.org/fhir/OperationDefinition/Patient-everything"`,
		`"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"`,
		`"interaction":[{"code":"batch"}]`, `"name":"patient","type":"reference"`,
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("output lacks %s:\n%s", want, data)
		}
	}
}

func TestCapabilityStatementMinimal(t *testing.T) {
	data, err := CapabilityStatement(Capabilities{Description: "x", Date: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if issues := NewValidator().Validate(data); len(issues) != 0 {
		t.Fatalf("issues: %+v\n%s", issues, data)
	}
}

func TestCapabilityStatementRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Capabilities)
		want   string
	}{
		{"no date", func(c *Capabilities) { c.Date = time.Time{} }, "Date"},
		{"no description", func(c *Capabilities) { c.Description = " " }, "Description"},
		{"bad name", func(c *Capabilities) { c.Name = "ivbridge facade" }, "cpb-0"},
		{"version without software", func(c *Capabilities) { c.SoftwareName = "" }, "SoftwareName"},
		{"unknown type", func(c *Capabilities) { c.Resources[0].Type = "Patients" }, "unknown resource type"},
		{"duplicate type", func(c *Capabilities) { c.Resources[1].Type = "Patient" }, "cpb-9"},
		{"bad interaction", func(c *Capabilities) { c.Resources[0].Interactions = []string{"read", "search"} }, "interaction"},
		{"bad system interaction", func(c *Capabilities) { c.Interactions = []string{"read"} }, "system interaction"},
		{"bad param type", func(c *Capabilities) { c.Resources[0].SearchParams[0].Type = "text" }, "unknown type"},
		{"duplicate param", func(c *Capabilities) { c.Resources[0].SearchParams[1].Name = "identifier" }, "cpb-12"},
		{"unknown operation", func(c *Capabilities) { c.Operations = []Operation{{Name: "frobnicate"}} }, "needs a Definition"},
		{"everything on Medication", func(c *Capabilities) { c.Resources[1].Operations = []Operation{{Name: "everything"}} }, "needs a Definition"},
		{"bad service", func(c *Capabilities) { c.Security.Services = []string{"Bearer"} }, "security service"},
		{"bad versioning", func(c *Capabilities) { c.Resources[0].Versioning = "yes" }, "versioning"},
		{"bad base url", func(c *Capabilities) { c.BaseURL = "https://x y" }, "would not be valid R4"},
		{"bad profile", func(c *Capabilities) { c.Resources[0].Profile = "http://x y" }, "would not be valid R4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := facadeCapabilities()
			tc.change(&c)
			_, err := CapabilityStatement(c)
			if !errors.Is(err, ErrInvalidCapabilities) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidCapabilities mentioning %q", err, tc.want)
			}
		})
	}
}
