package drift

import (
	_ "embed"
	"slices"
)

var (
	//go:embed profile.schema.json
	profileSchema []byte
	//go:embed report.schema.json
	reportSchema []byte
)

// ProfileSchema returns the JSON Schema (draft-07) of the profile file
// format, version ProfileVersion, for tools that read profiles without
// this package.
func ProfileSchema() []byte { return slices.Clone(profileSchema) }

// ReportSchema returns the JSON Schema (draft-07) of the JSON report,
// version ReportVersion.
func ReportSchema() []byte { return slices.Clone(reportSchema) }
