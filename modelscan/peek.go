package modelscan

import (
	"bufio"
	"io"
)

func newPeekReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, 64) }
