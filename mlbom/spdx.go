package mlbom

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SPDX 3.0.1 JSON-LD is written from the specification's model (the
// official JSON-LD context and JSON Schema, committed in testdata): no Go
// library implements SPDX 3 today (spdx/tools-golang covers SPDX 2.x),
// and the few classes mlbom needs are plainer as maps.
const (
	spdxContext = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
	spdxVersion = "3.0.1"
)

type obj = map[string]any

// SPDX renders the BOM as an SPDX 3.0.1 JSON-LD document with the AI and
// Dataset profiles: the model is an ai_AIPackage (hyperparameters and
// metrics from the verified training run), each dataset a
// dataset_DatasetPackage related to it by trainedOn, the model's files
// software_File elements it contains, and each training run a build_Build
// with its inputs and output.
func (b *BOM) SPDX() ([]byte, error) {
	base := "urn:uuid:" + uuidOf(b.id) + "#"
	ci := "_:creationinfo"
	created := b.lastRun()
	if created == "" {
		// Without a verified run there is no time in the evidence; the
		// epoch says "unknown" rather than inventing a date.
		created = "1970-01-01T00:00:00Z"
	}
	agent := base + "agent/mlsec"
	graph := []obj{
		{"type": "CreationInfo", "@id": ci, "specVersion": spdxVersion, "created": created, "createdBy": []string{agent}},
		{"type": "SoftwareAgent", "spdxId": agent, "creationInfo": ci, "name": "mlsec"},
	}
	var elements []string
	add := func(o obj) {
		o["creationInfo"] = ci
		graph = append(graph, o)
		elements = append(elements, o["spdxId"].(string))
	}
	rel := func(n int, from, typ string, to []string) {
		if len(to) == 0 {
			return
		}
		add(obj{"type": "Relationship", "spdxId": fmt.Sprintf("%srelationship/%d", base, n), "from": from, "relationshipType": typ, "to": to})
	}

	modelID := base + "model"
	model := obj{"type": "ai_AIPackage", "spdxId": modelID, "name": b.Model.Name,
		"software_primaryPurpose": "model", "verifiedUsing": []obj{spdxHash(b.Model.Root.Algorithm, b.Model.Root.Hex())}}
	if len(b.Model.Hyperparameters) > 0 {
		model["ai_hyperparameter"] = dictionary(b.Model.Hyperparameters)
	}
	if len(b.Model.Metrics) > 0 {
		model["ai_metric"] = dictionary(b.Model.Metrics)
	}
	if t := b.lastRun(); t != "" {
		model["builtTime"] = t
	}
	comment := "OMS " + b.Model.Method + " signature, root " + b.Model.Root.String()
	if b.Model.Signer != "" {
		comment += ", signed by " + b.Model.Signer
	}
	model["comment"] = comment
	add(model)

	var files []string
	for i, f := range b.Model.Files {
		id := fmt.Sprintf("%sfile/%d", base, i)
		files = append(files, id)
		add(obj{"type": "software_File", "spdxId": id, "name": f.Name, "verifiedUsing": []obj{spdxHash(f.Algorithm, f.Digest)}})
	}

	var datasets, inputs []string
	for i, d := range b.Datasets {
		id := fmt.Sprintf("%sdataset/%d", base, i)
		datasets = append(datasets, id)
		o := obj{"type": "dataset_DatasetPackage", "spdxId": id, "name": d.Name,
			"software_primaryPurpose": "data", "dataset_datasetType": []string{"noAssertion"}, "verifiedUsing": spdxDigestSet(d.Digest)}
		var notes []string
		if d.Verified {
			if d.Version != "" {
				o["software_packageVersion"] = d.Version
			}
			notes = append(notes, "build provenance verified (builder "+d.Builder+", buildType "+d.BuildType+")")
			if len(d.Sources) > 0 {
				o["software_sourceInfo"] = "sources: " + strings.Join(d.Sources, ", ")
			}
		} else {
			notes = append(notes, "build provenance not in the evidence: unverified beyond its digest")
		}
		for _, t := range d.Tests {
			notes = append(notes, fmt.Sprintf("validation %s: %s (%d passed, %d warned, %d failed)", t.Suite, t.Result, t.Passed, t.Warned, t.Failed))
		}
		o["comment"] = strings.Join(notes, "; ")
		add(o)
	}
	inputs = append(inputs, datasets...)
	for i, d := range b.Dependencies {
		id := fmt.Sprintf("%sdependency/%d", base, i)
		inputs = append(inputs, id)
		o := obj{"type": "software_Package", "spdxId": id, "name": d.Name, "verifiedUsing": spdxDigestSet(d.Digest)}
		if d.URI != "" {
			o["software_downloadLocation"] = d.URI
		}
		add(o)
	}

	n := 0
	rel(n, modelID, "trainedOn", datasets)
	n++
	rel(n, modelID, "contains", files)
	n++
	for i, r := range b.Runs {
		id := fmt.Sprintf("%sbuild/%d", base, i)
		o := obj{"type": "build_Build", "spdxId": id, "build_buildType": r.BuildType}
		if r.InvocationID != "" {
			o["build_buildId"] = r.InvocationID
		}
		if r.Started != "" {
			o["build_buildStartTime"] = r.Started
		}
		if r.Finished != "" {
			o["build_buildEndTime"] = r.Finished
		}
		if len(r.Parameters) > 0 {
			o["build_parameter"] = dictionary(r.Parameters)
		}
		o["comment"] = "builder " + r.Builder
		add(o)
		rel(n, id, "hasInput", inputs)
		n++
		rel(n, id, "hasOutput", []string{modelID})
		n++
	}

	doc := obj{"type": "SpdxDocument", "spdxId": base + "document", "creationInfo": ci,
		"name": "ML-BOM of " + b.Model.Name, "rootElement": []string{modelID}, "element": elements,
		"profileConformance": []string{"ai", "build", "core", "dataset", "software"}}
	graph = append(graph, doc)
	out, err := json.MarshalIndent(obj{"@context": spdxContext, "@graph": graph}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mlbom: spdx: %w", err)
	}
	return append(out, '\n'), nil
}

func dictionary(entries []Entry) []obj {
	out := make([]obj, 0, len(entries))
	for _, e := range entries {
		out = append(out, obj{"type": "DictionaryEntry", "key": e.Name, "value": e.Value})
	}
	return out
}

// spdxHash maps an OMS or in-toto hash name to SPDX's HashAlgorithm
// vocabulary; digests SPDX has no name for are "other", with the name in
// the comment.
func spdxHash(alg, hexValue string) obj {
	name := map[string]string{"sha256": "sha256", "sha384": "sha384", "sha512": "sha512", "blake3": "blake3", "sha1": "sha1"}[strings.ToLower(alg)]
	if strings.EqualFold(alg, "blake2b") && len(hexValue) == 128 {
		name = "blake2b512"
	}
	if name == "" {
		return obj{"type": "Hash", "algorithm": "other", "hashValue": hexValue, "comment": alg}
	}
	return obj{"type": "Hash", "algorithm": name, "hashValue": hexValue}
}

func spdxDigestSet(d map[string]string) []obj {
	var out []obj
	for _, alg := range sortedKeys(d) {
		out = append(out, spdxHash(alg, d[alg]))
	}
	return out
}
