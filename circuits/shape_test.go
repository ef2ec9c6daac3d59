package circuits

import (
	"errors"
	"testing"
)

func TestParseShape(t *testing.T) {
	good := map[string]Shape{
		"768x8x2304":               {768, 8, 2304},
		"4X2X3":                    {4, 2, 3},
		" 1x1x1 ":                  {1, 1, 1},
		"8192x16x5":                {8192, 16, 5}, // d·r = 2^17: exactly at the bound
		"65536x2x1":                {65536, 2, 1},
		"1x1x65536":                {1, 1, 65536},
		"16x8192x1":                {16, 8192, 1},
		"131072x1x1":               {},
		"8192x17x5":                {},
		"0x1x1":                    {},
		"1x0x1":                    {},
		"1x1x0":                    {},
		"-1x1x1":                   {},
		"1x1":                      {},
		"1x1x1x1":                  {},
		"axbxc":                    {},
		"":                         {},
		"1x1x65537":                {},
		"99999999999999999999x1x1": {},
		"1.5x1x1":                  {},
		"+4x2x3":                   {4, 2, 3},
	}
	for in, want := range good {
		got, err := ParseShape(in)
		if want == (Shape{}) {
			if err == nil {
				t.Errorf("ParseShape(%q) = %v, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseShape(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseShape(got.String()); err != nil || back != got {
			t.Errorf("String round trip of %v: %v, %v", got, back, err)
		}
	}
	if _, err := ParseShape("8192x17x1"); !errors.Is(err, ErrOverflowShape) {
		t.Errorf("8192x17x1: %v, want ErrOverflowShape", err)
	}
}

func TestShapeValidateBound(t *testing.T) {
	if err := (Shape{D: 8192, R: 16, O: 1}).Validate(); err != nil {
		t.Fatalf("8192×16 at the bound refused: %v", err)
	}
	if err := (Shape{D: 8192, R: 17, O: 1}).Validate(); !errors.Is(err, ErrOverflowShape) {
		t.Fatalf("8192×17: %v", err)
	}
	if err := (Shape{D: 16, R: 8193, O: 1}).Validate(); !errors.Is(err, ErrOverflowShape) {
		t.Fatalf("16×8193: %v", err)
	}
}

func FuzzParseShape(f *testing.F) {
	for _, s := range []string{"768x8x2304", "4x2x3", "8192x16x1", "8192x17x1", "0x0x0", "x", "1x1x-1", "9223372036854775807x2x1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseShape(in)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseShape accepted %q = %v, which does not validate: %v", in, s, err)
		}
		back, err := ParseShape(s.String())
		if err != nil || back != s {
			t.Fatalf("round trip of %v: %v, %v", s, back, err)
		}
	})
}
