package modelscan

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity ranks a [Finding].
type Severity int

// Severities, lowest first.
const (
	// SeverityMedium marks a file that a lenient loader accepts but that is
	// inconsistent (a CRC mismatch, a name mismatch in a zip).
	SeverityMedium Severity = iota + 1
	// SeverityHigh marks what cannot be shown safe: an unknown global, a
	// malformed stream, a resource bomb.
	SeverityHigh
	// SeverityCritical marks a global known to run code or commands.
	SeverityCritical
)

func (s Severity) String() string {
	switch s {
	case SeverityMedium:
		return "medium"
	case SeverityHigh:
		return "high"
	case SeverityCritical:
		return "critical"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the severity's name, so JSON reads "critical".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Rules a [Finding] can name.
const (
	RuleDangerousGlobal = "dangerous-global" // a callable known to run code or commands
	RuleUnknownGlobal   = "unknown-global"   // a callable that is not on the allowlist
	RuleDynamicGlobal   = "dynamic-global"   // a global whose name is not a constant string
	RuleIndirectCall    = "indirect-call"    // a call of something that is not a resolved global
	RuleExtension       = "extension-code"   // EXT1/2/4: a global from the copyreg registry
	RuleMalformed       = "malformed"        // truncated or invalid stream or header
	RuleResourceLimit   = "resource-limit"   // a declared size, depth or count past the limits
	RuleZipMismatch     = "zip-mismatch"     // local and central zip records disagree
	RuleZipCRC          = "zip-crc"          // a zip member's CRC does not match its data
	RuleZipFlags        = "zip-flags"        // encrypted or unknown-method zip member
	RuleTemplate        = "template-escape"  // a GGUF chat template reaching out of the Jinja sandbox
	RuleUnknownFormat   = "unknown-format"   // content that is no model format modelscan reads
)

// Finding is one reason a file is not safe to load.
type Finding struct {
	File     string   `json:"file"`
	Member   string   `json:"member,omitempty"` // the archive member, when inside one
	Offset   int64    `json:"offset"`           // byte offset in the file or member (decompressed stream for compressed files)
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Global   string   `json:"global,omitempty"` // the offending "module.name"
	Detail   string   `json:"detail"`
}

func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Member != "" {
		b.WriteString("!" + f.Member)
	}
	fmt.Fprintf(&b, "@%d: %s %s", f.Offset, f.Severity, f.Rule)
	if f.Global != "" {
		b.WriteString(" " + f.Global)
	}
	if f.Detail != "" {
		b.WriteString(": " + f.Detail)
	}
	return b.String()
}

// Result is the verdict on one file.
type Result struct {
	File     string    `json:"file"`
	Format   string    `json:"format"` // "pytorch-zip", "pickle", "joblib-zlib", "npy", "safetensors", "gguf", ...
	Findings []Finding `json:"findings"`
}

// Safe reports whether the scan found nothing: a file is safe to load only
// when every callable it names is allowed and every structure was read.
func (r *Result) Safe() bool { return r != nil && len(r.Findings) == 0 }

// MarshalJSON adds the verdict to the JSON form.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	fs := r.Findings
	if fs == nil {
		fs = []Finding{}
	}
	p := plain(*r)
	p.Findings = fs
	return json.Marshal(struct {
		plain
		Safe bool `json:"safe"`
	}{p, r.Safe()})
}
