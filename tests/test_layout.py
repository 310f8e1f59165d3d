"""The package layout's import rules, read from the source of every module (no module is executed).

- the core (the paper's linear memory and its helpers), ``models/`` and ``tasks/`` never import
  matplotlib, ipywidgets, ``assocmem.viz`` or ``assocmem.chapters``;
- ``viz/`` never imports a model (``assocmem.models``, ``assocmem.tasks``, or torch-based core maths);
- ``sphinxext/`` never imports torch (directly or through a package module that does);
- only ``chapters/``, the CLI and the gallery's discovery import ``assocmem.chapters``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "code" / "assocmem"
PLOTTING = ("matplotlib", "ipywidgets", "assocmem.viz", "assocmem.chapters")
MODELS = ("assocmem.models", "assocmem.tasks")


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = PACKAGE) -> set[str]:
    """Absolute names of every module ``path`` imports, at any depth of its code (lazy imports included)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def kind(name: str) -> str:
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in ("models", "tasks", "viz", "chapters", "sphinxext"):
        return parts[1]
    if name in ("assocmem.cli", "assocmem.__main__"):
        return "cli"
    return "core"


def _hits(found: set[str], banned) -> list[str]:
    return sorted(f for f in found if any(f == b or f.startswith(b + ".") for b in banned))


def violations(root: Path = PACKAGE) -> list[str]:
    """Every import that breaks a rule, as ``module imports name (rule)``."""
    problems = []
    modules = {module_name(p, root): p for p in root.rglob("*.py")}
    for name, path in sorted(modules.items()):
        found, where = imports(path, root), kind(name)
        if where in ("core", "models", "tasks"):
            problems += [f"{name} imports {hit} (core, models and tasks draw nothing)" for hit in _hits(found, PLOTTING)]
        if where == "viz":
            problems += [f"{name} imports {hit} (viz never imports a model)" for hit in _hits(found, MODELS)]
        if where == "sphinxext":
            problems += [f"{name} imports {hit} (sphinxext never imports torch)" for hit in _hits(found, ("torch",))]
            for other in _hits(found, ("assocmem",)):
                target = modules.get(other)
                if target is not None and kind(other) != "sphinxext" and _hits(imports(target, root), ("torch",)):
                    problems.append(f"{name} imports {other}, which imports torch (sphinxext never imports torch)")
        if where not in ("chapters", "cli") and name != "assocmem.viz.gallery":
            problems += [f"{name} imports {hit} (only chapters, the CLI and the gallery import chapters)"
                         for hit in _hits(found, ("assocmem.chapters",))]
    return problems


def test_the_package_follows_the_import_rules():
    assert violations() == []


@pytest.mark.parametrize("module, source, rule", [
    ("models/bad.py", "import matplotlib.pyplot as plt\n", "draw nothing"),
    ("tasks/bad.py", "def f():\n    from ..viz import style\n", "draw nothing"),
    ("memory.py", "from .chapters.learning import particles\n", "draw nothing"),
    ("viz/bad.py", "from ..models import hopfield\n", "never imports a model"),
    ("sphinxext/bad.py", "import torch\n", "never imports torch"),
    ("sphinxext/worse.py", "from .. import memory\n", "which imports torch"),
    ("claims.py", "from .chapters import learning\n", "only chapters"),
])
def test_a_violating_module_is_caught(tmp_path, module, source, rule):
    root = tmp_path / "assocmem"
    for folder in ("models", "tasks", "viz", "sphinxext", "chapters/learning"):
        (root / folder).mkdir(parents=True)
        (root / folder / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "memory.py").write_text("import torch\n")
    (root / "claims.py").write_text("import json\n")
    (root / module).write_text(source)
    found = violations(root)
    assert any(rule in problem for problem in found), found


CORE_AND_MODELS = sorted(
    module_name(p) for p in PACKAGE.rglob("*.py")
    if kind(module_name(p)) in ("core", "models", "tasks") and not p.name.startswith("__main__")
)


def test_no_core_model_or_task_module_loads_matplotlib():
    # One interpreter imports each module in turn from a clean start (a subprocess per module
    # would cost a torch import each); any module that pulls matplotlib in is named.
    code = (
        "import importlib, sys\n"
        f"names = {CORE_AND_MODELS!r}\n"
        "bad = []\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m.startswith(('assocmem', 'matplotlib', 'ipywidgets'))]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
        "    if any(m.startswith(('matplotlib', 'ipywidgets')) for m in sys.modules):\n"
        "        bad.append(name)\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
    assert "assocmem.particles" in CORE_AND_MODELS and "assocmem.models.hopfield" in CORE_AND_MODELS


def test_compatibility_import_paths_keep_their_names():
    from assocmem import hopfield, transformer
    from assocmem.models import hopfield as models_hopfield
    from assocmem.models import transformer as models_transformer

    for shim, model in ((hopfield, models_hopfield), (transformer, models_transformer)):
        assert shim.__all__ and all(getattr(shim, name) is getattr(model, name) for name in model.__all__)
    for name in ("train", "settings", "run_experiment", "random_network", "forward", "induction_loss", "probe_margins"):
        assert hasattr(transformer, name)
    for name in ("random_patterns", "corrupt", "classical_retrieve", "dense_retrieve", "modern_step", "recall_curve"):
        assert hasattr(hopfield, name)
