// Command driftmonitor watches a stream of batches for drift against a
// reference profile, as a model server's sidecar would: the reference is
// profiled once from the training data and kept as a small JSON file, each
// incoming batch is profiled and compared with it, and every batch gets a
// verdict line and an HTML report. Batches also merge into a running
// window profile, so the window's drift is known without re-reading them.
//
// The data is synthetic card payments: amount, hour of day, merchant
// category and channel. From day 8 on, amounts creep up and online
// payments take over, as a fraud ring or a new product launch would cause.
//
// Usage:
//
//	go run ./examples/driftmonitor [-out DIR] [-days N] [-window N]
//
// It exits 0 when the stream was monitored (drift is reported, not an
// error), 1 when a batch could not be checked, 2 on bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/mlsec-dev/mlsec/drift"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("driftmonitor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "output folder (default: a fresh temporary folder)")
	days := fs.Int("days", 14, "daily batches to monitor")
	window := fs.Int("window", 7, "days in the rolling window profile")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || *days < 1 || *window < 1 {
		fmt.Fprintln(stderr, "driftmonitor: takes no arguments; -days and -window must be positive")
		return 2
	}
	if *out == "" {
		dir, err := os.MkdirTemp("", "mlsec-driftmonitor-")
		if err != nil {
			fmt.Fprintln(stderr, "driftmonitor:", err)
			return 2
		}
		*out = dir
	}
	if err := monitor(ctx, stdout, *out, *days, *window); err != nil {
		fmt.Fprintln(stderr, "driftmonitor:", err)
		return 1
	}
	return 0
}

// rule is the alerting rule: automatic test choice per column, and a batch
// has drifted when half of its columns have (Evidently's default share).
var rule = drift.CompareOptions{DriftShare: 0.5}

func monitor(ctx context.Context, w io.Writer, out string, days, window int) error {
	if err := os.MkdirAll(filepath.Join(out, "reports"), 0o755); err != nil {
		return err
	}
	// 1. Profile the training data once and keep only the profile: the
	// monitor never needs the training rows again.
	refPath := filepath.Join(out, "reference.json")
	train := payments(1, 50_000, 0)
	ref := drift.NewProfile(drift.ProfileOptions{})
	if err := ref.AddRecord(train); err != nil {
		return err
	}
	train.Release()
	if err := ref.WriteFile(refPath); err != nil {
		return err
	}
	st, err := os.Stat(refPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "reference profile: %d rows -> %s (%d KiB)\n\n", ref.Rows(), refPath, st.Size()/1024)

	// 2. Reload it as a separate monitoring process would.
	ref, err = drift.ReadProfileFile(refPath)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "%-6s %6s  %-8s %-7s %s\n", "batch", "rows", "verdict", "share", "drifted columns")
	var recent []*drift.Profile
	alerts := 0
	for day := 1; day <= days; day++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := payments(uint64(100+day), 2_000, shiftOn(day))
		cur := drift.NewProfile(drift.ProfileOptions{})
		err := cur.AddRecord(batch)
		batch.Release()
		if err != nil {
			return fmt.Errorf("day %d: %w", day, err)
		}
		rep, err := drift.Compare(ref, cur, rule)
		if err != nil {
			return fmt.Errorf("day %d: %w", day, err)
		}
		html := filepath.Join(out, "reports", fmt.Sprintf("day-%02d.html", day))
		if err := rep.WriteHTMLFile(html); err != nil {
			return err
		}
		verdict := "ok"
		if rep.Dataset.Drifted {
			verdict = "DRIFT"
			alerts++
		}
		line := fmt.Sprintf("day %-2d %6d  %-8s %-7s %s", day, cur.Rows(), verdict,
			fmt.Sprintf("%d/%d", rep.Dataset.DriftedColumns, rep.Dataset.TestedColumns), strings.Join(drifted(rep), ", "))
		fmt.Fprintln(w, strings.TrimRight(line, " "))

		recent = append(recent, cur)
		if len(recent) > window {
			recent = recent[1:]
		}
	}

	// 3. The window: merge the last days' profiles (no batch is re-read)
	// and compare the merged profile with the reference.
	win := drift.NewProfile(drift.ProfileOptions{})
	for _, p := range recent {
		if err := win.Merge(p); err != nil {
			return err
		}
	}
	rep, err := drift.Compare(ref, win, rule)
	if err != nil {
		return err
	}
	winHTML := filepath.Join(out, "reports", "window.html")
	if err := rep.WriteHTMLFile(winHTML); err != nil {
		return err
	}
	if err := rep.WriteJSONFile(filepath.Join(out, "reports", "window.json")); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwindow of the last %d days (%d rows, merged profiles): drifted %v, %d/%d columns: %s\n",
		len(recent), win.Rows(), rep.Dataset.Drifted, rep.Dataset.DriftedColumns, rep.Dataset.TestedColumns, strings.Join(drifted(rep), ", "))
	fmt.Fprintf(w, "%d of %d batches drifted; HTML reports in %s\n", alerts, days, filepath.Join(out, "reports"))
	return nil
}

// shiftOn is how far the stream has moved on a given day: nothing for a
// week, then a steady creep.
func shiftOn(day int) float64 { return math.Max(0, float64(day-7)) / 7 }

func drifted(rep *drift.Report) []string {
	var out []string
	for _, c := range rep.Columns {
		if c.Drifted {
			out = append(out, fmt.Sprintf("%s (%s %.2f)", c.Column, c.Test, c.Statistic))
		}
	}
	return out
}

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
	{Name: "hour", Type: arrow.PrimitiveTypes.Int64},
	{Name: "merchant_category", Type: arrow.BinaryTypes.String},
	{Name: "channel", Type: arrow.BinaryTypes.String},
}, nil)

var categories = []string{"grocery", "fuel", "restaurants", "travel", "electronics", "pharmacy", "apparel", "digital_goods"}

// payments makes n card payments from seed; shift (0 = none, 1 = full)
// raises amounts, moves spending to electronics and digital goods, and
// moves it online and to the night.
func payments(seed uint64, n int, shift float64) arrow.Record {
	r := rand.New(rand.NewPCG(seed, 0x706179))
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	amount := b.Field(0).(*array.Float64Builder)
	hour := b.Field(1).(*array.Int64Builder)
	cat := b.Field(2).(*array.StringBuilder)
	channel := b.Field(3).(*array.StringBuilder)
	for range n {
		amount.Append(math.Round(math.Exp(3.4+0.25*shift+0.9*r.NormFloat64())*100) / 100)
		h := int64(math.Mod(14+4.5*r.NormFloat64()-6*shift*r.Float64()+24, 24))
		hour.Append(h)
		c := categories[r.IntN(len(categories))]
		if r.Float64() < 0.4*shift {
			c = categories[4+3*r.IntN(2)] // electronics or digital_goods
		}
		cat.Append(c)
		if r.Float64() < 0.35+0.45*shift {
			channel.Append("online")
		} else {
			channel.Append("in_store")
		}
	}
	return b.NewRecord()
}
