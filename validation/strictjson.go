package validation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mlsec-dev/mlsec/internal/strictjson"
)

// maxJSONDepth bounds the nesting of a JSON document validation reads (a
// schema, a baseline): the shared limit of every JSON mlsec reads.
const maxJSONDepth = strictjson.MaxDepth

// decodeJSONStrict decodes one JSON value with numbers as json.Number,
// after the shared check (internal/strictjson) refuses what encoding/json
// silently accepts: a key repeated in an object (the last one would win,
// unseen by a reviewer who reads the first) and nesting deeper than
// maxJSONDepth. Data after the value is refused too.
func decodeJSONStrict(data []byte) (any, error) {
	if err := strictjson.Check(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("data after the JSON value at offset %d", dec.InputOffset())
	}
	return v, nil
}
