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

// fileID is the device and inode of a file: which file it is, whatever
// its name.
type fileID struct{ dev, ino uint64 }

func idOf(info fs.FileInfo) (fileID, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true
}
