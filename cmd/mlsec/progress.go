package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progressMeter is the one progress display of every long command: rows or
// bytes done, the file being read of how many, the throughput and, when
// the total is known, a bar and an estimate of the time left.
//
// On a terminal it redraws one line of stderr in place at most
// ttyInterval apart and erases it when done. Forced with --progress onto
// something else (a CI log), it writes whole lines plainInterval apart and
// a last line at the end, because a log keeps every carriage return.
//
// A nil *progressMeter is valid and draws nothing: that is what
// env.progress returns when there is no terminal, or with --json or
// --quiet, so commands call it unconditionally. Its methods are safe for
// concurrent use (hashing reports from several workers).
type progressMeter struct {
	w     io.Writer
	label string
	tty   bool
	now   func() time.Time
	every time.Duration

	mu          sync.Mutex
	start, last time.Time
	bytes       bool // done and total count bytes, not rows
	done, total int64
	file, files int // 1-based file being read, of files; 0: not shown
	rowCount    int64
	showRows    bool // bytes with a row count beside them (data files)
	width       int  // of the line last drawn on a terminal
	drawn       bool
	finished    bool
}

const (
	ttyInterval   = 150 * time.Millisecond // about 7 redraws a second
	plainInterval = 5 * time.Second
)

// progress returns the meter for a command's long step, or nil when
// progress is not to be shown.
func (e *env) progress(label string) *progressMeter {
	if e.json || e.quiet || !(e.terminal || e.forceProgress) {
		return nil
	}
	now := e.now
	if now == nil {
		now = time.Now
	}
	p := &progressMeter{w: e.stderr, label: label, tty: e.terminal, now: now, every: plainInterval}
	if p.tty {
		p.every = ttyInterval
	}
	p.start = now()
	// run finishes the last meter before it prints an error, so an early
	// return cannot leave a half line before the message.
	e.lastMeter = p
	return p
}

// rows reports rows read so far (a row callback of validation or drift).
func (p *progressMeter) rows(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.bytes, p.done = false, n
	p.maybeDraw(false)
	p.mu.Unlock()
}

// rowsAndBytes reports rows read and the bytes of their files read so
// far, of total (the files' sizes): a bar and an estimate with the rows.
func (p *progressMeter) rowsAndBytes(rows, done, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.bytes, p.done, p.total = true, done, total
	p.rowCount, p.showRows = rows, true
	p.maybeDraw(false)
	p.mu.Unlock()
}

// byteCount reports bytes done so far of total (0: unknown), the shape of
// the hashing callbacks.
func (p *progressMeter) byteCount(done, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.bytes, p.done, p.total = true, done, total
	p.maybeDraw(total > 0 && done == total)
	p.mu.Unlock()
}

// fileDone counts one more file of a walk whose total is not known, and
// its size.
func (p *progressMeter) fileDone(size int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.file, p.files = p.file+1, 0
	p.bytes = true
	p.done += size
	p.maybeDraw(false)
	p.mu.Unlock()
}

// setTotal sets the total bytes, when known in advance.
func (p *progressMeter) setTotal(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.bytes, p.total = true, total
	p.mu.Unlock()
}

// setFile says that file i (1-based) of n is being read. It draws nothing
// by itself: the next count does.
func (p *progressMeter) setFile(i, n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.file, p.files = i, n
	p.mu.Unlock()
}

// finish erases the line on a terminal, or writes the final state as a
// last line in plain mode. Later calls, and counts after it, do nothing.
func (p *progressMeter) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if p.tty {
		if p.drawn {
			fmt.Fprint(p.w, "\r\033[K")
		}
		return
	}
	if p.drawn || p.done > 0 {
		p.draw(p.now())
	}
}

// hide erases the line on a terminal so that other output can be written
// from the start of a line; the next count draws it again.
func (p *progressMeter) hide() {
	if p == nil || !p.tty {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		fmt.Fprint(p.w, "\r\033[K")
		p.width = 0
	}
}

