package lora

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/zklora/zklora/circuits"
	"github.com/zklora/zklora/engine/peft"
)

// Point is one LoRA injection point: a targeted Conv1D module of the base
// model with input width D, rank R, output width O and the LoRA scaling.
type Point struct {
	Name    string  `json:"name"`
	D       int     `json:"d"`
	R       int     `json:"r"`
	O       int     `json:"o"`
	Scaling float64 `json:"scaling"`
}

// Shape returns the point's circuit shape d×r×o.
func (p Point) Shape() circuits.Shape { return circuits.Shape{D: p.D, R: p.R, O: p.O} }

// Points returns the adapter's injection points in forward order.
func Points(ad *peft.Adapter) []Point {
	names := ad.Names()
	out := make([]Point, 0, len(names))
	for _, n := range names {
		m := ad.Modules[n]
		out = append(out, Point{Name: m.Name, D: m.D, R: m.R, O: m.O, Scaling: m.Scaling})
	}
	return out
}

// blockModules are a block's Conv1D modules in forward order.
func blockModules() []string {
	return []string{"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}
}

// forwardKey parses "transformer.h.<layer>.<module>" into (layer, module
// index in forward order).
func forwardKey(name string) (layer, sub int, ok bool) {
	rest, found := strings.CutPrefix(name, "transformer.h.")
	if !found {
		return 0, 0, false
	}
	num, mod, found := strings.Cut(rest, ".")
	if !found {
		return 0, 0, false
	}
	l, err := strconv.Atoi(num)
	if err != nil || l < 0 {
		return 0, 0, false
	}
	j := slices.Index(blockModules(), mod)
	if j < 0 {
		return 0, 0, false
	}
	return l, j, true
}

// compareForward orders module names as the forward pass visits them;
// names it cannot parse come last, by name.
func compareForward(a, b string) int {
	la, sa, oka := forwardKey(a)
	lb, sb, okb := forwardKey(b)
	switch {
	case oka && okb:
		if c := cmp.Compare(la, lb); c != 0 {
			return c
		}
		return cmp.Compare(sa, sb)
	case oka:
		return -1
	case okb:
		return 1
	}
	return strings.Compare(a, b)
}
