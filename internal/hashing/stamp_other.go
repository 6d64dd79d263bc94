//go:build !unix

package hashing

import "io/fs"

// Without inode and ctime a file's identity cannot be trusted, so the
// cache is never used.
func stampOf(fs.FileInfo) (stamp, bool) { return stamp{}, false }

// fileID would identify a file; without inodes it is never known.
type fileID struct{}

func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }
