package signing

import (
	"context"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// payloadOf returns the signed statement of a bundle.
func payloadOf(t *testing.T, b []byte) []byte {
	t.Helper()
	_, payload, _, err := parseBundle(b)
	require.NoError(t, err)
	return payload
}

// TestSignManifestMatchesSign checks that a manifest signed without
// reading files gives the statement Sign writes for the same model on
// disk, and that each signature verifies the other way.
func TestSignManifestMatchesSign(t *testing.T) {
	ctx := context.Background()
	dir := writeModel(t, map[string]string{"weights.bin": "w", "cfg/config.json": "{}", "README.md": "r"})
	_, sv := newSigner(t, elliptic.P256())

	onDisk, err := Sign(ctx, dir, sv, SignOptions{})
	require.NoError(t, err)

	// The manifest as a registry lists it: unsorted, no ignore paths.
	sum := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	m := &Manifest{
		Name:          filepath.Base(dir),
		Serialization: Serialization{Method: MethodFiles, Hash: SHA256},
		Resources: []Resource{
			{Name: "weights.bin", Digest: sum("w")},
			{Name: "README.md", Digest: sum("r")},
			{Name: "cfg/config.json", Digest: sum("{}")},
		},
	}
	fromManifest, err := SignManifest(ctx, m, sv, SignOptions{})
	require.NoError(t, err)
	requireSchemaValid(t, fromManifest)
	require.Equal(t, string(payloadOf(t, onDisk)), string(payloadOf(t, fromManifest)))

	_, err = Verify(ctx, dir, fromManifest, VerifyOptions{Key: sv})
	require.NoError(t, err)
	res, err := VerifyManifest(ctx, m, onDisk, VerifyOptions{Key: sv})
	require.NoError(t, err)
	require.Len(t, res.Manifest.Resources, 3)
}

func TestVerifyManifestMismatch(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	_, other := newSigner(t, elliptic.P256())
	sum := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	base := func() *Manifest {
		return &Manifest{Name: "m", Serialization: Serialization{Method: MethodFiles, Hash: SHA256},
			Resources: []Resource{{Name: "a", Digest: sum("a")}, {Name: "b/c", Digest: sum("c")}}}
	}
	sig, err := SignManifest(ctx, base(), sv, SignOptions{})
	require.NoError(t, err)

	tests := []struct {
		name   string
		edit   func(m *Manifest)
		opts   VerifyOptions
		want   MismatchError
		rule   Rule
		errStr string
	}{
		{name: "good_same", edit: func(*Manifest) {}},
		{name: "good_ignored_git", edit: func(m *Manifest) { m.Resources = append(m.Resources, Resource{Name: ".git/HEAD", Digest: sum("x")}) }},
		{name: "good_ignore_unsigned", edit: func(m *Manifest) { m.Resources = append(m.Resources, Resource{Name: "new", Digest: sum("n")}) },
			opts: VerifyOptions{IgnoreUnsignedFiles: true}},
		{name: "fail_changed", edit: func(m *Manifest) { m.Resources[0].Digest = sum("A") }, want: MismatchError{Changed: []string{"a"}}},
		{name: "fail_missing", edit: func(m *Manifest) { m.Resources = m.Resources[:1] }, want: MismatchError{Missing: []string{"b/c"}}},
		{name: "fail_extra", edit: func(m *Manifest) { m.Resources = append(m.Resources, Resource{Name: "new", Digest: sum("n")}) },
			want: MismatchError{Extra: []string{"new"}}},
		{name: "fail_other_key", edit: func(*Manifest) {}, opts: VerifyOptions{Key: other}, rule: RuleKeyHint},
		{name: "fail_other_hash", edit: func(m *Manifest) { m.Serialization.Hash = BLAKE3 }, errStr: "cannot be compared"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.edit(m)
			if tc.opts.Key == nil {
				tc.opts.Key = sv
			}
			_, err := VerifyManifest(ctx, m, sig, tc.opts)
			var mm *MismatchError
			var be *BundleError
			switch {
			case tc.rule != "":
				require.ErrorAs(t, err, &be)
				require.Equal(t, tc.rule, be.Rule)
			case tc.errStr != "":
				require.ErrorContains(t, err, tc.errStr)
			case len(tc.want.Changed)+len(tc.want.Missing)+len(tc.want.Extra) > 0:
				require.ErrorAs(t, err, &mm)
				require.Equal(t, tc.want, *mm)
			default:
				require.NoError(t, err)
			}
		})
	}
}

func TestSignManifestRefuses(t *testing.T) {
	ctx := context.Background()
	_, sv := newSigner(t, elliptic.P256())
	d := make([]byte, 32)
	tests := []struct {
		name string
		m    *Manifest
		want string
	}{
		{"fail_nil", nil, "no resource"},
		{"fail_empty", &Manifest{Name: "m"}, "no resource"},
		{"fail_no_name", &Manifest{Resources: []Resource{{Name: "a", Digest: d}}}, "empty model name"},
		{"fail_dotdot", &Manifest{Name: "m", Resources: []Resource{{Name: "../etc/passwd", Digest: d}}}, "unsafe resource name"},
		{"fail_absolute", &Manifest{Name: "m", Resources: []Resource{{Name: "/etc/passwd", Digest: d}}}, "unsafe resource name"},
		{"fail_twice", &Manifest{Name: "m", Resources: []Resource{{Name: "a", Digest: d}, {Name: "a", Digest: d}}}, "listed twice"},
		{"fail_short_digest", &Manifest{Name: "m", Resources: []Resource{{Name: "a", Digest: d[:20]}}}, "20-byte digest"},
		{"fail_method", &Manifest{Name: "m", Serialization: Serialization{Method: "tar"}, Resources: []Resource{{Name: "a", Digest: d}}}, "unknown method"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SignManifest(ctx, tc.m, sv, SignOptions{})
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestSignManifestLeavesInput: the caller's manifest is
// left as given (not sorted in place, digests not aliased).
func TestSignManifestLeavesInput(t *testing.T) {
	_, sv := newSigner(t, elliptic.P256())
	m := &Manifest{Name: "m", Resources: []Resource{{Name: "b", Digest: make([]byte, 32)}, {Name: "a", Digest: make([]byte, 32)}}}
	before, err := json.Marshal(m)
	require.NoError(t, err)
	_, err = SignManifest(context.Background(), m, sv, SignOptions{})
	require.NoError(t, err)
	after, err := json.Marshal(m)
	require.NoError(t, err)
	require.JSONEq(t, string(before), string(after))
}
