"""Nested ListOps expressions (Nangia and Bowman 2018), seeded, with a tokenizer (chapter "What a small Transformer memorises").

An expression is an operator applied to a list of arguments, each a digit 0-9 or an
expression itself, written in prefix form with brackets::

    [MAX 3 [SUM 4 8 ] [MED 1 7 2 ] ]   ->  MAX(3, (4 + 8) mod 10, median(1, 7, 2)) = 3

The four operators are ``MAX``, ``MIN``, ``MED`` (the median; of an even number of
arguments, the lower median ``sorted(args)[(n - 1) // 2]``, so every value is a digit) and
``SUM`` (the sum modulo 10). Every node draws its operator from the selected ``ops``
(``("SUM",)``, ``("MAX", "MED")``, all four, ...), so a joint task mixes operators inside
one expression, as in the original ListOps. The generator draws trees of depth exactly
``depth``: every node above the leaves has at least one sub-expression among its arguments.

Tokens: ``<pad>`` 0, ``<cls>`` 1 (prepended to every sequence), ``]`` 2, the four
opening tokens ``[MAX [MIN [MED [SUM`` 3-6 and the digits 0-9 as 7-16 (``DIGIT0 + v``).
A dataset holds ``tokens`` (N, T) int64, right-padded with ``<pad>``, ``values`` (N,)
int64 in 0-9 and the expression strings; its held-out part never repeats a training
expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .. import _checks

OPERATORS = ("MAX", "MIN", "MED", "SUM")
SPECIAL = ("<pad>", "<cls>", "]")
VOCAB = SPECIAL + tuple(f"[{op}" for op in OPERATORS) + tuple(str(v) for v in range(10))
TOKEN = {name: i for i, name in enumerate(VOCAB)}
PAD, CLS, CLOSE = TOKEN["<pad>"], TOKEN["<cls>"], TOKEN["]"]
DIGIT0 = TOKEN["0"]
NUM_CLASSES = 10
OPERATOR_SETS = {"sum": ("SUM",), "max_med": ("MAX", "MED"), "all": OPERATORS}


def operators(ops) -> tuple[str, ...]:
    """Check a selection of operators: a name of ``OPERATOR_SETS`` or a non-empty sequence of ``OPERATORS``."""
    if isinstance(ops, str):
        if ops in OPERATOR_SETS:
            return OPERATOR_SETS[ops]
        ops = (ops,)
    ops = tuple(ops)
    if not ops:
        raise ValueError(f"ops must name at least one operator of {list(OPERATORS)}, got an empty selection.")
    for op in ops:
        if op not in OPERATORS:
            raise ValueError(f"ops must be a set name of {sorted(OPERATOR_SETS)} or operators of {list(OPERATORS)}, got {op!r}.")
    if len(set(ops)) != len(ops):
        raise ValueError(f"ops must not repeat an operator, got {ops!r}.")
    return ops


def apply(op: str, args) -> int:
    """The value of one operator on a list of digits."""
    args = [int(a) for a in args]
    if op == "MAX":
        return max(args)
    if op == "MIN":
        return min(args)
    if op == "MED":
        return sorted(args)[(len(args) - 1) // 2]
    if op == "SUM":
        return sum(args) % 10
    raise ValueError(f"op must be one of {list(OPERATORS)}, got {op!r}.")


def evaluate(tree) -> int:
    """Value of a tree ``(op, [args])`` whose arguments are digits or trees."""
    if isinstance(tree, (int, np.integer)):
        return int(tree)
    op, args = tree
    return apply(op, [evaluate(a) for a in args])


def to_string(tree) -> str:
    """The bracketed prefix form, tokens separated by single spaces: ``[SUM 4 [MAX 1 2 ] ]``."""
    if isinstance(tree, (int, np.integer)):
        return str(int(tree))
    op, args = tree
    return " ".join([f"[{op}"] + [to_string(a) for a in args] + ["]"])


def tree_depth(tree) -> int:
    """Number of nested operator levels (a digit has depth 0)."""
    if isinstance(tree, (int, np.integer)):
        return 0
    return 1 + max(tree_depth(a) for a in tree[1])


def random_tree(rng: np.random.Generator, ops, depth: int, min_args: int = 2, max_args: int = 3, nest: float = 0.5):
    """A random tree of depth exactly ``depth``: each argument of a non-leaf node is a sub-tree with probability
    ``nest`` (one of them always is), else a digit."""
    op = ops[int(rng.integers(len(ops)))]
    n = int(rng.integers(min_args, max_args + 1))
    if depth == 1:
        return op, [int(d) for d in rng.integers(0, 10, size=n)]
    nested = rng.random(n) < nest
    nested[int(rng.integers(n))] = True
    args = [random_tree(rng, ops, depth - 1, min_args, max_args, nest) if s else int(rng.integers(10)) for s in nested]
    return op, args


def max_length(depth: int, max_args: int = 3) -> int:
    """Longest token sequence, ``<cls>`` included, of a tree of the given depth: L(1) = 2 + a, L(k) = 2 + a L(k - 1)."""
    length = 2 + max_args
    for _ in range(depth - 1):
        length = 2 + max_args * length
    return 1 + length


def tokenize(text: str, length: int | None = None) -> torch.Tensor:
    """Token ids (T,) of an expression string, ``<cls>`` first, right-padded with ``<pad>`` to ``length``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be an expression string such as '[SUM 1 2 ]', got {type(text).__name__}.")
    words = text.split()
    unknown = [w for w in words if w not in TOKEN or w in SPECIAL[:2]]
    if unknown:
        raise ValueError(f"text has unknown tokens {unknown[:3]}; expected digits, ']' and {list(VOCAB[3:7])}.")
    ids = [CLS] + [TOKEN[w] for w in words]
    if length is not None:
        if len(ids) > length:
            raise ValueError(f"length must be >= {len(ids)} (the tokens of the expression and <cls>), got {length}.")
        ids += [PAD] * (length - len(ids))
    return torch.tensor(ids, dtype=torch.int64)


