package sqlstore

import (
	"testing"

	"github.com/ivbridge/ivbridge/adapter/store"
)

func TestRangeMicros(t *testing.T) {
	tests := []struct {
		in         string
		start, end int64
	}{
		{"1970-01-01", 0, 86_400_000_000 - 1},
		{"1970-01-01T00:00:01Z", 1_000_000, 2_000_000 - 1},
		{"1970-01-01T00:00:00.000001Z", 1, 1},
		{"1970-01-01T00:00:00.0000001Z", 0, 0}, // below a microsecond: its microsecond
		{"1969-12-31T23:59:59Z", -1_000_000, -1},
	}
	for _, tt := range tests {
		dr, err := store.ParseDateRange(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if s, e := rangeMicros(dr); s != tt.start || e != tt.end {
			t.Errorf("rangeMicros(%s) = [%d, %d], want [%d, %d]", tt.in, s, e, tt.start, tt.end)
		}
	}
}
