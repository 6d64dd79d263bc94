package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	e := &env{stderr: &buf, terminal: true}
	p := newProgressBar(e, "hashing")
	p.update(0, 2_000_000)
	p.update(500_000, 2_000_000) // within 100 ms: skipped
	p.update(2_000_000, 2_000_000)
	p.done()
	out := buf.String()
	require.Contains(t, out, "hashing [..............................]   0% 0 B/2.0 MB")
	require.Contains(t, out, "hashing [##############################] 100% 2.0 MB/2.0 MB")
	require.NotContains(t, out, " 25% ")
	require.True(t, strings.HasSuffix(out, "\r\033[K"), "the line is cleared at the end")

	// Not a terminal, or --json: nothing at all.
	buf.Reset()
	for _, e := range []*env{{stderr: &buf}, {stderr: &buf, terminal: true, json: true}} {
		p := newProgressBar(e, "hashing")
		p.update(1, 2)
		p.update(2, 2)
		p.done()
	}
	require.Empty(t, buf.String())
}
