package sync_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ivbridge/ivbridge/adapter/sync"
)

func TestMerge(t *testing.T) {
	const ns = "urn:ivbridge:test"
	cases := []struct {
		name                   string
		ours, theirs, previous string
		want                   string
	}{
		{
			name:   "clinic elements replace, upstream-only ones stay",
			ours:   `{"resourceType":"Patient","id":"p","identifier":[{"system":"urn:ivbridge:test/patient","value":"1"}],"name":[{"family":"New"}],"birthDate":"1970-01-01"}`,
			theirs: `{"resourceType":"Patient","id":"p","meta":{"versionId":"7","lastUpdated":"2026-01-01T00:00:00Z","tag":[{"system":"http://h/tags","code":"vip"}]},"identifier":[{"system":"urn:ivbridge:test/patient","value":"1"},{"system":"http://h/mrn","value":"H9"}],"name":[{"family":"Theirs"}],"birthDate":"1971-01-01","address":[{"city":"X"}],"extension":[{"url":"http://h/ext","valueString":"e"},{"url":"urn:ivbridge:test/old","valueString":"stale"}]}`,
			want:   `{"resourceType":"Patient","id":"p","meta":{"tag":[{"system":"http://h/tags","code":"vip"}]},"identifier":[{"system":"urn:ivbridge:test/patient","value":"1"},{"system":"http://h/mrn","value":"H9"}],"name":[{"family":"New"}],"birthDate":"1970-01-01","address":[{"city":"X"}],"extension":[{"url":"http://h/ext","valueString":"e"}]}`,
		},
		{
			name:     "an element the clinic removed stays removed",
			ours:     `{"resourceType":"Patient","id":"p","name":[{"family":"A"}]}`,
			previous: `{"resourceType":"Patient","id":"p","name":[{"family":"A"}],"telecom":[{"system":"phone","value":"1"}]}`,
			theirs:   `{"resourceType":"Patient","id":"p","name":[{"family":"A"}],"telecom":[{"system":"phone","value":"1"}],"gender":"male"}`,
			want:     `{"resourceType":"Patient","id":"p","name":[{"family":"A"}],"gender":"male"}`,
		},
		{
			name:     "notes: upstream's kept, the clinic's old one dropped",
			ours:     `{"resourceType":"MedicationRequest","id":"m","note":[{"text":"clinic v2"}],"dosageInstruction":[{"text":"1.50 mg"}]}`,
			previous: `{"resourceType":"MedicationRequest","id":"m","note":[{"text":"clinic v1"}]}`,
			theirs:   `{"resourceType":"MedicationRequest","id":"m","note":[{"text":"clinic v1"},{"text":"pharmacy checked"}]}`,
			want:     `{"resourceType":"MedicationRequest","id":"m","note":[{"text":"clinic v2"},{"text":"pharmacy checked"}],"dosageInstruction":[{"text":"1.50 mg"}]}`,
		},
		{
			name:   "R4 AdverseEvent.identifier is a single object",
			ours:   `{"resourceType":"AdverseEvent","id":"a","identifier":{"system":"urn:ivbridge:test/reaction","value":"r"}}`,
			theirs: `{"resourceType":"AdverseEvent","id":"a","identifier":{"system":"http://h/ae","value":"9"}}`,
			want:   `{"resourceType":"AdverseEvent","id":"a","identifier":{"system":"urn:ivbridge:test/reaction","value":"r"}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var prev []byte
			if tc.previous != "" {
				prev = []byte(tc.previous)
			}
			got, err := sync.Merge([]byte(tc.ours), []byte(tc.theirs), prev, ns)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := sync.Merge([]byte(`{"resourceType":"Patient"}`), []byte(`{"resourceType":"Observation"}`), nil, ns); err == nil {
		t.Error("merged different types")
	}
}

func FuzzMerge(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","name":[{"family":"A"}]}`), []byte(`{"resourceType":"Patient","id":"x","meta":{"tag":[1]},"note":[{"text":"t"}]}`))
	f.Add([]byte(`{"resourceType":"AdverseEvent","identifier":{"system":"s"}}`), []byte(`{"resourceType":"AdverseEvent","identifier":[{"system":"s"}]}`))
	f.Fuzz(func(t *testing.T, ours, theirs []byte) {
		out, err := sync.Merge(ours, theirs, nil, "urn:x")
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
	})
}
