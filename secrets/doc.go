// Package secrets keeps the keys and credentials of an ML pipeline out of
// reach: envelope encryption of data and model files under a
// key-encryption key (KEK) that stays in a KMS or HSM, signing keys loaded
// by URI from a KMS or HSM, secret references resolved at run time,
// redaction of secrets from logs, and a scanner for credentials leaked into
// datasets, notebooks, configs and model folders.
//
// # Envelope encryption
//
// Each file gets a fresh data key; the KEK only wraps that key, so large
// files never travel to the KMS and rotation re-wraps a few hundred bytes:
//
//	kek, err := secrets.OpenKEK(ctx, "awskms:///alias/ml-data", secrets.KEKOptions{})
//	err = secrets.EncryptFile(ctx, "train.parquet", "train.parquet.enc", kek, []byte("dataset=train;v=3"))
//	err = secrets.DecryptFile(ctx, "train.parquet.enc", "train.parquet", []byte("dataset=train;v=3"), kek)
//
// The format is Tink's: uint32_be(len(H)) ‖ H ‖ S, where H is a Tink
// EncryptedKeyset (one AES256_GCM_HKDF_1MB streaming AEAD key, encrypted by
// the KEK with empty associated data) and S is the Tink streaming AEAD
// ciphertext of the data, with the caller's associated data. Memory is
// bounded by one 1 MiB segment. [Rewrap] replaces H under a new KEK and
// copies S unchanged; [Decrypt] accepts several KEKs and uses the first
// that unwraps H. Small values use Tink's KMS envelope AEAD unchanged
// ([EncryptValue]).
//
// KEK URIs: awskms://[ENDPOINT]/{KEY-ID|alias/NAME|ARN} (AWS KMS, through
// the AWS SDK's usual credentials; throttling and network errors are
// retried with backoff, at most 4 attempts, within the caller's context),
// pkcs11:token=T;object=L?module-path=M&pin-source=F (an AES key in an HSM,
// RFC 7512; needs cgo), and insecure-keyfile:PATH (a cleartext Tink keyset
// for development only; never chosen by default). GCP, Azure and Vault
// KEKs are not implemented.
//
// # Signing keys
//
// [LoadSigner] returns the sigstore signature.SignerVerifier that model
// signing and provenance both take, for any key reference: a PEM key file
// (plain or encrypted; the password comes from [KeyOptions].Password), an
// awskms:// key (sigstore's AWS provider) or a pkcs11: EC/RSA key pair, the
// last two never leaving their KMS or HSM. [LoadVerifier] does the same for
// public keys and certificates:
//
//	sv, err := secrets.LoadSigner(ctx, "pkcs11:token=ml;object=model-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=/run/secrets/pin", secrets.KeyOptions{})
//	bundle, err := signing.Sign(ctx, "model/", sv, signing.SignOptions{})
//	env, err := provenance.Sign(ctx, statement, sv)
//
// A PKCS#11 module is opened once per process and stays logged in: the
// PKCS#11 login state is shared by every session of a process, so keep one
// token (and PIN) per process. PINs come from pin-source= files, pin-value=
// or $MLSEC_PKCS11_PIN, and never appear in errors or key URIs printed.
//
// # Secret references, redaction, scanning
//
// [Resolver] turns env:NAME, file:PATH and enc:BASE64 references into
// [Secret] values whose String, GoString, Format, JSON and slog forms are
// all "[REDACTED]". [Redactor] removes registered values and recognised
// credential patterns from slog records ([Redactor.Handler]) and byte
// streams ([Redactor.Writer]). [Scan] walks a directory or fs.FS in
// parallel and reports credentials with file, line, rule and a redacted
// match, using 32 rules ([DefaultRules]; validation's credential check
// uses the same rules and placeholder allowlist); Parquet and Arrow files
// on disk are decoded and their string cells scanned (findings by row and
// column):
//
//	findings, err := secrets.ScanPath(ctx, "model/", secrets.ScanOptions{})
//
// A rule whose tokens start with a fixed prefix (AKIA, ghp_, hf_, ...) is
// matched wherever the prefix occurs, so a key after a NUL, a '|' or the
// length byte of a pickled string is found. [ScanPathFunc] and [ScanFunc]
// stream findings to a callback (files in walk order) and return a
// [ScanSummary]: the files read, the paths not read and why ([Skipped]:
// symbolic links inside a tree are not followed; pipes, devices and
// sockets are never opened for reading) and the findings beyond
// [ScanOptions.MaxFindingsPerFile], which are counted, not kept. A root
// path that is neither a file nor a directory is an error wrapping
// [ErrNotScanned].
//
// Precision: the generic rules (a password or token assigned to a name, a
// database URL's password) drop values that are placeholders (password,
// pa$sword1, changeme, xxxx, ****), templates (${X}, {{ x }}, {x},
// %(x)s, <x>), references (an attribute path such as cfg.api_token, an
// ARN or vault: path, an environment variable) or the key's own name;
// provider formats (AKIA…, ghp_…, PEM keys) are reported wherever they
// stand. Each [Finding] says whether its path looks like a test or
// documentation file ([Finding.PathKind], [PathKind]), so a caller can set
// those aside ([ScanOptions.ExcludeTestAndDocs]) without weakening a rule.
// Secrets stored base64, base64url, hex or percent-encoded are found by
// decoding, [DefaultDecodeDepth] levels deep ([ScanOptions.DecodeDepth]),
// and reported at the encoded run with the encoding chain
// ([Finding.Encoding]). A [Baseline] records reviewed findings by path,
// rule and fingerprint, never the secret ([NewBaseline], [WriteBaseline],
// [ReadBaseline]); a scan given it ([ScanOptions.Baseline]) reports only
// new findings.
//
// The files holding each job:
//   - envelope encryption: envelope.go (the format, Encrypt, Decrypt,
//     Rewrap, the file forms), atomic.go (writing results in place),
//     kek.go (KEK URIs, [OpenKEK]) with one file per KEK kind (kek_aws.go,
//     kek_insecure.go; pkcs11.go, or kek_pkcs11_nocgo.go without cgo).
//   - signing keys: keys.go ([LoadSigner], [LoadVerifier] for files and
//     URIs), signer.go (KMS and HSM signers by URI), pkcs11.go (HSM
//     sessions, shared by the HSM KEK and signer), pkcs11uri.go (RFC 7512).
//   - secret values: ref.go ([Secret], [Ref]), redact.go (the [Redactor]).
//   - credential scanning: rules.go (the rule type over the shared rule
//     set), scan.go (walking, streaming, the summary), scan_columnar.go
//     (Parquet and Arrow cells), scan_open_*.go (opening without following
//     links), pathkind.go (test and documentation paths), baseline.go
//     (baselines).
package secrets
