package circuits

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// FrFromInt64 maps a signed integer into Fr: v ≥ 0 maps to v, v < 0 maps to
// p − |v|. It is exact for every int64, including math.MinInt64.
func FrFromInt64(v int64) fr.Element {
	var e fr.Element
	e.SetInt64(v)
	return e
}

// rawFromInt64 returns the element whose Montgomery limbs hold |v| (negated
// for v < 0), that is the field value v·R⁻¹ with R = 2^256. Linear
// combinations of raw elements are R⁻¹ times the combination of the values,
// so a long linear sum can skip the per-value Montgomery conversion and fix
// the factor once at the end with fromRaw. This halves the multiplications
// of ComputeStatement.
func rawFromInt64(v int64) fr.Element {
	var e fr.Element
	if v >= 0 {
		e[0] = uint64(v)
		return e
	}
	e[0] = uint64(-(v + 1)) + 1 // |v| without overflow at MinInt64
	e.Neg(&e)
	return e
}

// montR is the field element whose value is R = 2^256 mod p.
func montR() fr.Element {
	var e fr.Element
	r := new(big.Int).Lsh(big.NewInt(1), 256)
	e.SetBigInt(r)
	return e
}

// fromRaw converts a result computed on raw elements (value·R⁻¹) back to
// the value.
func fromRaw(e *fr.Element) {
	r := montR()
	e.Mul(e, &r)
}

func bigFromInt(n int) *big.Int { return big.NewInt(int64(n)) }

// FrDecimal returns the canonical decimal form of e: its value in [0, p)
// in base 10, no sign. Use it rather than fr.Element.String, which writes
// p−k as "-k" for small k.
func FrDecimal(e *fr.Element) string {
	return e.BigInt(new(big.Int)).String()
}

// ParseFrDecimal parses a canonical decimal (digits only, no leading zero
// except "0" itself, value below p), the inverse of FrDecimal.
func ParseFrDecimal(s string) (fr.Element, error) {
	var e fr.Element
	err := parseCanonicalFr(s, &e)
	return e, err
}
