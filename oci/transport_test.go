package oci_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/mlsec-dev/mlsec/oci"
	"github.com/stretchr/testify/require"
)

// basicAuth guards a registry with one user and password, as a registry
// behind HTTP basic authentication does.
func basicAuth(user, pass string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="mlsec-test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestDockerConfigCredentials(t *testing.T) {
	ctx := context.Background()
	const secret = "s3cret-registry-password"
	srv := httptest.NewServer(basicAuth("ci", secret, registry.New()))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := writeModel(t, map[string]string{"w.bin": "w"})

	writeConfig := func(t *testing.T, pass string) string {
		p := filepath.Join(t.TempDir(), "config.json")
		auth := base64.StdEncoding.EncodeToString([]byte("ci:" + pass))
		require.NoError(t, os.WriteFile(p, []byte(`{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`), 0o600))
		return p
	}
	// A credential helper, as docker's credHelpers name them: a program
	// docker-credential-NAME on PATH that answers "get" with JSON.
	bin := t.TempDir()
	helper := "#!/bin/sh\nread host\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"ci\",\"Secret\":\"" + secret + "\"}' \"$host\"\n"
	require.NoError(t, os.WriteFile(filepath.Join(bin, "docker-credential-mlsectest"), []byte(helper), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	helperConfig := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(helperConfig, []byte(`{"credHelpers":{"`+host+`":"mlsectest"}}`), 0o600))

	tests := []struct {
		name   string
		config string
		want   string
	}{
		{"good_docker_config", writeConfig(t, secret), ""},
		{"good_credential_helper", helperConfig, ""},
		{"fail_wrong_password", writeConfig(t, "wrong-password-value"), "unauthorized"},
		{"fail_anonymous", filepath.Join(t.TempDir(), "absent.json"), "credential not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo := open(t, host+"/private/model", oci.Options{DockerConfig: tc.config})
			_, err := repo.Push(ctx, dir, oci.PushOptions{Tag: "v1"})
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Contains(t, strings.ToLower(err.Error()), tc.want)
			require.NotContains(t, err.Error(), secret)
			require.NotContains(t, err.Error(), "wrong-password-value")
		})
	}
}

func TestPlainHTTPOnlyForLoopback(t *testing.T) {
	tests := []struct {
		ref   string
		plain bool
		want  bool
	}{
		{"localhost:5000/m", false, true},
		{"127.0.0.1:5000/m", false, true},
		{"127.8.9.10/m", false, true},
		{"[::1]:5000/m", false, true},
		{"registry.example/m", false, false},
		{"10.0.0.1:5000/m", false, false},
		{"localhost.example.com/m", false, false},
		{"registry.example/m", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			r, err := oci.Open(context.Background(), tc.ref, oci.Options{PlainHTTP: tc.plain})
			require.NoError(t, err)
			require.Equal(t, tc.want, r.Remote().PlainHTTP)
		})
	}
}

func TestBadReferences(t *testing.T) {
	for _, ref := range []string{"", "oci://", "no-repo", "host/Upper/Case", "host/repo@sha256:short", "host/repo:bad tag"} {
		_, err := oci.Open(context.Background(), ref, oci.Options{})
		require.Error(t, err, ref)
		require.ErrorContains(t, err, "oci: reference")
	}
}
