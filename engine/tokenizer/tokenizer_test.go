package tokenizer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func newTok(t *testing.T) *Tokenizer {
	t.Helper()
	tok, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Ids from GPT-2's published encoder (HF GPT2TokenizerFast).
func TestKnownIDs(t *testing.T) {
	tok := newTok(t)
	for _, c := range []struct {
		text string
		ids  []int
	}{
		{"Hello world", []int{15496, 995}},
		{"Hello, world!", []int{15496, 11, 995, 0}},
		{" the", []int{262}},
		{"<|endoftext|>", []int{50256}},
		{"Hello<|endoftext|> world", []int{15496, 50256, 995}},
		{"<|endoftext|><|endoftext|>", []int{50256, 50256}},
		{"", nil},
	} {
		got, err := tok.Encode(c.text)
		if err != nil {
			t.Fatalf("Encode(%q): %v", c.text, err)
		}
		if !reflect.DeepEqual(got, c.ids) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.ids)
		}
	}
	ord, err := tok.EncodeOrdinary("<|endoftext|>")
	if want := []int{27, 91, 437, 1659, 5239, 91, 29}; err != nil || !reflect.DeepEqual(ord, want) {
		t.Fatalf("EncodeOrdinary(<|endoftext|>) = %v, %v; want %v", ord, err, want)
	}
}

func TestRoundTrip(t *testing.T) {
	tok := newTok(t)
	for _, s := range []string{
		"The quick brown fox jumps over the lazy dog.",
		"héllo wörld — ñandú, 日本語のテキスト, Ελληνικά, emoji 🤖🚀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
		"  leading and trailing spaces \n\n\ttabs\r\n",
		"it's we've they'll I'm you'd don't",
		"code: x := f(a[0], b)<|endoftext|>next document",
		"1234567890 3.14159 -42",
	} {
		ids, err := tok.Encode(s)
		if err != nil {
			t.Fatalf("Encode(%q): %v", s, err)
		}
		for _, id := range ids {
			if id < 0 || id >= VocabSize {
				t.Fatalf("id %d out of range", id)
			}
		}
		back, err := tok.Decode(ids)
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if back != s {
			t.Errorf("round trip of %q gave %q", s, back)
		}
	}
}

func TestDecodeEdgeCases(t *testing.T) {
	tok := newTok(t)
	if s, err := tok.Decode([]int{15496, EOT, 995}); err != nil || s != "Hello<|endoftext|> world" {
		t.Errorf("Decode with EOT = %q, %v", s, err)
	}
	for _, bad := range [][]int{{-1}, {VocabSize}, {15496, 1 << 40}} {
		if _, err := tok.Decode(bad); err == nil {
			t.Errorf("Decode(%v) accepted", bad)
		}
	}
	// A multi-byte character split across tokens: each half decodes to U+FFFD.
	ids, _ := tok.Encode("🤖")
	if len(ids) < 2 {
		t.Skipf("🤖 is a single token: %v", ids)
	}
	s, err := tok.Decode(ids[:1])
	if err != nil || !strings.Contains(s, "\uFFFD") {
		t.Errorf("Decode of a partial character = %q, %v", s, err)
	}
}

func TestEncodeRejectsInvalidUTF8(t *testing.T) {
	tok := newTok(t)
	if _, err := tok.Encode("ab\xffcd"); err == nil || !strings.Contains(err.Error(), "byte 2") {
		t.Fatalf("Encode invalid UTF-8: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	tok := newTok(t)
	done := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 50 {
				s := strings.Repeat("concurrent tokenizer use ", 1+(g+i)%5)
				ids, err := tok.Encode(s)
				if err == nil {
					var back string
					back, err = tok.Decode(ids)
					if err == nil && back != s {
						err = errors.New("round trip mismatch")
					}
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