// maybeDraw draws when the interval has passed since the last drawing, or
// when force is set (the count reached its total).
func (p *progressMeter) maybeDraw(force bool) {
	if p.finished {
		return
	}
	t := p.now()
	if !force && t.Sub(p.last) < p.every {
		return
	}
	// The first drawing waits one interval too, so a step that ends
	// quickly leaves the screen untouched.
	if !p.drawn && !force && t.Sub(p.start) < p.every {
		return
	}
	p.draw(t)
}

func (p *progressMeter) draw(t time.Time) {
	p.last = t
	p.drawn = true
	line := p.line(t.Sub(p.start))
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	// Pad with spaces over a longer previous line rather than erase
	// first, so the line does not flicker.
	pad := max(p.width-len(line), 0)
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// line formats the state, for example
//
//	hashing [#########...........]  45%  1.2 GB of 2.7 GB  310 MB/s  ETA 5s  (3/12 files)
//	validating [########............]  42%  1.1 GB of 2.7 GB  95.0 MB/s  6.2M rows  ETA 17s  (file 2/4)
//	validating  6.2M rows  1.9M rows/s  (file 3/4)
func (p *progressMeter) line(elapsed time.Duration) string {
	var b strings.Builder
	b.WriteString(p.label)
	secs := max(elapsed.Seconds(), 1e-3)
	rate := float64(p.done) / secs
	switch {
	case p.bytes && p.total > 0:
		frac := min(float64(p.done)/float64(p.total), 1)
		const width = 20
		filled := int(frac * width)
		fmt.Fprintf(&b, " [%s%s] %3.0f%%  %s of %s  %s/s", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
			frac*100, humanBytes(float64(p.done)), humanBytes(float64(p.total)), humanBytes(rate))
		if p.showRows {
			fmt.Fprintf(&b, "  %s rows", humanCount(float64(p.rowCount)))
		}
		if p.done < p.total && rate > 0 && elapsed >= time.Second {
			fmt.Fprintf(&b, "  ETA %s", eta(float64(p.total-p.done)/rate))
		}
	case p.bytes:
		fmt.Fprintf(&b, "  %s  %s/s", humanBytes(float64(p.done)), humanBytes(rate))
	default:
		fmt.Fprintf(&b, "  %s rows  %s rows/s", humanCount(float64(p.done)), humanCount(rate))
	}
	switch {
	case p.files > 1:
		fmt.Fprintf(&b, "  (file %d/%d)", p.file, p.files)
	case p.files == 0 && p.file > 0:
		fmt.Fprintf(&b, "  (%d files)", p.file)
	}
	return b.String()
}

// eta formats seconds left as 42s, 3m05s or 2h07m.
func eta(s float64) string {
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
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

// humanCount formats a count as 950, 12.3k, 6.2M or 1.1G.
func humanCount(n float64) string {
	units := []string{"", "k", "M", "G", "T"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f", n)
	}
	return fmt.Sprintf("%.1f%s", n, units[i])
}

// bytesFunc is the meter as a (done, total) bytes callback, nil when
// there is no meter, so the library skips the call altogether.
func (p *progressMeter) bytesFunc() func(done, total int64) {
	if p == nil {
		return nil
	}
	return p.byteCount
}

// rowsFunc is the meter as a rows callback for data read from files:
// r's current file is shown as "file i/n", and when r counts the bytes
// it has read (datafile.Reader.BytesRead) and the files' sizes are known,
// a bar, the throughput in bytes and an estimate of the time left. Nil
// when there is no meter. The callback must run on the goroutine that
// reads r, as the row callbacks of validation and drift do.
func (p *progressMeter) rowsFunc(r interface{ FileIndex() int }, paths []string) func(rows int64) {
	if p == nil {
		return nil
	}
	br, _ := r.(interface{ BytesRead() int64 })
	total := int64(0)
	for _, path := range paths {
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			br = nil // a pipe has no size to estimate against
			break
		}
		total += fi.Size()
	}
	if total == 0 {
		br = nil
	}
	return func(rows int64) {
		if r != nil {
			p.setFile(r.FileIndex()+1, len(paths))
		}
		if br != nil {
			p.rowsAndBytes(rows, br.BytesRead(), total)
			return
		}
		p.rows(rows)
	}
}
