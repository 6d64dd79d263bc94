package modelscan

import "strings"

// Global is a callable a pickle imports: GLOBAL "module name", or its
// STACK_GLOBAL, INST and EXT forms.
type Global struct {
	Module string
	Name   string
}

func (g Global) String() string { return g.Module + "." + g.Name }

// defaultAllow is what PyTorch's weights_only unpickler permits and what
// NumPy needs to rebuild arrays: enough for tensors, state dicts and arrays,
// nothing that runs code.
var defaultAllow = func() map[Global]bool {
	m := map[Global]bool{}
	add := func(module string, names ...string) {
		for _, n := range names {
			m[Global{module, n}] = true
		}
	}
	add("collections", "OrderedDict", "Counter")
	add("builtins", "set", "frozenset", "bytearray", "complex")
	add("__builtin__", "set", "frozenset", "bytearray", "complex")
	add("_codecs", "encode")
	add("torch._utils", "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3",
		"_rebuild_parameter", "_rebuild_parameter_with_state", "_rebuild_qtensor",
		"_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage", "_rebuild_nested_tensor",
		"_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy")
	add("torch._tensor", "_rebuild_from_type_v2")
	add("torch.serialization", "_get_layout")
	add("torch.nn.parameter", "Parameter")
	add("torch", "Size", "Tensor", "device", "strided", "sparse_coo", "sparse_csr",
		"per_tensor_affine", "per_channel_affine",
		"float16", "float32", "float64", "bfloat16", "half", "float", "double",
		"uint8", "int8", "int16", "int32", "int64", "bool", "complex64", "complex128",
		"float8_e4m3fn", "float8_e5m2", "qint8", "quint8", "qint32",
		"FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage", "LongStorage",
		"IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage",
		"ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage",
		"QInt32Storage", "UntypedStorage")
	add("torch.storage", "UntypedStorage", "TypedStorage", "_load_from_bytes")
	for _, mod := range []string{"numpy.core.multiarray", "numpy._core.multiarray"} {
		add(mod, "_reconstruct", "scalar")
	}
	add("numpy", "ndarray", "dtype")
	// joblib's wrapper for arrays whose bytes follow inline (see joblib.go);
	// it only tells the loader how many bytes to read.
	add("joblib.numpy_pickle", "NumpyArrayWrapper")
	return m
}()

// dangerousModules name modules whose every callable can run code, touch
// the system or load more code; a global from one (or a submodule) is
// critical, not merely unknown.
var dangerousModules = []string{
	"os", "posix", "nt", "subprocess", "pty", "shutil", "socket", "sys", "commands",
	"pip", "importlib", "marshal", "runpy", "ctypes", "pickle", "_pickle", "cPickle",
	"dill", "code", "codeop", "webbrowser", "multiprocessing", "asyncio", "requests",
	"urllib", "http", "ftplib", "telnetlib", "smtplib", "pdb", "timeit", "torch.hub",
	"platform", "tempfile", "signal", "threading", "_thread", "imp", "zipimport", "types",
}

// dangerousBuiltins are the builtins that evaluate, import, open or reach
// attributes.
var dangerousBuiltins = map[string]bool{
	"eval": true, "exec": true, "compile": true, "open": true, "__import__": true,
	"getattr": true, "setattr": true, "delattr": true, "globals": true, "locals": true,
	"vars": true, "breakpoint": true, "input": true, "execfile": true, "file": true,
	"apply": true, "reload": true,
}

func isDangerous(g Global) bool {
	if g.Module == "builtins" || g.Module == "__builtin__" || g.Module == "__builtins__" {
		return dangerousBuiltins[g.Name] || strings.HasPrefix(g.Name, "__")
	}
	for _, m := range dangerousModules {
		if g.Module == m || strings.HasPrefix(g.Module, m+".") {
			return true
		}
	}
	if g.Module == "torch" && (g.Name == "load" || g.Name == "hub") {
		return true
	}
	return false
}
