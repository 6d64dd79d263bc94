package secrets_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/secrets"
)

// FuzzDecrypt feeds arbitrary bytes to the envelope parser and decrypter:
// it must never panic, and nothing but the genuine ciphertext decrypts.
func FuzzDecrypt(f *testing.F) {
	kek, _ := devKEK(f)
	ctx := context.Background()
	pt := []byte("model weights, 30 bytes long..")
	var ct bytes.Buffer
	if err := secrets.Encrypt(ctx, &ct, bytes.NewReader(pt), kek, []byte("aad")); err != nil {
		f.Fatal(err)
	}
	valid := ct.Bytes()
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add([]byte{0, 0, 0, 1, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		err := secrets.Decrypt(ctx, &out, bytes.NewReader(data), []byte("aad"), kek)
		if err == nil && !bytes.Equal(data, valid) && !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("forged ciphertext decrypted to %q", out.Bytes())
		}
		if err == nil && !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("decrypted to %q", out.Bytes())
		}
		_ = secrets.RewrapStream(ctx, io.Discard, bytes.NewReader(data), kek, kek)
	})
}

// FuzzDecryptValue does the same for Tink envelope values.
func FuzzDecryptValue(f *testing.F) {
	kek, _ := devKEK(f)
	ctx := context.Background()
	v, err := secrets.EncryptValue(ctx, kek, []byte("pw"), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v)
	f.Add(v[:10])
	f.Fuzz(func(t *testing.T, data []byte) {
		pt, err := secrets.DecryptValue(ctx, data, nil, kek)
		if err == nil && string(pt) != "pw" {
			t.Fatalf("forged value decrypted to %q", pt)
		}
	})
}

// FuzzParseRef: parsing never panics, never quotes its input in an error,
// and what parses prints back to an equivalent reference.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"env:HOME", "file:/run/secrets/pw", "enc:AAAA", "enc:", "env:", "x", ":", "file:\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := secrets.ParseRef(s)
		if err != nil {
			if len(s) > 12 && strings.Contains(err.Error(), s) {
				t.Fatalf("error quotes the input: %v", err)
			}
			return
		}
		r2, err := secrets.ParseRef(r.String())
		if err != nil || r2.Kind != r.Kind || r2.Name != r.Name || !bytes.Equal(r2.Ciphertext, r.Ciphertext) {
			t.Fatalf("%q -> %v -> %v, %v", s, r, r2, err)
		}
	})
}

// FuzzParsePKCS11URI: never panics, never shows a pin-value, wherever
// the URI puts it: in the query (where RFC 7512 has it), in the path, or
// after a stray '&' with no '?'.
func FuzzParsePKCS11URI(f *testing.F) {
	for _, s := range []string{
		"pkcs11:token=a;object=b?pin-value=1234",
		"pkcs11:token=a%20b;id=%01%02;type=private?module-path=/x.so&pin-source=file:/p",
		"pkcs11:slot-id=0;object=k", "pkcs11:token=a;token=b", "pkcs11:%zz", "pkcs11:",
		"pkcs11:token=ml;object=kek", "pkcs11:token=ml;type=private",
	} {
		for where := byte(0); where < 4; where++ {
			f.Add(s, "1234", where)
		}
	}
	f.Fuzz(func(t *testing.T, s, pin string, where byte) {
		if len(pin) < 6 || strings.ContainsAny(pin, "&#%?;=") {
			pin = "pin-" + pin + "-value"
		}
		var uri string
		switch where % 4 {
		case 0: // the query, where it belongs
			uri = s + "?pin-value=" + pin
			if strings.Contains(s, "?") {
				uri = s + "&pin-value=" + pin
			}
		case 1: // a path attribute
			uri = s + ";pin-value=" + pin
		case 2: // after '&' with no '?'
			uri = s + "&pin-value=" + pin
		default: // percent-encoded name in the path
			uri = s + ";pin%2Dvalue=" + pin
		}
		if strings.Contains(s, pin) {
			return // the PIN is also in the URI as something else
		}
		for _, shown := range pinShowingForms(uri) {
			if strings.Contains(shown, pin) {
				t.Fatalf("%q shows the PIN: %s", uri, shown)
			}
		}
	})
}

