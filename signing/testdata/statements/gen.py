#!/usr/bin/env python3
"""Writes the OMS statements the signing tests sign and verify.

Digests are computed here with Python's hashlib, independently of mlsec,
over the model in ../oms/v1.1.0-elliptic-key (signme-1 = b"signme-1\\n",
signme-2 = b"signme-2"). good_* statements must verify against that model;
fail_<rule>_* statements must be rejected for <rule>.
"""
import copy, hashlib, json, os

MODEL = os.path.join(os.path.dirname(__file__), "..", "oms", "v1.1.0-elliptic-key")
IGNORE = [".git", ".gitattributes", ".github", ".gitignore", "ignore-me", "model.sig"]


def read(name):
    with open(os.path.join(MODEL, name), "rb") as f:
        return f.read()


def h(alg, data):
    return hashlib.sha256(data).hexdigest() if alg == "sha256" else hashlib.blake2b(data).hexdigest()


def statement(resources, serialization, name="v1.1.0-elliptic-key"):
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": root}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {"serialization": serialization, "resources": resources},
    }


def files(alg):
    res = [{"name": n, "algorithm": alg, "digest": h(alg, read(n))} for n in ("signme-1", "signme-2")]
    return statement(res, {"method": "files", "hash_type": alg, "allow_symlinks": False, "ignore_paths": IGNORE})


def shards(alg, size, algname=None, size_json=None):
    res = []
    for n in ("signme-1", "signme-2"):
        data = read(n)
        for start in range(0, len(data), size):
            end = min(start + size, len(data))
            res.append({"name": f"{n}:{start}:{end}", "algorithm": algname or alg, "digest": h(alg, data[start:end])})
    ser = {"method": "shards", "hash_type": alg, "allow_symlinks": False, "shard_size": size_json or size, "ignore_paths": IGNORE}
    return statement(res, ser)


def write(name, obj, raw=None):
    with open(name, "w") as f:
        f.write(raw if raw is not None else json.dumps(obj, indent=2) + "\n")


write("good_files_sha256.json", files("sha256"))
write("good_files_blake2b.json", files("blake2b"))
write("good_shards_sha256.json", shards("sha256", 8))
# model_signing 1.x writes shard algorithms as "<hash>-sharded-<size>" and
# shard_size as a float (protobuf Struct).
s = shards("sha256", 8, algname="sha256-sharded-8")
write("good_shards_reference_style.json", s, json.dumps(s, indent=2).replace('"shard_size": 8', '"shard_size": 8.0'))
# Extra predicate fields are ignored by v1.0 verifiers.
s = files("sha256"); s["predicate"]["comment"] = "ignored"
write("good_files_extra_field.json", s)

base = files("sha256")


def fail(name, f):
    s = copy.deepcopy(base)
    f(s)
    write("fail_" + name + ".json", s)


def set_res(s, i, **kw):
    s["predicate"]["resources"][i].update(kw)
    r = s["predicate"]["resources"]
    s["subject"][0]["digest"]["sha256"] = hashlib.sha256(b"".join(bytes.fromhex(x["digest"]) for x in r)).hexdigest()


fail("statement_type", lambda s: s.update({"_type": "https://in-toto.io/Statement/v0.1"}))
fail("statement_no_predicate", lambda s: s.pop("predicate"))
fail("predicatetype_other", lambda s: s.update({"predicateType": "https://slsa.dev/provenance/v1"}))
fail("subject_two", lambda s: s["subject"].append(copy.deepcopy(s["subject"][0])))
fail("subject_none", lambda s: s.update({"subject": []}))
fail("subject_no_sha256", lambda s: s["subject"][0].update({"digest": {"sha512": "00"}}))
fail("serialization_method", lambda s: s["predicate"]["serialization"].update({"method": "chunks"}))
fail("serialization_hash", lambda s: s["predicate"]["serialization"].update({"hash_type": "md5"}))
fail("serialization_symlinks_string", lambda s: s["predicate"]["serialization"].update({"allow_symlinks": "no"}))
fail("serialization_ignore_dotdot", lambda s: s["predicate"]["serialization"].update({"ignore_paths": ["../x"]}))
fail("serialization_ignore_all", lambda s: s["predicate"]["serialization"].update({"ignore_paths": ["."]}))
fail("resources_empty", lambda s: s["predicate"].update({"resources": []}))
fail("resources_dotdot", lambda s: set_res(s, 0, name="../../etc/passwd"))
fail("resources_absolute", lambda s: set_res(s, 0, name="/etc/passwd"))
fail("resources_nul", lambda s: set_res(s, 0, name="signme-1\u0000.txt"))
fail("resources_empty_component", lambda s: set_res(s, 0, name="a//signme-1"))
fail("resources_duplicate", lambda s: set_res(s, 1, name="signme-1"))
fail("resources_algorithm", lambda s: set_res(s, 0, algorithm="blake3"))
fail("resources_digest_length", lambda s: set_res(s, 0, digest="abcd"))
fail("resources_digest_upper", lambda s: set_res(s, 0, digest=s["predicate"]["resources"][0]["digest"].upper()))
fail("resources_missing_name", lambda s: s["predicate"]["resources"][0].pop("name"))
fail("rootdigest_mismatch", lambda s: s["subject"][0]["digest"].update({"sha256": "00" * 32}))
fail("rootdigest_reordered", lambda s: s["predicate"]["resources"].reverse())
s = shards("sha256", 8)
s["predicate"]["resources"][0]["name"] = "signme-1:8:0"
write("fail_resources_shard_range.json", s)
s = shards("sha256", 8)
s["predicate"]["serialization"]["shard_size"] = 8.5
write("fail_serialization_shard_size_fraction.json", s)
s = shards("sha256", 8)
del s["predicate"]["serialization"]["shard_size"]
write("fail_serialization_shard_size_missing.json", s)
