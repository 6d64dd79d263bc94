#!/bin/sh
# deploy_step.sh: a deploy gate written as a shell step. It deploys
# $WORKDIR/model to $WORKDIR/serving only when mlsec says the model is the
# one that was signed, its provenance verifies with the trusted key and
# names it, and it carries no credential.
#
# It keeps mlsec's exit-code contract for the pipeline around it:
#   0  deployed
#   1  a check failed: the model must not serve (page the model owner)
#   2  the step itself is broken: bad usage or unreadable input (page the
#      platform team), never mistaken for a verdict on the model
#
# Environment: MLSEC (default "mlsec"), MLSEC_PUB (trusted public key PEM),
# WORKDIR (default ".").
set -u
MLSEC=${MLSEC:-mlsec}
W=${WORKDIR:-.}

check() { # check NAME mlsec-args...: run one gate check, stop on failure
	name=$1
	shift
	"$MLSEC" "$@" >"$W/$name.log" 2>&1
	status=$?
	case $status in
	0) echo "deploy: $name ok" ;;
	1)
		echo "deploy: BLOCKED by $name: $(tail -n 1 "$W/$name.log")" >&2
		exit 1
		;;
	*)
		echo "deploy: step error in $name (exit $status): $(tail -n 1 "$W/$name.log")" >&2
		exit 2
		;;
	esac
}

check signature verify --key "$MLSEC_PUB" --signature "$W/model.sig" "$W/model"
check provenance provenance verify --key "$MLSEC_PUB" \
	--builder-id https://ci.example.com/python-trainer --subject "$W/model" "$W/training.intoto.json"
check secrets secrets scan "$W/model"

rm -rf "$W/serving.tmp" && cp -R "$W/model" "$W/serving.tmp" && cp "$W/model.sig" "$W/serving.sig" &&
	rm -rf "$W/serving" && mv "$W/serving.tmp" "$W/serving" || exit 2
echo "deploy: model deployed to $W/serving"
