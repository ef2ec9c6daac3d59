package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressBar draws a one-line progress bar on a terminal, or prints one
// plain line per step when the output is not a terminal (logs, CI).
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	total int
	tty   bool
	start time.Time
	quiet bool
}

func newProgressBar(w io.Writer, label string, total int, quiet bool) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return &progressBar{w: w, label: label, total: total, tty: tty, start: time.Now(), quiet: quiet}
}

// Set reports that done of total steps are finished; note names the last one.
func (p *progressBar) Set(done int, note string) {
	if p == nil || p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	el := time.Since(p.start).Seconds()
	if !p.tty {
		fmt.Fprintf(p.w, "%s %d/%d %s (%.1fs)\n", p.label, done, p.total, note, el)
		return
	}
	const width = 30
	fill := 0
	if p.total > 0 {
		fill = width * done / p.total
	}
	eta := ""
	if done > 0 && done < p.total {
		eta = fmt.Sprintf(" eta %.0fs", el/float64(done)*float64(p.total-done))
	}
	fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %.1fs%s  %-40.40s", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, p.total, el, eta, note)
	if done >= p.total {
		fmt.Fprintln(p.w)
	}
}
