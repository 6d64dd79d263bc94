//go:build unix

package hashing

import "syscall"

// openNoFollow refuses to open a final symbolic link, so a file replaced by
// a link after it was listed is not followed. openNonBlock keeps a file
// swapped for a named pipe from blocking the open; it has no effect on a
// regular file.
const (
	openNoFollow = syscall.O_NOFOLLOW
	openNonBlock = syscall.O_NONBLOCK
)
