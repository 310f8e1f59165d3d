"""The claim ledger: every quantitative claim a chapter makes, checked and recorded.

A chapter opens one ledger and checks each claim of its prose on numbers it has
just computed::

    ledger = claims.Ledger("particles", title="Particles")
    assert ledger.check("log-slope", slope.min(), lower=0.99, upper=1.02,
                 claim="margins grow like log t", section="Orthonormal embeddings",
                 reference="Cabannes et al. 2024")

``check`` returns True when the claim holds and raises :class:`ClaimFailed` (an
``AssertionError`` that carries the measured value and the bound) when it does not,
so a chapter states each claim as an ``assert`` and nbval and the book build fail on
a broken one. When the environment variable ``ASSOCMEM_LEDGER_DIR`` is set (the
book build sets it), each ledger also writes its records to
``<dir>/<chapter>.json``; the Reproducibility page is made from those files.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

LEDGER_DIR_VARIABLE = "ASSOCMEM_LEDGER_DIR"


class ClaimFailed(AssertionError):
    """A claim of the book does not hold on the numbers just computed."""


@dataclass
class Record:
    chapter: str
    title: str
    claim_id: str
    claim: str
    section: str
    reference: str
    value: float | bool
    lower: float | None
    upper: float | None
    strict: bool
    passed: bool

    @property
    def bound(self) -> str:
        """The bound as text, e.g. ``[0.99, 1.02]`` or ``< 1e-10`` or ``true``."""
        if isinstance(self.value, bool):
            return "true"
        lt, gt = ("<", ">") if self.strict else ("≤", "≥")
        if self.lower is not None and self.upper is not None:
            return f"({self.lower:g}, {self.upper:g})" if self.strict else f"[{self.lower:g}, {self.upper:g}]"
        if self.upper is not None:
            return f"{lt} {self.upper:g}"
        return f"{gt} {self.lower:g}"


def _is_tensor(value) -> bool:
    # Duck-typed so that the ledger (and the Sphinx extension that reads it) never imports torch.
    return type(value).__module__.startswith("torch") and hasattr(value, "numel") and hasattr(value, "item")


def _scalar(claim_id: str, value):
    if _is_tensor(value) or isinstance(value, np.ndarray):
        size = value.size if isinstance(value, np.ndarray) else value.numel()
        if size != 1:
            raise ValueError(f"claim {claim_id!r}: value must be a single number, got an array of shape {tuple(value.shape)}; reduce it first (min, max, mean).")
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"claim {claim_id!r}: value must be a number or a bool, got {type(value).__name__}.")
    return float(value)


class _Text:
    """Glued as its text alone (a glued ``str`` would show its quotes)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.text)


class Ledger:
    """The claims of one chapter; ``chapter`` names its record file, ``title`` is shown on the page."""

    def __init__(self, chapter: str, title: str | None = None):
        self.chapter = chapter
        self.title = title or chapter
        self.records: list[Record] = []
        self.quoted: dict[str, str] = {}
        directory = os.environ.get(LEDGER_DIR_VARIABLE)
        self.path = Path(directory) / f"{chapter}.json" if directory else None
        self._write()

    def check(
        self,
        claim_id: str,
        value,
        *,
        lower: float | None = None,
        upper: float | None = None,
        strict: bool = False,
        claim: str,
        section: str,
        reference: str = "",
        finite: bool = True,
    ):
        """Check ``lower <= value <= upper`` (``<`` with ``strict``); a bool value must be True.

        A NaN never passes; an infinite value fails unless ``finite=False`` says the claim
        expects one (``value = inf`` satisfies ``lower=0`` arithmetically, but a claim about a
        measured number that overflowed is not a claim that held).

        Returns True, so a chapter writes ``assert ledger.check(...)``; a failed claim raises
        ClaimFailed with the measured value and the bound rather than a bare AssertionError.
        """
        value = _scalar(claim_id, value)
        for bound_name, bound in (("lower", lower), ("upper", upper)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float, np.integer, np.floating))):
                raise TypeError(f"claim {claim_id!r}: {bound_name} must be a number, got {type(bound).__name__} {bound!r}.")
        if isinstance(value, bool):
            if lower is not None or upper is not None:
                raise ValueError(f"claim {claim_id!r}: a bool value takes no bounds.")
            passed = value
        else:
            if lower is None and upper is None:
                raise ValueError(f"claim {claim_id!r}: give lower, upper or both for a numeric value.")
            above = lower is None or (value > lower if strict else value >= lower)
            below = upper is None or (value < upper if strict else value <= upper)
            passed = not math.isnan(value) and (math.isfinite(value) or not finite) and above and below
        if any(r.claim_id == claim_id for r in self.records):
            raise ValueError(f"claim id {claim_id!r} is used twice in chapter {self.chapter!r}; ids must be unique.")
        record = Record(self.chapter, self.title, claim_id, claim, section, reference, value, lower, upper, strict, passed)
        self.records.append(record)
        self._write()
        if not passed:
            raise ClaimFailed(f"claim {claim_id!r} ({claim}) failed: measured {value!r}, expected {record.bound}.")
        return True

    def quote(self, name: str, value, fmt: str = "{:.3g}") -> str:
        """Glue ``value``, formatted with ``fmt``, for ``{glue:}`name``` in the prose; returns the text.

        One call instead of a glue and a format: the number a reader sees is the number the
        chapter computed, and it is kept with the chapter's claims (``self.quoted``).
        """
        number = _scalar(name, value)
        integral = isinstance(value, (int, np.integer)) or (
            (_is_tensor(value) or isinstance(value, np.ndarray)) and "int" in str(value.dtype))
        text = fmt.format(int(number) if integral and not isinstance(number, bool) else number)
        self.quoted[name] = text
        try:
            from myst_nb import glue
        except ImportError:  # outside a book build (a plain Python session) there is nothing to glue into
            return text
        glue(name, _Text(text), display=False)
        return text

    def _write(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = [asdict(r) | {"bound": r.bound} for r in self.records]
        self.path.write_text(json.dumps({"chapter": self.chapter, "title": self.title, "claims": rows}, indent=1))


def load(directory) -> list[dict]:
    """Every chapter's records found in ``directory``, in file-name order."""
    return [json.loads(path.read_text()) for path in sorted(Path(directory).glob("*.json"))]
