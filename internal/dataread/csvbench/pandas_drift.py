"""What a Python drift check does with two CSV files: read both with
pandas and run scipy's two-sample Kolmogorov-Smirnov test per column.
Prints the p-values to stderr, and the in-process time of the reading
and testing (imports excluded) as one JSON object."""
import json
import resource
import sys
import time

t0, c0 = time.perf_counter(), time.process_time()
import pandas as pd
from scipy import stats
t1, c1 = time.perf_counter(), time.process_time()

ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
for c in ref.columns:
    print(c, stats.ks_2samp(ref[c].to_numpy(), cur[c].to_numpy()).pvalue, file=sys.stderr)
print(json.dumps({"seconds": time.perf_counter() - t1, "cpu_seconds": time.process_time() - c1,
                  "import_cpu_seconds": c1 - c0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
