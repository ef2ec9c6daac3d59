package peft

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
)

// MaxRank bounds r (and every rank_pattern value) read from a config.
const MaxRank = 1 << 16

// Defaults PEFT's LoraConfig applies to fields absent from the file.
const (
	DefaultR         = 8
	DefaultLoraAlpha = 8
)

// AllLinear is PEFT's target_modules shorthand for every linear/Conv1D layer
// except the output head (compared case-insensitively).
const AllLinear = "all-linear"

// gpt2DefaultTargets returns PEFT's default target_modules for model_type
// gpt2 (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING), used when the
// config has target_modules null.
func gpt2DefaultTargets() []string { return []string{"c_attn"} }

// TargetSpec is a PEFT module selector: either a list of names (a module
// matches an entry it equals or ends with "."+entry) or a regex string that
// must match the whole module name. The zero value selects nothing.
type TargetSpec struct {
	// List holds the entries of a list selector.
	List []string
	// Regex is the pattern of a regex selector (IsRegex true).
	Regex string
	// IsRegex tells which form this is.
	IsRegex bool
	// AllLinear is set for the "all-linear" shorthand (IsRegex false).
	AllLinear bool

	re *regexp.Regexp // compiled ^(?:Regex)$
}

// Empty reports whether the selector can select nothing by construction.
func (t TargetSpec) Empty() bool { return !t.IsRegex && !t.AllLinear && len(t.List) == 0 }

// String returns the selector as PEFT would print it.
func (t TargetSpec) String() string {
	switch {
	case t.AllLinear:
		return AllLinear
	case t.IsRegex:
		return fmt.Sprintf("%q", t.Regex)
	}
	return fmt.Sprintf("%q", t.List)
}

// MarshalJSON writes the selector back as a string or a list.
func (t TargetSpec) MarshalJSON() ([]byte, error) {
	switch {
	case t.AllLinear:
		return json.Marshal(AllLinear)
	case t.IsRegex:
		return json.Marshal(t.Regex)
	case t.List == nil:
		return []byte("[]"), nil
	}
	return json.Marshal(t.List)
}

// Config is the part of a PEFT LoraConfig that determines the forward maths,
// plus the informational fields a user may want to see.
type Config struct {
	// PeftType is always "LORA".
	PeftType string
	// R is the default rank.
	R int
	// LoraAlpha is the default alpha.
	LoraAlpha float64
	// TargetModules selects the modules that carry LoRA.
	TargetModules TargetSpec
	// ExcludeModules removes modules from the selection (zero: none).
	ExcludeModules TargetSpec
	// UseRSLoRA selects scaling alpha/sqrt(r) instead of alpha/r.
	UseRSLoRA bool
	// RankPattern maps regex keys to per-module ranks.
	RankPattern map[string]int
	// RankPatternKeys lists RankPattern's keys in file order (PEFT tries
	// them in that order; the first match wins).
	RankPatternKeys []string
	// AlphaPattern maps regex keys to per-module alphas.
	AlphaPattern map[string]float64
	// AlphaPatternKeys lists AlphaPattern's keys in file order.
	AlphaPatternKeys []string
	// FanInFanOut is the saved value. It is not trusted: GPT-2's modules are
	// Conv1D, whose weight is [in, out], and PEFT forces fan_in_fan_out for
	// Conv1D; the LoRA tensors' layout does not depend on it.
	FanInFanOut bool
	// LayersToTransform restricts list-suffix matches to these layer
	// indices (nil: every layer).
	LayersToTransform []int
	// LayersPattern names the layer container(s) used to read a module's
	// layer index (nil: any).
	LayersPattern []string
	// Bias is always "none".
	Bias string
	// TaskType is informational (for example "CAUSAL_LM").
	TaskType string
	// BaseModelNameOrPath is informational.
	BaseModelNameOrPath string

	rankRe  []*regexp.Regexp // compiled RankPatternKeys
	alphaRe []*regexp.Regexp // compiled AlphaPatternKeys
}

