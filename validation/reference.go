package validation

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// ParamInfo describes one argument (kwarg) of a check type.
type ParamInfo struct {
	Name     string
	Required bool
	// Type is the argument's JSON type as the suite schema states it, with
	// its bounds and pattern, for example "number in [0, 1]".
	Type string
}

func paramInfos(ps []param) []ParamInfo {
	out := make([]ParamInfo, 0, len(ps))
	for _, p := range ps {
		out = append(out, ParamInfo{Name: p.name, Required: p.required, Type: schemaSummary(p.schema)})
	}
	return out
}

// schemaSummary renders the part of a JSON Schema fragment a suite author
// needs: types, item types, enumerations, bounds and patterns.
func schemaSummary(s map[string]any) string {
	var parts []string
	switch t := s["type"].(type) {
	case string:
		parts = append(parts, t)
	case []any:
		var ts []string
		for _, x := range t {
			ts = append(ts, fmt.Sprint(x))
		}
		parts = append(parts, strings.Join(ts, " or "))
	}
	if items, ok := s["items"].(map[string]any); ok {
		parts = append(parts, "of "+schemaSummary(items))
	}
	if enum, ok := s["enum"].([]any); ok {
		b, _ := json.Marshal(enum)
		parts = append(parts, "one of "+string(b))
	}
	lo, hasLo := s["minimum"]
	hi, hasHi := s["maximum"]
	switch {
	case hasLo && hasHi:
		parts = append(parts, fmt.Sprintf("in [%v, %v]", lo, hi))
	case hasLo:
		parts = append(parts, fmt.Sprintf(">= %v", lo))
	case hasHi:
		parts = append(parts, fmt.Sprintf("<= %v", hi))
	}
	if n, ok := s["minItems"]; ok {
		parts = append(parts, fmt.Sprintf("(at least %v)", n))
	}
	if pat, ok := s["pattern"].(string); ok {
		parts = append(parts, "matching "+pat)
	}
	if n, ok := s["minLength"]; ok && fmt.Sprint(n) == "1" {
		parts = append(parts, "(non-empty)")
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " ")
}

// checkReference renders the catalogue of check types as Markdown: the page
// CHECKS.md beside this file, which a test keeps equal to the registry.
func checkReference() string {
	var b strings.Builder
	b.WriteString("# Check types\n\n")
	b.WriteString("Generated from the check registry by `go test -run TestCheckReference -update`;\n")
	b.WriteString("a test fails when this page and the code disagree. At run time,\n")
	b.WriteString("`validation.CheckTypes()` returns the same catalogue. A check is\n")
	b.WriteString("`{type, kwargs}` with optional `id`, `severity` (`error`, the default, or\n")
	b.WriteString("`warn`) and `meta`; the arguments below go in `kwargs`, as the suite schema\n")
	b.WriteString("(`suite.schema.json`) states.\n\n")
	b.WriteString("Every row and aggregate check also takes `row_condition` with\n")
	b.WriteString("`condition_parser` (`pandas` or `great_expectations`): GX's conditional\n")
	b.WriteString("expectations, the check then looks only at the rows the condition\n")
	b.WriteString("selects. The condition syntax is in GX.md.\n\n")
	kinds := map[Kind][]CheckTypeInfo{}
	for _, ct := range CheckTypes() {
		kinds[ct.Kind] = append(kinds[ct.Kind], ct)
	}
	order := []Kind{KindSchema, KindRow, KindAggregate}
	titles := map[Kind]string{KindSchema: "Schema checks", KindRow: "Row checks", KindAggregate: "Aggregate checks"}
	for _, k := range order {
		cts := kinds[k]
		if len(cts) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n", titles[k])
		for _, ct := range cts {
			fmt.Fprintf(&b, "### `%s`\n\n%s\n\n", ct.Name, ct.Summary)
			if len(ct.Params) == 0 {
				b.WriteString("No arguments.\n\n")
				continue
			}
			b.WriteString("| argument | required | type |\n| --- | --- | --- |\n")
			ps := append([]ParamInfo(nil), ct.Params...)
			sort.SliceStable(ps, func(i, j int) bool { return ps[i].Required && !ps[j].Required })
			for _, p := range ps {
				if p.Name == "row_condition" || p.Name == "condition_parser" {
					continue // said once, above
				}
				req := ""
				if p.Required {
					req = "yes"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Name, req, strings.ReplaceAll(p.Type, "|", `\|`))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
