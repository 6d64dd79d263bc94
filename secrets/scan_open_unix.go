//go:build unix

package secrets

import "syscall"

// openNoFollow refuses a final symbolic link, so a file replaced by a link
// after it was listed is not followed; openNonBlock makes opening a file
// replaced by a named pipe return at once instead of waiting for a writer
// (the file is then refused as not regular).
const (
	openNoFollow = syscall.O_NOFOLLOW
	openNonBlock = syscall.O_NONBLOCK
)
