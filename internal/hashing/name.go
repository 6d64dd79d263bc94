package hashing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrBadName reports a path name that is not a clean, relative,
// slash-separated UTF-8 name.
var ErrBadName = errors.New("not a clean relative path")

// CheckName reports whether name is safe to join to a root directory: a
// non-empty, valid UTF-8, slash-separated relative path with no empty, "."
// or ".." component, no NUL and no backslash. Names read from a signature or
// manifest are untrusted; they must pass CheckName before they reach the
// file system.
func CheckName(name string) error {
	if err := badName(name); err != nil {
		return fmt.Errorf("hashing: name %q: %w", name, err)
	}
	return nil
}

// badName is CheckName's verdict without the name: ErrBadName and why.
func badName(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "empty"
	case !utf8.ValidString(name):
		reason = "not valid UTF-8"
	case strings.ContainsRune(name, 0):
		reason = "contains NUL"
	case strings.ContainsRune(name, '\\'):
		reason = "contains a backslash"
	case name[0] == '/':
		reason = "absolute"
	default:
	components:
		for c := range strings.SplitSeq(name, "/") {
			switch c {
			case "":
				reason = "has an empty component"
			case ".":
				reason = `has a "." component`
			case "..":
				reason = `has a ".." component`
			}
			if reason != "" {
				break components
			}
		}
	}
	if reason == "" {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrBadName, reason)
}

// QuoteName returns name as it can be shown on one line of output or in
// an error: unchanged when it is printable UTF-8 with no quote at its
// start, otherwise Go-quoted (strconv.Quote), so that a newline or other
// control character in a file name cannot forge a line of output.
func QuoteName(name string) string {
	if name != "" && name[0] != '"' && utf8.ValidString(name) && !strings.ContainsFunc(name, func(r rune) bool {
		return !unicode.IsPrint(r) && r != ' '
	}) {
		return name
	}
	return strconv.Quote(name)
}
