package validation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxJSONDepth bounds the nesting of a JSON document validation reads
// (a schema, a baseline): far deeper than any real one, and it keeps a
// hostile document from exhausting the stack.
const maxJSONDepth = 128

// decodeJSONStrict decodes one JSON value with numbers as json.Number,
// refusing what encoding/json silently accepts: a key repeated in an
// object (the last one would win, unseen by a reviewer who reads the
// first), nesting deeper than maxJSONDepth, and data after the value.
func decodeJSONStrict(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := readJSONValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the JSON value at offset %d", dec.InputOffset())
	}
	return v, nil
}

func readJSONValue(dec *json.Decoder, depth int) (any, error) {
	t, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	d, ok := t.(json.Delim)
	if !ok {
		return t, nil // string, json.Number, bool or nil
	}
	if depth >= maxJSONDepth {
		return nil, fmt.Errorf("nested deeper than %d at offset %d", maxJSONDepth, dec.InputOffset())
	}
	switch d {
	case '{':
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			k, _ := kt.(string)
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("duplicate key %q at offset %d", k, dec.InputOffset())
			}
			if m[k], err = readJSONValue(dec, depth+1); err != nil {
				return nil, err
			}
		}
		_, err = dec.Token()
		return m, err
	case '[':
		l := []any{}
		for dec.More() {
			v, err := readJSONValue(dec, depth+1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		_, err = dec.Token()
		return l, err
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", d, dec.InputOffset())
}

// unmarshalJSONStrict is json.Unmarshal after decodeJSONStrict's checks.
func unmarshalJSONStrict(data []byte, v any) error {
	if _, err := decodeJSONStrict(data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
