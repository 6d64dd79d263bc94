package strictjson

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	atDepth := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	many := `{` + strings.Repeat(`"k":1,`, 0)
	for i := 0; i < 40; i++ {
		many += `"k` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `":1,`
	}
	for _, tc := range []struct {
		name, doc string
		kind      Kind
		ok        bool
	}{
		{name: "plain", doc: `{"a":1,"b":{"a":2},"c":[{"a":1},{"a":1}]}`, ok: true},
		{name: "at depth limit", doc: atDepth, ok: true},
		{name: "duplicate", doc: `{"a":1,"a":2}`, kind: DuplicateKey},
		{name: "duplicate by escape", doc: `{"_type":1,"\u005ftype":2}`, kind: DuplicateKey},
		{name: "duplicate nested", doc: `{"x":[{"b":1,"b":2}]}`, kind: DuplicateKey},
		{name: "duplicate in a large object", doc: many + `"kaa":2}`, kind: DuplicateKey},
		{name: "too deep", doc: deep, kind: TooLarge},
		{name: "unterminated", doc: `{"a":"`, kind: Malformed},
		{name: "unbalanced", doc: `{"a":1}}`, kind: Malformed},
		{name: "truncated", doc: `{"a":[1`, kind: Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check([]byte(tc.doc))
			if tc.ok {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tc.kind, e.Kind, "%v", err)
			require.NotContains(t, err.Error(), "\n")
		})
	}
	err := Check(make([]byte, MaxSize+1))
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, TooLarge, e.Kind)
	require.Equal(t, "input too large: 67108865 bytes, limit 67108864", err.Error())
}

func TestDecode(t *testing.T) {
	var v struct{ A int }
	require.NoError(t, Decode([]byte(`{"A":1}`), &v))
	require.Equal(t, 1, v.A)
	err := Decode([]byte(`{"A":"x"}`), &v)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, Malformed, e.Kind)
	err = Decode([]byte(`{"A":1,"A":2}`), &v)
	require.ErrorAs(t, err, &e)
	require.Equal(t, DuplicateKey, e.Kind)
	require.Equal(t, `duplicate JSON key: key "A"`, err.Error())
}

// FuzzCheck compares the fast duplicate-key and depth check with the
// tokenizer-based reference on input encoding/json accepts.
func FuzzCheck(f *testing.F) {
	for _, glob := range []string{"../../provenance/testdata/statement/*.json", "../../provenance/testdata/envelope/*.json", "../../signing/testdata/statements/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"a":1,"\u0061":2}`))
	f.Add([]byte(`{"a":{"b":[{"c":"\"}","c":1}]}}`))
	f.Add([]byte(strings.Repeat(`[`, MaxDepth+1) + strings.Repeat(`]`, MaxDepth+1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		fast := Check(data)
		ref := checkTokens(data)
		kind := func(err error) Kind {
			var e *Error
			if errors.As(err, &e) {
				return e.Kind
			}
			return -1
		}
		if (fast == nil) != (ref == nil) || (fast != nil && kind(fast) != kind(ref)) {
			t.Fatalf("%s: fast %v, reference %v", data, fast, ref)
		}
	})
}
