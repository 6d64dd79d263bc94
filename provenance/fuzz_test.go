package provenance_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlsec-dev/mlsec/provenance"
)

func addSeeds(f *testing.F, glob string) {
	files, err := filepath.Glob(glob)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzReadEnvelopes: any input is read or refused with an error, never a
// panic; what is read writes back and reads again the same.
func FuzzReadEnvelopes(f *testing.F) {
	addSeeds(f, "testdata/envelope/*.json")
	addSeeds(f, "testdata/pinned/*")
	f.Add([]byte("{}\n{}\n"))
	// Hostile shapes: too many signatures, unpadded base64, a key twice.
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30","signatures":[` + strings.Repeat(`{"sig":"c2ln"},`, provenance.MaxSignatures) + `{"sig":"c2ln"}]}`))
	f.Add([]byte(`{"payloadType":"a","payload":"e30","payload":"e30=","signatures":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		envs, err := provenance.ReadEnvelopes("fuzz", data)
		if err != nil {
			return
		}
		for _, env := range envs {
			b, err := provenance.MarshalEnvelope(env)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := provenance.ParseEnvelope(b); err != nil {
				t.Fatalf("re-read: %v", err)
			}
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	addSeeds(f, "testdata/statement/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := provenance.ParseStatement(data)
		if err != nil {
			return
		}
		b, err := st.Marshal()
		if err != nil {
			t.Fatalf("a parsed statement does not marshal: %v", err)
		}
		if _, err := provenance.ParseStatement(b); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	addSeeds(f, "testdata/policy/*")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := provenance.ParsePolicy(data, t.TempDir())
		if err != nil {
			return
		}
		for _, b := range p.Builders {
			if b.ID == "" || len(b.Verifiers) == 0 {
				t.Fatalf("a builder without id or keys was accepted: %+v", b)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"mediaType":"application/vnd.mlsec.dataset-manifest.v1+json","root":{"dirHash":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},"size":0,"files":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := provenance.ParseManifest(data)
		if err != nil {
			return
		}
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := provenance.ParseManifest(b); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
	})
}
