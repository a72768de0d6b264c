"""Execute notebooks in place so their outputs (figures, tables) are saved for the docs; `#| slow` cells are skipped.

Run from the repo root: `python scripts/exec_nbs.py nbs/02_tta.ipynb [...]`, then `nbdev-clean`.
"""
import sys, os
from pathlib import Path
from fastcore.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

def _skip(cell):
    return cell.cell_type != 'code' or any(l.strip().replace(' ', '') in ('#|slow', '#|eval:false') for l in cell.source.splitlines()[:3])

def main(paths):
    os.environ.setdefault('MPLBACKEND', 'Agg')
    for p in map(Path, paths):
        nb = read_nb(p)
        for c in nb.cells:
            if c.cell_type == 'code': c.outputs, c.execution_count = [], None
        cwd = os.getcwd(); os.chdir(p.parent)
        try: CaptureShell(p).run_all(nb, exc_stop=True, preproc=_skip)
        finally: os.chdir(cwd)
        write_nb(nb, p)
        print(f"executed {p}")

if __name__ == '__main__': main(sys.argv[1:])
