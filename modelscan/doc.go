// Package modelscan decides whether model files are safe to load, without
// loading them.
//
// Most model formats in use carry a Python pickle somewhere (PyTorch
// checkpoints, joblib dumps, NumPy object arrays), and loading a pickle runs
// whatever callables it names. modelscan runs the pickle symbolically
// instead: a streaming virtual machine follows every opcode, resolves each
// callable the stream would import (also through the memo and the stack),
// and reports every global that is not on an allowlist as a [Finding]. The
// default allowlist is what PyTorch's weights_only unpickler and NumPy's
// array reconstruction need; [Options.Allow] extends it. Nothing is ever
// imported or called.
//
// Containers are recognised by their content, never by their file name:
// PyTorch zip checkpoints, legacy pickles, joblib (raw, zlib, gzip, bz2, xz,
// lzma, lz4), NumPy .npy/.npz, Keras .keras archives, safetensors and GGUF
// headers. A zip is walked as PyTorch's loader walks it; every pickle
// member is scanned and checked against its CRC, while large members
// nothing loads as code (tensor data, over 1 MiB) are never read, so a
// multi-GB checkpoint is scanned in the time its pickles take.
//
// Memory is bounded per pickle stream: the stack by MaxStack, the memo at
// one bit per entry (MaxMemo, and 40 MiB however the keys are spread), the
// values the memo keeps at 256Ki and the strings kept to resolve globals at
// 16 MiB. Past those budgets a value is unknown, so a global built from it
// is reported as unresolved, never passed.
//
// A Keras archive's config.json is read as strict JSON (bounded size and
// depth, no duplicate keys) and every serialized object in it is checked:
// Lambda layers and serialized bytecode (CVE-2024-3660), TFSMLayer
// (CVE-2026-1462), classes from modules outside Keras' own packages
// (custom objects; CVE-2025-1550), and function references outside Keras'
// activation, loss, metric, initializer, regularizer and constraint modules
// — Keras functions such as models.load_model or file_utils.get_file are
// safe_mode bypasses too (CVE-2025-8747, CVE-2025-9906). Legacy HDF5 Keras
// files (CVE-2025-9905) are not read: they are reported as unknown format.
//
// An ONNX model is read with protobuf wire decoding, in place (tensor data
// is skipped, never buffered): the main graph, training graphs, functions,
// and every subgraph in node attributes, to a bounded depth. Each tensor
// stored as external data must name a relative location inside the model
// directory: an absolute path or a ".." step is a finding (CVE-2022-25882,
// CVE-2024-27318), and so are offsets and lengths that overflow. [ScanFile]
// also resolves the location on disk: a symlink leading out of the model
// directory (CVE-2026-34447), a file with more than one hard link
// (CVE-2026-34446), a missing file or a range past its end are findings.
// [Scan], which sees no file system, judges the location's text only.
//
// A stream that cannot be followed (truncated, malformed, unknown opcode, a
// declared length or depth past the limits) is a finding too, never a pass:
// [Result.Safe] is true only when the scan found nothing.
//
// Compressed joblib files are decompressed as a stream, never into
// memory; an xz or lzma header declaring a dictionary over 16 MiB (the
// decoder would allocate it up front) is a resource-limit finding.
//
// joblib writes each NumPy array's raw bytes inline, right after the BUILD
// opcode of a joblib.numpy_pickle.NumpyArrayWrapper (allowlisted). The VM
// reads the wrapper's shape and dtype from its state, skips exactly that
// many bytes (and joblib's alignment padding) without reading them as
// opcodes, and goes on scanning; an object-dtype array is the nested
// pickle joblib writes in its place, and is scanned like any other. A
// wrapper whose shape or dtype cannot be read is a finding.
//
//	res, err := modelscan.ScanFile(ctx, "model.pt", modelscan.Options{})
//	if err != nil { ... }          // the file could not be read
//	if !res.Safe() { ... }         // res.Findings say why
package modelscan
