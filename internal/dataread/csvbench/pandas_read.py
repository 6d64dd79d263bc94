"""Time pandas.read_csv on one file, in process; prints one JSON object."""
import json
import resource
import sys
import time

import pandas as pd

path = sys.argv[1]
t0, c0 = time.perf_counter(), time.process_time()
df = pd.read_csv(path)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"rows": len(df), "seconds": wall, "cpu_seconds": cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
