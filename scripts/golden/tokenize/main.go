// Command tokenize prints the GPT-2 token ids of its arguments as JSON,
// {"texts":[{"text":...,"ids":[...]}]}, for scripts/golden/gpt2_ref.py,
// which has no tokenizer of its own.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/zklora/zklora/engine/tokenizer"
)

type entry struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "tokenize:", err)
		os.Exit(1)
	}
}

func run(texts []string) error {
	if len(texts) == 0 {
		return fmt.Errorf("usage: tokenize TEXT...")
	}
	tok, err := tokenizer.New()
	if err != nil {
		return err
	}
	out := struct {
		Texts []entry `json:"texts"`
	}{}
	for _, t := range texts {
		ids, err := tok.Encode(t)
		if err != nil {
			return err
		}
		if len(ids) < 2 {
			return fmt.Errorf("%q has %d tokens; the loss needs at least 2", t, len(ids))
		}
		out.Texts = append(out.Texts, entry{Text: t, IDs: ids})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
