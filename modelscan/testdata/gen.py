#!/usr/bin/env python3
"""Writes the modelscan test corpus. Standard library only.

No payload ever runs: malicious pickles are written opcode by opcode, so
the target callable is only named, never imported or called. File names
say what a scan must conclude: good_* is safe, fail_* is not.
"""
import bz2
import collections
import gzip
import os
import pickle
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

# Fixed member timestamps, so a re-run writes the same bytes.
_writestr = zipfile.ZipFile.writestr


def _fixed_writestr(self, name, data, *a, **kw):
    if isinstance(name, str):
        name = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        name.compress_type = self.compression
    return _writestr(self, name, data, *a, **kw)


zipfile.ZipFile.writestr = _fixed_writestr


def w(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def glob(mod, name):
    return b"c" + mod.encode() + b"\n" + name.encode() + b"\n"


def reduce_call(mod, name, arg=b"echo pwned"):
    # PROTO 2, GLOBAL, (arg,) REDUCE STOP
    return b"\x80\x02" + glob(mod, name) + b"X" + struct.pack("<I", len(arg)) + arg + b"\x85R."


def sg(mod, name):
    m, n = mod.encode(), name.encode()
    return b"\x8c" + bytes([len(m)]) + m + b"\x8c" + bytes([len(n)]) + n + b"\x93"


# Dangerous callables, GLOBAL + REDUCE form.
for fname, mod, name in [
    ("fail_os_system.pkl", "os", "system"),
    ("fail_posix_system.pkl", "posix", "system"),
    ("fail_builtins_exec.pkl", "builtins", "exec"),
    ("fail_builtins_eval.pkl", "__builtin__", "eval"),
    ("fail_subprocess_popen.pkl", "subprocess", "Popen"),
    ("fail_pip_main.pkl", "pip", "main"),
    ("fail_importlib_import_module.pkl", "importlib", "import_module"),
    ("fail_marshal_loads.pkl", "marshal", "loads"),
    ("fail_runpy_run_path.pkl", "runpy", "run_path"),
    ("fail_submodule_os_path.pkl", "os.path", "join"),
    ("fail_unknown_global.pkl", "mypkg.models", "Config"),
]:
    w(fname, reduce_call(mod, name))

# STACK_GLOBAL through the memo: strings memoized, popped, fetched back.
w("fail_stack_global_memo.pkl",
  b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00"
  + b"\x8c\x02os\x94" + b"\x8c\x06system\x94" + b"0" + b"0"
  + b"h\x00h\x01\x93" + b"\x94" + b"\x8c\x02id\x85R.")
# A global stored in the memo and called later through BINGET.
w("fail_global_via_memo.pkl", b"\x80\x02" + glob("os", "system") + b"q\x00" + b"0" + b"h\x00" + b"X\x02\x00\x00\x00id\x85R.")
# INST and OBJ forms (protocol 0/1), EXT codes, NEWOBJ_EX.
w("fail_inst_os_system.pkl", b"(S'id'\nios\nsystem\n.")
w("fail_obj_subprocess.pkl", b"(" + glob("subprocess", "check_output") + b"S'id'\no.")
w("fail_ext_code.pkl", b"\x80\x02\x82\x01)R.")
w("fail_newobj_ex.pkl", b"\x80\x04" + sg("builtins", "eval") + b")}\x92.")
# Malformed streams and bombs.
w("fail_truncated.pkl", reduce_call("collections", "OrderedDict")[:-3])
w("fail_unknown_opcode.pkl", b"\x80\x02\xff.")
w("fail_no_stop.pkl", b"\x80\x02]q\x00")
w("fail_huge_length.pkl", b"\x80\x04\x8e" + struct.pack("<Q", 1 << 62) + b"x.")
w("fail_stack_underflow.pkl", b"\x80\x02R.")
w("fail_get_unset_memo.pkl", b"\x80\x02h\x05.")

# Benign look-alikes.
w("good_plain_data.pkl", pickle.dumps({"lr": 0.01, "layers": [1, 2, 3], "name": "net", "b": b"\x00\x01", "s": {1, 2}}, protocol=2))
w("good_plain_data_p5.pkl", pickle.dumps({"lr": 0.01, "layers": [1, 2, 3], "blob": b"x" * 5000}, protocol=5))
w("good_plain_data_p0.pkl", pickle.dumps({"lr": 0.01, "layers": [1, 2, 3], "name": "net"}, protocol=0))
w("good_ordered_dict.pkl", pickle.dumps(collections.OrderedDict(a=1, b=[2, 3]), protocol=4))
# A NumPy float32 array, written with the opcodes numpy's __reduce__ emits.
w("good_numpy_array.pkl",
  b"\x80\x02" + glob("numpy.core.multiarray", "_reconstruct") + b"q\x00"
  + glob("numpy", "ndarray") + b"q\x01K\x00\x85q\x02C\x01bq\x03\x87q\x04Rq\x05"
  + b"(K\x01K\x03\x85q\x06" + glob("numpy", "dtype") + b"q\x07X\x02\x00\x00\x00f4q\x08K\x00K\x01\x87q\tRq\n"
  + b"(K\x03X\x01\x00\x00\x00<q\x0bNNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tq\x0cb\x89C\x0c"
  + b"\x00\x00\x80?\x00\x00\x00@\x00\x00@@q\rtq\x0eb.")


def torch_data_pkl():
    """The opcodes torch.save emits for an OrderedDict state dict of two float tensors."""
    out = b"\x80\x02" + glob("collections", "OrderedDict") + b"q\x00)Rq\x01("
    for i, (key, shape, stride) in enumerate([("layer.weight", (2, 2), (2, 1)), ("layer.bias", (2,), (1,))]):
        k = key.encode()
        out += b"X" + struct.pack("<I", len(k)) + k
        out += glob("torch._utils", "_rebuild_tensor_v2") + b"("
        # persistent id: ('storage', torch.FloatStorage, key, location, numel)
        out += b"(X\x07\x00\x00\x00storage" + glob("torch", "FloatStorage") + b"X\x01\x00\x00\x00" + str(i).encode()
        out += b"X\x03\x00\x00\x00cpuK\x04tQ"
        out += b"K\x00" + b"".join(b"K" + bytes([d]) for d in shape) + (b"\x86" if len(shape) == 2 else b"\x85")
        out += b"".join(b"K" + bytes([d]) for d in stride) + (b"\x86" if len(stride) == 2 else b"\x85")
        out += b"\x89" + glob("collections", "OrderedDict") + b")R" + b"tR"
    return out + b"u."


def torch_zip(name, data_pkl, extra=None, tamper=None):
    path = os.path.join(HERE, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", data_pkl)
        z.writestr("archive/byteorder", b"little")
        z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4))
        z.writestr("archive/data/1", struct.pack("<2f", 0, 0))
        z.writestr("archive/version", b"3\n")
        if extra:
            z.writestr(extra[0], extra[1])
    if tamper:
        with open(path, "rb") as f:
            b = bytearray(f.read())
        tamper(b)
        with open(path, "wb") as f:
            f.write(b)


