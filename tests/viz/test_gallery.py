"""The registry of figures and widgets (assocmem.viz.gallery) against what the chapters glue and show."""

from __future__ import annotations

import re
from pathlib import Path

import ipywidgets
import pytest

from assocmem import toc
from assocmem.viz import gallery

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = toc.chapters(ROOT / "_toc.yml")
GLUED = re.compile(r"""glue_figure\(\s*["']([\w-]+)["']""")


def glued_figures(path: Path) -> set[str]:
    """Names of the figures a chapter glues onto its page."""
    return set(GLUED.findall(path.read_text()))


def registered_names(chapter: str) -> set[str]:
    """Names a chapter's registered builders produce on the page: ``name``, or ``name-part`` for a dict builder."""
    return {name for name, entry in gallery.entries().items() if entry.chapter == chapter}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: toc.chapter_name(p, ROOT))
def test_every_glued_figure_is_registered_and_every_registered_figure_is_glued(path):
    chapter = toc.chapter_name(path, ROOT)
    glued = glued_figures(path)
    registered = registered_names(chapter)
    # A builder returning {part: figure} is glued as name-part.
    covered = {g for g in glued if g in registered or any(g.startswith(r + "-") for r in registered)}
    assert glued == covered, f"{chapter} glues figures no builder registers: {sorted(glued - covered)}"
    unused = {r for r in registered if r not in glued and not any(g.startswith(r + "-") for g in glued)}
    assert not unused, f"{chapter}: registered figures the chapter never glues: {sorted(unused)}"


def test_every_registered_chapter_exists():
    chapters = {toc.chapter_name(p, ROOT) for p in CHAPTERS}
    for registry in (gallery.entries(), gallery.widget_entries()):
        for name, entry in registry.items():
            assert entry.chapter in chapters, f"{name} is registered under {entry.chapter!r}, which is not in _toc.yml"


def test_discovery_is_recursive_and_finds_every_chapter_with_figures():
    chapters_with_figures = {entry.chapter for entry in gallery.entries().values()}
    with_glue = {toc.chapter_name(p, ROOT) for p in CHAPTERS if glued_figures(p)}
    assert with_glue <= chapters_with_figures


@pytest.mark.parametrize("name", sorted(gallery.entries()))
def test_a_builder_that_takes_a_tier_uses_it(name):
    entry = gallery.entries()[name]
    if entry.takes_tier:
        assert gallery.uses_tier(entry.build), f"figure {name}: the builder takes a tier it ignores; drop the argument"


def test_the_tier_check_catches_an_ignored_tier():
    def ignores(tier: str = "ci"):
        return 1

    def uses(tier: str = "ci"):
        return tier

    assert not gallery.uses_tier(ignores) and gallery.uses_tier(uses)


def test_a_name_cannot_be_registered_twice():
    @gallery.register("gallery-test-duplicate", chapter="x", alt="a")
    def first(tier="ci"):
        return None

    with pytest.raises(ValueError, match="registered twice"):
        @gallery.register("gallery-test-duplicate", chapter="x", alt="a")
        def second(tier="ci"):
            return None

    gallery._FIGURES.pop("gallery-test-duplicate")


def test_widgets_are_named_widget_and_build_their_default_state():
    widgets = gallery.widgets()
    assert widgets, "no widget is registered"
    for name, build in widgets.items():
        assert build.__name__ == "widget", f"widget builder {name} is called {build.__name__}, not widget"


def test_every_chapter_module_with_a_widget_registers_it():
    import importlib
    import pkgutil

    import assocmem.chapters as chapters

    registered = {entry.build for entry in gallery.widget_entries().values()}
    for module in pkgutil.walk_packages(chapters.__path__, prefix="assocmem.chapters."):
        loaded = importlib.import_module(module.name)
        if hasattr(loaded, "widget"):
            assert loaded.widget in registered, f"{module.name}.widget is not registered with gallery.register_widget"


# grouped by chapter with the chapter's figure tests (tests/test_cli.py), which share its cached runs
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xdist_group(e.chapter))
                                  for n, e in gallery.widget_entries().items() if n != "induction-step-size"])
def test_each_widget_builds_with_defaults(name):
    built = gallery.widgets()[name]()
    assert isinstance(built, ipywidgets.Widget)
