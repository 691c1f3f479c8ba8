package sqlstore

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []int64
		wantErr bool
	}{
		{"ordered by number", fstest.MapFS{
			"m/0010_b.sql": file("B"), "m/0002_a.sql": file("A"), "m/README": file("x"),
		}, []int64{2, 10}, false},
		{"no underscore", fstest.MapFS{"m/0001.sql": file("A")}, nil, true},
		{"not a number", fstest.MapFS{"m/one_a.sql": file("A")}, nil, true},
		{"zero", fstest.MapFS{"m/0000_a.sql": file("A")}, nil, true},
		{"duplicate version", fstest.MapFS{"m/0001_a.sql": file("A"), "m/1_b.sql": file("B")}, nil, true},
		{"missing dir", fstest.MapFS{"x/0001_a.sql": file("A")}, nil, true},
	}
	for _, tt := range tests {
		ms, err := LoadMigrations(tt.fs, "m")
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: LoadMigrations = %+v, want error", tt.name, ms)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(ms) != len(tt.want) {
			t.Fatalf("%s: got %d migrations, want %d", tt.name, len(ms), len(tt.want))
		}
		for i, m := range ms {
			if m.Version != tt.want[i] {
				t.Errorf("%s: migration %d has version %d, want %d", tt.name, i, m.Version, tt.want[i])
			}
		}
	}
}
