#!/usr/bin/env python3
"""The pandas side of scripts/bench.d/validation-pandas: the same checks as
the benchtool suite, written as plain vectorised pandas, on the CSV of the
same data (Debian packages no pyarrow, so pandas cannot read Parquet)."""
import json, resource, sys, time
import pandas as pd

csv_path, rows = sys.argv[1], int(sys.argv[2])
t0, c0 = time.perf_counter(), time.process_time()
df = pd.read_csv(csv_path, dtype={f"i{i:02d}": "int64" for i in range(10)} | {f"f{i:02d}": "float64" for i in range(10)})
read_s, read_cpu = time.perf_counter() - t0, time.process_time() - c0

t1, c1 = time.perf_counter(), time.process_time()
unexpected = {}
cells = 0
for c in df.columns:
    s = df[c]
    n = len(s)
    nulls = int(s.isna().sum())
    unexpected[f"expect_column_values_to_not_be_null:{c}"] = nulls
    lo, hi = (0, 999) if c.startswith("i") else (10, 90)
    if c == "i00":
        hi = rows
    nonnull = s.notna()
    unexpected[f"expect_column_values_to_be_between:{c}"] = int((nonnull & ~s.between(lo, hi)).sum())
    cells += 2 * n
evens = set(range(0, 1000, 2))
for i in range(1, 5):
    c = f"i{i:02d}"
    unexpected[f"expect_column_values_to_be_in_set:{c}"] = int((~df[c].isin(evens)).sum())
    cells += len(df)
check_s, check_cpu = time.perf_counter() - t1, time.process_time() - c1
print(json.dumps({"read_seconds": read_s, "check_seconds": check_s,
                  "read_cpu_seconds": read_cpu, "check_cpu_seconds": check_cpu, "rows": len(df), "cells": cells,
                  "unexpected": unexpected,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
