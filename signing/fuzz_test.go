package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func seedFiles(f *testing.F, glob string) {
	paths, err := filepath.Glob(glob)
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds for %s", glob)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseBundle: any input gives a bundle or an error, never a panic.
func FuzzParseBundle(f *testing.F) {
	seedFiles(f, "testdata/oms/*/model.sig")
	seedFiles(f, "testdata/pinned/*.sig")
	// Hostile shapes: a key twice, too many signatures.
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","mediaType":"x"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"dsseEnvelope":{"payload":"e30","payloadType":"application/vnd.in-toto+json","signatures":[` + strings.Repeat(`{"sig":"c2ln"},`, 64) + `{"sig":"c2ln"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, payload, sig, err := parseBundle(data)
		if err != nil {
			return
		}
		if b.VerificationMaterial == nil || b.DSSEEnvelope == nil || len(payload) == 0 || len(sig) == 0 {
			t.Fatal("accepted bundle lacks a part")
		}
	})
}

// FuzzParseStatement: whatever a statement holds, an accepted one has
// only safe resource names, no duplicates, and a root digest that matches.
func FuzzParseStatement(f *testing.F) {
	seedFiles(f, "testdata/statements/*.json")
	for _, p := range []string{"v1.1.0-elliptic-key", "v0.2.0-certificate", "v1.0.0-elliptic-key"} {
		b, _ := os.ReadFile(filepath.Join("testdata/oms", p, "model.sig"))
		if _, payload, _, err := parseBundle(b); err == nil {
			f.Add(payload)
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		st, err := parseStatement(payload)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, r := range st.resources {
			if err := checkResourceName(r.Name, st.serialization); err != nil {
				t.Fatalf("accepted unsafe name %q: %v", r.Name, err)
			}
			if seen[r.Name] {
				t.Fatalf("duplicate %q", r.Name)
			}
			seen[r.Name] = true
		}
		if !st.legacy && !bytes.Equal(rootDigest(st.resources), st.rootDigest) {
			t.Fatal("accepted a root digest that does not match")
		}
	})
}

// FuzzVerifyBundle runs the whole signature check with the reference key
// on mutated bundles: no panic, and nothing verifies unless the signed
// payload is one the key really signed.
func FuzzVerifyBundle(f *testing.F) {
	seedFiles(f, "testdata/oms/*/model.sig")
	key := referenceKey(f)
	known := map[string]bool{}
	// The certificate vectors' leaf holds the same key, so they count.
	sigs, _ := filepath.Glob("testdata/oms/v*-[ec]*/model.sig")
	for _, p := range sigs {
		b, _ := os.ReadFile(p)
		_, payload, _, _ := parseBundle(b)
		known[string(payload)] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := verifyBundle(context.Background(), data, VerifyOptions{Key: key})
		if err != nil {
			return
		}
		_, payload, _, _ := parseBundle(data)
		if !known[string(payload)] || res.Manifest == nil {
			t.Fatalf("verified a payload the key never signed: %q", base64.StdEncoding.EncodeToString(payload))
		}
	})
}

// FuzzResourceName: a name from a signature that is accepted stays inside
// the model when joined to it, and a shard name reads back the same.
func FuzzResourceName(f *testing.F) {
	for _, s := range []string{"a", "d/f", ".", "../x", "/etc/passwd", "a:0:8", "a:b:0:1", "x\x00y", "a//b", ".:0:8", "f:08:16"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, name string, shards bool) {
		ser := Serialization{Method: MethodFiles, Hash: SHA256}
		if shards {
			ser = Serialization{Method: MethodShards, Hash: SHA256, ShardSize: 8}
		}
		if checkResourceName(name, ser) != nil {
			return
		}
		file := name
		if shards {
			fn, start, end, err := parseShardName(name)
			if err != nil {
				t.Fatalf("accepted %q but cannot parse it", name)
			}
			if shardName(fn, start, end) != name {
				t.Fatalf("%q does not read back", name)
			}
			file = fn
		}
		if strings.ContainsRune(file, 0) {
			t.Fatalf("accepted NUL in %q", name)
		}
		root := filepath.FromSlash("/model/root")
		joined := filepath.Join(root, filepath.FromSlash(file))
		rel, err := filepath.Rel(root, joined)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			t.Fatalf("%q escapes the model: %q", name, joined)
		}
		if file != "." && rel != filepath.FromSlash(file) {
			t.Fatalf("%q is not clean: joins as %q", name, rel)
		}
	})
}
