"""Browser test of the built docs site: `python scripts/check_site.py [_site]` (after `python scripts/build_docs.py`).

Serves the site on loopback and opens every page in headless Chromium (Debian `chromium`). A script injected by the
server reports, after the page's `load` event, each image and whether it decoded, each link, and the API blocks. It fails
(exit 1, one line per problem) on an image that did not load, a request the server could not answer, an internal link to
a missing page or anchor, a module page without the API entry (`show_doc` block) of every public function and class
of its module, a shown source line wider than its column (at a 1280×1000 window: the block would scroll
sideways; printed outputs are not checked), and a technique page (`TECHNIQUE_PAGES`) whose first section is not "Use it" with a usage example and
a picture. It saves a screenshot of the first screen of every page under `_shots/`.
"""
import functools, html.parser, importlib, json, re, shutil, subprocess, sys, threading
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urlsplit, unquote

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run']
PROBE = """<script>addEventListener('load', () => setTimeout(() => {
  const r = {title: document.title, api: [...document.querySelectorAll('.api h3, .api h4')].map(h => h.textContent.replace('¶', '').trim()),
    images: [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    wide: [...document.querySelectorAll('article pre > code')]  // source (highlighted into spans), not printed outputs
      .filter(c => c.children.length > 0 && c.scrollWidth > c.clientWidth + 2)
      .map(c => c.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '').slice(0, 80)),
    first: (() => { const h = document.querySelector('article h2'); if (!h) return null;
      const r = {title: h.textContent.replace('¶', '').trim(), code: false, image: false};
      for (let e = h.nextElementSibling; e && e.tagName !== 'H2'; e = e.nextElementSibling) {
        if (e.matches('pre, div.highlight') || e.querySelector('pre')) r.code = true;
        if (e.matches('img') || e.querySelector('img')) r.image = true; }
      return r; })()};
  const p = document.createElement('pre'); p.id = 'sota-probe'; p.textContent = JSON.stringify(r); document.body.append(p);
}, 200));</script>"""

def chromium() -> str:
    exe = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if not exe: raise RuntimeError("headless Chromium not found: `apt-get install chromium`")
    return exe

class _Handler(SimpleHTTPRequestHandler):
    "Serve the site, inject the probe into HTML pages, and remember every request that failed."
    def log_message(self, *a): pass
    def send_error(self, code, *a, **kw):
        self.server.failed.append(f"{code} {self.path}"); super().send_error(code, *a, **kw)
    def do_GET(self):
        f = Path(self.translate_path(self.path))
        if f.suffix != '.html' or not f.is_file(): return super().do_GET()
        body = f.read_text().replace('</body>', PROBE + '</body>').encode()
        self.send_response(200); self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)

def serve(site:Path):
    "Start a loopback server for `site` in a thread; `(server, base_url)`."
    srv = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Handler, directory=str(site)))
    srv.failed = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}/"

WINDOW = (1280, 1000)  # a laptop's browser window: the column code must fit, the first screen of each page

def probe(url:str, timeout:float=60) -> dict:
    "Open `url` in headless Chromium and return what the injected probe saw."
    out = subprocess.run([chromium(), *FLAGS, f'--window-size={WINDOW[0]},{WINDOW[1]}', '--virtual-time-budget=10000', '--dump-dom', url],
                         capture_output=True, text=True, timeout=timeout).stdout
    m = re.search(r'<pre id="sota-probe">(.*?)</pre>', out, re.S)
    if not m: raise RuntimeError(f"no probe result from {url} (page did not finish loading?)")
    return json.loads(html.unescape(m[1]))

def screenshot(url:str, dest:Path, size=WINDOW):
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([chromium(), *FLAGS, '--hide-scrollbars', f'--window-size={size[0]},{size[1]}',
                    '--virtual-time-budget=10000', f'--screenshot={dest}', url], capture_output=True, timeout=60, check=True)

