package provenance

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; every error this package returns for bad input wraps one
// of them, so callers can branch with errors.Is.
var (
	// ErrMalformed: the input is not well-formed JSON of the expected shape.
	ErrMalformed = errors.New("malformed input")
	// ErrPayloadType: a DSSE envelope's payloadType is not an in-toto Statement.
	ErrPayloadType = errors.New("unexpected payloadType")
	// ErrStatementType: the Statement `_type` is not in-toto Statement v1.
	ErrStatementType = errors.New("unsupported statement _type")
	// ErrPredicateType: the Statement's predicateType is not SLSA Provenance v1.
	ErrPredicateType = errors.New("unsupported predicateType")
	// ErrSignature: no signature verified with the keys given.
	ErrSignature = errors.New("signature verification failed")
	// ErrTooLarge: the input exceeds the size or nesting limits.
	ErrTooLarge = errors.New("input too large")
	// ErrDuplicateKey: a JSON object repeats a key; readers disagree on which
	// value wins, so such input is rejected outright.
	ErrDuplicateKey = errors.New("duplicate JSON key")
)

// FormatError reports input that could not be read, naming the input.
type FormatError struct {
	Input  string // what was being read: a file name or "envelope", "statement", "policy"
	Reason string
	Err    error // one of the sentinel errors, or nil
}

func (e *FormatError) Error() string {
	reason := oneLine(e.Reason)
	if e.Err != nil && reason != "" {
		return fmt.Sprintf("provenance: %s: %v: %s", e.Input, e.Err, reason)
	}
	if e.Err != nil {
		return fmt.Sprintf("provenance: %s: %v", e.Input, e.Err)
	}
	return fmt.Sprintf("provenance: %s: %s", e.Input, reason)
}

// oneLine joins the lines of a reason (the YAML parser reports
// "unmarshal errors:" and each error on lines of their own) so that an
// error is one line in a log or a CLI's output.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

func (e *FormatError) Unwrap() error {
	if e.Err == nil {
		return ErrMalformed
	}
	return e.Err
}
