"Write README.md from nbs/index.ipynb (markdown cells as they are, code cells as Python blocks). Run from the repo root."
import json
from pathlib import Path

def main(nb='nbs/index.ipynb', dest='README.md'):
    cells = json.loads(Path(nb).read_text())['cells']
    parts = [''.join(c['source']) if c['cell_type'] == 'markdown' else '```python\n' + ''.join(c['source']) + '\n```'
             for c in cells]
    Path(dest).write_text('\n\n'.join(parts) + '\n')

if __name__ == '__main__': main()
