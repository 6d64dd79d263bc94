package modelscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/mlsec-dev/mlsec/internal/strictjson"
)

// maxKerasConfig bounds a .keras archive's config.json. A large functional
// model's config is a few MB; the bound keeps a hostile one cheap.
const maxKerasConfig = 16 << 20

// Rules for Keras archives.
const (
	// RuleKerasLayer: a layer that runs code or loads a foreign graph when
	// the model is built (Lambda bytecode, TFSMLayer).
	RuleKerasLayer = "keras-unsafe-layer"
	// RuleKerasObject: an object or function the config asks Keras to
	// import from outside Keras' own serializable namespaces.
	RuleKerasObject = "keras-custom-object"
)

// kerasRoots are the packages whose classes Keras' safe_mode deserializes
// without custom_objects: Keras itself and the Keras-team libraries built on
// it. Anything else in a "module" key is a custom object: loading it imports
// that module (CVE-2025-1550, GHSA-48g7-3x6r-xfhp).
var kerasRoots = []string{"keras", "keras_hub", "keras_nlp", "keras_cv", "tf_keras"}

// kerasFunctionModules are the modules a config may name a plain function
// from: activations, losses, metrics and the like, which compute on tensors
// and nothing else. A function reference anywhere else, even inside Keras,
// is a finding: keras.models.load_model with safe_mode=false, or the
// global-state setter that turns safe_mode off, are Keras functions too
// (CVE-2025-8747, CVE-2025-9906).
var kerasFunctionModules = []string{"activations", "losses", "metrics", "initializers", "regularizers", "constraints"}

// kerasUnsafeLayers run code or load code when the model is deserialized or
// first called.
var kerasUnsafeLayers = map[string]string{
	// The config carries marshalled Python bytecode (CVE-2024-3660) or names
	// a function to call; safe_mode only refuses the first.
	"Lambda": "a Lambda layer runs Python code from the config",
	// TFSMLayer loads a TensorFlow SavedModel from a path in the config, with
	// its own graph and ops (CVE-2026-1462).
	"TFSMLayer": "a TFSMLayer loads an external TensorFlow SavedModel",
}

func inRoots(module string, roots []string) bool {
	for _, r := range roots {
		if module == r || strings.HasPrefix(module, r+".") {
			return true
		}
	}
	return false
}

// kerasFunctionAllowed reports whether module is one of Keras' pure tensor
// function modules: keras.activations or keras.src.activations.activations,
// for instance.
func kerasFunctionAllowed(module string) bool {
	parts := strings.Split(module, ".")
	if len(parts) < 2 || !inRoots(parts[0], kerasRoots) {
		return false
	}
	rest := parts[1:]
	if rest[0] == "src" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return false
	}
	for _, m := range kerasFunctionModules {
		if rest[0] == m {
			return true
		}
	}
	return false
}

// scanKerasConfig checks a .keras archive's config.json: strict JSON
// (bounded size and depth, no duplicate keys), then every serialized
// object in it. member names the archive member for the findings.
func scanKerasConfig(data []byte, member string, add func(Finding)) {
	bad := func(rule string, sev Severity, global, format string, a ...any) {
		add(Finding{Member: member, Rule: rule, Severity: sev, Global: global, Detail: fmt.Sprintf(format, a...)})
	}
	if len(data) > maxKerasConfig {
		bad(RuleResourceLimit, SeverityHigh, "", "keras: config.json over %d bytes", maxKerasConfig)
		return
	}
	if err := strictjson.Check(data); err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) && se.Kind == strictjson.TooLarge {
			bad(RuleResourceLimit, SeverityHigh, "", "keras: config.json: %v", err)
			return
		}
		bad(RuleMalformed, SeverityHigh, "", "keras: config.json: %v", err)
		return
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		bad(RuleMalformed, SeverityHigh, "", "keras: config.json: %v", err)
		return
	}
	if _, ok := v.(map[string]any); !ok {
		bad(RuleMalformed, SeverityHigh, "", "keras: config.json is not an object")
		return
	}
	walkKeras(v, "$", bad)
}

// walkKeras visits every serialized object ({"class_name": ...}) in the
// config, in a stable order so findings are reproducible.
func walkKeras(v any, path string, bad func(rule string, sev Severity, global, format string, a ...any)) {
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			walkKeras(e, fmt.Sprintf("%s[%d]", path, i), bad)
		}
	case map[string]any:
		checkKerasObject(t, path, bad)
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkKeras(t[k], path+"."+k, bad)
		}
	}
}

func checkKerasObject(o map[string]any, path string, bad func(rule string, sev Severity, global, format string, a ...any)) {
	class, hasClass := o["class_name"].(string)
	module, hasModule := o["module"].(string)
	registered, _ := o["registered_name"].(string)
	if _, ok := o["module"]; ok && !hasModule && o["module"] != nil {
		bad(RuleMalformed, SeverityHigh, "", "keras: %s: module is not a string", path)
	}
	if !hasClass {
		return
	}
	global := class
	if hasModule {
		global = module + "." + class
	}
	if why, ok := kerasUnsafeLayers[class]; ok {
		bad(RuleKerasLayer, SeverityCritical, global, "keras: %s: %s", path, why)
	}
	switch class {
	case "__lambda__":
		// A serialized Python function: base64 marshal bytecode in "code".
		bad(RuleKerasLayer, SeverityCritical, global, "keras: %s: serialized Python bytecode", path)
		return
	case "function":
		fn, _ := o["config"].(string)
		g := module + "." + fn
		switch {
		case !hasModule:
			bad(RuleKerasObject, SeverityHigh, g, "keras: %s: function reference without a module", path)
		case !inRoots(module, kerasRoots):
			bad(RuleKerasObject, SeverityCritical, g, "keras: %s: calls a function from outside Keras", path)
		case !kerasFunctionAllowed(module):
			bad(RuleKerasObject, SeverityCritical, g, "keras: %s: calls a Keras function that is no activation, loss, metric, initializer, regularizer or constraint", path)
		}
		return
	}
	if hasModule && !inRoots(module, kerasRoots) {
		sev := SeverityHigh
		if isDangerous(Global{module, class}) || module == "builtins" || module == "__builtin__" {
			sev = SeverityCritical
		}
		bad(RuleKerasObject, sev, global, "keras: %s: imports a class from outside Keras", path)
	}
	// register_keras_serializable names objects "package>Name"; Keras' own
	// carry no package or their class name.
	if pkg, _, ok := strings.Cut(registered, ">"); ok && !inRoots(pkg, kerasRoots) {
		bad(RuleKerasObject, SeverityHigh, registered, "keras: %s: a custom object registered outside Keras", path)
	}
}
