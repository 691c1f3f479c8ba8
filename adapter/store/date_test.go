package store

import (
	"testing"
	"time"
)

func TestParseDateRange(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		in         string
		start, end string
		wantErr    bool
	}{
		{in: "2026", start: "2026-01-01T00:00:00Z", end: "2027-01-01T00:00:00Z"},
		{in: "2026-03", start: "2026-03-01T00:00:00Z", end: "2026-04-01T00:00:00Z"},
		{in: "2026-12", start: "2026-12-01T00:00:00Z", end: "2027-01-01T00:00:00Z"},
		{in: "2024-02-29", start: "2024-02-29T00:00:00Z", end: "2024-03-01T00:00:00Z"},
		{in: "2026-03-05T10:00", start: "2026-03-05T10:00:00Z", end: "2026-03-05T10:01:00Z"},
		{in: "2026-03-05T10:00:07Z", start: "2026-03-05T10:00:07Z", end: "2026-03-05T10:00:08Z"},
		{in: "2026-03-05T10:00:07+02:00", start: "2026-03-05T08:00:07Z", end: "2026-03-05T08:00:08Z"},
		{in: "2026-03-05T10:00:07-05:30", start: "2026-03-05T15:30:07Z", end: "2026-03-05T15:30:08Z"},
		{in: "2026-03-05T10:00:07.5Z", start: "2026-03-05T10:00:07.5Z", end: "2026-03-05T10:00:07.6Z"},
		{in: "2026-03-05T10:00:07.123Z", start: "2026-03-05T10:00:07.123Z", end: "2026-03-05T10:00:07.124Z"},
		{in: "2026-03-05T10:00Z", start: "2026-03-05T10:00:00Z", end: "2026-03-05T10:01:00Z"},
		{in: "2026-02-29", wantErr: true},
		{in: "2026-13", wantErr: true},
		{in: "2026-00", wantErr: true},
		{in: "2026-03-00", wantErr: true},
		{in: "0000", wantErr: true},
		{in: "26", wantErr: true},
		{in: "2026-3", wantErr: true},
		{in: "2026-03-05T", wantErr: true},
		{in: "2026-03-05T24:00", wantErr: true},
		{in: "2026-03-05T10:60", wantErr: true},
		{in: "2026-03-05T10:00:61Z", wantErr: true},
		{in: "2026-03-05T10:00:00.Z", wantErr: true},
		{in: "2026-03-05T10:00:00+0200", wantErr: true},
		{in: "2026-03-05T10:00:00+15:00", wantErr: true},
		{in: "2026-03-05 10:00", wantErr: true},
		{in: "2026-03-05T10:00:00Zjunk", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseDateRange(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseDateRange(%q) = %v, want error", tt.in, r)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDateRange(%q): %v", tt.in, err)
			}
			if !r.Start.Equal(utc(tt.start)) || !r.End.Equal(utc(tt.end)) {
				t.Errorf("ParseDateRange(%q) = [%s, %s), want [%s, %s)", tt.in, r.Start, r.End, tt.start, tt.end)
			}
		})
	}
}

func FuzzParseDateRange(f *testing.F) {
	for _, s := range []string{"2026", "2026-03", "2026-03-05", "2026-03-05T10:00", "2026-03-05T10:00:07.123456789+14:00", "2024-02-29T23:59:60Z", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseDateRange(s)
		if err != nil {
			return
		}
		if !r.End.After(r.Start) {
			t.Fatalf("ParseDateRange(%q) = [%s, %s): empty range", s, r.Start, r.End)
		}
		if r.Start.Location() != time.UTC || r.End.Location() != time.UTC {
			t.Fatalf("ParseDateRange(%q): not UTC", s)
		}
		// Where Go's RFC 3339 parser reads the same text, both agree on
		// the instant (leap seconds aside, which Go refuses).
		if want, err := time.Parse(time.RFC3339Nano, s); err == nil && !r.Start.Equal(want) {
			t.Fatalf("ParseDateRange(%q) starts %s, time.Parse says %s", s, r.Start, want)
		}
		if r.End.Sub(r.Start) > 366*24*time.Hour {
			t.Fatalf("ParseDateRange(%q) spans %s", s, r.End.Sub(r.Start))
		}
	})
}
