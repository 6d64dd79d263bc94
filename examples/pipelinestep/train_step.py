#!/usr/bin/env python3
"""A training step in Python that secures its output with the mlsec CLI.

It trains a (deliberately tiny) model on data.csv, then, before the model
leaves the job: scans the model folder for leaked credentials, signs it in
the OpenSSF Model Signing format and records signed SLSA provenance of the
run. Each mlsec call follows the CLI's exit-code contract:

    0  the check passed
    1  the check ran and failed   -> CheckFailed: stop, the artifact is bad
    2  bad usage or unreadable input -> StepMisconfigured: stop, fix the step

Environment: MLSEC (the mlsec binary, default "mlsec"), MLSEC_KEY (private
key: a PEM file, or a KMS/HSM key URI), WORKDIR (default "."), and
LEAK_TOKEN=1 to simulate an engineer pasting a token into the config.
"""
import csv
import json
import os
import random
import string
import subprocess
import sys

MLSEC = os.environ.get("MLSEC", "mlsec")
WORKDIR = os.environ.get("WORKDIR", ".")


class CheckFailed(Exception):
    """mlsec ran the check and it failed (exit 1)."""


class StepMisconfigured(Exception):
    """mlsec was called wrongly or could not read its input (exit 2)."""


def mlsec(*args):
    """Run one mlsec command; map its exit status to the contract."""
    proc = subprocess.run([MLSEC, *args], capture_output=True, text=True)
    out = (proc.stdout + proc.stderr).strip()
    if proc.returncode == 0:
        return out
    if proc.returncode == 1:
        raise CheckFailed(f"mlsec {args[0]}: {out}")
    raise StepMisconfigured(f"mlsec {args[0]} (exit {proc.returncode}): {out}")


def train(data_path, model_dir):
    """Fit per-class feature means: a nearest-centroid classifier."""
    sums, counts = {}, {}
    with open(data_path, newline="") as f:
        for row in csv.DictReader(f):
            label = row.pop("label")
            x = [float(v) for v in row.values()]
            s = sums.setdefault(label, [0.0] * len(x))
            for i, v in enumerate(x):
                s[i] += v
            counts[label] = counts.get(label, 0) + 1
    centroids = {k: [v / counts[k] for v in s] for k, s in sums.items()}
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "weights.json"), "w") as f:
        json.dump({"centroids": centroids}, f, indent=2, sort_keys=True)
    config = {"model_type": "nearest_centroid", "features": 2, "classes": sorted(centroids)}
    if os.environ.get("LEAK_TOKEN") == "1":
        # What a scan is for: a token pasted "just for a quick test".
        rng = random.Random(7)
        config["hub_token"] = "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    return sum(counts.values())


def main():
    key = os.environ["MLSEC_KEY"]
    data = os.path.join(WORKDIR, "data.csv")
    model = os.path.join(WORKDIR, "model")
    rows = train(data, model)
    print(f"train: nearest-centroid model on {rows} rows -> {model}")
    try:
        mlsec("secrets", "scan", model)
        print("train: no credential in the model folder")
        mlsec("sign", "--key", key, "--signature", os.path.join(WORKDIR, "model.sig"), model)
        print("train: model signed (OMS) -> model.sig")
        mlsec("provenance", "record",
              "--builder-id", "https://ci.example.com/python-trainer",
              "--build-type", "training",
              "--input", f"data={data}",
              "--param", "entrypoint=train_step.py",
              "--param", "seed=7",
              "--subject", model,
              "--key", key,
              "--out", os.path.join(WORKDIR, "training.intoto.json"))
        print("train: signed SLSA provenance -> training.intoto.json")
    except CheckFailed as e:
        print(f"train: REFUSED to publish the model: {e}", file=sys.stderr)
        return 1
    except StepMisconfigured as e:
        print(f"train: step misconfigured: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
