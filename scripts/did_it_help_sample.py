"""The grid of the docs page "Did it help? On your own data": `did_it_help` on the embedded sample, timed as a whole.

`python scripts/did_it_help_sample.py [--workers N]` writes `results/did_it_help_sample/` (the data tier's JSON, table, chart
and HTML report, each run's record) and `results/did_it_help_sample.json` (the wall time, the settings and the command).
"""
import argparse, json, sys, time
t0 = time.perf_counter()
from pathlib import Path
import torch
from fastai_sota.bench import did_it_help
from fastai_sota.fit import versions

SETTINGS = dict(seeds=3, epochs=2, subset=500, baseline='--bs 32')  # the page's call

def main():
    p = argparse.ArgumentParser(); p.add_argument('--workers', type=int, default=1); p.add_argument('--out', default='results')
    a = p.parse_args()
    out = Path(a.out)/'did_it_help_sample'
    t = time.perf_counter()
    v = did_it_help('sample', out=str(out), workers=a.workers, **SETTINGS)
    wall = time.perf_counter() - t
    rec = dict(command=f"OMP_NUM_THREADS={torch.get_num_threads()} python scripts/did_it_help_sample.py --workers {a.workers}",
               call=f"did_it_help('sample', {', '.join(f'{k}={v!r}' for k, v in SETTINGS.items())}, workers={a.workers})",
               grid_wall_s=wall, process_wall_s=time.perf_counter() - t0, runs=sum(len(r) for r in v.res['runs'].values() if
               any('train_time_s' in x for x in r.values())), versions=versions())
    (Path(a.out)/'did_it_help_sample.json').write_text(json.dumps(rec, indent=2))
    print(json.dumps(rec, indent=2))

if __name__ == '__main__': sys.exit(main())
