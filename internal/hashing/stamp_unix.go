//go:build unix

package hashing

import (
	"io/fs"
	"syscall"
)

func stampOf(info fs.FileInfo) (stamp, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return stamp{}, false
	}
	return stamp{
		Size:  info.Size(),
		MTime: info.ModTime().UnixNano(),
		CTime: ctimeNano(st),
		Inode: uint64(st.Ino),
		Dev:   uint64(st.Dev),
	}, true
}
