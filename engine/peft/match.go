package peft

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// allLinearTargets is what PEFT expands "all-linear" to on GPT-2: the base
// names of every Linear/Conv1D module except the output head.
func allLinearTargets() []string { return []string{"c_attn", "c_proj", "c_fc"} }

// Matches reports whether the selector selects the module name, ignoring
// layers_to_transform: a regex must match the whole name; a list entry must
// equal the name or be a "."-separated suffix of it.
func (t TargetSpec) Matches(name string) bool {
	if t.IsRegex {
		return t.re != nil && t.re.MatchString(name)
	}
	return t.exact(name) || t.suffix(name)
}

// entries returns the list entries ("all-linear" expanded).
func (t TargetSpec) entries() []string {
	if t.AllLinear {
		return allLinearTargets()
	}
	return t.List
}

func (t TargetSpec) exact(name string) bool { return slices.Contains(t.entries(), name) }

func (t TargetSpec) suffix(name string) bool {
	for _, e := range t.entries() {
		if strings.HasSuffix(name, "."+e) {
			return true
		}
	}
	return false
}

// Targets reports whether PEFT would put LoRA on the module of this name (as
// the base model names it), following check_target_module_exists:
// exclude_modules first; a regex target fully matches; a list target equals
// the name, or is a suffix of it and the layer index passes
// layers_to_transform.
func (c *Config) Targets(name string) bool {
	ex := c.ExcludeModules
	if ex.IsRegex || len(ex.List) > 0 {
		if ex.Matches(name) {
			return false
		}
	}
	t := c.TargetModules
	if t.IsRegex {
		return t.Matches(name)
	}
	if t.exact(name) {
		return true
	}
	if !t.suffix(name) {
		return false
	}
	if c.LayersToTransform == nil {
		return true
	}
	idx, ok := c.layerIndex(name)
	return ok && slices.Contains(c.LayersToTransform, idx)
}

// layerIndex reads a module's layer index as PEFT does: the number after
// the last "<container>." (any container when layers_pattern is unset)
// that is itself followed by ".", with a "." before the container.
func (c *Config) layerIndex(name string) (int, bool) {
	pats := []string{`[^.]*`}
	if len(c.LayersPattern) > 0 {
		pats = c.LayersPattern
	}
	for _, p := range pats {
		re, err := regexp.Compile(`^.*\.(?:` + p + `)\.(\d+)\.`)
		if err != nil {
			continue // validated in ParseConfig
		}
		m := re.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		v, err := strconv.Atoi(m[1])
		if err != nil {
			return 0, false
		}
		return v, true
	}
	return 0, false
}

// RankAlpha returns the rank and alpha PEFT uses for the module of this name:
// the value of the first rank_pattern (alpha_pattern) key in file order whose
// regex (.*\.)?(key)$ matches the name from its start, else R (LoraAlpha).
func (c *Config) RankAlpha(name string) (int, float64) {
	r, alpha := c.R, c.LoraAlpha
	for i, re := range c.rankRe {
		if re.MatchString(name) {
			r = c.RankPattern[c.RankPatternKeys[i]]
			break
		}
	}
	for i, re := range c.alphaRe {
		if re.MatchString(name) {
			alpha = c.AlphaPattern[c.AlphaPatternKeys[i]]
			break
		}
	}
	return r, alpha
}

// Scaling returns PEFT's LoRA scaling for rank r and alpha: alpha/r, or
// alpha/sqrt(r) with use_rslora.
func (c *Config) Scaling(r int, alpha float64) float64 {
	if c.UseRSLoRA {
		return alpha / math.Sqrt(float64(r))
	}
	return alpha / float64(r)
}
