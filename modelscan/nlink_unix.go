//go:build unix

package modelscan

import (
	"io/fs"
	"syscall"
)

// linkCount is the number of directory entries naming the file.
func linkCount(st fs.FileInfo) uint64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Nlink)
	}
	return 1
}