// ParseConfig parses and validates adapter_config.json. It refuses, naming
// the field, everything that changes the maths beyond plain LoRA on Conv1D
// modules; unknown fields are ignored.
func ParseConfig(data []byte) (Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Config{}, fmt.Errorf("adapter config: %w", err)
	}
	if raw == nil {
		return Config{}, errors.New("adapter config: not a JSON object")
	}
	c := Config{R: DefaultR, LoraAlpha: DefaultLoraAlpha, Bias: "none"}
	p := fieldParser{raw: raw}

	if !p.present("peft_type") {
		return Config{}, errors.New("adapter config: peft_type missing (want \"LORA\")")
	}
	p.str("peft_type", &c.PeftType)
	if p.err == nil && c.PeftType != "LORA" {
		return Config{}, fmt.Errorf("adapter config: peft_type %q is not supported (want \"LORA\")", c.PeftType)
	}
	p.intField("r", &c.R)
	p.float("lora_alpha", &c.LoraAlpha)
	p.boolean("use_rslora", &c.UseRSLoRA)
	p.boolean("fan_in_fan_out", &c.FanInFanOut)
	p.str("bias", &c.Bias)
	p.str("task_type", &c.TaskType)
	p.str("base_model_name_or_path", &c.BaseModelNameOrPath)
	c.TargetModules = p.target("target_modules", true)
	c.ExcludeModules = p.target("exclude_modules", false)
	c.LayersToTransform = p.layers("layers_to_transform")
	c.LayersPattern = p.strOrList("layers_pattern")
	c.RankPatternKeys, c.RankPattern = p.rankPattern("rank_pattern")
	c.AlphaPatternKeys, c.AlphaPattern = p.alphaPattern("alpha_pattern")
	p.refuse()
	if p.err != nil {
		return Config{}, p.err
	}
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// validate checks value ranges and cross-field rules (those of PEFT's
// LoraConfig.__post_init__) and compiles the pattern regexes.
func (c *Config) validate() error {
	if c.R < 1 || c.R > MaxRank {
		return fmt.Errorf("adapter config: r=%d out of range [1, %d]", c.R, MaxRank)
	}
	if math.IsNaN(c.LoraAlpha) || math.IsInf(c.LoraAlpha, 0) {
		return errors.New("adapter config: lora_alpha is not finite")
	}
	if c.Bias != "none" {
		return fmt.Errorf("adapter config: bias=%q is not supported (only \"none\": LoRA/base biases change the forward maths)", c.Bias)
	}
	if c.TargetModules.IsRegex && c.LayersToTransform != nil {
		return errors.New("adapter config: layers_to_transform cannot be used when target_modules is a regex string (PEFT refuses it too)")
	}
	if len(c.LayersPattern) > 0 && c.LayersToTransform == nil {
		return errors.New("adapter config: layers_pattern is set without layers_to_transform (PEFT refuses it too)")
	}
	for _, p := range c.LayersPattern {
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("adapter config: layers_pattern %q: %v", p, err)
		}
	}
	var err error
	if c.rankRe, err = compilePatterns("rank_pattern", c.RankPatternKeys); err != nil {
		return err
	}
	if c.alphaRe, err = compilePatterns("alpha_pattern", c.AlphaPatternKeys); err != nil {
		return err
	}
	for _, k := range c.RankPatternKeys {
		if v := c.RankPattern[k]; v < 1 || v > MaxRank {
			return fmt.Errorf("adapter config: rank_pattern[%q]=%d out of range [1, %d]", k, v, MaxRank)
		}
	}
	return nil
}

// compilePatterns compiles rank/alpha_pattern keys with PEFT's
// get_pattern_key rule re.match(rf"(.*\.)?({key})$", name).
func compilePatterns(field string, keys []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, len(keys))
	for i, k := range keys {
		re, err := regexp.Compile(`^(?:.*\.)?(?:` + k + `)$`)
		if err != nil {
			return nil, fmt.Errorf("adapter config: %s key %q is not a regex Go (RE2) accepts: %v", field, k, err)
		}
		out[i] = re
	}
	return out, nil
}

// fieldParser decodes individual fields of the raw JSON object, keeping the
// first error.
type fieldParser struct {
	raw map[string]json.RawMessage
	err error
}

// present reports whether the field exists and is not null.
func (p *fieldParser) present(name string) bool {
	v, ok := p.raw[name]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

func (p *fieldParser) fail(name string, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("adapter config: field %s: %s", name, fmt.Sprintf(format, args...))
	}
}

// decode unmarshals a present field into dst; it reports whether it did.
func (p *fieldParser) decode(name string, dst any, want string) bool {
	if p.err != nil || !p.present(name) {
		return false
	}
	if err := json.Unmarshal(p.raw[name], dst); err != nil {
		p.fail(name, "want %s: %v", want, err)
		return false
	}
	return true
}

func (p *fieldParser) str(name string, dst *string) { p.decode(name, dst, "a string") }

func (p *fieldParser) boolean(name string, dst *bool) { p.decode(name, dst, "true or false") }

func (p *fieldParser) float(name string, dst *float64) { p.decode(name, dst, "a number") }

