"""Every third-party module the book or the package imports is pinned, for make, Binder and Colab alike."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL = {"assocmem"}


def imported_modules(*folders: Path) -> dict[str, set[str]]:
    """Top-level module name -> files importing it (absolute imports only), for every .py under ``folders``."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in folder.rglob("*.py"):
            if ".ipynb_checkpoints" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf8"), filename=str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def third_party(modules) -> dict[str, set[str]]:
    return {m: f for m, f in modules.items() if m not in sys.stdlib_module_names and m not in LOCAL and not m.startswith("_")}


def pins(path: Path) -> dict[str, str]:
    """Normalised distribution name -> pinned version, from a requirements file (``name==version`` lines)."""
    result = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*==\s*(\S+)", line)
        if match:
            result[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return result


@functools.lru_cache(maxsize=1)
def _module_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distributions(module: str) -> list[str]:
    names = _module_distributions().get(module, [])
    return sorted({re.sub(r"[-_.]+", "-", n).lower() for n in names})


MODULES = third_party(imported_modules(ROOT / "book", ROOT / "code"))


def test_finds_the_imports_of_the_book():
    # the scan itself works: the first chapter imports these
    assert {"torch", "numpy", "myst_nb"} <= set(MODULES)
    assert "os" not in MODULES and "assocmem" not in MODULES


@pytest.mark.parametrize("requirements", ["requirements.txt", "binder/requirements.txt"])
def test_every_imported_module_is_pinned(requirements):
    pinned = pins(ROOT / requirements)
    missing = []
    for module, files in sorted(MODULES.items()):
        dists = distributions(module)
        if not dists:
            missing.append(f"{module} (imported by {', '.join(sorted(files))}) is not installed, so its distribution is unknown")
        elif not any(d in pinned for d in dists):
            missing.append(f"{module} (distribution {' or '.join(dists)}, imported by {', '.join(sorted(files))})")
    assert not missing, f"not pinned with == in {requirements}:\n  " + "\n  ".join(missing)


def test_binder_pins_agree_with_requirements():
    main, binder = pins(ROOT / "requirements.txt"), pins(ROOT / "binder/requirements.txt")
    disagree = [f"{name}: {main[name]} vs {binder[name]}" for name in binder
                if name in main and binder[name].split("+")[0] != main[name].split("+")[0]]
    assert not disagree, "binder/requirements.txt and requirements.txt pin different versions:\n  " + "\n  ".join(disagree)


def test_a_missing_pin_is_reported(tmp_path):
    """The check can fail: a requirements file without numpy does not pin numpy."""
    text = (ROOT / "requirements.txt").read_text()
    trimmed = tmp_path / "requirements.txt"
    trimmed.write_text("\n".join(line for line in text.splitlines() if not line.startswith("numpy")))
    assert "numpy" in pins(ROOT / "requirements.txt") and "numpy" not in pins(trimmed)
