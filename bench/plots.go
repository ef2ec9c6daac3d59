package bench

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// WritePlots writes the report's PNG plots into dir (created if needed)
// and returns their paths: prove time against module size per backend,
// MSM throughput against size, and the time split of a session. A plot
// with no data is not written.
func WritePlots(dir string, r *Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	save := func(p *plot.Plot, name string) error {
		path := filepath.Join(dir, name)
		if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
			return fmt.Errorf("plot %s: %w", name, err)
		}
		out = append(out, path)
		return nil
	}
	if p, ok, err := proveTimePlot(r); err != nil {
		return out, err
	} else if ok {
		if err := save(p, "prove_time_vs_params.png"); err != nil {
			return out, err
		}
	}
	if p, ok, err := kernelPlot(r.MSM, "G1 MSM throughput", "points per second"); err != nil {
		return out, err
	} else if ok {
		if err := save(p, "msm_throughput.png"); err != nil {
			return out, err
		}
	}
	if p, ok, err := kernelPlot(r.NTT, "NTT throughput", "elements per second"); err != nil {
		return out, err
	} else if ok {
		if err := save(p, "ntt_throughput.png"); err != nil {
			return out, err
		}
	}
	if p, ok, err := e2eSplitPlot(r); err != nil {
		return out, err
	} else if ok {
		if err := save(p, "session_time_split.png"); err != nil {
			return out, err
		}
	}
	return out, nil
}

// proveTimePlot: session prove time against the module's weight count, one
// line per backend (and the naive baseline as its own series).
func proveTimePlot(r *Report) (*plot.Plot, bool, error) {
	series := map[string]plotter.XYs{}
	var names []string
	seen := map[string]bool{} // one point per circuit and shape: its first row (lowest T)
	for _, row := range r.Prove {
		key := row.Backend + " " + row.Circuit + " " + row.Shape
		if row.Status != statusOK || row.ProveS <= 0 || seen[key] {
			continue
		}
		seen[key] = true
		name := row.Backend + " " + row.Circuit
		if _, ok := series[name]; !ok {
			names = append(names, name)
		}
		series[name] = append(series[name], plotter.XY{X: float64(row.Params), Y: row.ProveS})
	}
	if len(names) == 0 {
		return nil, false, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Groth16 prove time vs LoRA module size (%s)", r.Machine.CPU)
	p.X.Label.Text = "weights per module (d·r + r·o)"
	p.Y.Label.Text = "prove time (s)"
	logAxes(p)
	var args []any
	for _, n := range names {
		sortXY(series[n])
		args = append(args, n, series[n])
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return nil, false, err
	}
	return p, true, nil
}

func kernelPlot(rows []KernelRow, title, ylabel string) (*plot.Plot, bool, error) {
	series := map[string]plotter.XYs{}
	var names []string
	for _, row := range rows {
		if row.Status != statusOK {
			continue
		}
		if _, ok := series[row.Backend]; !ok {
			names = append(names, row.Backend)
		}
		series[row.Backend] = append(series[row.Backend], plotter.XY{X: float64(row.N), Y: row.PerSecond})
	}
	if len(names) == 0 {
		return nil, false, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "size n"
	p.Y.Label.Text = ylabel
	logAxes(p)
	var args []any
	for _, n := range names {
		args = append(args, n, series[n])
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// e2eSplitPlot: stacked-free bar chart of the phases of each e2e session.
func e2eSplitPlot(r *Report) (*plot.Plot, bool, error) {
	var row *E2ERow
	for i := range r.E2E {
		if r.E2E[i].Status == statusOK {
			row = &r.E2E[i]
			break
		}
	}
	if row == nil {
		return nil, false, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Session time split: %d modules of %s, T=%d (%s)", row.Modules, row.Shape, row.Tokens, row.Backend)
	p.Y.Label.Text = "seconds"
	vals := plotter.Values{row.SetupS, row.SessionS, row.ProveS, row.VerifyS}
	bars, err := plotter.NewBarChart(vals, vg.Points(40))
	if err != nil {
		return nil, false, err
	}
	bars.Color = plotutil.Color(0)
	p.Add(bars)
	p.NominalX("key setup", "inference", "prove", "verify")
	return p, true, nil
}

func logAxes(p *plot.Plot) {
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = ticks125{}, ticks125{}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
}

func sortXY(xy plotter.XYs) {
	slices.SortFunc(xy, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
}

// ticks125 labels a log axis at 1, 2 and 5 times powers of ten, so that
// narrow ranges still get labels (plot.LogTicks only labels powers of ten).
type ticks125 struct{}

// Ticks returns the tick marks between lo and hi.
func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for _, m := range []float64{1, 2, 5} {
			v := m * base
			if v < lo || v > hi {
				continue
			}
			out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
		}
	}
	if len(out) < 2 { // still too narrow: label both ends
		out = append(out, plot.Tick{Value: lo, Label: strconv.FormatFloat(lo, 'g', 3, 64)},
			plot.Tick{Value: hi, Label: strconv.FormatFloat(hi, 'g', 3, 64)})
	}
	return out
}
