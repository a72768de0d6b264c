"""Build the docs site from `nbs/` with no network: `python scripts/build_docs.py` writes `_site/` (open `_site/index.html`).

Quarto, which `nbdev-docs` needs, cannot be installed on our machines, so the site is built in three steps, each by a
well-kept tool:
1. nbdev's own notebook processing (`nbdev.serve.proc_nbs`, what `nbdev-proc-nbs` runs, minus its Quarto install
   attempt) writes `_proc/`: hidden and exported cells dropped, `show_doc` added for every exported name and executed.
2. nbconvert's Markdown exporter turns each processed notebook into a Markdown page, with its figures as PNG files.
   Before that, the Quarto-only cell options are applied here: `#| echo: false` cells (the `show_doc` blocks) become their
   Markdown output inside a `<div class="api">`, `#| output: asis` prints become Markdown, `#| output: false` drops
   outputs, directives are removed, stderr
   (warnings) is dropped, a repeated `show_doc` of the same name (nbdev adds its own for `@patch` methods) is kept once.
3. mkdocs-material renders the HTML, with a navigation sidebar and offline search; `--strict` with link and anchor
   validation makes a broken internal link fail the build.
Why not mkdocs-jupyter: it renders notebook Markdown with mistune, outside mkdocs's Markdown extensions (so no TOC
entries, admonitions or attribute lists for the API blocks) and inlines figures as base64. The notebooks stay the single
source and are not changed for this, so `nbdev-docs` still works wherever Quarto exists. (Material for MkDocs is
maintained until May 2027; its successor Zensical reads the same `mkdocs.yml`, so moving is a change of command.)
"""
import os, re, shutil, subprocess, sys, textwrap
from pathlib import Path
import yaml, nbformat
from nbconvert import MarkdownExporter
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
BUILD, SITE = ROOT/'_docs_build', ROOT/'_site'
CSS = """.api { border-left: 3px solid var(--md-primary-fg-color); padding: 0 0 0 .8rem; margin: 1rem 0; }
.api hr { display: none; }
.md-typeset img { max-width: 100%; }
.md-grid { max-width: 80rem; }  /* the page's contents in the left sidebar (toc.integrate): the column holds the code lines (check_site.py measures them) */
.md-typeset pre > code { font-size: .78em; }
"""

def frontmatter(nb) -> dict:
    "The YAML frontmatter nbdev writes as the first (raw) cell of a processed notebook."
    c = nb.cells[0]
    if c.cell_type != 'raw' or not c.source.startswith('---'): return {}
    return yaml.safe_load(c.source.strip().strip('-')) or {}

_re_dir = re.compile(r'^#\|\s*([\w-]+)\s*:?\s*(.*)$')

def split_directives(src:str):
    "Quarto/nbdev cell options (`#| key: value`) at the top of `src`, and the rest of the source."
    lines, dirs = src.split('\n'), {}
    while lines and (m := _re_dir.match(lines[0])): dirs[m[1]] = m[2].strip(); lines.pop(0)
    return dirs, '\n'.join(lines).strip('\n')

def _markdown_out(cell) -> str:
    return '\n'.join(''.join(o['data']['text/markdown']) for o in cell.outputs if 'text/markdown' in o.get('data', {}))

CODE_WIDTH = 100  # characters a code line of the column holds at a 1280-pixel window (`check_site.py` measures it)

def wrap_signature(md:str, width:int=CODE_WIDTH) -> str:
    "`show_doc`'s signature blocks with each long docment comment wrapped under itself: no line wider than `width`."
    out = []
    for line in md.split('\n'):
        i = line.find(' # ')
        if len(line) <= width or i < 0 or i > width - 20: out.append(line); continue
        pad = ' ' * (i + 1)
        out += textwrap.wrap(line[i + 3:], width, initial_indent=line[:i + 1] + '# ', subsequent_indent=pad + '# ')
    return '\n'.join(out)

