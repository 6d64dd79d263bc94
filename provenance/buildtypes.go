package provenance

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/xeipuuv/gojsonschema"
)

// BuildTypeBase is where mlsec publishes its build types and their schemas.
const BuildTypeBase = "https://mlsec-dev.github.io/mlsec/buildtypes/"

// The SLSA buildType URIs mlsec owns, one per kind of ML pipeline step. Each
// has a JSON Schema for its externalParameters (see BuildTypeSchema).
const (
	BuildTypeDataset    = BuildTypeBase + "dataset/v1"
	BuildTypeTraining   = BuildTypeBase + "training/v1"
	BuildTypeFineTune   = BuildTypeBase + "finetune/v1"
	BuildTypeEvaluation = BuildTypeBase + "evaluation/v1"
)

//go:embed buildtypes/*/v1/schema.json
var buildTypeFS embed.FS

// BuildTypes lists the mlsec build types.
func BuildTypes() []string {
	return []string{BuildTypeDataset, BuildTypeTraining, BuildTypeFineTune, BuildTypeEvaluation}
}

// BuildTypeSchema returns the JSON Schema of the externalParameters of an
// mlsec build type, and false for any other URI.
func BuildTypeSchema(buildType string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(buildType, BuildTypeBase)
	if !ok || !contains(BuildTypes(), buildType) {
		return nil, false
	}
	b, err := buildTypeFS.ReadFile("buildtypes/" + rest + "/schema.json")
	if err != nil {
		return nil, false
	}
	return b, true
}

var schemaCache sync.Map // buildType → *gojsonschema.Schema

// ValidateExternalParameters checks params against the schema of an mlsec
// build type. Build types mlsec does not own are not checked (nil).
func ValidateExternalParameters(buildType string, params map[string]any) error {
	raw, ok := BuildTypeSchema(buildType)
	if !ok {
		return nil
	}
	var schema *gojsonschema.Schema
	if v, ok := schemaCache.Load(buildType); ok {
		schema = v.(*gojsonschema.Schema)
	} else {
		s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(raw))
		if err != nil {
			return fmt.Errorf("provenance: schema of %s: %w", buildType, err)
		}
		schemaCache.Store(buildType, s)
		schema = s
	}
	if params == nil {
		params = map[string]any{}
	}
	// Round-trip through JSON so Go values (ints, structs) are seen as
	// the JSON that will be written.
	b, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("provenance: externalParameters: %w", err)
	}
	res, err := schema.Validate(gojsonschema.NewBytesLoader(b))
	if err != nil {
		return fmt.Errorf("provenance: externalParameters: %w", err)
	}
	if res.Valid() {
		return nil
	}
	var msgs []string
	for _, e := range res.Errors() {
		msgs = append(msgs, e.String())
	}
	return &FormatError{Input: "externalParameters", Reason: fmt.Sprintf("do not match the schema of %s: %s", buildType, strings.Join(msgs, "; "))}
}
