package translate

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ivbridge/ivbridge/mappings/clinic"
)

// Computed quantities (the calculated absolute dose of a per-kg ingredient,
// a concentration turned into an amount when reading foreign FHIR) are
// worked out with exact rational arithmetic and written as the shortest
// exact decimal: float64 would turn 1.50 × 68.40 into 102.60000000000001.

// maxExponent bounds the exponent of a decimal literal read from FHIR.
// big.Rat builds 10^exponent exactly, so "1e-999999" would cost seconds
// of arithmetic per value; a clinic value must fit a float64 anyway
// (|exponent| ≤ 308, plus the digits written before or after the point).
const maxExponent = 400

// exponentInRange reports whether the exponent of a number literal, if it
// has one, is within ±maxExponent.
func exponentInRange(lit string) bool {
	i := strings.IndexAny(lit, "eE")
	if i < 0 {
		return true
	}
	e, err := strconv.Atoi(lit[i+1:])
	return err == nil && e >= -maxExponent && e <= maxExponent
}

// decimalRat parses a clinic decimal literal exactly.
func decimalRat(d clinic.Decimal) (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(string(d))
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", string(d))
	}
	return r, nil
}

// maxFractionDigits bounds the digits written after the point; every exact
// product or quotient of the clinic's literals needs far fewer.
const maxFractionDigits = 40

// formatRat writes r as the shortest exact decimal literal ("102.6", "35",
// "0.05"). It fails when r has no finite decimal expansion (a third) or would
// need more than maxFractionDigits digits after the point.
func formatRat(r *big.Rat) (string, error) {
	if r.IsInt() {
		return r.Num().String(), nil
	}
	// max(a, b) ≤ maxFractionDigits needs q ≤ 10^maxFractionDigits <
	// 2^maxDenominatorBits: a longer denominator fails here, before the
	// factor loops below, which run once per factor of 2 and 5 and would
	// take minutes on a denominator like 10^999999.
	if r.Denom().BitLen() > maxDenominatorBits {
		return "", fmt.Errorf("%s needs more than %d decimal places", shortRat(r), maxFractionDigits)
	}
	// r = p/q in lowest terms; it is a terminating decimal iff q = 2^a·5^b,
	// and then max(a, b) fraction digits are exactly enough.
	q := new(big.Int).Set(r.Denom())
	two, five := big.NewInt(2), big.NewInt(5)
	var a, b int
	m := new(big.Int)
	for {
		if m.Mod(q, two); m.Sign() != 0 {
			break
		}
		q.Quo(q, two)
		a++
	}
	for {
		if m.Mod(q, five); m.Sign() != 0 {
			break
		}
		q.Quo(q, five)
		b++
	}
	if q.Cmp(big.NewInt(1)) != 0 {
		return "", fmt.Errorf("%s has no finite decimal expansion", r.RatString())
	}
	digits := max(a, b)
	if digits > maxFractionDigits {
		return "", fmt.Errorf("%s needs %d decimal places", r.RatString(), digits)
	}
	s := r.FloatString(digits)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s, nil
}

// maxDenominatorBits is the bit length of 10^maxFractionDigits.
const maxDenominatorBits = 133

// shortRat formats r for an error message, cut short: the exact fraction
// of a value read from outside may run to many digits.
func shortRat(r *big.Rat) string {
	s := r.RatString()
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// mulDecimal returns a × b exactly, e.g. 1.50 × 68.40 = "102.6".
func mulDecimal(a, b clinic.Decimal) (clinic.Decimal, error) {
	ra, err := decimalRat(a)
	if err != nil {
		return "", err
	}
	rb, err := decimalRat(b)
	if err != nil {
		return "", err
	}
	s, err := formatRat(new(big.Rat).Mul(ra, rb))
	if err != nil {
		return "", err
	}
	return clinic.Decimal(s), nil
}

// cmpDecimal compares two decimal literals by value.
func cmpDecimal(a, b clinic.Decimal) (int, error) {
	ra, err := decimalRat(a)
	if err != nil {
		return 0, err
	}
	rb, err := decimalRat(b)
	if err != nil {
		return 0, err
	}
	return ra.Cmp(rb), nil
}
