"""MyST to plain Markdown for the notebooks (assocmem.sphinxext.markdown)."""

from __future__ import annotations

from assocmem.sphinxext import markdown

CTX = markdown.Context(
    base_url="https://owner.github.io/book/",
    glue={"rate": "0.12345", "name": "'quoted'", "count": "7"},
    labels={"chap-x": {"doc": "book/part/x", "anchor": "chap-x", "title": "Chapter X"},
            "fig-a": {"doc": "book/part/x", "anchor": "fig-a", "title": "Figure 3"},
            "eq-b": {"doc": "book/part/x", "anchor": "equation-eq-b", "title": "(2)"},
            "prop-c": {"doc": "book/part/x", "anchor": "prop-c", "title": "Proposition 1"},
            "ex-d": {"doc": "book/part/x", "anchor": "ex-d", "title": "Exercise 4"}},
    citations={"hopfield1982": ("Hopfield", "1982")})

SOURCE = """(chap-x)=
# Title

```{admonition} In this chapter
**You will learn** {glue:text}`rate:.2f` and {glue:text}`count`, see {numref}`fig-a`,
{eq}`eq-b`, {prf:ref}`prop-c` and {ref}`chap-x` {cite}`hopfield1982`.
```

$$
a = b
$$ (eq-b)

```{prf:proposition} Something
:label: prop-c

Statement.
```

```{prf:proof}
Because.
```

````{exercise}
:label: ex-d

Try it.
````

```{solution} ex-d
:class: dropdown

Answer.
```

```{glue:figure} my-fig
:name: fig-a
:alt: alt text

The caption.
```
"""


def test_every_myst_construct_becomes_plain_markdown():
    out = markdown.convert(CTX, SOURCE)
    assert not markdown.raw_myst(out), out
    assert "(chap-x)=" not in out
    assert "> **In this chapter**" in out and "0.12 and 7" in out
    assert "[Figure 3](https://owner.github.io/book/book/part/x.html#fig-a)" in out
    assert "[(2)](https://owner.github.io/book/book/part/x.html#equation-eq-b)" in out
    assert "[Proposition 1](" in out and "[Chapter X](" in out
    assert "([Hopfield 1982](https://owner.github.io/book/book/bibliography.html))" in out
    assert "\\tag{2} $$" in out
    assert "> **Proposition 1** (Something)." in out and "> *Proof.*" in out
    assert "> **Exercise 4**" in out
    details = out[out.index("<details>"):out.index("</details>")]
    assert "Solution to Exercise 4" in details and "Answer." in details and "Try it." not in details
    assert "*Figure 3 (shown by the code cell above): The caption.*" in out


def test_raw_myst_is_detected():
    assert markdown.raw_myst("see {numref}`fig-a`") == ["{numref"]
    assert markdown.raw_myst(":::{note}\nx\n:::") == [":::"]
    assert markdown.raw_myst("plain text") == []


def test_glue_values_of_an_executed_notebook():
    notebook = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "metadata": {"scrapbook": {"name": "x", "mime_prefix": "application/papermill.record/"}},
         "data": {"application/papermill.record/text/plain": "0.5"}},
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": "other"}}]}]}
    assert markdown.glue_values(notebook) == {"x": "0.5"}


def test_pages_url():
    assert markdown.pages_url("https://github.com/Owner/my-book") == "https://owner.github.io/my-book/"
    assert markdown.pages_url("https://github.com/owner/owner.github.io") == "https://owner.github.io/"


def test_read_bib():
    bib = "@article{a1,\n  author = {Amit, D. and Gutfreund, H. and Sompolinsky, H.},\n  year = {1985},\n}\n" \
          "@book{b2,\n  author = {John Hopfield},\n  year = 1982,\n}\n"
    assert markdown.read_bib(bib) == {"a1": ("Amit et al.", "1985"), "b2": ("Hopfield", "1982")}


def test_executed_glue_reads_the_glue_store(tmp_path):
    import json

    notebook = tmp_path / "chapter.ipynb"
    notebook.write_text(json.dumps({"cells": []}))
    (tmp_path / "chapter.glue.json").write_text(json.dumps({"x": {"data": {"text/plain": "'1.00'"}, "metadata": {}}}))
    values = markdown.executed_glue(notebook)
    assert values == {"x": "'1.00'"}
    ctx = markdown.Context(glue=values)
    assert markdown.convert(ctx, "overlap {glue:text}`x`") == "overlap 1.00"
