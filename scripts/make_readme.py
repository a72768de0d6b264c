"""Write README.md from nbs/index.ipynb. Run from the repo root.

Markdown cells as they are; code cells as Python blocks, except: `#| hide` cells are left out, and a cell with
`#| echo: false` shows only its saved outputs (printed Markdown for `#| output: asis`, and its images, written to
`README_files/`). Links to pages of the docs site (`page.html`) point at the published site.
"""
import base64, json, re
from pathlib import Path

SITE = 'https://fastai-sota.github.io/fastai_sota/'

def _opts(src:str) -> dict:
    return dict((m[1], m[2].strip()) for l in src.splitlines() if (m := re.match(r'#\|\s*([\w-]+)\s*:?\s*(.*)$', l)))

def _code(c, images:Path, n:list) -> str:
    src, o = ''.join(c['source']), _opts(''.join(c['source']))
    if 'hide' in o: return ''
    body = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
    parts = [] if o.get('echo') == 'false' else ['```python\n' + body + '\n```']
    for out in c.get('outputs', []):
        data = out.get('data', {})
        if out.get('name') == 'stdout' and o.get('output') == 'asis': parts.append(''.join(out['text']).strip())
        elif 'image/png' in data:
            images.mkdir(exist_ok=True); n[0] += 1
            f = images/f"index_{c.get('id', n[0])}.png"; f.write_bytes(base64.b64decode(data['image/png']))
            parts.append(f'![]({f.as_posix()})')
    return '\n\n'.join(parts)

def main(nb='nbs/index.ipynb', dest='README.md', images='README_files'):
    cells, n = json.loads(Path(nb).read_text())['cells'], [0]
    parts = [''.join(c['source']) if c['cell_type'] == 'markdown' else _code(c, Path(images), n) for c in cells]
    text = '\n\n'.join(p for p in parts if p) + '\n'
    text = re.sub(r'\]\(([a-z_]+\.html(?:#[\w-]+)?)\)', lambda m: f']({SITE}{m[1]})', text)
    Path(dest).write_text(text)

if __name__ == '__main__': main()
