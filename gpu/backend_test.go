//go:build !icicle

package gpu

import (
	"errors"
	"strings"
	"testing"
)

func TestSelectUntagged(t *testing.T) {
	c, err := Select("cpu")
	if err != nil || c.Backend.Name() != "cpu" {
		t.Fatalf("cpu: %v %v", c, err)
	}
	c, err = Select("auto")
	if err != nil || c.Backend.Name() != "cpu" || !strings.Contains(c.Reason, "no usable GPU") {
		t.Fatalf("auto: %+v %v", c, err)
	}
	_, err = Select("gpu")
	if !errors.Is(err, ErrGPUNotCompiled) || !strings.Contains(err.Error(), "make gpu") || !strings.Contains(err.Error(), "docs/GPU.md") {
		t.Fatalf("gpu: %v", err)
	}
	if _, err := Select("tpu"); !errors.Is(err, ErrUnknownBackend) {
		t.Fatalf("tpu: %v", err)
	}
	if _, err := (GPU{}).MSMG2(nil, nil); !errors.Is(err, ErrGPUNotCompiled) {
		t.Fatalf("MSMG2: %v", err)
	}
}
