package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/mlsec-dev/mlsec/gate"
	"github.com/mlsec-dev/mlsec/provenance"
)

var (
	now        = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	digestA    = "sha256:" + strings.Repeat("a", 64) // passed
	digestB    = "sha256:" + strings.Repeat("b", 64) // failed
	digestC    = "sha256:" + strings.Repeat("c", 64) // stale
	digestD    = "sha256:" + strings.Repeat("d", 64) // signed by an untrusted key
	digestNone = "sha256:" + strings.Repeat("e", 64) // no VSA
)

func newKey(t *testing.T) signature.SignerVerifier {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	require.NoError(t, err)
	return sv
}

// writeVSA signs a VSA v1 statement about digest and stores it in dir.
func writeVSA(t *testing.T, dir string, key signature.SignerVerifier, digest, result string, verified time.Time) {
	t.Helper()
	alg, hex, _ := strings.Cut(digest, ":")
	st := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "models.example.com/loan-default", "digest": map[string]string{alg: hex}}},
		"predicateType": gate.PredicateVSA,
		"predicate": map[string]any{
			"verifier":           map[string]any{"id": "https://mlsec.dev/gate"},
			"timeVerified":       verified.Format(time.RFC3339),
			"resourceUri":        "oci://models.example.com/loan-default@" + digest,
			"policy":             map[string]any{"uri": "deploy-policy.yaml", "digest": map[string]string{"sha256": strings.Repeat("f", 64)}},
			"inputAttestations":  []any{},
			"verificationResult": result,
			"verifiedLevels":     []string{"SLSA_BUILD_LEVEL_2"},
		},
	}
	body, err := json.Marshal(st)
	require.NoError(t, err)
	env, err := provenance.SignPayload(context.Background(), body, key)
	require.NoError(t, err)
	b, err := provenance.MarshalEnvelope(env)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, hex[:8]+".vsa.json"), b, 0o644))
}

type setup struct {
	dir  string
	gate signature.SignerVerifier
	ck   *checker
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	s := &setup{dir: t.TempDir(), gate: newKey(t)}
	writeVSA(t, s.dir, s.gate, digestA, "PASSED", now.Add(-time.Hour))
	writeVSA(t, s.dir, s.gate, digestB, "FAILED", now.Add(-time.Hour))
	writeVSA(t, s.dir, s.gate, digestC, "PASSED", now.Add(-30*24*time.Hour))
	writeVSA(t, s.dir, newKey(t), digestD, "PASSED", now.Add(-time.Hour))
	ck, err := newChecker(s.dir, []signature.Verifier{s.gate}, 7*24*time.Hour, "")
	require.NoError(t, err)
	ck.now = func() time.Time { return now }
	s.ck = ck
	return s
}

func pod(annotations map[string]string, volumes ...string) *corev1.Pod {
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "serving", Namespace: "ml", Annotations: annotations},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "server", Image: "registry.example.com/server:1.0"}}},
	}
	for i, ref := range volumes {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: fmt.Sprintf("model-%d", i),
			VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: ref}}})
	}
	return p
}

func reviewJSON(t *testing.T, p *corev1.Pod) []byte {
	t.Helper()
	raw, err := json.Marshal(p)
	require.NoError(t, err)
	r := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("705ab4f5-6393-11e8-b7cc-42010a800002"),
			Kind:      metav1.GroupVersionKind{Version: "v1", Kind: "Pod"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "pods"},
			Namespace: "ml",
			Operation: admissionv1.Create,
			Object:    runtime.RawExtension{Raw: raw},
		},
	}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	return b
}

// post sends body to the webhook over HTTPS and returns the status and the
// decoded review.
func post(t *testing.T, srv *httptest.Server, body []byte) (int, *admissionv1.AdmissionReview) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/validate", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var out admissionv1.AdmissionReview
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, &out
}

func serve(t *testing.T, wh *webhook) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/validate", wh)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestWebhook(t *testing.T) {
	s := newSetup(t)
	srv := serve(t, newWebhook(s.ck.check, 5*time.Second, time.Minute))
	for _, c := range []struct {
		name    string
		pod     *corev1.Pod
		allowed bool
		reasons []string
	}{
		{"verified model", pod(nil, "models.example.com/loan-default@"+digestA), true, nil},
		{"no model at all", pod(nil), true, nil},
		{"failed verdict", pod(nil, "models.example.com/a@"+digestA, "models.example.com/b@"+digestB), false,
			[]string{"model " + digestB, `verificationResult is "FAILED"`}},
		{"stale verdict", pod(nil, "m@"+digestC), false, []string{"older than 168h0m0s"}},
		{"untrusted signer", pod(map[string]string{ModelAnnotation: digestD}), false, []string{"no signature by a key the policy trusts"}},
		{"no VSA", pod(map[string]string{ModelAnnotation: digestNone}), false, []string{"no verification summary (VSA) about it"}},
		{"tag, not digest", pod(nil, "models.example.com/loan-default:latest"), false, []string{"not pinned by digest"}},
		{"bad annotation", pod(map[string]string{ModelAnnotation: "md5:abc"}), false, []string{"is not sha256:HEX"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out := post(t, srv, reviewJSON(t, c.pod))
			require.Equal(t, http.StatusOK, code)
			require.Equal(t, types.UID("705ab4f5-6393-11e8-b7cc-42010a800002"), out.Response.UID)
			require.Equal(t, "admission.k8s.io/v1", out.APIVersion)
			require.Equal(t, c.allowed, out.Response.Allowed, "%+v", out.Response.Result)
			if !c.allowed {
				require.EqualValues(t, http.StatusForbidden, out.Response.Result.Code)
				for _, r := range c.reasons {
					require.Contains(t, out.Response.Result.Message, r)
				}
			}
		})
	}
}

