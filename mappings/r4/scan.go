package r4

import (
	"bytes"
	"encoding/binary"
)

// needsRewrite is the check on JSON the codec's encoder did not write itself
// (what a json.Marshaler of samply returns, values of kinds the encoder hands
// to encoding/json; see appendChecked): false means there is certainly nothing
// to prune and nothing to re-escape. It
// looks for the pairs {} and [] (empty object or array), "" (in compact JSON
// two adjacent quotes are an empty string, or an escaped quote ending a
// string: a harmless false positive), :n (null as a member value, the only
// place typed structs can produce it, e.g. samply's Signature.type without
// omitempty) and the \u00 escapes samply's enum marshallers write for < and >.
// Matches inside string values only send the resource down the slow path.
//
// It tests eight bytes at a time (SWAR) because it runs on every Marshal and
// must stay small next to the encoding itself.
func needsRewrite(b []byte) bool {
	// {, [ and \ are rare in JSON, so substring search skips quickly to them;
	// " and : are frequent, so those pairs are tested eight bytes at a time.
	if bytes.Contains(b, []byte("{}")) || bytes.Contains(b, []byte("[]")) || bytes.Contains(b, []byte(`\u00`)) {
		return true
	}
	var carryQ, carryC uint64 // first byte of a pair at the top of the previous word
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := eqMask(w, '"')
		c := eqMask(w, ':')
		n := eqMask(w, 'n')
		if q&(q>>8)|carryQ&q|c&(n>>8)|carryC&n != 0 {
			return true
		}
		carryQ, carryC = q>>56, c>>56
	}
	if i > 0 {
		i-- // re-check the pair across the last word boundary
	}
	for ; i+1 < len(b); i++ {
		if pair := [2]byte{b[i], b[i+1]}; pair == [2]byte{'"', '"'} || pair == [2]byte{':', 'n'} {
			return true
		}
	}
	return false
}

const (
	lo7  = 0x7f7f7f7f7f7f7f7f
	hi1  = 0x8080808080808080
	ones = 0x0101010101010101
)

// eqMask returns a word with 0x80 in every byte of w that equals c and 0
// elsewhere (exact: no carry crosses bytes).
func eqMask(w uint64, c byte) uint64 {
	x := w ^ (ones * uint64(c))
	return ^(((x & lo7) + lo7) | x) & hi1
}