class _Ids(html.parser.HTMLParser):
    def __init__(self): super().__init__(); self.ids = set()
    def handle_starttag(self, tag, attrs): self.ids.update(v for k, v in attrs if k in ('id', 'name'))

@functools.cache
def _ids(f:Path) -> set:
    p = _Ids(); p.feed(f.read_text(errors='replace')); return p.ids

def link_problem(site:Path, base:str, href:str):
    "Why the internal link `href` is broken, or None (external links are not followed: no network here)."
    if not href.startswith(base): return None
    u = urlsplit(href)
    rel = unquote(u.path)[len(urlsplit(base).path):] or 'index.html'
    f = site/rel
    if f.is_dir(): f = f/'index.html'
    if not f.is_file(): return f"missing page {rel}"
    if u.fragment and f.suffix == '.html' and unquote(u.fragment) not in _ids(f): return f"missing anchor {rel}#{u.fragment}"

def api_names(module:str) -> set:
    "Public functions and classes of `module` (its `__all__`), plus methods it `@patch`es onto fastai classes."
    m = importlib.import_module(module)
    names = {n for n in getattr(m, '__all__', []) if callable(getattr(m, n, None))}
    from fastai_sota._modidx import d
    return names | {k[len(module) + 1:] for k in d['syms'].get(module, {}) if k[len(module) + 1:].startswith('Learner.')}

TECHNIQUE_PAGES = ('tta.html', 'mix.html', 'losses.html', 'progressive.html')  # each opens with how to use it

def check_site(site:Path, api_pages:dict) -> tuple:
    "Open every page of `site`; `(problems, results per page)`. `api_pages` maps a page to the API names it must show."
    site = Path(site)
    srv, base = serve(site)
    problems, results = [], {}
    try:
        for f in sorted(site.rglob('*.html')):
            rel = f.relative_to(site).as_posix()
            if rel == '404.html': continue
            r = results[rel] = probe(base + rel)
            problems += [f"{rel}: image did not load: {i['src']}" for i in r['images'] if not i['ok']]
            problems += [f"{rel}: broken link {h}: {p}" for h in sorted(set(r['links'])) if (p := link_problem(site, base, h))]
            problems += [f"{rel}: a shown code line is wider than the column: {w!r}" for w in r['wide']]
            if rel in TECHNIQUE_PAGES:
                f1 = r['first'] or {}
                if not (f1.get('title') == 'Use it' and f1.get('code') and f1.get('image')):
                    problems.append(f"{rel}: the first section must be 'Use it', with a usage example and a picture (found {f1})")
            missing = sorted(api_pages.get(rel, set()) - set(r['api']))
            if missing: problems.append(f"{rel}: API section lacks {missing}")
        # Chromium asks for /favicon.ico by itself when a page names no icon: not a resource of the site
        problems += [f"server could not answer: {p}" for p in srv.failed if p != '404 /favicon.ico']
    finally: srv.shutdown()
    return problems, results

def module_pages() -> dict:
    "The API each module page must show: page `tta.html` for module `fastai_sota.tta`, and so on."
    from fastai_sota._modidx import d
    return {f"{m.split('.')[-1]}.html": names for m in d['syms'] if (names := api_names(m))}

def main(site='_site', shots='_shots'):
    site = ROOT/site
    problems, results = check_site(site, module_pages())
    srv, base = serve(site)
    try:  # the first screen of every page, as a reader opens it
        for rel in results: screenshot(base + rel, ROOT/shots/rel.replace('/', '_').replace('.html', '.png'))
    finally: srv.shutdown()
    n_img = sum(len(r['images']) for r in results.values()); n_api = sum(len(r['api']) for r in results.values())
    print(f"{len(results)} pages, {n_img} images, {n_api} API entries checked in headless Chromium; screenshots in {shots}/")
    for p in problems: print('FAIL', p)
    return 1 if problems else 0

if __name__ == '__main__': sys.exit(main(*sys.argv[1:]))
