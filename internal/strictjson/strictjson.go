// Package strictjson checks untrusted JSON for what encoding/json would
// silently accept: duplicate object keys (readers disagree on which value
// wins, so a signed document could mean two things), nesting deeper than
// [MaxDepth], and documents over [MaxSize]. Every JSON document mlsec
// parses from outside (envelopes, bundles, statements, policies,
// manifests) passes [Check] before it is decoded.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Limits for untrusted JSON. An envelope with 10,000 subjects is about
// 2 MB, so MaxSize leaves ample room; MaxDepth is far deeper than any
// legitimate statement or policy and keeps hostile nesting cheap.
const (
	MaxSize  = 64 << 20
	MaxDepth = 64
)

// Kind says what is wrong with a document.
type Kind int

const (
	// Malformed: not JSON (Check only notices what its scan needs).
	Malformed Kind = iota
	// TooLarge: over MaxSize bytes or nested deeper than MaxDepth.
	TooLarge
	// DuplicateKey: an object repeats a key.
	DuplicateKey
)

// Error is what Check and Decode return for bad input. Callers map Kind to
// their own sentinel errors and name the input.
type Error struct {
	Kind   Kind
	Reason string
}

func (e *Error) Error() string {
	switch e.Kind {
	case TooLarge:
		return "input too large: " + e.Reason
	case DuplicateKey:
		return "duplicate JSON key: " + e.Reason
	}
	return "malformed input: " + e.Reason
}

// Decode checks data with Check, then unmarshals it into v; a decoding
// error is a Malformed *Error.
func Decode(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &Error{Kind: Malformed, Reason: err.Error()}
	}
	return nil
}

// Check rejects what encoding/json would silently accept: duplicate
// object keys, nesting deeper than MaxDepth, and documents over
// MaxSize. It is a single pass over the bytes that does not
// validate the grammar (json.Unmarshal, which always follows, does): on
// well-formed input it agrees with checkTokens, the reference the
// fuzz tests compare it with.
func Check(data []byte) error {
	if len(data) > MaxSize {
		return &Error{Kind: TooLarge, Reason: fmt.Sprintf("%d bytes, limit %d", len(data), MaxSize)}
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
				return &Error{Kind: TooLarge, Reason: fmt.Sprintf("nested deeper than %d", MaxDepth)}
			}
			stack = append(stack, frame{object: c == '{', expectKey: c == '{'})
		case '}', ']':
			if len(stack) == 0 {
				return &Error{Kind: Malformed, Reason: fmt.Sprintf("unexpected %q at offset %d", c, i)}
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
				return &Error{Kind: Malformed, Reason: "unterminated string"}
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
					return &Error{Kind: Malformed, Reason: err.Error()}
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
				return &Error{Kind: DuplicateKey, Reason: fmt.Sprintf("key %q", key)}
			}
		}
	}
	if len(stack) != 0 {
		return &Error{Kind: Malformed, Reason: "unexpected end of JSON"}
	}
	return nil
}

// checkTokens is Check written with encoding/json's tokenizer:
// slower, obviously right, kept as the reference for differential fuzzing.
func checkTokens(data []byte) error {
	if len(data) > MaxSize {
		return &Error{Kind: TooLarge, Reason: fmt.Sprintf("%d bytes, limit %d", len(data), MaxSize)}
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
				return &Error{Kind: Malformed, Reason: "unexpected end of JSON"}
			}
			return nil
		}
		if err != nil {
			return &Error{Kind: Malformed, Reason: err.Error()}
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
					return &Error{Kind: TooLarge, Reason: fmt.Sprintf("nested deeper than %d", MaxDepth)}
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
					return &Error{Kind: Malformed, Reason: "data after the JSON document"}
				}
			}
			continue
		}
		if top == nil {
			// A bare scalar document: fine for Check, the caller's
			// Unmarshal into a struct rejects it.
			continue
		}
		if top.keys != nil {
			if top.expectKey {
				k, _ := tok.(string)
				if _, dup := top.keys[k]; dup {
					return &Error{Kind: DuplicateKey, Reason: fmt.Sprintf("key %q", k)}
				}
				top.keys[k] = struct{}{}
				top.expectKey = false
			} else {
				top.expectKey = true
			}
		}
	}
}
