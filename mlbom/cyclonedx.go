package mlbom

import (
	"bytes"
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// Property names mlbom writes, under its own namespace as CycloneDX's
// property taxonomy asks.
const propPrefix = "mlsec:"

// CycloneDX renders the BOM as CycloneDX 1.6 JSON: the model is a
// machine-learning-model component with a model card (datasets,
// performance metrics), its files are nested file components with their
// OMS digests, each dataset is a data component, the training runs are the
// formulation, and dependencies link the model to what it was made from.
func (b *BOM) CycloneDX() ([]byte, error) {
	modelRef := "model:" + b.Model.Name
	model := cdx.Component{
		BOMRef: modelRef,
		Type:   cdx.ComponentTypeMachineLearningModel,
		Name:   b.Model.Name,
		Hashes: cdxHashes(b.Model.Root.Algorithm, b.Model.Root.Hex()),
	}
	props := []cdx.Property{
		{Name: propPrefix + "oms:root", Value: b.Model.Root.String()},
		{Name: propPrefix + "oms:method", Value: b.Model.Method},
	}
	if b.Model.Signer != "" {
		props = append(props, cdx.Property{Name: propPrefix + "oms:signer", Value: b.Model.Signer})
	}
	for _, h := range b.Model.Hyperparameters {
		props = append(props, cdx.Property{Name: propPrefix + "hyperparameter:" + h.Name, Value: h.Value})
	}
	model.Properties = &props

	var files []cdx.Component
	for _, f := range b.Model.Files {
		c := cdx.Component{BOMRef: modelRef + "/" + f.Name, Type: cdx.ComponentTypeFile, Name: f.Name, Hashes: cdxHashes(f.Algorithm, f.Digest)}
		if c.Hashes == nil {
			c.Properties = &[]cdx.Property{{Name: propPrefix + "digest:" + f.Algorithm, Value: f.Digest}}
		}
		files = append(files, c)
	}
	model.Components = &files

	card := &cdx.MLModelCard{}
	var datasetRefs []cdx.MLDatasetChoice
	var components []cdx.Component
	var modelDeps []string
	for _, d := range b.Datasets {
		ref := "dataset:" + d.Name + "@" + d.Digest.String()
		datasetRefs = append(datasetRefs, cdx.MLDatasetChoice{Ref: ref})
		modelDeps = append(modelDeps, ref)
		components = append(components, cdxDataset(ref, d))
	}
	if len(datasetRefs) > 0 {
		card.ModelParameters = &cdx.MLModelParameters{Datasets: &datasetRefs}
	}
	if len(b.Model.Metrics) > 0 {
		var pm []cdx.MLPerformanceMetric
		for _, m := range b.Model.Metrics {
			pm = append(pm, cdx.MLPerformanceMetric{Type: m.Name, Value: m.Value})
		}
		card.QuantitativeAnalysis = &cdx.MLQuantitativeAnalysis{PerformanceMetrics: &pm}
	}
	if card.ModelParameters != nil || card.QuantitativeAnalysis != nil {
		model.ModelCard = card
	}
	for _, d := range b.Dependencies {
		ref := "dependency:" + d.Name + "@" + d.Digest.String()
		modelDeps = append(modelDeps, ref)
		c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeFile, Name: d.Name, Hashes: cdxDigestSet(d.Digest)}
		if d.URI != "" {
			c.ExternalReferences = &[]cdx.ExternalReference{{Type: refTypeFor(d.URI), URL: d.URI}}
		}
		if c.Hashes == nil {
			c.Properties = digestProps(d.Digest)
		}
		components = append(components, c)
	}

	bom := cdx.NewBOM()
	bom.SpecVersion = cdx.SpecVersion1_6
	bom.SerialNumber = "urn:uuid:" + uuidOf(b.id)
	bom.Version = 1
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: "mlsec"}
	bom.Metadata = &cdx.Metadata{Component: &model, Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{tool}}}
	if t := b.lastRun(); t != "" {
		bom.Metadata.Timestamp = t
	}
	if len(components) > 0 {
		bom.Components = &components
	}
	deps := []cdx.Dependency{{Ref: modelRef, Dependencies: nonEmpty(modelDeps)}}
	for _, c := range components {
		deps = append(deps, cdx.Dependency{Ref: c.BOMRef})
	}
	bom.Dependencies = &deps
	if len(b.Runs) > 0 {
		bom.Formulation = &[]cdx.Formula{{BOMRef: "formulation:" + b.Model.Name, Workflows: cdxWorkflows(b, modelRef)}}
	}

	var out bytes.Buffer
	enc := cdx.NewBOMEncoder(&out, cdx.BOMFileFormatJSON).SetPretty(true)
	if err := enc.EncodeVersion(bom, cdx.SpecVersion1_6); err != nil {
		return nil, fmt.Errorf("mlbom: cyclonedx: %w", err)
	}
	return out.Bytes(), nil
}

func cdxDataset(ref string, d Dataset) cdx.Component {
	c := cdx.Component{BOMRef: ref, Type: cdx.ComponentTypeData, Name: d.Name, Version: d.Version}
	c.Data = &[]cdx.ComponentData{{Type: cdx.ComponentDataTypeDataset, Name: d.Name}}
	props := *digestProps(d.Digest)
	verified := "false"
	if d.Verified {
		verified = "true"
		props = append(props, cdx.Property{Name: propPrefix + "dataset:builder", Value: d.Builder}, cdx.Property{Name: propPrefix + "dataset:buildType", Value: d.BuildType})
		for _, s := range d.Sources {
			props = append(props, cdx.Property{Name: propPrefix + "dataset:source", Value: s})
		}
	}
	props = append(props, cdx.Property{Name: propPrefix + "dataset:provenanceVerified", Value: verified})
	for _, t := range d.Tests {
		props = append(props, cdx.Property{Name: propPrefix + "validation:" + t.Suite,
			Value: fmt.Sprintf("%s (%d passed, %d warned, %d failed)", t.Result, t.Passed, t.Warned, t.Failed)})
	}
	c.Properties = &props
	return c
}

func cdxWorkflows(b *BOM, modelRef string) *[]cdx.Workflow {
	var ws []cdx.Workflow
	for i, r := range b.Runs {
		w := cdx.Workflow{
			BOMRef:    fmt.Sprintf("run:%d:%s", i, r.InvocationID),
			UID:       r.InvocationID,
			Name:      r.BuildType,
			TaskTypes: &[]cdx.TaskType{cdx.TaskTypeBuild},
			TimeStart: r.Started,
			TimeEnd:   r.Finished,
		}
		if w.UID == "" {
			w.UID = w.BOMRef
		}
		var inputs []cdx.TaskInput
		for _, d := range b.Datasets {
			inputs = append(inputs, cdx.TaskInput{Resource: &cdx.ResourceReferenceChoice{Ref: "dataset:" + d.Name + "@" + d.Digest.String()}})
		}
		for _, d := range b.Dependencies {
			inputs = append(inputs, cdx.TaskInput{Resource: &cdx.ResourceReferenceChoice{Ref: "dependency:" + d.Name + "@" + d.Digest.String()}})
		}
		if len(inputs) > 0 {
			w.Inputs = &inputs
		}
		w.Outputs = &[]cdx.TaskOutput{{Resource: &cdx.ResourceReferenceChoice{Ref: modelRef}}}
		props := []cdx.Property{{Name: propPrefix + "builder", Value: r.Builder}}
		for _, p := range r.Parameters {
			props = append(props, cdx.Property{Name: propPrefix + "externalParameters:" + p.Name, Value: p.Value})
		}
		w.Properties = &props
		ws = append(ws, w)
	}
	return &ws
}

// cdxHashes maps an OMS or in-toto hash name to CycloneDX's enumeration;
// nil when CycloneDX has no name for it.
func cdxHashes(alg, hexValue string) *[]cdx.Hash {
	var a cdx.HashAlgorithm
	switch strings.ToLower(alg) {
	case "sha256":
		a = cdx.HashAlgoSHA256
	case "sha384":
		a = cdx.HashAlgoSHA384
	case "sha512":
		a = cdx.HashAlgoSHA512
	case "blake2b", "blake2b-512":
		if len(hexValue) != 128 {
			return nil
		}
		a = cdx.HashAlgoBlake2b_512
	case "blake3":
		a = cdx.HashAlgoBlake3
	default:
		return nil
	}
	return &[]cdx.Hash{{Algorithm: a, Value: hexValue}}
}

func cdxDigestSet(d map[string]string) *[]cdx.Hash {
	var hs []cdx.Hash
	for _, alg := range sortedKeys(d) {
		if h := cdxHashes(alg, d[alg]); h != nil {
			hs = append(hs, *h...)
		}
	}
	if hs == nil {
		return nil
	}
	return &hs
}

func digestProps(d map[string]string) *[]cdx.Property {
	var ps []cdx.Property
	for _, alg := range sortedKeys(d) {
		ps = append(ps, cdx.Property{Name: propPrefix + "digest:" + alg, Value: d[alg]})
	}
	return &ps
}

func refTypeFor(uri string) cdx.ExternalReferenceType {
	if strings.HasPrefix(uri, "git+") {
		return cdx.ERTypeVCS
	}
	return cdx.ERTypeOther
}

func nonEmpty(s []string) *[]string {
	if len(s) == 0 {
		return nil
	}
	return &s
}
