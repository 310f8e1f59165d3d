"""Nested ListOps expressions and their tokenizer (assocmem.tasks.listops), checked against an independent evaluator."""

import statistics

import pytest
import torch

from assocmem.tasks import listops as lo


def independent_value(text: str) -> int:
    """Evaluate a bracketed prefix expression with an explicit stack (no trees, no code shared with the generator)."""
    stack = []
    for word in text.split():
        if word.startswith("["):
            stack.append([word[1:]])
        elif word == "]":
            op, *args = stack.pop()
            value = {"MAX": max, "MIN": min, "SUM": lambda a: sum(a) % 10, "MED": statistics.median_low}[op](args)
            if not stack:
                return value
            stack[-1].append(value)
        else:
            stack[-1].append(int(word))
    raise AssertionError(f"unbalanced expression {text!r}")


def independent_depth(text: str) -> int:
    level = deepest = 0
    for word in text.split():
        level += word.startswith("[")
        level -= word == "]"
        deepest = max(deepest, level)
    return deepest


def test_operators_by_hand():
    assert lo.apply("MAX", [3, 9, 1]) == 9 and lo.apply("MIN", [3, 9, 1]) == 1
    assert lo.apply("MED", [3, 9, 1]) == 3 and lo.apply("MED", [7, 2]) == 2  # lower median of an even list
    assert lo.apply("SUM", [9, 8, 7]) == 4
    tree = ("MAX", [3, ("SUM", [4, 8]), ("MED", [1, 7, 2])])
    assert lo.to_string(tree) == "[MAX 3 [SUM 4 8 ] [MED 1 7 2 ] ]"
    assert lo.evaluate(tree) == 3 and lo.tree_depth(tree) == 2


@pytest.mark.parametrize("ops", ["sum", "max_med", "all", ("MIN",), ("SUM", "MIN")])
@pytest.mark.parametrize("depth", [2, 3])
def test_values_match_an_independent_evaluator(ops, depth):
    data = lo.sample(ops, 300, depth=depth, seed=3, nest=0.5)
    assert data.tokens.shape[0] == 300 and data.tokens.shape[1] <= lo.max_length(depth)
    used = set()
    for text, value in zip(data.strings, data.values.tolist()):
        assert independent_value(text) == value, text
        assert independent_depth(text) == depth, text
        used |= {w[1:] for w in text.split() if w.startswith("[")}
    assert used == set(lo.operators(ops))  # only the selected operators, and all of them
    assert set(data.values.tolist()) <= set(range(10)) and len(set(data.values.tolist())) >= 5


def test_tokenizer_round_trip_and_padding():
    data = lo.sample("all", 50, seed=1, nest=0.5)
    for row, text in zip(data.tokens, data.strings):
        assert row[0] == lo.CLS and lo.detokenize(row) == text
        assert torch.equal(lo.tokenize(text, data.tokens.shape[1]), row)
        n = len(text.split()) + 1
        assert (row[n:] == lo.PAD).all() and (row[:n] != lo.PAD).all()
    assert lo.tokenize("[SUM 1 2 ]").tolist() == [lo.CLS, lo.TOKEN["[SUM"], lo.DIGIT0 + 1, lo.DIGIT0 + 2, lo.CLOSE]
    assert len(lo.VOCAB) == 17 and lo.max_length(2, 3) == 18


def test_seeds_reproduce_and_differ():
    a, b, c = (lo.sample("max_med", 100, seed=s) for s in (5, 5, 6))
    assert a.strings == b.strings and torch.equal(a.tokens, b.tokens)
    assert a.strings != c.strings


def test_held_out_split_is_disjoint_and_nest_zero_has_one_subexpression():
    train, test = lo.split("sum", 500, 200, seed=0, nest=0.0)
    assert not set(train.strings) & set(test.strings) and len(set(train.strings)) == 500
    for text in train.strings[:100]:
        assert text.count("[SUM") == 2  # the root and exactly one nested operator
        assert 3 <= sum(w.isdigit() for w in text.split()) <= 5


@pytest.mark.parametrize("kwargs, match", [
    ({"ops": "PROD"}, "ops"), ({"ops": ()}, "ops"), ({"ops": ("SUM", "SUM")}, "ops"), ({"count": 0}, "count"),
    ({"depth": 0}, "depth"), ({"max_args": 1}, "max_args"), ({"nest": 1.5}, "nest"), ({"seed": -1}, "seed"),
])
def test_bad_input_names_the_argument(kwargs, match):
    args = {"ops": "sum", "count": 5} | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        lo.sample(**args)


def test_bad_text_and_impossible_counts():
    with pytest.raises(ValueError, match="unknown tokens"):
        lo.tokenize("[PROD 1 2 ]")
    with pytest.raises(ValueError, match="length"):
        lo.tokenize("[SUM 1 2 ]", 3)
    with pytest.raises(TypeError, match="text"):
        lo.tokenize(12)
    with pytest.raises(ValueError, match="distinct"):
        lo.sample("MAX", 150, depth=1, min_args=2, max_args=2)  # only 100 distinct [MAX a b ]
