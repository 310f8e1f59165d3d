"""The synthetic long documents (assocmem.tasks.long_documents)."""

import numpy as np
import pytest

from assocmem.tasks import long_documents as L


def test_documents_are_fact_statements_consistent_with_their_table():
    d = L.documents(n_docs=4, length=256, facts=20, values=10, seed=3)
    assert d.tokens.shape == d.styles.shape == (4, 256) and d.facts.shape == (4, 20)
    keys, values = d.tokens[:, 0::2], d.tokens[:, 1::2]
    assert keys.max() < 20 and values.min() >= 20 and values.max() < 30 and d.vocab == 30
    assert np.array_equal(values, np.take_along_axis(d.facts, keys, axis=1))
    assert np.array_equal(d.targets[:, :-1], d.tokens[:, 1:]) and (d.targets[:, -1] == -1).all()
    assert d.styles.min() >= 0 and d.styles.max() < 8


def test_queries_and_beyond_match_a_brute_force_search():
    d = L.documents(n_docs=2, length=400, facts=30, window=16, seed=1)
    for b in range(2):
        for t in range(0, 400, 2):
            earlier = [s for s in range(0, t, 2) if d.tokens[b, s] == d.tokens[b, t]]
            assert d.query[b, t] == bool(earlier)
            assert d.beyond[b, t] == (bool(earlier) and earlier[-1] + 1 <= t - 16)
    assert not d.query[:, 1::2].any()


def test_zipf_law_and_the_frequency_of_the_commonest_key():
    p = L.zipf(96, 1.0)
    assert p.sum() == pytest.approx(1) and p[0] / p[1] == pytest.approx(2) and p[0] / p[9] == pytest.approx(10)
    d = L.documents(n_docs=32, length=1024, seed=0)
    top = [np.bincount(row, minlength=96).max() / 512 for row in d.tokens[:, 0::2]]
    assert np.mean(top) == pytest.approx(p[0], abs=0.03)


def test_about_half_of_the_queries_are_beyond_the_window_by_default():
    d = L.documents(n_docs=16, seed=0)
    assert 0.4 < d.beyond.sum() / d.query.sum() < 0.6


def test_drift_changes_which_facts_are_frequent():
    def overlap(drift):
        d = L.documents(n_docs=16, length=1024, drift=drift, drift_every=256, seed=2)
        keys = d.tokens[:, 0::2]
        tops = [(set(np.argsort(-np.bincount(k[:128], minlength=96))[:5]), set(np.argsort(-np.bincount(k[-128:], minlength=96))[:5])) for k in keys]
        return np.mean([len(a & b) / 5 for a, b in tops])
    assert overlap(False) > 0.5 > 0.25 > overlap(True)


def test_seeded_and_checked():
    a, b = L.documents(2, 64, seed=5), L.documents(2, 64, seed=5)
    assert np.array_equal(a.tokens, b.tokens) and np.array_equal(a.styles, b.styles)
    assert not np.array_equal(a.tokens, L.documents(2, 64, seed=6).tokens)
    with pytest.raises(ValueError, match="length must be even"):
        L.documents(2, 63)
    with pytest.raises(ValueError, match="zipf"):
        L.documents(2, 64, zipf_exponent=-1.0)
    with pytest.raises(ValueError, match="seed"):
        L.documents(2, 64, seed=-1)
    with pytest.raises(TypeError, match="n_docs"):
        L.documents(2.0, 64)


def test_text_encoding_and_text_documents():
    codes = L.encode("To be, or NOT to be: that is the question.\n¿")
    assert "".join(L.ALPHABET[c] for c in codes) == "to be, or not to be: that is the question.\n "
    text = L.text_documents(np.arange(5000) % len(L.ALPHABET), length=100, n_docs=3, window=10)
    assert text.tokens.shape == (3, 100) and text.every == 1 and not text.beyond.any()
    assert not text.query[:, :10].any() and text.query[:, 10:-1].all() and not text.query[:, -1].any()
    with pytest.raises(ValueError, match="at least"):
        L.text_documents(np.arange(50), length=100, n_docs=1)
