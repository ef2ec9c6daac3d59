//go:build !icicle

package gpu

import (
	"errors"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

func TestStubsReturnErrGPUNotCompiled(t *testing.T) {
	if _, err := Available(); !errors.Is(err, ErrGPUNotCompiled) {
		t.Fatalf("Available: got %v, want ErrGPUNotCompiled", err)
	}
	_, _, g1, _ := bn254.Generators()
	if _, err := MSMG1([]bn254.G1Affine{g1}, []fr.Element{fr.One()}); !errors.Is(err, ErrGPUNotCompiled) {
		t.Fatalf("MSMG1: got %v, want ErrGPUNotCompiled", err)
	}
	if _, err := MSMG1(nil, nil); !errors.Is(err, ErrGPUNotCompiled) {
		t.Fatalf("MSMG1(nil): got %v, want ErrGPUNotCompiled", err)
	}
	v := make([]fr.Element, 8)
	for _, inv := range []bool{false, true} {
		if err := NTT(v, inv); !errors.Is(err, ErrGPUNotCompiled) {
			t.Fatalf("NTT(inverse=%v): got %v, want ErrGPUNotCompiled", inv, err)
		}
	}
	if ICICLECompiled || CUDACompiled || len(BuildTags()) != 0 {
		t.Fatalf("untagged build claims GPU tags: %v", BuildTags())
	}
}
