#!/usr/bin/env python3
"""Golden statistics of loans_clean.csv computed by pandas, an
independent implementation, for TestGoldenStatistics."""
import json
import pandas as pd

df = pd.read_csv("loans_clean.csv")
out = {}
for col in ["age", "income", "score"]:
    s = df[col]
    out[col] = {
        "mean": float(s.mean()), "std": float(s.std(ddof=1)), "min": float(s.min()),
        "max": float(s.max()), "sum": float(s.sum()), "median": float(s.median()),
        "null_fraction": float(s.isna().mean()), "nunique": float(s.nunique()),
    }
json.dump(out, open("golden_stats.json", "w"), indent=1, sort_keys=True)
