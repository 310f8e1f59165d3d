"""The long-context chapter's code (assocmem.chapters.transformers.long_context) and its stored models."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from assocmem.chapters.transformers import long_context as chapter  # noqa: E402
from assocmem.models import camelot as cm  # noqa: E402


@pytest.mark.parametrize("seed", chapter.SEEDS)
def test_the_stored_models_were_made_by_train_model(seed):
    model = chapter.model(seed)
    E, S = cm.fixed_embeddings(model.E.shape[0], cm.TASK["styles"], cm.DIM, cm.NUISANCE, seed)
    assert np.array_equal(model.E, E) and np.array_equal(model.S, S) and model.window == cm.WINDOW
    assert model.W_Q.shape == (cm.DIM, cm.DIM) and model.W_O.shape == (cm.DIM, E.shape[0]) and model.W_D is None


def test_the_stored_model_copies_in_the_window_and_the_memory_extends_it():
    none = chapter.evaluate("window only", seed=0, n_docs=2)
    fifo = chapter.evaluate("FIFO cache", seed=0, n_docs=2)
    assert none["within_window_accuracy"] > 0.99 and none["beyond_window_accuracy"] < 0.05
    assert fifo["beyond_window_accuracy"] > 0.3 and fifo["perplexity"] < none["perplexity"]


def test_the_character_model_and_its_text():
    docs, model = chapter.test_text(), chapter.char_model()
    assert docs.tokens.shape == (chapter.TEXT_DOCS, chapter.TEXT_LENGTH) and docs.tokens.max() < model.E.shape[0]
    assert model.W_D is not None and model.window == chapter.TEXT_WINDOW


def test_bad_seed_and_paper_sizes():
    with pytest.raises(ValueError, match="seed must be one of"):
        chapter.model(7)
    assert chapter.sizes("paper")["n_docs"] > chapter.sizes("ci")["n_docs"]


def test_the_state_figure_draws():
    state = chapter.memory_state(seed=1, slots=16)
    assert 16 <= state["counts"].sum() <= 1024 - cm.WINDOW and (state["counts"] >= 1).all()  # evicted counts are lost
    assert (state["ages"] >= 0).all() and state["ages"].min() == 0  # the last token written is 0 tokens old
    chapter.draw_state(state)
    plt.close("all")
