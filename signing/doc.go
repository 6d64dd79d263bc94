// Package signing signs and verifies machine-learning models — a single
// file or a directory tree of any size — in the OpenSSF Model Signing
// (OMS) v1.0 format, so that mlsec's signatures verify with the reference
// model_signing tool and any OMS verifier, and theirs verify with mlsec.
//
// A signature is one JSON file (conventionally model.sig): a Sigstore
// bundle v0.3 holding a DSSE envelope whose payload is an in-toto
// Statement v1 with predicate type https://model_signing/signature/v1.0.
// The predicate lists a digest per file (MethodFiles) or per byte range of
// a file (MethodShards), and the statement's one subject is the root
// digest: SHA-256 over the listed digests.
//
// Keyless Sigstore bundles (Fulcio certificate, Rekor entry) verify
// offline with VerifyOptions.Sigstore: a trusted root file and the
// signer's expected identity and issuer. Signing keyless needs the online
// Sigstore services and is not offered.
//
// Sign with any sigstore signature.SignerVerifier (a PEM key, a KMS or an
// HSM key), by the key method (the bundle names the key by a hint) or the
// certificate method (the bundle carries the certificate chain):
//
//	sv, _ := signature.LoadSignerVerifier(privateKey, crypto.SHA256)
//	sig, err := signing.Sign(ctx, "model", sv, signing.SignOptions{
//		Options: signing.Options{IgnorePaths: []string{"model.sig"}},
//	})
//	// write sig to model/model.sig
//
//	res, err := signing.Verify(ctx, "model", sig, signing.VerifyOptions{Key: verifier})
//	var mismatch *signing.MismatchError // which files changed, went missing, were added
//	var broken *signing.BundleError     // which rule of the signature failed
//	var bad *signing.UnhashableError    // an entry no signature can cover:
//	// errors.Is(err, signing.ErrSymlink), ErrNotRegular, ErrBadName...
//
// The model is read through an os.Root on its directory, so a directory
// swapped for a symbolic link while it is hashed never leads outside the
// model. File names in error messages are quoted when they hold control
// characters, so a name cannot forge a line of output.
//
// Verify accepts every variant the reference tool has written since
// version 0.2 (key hints or raw keys, "." for a single-file model, shard
// algorithm names like "sha256-sharded-1000000000", float shard sizes,
// the legacy v0.2 predicate and its legacy signing encoding). Sign follows
// the OMS v1.0 specification: resources sorted by name, a single file
// named by its base name, shard digests labelled with the plain hash name.
// model_signing up to 1.1 therefore verifies mlsec's files-method
// signatures but not its shards-method ones, whose algorithm labels it
// compares literally.
//
// Hashing is parallel (a bounded pool of workers over files and shards)
// with memory bounded by workers × 1 MiB. A large single file in
// MethodFiles is one sequential SHA-256 stream and so runs on one core;
// use MethodShards, or BLAKE3, to use every core. SignOptions.CachePath
// lets signing reuse the digests of unchanged files; verification always
// re-reads everything.
package signing
