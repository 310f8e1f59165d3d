"""Real-browser check of the built book (run after the build: ``make browser``).

Serves ``_build/html`` on 127.0.0.1 (an ``http.server`` in a thread, ephemeral port) and
loads every page in headless Debian Chromium driven by Selenium. The browser is started
so that it contacts nothing outside this machine (every host but 127.0.0.1 is mapped to
"not found"): a page that needs a CDN fails here. Per page it checks

- ``console``: no JavaScript error in the console (SEVERE entries);
- ``math``: MathJax typeset every formula (no raw ``$$``, ``\\(`` or ``\\[`` left in the text);
- ``image``: every image has loaded (``naturalWidth > 0``);
- ``alt``: every image has alt text that describes it (not empty, not a file name);
- ``widget``: every embedded widget rendered, showing its default figure;
- ``buttons``: chapter pages have the launch (Binder, Colab, Thebe), download (.ipynb and
  source) and repository buttons, and their links point to files that exist in the build
  or in the repository;
- ``link``: every link inside the book leads to an existing page (and anchor);
- ``figure-background``: every figure image is opaque, so it reads on the dark theme too;
- ``static-widget``: every static widget (precomputed frames, assocmem.viz.widgets) shows
  exactly one loaded image;

(``test_pages_fit_small_and_wide_screens`` also loads every page at 390 and 1280 px: no sideways
scroll, equation numbers clear of their formulas, and each figure of three or more panels in a row
shows its stacked image on the phone and its wide image on the wide screen);

and saves a screenshot per page under ``_build/screens/`` (chapters also in dark mode).
``test_checker_catches_breakage`` breaks one thing of each kind in a copy of the build and
asserts the checker reports it. Without Chromium the tests skip with an install hint,
except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import os
import re
import shutil
import tempfile
import threading
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build" / "html"
SCREENS = ROOT / "_build" / "screens"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
INSTALL_HINT = "install them with: sudo apt-get update && sudo apt-get install -y chromium chromium-driver"
KINDS = ("console", "math", "image", "alt", "widget", "static-widget", "buttons", "link", "figure-background")
IGNORED_CONSOLE = ("favicon.ico",)
HEADLESS_MIN_WIDTH = 500  # px: the narrowest window headless Chromium makes


@dataclass(frozen=True)
class Problem:
    page: str
    kind: str
    detail: str

    def __str__(self):
        return f"{self.page}: [{self.kind}] {self.detail}"


# --- serving ------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 at an ephemeral port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium_missing() -> str | None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        return f"Chromium and chromedriver are needed for the browser test ({', '.join(missing)} not found); {INSTALL_HINT}"
    return None


@contextmanager
def browser(width: int = 1280, height: int = 1600):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="assocmem-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
                 "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                 f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    if width < HEADLESS_MIN_WIDTH:
        # Headless Chromium makes no window narrower than 500 px (a 390 px window has a 500 px viewport):
        # a phone's viewport is emulated instead (the width media queries and the layout see 390 px).
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


# --- static helpers -----------------------------------------------------------------

class _Ids(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def _anchors(path: Path) -> frozenset:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf8", errors="replace"))
    return frozenset(parser.ids)


def pages(site: Path) -> list[str]:
    """Every HTML page of the build (relative paths), redirect stubs excluded."""
    found = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")):
            continue
        if 'http-equiv="refresh"' in path.read_text(encoding="utf8", errors="replace")[:2000].lower():
            continue
        found.append(rel)
    return found


def _alt_is_a_path(alt: str) -> bool:
    return bool(re.fullmatch(r"\S+\.(png|jpe?g|svg|gif|webp)", alt.strip(), re.I)) or "/" in alt and " " not in alt.strip()


def _opaque(path: Path) -> bool:
    import matplotlib.image

    image = matplotlib.image.imread(path)
    if image.ndim < 3 or image.shape[2] < 4:
        return True
    alpha = image[..., 3]
    return float(alpha.min()) >= 0.99 * float(alpha.max() if alpha.dtype.kind == "u" else 1.0)


# --- the browser checks -------------------------------------------------------------

_MATH_READY = """
const done = arguments[arguments.length - 1];
const mj = window.MathJax;
if (!document.querySelector('.math, .tex2jax_process, .mathjax_process')) { done('no-math'); return; }
if (!mj || !mj.startup || !mj.startup.promise) { done('no-mathjax'); return; }
mj.startup.promise.then(() => done('ok'), (e) => done('error: ' + e));
"""

_RAW_MATH = r"""
const raw = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const skip = 'PRE,CODE,SCRIPT,STYLE,TEXTAREA,MJX-CONTAINER';
while (walker.nextNode()) {
  const node = walker.currentNode;
  if (node.parentElement && node.parentElement.closest(skip.toLowerCase().split(',').join(','))) continue;
  const text = node.textContent;
  if (/\$\$|\\\(|\\\[|\\begin\{/.test(text)) raw.push('raw formula left in the text: ' + text.trim().slice(0, 80));
}
document.querySelectorAll('mjx-merror, .MathJax_Error').forEach(e =>
  raw.push('formula with a TeX error: ' + (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80)));
return raw;
"""

_IMAGES = """
return Array.from(document.images).map(img => ({
  src: img.getAttribute('src') || '', alt: img.getAttribute('alt'), complete: img.complete,
  width: img.naturalWidth, inWidget: !!img.closest('.jupyter-widgets, .widget-output, .jp-OutputArea')}));
"""

_WIDGETS = """
const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
const rendered = document.querySelectorAll('.jupyter-widgets .widget-output img, .jupyter-widgets img, .widget-output img');
const shown = Array.from(rendered).filter(img => img.naturalWidth > 0 && img.getBoundingClientRect().height > 0);
// A progress bar (tqdm, shown when a computation of the build ran long) is a widget with no figure.
const bars = document.querySelectorAll('.jupyter-widgets .widget-hprogress, .jupyter-widgets .widget-progress');
return {views: views.length - bars.length, figures: shown.length, bars: bars.length,
        containers: document.querySelectorAll('.jupyter-widgets').length};
"""

_STATIC_WIDGETS = """
return Array.from(document.querySelectorAll('.assocmem-static-widget')).map(box => {
  const shown = Array.from(box.querySelectorAll('.assocmem-static-frames img')).filter(
    img => !img.hidden && img.getBoundingClientRect().height > 0);
  return {shown: shown.length, loaded: shown.filter(img => img.complete && img.naturalWidth > 0).length,
          inputs: box.querySelectorAll('input[type=range][data-control]').length};
});
"""

_LINKS = """
return Array.from(document.querySelectorAll('a[href]')).map(a => ({
  href: a.href, raw: a.getAttribute('href'), text: (a.textContent || '').trim().slice(0, 40)}));
"""

_BUTTONS = """
const q = (sel) => Array.from(document.querySelectorAll(sel)).map(a => a.getAttribute('href') || a.getAttribute('onclick') || '');
return {
  binder: q('.dropdown-launch-buttons a[href*="mybinder"], .dropdown-launch-buttons a[href*="binder"]'),
  colab: q('.dropdown-launch-buttons a[href*="colab"]'),
  thebe: document.querySelectorAll('.dropdown-launch-buttons .btn-launch-thebe, button[onclick*="initThebe"], .dropdown-launch-buttons button').length,
  ipynb: q('.dropdown-download-buttons a[href$=".ipynb"]'),
  source: q('.dropdown-download-buttons a[href$=".py"]'),
  repository: q('.dropdown-source-buttons a[href], a.btn-source-repository-button, a[title="Source repository"]'),
  thebeConfig: (document.querySelector('script[type="text/x-thebe-config"]') || {}).textContent || '',
};
"""


def _read_config(repo: Path) -> dict:
    import yaml

    return yaml.safe_load((repo / "_config.yml").read_text())


def _check_buttons(page: str, buttons: dict, site: Path, repo: Path, base: str, problems: list) -> None:
    config = _read_config(repo)
    repo_url = (config.get("repository") or {}).get("url", "").rstrip("/")
    need = {"binder": "Binder launch", "colab": "Colab launch", "ipynb": ".ipynb download", "source": "source download",
            "repository": "repository"}
    for key, name in need.items():
        if not buttons[key]:
            problems.append(Problem(page, "buttons", f"no {name} button"))
    if not buttons["thebe"]:
        problems.append(Problem(page, "buttons", "no live-code (Thebe) button"))
    org_repo = "/".join(repo_url.split("/")[-2:])
    if "binderOptions" not in buttons["thebeConfig"] or (org_repo and f'"{org_repo}"' not in buttons["thebeConfig"]):
        problems.append(Problem(page, "buttons", f"Thebe is not configured to start a Binder kernel for {org_repo}"))
    for url in buttons["binder"]:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
        target = (query.get("urlpath", [""])[0]).split("tree/", 1)[-1]
        if not target or not (repo / target).is_file():
            problems.append(Problem(page, "buttons", f"Binder link opens {target!r}, not a file of the repository"))
        if repo_url and "/".join(repo_url.split("/")[-2:]) not in url:
            problems.append(Problem(page, "buttons", f"Binder link {url} is not for {repo_url}"))
    for url in buttons["colab"]:
        target = url.split("/blob/", 1)[-1].split("/", 1)[-1] if "/blob/" in url else ""
        if not target or not (repo / target).is_file():
            problems.append(Problem(page, "buttons", f"Colab link opens {target!r}, not a file of the repository "
                                                     "(run `make notebooks` to generate it)"))
    for url in buttons["ipynb"] + buttons["source"]:
        path = (site / Path(page).parent / urllib.parse.urlparse(url).path).resolve()
        if not path.is_file():
            problems.append(Problem(page, "buttons", f"download link {url} points to a missing file"))
    for url in buttons["repository"]:
        if repo_url and not url.startswith(repo_url):
            problems.append(Problem(page, "buttons", f"repository button points to {url}, not {repo_url}"))


def _check_links(page: str, links: list[dict], site: Path, base: str, problems: list) -> None:
    for link in links:
        href = link["href"]
        if not href.startswith(base):
            continue  # outside the book (external sites, mailto, javascript:)
        parsed = urllib.parse.urlparse(href)
        rel = urllib.parse.unquote(parsed.path[len(urllib.parse.urlparse(base).path):])
        target = site / rel
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            problems.append(Problem(page, "link", f"broken link {link['raw']!r} ({link['text']!r}): {rel} does not exist"))
            continue
        if parsed.fragment and target.suffix == ".html":
            fragment = urllib.parse.unquote(parsed.fragment)
            if fragment not in _anchors(target.resolve()):
                problems.append(Problem(page, "link", f"link {link['raw']!r} points to a missing anchor #{fragment} in {rel}"))


def check_site(site: Path = BUILD, repo: Path = ROOT, screens: Path | None = SCREENS, only: list[str] | None = None,
               dark: bool = True) -> list[Problem]:
    """Load every page (or ``only`` these) of the built book and return what is wrong."""
    from selenium.webdriver.support.ui import WebDriverWait

    site, problems = Path(site), []
    names = only if only is not None else pages(site)
    if screens is not None:
        screens.mkdir(parents=True, exist_ok=True)
    for image in sorted((site / "_images").glob("*.png")):
        if not _opaque(image):
            problems.append(Problem("_images", "figure-background",
                                    f"{image.name} has a transparent background (unreadable on the dark theme)"))
    with serve(site) as base, browser() as driver:
        for page in names:
            driver.get(base + page)
            WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
            driver.set_script_timeout(30)
            state = driver.execute_async_script(_MATH_READY)
            if state not in ("ok", "no-math"):
                problems.append(Problem(page, "math", f"MathJax did not typeset the page ({state})"))
            for text in driver.execute_script(_RAW_MATH):
                problems.append(Problem(page, "math", text))
            has_widgets = driver.execute_script(
                "return document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]').length")
            if has_widgets:
                try:
                    WebDriverWait(driver, 20).until(lambda d: d.execute_script(_WIDGETS)["figures"] >= d.execute_script(_WIDGETS)["views"])
                except Exception:
                    pass
                widgets = driver.execute_script(_WIDGETS)
                if widgets["figures"] < widgets["views"]:
                    problems.append(Problem(page, "widget", f"{widgets['views']} widget(s) embedded, {widgets['figures']} default figure(s) visible"))
            for index, box in enumerate(driver.execute_script(_STATIC_WIDGETS)):
                if box["shown"] != 1 or box["loaded"] != 1:
                    problems.append(Problem(page, "static-widget", f"static widget {index + 1} shows {box['shown']} image(s), "
                                                                   f"{box['loaded']} loaded (expected exactly one)"))
            driver.execute_script("window.scrollTo(0, document.body.scrollHeight); document.querySelectorAll('img').forEach(i => i.loading = 'eager');")
            try:
                WebDriverWait(driver, 10).until(lambda d: d.execute_script("return Array.from(document.images).every(i => i.complete)"))
            except Exception:
                pass
            for image in driver.execute_script(_IMAGES):
                src = image["src"] if not image["src"].startswith("data:") else "data:... (inline image)"
                if not image["complete"] or image["width"] == 0:
                    problems.append(Problem(page, "image", f"image {src!r} did not load"))
                alt = (image["alt"] or "").strip()
                if not alt:
                    problems.append(Problem(page, "alt", f"image {src!r} has no alt text"))
                elif _alt_is_a_path(alt):
                    problems.append(Problem(page, "alt", f"image {src!r} has a file name as alt text: {alt!r}"))
            if (site / "_sources" / Path(page).with_suffix(".py")).is_file():
                _check_buttons(page, driver.execute_script(_BUTTONS), site, repo, base, problems)
            _check_links(page, driver.execute_script(_LINKS), site, base, problems)
            for entry in driver.get_log("browser"):
                if entry.get("level") == "SEVERE" and not any(s in entry.get("message", "") for s in IGNORED_CONSOLE):
                    problems.append(Problem(page, "console", entry["message"][:300]))
            if screens is not None:
                driver.execute_script("window.scrollTo(0, 0)")
                stem = page[:-5].replace("/", "__")
                driver.save_screenshot(str(screens / f"{stem}.png"))
                if dark and (site / "_sources" / Path(page).with_suffix(".py")).is_file():
                    driver.execute_script("document.documentElement.dataset.theme = 'dark'; document.documentElement.dataset.mode = 'dark';")
                    figure = driver.execute_script("const f = document.querySelector('figure img, .cell_output img'); if (f) { f.scrollIntoView(); return true; } return false;")
                    driver.save_screenshot(str(screens / f"{stem}-dark.png"))
                    driver.execute_script("localStorage.removeItem('theme'); localStorage.removeItem('mode');")
    return problems


# --- pytest ------------------------------------------------------------------------

def _require_browser_and_build():
    missing = chromium_missing()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(missing + " (CI=true: the browser test is required)")
        pytest.skip(missing)
    if not (BUILD / "index.html").is_file():
        pytest.fail(f"no built book at {BUILD}: run `make build` first")


def test_built_book_in_browser():
    _require_browser_and_build()
    problems = check_site()
    assert not problems, "the built book has problems in the browser:\n" + "\n".join(map(str, problems))
    assert len(list(SCREENS.glob("*.png"))) >= len(pages(BUILD))


def _chapter_page(site: Path) -> str:
    for page in pages(site):
        if (site / "_sources" / Path(page).with_suffix(".py")).is_file() and "<img" in (site / page).read_text():
            return page
    pytest.fail("no chapter page with a figure in the build")


def test_checker_catches_breakage(tmp_path):
    """Break one thing of each kind in a copy of the build; the checker must report each."""
    _require_browser_and_build()
    site = tmp_path / "html"
    shutil.copytree(BUILD, site)
    page = _chapter_page(site)
    path = site / page
    text = path.read_text(encoding="utf8")
    figures = list(re.finditer(r'<img alt="[^"]{20,}" src="([^"]+_images/[^"]+)"', text))
    assert figures, "the chapter page has no figure image to break"
    first = figures[0].group(0)
    # On a chapter: 1. a figure loses its alt text, 2. a broken image, 3. a dead link,
    # 4. a formula MathJax cannot typeset.
    text = text.replace(first, re.sub(r'alt="[^"]*"', 'alt=""', first, count=1), 1)
    text = text.replace("</article>", '<p><img alt="a figure that is not there" src="../../_images/no-such-figure.png"></p>'
                        '<p><a href="no-such-chapter.html">a dead link</a></p>'
                        '<div class="math notranslate nohighlight">\\[\\frac{1}{\\]</div></article>', 1)
    assert text.count("no-such-chapter.html") == 1, "could not inject the broken parts"
    path.write_text(text, encoding="utf8")
    # 5. a page whose MathJax script is missing: its formulas stay raw.
    other = next(p for p in pages(site) if p != page and "class=\"math" in (site / p).read_text(encoding="utf8"))
    other_text = (site / other).read_text(encoding="utf8")
    other_text, removed = re.subn(r'<script[^>]*src="[^"]*tex-mml-chtml[^"]*"[^>]*></script>', "", other_text)
    assert removed == 1, "could not remove the MathJax script"
    (site / other).write_text(other_text, encoding="utf8")

    problems = check_site(site, screens=None, only=[page, other], dark=False)
    report = "\n".join(map(str, problems))
    on_page = [p for p in problems if p.page == page]
    assert any(p.kind == "alt" and "no alt text" in p.detail for p in on_page), report
    assert any(p.kind == "image" and "no-such-figure.png" in p.detail for p in on_page), report
    assert any(p.kind == "link" and "no-such-chapter.html" in p.detail for p in on_page), report
    assert any(p.kind == "math" and "frac" in p.detail for p in on_page), report
    assert any(p.kind == "math" and p.page == other and "raw formula" in p.detail for p in problems), report
    # ... and the intact pages pass: the reports above come from the breakage alone.
    clean = check_site(BUILD, screens=None, only=[page, other], dark=False)
    assert not clean, "\n".join(map(str, clean))


def test_reproducibility_page_lists_every_claim():
    """Every chapter that keeps a ledger recorded it in this build, and the page shows every claim."""
    if not (BUILD / "index.html").is_file():
        pytest.fail(f"no built book at {BUILD}: run `make build` first")
    import json

    from assocmem.toc import chapters as toc_chapters

    records = ROOT / "_build" / "claims"
    ledger_pages = [p for p in pages(BUILD) if 'class="claim-ledger' in (BUILD / p).read_text(encoding="utf8")]
    assert ledger_pages, "no page of the build holds the claim ledger table"
    text = (BUILD / ledger_pages[0]).read_text(encoding="utf8")
    expected = 0
    for chapter in toc_chapters(ROOT / "_toc.yml"):
        if "Ledger(" not in chapter.read_text(encoding="utf8"):
            continue
        docname = chapter.relative_to(ROOT).with_suffix("").as_posix()
        files = sorted((records / docname).glob("*.json"))
        assert files, f"{docname} keeps a claim ledger but recorded nothing in {records / docname}"
        for file in files:
            data = json.loads(file.read_text())
            for claim in data["claims"]:
                expected += 1
                row_id = re.sub(r"[^a-z0-9]+", "-", f"claim-{data['chapter']}-{claim['claim_id']}".lower()).strip("-")
                assert f'id="{row_id}"' in text, f"claim {claim['claim_id']!r} of {docname} is not on {ledger_pages[0]}"
    rows = len(re.findall(r'<tr class="[^"]*" id="claim-|<tr id="claim-', text))
    assert expected > 0 and rows == expected, f"{rows} rows on the page for {expected} recorded claims"


# --- static widgets, small screens, long tables (issue 13) ----------------------------

_MOVE_SLIDER = """
const box = document.querySelector('.assocmem-static-widget');
const input = box && box.querySelector('input[type=range][data-control]');
if (!input) return null;
const visible = () => Array.from(box.querySelectorAll('.assocmem-static-frames img')).filter(i => !i.hidden).map(i => i.src);
const output = () => input.closest('.assocmem-static-control').querySelector('output').textContent;
const before = {src: visible(), label: output(), value: input.value};
input.value = String(Number(input.value) === Number(input.max) ? 0 : Number(input.max));
input.dispatchEvent(new Event('input', {bubbles: true}));
const after = {src: visible(), label: output(), value: input.value};
const disabled = Array.from(box.querySelectorAll('.assocmem-static-disabled')).map(
  d => ({disabled: d.querySelector('input').disabled, note: d.textContent}));
return {before, after, disabled};
"""


def _static_widget_pages(site: Path) -> list[str]:
    return [p for p in pages(site) if 'class="assocmem-static-widget"' in (site / p).read_text(encoding="utf8")]


def test_static_widget_slider_switches_the_figure():
    """On the static page, moving a widget's slider shows another precomputed figure (no kernel)."""
    _require_browser_and_build()
    found = _static_widget_pages(BUILD)
    assert found, "no page of the build has a static widget"
    from assocmem.viz.widgets import LIVE_NOTE

    with serve(BUILD) as base, browser() as driver:
        for page in found:
            driver.get(base + page)
            result = driver.execute_script(_MOVE_SLIDER)
            if result is None:
                continue  # a widget with every control disabled
            assert len(result["before"]["src"]) == 1 and len(result["after"]["src"]) == 1, (page, result)
            assert result["before"]["src"] != result["after"]["src"], f"{page}: the figure did not change"
            assert result["before"]["label"] != result["after"]["label"], f"{page}: the readout did not change"
            for control in result["disabled"]:
                assert control["disabled"] and LIVE_NOTE in control["note"], (page, control)


_LAYOUT = """
const width = window.innerWidth;
const out = {page: document.documentElement.scrollWidth, width: width, overlaps: [], wide: [], tables: []};
document.querySelectorAll('.math-wrapper, div.math').forEach(box => {
  const eq = box.querySelector('mjx-container');
  const number = box.querySelector('.eqno');
  if (!eq) return;
  const a = eq.getBoundingClientRect();
  if (number) {
    const b = number.getBoundingClientRect();
    const inter = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
                  Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
    if (inter > 4) out.overlaps.push(number.textContent.trim());
  }
  const inner = eq.firstElementChild || eq;
  if (inner.getBoundingClientRect().width > box.clientWidth + 2) out.wide.push((eq.getAttribute('aria-label') || eq.textContent).slice(0, 60));
});
document.querySelectorAll('table.claim-ledger').forEach(t => {
  const holder = t.parentElement;
  out.tables.push({table: t.scrollWidth, room: holder.clientWidth, holderScroll: holder.scrollWidth});
});
return out;
"""


_STACKED = """
return Array.from(document.querySelectorAll('picture.assocmem-stacked-figure')).map(p => {
  const img = p.querySelector('img'), source = p.querySelector('source');
  const box = img.getBoundingClientRect();
  return {figure: (p.closest('figure') || {}).id || '', current: img.currentSrc, wide: img.src,
          stacked: source ? new URL(source.getAttribute('srcset'), document.baseURI).href : '',
          media: source ? source.media : '', width: box.width, height: box.height,
          loaded: img.complete && img.naturalWidth > 0};
});
"""

# A figure of three panels in a row (assocmem.chapters.learning.two_particles.draw_gd): stacked on a phone.
KNOWN_STACKED = ("book/learning/two_particles.html", "fig-tp-spike")
STACKED_BELOW = 600  # px: assocmem.sphinxext.render.STACKED_BREAKPOINT


def _check_stacked(page: str, width: int, figures: list[dict], problems: list) -> None:
    """Below the breakpoint a stacked figure shows its stacked PNG (taller than wide), above it the wide PNG."""
    phone = width <= STACKED_BELOW
    for figure in figures:
        name = f"{page} @ {width}px: figure {figure['figure'] or '(no id)'}"
        expected = figure["stacked"] if phone else figure["wide"]
        if not figure["loaded"]:
            problems.append(f"{name}: its image did not load")
        elif figure["current"] != expected:
            problems.append(f"{name} shows {figure['current']}, not its {'stacked' if phone else 'wide'} image {expected}")
        elif phone != (figure["height"] > figure["width"]):
            problems.append(f"{name} is shown {figure['width']:.0f} x {figure['height']:.0f} px: "
                            f"{'the stacked panels should be taller than wide' if phone else 'the wide figure should be wider than tall'}")


@pytest.mark.parametrize("width", [390, 1280])
def test_pages_fit_small_and_wide_screens(width):
    """No sideways scroll of a page, no equation number over its formula; the claim tables fit at 1280 px;
    a figure of three or more panels in a row shows its panels stacked at 390 px and side by side at 1280 px."""
    _require_browser_and_build()
    from selenium.webdriver.support.ui import WebDriverWait

    problems, stacked = [], {}
    with serve(BUILD) as base, browser(width=width, height=900) as driver:
        for page in pages(BUILD):
            driver.get(base + page)
            driver.set_script_timeout(30)
            driver.execute_async_script(_MATH_READY)
            driver.execute_script("return new Promise(r => setTimeout(r, 300))")
            layout = driver.execute_script(_LAYOUT)
            if abs(driver.execute_script("return window.innerWidth") - width) > 1:
                problems.append(f"{page}: the viewport is {driver.execute_script('return window.innerWidth')} px, not {width} px")
            if driver.execute_script("return document.querySelector('picture.assocmem-stacked-figure') !== null"):
                try:
                    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
                        "return Array.from(document.querySelectorAll('picture img')).every(i => i.complete)"))
                except Exception:
                    pass
                stacked[page] = driver.execute_script(_STACKED)
                _check_stacked(page, width, stacked[page], problems)
            if layout["page"] > layout["width"] + 2:
                problems.append(f"{page} @ {width}px: the page scrolls sideways ({layout['page']} px wide)")
            for number in layout["overlaps"]:
                problems.append(f"{page} @ {width}px: equation number {number} covers its formula")
            if width >= 1280:
                for table in layout["tables"]:
                    if table["table"] > table["room"] + 2 or table["holderScroll"] > table["room"] + 2:
                        problems.append(f"{page} @ {width}px: a claim table is {table['table']} px wide for {table['room']} px")
                for formula in layout["wide"]:
                    problems.append(f"{page} @ {width}px: a display equation is wider than the column: {formula!r}")
    known_page, known_figure = KNOWN_STACKED
    if (BUILD / known_page).is_file() and known_figure not in [f["figure"] for f in stacked.get(known_page, [])]:
        problems.append(f"{known_page}: its three-panel figure {known_figure} has no stacked variant "
                        f"(stacked figures found: {sorted((p, f['figure']) for p, fs in stacked.items() for f in fs)})")
    assert stacked, "no page of the build has a figure with a stacked (phone) variant"
    assert not problems, "\n".join(problems)
