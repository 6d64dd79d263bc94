package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Verdict is the outcome of one step, as printed.
type Verdict string

const (
	Pass     Verdict = "PASS"     // a pipeline step did its job
	Fail     Verdict = "FAIL"     // a pipeline step that should pass did not
	Deployed Verdict = "DEPLOYED" // the gate let the clean model through
	Blocked  Verdict = "BLOCKED"  // the gate refused the clean model (a failure)
	Caught   Verdict = "CAUGHT"   // an attack was stopped for the expected reason
	Missed   Verdict = "MISSED"   // an attack got through, or was stopped for another reason
)

// ok reports whether the verdict lets the demo exit 0.
func (v Verdict) ok() bool {
	return v == Pass || v == Deployed || v == Caught
}

// StepResult is one line of the run.
type StepResult struct {
	Name    string        `json:"name"`
	Verdict Verdict       `json:"verdict"`
	Detail  string        `json:"detail"`
	Notes   []string      `json:"notes,omitempty"`
	Took    time.Duration `json:"took_ns"`
	// Check names the gate check that stopped an attack.
	Check string `json:"check,omitempty"`
}

// stepLog collects what a step wants printed under its line.
type stepLog struct {
	notes []string
	check string
}

func (l *stepLog) note(format string, a ...any) { l.notes = append(l.notes, fmt.Sprintf(format, a...)) }

// runner prints one line per step as it completes and keeps the results
// for the summary.
type runner struct {
	w       io.Writer
	results []StepResult
}

func newRunner(w io.Writer) *runner { return &runner{w: w} }

// step runs fn as the step called name and prints its verdict line, then
// the notes fn left.
func (r *runner) step(name string, fn func(l *stepLog) (Verdict, string)) StepResult {
	t := time.Now()
	var l stepLog
	v, detail := fn(&l)
	res := StepResult{Name: name, Verdict: v, Detail: detail, Notes: l.notes, Took: time.Since(t), Check: l.check}
	r.results = append(r.results, res)
	fmt.Fprintf(r.w, "%2d. %-32s %-8s %s\n", len(r.results), name, v, detail)
	for _, n := range l.notes {
		fmt.Fprintf(r.w, "      %s\n", n)
	}
	return res
}

// do runs a pipeline step that either works (PASS, with fn's detail) or
// fails (FAIL, and the error is returned so the run stops).
func (r *runner) do(name string, fn func(l *stepLog) (string, error)) error {
	var err error
	r.step(name, func(l *stepLog) (Verdict, string) {
		detail, e := fn(l)
		if e != nil {
			err = fmt.Errorf("%s: %w", name, e)
			return Fail, e.Error()
		}
		return Pass, detail
	})
	return err
}

func (r *runner) section(title string) {
	fmt.Fprintf(r.w, "\n== %s\n", title)
}

// ok reports whether every step's verdict lets the demo exit 0.
func (r *runner) ok() bool {
	for _, s := range r.results {
		if !s.Verdict.ok() {
			return false
		}
	}
	return true
}

// summary prints the table of all steps.
func (r *runner) summary() {
	fmt.Fprintf(r.w, "\n== summary\n")
	tw := tabwriter.NewWriter(r.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tstep\tverdict\ttime\tdetail")
	for i, s := range r.results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i+1, s.Name, s.Verdict, roundDuration(s.Took), clip(s.Detail, 72))
	}
	tw.Flush()
}

func roundDuration(d time.Duration) string {
	if d < time.Millisecond {
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// joinReasons keeps a reason list on one line.
func joinReasons(rs []string) string { return strings.Join(rs, "; ") }
