//go:build cgo

package secrets

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/ThalesGroup/crypto11"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mlsec-dev/mlsec/internal/dssesig"
)

// PKCS#11 contexts are cached per module, token and PIN for the life of
// the process: a module may be initialised only once per process, and
// logging in for every operation would be slow. crypto11 pools sessions,
// since PKCS#11 sessions must not be shared between goroutines.
var (
	p11mu    sync.Mutex
	p11cache = map[string]*crypto11.Context{}
)

func pkcs11Context(u *PKCS11URI) (*crypto11.Context, error) {
	module, err := u.module()
	if err != nil {
		return nil, err
	}
	pin, err := u.pin()
	if err != nil {
		return nil, err
	}
	slot := -1
	if u.SlotID != nil {
		slot = *u.SlotID
	}
	sum := sha256.Sum256([]byte(pin))
	key := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%s", module, u.Token, u.Serial, slot, hex.EncodeToString(sum[:]))
	p11mu.Lock()
	defer p11mu.Unlock()
	if c, ok := p11cache[key]; ok {
		return c, nil
	}
	cfg := &crypto11.Config{Path: module, Pin: pin, GCMIVLength: 12}
	switch {
	case u.Token != "":
		cfg.TokenLabel = u.Token
	case u.Serial != "":
		cfg.TokenSerial = u.Serial
	default:
		cfg.SlotNumber = u.SlotID
	}
	c, err := crypto11.Configure(cfg)
	if err != nil {
		// crypto11's errors name the module and token, never the PIN.
		return nil, fmt.Errorf("secrets: %s: open PKCS#11 token (module %s): %w", u, module, err)
	}
	p11cache[key] = c
	return c, nil
}

func optional(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

type pkcs11KEK struct {
	uri  string
	aead interface {
		NonceSize() int
		Seal(dst, nonce, plaintext, ad []byte) []byte
		Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
	}
}

// openToken opens the token u names and returns the id and label that
// select the object in it (nil when the URI leaves them out).
func openToken(ctx context.Context, u *PKCS11URI) (c *crypto11.Context, id, label []byte, err error) {
	if err := checkCtx(ctx, u.String()); err != nil {
		return nil, nil, nil, err
	}
	if c, err = pkcs11Context(u); err != nil {
		return nil, nil, nil, err
	}
	if u.Object != "" {
		label = []byte(u.Object)
	}
	return c, optional(u.ID), label, nil
}

func openPKCS11KEK(ctx context.Context, u *PKCS11URI) (KEK, error) {
	c, id, label, err := openToken(ctx, u)
	if err != nil {
		return nil, err
	}
	key, err := c.FindKey(id, label)
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: %w", u, err)
	}
	if key == nil {
		return nil, fmt.Errorf("secrets: KEK %s: no such secret key in the token", u)
	}
	g, err := key.NewGCM()
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: %w", u, err)
	}
	return &pkcs11KEK{uri: u.String(), aead: g}, nil
}

func (k *pkcs11KEK) URI() string { return k.uri }

// EncryptWithContext returns nonce ‖ AES-GCM(pt) computed in the HSM.
func (k *pkcs11KEK) EncryptWithContext(ctx context.Context, pt, ad []byte) (ct []byte, err error) {
	if err := checkCtx(ctx, k.uri); err != nil {
		return nil, err
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	// crypto11's Seal panics when the token fails; report it instead.
	defer func() {
		if r := recover(); r != nil {
			ct, err = nil, fmt.Errorf("secrets: KEK %s: PKCS#11 encrypt: %v", k.uri, r)
		}
	}()
	return k.aead.Seal(nonce, nonce, pt, ad), nil
}

func (k *pkcs11KEK) DecryptWithContext(ctx context.Context, ct, ad []byte) ([]byte, error) {
	if err := checkCtx(ctx, k.uri); err != nil {
		return nil, err
	}
	n := k.aead.NonceSize()
	if len(ct) < n+16 {
		return nil, fmt.Errorf("secrets: KEK %s: wrapped key too short", k.uri)
	}
	pt, err := k.aead.Open(nil, ct[:n], ct[n:], ad)
	if err != nil {
		return nil, fmt.Errorf("secrets: KEK %s: PKCS#11 decrypt: %w", k.uri, err)
	}
	return pt, nil
}

// hsmSigner signs with a private key that stays in the token, through the
// one crypto.Signer adapter (dssesig.FromCryptoSigner, which also picks the
// hash for the key), and names the key URI in signing errors.
type hsmSigner struct {
	uri string
	signature.SignerVerifier
}

func loadPKCS11Signer(ctx context.Context, u *PKCS11URI) (signature.SignerVerifier, error) {
	c, id, label, err := openToken(ctx, u)
	if err != nil {
		return nil, err
	}
	s, err := c.FindKeyPair(id, label)
	if err != nil {
		return nil, fmt.Errorf("secrets: signer %s: %w", u, err)
	}
	if s == nil {
		return nil, fmt.Errorf("secrets: signer %s: no such key pair in the token", u)
	}
	return newHSMSigner(u.String(), s)
}

func newHSMSigner(uri string, s crypto.Signer) (*hsmSigner, error) {
	switch pub := s.Public().(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey:
	default:
		return nil, fmt.Errorf("secrets: signer %s: unsupported key type %T", uri, pub)
	}
	sv, err := dssesig.FromCryptoSigner(s)
	if err != nil {
		return nil, fmt.Errorf("secrets: signer %s: %w", uri, err)
	}
	return &hsmSigner{uri: uri, SignerVerifier: sv}, nil
}

// SignMessage signs in the token; RSA keys sign PKCS#1 v1.5, which
// sigstore's verifier checks.
func (h *hsmSigner) SignMessage(message io.Reader, opts ...signature.SignOption) ([]byte, error) {
	sig, err := h.SignerVerifier.SignMessage(message, opts...)
	if err != nil {
		return nil, fmt.Errorf("secrets: signer %s: PKCS#11 sign: %w", h.uri, err)
	}
	return sig, nil
}