// A modelcar container counts as a model too.
func TestWebhookModelcar(t *testing.T) {
	s := newSetup(t)
	srv := serve(t, newWebhook(s.ck.check, 5*time.Second, time.Minute))
	p := pod(nil)
	p.Spec.InitContainers = []corev1.Container{{Name: "modelcar", Image: "models.example.com/b@" + digestB}}
	_, out := post(t, srv, reviewJSON(t, p))
	require.False(t, out.Response.Allowed)
	require.Contains(t, out.Response.Result.Message, digestB)
}

func TestWebhookMalformed(t *testing.T) {
	s := newSetup(t)
	srv := serve(t, newWebhook(s.ck.check, 5*time.Second, time.Minute))
	for name, body := range map[string]string{
		"not JSON":      `{"apiVersion": "admission.k8s.io/v1", `,
		"no request":    `{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}`,
		"old version":   `{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "x"}}`,
		"not a review":  `{"apiVersion": "v1", "kind": "Pod"}`,
		"oversized doc": `{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "x": "` + strings.Repeat("a", maxReviewBytes) + `"}`,
	} {
		code, _ := post(t, srv, []byte(body))
		require.Equal(t, http.StatusBadRequest, code, name)
	}
	// A request for another kind, or a Pod that cannot be read, is denied.
	b := reviewJSON(t, pod(nil))
	b = bytes.Replace(b, []byte(`"kind":"Pod"`), []byte(`"kind":"Deployment","group":"apps"`), 1)
	code, out := post(t, srv, b)
	require.Equal(t, http.StatusOK, code)
	require.False(t, out.Response.Allowed)
	require.Contains(t, out.Response.Result.Message, "reviews Pods")
}

// A verdict that takes too long denies, and is not cached.
func TestWebhookTimeout(t *testing.T) {
	s := newSetup(t)
	slow := make(chan struct{})
	t.Cleanup(func() { close(slow) })
	var calls atomic.Int32
	wh := newWebhook(func(ctx context.Context, d string) error {
		if calls.Add(1) == 1 {
			<-slow
		}
		return s.ck.check(ctx, d)
	}, 100*time.Millisecond, time.Minute)
	srv := serve(t, wh)
	_, out := post(t, srv, reviewJSON(t, pod(nil, "m@"+digestA)))
	require.False(t, out.Response.Allowed)
	require.Contains(t, out.Response.Result.Message, "did not finish in 100ms")
	_, out = post(t, srv, reviewJSON(t, pod(nil, "m@"+digestA)))
	require.True(t, out.Response.Allowed, "%+v", out.Response.Result)
}

// Verdicts are cached by digest until their TTL.
func TestWebhookCache(t *testing.T) {
	s := newSetup(t)
	wh := newWebhook(s.ck.check, 5*time.Second, time.Minute)
	clock := now
	wh.now = func() time.Time { return clock }
	srv := serve(t, wh)
	_, out := post(t, srv, reviewJSON(t, pod(nil, "m@"+digestA)))
	require.True(t, out.Response.Allowed)
	// The VSA is withdrawn: within the TTL the cached verdict stands.
	require.NoError(t, os.Remove(filepath.Join(s.dir, strings.Repeat("a", 8)+".vsa.json")))
	_, out = post(t, srv, reviewJSON(t, pod(nil, "m@"+digestA)))
	require.True(t, out.Response.Allowed)
	clock = clock.Add(2 * time.Minute)
	_, out = post(t, srv, reviewJSON(t, pod(nil, "m@"+digestA)))
	require.False(t, out.Response.Allowed)
}

// check is the same decision as a command, for an init container.
func TestCheckCommand(t *testing.T) {
	s := newSetup(t)
	pemKey, err := s.gate.PublicKey()
	require.NoError(t, err)
	b, err := cryptoutils.MarshalPublicKeyToPEM(pemKey)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "gate.pub")
	require.NoError(t, os.WriteFile(keyFile, b, 0o644))
	var stdout, stderr bytes.Buffer
	// The VSAs are from 2026-12-01; --max-age 0 leaves freshness aside here.
	args := []string{"check", "--vsa-dir", s.dir, "--key", keyFile, "--max-age", "0"}
	require.Equal(t, 0, run(context.Background(), append(args, "m@"+digestA), &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "ADMITTED m@"+digestA)
	stdout.Reset()
	require.Equal(t, 1, run(context.Background(), append(args, digestA, digestB), &stdout, &stderr))
	require.Contains(t, stdout.String(), "DENIED   "+digestB)
	require.Equal(t, 2, run(context.Background(), append(args, "m:latest"), &stdout, &stderr))
	require.Equal(t, 2, run(context.Background(), []string{"check", digestA}, &stdout, &stderr))
}
