//go:build !amd64 || purego

package avx2

// Supported reports false: there is no assembly kernel on this platform or
// with the purego build tag.
func Supported() bool { return false }

// Kernel6x16 is never called when Supported is false; it does nothing.
func Kernel6x16(kc int, a, b, c []float32, ldc int, add bool) {}
