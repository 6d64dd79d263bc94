package keyfile

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/scrypt"
)

// Encrypted PKCS #8 (RFC 5958 EncryptedPrivateKeyInfo) with PBES2
// (RFC 8018 §6.2), the form `openssl pkcs8 -topk8` and Python's
// BestAvailableEncryption write.

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type encryptedPrivateKeyInfo struct {
	Algorithm     algorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc algorithmIdentifier
	EncryptionScheme  algorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                 `asn1:"optional"`
	PRF            algorithmIdentifier `asn1:"optional"`
}

type scryptParams struct {
	Salt                     []byte
	CostParameter            int
	BlockSize                int
	ParallelizationParameter int
	KeyLength                int `asn1:"optional"`
}

// Bounds that keep a hostile key file from burning CPU or memory.
const (
	maxPBKDF2Iterations = 10_000_000
	maxScryptN          = 1 << 20
)

func decryptPKCS8(der, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, errors.New("keyfile: malformed encrypted PKCS #8 key")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("keyfile: unsupported key encryption %v (want PBES2)", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("keyfile: malformed PBES2 parameters")
	}
	var keyLen int
	switch enc := params.EncryptionScheme.Algorithm; {
	case enc.Equal(oidAES128CBC):
		keyLen = 16
	case enc.Equal(oidAES192CBC):
		keyLen = 24
	case enc.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("keyfile: unsupported key cipher %v (want AES-CBC)", enc)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("keyfile: malformed AES-CBC parameters")
	}

	var key []byte
	kdf := params.KeyDerivationFunc
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil, errors.New("keyfile: malformed PBKDF2 parameters")
		}
		if p.IterationCount < 1 || p.IterationCount > maxPBKDF2Iterations {
			return nil, fmt.Errorf("keyfile: PBKDF2 iteration count %d out of range", p.IterationCount)
		}
		var h func() hash.Hash
		switch prf := p.PRF.Algorithm; {
		case len(prf) == 0 || prf.Equal(oidHMACSHA1):
			h = sha1.New
		case prf.Equal(oidHMACSHA256):
			h = sha256.New
		case prf.Equal(oidHMACSHA384):
			h = sha512.New384
		case prf.Equal(oidHMACSHA512):
			h = sha512.New
		default:
			return nil, fmt.Errorf("keyfile: unsupported PBKDF2 PRF %v", prf)
		}
		var err error
		if key, err = pbkdf2.Key(h, string(password), p.Salt, p.IterationCount, keyLen); err != nil {
			return nil, fmt.Errorf("keyfile: %w", err)
		}
	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil, errors.New("keyfile: malformed scrypt parameters")
		}
		if p.CostParameter < 2 || p.CostParameter > maxScryptN || p.BlockSize < 1 || p.BlockSize > 64 || p.ParallelizationParameter < 1 || p.ParallelizationParameter > 16 {
			return nil, errors.New("keyfile: scrypt parameters out of range")
		}
		var err error
		if key, err = scrypt.Key(password, p.Salt, p.CostParameter, p.BlockSize, p.ParallelizationParameter, keyLen); err != nil {
			return nil, fmt.Errorf("keyfile: %w", err)
		}
	default:
		return nil, fmt.Errorf("keyfile: unsupported key derivation %v", kdf.Algorithm)
	}

	data := info.EncryptedData
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, errors.New("keyfile: malformed encrypted key data")
	}
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	// PKCS #7 padding; a wrong password almost always breaks it. Checked
	// without early exit, so as not to tell a padding oracle much.
	pad := int(out[len(out)-1])
	bad := pad == 0 || pad > aes.BlockSize
	if !bad {
		want := make([]byte, pad)
		for i := range want {
			want[i] = byte(pad)
		}
		bad = !hmac.Equal(out[len(out)-pad:], want)
	}
	if bad {
		return nil, fmt.Errorf("keyfile: %w", ErrPassword)
	}
	return out[:len(out)-pad], nil
}
