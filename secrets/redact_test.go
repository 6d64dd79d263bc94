package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// leakValue is a secret made at run time, so no test source contains it.
func leakValue() string { return "pw-" + newGen(42).s(alnum, 24) }

func TestSecretNeverPrints(t *testing.T) {
	v := leakValue()
	s := secrets.NewSecret([]byte(v))
	type config struct {
		User     string
		Password secrets.Secret
	}
	c := config{User: "trainer", Password: s}
	var outs []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(f, s), fmt.Sprintf(f, c))
	}
	j, err := json.Marshal(c)
	require.NoError(t, err)
	outs = append(outs, string(j), fmt.Sprint(s), s.String(), fmt.Errorf("connect: %v", s).Error())
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", c, "pw", s)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "pw", s)
	outs = append(outs, logs.String())
	for _, o := range outs {
		require.NotContains(t, o, v)
		require.NotContains(t, o, fmt.Sprintf("%x", v))
	}
	require.Equal(t, v, string(s.Bytes()))
	s.Destroy()
	require.Empty(t, s.Bytes())
}

func TestRedactorHandler(t *testing.T) {
	v := leakValue()
	g := newGen(43)
	ghToken := "ghp_" + g.s(alnum, 36)
	r := secrets.NewRedactor(v)
	var buf bytes.Buffer
	log := slog.New(r.Handler(slog.NewJSONHandler(&buf, nil)))

	log.Info("connecting with "+v, "dsn", "postgres://u:"+v+"@db/x")
	log.Error("push failed", "err", fmt.Errorf("git push https://%s@github.com/o/r: denied", ghToken))
	log.With("token", "anything-at-all-here").Info("with attrs")
	log.WithGroup("job").Info("grouped", slog.Group("env", "HF", "hf_"+g.s(alnum, 34), "api_key", "plain-looking-value"))
	log.Info("bytes", "body", []byte("secret="+v))
	log.Info("struct", "cfg", struct{ URL string }{"https://x?token=" + v})

	out := buf.String()
	require.NotContains(t, out, v)
	require.NotContains(t, out, ghToken)
	require.NotContains(t, out, "hf_")
	require.NotContains(t, out, "anything-at-all-here")
	require.NotContains(t, out, "plain-looking-value")
	require.Contains(t, out, secrets.Redacted)
	require.Contains(t, out, "push failed", "non-secret text survives")
	require.Equal(t, 6, strings.Count(out, "\n"))
}