def name_mismatch(b):
    i = b.index(b"archive/data.pkl")  # the first occurrence is the local header
    b[i:i + 16] = b"archive/dota.pkl"


def bad_crc(b):
    i = b.index(b"little")
    b[i:i + 6] = b"LITTLE"


def flag_bits(b):
    b[6] |= 1  # the first local header claims encryption


torch_zip("good_torch_state_dict.pt", torch_data_pkl())
torch_zip("fail_torch_os_system.pt", reduce_call("os", "system"))
# A pickle member under a non-.pkl name: found by its PROTO byte.
torch_zip("fail_torch_hidden_member.bin", torch_data_pkl(), extra=("archive/extra.dat", reduce_call("subprocess", "Popen")))
torch_zip("fail_zip_name_mismatch.pt", torch_data_pkl(), tamper=name_mismatch)
torch_zip("fail_zip_bad_crc.pt", torch_data_pkl(), tamper=bad_crc)
torch_zip("fail_zip_flag_bits.pt", torch_data_pkl(), tamper=flag_bits)

# Joblib: a raw pickle and compressed ones, recognised by content.
w("good_joblib_plain.joblib", pickle.dumps({"coef": [0.1, 0.2]}, protocol=4))
w("good_joblib_zlib.joblib", zlib.compress(pickle.dumps([1, 2, 3], protocol=4)))
w("fail_joblib_zlib.joblib", zlib.compress(reduce_call("os", "system")))
w("fail_joblib_gzip.joblib", gzip.compress(reduce_call("builtins", "exec"), mtime=0))
w("fail_joblib_bz2.joblib", bz2.compress(reduce_call("subprocess", "Popen")))
# A pickle behind a misleading extension.
w("fail_os_system_as.safetensors", reduce_call("os", "system"))


