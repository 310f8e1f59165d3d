"""The publishing workflow (.github/workflows/book.yml): valid, and doing what the README says.

Validated against the GitHub-workflow JSON schema that check-jsonschema vendors (pinned in
requirements.txt; no network at test time), then checked for the three things it must do on a
push to main: run ``make test``, deploy ``_build/html`` to GitHub Pages, and push the output of
``make notebooks`` to the ``notebooks`` branch the Colab button opens.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def _schema():
    pytest.importorskip("check_jsonschema")
    text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("github-workflows.json").read_text()
    return json.loads(text)


def _errors(document) -> list[str]:
    import jsonschema

    validator = jsonschema.Draft7Validator(_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _load(path: Path):
    # PyYAML reads the key `on` as True (YAML 1.1); the schema wants the string.
    document = yaml.safe_load(path.read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def test_workflow_matches_the_github_schema():
    assert not _errors(_load(WORKFLOW))


def test_schema_check_catches_a_broken_workflow():
    broken = _load(WORKFLOW)
    broken["jobs"]["test"]["runs-on"] = None
    broken["jobs"]["test"]["steps"][0] = {"uses": "actions/checkout@v4", "with": "not a mapping"}
    assert _errors(broken)


def test_workflow_tests_publishes_and_pushes_the_notebooks():
    workflow = _load(WORKFLOW)
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    runs = "\n".join(step.get("run", "") for step in jobs["test"]["steps"])
    assert "make test" in runs
    uploads = [s for s in jobs["test"]["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in jobs["pages"]["steps"])
    assert jobs["pages"]["permissions"] == {"pages": "write", "id-token": "write"}
    push = "\n".join(step.get("run", "") for step in jobs["notebooks"]["steps"])
    assert "origin notebooks-tmp:notebooks" in push and jobs["notebooks"]["permissions"]["contents"] == "write"
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["config"]["assocmem_colab_branch"] == "notebooks"
    assert "make notebooks" in (ROOT / "Makefile").read_text().split("\ntest:")[1].split("\n\n")[0].replace("$(MAKE)", "make")
