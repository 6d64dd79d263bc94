package secrets_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

const vectorAAD = "dataset=loans;version=1"

func vectorKEK(t *testing.T, name string) secrets.KEK {
	t.Helper()
	k, err := secrets.OpenKEK(context.Background(), "insecure-keyfile:"+filepath.Join("testdata", "envelope", name), secrets.KEKOptions{})
	require.NoError(t, err)
	return k
}

// twoSegmentPlaintext rebuilds good_two_segments.plain (see the README).
func twoSegmentPlaintext() []byte {
	var out []byte
	for i := 0; len(out) < 1<<20+100; i++ {
		h := sha256.Sum256(fmt.Appendf(nil, "mlsec envelope vector %d", i))
		out = append(out, h[:]...)
	}
	return out[:1<<20+100]
}

func decryptVector(t *testing.T, ct []byte, keks ...secrets.KEK) ([]byte, error) {
	var out bytes.Buffer
	err := secrets.Decrypt(context.Background(), &out, bytes.NewReader(ct), []byte(vectorAAD), keks...)
	return out.Bytes(), err
}

// Ciphertexts written by an earlier build keep decrypting: the envelope
// format is a promise to everyone who stored data under it.
func TestEnvelopeVectors(t *testing.T) {
	a, b := vectorKEK(t, "kek_a.json"), vectorKEK(t, "kek_b.json")
	files, err := filepath.Glob(filepath.Join("testdata", "envelope", "*.mlsec"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".mlsec")
		t.Run(name, func(t *testing.T) {
			ct, err := os.ReadFile(f)
			require.NoError(t, err)
			switch {
			case name == "good_rewrapped_b":
				got, err := decryptVector(t, ct, b)
				require.NoError(t, err)
				want, err := os.ReadFile(filepath.Join("testdata", "envelope", "good_short.plain"))
				require.NoError(t, err)
				require.Equal(t, want, got)
				_, err = decryptVector(t, ct, a)
				require.Error(t, err, "the old KEK no longer opens a re-wrapped file")
			case strings.HasPrefix(name, "good_"):
				want := twoSegmentPlaintext()
				if name != "good_two_segments" {
					want, err = os.ReadFile(filepath.Join("testdata", "envelope", name+".plain"))
					require.NoError(t, err)
				}
				got, err := decryptVector(t, ct, a)
				require.NoError(t, err)
				require.True(t, bytes.Equal(want, got), "plaintext differs")
				var wrong bytes.Buffer
				require.Error(t, secrets.Decrypt(context.Background(), &wrong, bytes.NewReader(ct), []byte("dataset=loans;version=2"), a),
					"other associated data must not decrypt")
			case strings.HasPrefix(name, "fail_"):
				_, err := decryptVector(t, ct, a, b)
				require.Error(t, err)
			default:
				t.Fatalf("vector %s is neither good_ nor fail_", name)
			}
		})
	}
}

// Every strict prefix of a two-segment ciphertext is refused, including
// one cut exactly after the first segment.
func TestEnvelopeVectorTruncations(t *testing.T) {
	a := vectorKEK(t, "kek_a.json")
	ct, err := os.ReadFile(filepath.Join("testdata", "envelope", "good_two_segments.mlsec"))
	require.NoError(t, err)
	for _, n := range []int{0, 3, 4, 100, 1 << 20, len(ct) - 117, len(ct) - 1} {
		_, err := decryptVector(t, ct[:n], a)
		require.Error(t, err, "prefix of %d of %d bytes", n, len(ct))
	}
}
