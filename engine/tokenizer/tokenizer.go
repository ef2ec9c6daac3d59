// Package tokenizer is GPT-2's byte-level BPE tokenizer.
//
// It wraps tiktoken-go's r50k_base encoding, which embeds the GPT-2
// vocabulary and merges and splits text with GPT-2's pre-tokenizer pattern,
// so ids match Hugging Face's GPT2TokenizerFast (and OpenAI's encoder).
//
// The special token "<|endoftext|>" is handled here, because tiktoken-go
// ignores special tokens: it would encode the literal as seven ordinary
// tokens and refuse to decode id 50256. This package follows
// GPT2TokenizerFast instead: every occurrence of the exact string
// "<|endoftext|>" in the input encodes to EOT (50256) and the text around it
// is encoded separately; Decode turns EOT back into "<|endoftext|>".
// EncodeOrdinary treats the string as plain text.
package tokenizer

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	tiktoken "github.com/tiktoken-go/tokenizer"
)

const (
	// EOT is the id of GPT-2's only special token, "<|endoftext|>".
	EOT = 50256
	// VocabSize is the size of GPT-2's vocabulary, EOT included.
	VocabSize = 50257
	// EOTText is the text of the special token EOT.
	EOTText = "<|endoftext|>"
)

// Tokenizer encodes text to GPT-2 token ids and back. It is safe for
// concurrent use.
type Tokenizer struct {
	codec tiktoken.Codec
}

// New returns a GPT-2 tokenizer. The vocabulary is embedded in the binary;
// nothing is downloaded.
func New() (*Tokenizer, error) {
	c, err := tiktoken.Get(tiktoken.R50kBase)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: r50k_base: %w", err)
	}
	// Decoding a slice of byte-level tokens can end inside a multi-byte
	// character: replace such bytes with U+FFFD, as GPT-2's decoders do.
	// Encode checks its input itself, so this mode never alters input.
	c.SetErrorMode(tiktoken.ErrorModeReplace)
	return &Tokenizer{codec: c}, nil
}

// Encode returns the token ids of text; each "<|endoftext|>" becomes EOT.
// Text that is not valid UTF-8 is refused.
func (t *Tokenizer) Encode(text string) ([]int, error) {
	if err := checkUTF8(text); err != nil {
		return nil, err
	}
	var ids []int
	for i, seg := range strings.Split(text, EOTText) {
		if i > 0 {
			ids = append(ids, EOT)
		}
		var err error
		if ids, err = t.appendOrdinary(ids, seg); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// EncodeOrdinary returns the token ids of text with no special tokens:
// "<|endoftext|>" is encoded as ordinary text.
func (t *Tokenizer) EncodeOrdinary(text string) ([]int, error) {
	if err := checkUTF8(text); err != nil {
		return nil, err
	}
	return t.appendOrdinary(nil, text)
}

func (t *Tokenizer) appendOrdinary(ids []int, text string) ([]int, error) {
	if text == "" {
		return ids, nil
	}
	raw, _, err := t.codec.Encode(text)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: encode: %w", err)
	}
	for _, id := range raw {
		ids = append(ids, int(id))
	}
	return ids, nil
}

// Decode returns the text of ids. EOT decodes to "<|endoftext|>"; bytes that
// do not form valid UTF-8 (a multi-byte character cut between tokens)
// become U+FFFD. Ids outside [0, VocabSize) are refused.
func (t *Tokenizer) Decode(ids []int) (string, error) {
	var sb strings.Builder
	start := 0
	flush := func(end int) error {
		if start == end {
			return nil
		}
		chunk := make([]uint, 0, end-start)
		for _, id := range ids[start:end] {
			chunk = append(chunk, uint(id))
		}
		s, err := t.codec.Decode(chunk)
		if err != nil {
			return fmt.Errorf("tokenizer: decode: %w", err)
		}
		sb.WriteString(s)
		return nil
	}
	for i, id := range ids {
		if id < 0 || id >= VocabSize {
			return "", fmt.Errorf("tokenizer: token id %d at position %d is outside the vocabulary [0, %d)", id, i, VocabSize)
		}
		if id == EOT {
			if err := flush(i); err != nil {
				return "", err
			}
			sb.WriteString(EOTText)
			start = i + 1
		}
	}
	if err := flush(len(ids)); err != nil {
		return "", err
	}
	return sb.String(), nil
}

func checkUTF8(s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("tokenizer: input is not valid UTF-8 at byte %d", i)
		}
		i += n
	}
	return errors.New("tokenizer: input is not valid UTF-8")
}
