package provenance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits for untrusted JSON. An envelope with 10,000 subjects is about
// 2 MB, so MaxDocumentSize leaves ample room; MaxDepth is far deeper than
// any legitimate statement or policy and keeps hostile nesting cheap.
const (
	MaxDocumentSize = 64 << 20
	MaxDepth        = 64
)

// checkJSON walks data once as a token stream and rejects what
// encoding/json would silently accept: duplicate object keys, nesting
// deeper than MaxDepth, trailing data, and documents over MaxDocumentSize.
func checkJSON(input string, data []byte) error {
	if len(data) > MaxDocumentSize {
		return &FormatError{Input: input, Err: ErrTooLarge, Reason: fmt.Sprintf("%d bytes, limit %d", len(data), MaxDocumentSize)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// One frame per open container: for objects, the keys seen so far and
	// whether the next string token is a key.
	type frame struct {
		keys      map[string]struct{}
		expectKey bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) != 0 {
				return &FormatError{Input: input, Err: ErrMalformed, Reason: "unexpected end of JSON"}
			}
			return nil
		}
		if err != nil {
			return &FormatError{Input: input, Err: ErrMalformed, Reason: err.Error()}
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.keys != nil {
					top.expectKey = true
				}
				if len(stack) >= MaxDepth {
					return &FormatError{Input: input, Err: ErrTooLarge, Reason: fmt.Sprintf("nested deeper than %d", MaxDepth)}
				}
				f := &frame{}
				if d == '{' {
					f.keys = map[string]struct{}{}
					f.expectKey = true
				}
				stack = append(stack, f)
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) == 0 && dec.More() {
					return &FormatError{Input: input, Err: ErrMalformed, Reason: "data after the JSON document"}
				}
			}
			continue
		}
		if top == nil {
			// A bare scalar document: fine for checkJSON, the caller's
			// Unmarshal into a struct rejects it.
			continue
		}
		if top.keys != nil {
			if top.expectKey {
				k, _ := tok.(string)
				if _, dup := top.keys[k]; dup {
					return &FormatError{Input: input, Err: ErrDuplicateKey, Reason: fmt.Sprintf("key %q", k)}
				}
				top.keys[k] = struct{}{}
				top.expectKey = false
			} else {
				top.expectKey = true
			}
		}
	}
}

// decodeStrict checks data with checkJSON and unmarshals it into v.
func decodeStrict(input string, data []byte, v any) error {
	if err := checkJSON(input, data); err != nil {
		return err
	}
	return unmarshal(input, data, v)
}

// unmarshal is json.Unmarshal with errors naming input; data must have
// passed checkJSON.
func unmarshal(input string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return &FormatError{Input: input, Err: ErrMalformed, Reason: err.Error()}
	}
	return nil
}
