package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/mlsec-dev/mlsec/datafile"
)

// readLimits are the flags of every command that reads data files: each
// sets one of datafile.Options' resource limits, so that a user who meets a
// LimitError can raise the limit it names from the command line.
type readLimits struct {
	columns                     int
	page, rowGroup, field, line byteSize
}

// addReadLimits declares the limit flags on fs.
func addReadLimits(fs *flag.FlagSet) *readLimits {
	l := &readLimits{}
	fs.IntVar(&l.columns, "max-columns", 0, fmt.Sprintf("most columns read from a file (default %d; -1: no limit)", datafile.DefaultMaxColumns))
	fs.Var(&l.page, "max-page-bytes", fmt.Sprintf("largest decompressed Parquet page, e.g. 256Mi (default %s; -1: no limit)", fmtSize(datafile.DefaultMaxPageBytes)))
	fs.Var(&l.rowGroup, "max-row-group-bytes", fmt.Sprintf("largest decompressed Parquet row group read (default %s; -1: no limit)", fmtSize(datafile.DefaultMaxRowGroupBytes)))
	fs.Var(&l.field, "max-field-bytes", fmt.Sprintf("largest CSV/TSV field (default %s; -1: no limit)", fmtSize(datafile.DefaultMaxFieldBytes)))
	fs.Var(&l.line, "max-line-bytes", fmt.Sprintf("largest CSV/TSV record or JSON Lines line (default %s; -1: no limit)", fmtSize(datafile.DefaultMaxLineBytes)))
	return l
}

// options returns reader options carrying the limits (nil l: defaults).
func (l *readLimits) options() datafile.Options {
	if l == nil {
		return datafile.Options{}
	}
	return datafile.Options{MaxColumns: l.columns, MaxPageBytes: int64(l.page),
		MaxRowGroupBytes: int64(l.rowGroup), MaxFieldBytes: int64(l.field), MaxLineBytes: int64(l.line)}
}

// byteSize is a flag value in bytes with an optional binary or decimal
// suffix (Ki, Mi, Gi, Ti; K, M, G, T): 64Mi, 1G, 4096. -1 means no limit.
type byteSize int64

var sizeSuffixes = []struct {
	suffix string
	mult   int64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
}

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(v)
	return nil
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "-1" {
		return -1, nil
	}
	mult := int64(1)
	for _, x := range sizeSuffixes {
		if rest, ok := strings.CutSuffix(s, x.suffix); ok {
			s, mult = rest, x.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("want a size such as 4096, 64Mi or 2G, or -1 for no limit")
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("size too large")
	}
	return n * mult, nil
}

func fmtSize(n int64) string {
	for _, x := range sizeSuffixes[:4] {
		if n >= x.mult && n%x.mult == 0 && (n/x.mult < 1024 || x.suffix == "Ti") {
			return fmt.Sprintf("%d%s", n/x.mult, x.suffix)
		}
	}
	return strconv.FormatInt(n, 10)
}

// limitHint names the flag that raises the reading limit err hit, when
// the command has one.
func limitHint(err error, fs *flag.FlagSet) string {
	var le *datafile.LimitError
	if !errors.As(err, &le) {
		return ""
	}
	name := map[string]string{"MaxColumns": "max-columns", "MaxPageBytes": "max-page-bytes",
		"MaxRowGroupBytes": "max-row-group-bytes", "MaxFieldBytes": "max-field-bytes", "MaxLineBytes": "max-line-bytes"}[le.Limit]
	if name == "" || fs.Lookup(name) == nil {
		return ""
	}
	return fmt.Sprintf("(to read such files, raise the limit with --%s)", name)
}