// pinShowingForms are the strings a PKCS#11 URI can reach: the parse
// error, String, GoString, and the errors of loading a key or KEK from it.
func pinShowingForms(uri string) []string {
	var out []string
	u, err := secrets.ParsePKCS11URI(uri)
	if err != nil {
		out = append(out, err.Error())
	} else {
		out = append(out, u.String(), u.GoString(), fmt.Sprintf("%v %+v", u, u))
	}
	ctx := context.Background()
	if _, err := secrets.OpenKEK(ctx, uri, secrets.KEKOptions{}); err != nil {
		out = append(out, err.Error())
	}
	// A reference that is not a key URI is a file path, and errors name it.
	if strings.HasPrefix(uri, secrets.SchemePKCS11) {
		if _, err := secrets.LoadSigner(ctx, uri, secrets.KeyOptions{}); err != nil {
			out = append(out, err.Error())
		}
	}
	return out
}

func TestPKCS11PINNeverShown(t *testing.T) {
	const pin = "s3cr3t-PIN-4242"
	for _, uri := range []string{
		"pkcs11:token=ml;object=kek;pin-value=" + pin + "?module-path=/nonexistent/module.so",
		"pkcs11:token=ml;object=kek&pin-value=" + pin,
		"pkcs11:token=ml;object=kek;pin-value=" + pin,
		"pkcs11:token=ml;type=private&pin-value=" + pin,
		"pkcs11:token=ml;slot-id=x&pin-value=" + pin,
		"pkcs11:token=ml;object=kek?module-path=/nonexistent/module.so&pin-value=" + pin,
		"pkcs11:token=ml;pin%2Dvalue=" + pin + ";object=k",
	} {
		forms := pinShowingForms(uri)
		require.NotEmpty(t, forms)
		for _, shown := range forms {
			require.NotContains(t, shown, pin, uri)
		}
	}
}

// FuzzScan: arbitrary content never panics the scanner, findings are
// well-formed and redacted, and a byte put before the input never hides a
// token a prefix rule found (matching does not depend on what precedes).
func FuzzScan(f *testing.F) {
	g := newGen(46)
	f.Add([]byte("token = " + "ghp_" + g.s(alnum, 36) + "\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nMIIE\n"))
	f.Add([]byte("password: " + g.s(alnum, 20)))
	f.Add([]byte{0, 0xff, '\n', 'h', 'f', '_'})
	key := "AKIA" + g.s("ABCDFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	for _, frame := range [][2]string{
		{"\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x14", "\x94s."}, // pickle protocol 4
		{"\x80\x02}q\x00X\x14\x00\x00\x00", "q\x01s."},                          // pickle protocol 2
		{"(dp0\nV", "\np1\ns."},                                                 // pickle protocol 0
		{"a|", "|b"}, {"x.", "."}, {"\x00", "\x00"}, {"\xff\xfe", ""}, {"A", "q"},
	} {
		f.Add([]byte(frame[0] + key + frame[1]))
		f.Add([]byte(frame[0] + "hf_" + g.s(alnum, 34) + frame[1]))
	}
	prefix := map[string]bool{}
	for _, r := range secrets.DefaultRules() {
		prefix[r.ID] = r.Prefix
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := secrets.ScanReader(ctx, "f", bytes.NewReader(data), secrets.ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range fs {
			if x.Line < 1 || x.Column < 1 || !strings.HasSuffix(x.Match, secrets.Redacted) {
				t.Fatalf("bad finding %+v", x)
			}
		}
		if len(fs) > 0 && len(fs) < secrets.DefaultMaxFindingsPerFile {
			for _, b := range []byte{0, '|', 'A', 0x14, 0xff} {
				again, err := secrets.ScanReader(ctx, "f", bytes.NewReader(append([]byte{b}, data...)), secrets.ScanOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range fs {
					if !prefix[x.Rule] {
						continue
					}
					if x.Line == 1 {
						x.Column++
					}
					found := false
					for _, y := range again {
						found = found || y == x
					}
					if !found {
						t.Fatalf("%s at %d:%d is lost when %#x precedes the input", x.Rule, x.Line, x.Column, b)
					}
				}
			}
		}
		r := secrets.NewRedactor()
		_ = r.Redact(string(data))
	})
}
