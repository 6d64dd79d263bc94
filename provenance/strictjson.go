package provenance

import (
	"encoding/json"
	"errors"

	"github.com/mlsec-dev/mlsec/internal/strictjson"
)

// Limits for untrusted JSON. An envelope with 10,000 subjects is about
// 2 MB, so MaxDocumentSize leaves ample room; MaxDepth is far deeper than
// any legitimate statement or policy and keeps hostile nesting cheap.
const (
	MaxDocumentSize = strictjson.MaxSize
	MaxDepth        = strictjson.MaxDepth
)

// checkJSON rejects what encoding/json would silently accept: duplicate
// object keys, nesting deeper than MaxDepth, and documents over
// MaxDocumentSize.
func checkJSON(input string, data []byte) error {
	return formatError(input, strictjson.Check(data))
}

// decodeStrict checks data with checkJSON and unmarshals it into v.
func decodeStrict(input string, data []byte, v any) error {
	return formatError(input, strictjson.Decode(data, v))
}

// unmarshal is json.Unmarshal with errors naming input; data must have
// passed checkJSON.
func unmarshal(input string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return &FormatError{Input: input, Err: ErrMalformed, Reason: err.Error()}
	}
	return nil
}

// formatError turns an error of the shared codec into a *FormatError
// naming input, with this package's sentinel for its kind.
func formatError(input string, err error) error {
	var se *strictjson.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	sentinel := ErrMalformed
	switch se.Kind {
	case strictjson.TooLarge:
		sentinel = ErrTooLarge
	case strictjson.DuplicateKey:
		sentinel = ErrDuplicateKey
	}
	return &FormatError{Input: input, Err: sentinel, Reason: se.Reason}
}
