"""MyST Markdown of a chapter turned into the plain Markdown that Jupyter and Colab render.

Used by ``python -m assocmem notebooks`` (the notebooks of the ``notebooks`` branch) and by
:mod:`assocmem.sphinxext.notebooks` (the ``.ipynb`` download of each page). Pure Python:
no Sphinx import, so the CLI can use it on a build's outputs.

What becomes what:

- ``{glue:text}`name:.2f``` (and ``{glue}``/``{glue:}``): the glued value of the build, formatted;
- ``{ref}``, ``{numref}``, ``{eq}``, ``{prf:ref}``, ``{doc}``: a link to the online book with the
  label's title or number (``labels``: what the build knew, see :func:`labels_from_env`);
- ``{cite}`` / ``{cite:t}``: "Author Year" linked to the bibliography page;
- admonitions, ``{prf:...}`` statements and proofs, ``{exercise}``: a quoted block with a bold title;
- ``{solution}``: folded, in an HTML ``<details>`` block;
- ``{glue:figure}``: its caption in italics (the code cell above shows the figure);
- ``$$ ... $$ (label)``: ``$$ ... \\tag{n} $$``; ``(label)=`` target lines are dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|:{3,})\{(?P<name>[^}\s]+)\}\s*(?P<args>.*)$")
ROLE = re.compile(r"\{(?P<name>[a-zA-Z][\w:+-]*)\}`(?P<body>[^`]*)`")
TARGET = re.compile(r"^\s*\((?P<label>[^)\s]+)\)=\s*$")
EQUATION_LABEL = re.compile(r"\$\$\s*\((?P<label>[\w:.-]+)\)\s*$")
TITLED = {"note", "tip", "warning", "important", "hint", "caution", "attention", "danger", "error", "seealso"}
RAW_MYST = ("{glue", "{numref", "{prf:", ":::", "```{")


@dataclass
class Context:
    """What the conversion needs from a build."""

    base_url: str = ""
    """The online book, ending in ``/`` (``https://owner.github.io/repo/``)."""
    glue: dict = field(default_factory=dict)
    """``name -> text/plain`` of every glued value of the chapter."""
    labels: dict = field(default_factory=dict)
    """``label -> {"doc", "anchor", "title"}`` for every target of the book."""
    citations: dict = field(default_factory=dict)
    """``key -> (authors, year)`` from references.bib."""
    bibliography: str = "book/bibliography"
    """Docname of the bibliography page."""


def pages_url(repository_url: str) -> str:
    """``https://github.com/owner/repo`` -> ``https://owner.github.io/repo/`` (the GitHub Pages address)."""
    match = re.match(r"https?://github\.com/([^/]+)/([^/#?]+?)(?:\.git)?/?$", repository_url.strip())
    if not match:
        return repository_url.rstrip("/") + "/"
    owner, repo = match.groups()
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{repo.lower()}/"
    return f"https://{owner.lower()}.github.io/{repo}/"


def glue_values(notebook) -> dict:
    """``name -> text/plain`` of every myst-nb glue output of an executed notebook (dict or NotebookNode)."""
    values = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            meta = (output.get("metadata") or {}).get("scrapbook")
            if not meta:
                continue
            prefix = meta.get("mime_prefix", "")
            data = {key[len(prefix):]: value for key, value in (output.get("data") or {}).items()}
            if "text/plain" in data:
                text = data["text/plain"]
                values[meta["name"]] = "".join(text) if isinstance(text, list) else text
    return values


def glue_from_json(data: dict) -> dict:
    """``name -> text/plain`` from the ``<doc>.glue.json`` myst-nb writes next to the executed notebook.

    (myst-nb takes the glue outputs out of the executed notebook it writes, and keeps them there.)
    """
    values = {}
    for name, output in data.items():
        text = (output.get("data") or {}).get("text/plain")
        if text is not None:
            values[name] = "".join(text) if isinstance(text, list) else text
    return values


def executed_glue(executed_notebook) -> dict:
    """Glued values of a chapter from its executed notebook path (``.../<doc>.ipynb``) and its ``.glue.json``."""
    from pathlib import Path

    path = Path(executed_notebook)
    values = {}
    if path.is_file():
        values |= glue_values(json.loads(path.read_text(encoding="utf8")))
    store = path.with_suffix(".glue.json")
    if store.is_file():
        values |= glue_from_json(json.loads(store.read_text(encoding="utf8")))
    return values


def read_bib(text: str) -> dict:
    """``key -> (authors, year)`` of a BibTeX file, enough for "Hopfield 1982" / "Amit et al. 1985"."""
    found = {}
    for match in re.finditer(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)(?=\n@|\Z)", text, re.S):
        key, body = match.groups()
        author = re.search(r"\bauthor\s*=\s*[{\"](.*?)[}\"]\s*,?\s*\n", body, re.S | re.I)
        year = re.search(r"\byear\s*=\s*[{\"]?(\d{4})", body, re.I)
        names = [n.strip() for n in re.split(r"\s+and\s+", author.group(1)) if n.strip()] if author else []

        def last(name):
            name = name.replace("{", "").replace("}", "")
            return name.split(",")[0].strip() if "," in name else name.split()[-1]

        if not names:
            authors = key
        elif len(names) == 1:
            authors = last(names[0])
        elif len(names) == 2:
            authors = f"{last(names[0])} and {last(names[1])}"
        else:
            authors = f"{last(names[0])} et al."
        found[key] = (authors, year.group(1) if year else "")
    return found


def _url(ctx: Context, doc: str, anchor: str = "") -> str:
    return f"{ctx.base_url}{doc}.html" + (f"#{anchor}" if anchor else "")


def _format_glue(ctx: Context, body: str) -> str:
    name, _, spec = body.partition(":")
    name = name.strip()
    if name not in ctx.glue:
        return f"`{name}`"
    text = ctx.glue[name]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if spec:
        try:
            return format(float(text), spec)
        except ValueError:
            return text
    return text


def _split_text_label(body: str) -> tuple[str | None, str]:
    match = re.match(r"^(.*?)\s*<([^>]+)>$", body.strip(), re.S)
    if match:
        return match.group(1).strip(), match.group(2).strip()
    return None, body.strip()


def _role(ctx: Context, name: str, body: str) -> str:
    if name in ("glue", "glue:", "glue:text", "glue:any"):
        return _format_glue(ctx, body)
    if name == "math":
        return f"${body}$"
    if name in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
        parts = []
        for key in [k.strip() for k in body.split(",") if k.strip()]:
            authors, year = ctx.citations.get(key, (key, ""))
            link = _url(ctx, ctx.bibliography)
            parts.append(f"[{authors} ({year})]({link})" if name.startswith("cite:t") else f"[{authors} {year}]({link})".replace(" ]", "]"))
        return ", ".join(parts) if name.startswith("cite:t") else "(" + "; ".join(parts) + ")"
    if name == "doc":
        text, target = _split_text_label(body)
        doc = target.lstrip("/").removesuffix(".md").removesuffix(".py")
        return f"[{text or doc}]({_url(ctx, doc)})"
    if name in ("ref", "numref", "eq", "prf:ref", "prf:proof", "numref:"):
        text, label = _split_text_label(body)
        known = ctx.labels.get(label)
        if known is None:
            return text or label
        title = known.get("title") or label
        if name == "eq":
            text = text or title
        elif name == "numref" and text and "%s" in text:
            number = re.sub(r"^\D*", "", title)
            text = text.replace("%s", number)
        return f"[{text or title}]({_url(ctx, known['doc'], known.get('anchor', ''))})"
    return body


def convert_inline(ctx: Context, text: str) -> str:
    """Every role of ``text`` turned into plain Markdown."""
    return ROLE.sub(lambda m: _role(ctx, m.group("name"), m.group("body")), text)


def _quote(lines: list[str]) -> list[str]:
    return [("> " + line) if line.strip() else ">" for line in lines]


def _options(lines: list[str], start: int) -> tuple[dict, int]:
    options, i = {}, start
    while i < len(lines) and re.match(r"^\s*:[\w-]+:", lines[i]):
        key, _, value = lines[i].strip()[1:].partition(":")
        options[key.strip()] = value.strip()
        i += 1
    return options, i


def _title(ctx: Context, label: str | None, fallback: str) -> str:
    if label and label in ctx.labels and ctx.labels[label].get("title"):
        return ctx.labels[label]["title"]
    return fallback


def _directive(ctx: Context, name: str, args: str, options: dict, body: list[str]) -> list[str]:
    inner = convert_blocks(ctx, body)
    while inner and not inner[0].strip():
        inner.pop(0)
    while inner and not inner[-1].strip():
        inner.pop()
    args = convert_inline(ctx, args)
    if name == "admonition" or name in TITLED:
        title = args or name.capitalize()
        return _quote([f"**{title}**", "", *inner])
    if name == "exercise":
        title = _title(ctx, options.get("label"), "Exercise")
        return _quote([f"**{title}**" + (f" ({args})" if args else ""), "", *inner])
    if name == "solution":
        target = args.strip()
        exercise = _title(ctx, target, "the exercise")
        return ["<details>", f"<summary>Solution to {exercise} (click to show)</summary>", "", *inner, "", "</details>"]
    if name == "prf:proof":
        return _quote(["*Proof.*", "", *inner, "", "$\\blacksquare$"])
    if name.startswith("prf:"):
        kind = name.split(":", 1)[1].capitalize()
        title = _title(ctx, options.get("label"), kind)
        return _quote([f"**{title}**" + (f" ({args})" if args else "") + ".", "", *inner])
    if name == "glue:figure":
        label = options.get("name")
        title = _title(ctx, label, "Figure")
        caption = " ".join(line.strip() for line in inner if line.strip())
        return [f"*{title} (shown by the code cell above): {caption}*" if caption else f"*{title} (shown above).*"]
    if name == "math":
        label = options.get("label")
        tag = _title(ctx, label, "").strip("()") if label else ""
        return ["$$", *inner, *([f"\\tag{{{tag}}}"] if tag else []), "$$"]
    if name in ("code", "code-block", "code-cell"):
        return [f"```{args.split()[0] if args else ''}", *body, "```"]
    if name in ("bibliography", "claim-ledger", "chapter-list", "tableofcontents"):
        return [f"*(This part of the page is made by the book build: see [the online book]({ctx.base_url}).)*"]
    if name in ("figure", "image"):
        return [f"![{options.get('alt', '')}]({args})", *inner]
    return _quote([f"**{name}**" + (f" {args}" if args else ""), "", *inner])


def convert_blocks(ctx: Context, lines: list[str]) -> list[str]:
    """Directives (fenced with backticks or colons, nested) and targets of MyST turned into Markdown."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        match = FENCE.match(line)
        if match:
            fence, char = match.group("fence"), match.group("fence")[0]
            name, args = match.group("name"), match.group("args").strip()
            options, j = _options(lines, i + 1)
            body, depth = [], 0
            closing = re.compile(rf"^\s*{re.escape(char)}{{{len(fence)},}}\s*$")
            while j < len(lines):
                if closing.match(lines[j]) and depth == 0:
                    break
                inner = FENCE.match(lines[j])
                if inner and inner.group("fence")[0] == char and len(inner.group("fence")) == len(fence):
                    depth += 1
                elif closing.match(lines[j]) and depth:
                    depth -= 1
                body.append(lines[j])
                j += 1
            out.extend(_directive(ctx, name, args, options, body))
            i = j + 1
            continue
        if TARGET.match(line):
            i += 1
            continue
        label = EQUATION_LABEL.search(line)
        if label:
            tag = _title(ctx, label.group("label"), "").strip("()")
            line = line[: label.start()] + (f"\\tag{{{tag}}} $$" if tag else "$$")
        out.append(convert_inline(ctx, line))
        i += 1
    return out


def convert(ctx: Context, source: str) -> str:
    """A MyST Markdown cell as plain Markdown."""
    return "\n".join(convert_blocks(ctx, source.split("\n")))


def raw_myst(text: str) -> list[str]:
    """The MyST constructs Jupyter would show raw, found in ``text`` (what the tests fail on)."""
    return [token for token in RAW_MYST if token in text]


def convert_notebook(notebook, ctx: Context) -> None:
    """Convert every Markdown cell of ``notebook`` (an nbformat node) in place."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = convert(ctx, cell.source)


def labels_from_env(env) -> dict:
    """``label -> {"doc", "anchor", "title"}`` from a Sphinx environment (sections, figures, equations, proofs, exercises)."""
    labels = {}
    numbers = getattr(env, "toc_fignumbers", {}) or {}

    def number(doc, kind, anchor):
        value = numbers.get(doc, {}).get(kind, {}).get(anchor)
        return ".".join(map(str, value)) if value else ""

    std = env.domaindata.get("std", {})
    for label, (doc, anchor) in std.get("anonlabels", {}).items():
        labels[label] = {"doc": doc, "anchor": anchor, "title": ""}
    for label, (doc, anchor, title) in std.get("labels", {}).items():
        entry = {"doc": doc, "anchor": anchor, "title": str(title)}
        figure = number(doc, "figure", anchor)
        if figure:
            entry["title"] = f"Figure {figure}"
        labels[label] = entry
    for label, (doc, anchor) in list(std.get("anonlabels", {}).items()):
        figure = number(doc, "figure", anchor)
        if figure:
            labels[label]["title"] = f"Figure {figure}"
    for label, value in env.domaindata.get("math", {}).get("objects", {}).items():
        doc, eqno = value[0], value[1]
        labels[label] = {"doc": doc, "anchor": f"equation-{label}", "title": f"({eqno})"}
    for label, proof in (getattr(env, "proof_list", {}) or {}).items():
        kind = proof.get("realtype", proof.get("type", "proof")).split(":")[-1]
        n = "" if proof.get("nonumber") else number(proof["docname"], proof.get("countertype", kind), label)
        labels[label] = {"doc": proof["docname"], "anchor": label, "title": f"{kind.title()} {n}".strip()}
    for label, exercise in (getattr(env, "sphinx_exercise_registry", {}) or {}).items():
        doc = exercise.get("docname")
        if not doc or exercise.get("type") == "solution":
            continue
        n = number(doc, "exercise", label)
        labels[label] = {"doc": doc, "anchor": label, "title": f"Exercise {n}".strip()}
    return labels


def dump_labels(labels: dict) -> str:
    """JSON of :func:`labels_from_env` (titles may be Sphinx translation proxies: written as text)."""
    return json.dumps({label: {key: str(value) for key, value in entry.items()} for label, entry in labels.items()},
                      indent=0, sort_keys=True)


__all__ = ["Context", "pages_url", "glue_values", "read_bib", "convert", "convert_inline", "convert_blocks",
           "convert_notebook", "labels_from_env", "glue_from_json", "executed_glue", "raw_myst", "RAW_MYST"]
