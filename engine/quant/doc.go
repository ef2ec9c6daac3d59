// Package quant converts float32 values to signed 16-bit integers with
// power-of-two scales, as the exact-integer LoRA statement needs (DESIGN §1).
//
// A value v is represented as v ≈ q·2^-s with q ∈ [-MaxQ, MaxQ] (the int16
// range without -32768, so the representation is symmetric) and an integer
// shift s ∈ [MinShift, MaxShift]. Because the scale is a power of two,
// dequantizing is exact and the quantization error of every element is at
// most 2^-(s+1).
//
// Rounding is round half away from zero (math.Round), applied once to
// v·2^s computed exactly in float64.
package quant