def detokenize(ids) -> str:
    """The expression string of a token row (``<cls>`` and ``<pad>`` dropped)."""
    ids = _checks.as_tensor("ids", ids, ndim=1)
    return " ".join(VOCAB[int(i)] for i in ids.tolist() if int(i) not in (PAD, CLS))


@dataclass(frozen=True)
class ListOps:
    """tokens (N, T) int64, values (N,) int64, strings (N,), and the settings that drew them."""

    tokens: torch.Tensor
    values: torch.Tensor
    strings: tuple[str, ...]
    ops: tuple[str, ...]
    depth: int

    def __len__(self) -> int:
        return len(self.strings)


def sample(ops, count: int, depth: int = 2, seed: int = 0, min_args: int = 2, max_args: int = 3, nest: float = 0.5,
           exclude=(), unique: bool = True) -> ListOps:
    """``count`` random expressions (distinct when ``unique``, none of them in ``exclude``)."""
    ops = operators(ops)
    count = _checks.count("count", count, minimum=1)
    depth = _checks.count("depth", depth, minimum=1, maximum=6)
    min_args = _checks.count("min_args", min_args, minimum=1)
    max_args = _checks.count("max_args", max_args, minimum=min_args, maximum=9)
    if not 0.0 <= float(nest) <= 1.0:
        raise ValueError(f"nest must be a probability in [0, 1], got {nest!r}.")
    rng = np.random.default_rng(_checks.seed(seed))
    seen, strings, values = set(exclude), [], []
    attempts = 0
    while len(strings) < count:
        attempts += 1
        if attempts > 50 * count + 1000:
            raise ValueError(f"count={count} distinct expressions could not be drawn (ops={ops}, depth={depth}, "
                             f"max_args={max_args}); lower count or allow larger trees.")
        tree = random_tree(rng, ops, depth, min_args, max_args, nest)
        text = to_string(tree)
        if text in seen:
            continue
        if unique:
            seen.add(text)
        strings.append(text)
        values.append(evaluate(tree))
    # pad to the longest drawn expression (at most max_length(depth, max_args)): shorter rows, faster models
    length = 1 + max(len(s.split()) for s in strings)
    tokens = torch.stack([tokenize(s, length) for s in strings])
    return ListOps(tokens, torch.tensor(values, dtype=torch.int64), tuple(strings), ops, depth)


def split(ops, train_size: int, test_size: int, depth: int = 2, seed: int = 0, **kwargs) -> tuple[ListOps, ListOps]:
    """A training set and a held-out set of the same law with no expression in common."""
    train = sample(ops, train_size, depth=depth, seed=seed, **kwargs)
    test = sample(ops, test_size, depth=depth, seed=seed + 7919, exclude=train.strings, **kwargs)
    return train, test
