package secrets_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/secrets"
)

func TestAWSKMSEnvelope(t *testing.T) {
	for _, srv := range []struct{ env, what string }{
		{"MLSEC_TEST_MOTO_ENDPOINT", "moto_server (AWS KMS API)"},
		{"MLSEC_TEST_LOCALKMS_ENDPOINT", "local-kms (AWS KMS API)"},
	} {
		t.Run(srv.what, func(t *testing.T) {
			c := testenv.AWSKMS(t, srv.env)
			ctx := testCtx(t)
			oldURI := testenv.CreateAWSKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
			newURI := testenv.CreateAWSKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
			oldKEK, err := secrets.OpenKEK(ctx, oldURI, secrets.KEKOptions{})
			require.NoError(t, err)
			newKEK, err := secrets.OpenKEK(ctx, newURI, secrets.KEKOptions{})
			require.NoError(t, err)

			pt := randBytes(t, 2<<20+9)
			aad := []byte("dataset=orders;version=7")
			var ct bytes.Buffer
			require.NoError(t, secrets.Encrypt(ctx, &ct, bytes.NewReader(pt), oldKEK, aad))
			var got bytes.Buffer
			require.NoError(t, secrets.Decrypt(ctx, &got, bytes.NewReader(ct.Bytes()), aad, oldKEK))
			require.True(t, bytes.Equal(pt, got.Bytes()))
			isKeyError(t, secrets.Decrypt(ctx, io.Discard, bytes.NewReader(ct.Bytes()), aad, newKEK))
			isIntegrityError(t, secrets.Decrypt(ctx, io.Discard, bytes.NewReader(ct.Bytes()), []byte("dataset=orders;version=8"), oldKEK))

			// Rotation: rewrap under the new key, decrypt with either set.
			var rw bytes.Buffer
			require.NoError(t, secrets.RewrapStream(ctx, &rw, bytes.NewReader(ct.Bytes()), newKEK, oldKEK))
			got.Reset()
			require.NoError(t, secrets.Decrypt(ctx, &got, bytes.NewReader(rw.Bytes()), aad, oldKEK, newKEK))
			require.True(t, bytes.Equal(pt, got.Bytes()))

			// Small values with KMS encryption context as associated data.
			v, err := secrets.EncryptValue(ctx, newKEK, []byte("hunter2-value"), []byte("db/prod"))
			require.NoError(t, err)
			pv, err := secrets.DecryptValue(ctx, v, []byte("db/prod"), oldKEK, newKEK)
			require.NoError(t, err)
			require.Equal(t, "hunter2-value", string(pv))

			_, err = secrets.OpenKEK(ctx, "awskms:///alias/does-not-exist", secrets.KEKOptions{})
			require.NoError(t, err) // opening is lazy; the first use fails:
			missing, _ := secrets.OpenKEK(ctx, "awskms:///alias/does-not-exist", secrets.KEKOptions{})
			err = secrets.Encrypt(ctx, io.Discard, bytes.NewReader(pt), missing, nil)
			require.ErrorContains(t, err, "alias/does-not-exist")
		})
	}
}

// sigstore's AWS provider signs with MessageType=DIGEST, which local-kms
// implements (moto does not); the signature verifies locally against the
// public key, as an offline verifier would.
func TestAWSKMSSignerLocalKMS(t *testing.T) {
	c := testenv.AWSKMS(t, testenv.LocalKMSEndpoint)
	ctx := testCtx(t)
	uri := testenv.CreateAWSKey(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	sv, err := secrets.LoadSignerVerifier(ctx, uri)
	require.NoError(t, err)
	msg := []byte("sha256 digests of model files")
	sig, err := sv.SignMessage(bytes.NewReader(msg))
	require.NoError(t, err)
	pub, err := sv.PublicKey()
	require.NoError(t, err)
	d := sha256.Sum256(msg)
	require.True(t, ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d[:], sig), "signature does not verify against the KMS public key")
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	require.NoError(t, err)
	require.NoError(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)))
	require.Error(t, v.VerifySignature(bytes.NewReader(sig), bytes.NewReader([]byte("other"))))
}

// Faults: throttling is retried with backoff; an unreachable or slow KMS
// gives a clear error within the caller's deadline.
func TestAWSKMSFaults(t *testing.T) {
	c := testenv.AWSKMS(t, testenv.MotoEndpoint)
	moto, err := url.Parse(os.Getenv("AWS_ENDPOINT_URL_KMS"))
	require.NoError(t, err)
	uri := testenv.CreateAWSKey(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	pt := []byte("payload")

	// throttler answers the first n requests with ThrottlingException,
	// then forwards to moto.
	throttler := func(n int32, calls *atomic.Int32) *httptest.Server {
		proxy := httputil.NewSingleHostReverseProxy(moto)
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) <= n {
				w.Header().Set("Content-Type", "application/x-amz-json-1.1")
				w.WriteHeader(http.StatusBadRequest)
				io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
				return
			}
			proxy.ServeHTTP(w, r)
		}))
	}
	encryptVia := func(t *testing.T, ctx context.Context, endpoint string) error {
		t.Setenv("AWS_ENDPOINT_URL_KMS", endpoint)
		kek, err := secrets.OpenKEK(ctx, uri, secrets.KEKOptions{})
		require.NoError(t, err)
		return secrets.Encrypt(ctx, io.Discard, bytes.NewReader(pt), kek, nil)
	}

	t.Run("throttled then recovers", func(t *testing.T) {
		var calls atomic.Int32
		srv := throttler(2, &calls)
		defer srv.Close()
		require.NoError(t, encryptVia(t, testCtx(t), srv.URL))
		require.Equal(t, int32(3), calls.Load(), "two throttled attempts, then success")
	})
	t.Run("throttled for good", func(t *testing.T) {
		var calls atomic.Int32
		srv := throttler(1000, &calls)
		defer srv.Close()
		err := encryptVia(t, testCtx(t), srv.URL)
		require.ErrorContains(t, err, "ThrottlingException")
		require.ErrorContains(t, err, uri)
		require.Equal(t, int32(4), calls.Load(), "retries are bounded")
	})
	t.Run("unreachable", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		l.Close()
		err = encryptVia(t, testCtx(t), "http://"+addr)
		require.ErrorContains(t, err, "connection refused")
		require.ErrorContains(t, err, uri)
	})
	t.Run("slow, deadline honoured", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err := encryptVia(t, ctx, srv.URL)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}
