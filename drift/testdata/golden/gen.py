#!/usr/bin/python3
"""Golden values for the drift package, computed with scipy/numpy.

Run from this directory with Debian's python3-scipy:

    /usr/bin/python3 gen.py > golden.json

Small samples are written inline. Large samples are described by a recipe
(splitmix64 stream -> uniforms -> Irwin-Hall "normal" etc.) that the Go
tests replay bit for bit, so no large file is committed. Every arithmetic
step of a recipe is a single IEEE-754 operation in a fixed order, so both
languages produce identical values.
"""
import json
import math
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance

MASK = (1 << 64) - 1


def splitmix64(seed, count):
    """count outputs of splitmix64 starting from seed (vectorised)."""
    with np.errstate(over="ignore"):
        idx = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(seed) + idx * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z


def uniforms(seed, count):
    return (splitmix64(seed, count) >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)


def irwin_hall(seed, n):
    u = uniforms(seed, 12 * n).reshape(n, 12)
    acc = np.zeros(n)
    for j in range(12):
        acc = acc + u[:, j]
    return acc - 6.0


def recipe(r):
    kind, n, seed = r["kind"], r["n"], r["seed"]
    scale, shift = r.get("scale", 1.0), r.get("shift", 0.0)
    if kind == "normal":
        x = irwin_hall(seed, n)
    elif kind == "ratio":  # heavy-tailed: ratio of two near-normals
        z = irwin_hall(seed, 2 * n).reshape(n, 2)
        x = z[:, 0] / z[:, 1]
    elif kind == "discrete":  # ties: integers 0..levels-1
        x = np.floor(uniforms(seed, n) * float(r["levels"]))
    else:
        raise ValueError(kind)
    return (x * scale) + shift


B = 10  # quantile bins fitted on the reference