def npy(descr, body):
    hdr = ("{'descr': '%s', 'fortran_order': False, 'shape': (2,), }" % descr).encode()
    hdr += b" " * (63 - (10 + len(hdr)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + body


w("good_float.npy", npy("<f4", struct.pack("<2f", 1, 2)))
w("good_object_plain.npy", npy("|O", pickle.dumps(["a", "b"], protocol=3)))
w("fail_object_os_system.npy", npy("|O", reduce_call("os", "system")))
with zipfile.ZipFile(os.path.join(HERE, "fail_npz_object.npz"), "w") as z:
    z.writestr("x.npy", npy("|O", reduce_call("os", "system")))
with zipfile.ZipFile(os.path.join(HERE, "good_npz.npz"), "w") as z:
    z.writestr("x.npy", npy("<f4", struct.pack("<2f", 1, 2)))


def safetensors(header, data):
    h = header.encode()
    return struct.pack("<Q", len(h)) + h + data


w("good_model.safetensors", safetensors('{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}', b"\x00" * 12))
w("fail_safetensors_overlap.safetensors", safetensors('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\x00" * 8))
w("fail_safetensors_shape.safetensors", safetensors('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b"\x00" * 8))
w("fail_safetensors_out_of_bounds.safetensors", safetensors('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b"\x00" * 8))
w("fail_safetensors_duplicate.safetensors", safetensors('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b"\x00" * 8))


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(kvs, ntensors=0):
    out = b"GGUF" + struct.pack("<IQQ", 3, ntensors, len(kvs))
    for k, v in kvs:
        out += gstr(k) + struct.pack("<I", 8) + gstr(v)
    return out


w("good_model.gguf", gguf([("general.name", "tiny"), ("tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}")]))
w("fail_gguf_template.gguf", gguf([("tokenizer.chat_template", "{{ cycler.__init__.__globals__.os.popen('id').read() }}")]))
w("fail_gguf_counts.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 1 << 60))
w("fail_unknown_format.bin", b"hello, this is not a model\n")


# Keras .keras archives: config.json names every class and function Keras
# imports when it rebuilds the model.
import base64
import json


def klayer(cls, config, module="keras.layers", registered=None):
    return {"module": module, "class_name": cls, "config": config, "registered_name": registered}


def kfn(module, name):
    return {"module": module, "class_name": "function", "config": name, "registered_name": "function"}


def keras_model(layers):
    return {
        "module": "keras", "class_name": "Sequential",
        "config": {"name": "sequential", "trainable": True,
                   "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
                   "layers": [klayer("InputLayer", {"batch_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "input_layer"})] + layers},
        "registered_name": None,
        "build_config": {"input_shape": [None, 4]},
        "compile_config": {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.001}, "registered_name": None},
                           "loss": kfn("keras.src.losses.losses", "mean_squared_error"), "metrics": None},
    }


def keras_zip(name, config, raw_config=None):
    with zipfile.ZipFile(os.path.join(HERE, name), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.10.0", "date_saved": "2020-01-01@00:00:00"}))
        z.writestr("config.json", raw_config if raw_config is not None else json.dumps(config))
        # Not a real HDF5 file: the weights member is never read.
        z.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)


dense = klayer("Dense", {"name": "dense", "units": 2, "activation": "relu", "use_bias": True,
                         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}, "registered_name": None}})
dense_fn = klayer("Dense", {"name": "dense_1", "units": 1, "activation": kfn("keras.src.activations.activations", "sigmoid")})
keras_zip("good_keras_dense.keras", keras_model([dense, dense_fn]))
# CVE-2024-3660: a Lambda layer whose function is marshalled bytecode (here
# placeholder bytes, base64-encoded as Keras writes them; never loaded).
keras_zip("fail_keras_lambda_bytecode.keras", keras_model([dense, klayer("Lambda", {
    "name": "lambda", "function": {"class_name": "__lambda__", "config": {
        "code": base64.b64encode(b"\xe3placeholder-bytecode").decode(), "defaults": None, "closure": None}},
    "arguments": {}})]))
# CVE-2025-8747 / CVE-2025-9906 shape: a Lambda calling a Keras function that
# loads another model with safe_mode off.
keras_zip("fail_keras_lambda_load_model.keras", keras_model([klayer("Lambda", {
    "name": "l", "function": kfn("keras.models", "load_model"), "arguments": {"safe_mode": False}})]))
# CVE-2025-1550 shape: a function reference naming an arbitrary module.
keras_zip("fail_keras_module_function.keras", keras_model([klayer("Dense", {
    "name": "d", "units": 1, "activation": kfn("subprocess", "check_output")})]))
# A Keras function outside the tensor-math modules (writes a file).
keras_zip("fail_keras_get_file.keras", keras_model([klayer("Dense", {
    "name": "d", "units": 1, "activation": kfn("keras.src.utils.file_utils", "get_file")})]))
# CVE-2026-1462: TFSMLayer loads a SavedModel from a path in the config.
keras_zip("fail_keras_tfsmlayer.keras", keras_model([klayer("TFSMLayer", {
    "name": "t", "filepath": "/tmp/saved_model", "call_endpoint": "serve"})]))
# A custom object: a class from the author's own package.
keras_zip("fail_keras_custom_object.keras", keras_model([klayer("MyLayer", {"name": "m"}, module="mypkg.layers", registered="MyPkg>MyLayer")]))
# Duplicate keys: readers disagree on which "module" wins.
keras_zip("fail_keras_duplicate_key.keras", None, raw_config='{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "module": "os", "class_name": "Dense", "config": {}}]}}')
keras_zip("fail_keras_deep.keras", None, raw_config="[" * 200 + "]" * 200)


# ONNX: protobuf written field by field (onnx/onnx.proto3 numbers).
def pb_varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return pb_varint(num << 3 | 2) + pb_varint(len(b)) + b


def pb_int(num, v):
    return pb_varint(num << 3) + pb_varint(v)


def onnx_tensor(name, location=None, offset=None, length=None, raw=None):
    t = pb_int(1, 2) + pb_int(2, 1) + pb_bytes(8, name)  # dims [2], FLOAT
    if raw is not None:
        t += pb_bytes(9, raw)
    if location is not None:
        for k, v in [("location", location), ("offset", offset), ("length", length)]:
            if v is not None:
                t += pb_bytes(13, pb_bytes(1, k) + pb_bytes(2, str(v)))
        t += pb_int(14, 1)  # data_location = EXTERNAL
    return t


def onnx_graph(initializers=(), nodes=(), sparse=()):
    g = b"".join(pb_bytes(1, n) for n in nodes) + pb_bytes(2, "g")
    g += b"".join(pb_bytes(5, t) for t in initializers)
    g += b"".join(pb_bytes(15, s) for s in sparse)
    return g


def onnx_model(graph):
    return (pb_int(1, 8) + pb_bytes(2, "mlsec-gen") + pb_bytes(3, "1") + pb_bytes(7, graph)
            + pb_bytes(8, pb_bytes(1, "") + pb_int(2, 17)))


add_node = pb_bytes(1, "x") + pb_bytes(1, "w") + pb_bytes(2, "y") + pb_bytes(4, "Add")
w("onnx_weights.bin", struct.pack("<4f", 1, 2, 3, 4))
w("good_onnx_inline.onnx", onnx_model(onnx_graph([onnx_tensor("w", raw=struct.pack("<2f", 1, 2))], [add_node])))
w("good_onnx_external.onnx", onnx_model(onnx_graph(
    [onnx_tensor("w", "onnx_weights.bin", 0, 8), onnx_tensor("v", "./onnx_weights.bin", 8, 8)], [add_node])))
w("fail_onnx_absolute.onnx", onnx_model(onnx_graph([onnx_tensor("w", "/etc/passwd")], [add_node])))
w("fail_onnx_dotdot.onnx", onnx_model(onnx_graph([onnx_tensor("w", "weights/../../../etc/shadow")], [add_node])))
w("fail_onnx_backslash_dotdot.onnx", onnx_model(onnx_graph([onnx_tensor("w", "..\\..\\secrets.txt")], [add_node])))
# The escape hidden in an If node's then_branch subgraph (attribute g).
if_node = (pb_bytes(1, "c") + pb_bytes(2, "y") + pb_bytes(4, "If")
           + pb_bytes(5, pb_bytes(1, "then_branch") + pb_int(20, 5)
                      + pb_bytes(6, onnx_graph([onnx_tensor("w", "../../home/user/.ssh/id_rsa")]))))
w("fail_onnx_subgraph_dotdot.onnx", onnx_model(onnx_graph([], [if_node])))
w("fail_onnx_sparse_absolute.onnx", onnx_model(onnx_graph(sparse=[pb_bytes(1, onnx_tensor("sv", "/etc/hosts")) + pb_bytes(2, onnx_tensor("si", raw=b"\x00" * 8))])))
w("fail_onnx_offset_overflow.onnx", onnx_model(onnx_graph([onnx_tensor("w", "onnx_weights.bin", (1 << 63) - 4, 8)], [add_node])))
w("fail_onnx_range_past_end.onnx", onnx_model(onnx_graph([onnx_tensor("w", "onnx_weights.bin", 8, 4096)], [add_node])))
w("fail_onnx_missing_file.onnx", onnx_model(onnx_graph([onnx_tensor("w", "no_such_weights.bin")], [add_node])))
w("fail_onnx_truncated.onnx", onnx_model(onnx_graph([onnx_tensor("w", "onnx_weights.bin")], [add_node]))[:-12])


# Joblib xz and lzma (the legacy "alone" format), recognised by content.
import lzma


def xz_big_dictionary(data):
    """An xz stream whose block header declares a 4 GiB dictionary."""
    b = bytearray(lzma.compress(data, format=lzma.FORMAT_XZ, preset=3))
    start, size = 12, (b[12] + 1) * 4
    i = start + 2
    assert b[start + 1] & 0xC0 == 0 and b[i] == 0x21 and b[i + 1] == 1
    b[i + 2] = 40
    b[start + size - 4:start + size] = struct.pack("<I", zlib.crc32(bytes(b[start:start + size - 4])))
    return bytes(b)


w("good_joblib_xz.joblib", lzma.compress(pickle.dumps({"coef": [0.1, 0.2]}, protocol=4), format=lzma.FORMAT_XZ, preset=3))
w("good_joblib_lzma.joblib", lzma.compress(pickle.dumps([1, 2, 3], protocol=4), format=lzma.FORMAT_ALONE, preset=3))
w("fail_joblib_xz.joblib", lzma.compress(reduce_call("os", "system"), format=lzma.FORMAT_XZ, preset=3))
w("fail_joblib_lzma.joblib", lzma.compress(reduce_call("runpy", "run_path"), format=lzma.FORMAT_ALONE, preset=3))
w("fail_joblib_xz_dictionary.joblib", xz_big_dictionary(pickle.dumps([1, 2, 3], protocol=4)))
_alone = bytearray(lzma.compress(pickle.dumps([1, 2, 3], protocol=4), format=lzma.FORMAT_ALONE, preset=3))
_alone[1:5] = struct.pack("<I", 1 << 30)
w("fail_joblib_lzma_dictionary.joblib", bytes(_alone))


def xxh32(data, seed=0):
    P1, P2, P3, P4, P5 = 2654435761, 2246822519, 3266489917, 668265263, 374761393
    M = 0xFFFFFFFF

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & M
    n, i = len(data), 0
    if n >= 16:
        v = [(seed + P1 + P2) & M, (seed + P2) & M, seed, (seed - P1) & M]
        while i + 16 <= n:
            for j in range(4):
                v[j] = rotl((v[j] + struct.unpack_from("<I", data, i + 4 * j)[0] * P2) & M, 13) * P1 & M
            i += 16
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & M
    else:
        h = (seed + P5) & M
    h = (h + n) & M
    while i + 4 <= n:
        h = rotl((h + struct.unpack_from("<I", data, i)[0] * P3) & M, 17) * P4 & M
        i += 4
    while i < n:
        h = rotl((h + data[i] * P5) & M, 11) * P1 & M
        i += 1
    h ^= h >> 15
    h = h * P2 & M
    h ^= h >> 13
    h = h * P3 & M
    return h ^ (h >> 16)


def lz4_frame(data):
    """An LZ4 frame of stored (uncompressed) blocks, as the format allows."""
    desc = bytes([0x60, 0x40])  # version 1, independent blocks; 64 KB blocks
    out = b"\x04\x22\x4d\x18" + desc + bytes([(xxh32(desc) >> 8) & 0xFF])
    for k in range(0, len(data), 65536):
        blk = data[k:k + 65536]
        out += struct.pack("<I", len(blk) | 0x80000000) + blk
    return out + b"\x00\x00\x00\x00"


w("good_joblib_lz4.joblib", lz4_frame(pickle.dumps({"coef": [0.1, 0.2]}, protocol=4)))
w("fail_joblib_lz4.joblib", lz4_frame(reduce_call("subprocess", "Popen")))


# Joblib dumps with inline NumPy arrays, laid out as joblib's NumpyPickler
# writes them: a NumpyArrayWrapper built from a state dict, then (after its
# BUILD opcode, outside any opcode) one padding-length byte, that many
# padding bytes to 16-byte alignment, and the raw array bytes.
def short(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b + b"\x94"


def np_dtype(descr):
    return (sg("numpy", "dtype") + b"\x94" + short(descr) + b"\x89\x88\x87\x94R\x94"
            + b"(K\x03" + short("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b")


def np_shape(shape):
    ints = b"".join(b"K" + bytes([d]) for d in shape)
    return {0: b")", 1: ints + b"\x85", 2: ints + b"\x86", 3: ints + b"\x87"}[len(shape)] + b"\x94"


def joblib_array(prefix, shape, descr, data, align=True):
    """The opcodes and bytes of one array, appended to prefix (for the alignment)."""
    out = sg("joblib.numpy_pickle", "NumpyArrayWrapper") + b"\x94)\x81\x94}\x94("
    out += short("subclass") + sg("numpy", "ndarray") + b"\x94"
    out += short("shape") + np_shape(shape) + short("order") + short("C")
    out += short("dtype") + np_dtype(descr) + short("allow_mmap") + b"\x88"
    if align:
        out += short("numpy_array_alignment_bytes") + b"K\x10"
    out += b"ub"
    if align and not descr.startswith("O"):  # an object array is pickled whole, unpadded
        pos = len(prefix) + len(out) + 1
        pad = 16 - pos % 16
        out += bytes([pad]) + b"\xff" * pad
    return prefix + out + data


def joblib_dump(entries, tail=b""):
    """{key: array, ...} as a protocol 4 joblib pickle; tail goes before the last SETITEMS."""
    out = b"\x80\x04}\x94("
    for key, (shape, descr, data) in entries:
        out = joblib_array(out + short(key), shape, descr, data)
    return out + tail + b"u."


weights = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
w("good_joblib_arrays.joblib", joblib_dump([("coef", ((2, 3), "f4", weights)), ("intercept", ((2,), "f8", struct.pack("<2d", 0.5, -0.5)))]))
# Array bytes that read like opcodes naming os.system: skipped, never run as opcodes.
w("good_joblib_array_lookalike.joblib", joblib_dump([("vocab", ((16,), "u1", b"cos\nsystem\n(S'id'"[:16]))]))
w("good_joblib_array_scalar.joblib", joblib_dump([("t", ((), "f8", struct.pack("<d", 1.0)))]))
w("good_joblib_array_noalign.joblib", b"\x80\x04}\x94(" + short("a") + joblib_array(b"", (2,), "i8", struct.pack("<2q", 1, 2), align=False)[0:] + b"u.")
w("good_joblib_array_zlib.joblib", zlib.compress(joblib_dump([("coef", ((2, 3), "f4", weights))])))
# The scan goes on after the array: a payload behind it is still found.
w("fail_joblib_array_then_payload.joblib", joblib_dump([("coef", ((2, 3), "f4", weights))],
                                                        tail=short("x") + glob("os", "system") + b"X\x02\x00\x00\x00id\x85R"))
# An object array is a whole pickle in place of the data.
w("good_joblib_object_array.joblib", joblib_dump([("names", ((2,), "O8", pickle.dumps(["a", "b"], protocol=2)))]))
w("fail_joblib_object_array.joblib", joblib_dump([("names", ((1,), "O8", reduce_call("os", "system")))]))
w("fail_joblib_array_truncated.joblib", joblib_dump([("coef", ((2, 3), "f4", weights))])[:-10])
w("fail_joblib_array_huge.joblib", joblib_dump([("coef", ((255, 255, 255), "V255", b""))]).replace(b"K\xff", b"J\xff\xff\xff\x7f"))