// intField accepts an integral JSON number (PEFT writes ints; 8.0 is tolerated).
func (p *fieldParser) intField(name string, dst *int) {
	var f float64
	if !p.decode(name, &f, "an integer") {
		return
	}
	v, ok := toInt(f)
	if !ok {
		p.fail(name, "want an integer, got %v", f)
		return
	}
	*dst = v
}

// toInt converts an integral float in a safe range to int.
func toInt(f float64) (int, bool) {
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

// target parses target_modules / exclude_modules: a list, a regex string or
// null. For target_modules null means PEFT's GPT-2 default.
func (p *fieldParser) target(name string, isTarget bool) TargetSpec {
	if p.err != nil {
		return TargetSpec{}
	}
	if !p.present(name) {
		if isTarget {
			return TargetSpec{List: gpt2DefaultTargets()}
		}
		return TargetSpec{}
	}
	v := p.raw[name]
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if isTarget && strings.EqualFold(s, AllLinear) {
			return TargetSpec{AllLinear: true}
		}
		re, err := regexp.Compile(`^(?:` + s + `)$`)
		if err != nil {
			p.fail(name, "regex %q is not one Go (RE2) accepts: %v", s, err)
			return TargetSpec{}
		}
		return TargetSpec{Regex: s, IsRegex: true, re: re}
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		p.fail(name, "want a list of strings or a regex string: %v", err)
		return TargetSpec{}
	}
	if list == nil {
		list = []string{}
	}
	return TargetSpec{List: list}
}

// layers parses layers_to_transform: an int, a list of ints, or null/[]
// (every layer).
func (p *fieldParser) layers(name string) []int {
	if p.err != nil || !p.present(name) {
		return nil
	}
	var one float64
	if err := json.Unmarshal(p.raw[name], &one); err == nil {
		v, ok := toInt(one)
		if !ok {
			p.fail(name, "want an integer, got %v", one)
			return nil
		}
		return []int{v}
	}
	var list []float64
	if err := json.Unmarshal(p.raw[name], &list); err != nil {
		p.fail(name, "want an integer or a list of integers: %v", err)
		return nil
	}
	if len(list) == 0 {
		return nil
	}
	out := make([]int, len(list))
	for i, f := range list {
		v, ok := toInt(f)
		if !ok {
			p.fail(name, "element %d: want an integer, got %v", i, f)
			return nil
		}
		out[i] = v
	}
	return out
}

// strOrList parses a string, a list of strings, or null.
func (p *fieldParser) strOrList(name string) []string {
	if p.err != nil || !p.present(name) {
		return nil
	}
	var s string
	if err := json.Unmarshal(p.raw[name], &s); err == nil {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var list []string
	if err := json.Unmarshal(p.raw[name], &list); err != nil {
		p.fail(name, "want a string or a list of strings: %v", err)
		return nil
	}
	if len(list) == 0 {
		return nil
	}
	return list
}

// orderedObject decodes a JSON object keeping its keys in file order; each
// value is handed to set. Duplicate keys are refused (Python keeps the last,
// which would silently change the order semantics).
func (p *fieldParser) orderedObject(name string, set func(key string, v json.RawMessage) error) []string {
	if p.err != nil || !p.present(name) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(p.raw[name]))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		p.fail(name, "want a JSON object")
		return nil
	}
	var keys []string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			p.fail(name, "%v", err)
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			p.fail(name, "want a JSON object")
			return nil
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			p.fail(name, "key %q: %v", key, err)
			return nil
		}
		if seen[key] {
			p.fail(name, "duplicate key %q", key)
			return nil
		}
		seen[key] = true
		if err := set(key, v); err != nil {
			p.fail(name, "key %q: %v", key, err)
			return nil
		}
		keys = append(keys, key)
	}
	return keys
}

func (p *fieldParser) rankPattern(name string) ([]string, map[string]int) {
	m := map[string]int{}
	keys := p.orderedObject(name, func(k string, v json.RawMessage) error {
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			return fmt.Errorf("want an integer rank: %v", err)
		}
		r, ok := toInt(f)
		if !ok {
			return fmt.Errorf("want an integer rank, got %v", f)
		}
		m[k] = r
		return nil
	})
	return keys, m
}

func (p *fieldParser) alphaPattern(name string) ([]string, map[string]float64) {
	m := map[string]float64{}
	keys := p.orderedObject(name, func(k string, v json.RawMessage) error {
		var f float64
		if err := json.Unmarshal(v, &f); err != nil {
			return fmt.Errorf("want a number: %v", err)
		}
		m[k] = f
		return nil
	})
	return keys, m
}
