"""A recipe's test-set runs, each timed as a whole process: `sota-train --recipe NAME --seed S` in a subprocess per seed.

`OMP_NUM_THREADS=2 python scripts/timed_recipe.py cpu10_bf16 --seeds 0 1 2` writes, after each seed,
`results/recipe_<NAME>.json`: for each seed the process's wall time (start-up, training, the TTA and the final
evaluation, as a user runs it), its test accuracy with and without TTA, and the command; each run's own record
(`sota_train.json`'s per-seed files) lies in `results/recipe_<NAME>/`. A seed already in the file is kept (an
interrupted series continues where it stopped).
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time
from pathlib import Path

def main():
    p = argparse.ArgumentParser()
    p.add_argument('recipe'); p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--out', default='results'); p.add_argument('--limit', type=float, default=600., help='the budget (s)')
    a = p.parse_args()
    path, runs = Path(a.out)/f'recipe_{a.recipe}.json', Path(a.out)/f'recipe_{a.recipe}'
    rec = json.loads(path.read_text()) if path.exists() else {}
    rec.update(recipe=a.recipe, limit_s=a.limit, threads=os.environ.get('OMP_NUM_THREADS'),
               command=f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python scripts/timed_recipe.py {a.recipe} "
                       f"--seeds {' '.join(map(str, a.seeds))}")
    seeds = rec.setdefault('seeds', {})
    exe = shutil.which('sota-train')
    if exe is None: sys.exit('sota-train is not installed: pip install -e .')
    for s in a.seeds:
        if str(s) in seeds: print(f'seed {s}: already recorded'); continue
        out = runs/f'seed{s}.json'
        cmd = [exe, '--recipe', a.recipe, '--seed', str(s), '--out', str(out)]
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - t
        if r.returncode: sys.exit(f"seed {s} failed ({r.returncode}): {r.stderr.strip().splitlines()[-1:]}")
        run = json.loads(out.read_text())
        f = run['runs'][0]['final']
        seeds[str(s)] = dict(process_wall_s=wall, accuracy=f['accuracy'], accuracy_tta=f.get('accuracy_tta'),
                             train_wall_s=run['runs'][0]['wall_time_s'], startup_s=run.get('startup_s'),
                             command=' '.join(['sota-train'] + cmd[1:]), settings=run['settings'], versions=run['versions'])
        accs, walls = [v['accuracy_tta'] for v in seeds.values()], [v['process_wall_s'] for v in seeds.values()]
        rec['summary'] = dict(n=len(accs), accuracy_tta=statistics.mean(accs), accuracy_tta_std=statistics.stdev(accs) if len(accs) > 1 else 0.,
                              process_wall_s=statistics.mean(walls), max_process_wall_s=max(walls), within_limit=max(walls) <= a.limit)
        path.write_text(json.dumps(rec, indent=2))
        print(f"seed {s}: test accuracy with TTA {f.get('accuracy_tta'):.4f} in {wall:.0f} s (whole process)", flush=True)
    print(json.dumps(rec.get('summary'), indent=2))

if __name__ == '__main__': sys.exit(main())
