"""The Binder environment opens a chapter as a notebook (issue 13).

Binder runs ``binder/postBuild``, which copies ``binder/overrides.json`` to JupyterLab's
settings: a ``.py`` file's default viewer becomes "Jupytext Notebook". The notebook itself
comes from jupytext's contents manager (its server extension, enabled when jupytext and
jupyter_server are installed). Here the Jupyter server of ``.venv`` (the same pinned
jupyter_server and jupytext as binder/requirements.txt) is started on 127.0.0.1 and asked,
over its REST API, for a chapter as a notebook.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "book/beyond/hopfield.py"


def test_overrides_make_python_files_open_as_notebooks():
    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    viewers = overrides["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers.get("python") == "Jupytext Notebook"
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "binder/overrides.json" in post_build and "share/jupyter/lab/settings" in post_build


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pytest.importorskip("jupyter_server")
    port, token = _free_port(), secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_CONFIG_DIR": str(runtime / "config")}
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}", "--ServerApp.port_retries=0",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/api/status", token)
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail("the Jupyter server did not start:\n" + (process.stdout.read() if process.stdout else ""))
                time.sleep(0.5)
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_server_serves_a_chapter_as_a_notebook(server):
    base, token = server
    model = _get(f"{base}/api/contents/{CHAPTER}?type=notebook&content=1", token)
    assert model["type"] == "notebook", model.get("type")
    cells = model["content"]["cells"]
    kinds = {cell["cell_type"] for cell in cells}
    assert len(cells) > 5 and {"code", "markdown"} <= kinds, f"{len(cells)} cells of kinds {kinds}"
    assert any("import" in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    # The listing shows the chapter as a notebook too (what a double click opens in JupyterLab).
    listing = _get(f"{base}/api/contents/book/beyond?content=1", token)
    entry = next(item for item in listing["content"] if item["name"] == "hopfield.py")
    assert entry["type"] == "notebook", entry