func TestRedactorWriter(t *testing.T) {
	v := leakValue()
	g := newGen(44)
	key := "AKIA" + g.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	r := secrets.NewRedactor(v)
	var out bytes.Buffer
	w := r.Writer(&out)
	text := "line one " + v + " end\naws " + key + " here\nlast line without newline " + v
	// Byte by byte: every secret is split across writes.
	for i := range len(text) {
		_, err := w.Write([]byte{text[i]})
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.NotContains(t, out.String(), v)
	require.NotContains(t, out.String(), key)
	require.Equal(t, 3, strings.Count(out.String(), secrets.Redacted))
	require.True(t, strings.HasPrefix(out.String(), "line one [REDACTED] end\n"))

	// A single line far longer than the writer's buffer.
	out.Reset()
	w = r.Writer(&out)
	long := strings.Repeat("x", 200<<10) + " " + v + " " + strings.Repeat("y", 100<<10)
	for i := 0; i < len(long); i += 4096 {
		_, err := w.Write([]byte(long[i:min(len(long), i+4096)]))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	require.NotContains(t, out.String(), v)

	// Secrets at every offset around the writer's flush point.
	for shift := range 64 {
		out.Reset()
		w = r.Writer(&out)
		text := strings.Repeat("z", 64<<10-2048+shift-20) + v + " " + key + " " + strings.Repeat("q", 8<<10)
		for i := 0; i < len(text); i += 1000 {
			_, err := w.Write([]byte(text[i:min(len(text), i+1000)]))
			require.NoError(t, err)
		}
		require.NoError(t, w.Close())
		if i := strings.Index(out.String(), key); i >= 0 {
			t.Fatalf("shift %d: key leaked at %d: %q", shift, i, out.String()[max(0, i-60):i+30])
		}
		require.False(t, strings.Contains(out.String(), v), "shift %d: value leaked", shift)
	}
}

func TestResolver(t *testing.T) {
	ctx := testCtx(t)
	v := leakValue()
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(file, []byte(v+"\n"), 0o600))
	kek, _ := devKEK(t)
	ct, err := secrets.EncryptValue(ctx, kek, []byte(v), []byte("db/prod"))
	require.NoError(t, err)
	encRef := "enc:" + encodeB64(ct)

	red := secrets.NewRedactor()
	res := &secrets.Resolver{KEKs: []secrets.KEK{kek}, AAD: []byte("db/prod"), Redactor: red,
		LookupEnv: func(k string) (string, bool) { return map[string]string{"DB_PW": v}[k], k == "DB_PW" }}
	for _, ref := range []string{"env:DB_PW", "file:" + file, encRef} {
		s, err := res.Resolve(ctx, ref)
		require.NoError(t, err, ref)
		require.Equal(t, v, string(s.Bytes()), ref)
	}
	require.Equal(t, "x [REDACTED] y", red.Redact("x "+v+" y"), "resolved values are registered for redaction")

	for _, bad := range []string{v, "env:", "env:MISSING", "file:" + filepath.Join(dir, "missing"), "enc:%%%", "vault:x", ""} {
		_, err := res.Resolve(ctx, bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), v, "an error quotes a secret pasted as a reference")
	}
	wrongAAD := &secrets.Resolver{KEKs: []secrets.KEK{kek}, AAD: []byte("db/dev")}
	_, err = wrongAAD.Resolve(ctx, encRef)
	var ie *secrets.IntegrityError
	require.True(t, errors.As(err, &ie))
}

// A panic whose value is a Secret, or a message built from one, does not
// print it: checked in a child process whose crash output is captured.
func TestPanicDoesNotLeak(t *testing.T) {
	if os.Getenv("MLSEC_PANIC_CHILD") == "1" {
		s := secrets.NewSecret([]byte(leakValue()))
		defer func() {
			panic(fmt.Sprintf("resolve failed for %v", s))
		}()
		panic(s)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicDoesNotLeak$")
	cmd.Env = append(os.Environ(), "MLSEC_PANIC_CHILD=1")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the child must crash")
	require.Contains(t, string(out), "panic")
	require.Contains(t, string(out), secrets.Redacted)
	require.NotContains(t, string(out), leakValue())
}

// Errors of the package never carry key material or PINs.
func TestErrorsDoNotLeak(t *testing.T) {
	ctx := testCtx(t)
	pin := "9911-" + newGen(45).s(alnum, 12)
	for _, uri := range []string{
		"pkcs11:token=t;object=k?module-path=/nonexistent.so&pin-value=" + pin,
		"pkcs11:token=t?pin-value=" + pin,
		"pkcs11:token=t;object=k;bogus?pin-value=" + pin,
	} {
		_, err := secrets.OpenKEK(ctx, uri, secrets.KEKOptions{})
		require.Error(t, err)
		require.NotContains(t, err.Error(), pin)
		_, err = secrets.LoadSignerVerifier(ctx, uri)
		require.Error(t, err)
		require.NotContains(t, err.Error(), pin)
	}
	u, err := secrets.ParsePKCS11URI("pkcs11:token=t;object=k?pin-value=" + pin)
	require.NoError(t, err)
	require.NotContains(t, fmt.Sprintf("%v %+v %s %#v", u, u, u, u), pin)
	require.NotContains(t, fmt.Sprintf("%v %+v %#v", *u, *u, *u), pin)
}

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
