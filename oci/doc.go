// Package oci keeps models in OCI registries and signs and verifies them
// where they live. A model directory becomes a CNCF ModelPack artifact
// (artifactType application/vnd.cncf.model.manifest.v1+json): one raw
// layer per file, its relative path in the org.opencontainers.image.title
// annotation, and a model config listing the layer digests.
//
// Because a raw layer's digest is its file's SHA-256, the OMS manifest of
// the model (files method) can be built from the image manifest alone:
// signing and verifying a model of any size read a few kilobytes, and the
// signature is the same OMS bundle signing.Sign writes on disk. A model
// signed in the registry verifies on disk after a pull, and one signed on
// disk verifies in the registry.
//
//	repo, err := oci.Open(ctx, "registry.example/models/llm:v1", oci.Options{})
//	m, err := repo.Push(ctx, "model", oci.PushOptions{Tag: "v1"})
//	sr, err := repo.Sign(ctx, m.Descriptor.Digest.String(), signer, signing.SignOptions{})
//	res, err := repo.Verify(ctx, "v1", oci.VerifyOptions{VerifyOptions: signing.VerifyOptions{Key: verifier}})
//	// res.Model.Descriptor.Digest: the digest the tag named when verified
//	var mismatch *signing.MismatchError // a layer changed, missing or added
//	var digestErr *oci.DigestError      // the registry served other bytes than asked
//
// Evidence (the OMS bundle, provenance envelopes, validation and scan
// results) is attached as OCI 1.1 referrers of the model manifest with
// Attach and found again with Referrers; on a registry without the
// referrers API the referrers tag schema (an index tagged sha256-<hex>)
// is used, through oras-go.
//
// On request (PushOptions.Layout) each file becomes a tar layer instead,
// plain or compressed with gzip or zstd (ModelPack's ….v1.tar,
// ….v1.tar+gzip, ….v1.tar+zstd): one reproducible archive per file,
// holding it under its relative path. Such a model, and any archive
// layer another tool pushed (ModelPack's, or a directory oras packs),
// cannot be signed from the manifest alone: Sign and Verify stream each
// archive layer once, checking its digest and hashing every file in it
// on the way, and produce the same OMS statement as signing the
// unpacked directory on disk.
//
// Pull writes through an os.Root on the target directory: a layer title
// that is absolute, holds "..", or is listed twice is refused before
// anything is written, and every layer is checked against its digest
// while it streams, then renamed into place. Archive entries are held to
// the same rules as they stream: names must be clean relative paths,
// given once, never both a file and a directory, across all layers;
// symbolic and hard links, devices, FIFOs and sparse entries are
// refused; the entries of a model, the bytes a layer unpacks to (a ratio
// of its size, against decompression bombs) and the zstd window are
// bounded (Options.Archive); an archive's files are renamed into place
// only after the whole layer matched its digest. Push and Pull move layers in
// parallel (Options.Workers), streaming: memory is bounded by workers ×
// buffer, not by model size. Push reads each file twice by default (its
// digest first, so that a layer the registry holds is not sent again);
// PushOptions.SinglePass reads and packs each file once and hashes it
// while it is sent, through the distribution API's streamed upload.
//
// Credentials come from the docker config (and its credential helpers)
// unless Options.Credential is set; plain HTTP is used only for loopback
// registries unless Options.PlainHTTP asks for it; requests are retried
// with backoff (oras-go's retry policy) and bounded by the context and
// Options.Timeout.
//
// Compatibility with other signers of registry manifests: the Go port of
// the OMS reference tool (model-transparency-go, whose sign and verify
// commands take an image manifest file in place of a model directory)
// builds the same files-method manifest (layer title = resource name,
// SHA-256 layer digest = file digest). Tested both ways with that tool
// (testdata/interop_modelsigning): its signature of the manifest of a
// model mlsec pushed verifies in mlsec against the registry and on disk,
// mlsec's registry signature verifies in it against the manifest and on
// disk, and both tools refuse both signatures when a layer is changed,
// missing or added. It names the subject after the manifest file and
// records no ignore paths, which neither tool checks. It differs where
// mlsec refuses rather than guesses: it names an untitled layer
// "layer_NNN.tar.gz" and can add the config blob as "config.json" (mlsec
// signs files only, so such a signature reports that resource missing),
// and it does not refuse unsafe titles. It does not read archive layers;
// mlsec lists the files inside them, so their signatures differ.
//
// oci composes signing with a registry client, so it sits above the
// independent packages, beside gate: no independent package imports it.
package oci
