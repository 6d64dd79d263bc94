#!/usr/bin/env bash
# regen.sh: make this directory's vectors again.
#   MODEL_SIGNING  the reference tool's binary (go build ./cmd/model-signing
#                  in its source tree)
#   MLSEC          mlsec's binary (go build ./cmd/mlsec)
#   REGISTRY       host:port of a registry on loopback (docker-registry serve)
set -euo pipefail
cd "$(dirname "$0")"
: "${MODEL_SIGNING:?}" "${MLSEC:?}" "${REGISTRY:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$work/key.pem"
openssl ec -in "$work/key.pem" -pubout -out pub.pem 2>/dev/null
ref=$REGISTRY/interop/model:v1
"$MLSEC" oci push model "$ref" >/dev/null
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/interop/model/manifests/v1" >manifest.json
"$MODEL_SIGNING" sign key --private-key "$work/key.pem" --signature good_reference_tool_manifest.sig manifest.json
"$MLSEC" oci sign --key "$work/key.pem" --signature good_mlsec_registry.sig "$ref" >/dev/null
python3 - <<'PY'
import copy, json
m = json.load(open("manifest.json"))
def write(name, mm):
    with open(name, "w") as f:
        f.write(json.dumps(mm, indent=2) + "\n")
a = copy.deepcopy(m); a["layers"][1]["digest"] = "sha256:" + "0" * 64; write("fail_manifest_changed_layer.json", a)
b = copy.deepcopy(m); del b["layers"][2]; write("fail_manifest_missing_layer.json", b)
c = copy.deepcopy(m); e = copy.deepcopy(m["layers"][0])
e["annotations"] = {"org.opencontainers.image.title": "extra.bin", "org.cncf.model.filepath": "extra.bin"}
c["layers"].append(e); write("fail_manifest_extra_layer.json", c)
PY
# The reference tool's verdicts on every pair.
for sig in good_*.sig; do
	"$MODEL_SIGNING" verify key --public-key pub.pem --signature "$sig" manifest.json
	"$MODEL_SIGNING" verify key --public-key pub.pem --signature "$sig" model
	for f in fail_manifest_*.json; do
		if "$MODEL_SIGNING" verify key --public-key pub.pem --signature "$sig" "$f" >/dev/null 2>&1; then
			echo "regen: the reference tool accepted $sig against $f" >&2
			exit 1
		fi
	done
done
