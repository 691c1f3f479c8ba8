package translate

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

func TestMulDecimal(t *testing.T) {
	cases := []struct {
		a, b clinic.Decimal
		want clinic.Decimal
	}{
		{"1.50", "68.40", "102.6"},
		{"0.35", "92.0", "32.2"},
		{"1.8", "0.1", "0.18"},
		{"0.1", "0.2", "0.02"},
		{"5", "70", "350"},
		{"1e2", "0.5", "50"},
		{"2.5E-1", "4", "1"},
		{"0.000001", "0.000001", "0.000000000001"},
		{"123456789.123456789", "1000", "123456789123.456789"},
	}
	for _, c := range cases {
		got, err := mulDecimal(c.a, c.b)
		if err != nil {
			t.Errorf("%s × %s: %v", c.a, c.b, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s × %s = %s, want %s", c.a, c.b, got, c.want)
		}
	}
	if _, err := mulDecimal("x", "1"); err == nil {
		t.Error("mulDecimal accepted a non-number")
	}
}

func TestFormatRat(t *testing.T) {
	cases := []struct {
		r    *big.Rat
		want string
		ok   bool
	}{
		{big.NewRat(1026, 10), "102.6", true},
		{big.NewRat(-1, 8), "-0.125", true},
		{big.NewRat(7, 1), "7", true},
		{big.NewRat(1, 3), "", false},
		{big.NewRat(1, 7), "", false},
		{new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Exp(big.NewInt(2), big.NewInt(60), nil)), "", false},
		{pow10(-40), "0." + strings.Repeat("0", 39) + "1", true},
		{pow10(-41), "", false},
		// Without the early denominator bound this took minutes.
		{pow10(-100000), "", false},
	}
	for _, c := range cases {
		got, err := formatRat(c.r)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("formatRat(%s) = %q, %v; want %q ok=%v", c.r.RatString(), got, err, c.want, c.ok)
		}
	}
}

func pow10(exp int64) *big.Rat {
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(max(exp, -exp)), nil)
	if exp < 0 {
		return new(big.Rat).SetFrac(big.NewInt(1), p)
	}
	return new(big.Rat).SetInt(p)
}

// TestDecimalOfBoundsExponent: FHIR decimals with exponents no clinic value
// can have are refused before any exact arithmetic sees them.
func TestDecimalOfBoundsExponent(t *testing.T) {
	for lit, want := range map[string]bool{
		"1e-5": true, "2.5E+300": true, "1e400": true, "1e-400": true, "12": true,
		"1e401": false, "1e-999999": false, "5E+99999999999999999999": false,
	} {
		v := json.Number(lit)
		if _, ok := decimalOf(&fhir.Quantity{Value: &v}); ok != want {
			t.Errorf("decimalOf(%s) ok = %v, want %v", lit, ok, want)
		}
	}
	if _, ok := wholeNumber("1e999999"); ok {
		t.Error("wholeNumber accepted 1e999999")
	}
}

func TestMLPerHourAndWhole(t *testing.T) {
	if n, ok := wholeNumber("2.0"); !ok || n != 2 {
		t.Errorf("wholeNumber(2.0) = %d, %v", n, ok)
	}
	for _, s := range []string{"0", "1.5", "-1", "1e400", "x"} {
		if _, ok := wholeNumber(s); ok {
			t.Errorf("wholeNumber(%q) accepted", s)
		}
	}
}
