package drift

import (
	"encoding/json"
	"testing"
)

// FuzzParseProfile feeds arbitrary bytes to the profile parser: it must
// never panic, and whatever it accepts must re-encode to the same profile
// and be usable by Compare.
func FuzzParseProfile(f *testing.F) {
	x, k, c := makeTable(9, 200, 0)
	for _, opts := range []ProfileOptions{{}, {SketchK: 8, TopK: 1}, {Exact: true}} {
		p := profileOf(f, opts, x, k, c, 64)
		b, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"mlsec.drift.profile","version":1,"rows":0,"digest":"","rowset_sum":"","options":{"sketch_k":2048,"top_k":1000},"columns":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted profile does not re-encode: %v", err)
		}
		q, err := ParseProfile(again)
		if err != nil {
			t.Fatalf("re-encoded profile rejected: %v", err)
		}
		if q.Digest() != p.Digest() || q.Rows() != p.Rows() {
			t.Fatal("round trip changed the profile")
		}
		if p.Rows() > 0 {
			if _, err := Compare(p, q, CompareOptions{}); err != nil {
				t.Fatalf("compare of a profile with itself: %v", err)
			}
			m := p.Clone()
			if err := m.Merge(q); err != nil {
				t.Fatalf("merge with itself: %v", err)
			}
		}
	})
}