def page_nb(nb):
    "Apply the cell options Quarto would, and turn the frontmatter into a title: the notebook nbconvert will export."
    fm, cells, seen = frontmatter(nb), [], set()
    head = f"# {fm.get('title', '')}\n\n" + (f"> {' '.join(str(fm['description']).split())}\n" if fm.get('description') else '')
    cells.append(nbformat.v4.new_markdown_cell(head))
    for c in nb.cells[1:]:
        c.metadata = {}  # execution timings etc. (not valid nbformat for nbconvert)
        if c.cell_type == 'raw' or (c.cell_type == 'markdown' and c.source.startswith('<!-- WARNING')): continue
        if c.cell_type == 'markdown': cells.append(c); continue
        dirs, c.source = split_directives(c.source)
        if dirs.get('echo') == 'false' and 'show_doc(' not in c.source:  # outputs only: the code is not shown
            c.metadata = {'tags': ['remove_input']}
        elif dirs.get('echo') == 'false':
            md = _markdown_out(c).strip()
            name = re.search(r'^#+\s+(.+)$', md, re.M)
            if not md or (name and name[1] in seen): continue
            if name: seen.add(name[1])
            cells.append(nbformat.v4.new_markdown_cell(f'<div class="api" markdown>\n\n{wrap_signature(md)}\n\n</div>'))
            continue
        if dirs.get('output') == 'false': c.outputs = []
        c.outputs = [o for o in c.outputs if not (o.get('output_type') == 'stream' and o.get('name') == 'stderr')]
        asis = ''
        if dirs.get('output') == 'asis':  # printed Markdown (a table) is shown as Markdown, not as text
            asis = ''.join(o.get('text', '') for o in c.outputs if o.get('output_type') == 'stream') + _markdown_out(c)
            c.outputs = []
        if c.outputs or (c.source and 'remove_input' not in c.metadata.get('tags', [])): cells.append(c)
        if asis.strip(): cells.append(nbformat.v4.new_markdown_cell(asis))
    nb.cells = cells
    nb.metadata['language_info'] = {'name': 'python'}  # fenced code blocks get Python highlighting
    return fm, nb

def write_page(src:Path, dest_dir:Path):
    "Export one processed notebook to Markdown (and its figures); its page name and title for the navigation."
    fm, nb = page_nb(nbformat.read(src, as_version=4))
    name = Path(fm.get('output-file', src.stem)).stem
    cfg = Config(); cfg.TagRemovePreprocessor.enabled = True; cfg.TagRemovePreprocessor.remove_input_tags = {'remove_input'}
    md, res = MarkdownExporter(config=cfg).from_notebook_node(nb, resources={'output_files_dir': f'{name}_files'})
    (dest_dir/f'{name}.md').write_text(md)
    for f, data in res.get('outputs', {}).items():
        (dest_dir/f).parent.mkdir(parents=True, exist_ok=True)
        (dest_dir/f).write_bytes(data)
    return name, fm.get('title', name)

def config(pages) -> dict:
    return dict(
        site_name='fastai_sota', docs_dir='md', site_dir=str(SITE), use_directory_urls=False,
        site_description='Chapter 7 of the fastai book as a fastai extension, each technique with a measured answer.',
        theme=dict(name='material', font=False, features=['navigation.top', 'toc.follow', 'toc.integrate', 'search.highlight', 'content.code.copy']),
        plugins=['search'], extra_css=['sota.css'],
        markdown_extensions=['tables', 'attr_list', 'md_in_html', 'admonition', {'toc': {'permalink': True}},
                             'pymdownx.highlight', 'pymdownx.superfences'],
        validation=dict(links=dict(not_found='warn', anchors='warn', unrecognized_links='warn')),
        nav=[{t: f'{n}.md'} for n, t in pages])

def main():
    from nbdev.serve import proc_nbs
    proc = proc_nbs(path=str(ROOT/'nbs'), force=True, n_workers=0)
    shutil.rmtree(BUILD, ignore_errors=True); (BUILD/'md').mkdir(parents=True)
    nbs = sorted(proc.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.stem))  # index first, then notebook order
    pages = [write_page(p, BUILD/'md') for p in nbs]
    (BUILD/'md'/'sota.css').write_text(CSS)
    (BUILD/'mkdocs.yml').write_text(yaml.safe_dump(config(pages), sort_keys=False, allow_unicode=True))
    env = os.environ | {'NO_MKDOCS_2_WARNING': '1'}
    subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--clean', '-q', '-f', str(BUILD/'mkdocs.yml')],
                   check=True, env=env)
    print(f"built {len(pages)} pages into {SITE}")

if __name__ == '__main__': main()
