package secrets

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/mlsec-dev/mlsec/internal/credrules"
)

// A Redactor removes secrets from text: every value registered with Add,
// and every credential the scanner's rules recognise. It is safe for
// concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	values []string // longest first
	rep    *strings.Replacer
	set    *credrules.Set
}

// minRedactLen is the shortest value Add accepts: shorter ones would
// match everywhere and are not secrets worth the name.
const minRedactLen = 4

// NewRedactor returns a Redactor that knows the default credential rules
// and the given values.
func NewRedactor(values ...string) *Redactor {
	r := &Redactor{set: credrules.DefaultSet()}
	r.Add(values...)
	return r
}

// Add registers secret values to redact. Values shorter than 4 bytes are
// ignored.
func (r *Redactor) Add(values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) < minRedactLen {
			continue
		}
		r.values = append(r.values, v)
	}
	// Longest first, so a secret that contains another is removed whole.
	sort.Slice(r.values, func(i, j int) bool { return len(r.values[i]) > len(r.values[j]) })
	args := make([]string, 0, 2*len(r.values))
	for _, v := range r.values {
		args = append(args, v, Redacted)
	}
	r.rep = strings.NewReplacer(args...)
}

// AddSecret registers the value of s.
func (r *Redactor) AddSecret(s Secret) { r.Add(string(s.Bytes())) }

// Redact returns s with every registered value and recognised credential
// replaced by [Redacted].
func (r *Redactor) Redact(s string) string {
	r.mu.RLock()
	rep := r.rep
	r.mu.RUnlock()
	if rep != nil {
		s = rep.Replace(s)
	}
	matches := r.set.Find([]byte(s))
	if len(matches) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		if m.Start < last {
			if m.End > last {
				last = m.End
			}
			continue
		}
		b.WriteString(s[last:m.Start])
		b.WriteString(Redacted)
		last = m.End
	}
	b.WriteString(s[last:])
	return b.String()
}

// sensitiveKey matches attribute names whose values are secrets whatever
// they look like.
var sensitiveKey = regexp.MustCompile(`(?i)(passw|secret|token|api_?key|apikey|credential|private_?key|^pin$|pin_?value|authorization|cookie)`)

// Handler wraps h so that log records lose every secret: the message,
// attribute values (strings, errors, anything printed with %v) and group
// members are redacted, and attributes with secret-like names (password,
// token, api_key, ...) are replaced whole.
func (r *Redactor) Handler(h slog.Handler) slog.Handler { return &redactHandler{r: r, h: h} }

type redactHandler struct {
	r *Redactor
	h slog.Handler
}

func (rh *redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return rh.h.Enabled(ctx, l) }

func (rh *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, rh.r.Redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(rh.r.attr(a))
		return true
	})
	return rh.h.Handle(ctx, out)
}

func (rh *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = rh.r.attr(a)
	}
	return &redactHandler{r: rh.r, h: rh.h.WithAttrs(red)}
}

func (rh *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{r: rh.r, h: rh.h.WithGroup(name)}
}

func (r *Redactor) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		g := v.Group()
		red := make([]any, len(g))
		for i, m := range g {
			red[i] = r.attr(m)
		}
		return slog.Group(a.Key, red...)
	}
	if sensitiveKey.MatchString(a.Key) && v.Kind() != slog.KindBool {
		return slog.String(a.Key, Redacted)
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, r.Redact(v.String()))
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			s = x.Error()
		case []byte:
			s = string(x)
		default:
			s = fmt.Sprintf("%+v", x)
		}
		if red := r.Redact(s); red != s {
			return slog.String(a.Key, red)
		}
		if _, isErr := v.Any().(error); isErr {
			return slog.String(a.Key, s)
		}
		return slog.Attr{Key: a.Key, Value: v}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// Writer returns an io.WriteCloser that redacts what is written through it
// before passing it on to w. It works line by line, so a secret split
// across two Write calls is still caught; Close flushes the last partial
// line (it does not close w).
func (r *Redactor) Writer(w io.Writer) io.WriteCloser { return &redactWriter{r: r, w: w} }

type redactWriter struct {
	r   *Redactor
	w   io.Writer
	buf []byte
	mu  sync.Mutex
}

// maxPending bounds the partial line kept back when no newline comes.
const maxPending = 64 << 10

func (rw *redactWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.buf = append(rw.buf, p...)
	cut := bytes.LastIndexByte(rw.buf, '\n') + 1
	if cut == 0 && len(rw.buf) > maxPending {
		// A line longer than maxPending: flush part of it, cutting before
		// any secret that would straddle the cut.
		cut = rw.r.safeCut(rw.buf, len(rw.buf)-credrules.MaxWindow)
	}
	if cut > 0 {
		if _, err := io.WriteString(rw.w, rw.r.Redact(string(rw.buf[:cut]))); err != nil {
			return 0, err
		}
		rw.buf = rw.buf[:copy(rw.buf, rw.buf[cut:])]
	}
	return len(p), nil
}

// safeCut moves cut back so that no registered value or recognised
// credential in buf spans it.
func (r *Redactor) safeCut(buf []byte, cut int) int {
	r.mu.RLock()
	values := r.values
	r.mu.RUnlock()
	for moved := true; moved && cut > 0; {
		moved = false
		for _, m := range r.set.Find(buf) {
			if m.Start < cut && cut < m.End {
				cut, moved = m.Start, true
			}
		}
		for _, v := range values {
			lo := max(0, cut-len(v)+1)
			hi := min(len(buf), cut+len(v)-1)
			if i := bytes.Index(buf[lo:hi], []byte(v)); i >= 0 {
				cut, moved = lo+i, true
			}
		}
	}
	return cut
}

func (rw *redactWriter) Close() error {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if len(rw.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(rw.w, rw.r.Redact(string(rw.buf)))
	rw.buf = nil
	return err
}
