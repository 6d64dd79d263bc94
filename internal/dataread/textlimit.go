package dataread

import (
	"bytes"
	"io"
)

// utf8BOM is the byte order mark some tools (Excel among them) write at
// the start of a UTF-8 CSV file; it is not part of the first column name.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvGuard sits between a CSV/TSV file and the CSV parser: it drops a
// leading UTF-8 BOM and stops with a *LimitError when a field or a record
// grows past its limit, so a file without delimiters cannot make the
// parser buffer it whole. It follows quoting the way encoding/csv does
// (a quote toggles the quoted state; a doubled quote toggles it twice),
// so newlines and delimiters inside quotes do not end a field.
type csvGuard struct {
	r        io.Reader
	comma    byte
	maxField int64
	maxLine  int64
	start    bool // the BOM check is still to do
	quoted   bool
	field    int64 // bytes of the current field
	line     int64 // bytes of the current record
	err      error
}

func newCSVGuard(r io.Reader, comma rune, opts Options) *csvGuard {
	return &csvGuard{r: r, comma: byte(comma), maxField: opts.MaxFieldBytes, maxLine: opts.MaxLineBytes, start: true}
}

func (g *csvGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if g.start && n > 0 {
		// A read shorter than the BOM at the very start is unusual
		// enough (os.File reads whole buffers) to check only what came.
		g.start = false
		if bytes.HasPrefix(p[:n], utf8BOM) {
			n = copy(p, p[len(utf8BOM):n])
		}
	}
	for i, c := range p[:n] {
		switch {
		case c == '"':
			g.quoted = !g.quoted
		case g.quoted:
		case c == '\n':
			g.field, g.line = 0, 0
			continue
		case c == g.comma:
			g.field = 0
		}
		g.field++
		g.line++
		if g.field > g.maxField {
			g.err = &LimitError{Limit: "MaxFieldBytes", Max: g.maxField, What: "CSV field"}
		} else if g.line > g.maxLine {
			g.err = &LimitError{Limit: "MaxLineBytes", Max: g.maxLine, What: "CSV record"}
		}
		if g.err != nil {
			// Hand over what came before, so the parser's line count
			// stays right; the next Read returns the error.
			return i, nil
		}
	}
	return n, err
}
