package main

import (
	"fmt"
	"sync"
	"time"
)

// progressBar draws one line on a terminal's stderr, at most ten times a
// second. It draws nothing when stderr is not a terminal or --json is set,
// so logs and pipes stay clean.
type progressBar struct {
	e     *env
	label string
	start time.Time
	mu    sync.Mutex
	last  time.Time
	drawn bool
}

func newProgressBar(e *env, label string) *progressBar {
	return &progressBar{e: e, label: label, start: time.Now()}
}

func (p *progressBar) active() bool { return p != nil && p.e.terminal && !p.e.json }

func (p *progressBar) update(done, total int64) {
	if !p.active() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done != total {
		return
	}
	p.last = now
	p.drawn = true
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	filled := int(frac * width)
	bar := make([]byte, width)
	for i := range bar {
		if i < filled {
			bar[i] = '#'
		} else {
			bar[i] = '.'
		}
	}
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.e.stderr, "\r%s [%s] %3.0f%% %s/%s %s/s ", p.label, bar, frac*100, humanBytes(float64(done)), humanBytes(float64(total)), humanBytes(rate))
}

func (p *progressBar) done() {
	if !p.active() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.e.stderr, "\r\033[K")
	}
}

func humanBytes(n float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", n, units[i])
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}
