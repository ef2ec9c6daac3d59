package safetensors

import "fmt"

// DType is a safetensors element type as spelled in the header ("F32", ...).
type DType string

// The element types this package recognises (the constructors F32, F16 and
// BF16 take the plain names, hence the prefix). Only F32, F16 and BF16 can be
// converted to float32; the others are validated and exposed through Raw.
const (
	DTypeBOOL   DType = "BOOL"
	DTypeU8     DType = "U8"
	DTypeI8     DType = "I8"
	DTypeF8E5M2 DType = "F8_E5M2"
	DTypeF8E4M3 DType = "F8_E4M3"
	DTypeI16    DType = "I16"
	DTypeU16    DType = "U16"
	DTypeF16    DType = "F16"
	DTypeBF16   DType = "BF16"
	DTypeI32    DType = "I32"
	DTypeU32    DType = "U32"
	DTypeF32    DType = "F32"
	DTypeF64    DType = "F64"
	DTypeI64    DType = "I64"
	DTypeU64    DType = "U64"
)

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case DTypeBOOL, DTypeU8, DTypeI8, DTypeF8E5M2, DTypeF8E4M3:
		return 1
	case DTypeI16, DTypeU16, DTypeF16, DTypeBF16:
		return 2
	case DTypeI32, DTypeU32, DTypeF32:
		return 4
	case DTypeF64, DTypeI64, DTypeU64:
		return 8
	}
	return 0
}

// Valid reports whether d is a dtype this package recognises.
func (d DType) Valid() bool { return d.Size() != 0 }

// IsFloat reports whether Float32 can convert tensors of this dtype.
func (d DType) IsFloat() bool { return d == DTypeF32 || d == DTypeF16 || d == DTypeBF16 }

func checkDType(d DType) error {
	if !d.Valid() {
		return fmt.Errorf("unknown or unsupported dtype %q", string(d))
	}
	return nil
}
