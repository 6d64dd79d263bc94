// Package keyfile reads PEM key files as written by OpenSSL, Python's
// cryptography, GnuTLS certtool and cosign/sigstore: plain PKCS #8, SEC 1
// and PKCS #1 private keys, password-protected PKCS #8 (PBES2 with PBKDF2
// or scrypt and AES-CBC), legacy OpenSSL "Proc-Type: 4,ENCRYPTED" keys,
// sigstore/cosign encrypted keys, and SubjectPublicKeyInfo public keys.
// Text around the PEM blocks (certtool's key dumps) is ignored.
package keyfile

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// ErrPassword reports a missing or wrong password for an encrypted key.
var ErrPassword = errors.New("wrong or missing password for encrypted key")

// PasswordFunc returns the password of an encrypted key. It is called only
// when the key is encrypted.
type PasswordFunc func() ([]byte, error)

// ParsePrivateKey returns the first private key in the PEM data.
func ParsePrivateKey(data []byte, password PasswordFunc) (crypto.Signer, error) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("keyfile: no PEM private key found")
		}
		switch b.Type {
		case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY":
			der := b.Bytes
			//lint:ignore SA1019 legacy encrypted PEM is still written by OpenSSL 1.x tools and must be readable.
			if x509.IsEncryptedPEMBlock(b) { //nolint:staticcheck
				pw, err := getPassword(password)
				if err != nil {
					return nil, err
				}
				//lint:ignore SA1019 see above.
				if der, err = x509.DecryptPEMBlock(b, pw); err != nil { //nolint:staticcheck
					return nil, fmt.Errorf("keyfile: %w", ErrPassword)
				}
				k, err := parseDER(b.Type, der)
				if err != nil {
					return nil, fmt.Errorf("keyfile: %w", ErrPassword)
				}
				return k, nil
			}
			return parseDER(b.Type, der)
		case "ENCRYPTED PRIVATE KEY":
			pw, err := getPassword(password)
			if err != nil {
				return nil, err
			}
			der, err := decryptPKCS8(b.Bytes, pw)
			if err != nil {
				return nil, err
			}
			k, err := parseDER("PRIVATE KEY", der)
			if err != nil {
				// Wrong passwords can pass the padding check by chance.
				return nil, fmt.Errorf("keyfile: %w", ErrPassword)
			}
			return k, nil
		case string(cryptoutils.EncryptedSigstorePrivateKeyPEMType), "ENCRYPTED COSIGN PRIVATE KEY":
			pw, err := getPassword(password)
			if err != nil {
				return nil, err
			}
			k, err := cryptoutils.UnmarshalPEMToPrivateKey(pem.EncodeToMemory(b), func(bool) ([]byte, error) { return pw, nil })
			if err != nil {
				return nil, fmt.Errorf("keyfile: %w", ErrPassword)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("keyfile: unsupported private key type %T", k)
			}
			return s, nil
		}
	}
}

func getPassword(password PasswordFunc) ([]byte, error) {
	if password == nil {
		return nil, fmt.Errorf("keyfile: %w", ErrPassword)
	}
	pw, err := password()
	if err != nil {
		return nil, fmt.Errorf("keyfile: password: %w", err)
	}
	if len(pw) == 0 {
		return nil, fmt.Errorf("keyfile: %w", ErrPassword)
	}
	return pw, nil
}

func parseDER(typ string, der []byte) (crypto.Signer, error) {
	var k any
	var err error
	switch typ {
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(der)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(der)
	default:
		k, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("keyfile: %s: %w", typ, err)
	}
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("keyfile: unsupported private key type %T", k)
}

// ParsePublicKey returns the first public key in the PEM data: a PUBLIC
// KEY block, or the key of the first CERTIFICATE.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("keyfile: no PEM public key found")
		}
		switch b.Type {
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("keyfile: public key: %w", err)
			}
			return k, nil
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("keyfile: certificate: %w", err)
			}
			return c.PublicKey, nil
		case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("keyfile: found a private key where a public key was expected")
		}
	}
}