def bins(ref, cur):
    """Reference-fitted bucket counts: [below, bin_0..bin_m, above, nan]."""
    s = np.sort(ref[~np.isnan(ref)])
    n = len(s)
    lo, hi = s[0], s[-1]
    q = np.array([s[(i * n + B - 1) // B - 1] for i in range(1, B)])
    interior = np.unique(q[q > lo])

    def count(x):
        nan = int(np.isnan(x).sum())
        x = x[~np.isnan(x)]
        below = int((x < lo).sum())
        above = int((x > hi).sum())
        mid = x[(x >= lo) & (x <= hi)]
        idx = np.searchsorted(interior, mid, side="right")
        c = np.bincount(idx, minlength=len(interior) + 1)
        return [below] + [int(v) for v in c] + [above, nan]

    return count(ref), count(cur)


def hist_metrics(r, c):
    r = np.array(r, float)
    c = np.array(c, float)
    keep = (r + c) > 0
    r, c = r[keep], c[keep]
    a = 0.5
    p = (r + a) / (r + a).sum()
    q = (c + a) / (c + a).sum()
    pr, qr = r / r.sum(), c / c.sum()
    return {
        "psi": float(np.sum((q - p) * np.log(q / p))),
        "kl": float(stats.entropy(p, q)),
        "js_base2": float(distance.jensenshannon(pr, qr, base=2)),
        "js_base_e": float(distance.jensenshannon(pr, qr)),
        "hellinger": float(np.sqrt(np.sum((np.sqrt(pr) - np.sqrt(qr)) ** 2) / 2)),
        "tv": float(np.abs(pr - qr).sum() / 2),
        "linf": float(np.abs(pr - qr).max()),
    }


def sample(spec):
    if "inline" in spec:
        return np.array(spec["inline"], float)
    return recipe(spec["recipe"])


def R(kind, n, seed, **kw):
    d = {"kind": kind, "n": n, "seed": seed}
    d.update(kw)
    return d


def small(kind, n, seed, **kw):
    return {"inline": [float(v) for v in recipe(R(kind, n, seed, **kw))]}


def big(kind, n, seed, **kw):
    return {"recipe": R(kind, n, seed, **kw)}


CASES = [
    ("single_vs_single", {"inline": [0.5]}, {"inline": [1.5]}),
    ("single_vs_few", {"inline": [0.0]}, {"inline": [-1.0, 0.0, 2.0]}),
    ("n5_vs_n7", small("normal", 5, 1), small("normal", 7, 2, shift=0.5)),
    ("n30_equal_sizes", small("normal", 30, 3), small("normal", 30, 4, shift=0.3)),
    ("n100_vs_n120", small("normal", 100, 5), small("normal", 120, 6)),
    ("n500_shifted", small("normal", 500, 7), small("normal", 450, 8, shift=0.2)),
    ("n1000_scaled", small("normal", 1000, 9), small("normal", 900, 10, scale=1.3)),
    ("heavy_tailed_400", small("ratio", 400, 11), small("ratio", 350, 12)),
    ("discrete_ties_300", small("discrete", 300, 13, levels=5), small("discrete", 280, 14, levels=6)),
    ("discrete_ties_same", small("discrete", 200, 15, levels=3), small("discrete", 250, 16, levels=3)),
    ("exact_10000_vs_8000", big("normal", 10000, 17), big("normal", 8000, 18, shift=0.03)),
    ("asymp_20000_balanced", big("normal", 20000, 19), big("normal", 20000, 20, shift=0.02)),
    ("asymp_unbalanced_20000_vs_60", big("normal", 20000, 21), big("normal", 60, 22, shift=0.1)),
    ("asymp_unbalanced_far", big("normal", 20000, 23), big("normal", 60, 24, shift=0.9)),
    ("asymp_unbalanced_mid", big("normal", 20000, 33), big("normal", 100, 34, shift=0.45)),
    ("asymp_unbalanced_small_d", big("normal", 20000, 37), big("normal", 100, 38)),
    ("asymp_heavy_50000", big("ratio", 50000, 25), big("ratio", 40000, 26, scale=1.05)),
    ("asymp_discrete_30000", big("discrete", 30000, 27, levels=20), big("discrete", 30000, 28, levels=20, shift=0.0)),
    ("n1e6_same", big("normal", 1000000, 29), big("normal", 1000000, 30)),
    ("n1e6_tiny_shift", big("normal", 1000000, 31), big("normal", 1000000, 32, shift=0.005)),
    ("n1e6_shift", big("normal", 1000000, 35), big("normal", 1000000, 36, shift=0.05)),
]


def main():
    out = {
        "generator": "gen.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "bins": B,
        "smoothing_alpha": 0.5,
        "cases": [],
        "chi2": [],
        "ztest": [],
    }
    for name, rs, cs in CASES:
        ref, cur = sample(rs), sample(cs)
        ks = stats.ks_2samp(ref, cur, method="auto")
        case = {
            "name": name,
            "ref": rs,
            "cur": cs,
            "ks_statistic": float(ks.statistic),
            "ks_pvalue": float(ks.pvalue),
            "wasserstein": float(stats.wasserstein_distance(ref, cur)),
            "ref_std": float(np.std(ref)),
        }
        if len(np.unique(np.concatenate([ref, cur]))) >= 2 and len(ref) + len(cur) >= 4:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ad = stats.anderson_ksamp([ref, cur])
            case["ad_statistic"] = float(ad.statistic)
            case["ad_pvalue"] = float(ad.significance_level)
        rc, cc = bins(ref, cur)
        case["hist_ref"], case["hist_cur"] = rc, cc
        case.update(hist_metrics(rc, cc))
        out["cases"].append(case)

    chi_cases = [
        ([10, 20, 30], [12, 18, 35]),
        ([100, 0, 50], [90, 15, 40]),  # category new in current
        ([5, 5], [9, 1]),  # two categories, no Yates correction
        ([1000, 2000, 3000, 10], [1200, 1800, 2900, 400]),
        ([7, 0, 3, 0], [0, 4, 6, 0]),  # an all-zero category is dropped
        ([50000, 30000, 20000], [49000, 31500, 19500]),
    ]
    for r, c in chi_cases:
        r_, c_ = np.array(r, float), np.array(c, float)
        keep = (r_ + c_) > 0
        res = stats.chi2_contingency(np.vstack([r_[keep], c_[keep]]), correction=False)
        out["chi2"].append({"ref": r, "cur": c, "statistic": float(res[0]),
                            "pvalue": float(res[1]), "dof": int(res[2])})

    for rh, rn, ch, cn in [(30, 100, 45, 100), (500, 1000, 520, 1000), (1, 10, 9, 10),
                           (4000, 10000, 4400, 10000), (2, 50, 3, 60)]:
        p1, p2 = rh / rn, ch / cn
        P = (rh + ch) / (rn + cn)
        z = (p1 - p2) / math.sqrt(P * (1 - P) * (1 / rn + 1 / cn))
        out["ztest"].append({"ref_hits": rh, "ref_n": rn, "cur_hits": ch, "cur_n": cn,
                             "statistic": z, "pvalue": float(2 * stats.norm.sf(abs(z)))})
    # The one-sample two-sided Kolmogorov distribution behind the
    # asymptotic KS p-value, over every algorithm regime.
    out["kstwo"] = []
    for n, x in [(5, 0.3), (60, 0.05), (60, 0.2), (100, 0.45), (120, 0.6), (140, 0.01),
                 (5000, 0.01), (5000, 0.05), (20000, 0.03), (150000, 0.01), (150000, 0.002),
                 (524288, 0.004), (524288, 0.01), (524288, 0.02), (999999, 0.003), (999999, 0.0009)]:
        out["kstwo"].append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
