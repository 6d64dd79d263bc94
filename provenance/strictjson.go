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

// checkJSON rejects what encoding/json would silently accept: duplicate
// object keys, nesting deeper than MaxDepth, and documents over
// MaxDocumentSize. It is a single pass over the bytes that does not
// validate the grammar (json.Unmarshal, which always follows, does): on
// well-formed input it agrees with checkJSONTokens, the reference the
// fuzz tests compare it with.
func checkJSON(input string, data []byte) error {
	if len(data) > MaxDocumentSize {
		return &FormatError{Input: input, Err: ErrTooLarge, Reason: fmt.Sprintf("%d bytes, limit %d", len(data), MaxDocumentSize)}
	}
	type frame struct {
		object    bool
		expectKey bool
		keys      []string            // the keys of a small object
		set       map[string]struct{} // of a large one
	}
	stack := make([]frame, 0, 16)
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{', '[':
			if len(stack) >= MaxDepth {
				return &FormatError{Input: input, Err: ErrTooLarge, Reason: fmt.Sprintf("nested deeper than %d", MaxDepth)}
			}
			stack = append(stack, frame{object: c == '{', expectKey: c == '{'})
		case '}', ']':
			if len(stack) == 0 {
				return &FormatError{Input: input, Err: ErrMalformed, Reason: fmt.Sprintf("unexpected %q at offset %d", c, i)}
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].expectKey = true
			}
		case '"':
			start := i
			escaped := false
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					escaped = true
					i++
				}
			}
			if i >= len(data) {
				return &FormatError{Input: input, Err: ErrMalformed, Reason: "unterminated string"}
			}
			if len(stack) == 0 || !stack[len(stack)-1].object || !stack[len(stack)-1].expectKey {
				continue
			}
			f := &stack[len(stack)-1]
			f.expectKey = false
			raw := data[start : i+1]
			var key string
			if escaped {
				// "\u005ftype" is "_type": compare keys as decoded.
				if err := json.Unmarshal(raw, &key); err != nil {
					return &FormatError{Input: input, Err: ErrMalformed, Reason: err.Error()}
				}
			} else {
				key = string(raw[1 : len(raw)-1])
			}
			if f.set == nil && len(f.keys) >= 16 {
				f.set = make(map[string]struct{}, 2*len(f.keys))
				for _, k := range f.keys {
					f.set[k] = struct{}{}
				}
				f.keys = nil
			}
			dup := false
			if f.set != nil {
				_, dup = f.set[key]
				f.set[key] = struct{}{}
			} else {
				for _, k := range f.keys {
					if k == key {
						dup = true
						break
					}
				}
				f.keys = append(f.keys, key)
			}
			if dup {
				return &FormatError{Input: input, Err: ErrDuplicateKey, Reason: fmt.Sprintf("key %q", key)}
			}
		}
	}
	if len(stack) != 0 {
		return &FormatError{Input: input, Err: ErrMalformed, Reason: "unexpected end of JSON"}
	}
	return nil
}

// checkJSONTokens is checkJSON written with encoding/json's tokenizer:
// slower, obviously right, kept as the reference for differential fuzzing.
func checkJSONTokens(input string, data []byte) error {
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
