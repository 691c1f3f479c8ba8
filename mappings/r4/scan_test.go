package r4

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// naiveNeedsRewrite is the obvious definition needsRewrite must match.
func naiveNeedsRewrite(b []byte) bool {
	for _, p := range []string{`\u00`, `""`, `:n`, `{}`, `[]`} {
		if bytes.Contains(b, []byte(p)) {
			return true
		}
	}
	return false
}

func TestNeedsRewriteMatchesNaive(t *testing.T) {
	alphabet := []byte(`"":n{}[]\u0ab,x`)
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 40; n++ {
		for range 3000 {
			b := make([]byte, n)
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			if got, want := needsRewrite(b), naiveNeedsRewrite(b); got != want {
				t.Fatalf("needsRewrite(%q) = %v, want %v", b, got, want)
			}
		}
	}
	// Every pair at every offset, including across 8-byte word boundaries.
	for _, p := range []string{`""`, `:n`, `{}`, `[]`, `\u00`} {
		for off := 0; off < 24; off++ {
			b := bytes.Repeat([]byte("x"), 32)
			copy(b[off:], p)
			if !needsRewrite(b) {
				t.Errorf("%q at offset %d not found", p, off)
			}
		}
	}
}

func FuzzNeedsRewrite(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","name":[{"family":"x"}]}`))
	f.Add([]byte(`xxxxxxx""xxxxxxx`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := needsRewrite(b), naiveNeedsRewrite(b); got != want {
			t.Fatalf("needsRewrite(%q) = %v, want %v", b, got, want)
		}
	})
}
