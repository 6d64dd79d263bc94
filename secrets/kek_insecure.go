package secrets

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// insecureKEK is a Tink AES-256-GCM keyset read from a cleartext file.
type insecureKEK struct {
	uri string
	a   tink.AEAD
}

// GenerateInsecureKeyFile writes a new AES-256-GCM key as a cleartext Tink
// JSON keyset to path (mode 0600) and returns its KEK URI. Such a key is
// for development and tests only: anyone who can read the file can decrypt
// everything it protects. Use a KMS or an HSM in production.
func GenerateInsecureKeyFile(path string) (string, error) {
	h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
	if err != nil {
		return "", fmt.Errorf("secrets: generate key: %w", err)
	}
	var buf bytes.Buffer
	if err := insecurecleartextkeyset.Write(h, keyset.NewJSONWriter(&buf)); err != nil {
		return "", fmt.Errorf("secrets: generate key: %w", err)
	}
	if err := writeFileAtomic(path, 0o600, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	}); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return SchemeInsecureKeyFile + abs, nil
}

func openInsecureKEK(path string, logger *slog.Logger) (KEK, error) {
	uri := SchemeInsecureKeyFile + path
	if path == "" {
		return nil, fmt.Errorf("secrets: KEK %q: missing key file path", uri)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: %w", uri, err)
	}
	h, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(bytes.NewReader(data)))
	if err != nil {
		// The parser's message may quote the file, which holds a key.
		return nil, fmt.Errorf("secrets: KEK %s: not a valid Tink JSON keyset", uri)
	}
	a, err := aead.New(h)
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: not an AEAD keyset: %w", uri, err)
	}
	logger.Warn("secrets: using an insecure local key file as KEK; for development only, not for production", "kek", uri)
	return &insecureKEK{uri: uri, a: a}, nil
}

func (k *insecureKEK) URI() string { return k.uri }

func (k *insecureKEK) EncryptWithContext(ctx context.Context, pt, ad []byte) ([]byte, error) {
	if err := checkCtx(ctx, k.uri); err != nil {
		return nil, err
	}
	return k.a.Encrypt(pt, ad)
}

func (k *insecureKEK) DecryptWithContext(ctx context.Context, ct, ad []byte) ([]byte, error) {
	if err := checkCtx(ctx, k.uri); err != nil {
		return nil, err
	}
	return k.a.Decrypt(ct, ad)
}
