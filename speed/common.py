"What the speed benchmarks share: their result file (with the command that made it) and interleaved timing."
import json, shlex, statistics, sys, time
from pathlib import Path
from fastai_sota.fit import versions

def save(out, settings:dict, rows:dict):
    "Write `rows` (name: median seconds, ...) with the command line, settings and versions to `out` (JSON)."
    if out is None: return
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    command = shlex.join([f'OMP_NUM_THREADS={versions()["torch_threads"]}', 'python', *sys.argv])  # CPU timings depend on the thread count
    Path(out).write_text(json.dumps(dict(command=command, settings=settings, versions=versions(), rows=rows), indent=2))

def interleaved(fns:dict, reps:int, block:int=1) -> dict:
    "Median wall time of one call of each function of `fns`, timed over `block` calls, run in turn `reps` times (the order rotating) so they share the machine's noise."
    times, keys = {k: [] for k in fns}, list(fns)
    for i in range(reps):
        for k in keys[i % len(keys):] + keys[:i % len(keys)]:
            t = time.perf_counter()
            for _ in range(block): fns[k]()
            times[k].append((time.perf_counter() - t) / block)
    return {k: statistics.median(v) for k, v in times.items()}
