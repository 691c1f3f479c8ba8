package clinic

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
)

// TestCodeListsMatchSchema checks the model's enums against schema.json, so
// a change of the contract cannot go unnoticed.
func TestCodeListsMatchSchema(t *testing.T) {
	var schema struct {
		Defs map[string]struct {
			Enum       []string `json:"enum"`
			Properties map[string]struct {
				Enum       []string `json:"enum"`
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(readFile(t, filepath.Join(sharedDir(t), "schema.json")), &schema); err != nil {
		t.Fatal(err)
	}
	defs := schema.Defs
	tests := []struct {
		list string
		want []string
	}{
		{"substance", defs["substance"].Enum},
		{"condition", defs["condition"].Enum},
		{"site", defs["site"].Enum},
		{"unit", defs["unit"].Enum},
		{"category", defs["category"].Enum},
		{"manifestation", defs["manifestation"].Enum},
		{"severity", defs["severity"].Enum},
		{"sex", defs["patient"].Properties["sex"].Enum},
		{"role", defs["practitioner"].Properties["role"].Enum},
		{"plan.status", defs["plan"].Properties["status"].Enum},
		{"schedule.period", defs["plan"].Properties["schedule"].Properties["period"].Enum},
		{"administration.status", defs["administration"].Properties["status"].Enum},
		{"status_reason", defs["administration"].Properties["status_reason"].Enum},
		{"action_taken", defs["reaction"].Properties["action_taken"].Enum},
		{"outcome", defs["reaction"].Properties["outcome"].Enum},
	}
	for _, tt := range tests {
		if len(tt.want) == 0 {
			t.Errorf("%s: no enum in schema.json", tt.list)
			continue
		}
		if got := CodeList(tt.list); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("CodeList(%q) = %q, schema.json has %q", tt.list, got, tt.want)
		}
	}
	if CodeList("nope") != nil {
		t.Error("CodeList of an unknown name is not nil")
	}
}
