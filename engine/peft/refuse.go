package peft

import (
	"bytes"
	"encoding/json"
	"strings"
)

// refusal describes one config field whose non-default value changes the
// forward maths beyond plain LoRA.
type refusal struct {
	field string
	// refused reports whether the raw (non-null) value is refused.
	refused func(v json.RawMessage) bool
	why     string
}

// isTrue reports whether v is JSON true.
func isTrue(v json.RawMessage) bool { return bytes.Equal(v, []byte("true")) }

// nonEmpty reports whether v is anything but null, false, "", [] or {}.
func nonEmpty(v json.RawMessage) bool {
	switch string(v) {
	case "null", "false", `""`, "[]", "{}":
		return false
	}
	var a []json.RawMessage
	if json.Unmarshal(v, &a) == nil && len(a) == 0 {
		return false
	}
	var o map[string]json.RawMessage
	if json.Unmarshal(v, &o) == nil && len(o) == 0 {
		return false
	}
	return true
}

// baseModifyingInit reports init_lora_weights values with which PEFT
// rewrites the base weights at initialisation: such an adapter only works
// with the modified base model unless PEFT converted it on save.
func baseModifyingInit(v json.RawMessage) bool {
	var s string
	if json.Unmarshal(v, &s) != nil {
		return false
	}
	s = strings.ToLower(s)
	return strings.HasPrefix(s, "pissa") || s == "olora" || s == "corda" || s == "loftq"
}

// refusals lists the refused fields.
func refusals() []refusal {
	return []refusal{
		{"use_dora", isTrue, "DoRA adds a magnitude vector and a weight normalisation"},
		{"modules_to_save", nonEmpty, "fully trained extra modules replace base modules"},
		{"lora_bias", isTrue, "lora_B carries a bias"},
		{"target_parameters", nonEmpty, "LoRA on raw parameters is not a Conv1D module"},
		{"trainable_token_indices", nonEmpty, "trainable tokens change the embeddings"},
		{"layer_replication", nonEmpty, "layer replication changes the base model's layers"},
		{"use_qalora", isTrue, "QALoRA pools the input before lora_A"},
		{"alora_invocation_tokens", nonEmpty, "activated LoRA applies only after invocation tokens"},
		{"arrow_config", nonEmpty, "Arrow routing mixes several adapters"},
		{"init_lora_weights", baseModifyingInit, "this initialisation rewrites the base weights (convert the adapter with PEFT's path_initial_model_for_weight_conversion when saving)"},
	}
}

// refuse records an error for the first refused field present.
func (p *fieldParser) refuse() {
	for _, r := range refusals() {
		if p.err != nil {
			return
		}
		v, ok := p.raw[r.field]
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		if r.refused(v) {
			p.fail(r.field, "value %s is not supported: %s", compact(v), r.why)
		}
	}
}

// compact shortens a raw JSON value for an error message.
func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return "(invalid JSON)"
	}
	s := b.String()
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
