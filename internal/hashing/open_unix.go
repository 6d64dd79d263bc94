//go:build unix

package hashing

import "syscall"

// openNoFollow refuses to open a final symbolic link, so a file replaced by
// a link after it was listed is not followed.
const openNoFollow = syscall.O_NOFOLLOW
