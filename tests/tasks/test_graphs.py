"""Attributed graphs with planted anomalies (assocmem.tasks.graphs)."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from assocmem.tasks import graphs


@pytest.fixture(scope="module")
def G():
    return graphs.planted_anomalies(seed=3)


def test_shapes_and_a_simple_undirected_graph(G):
    n = 200
    assert G.adjacency.shape == (n, n) and G.adjacency.dtype == torch.bool
    assert G.attributes.shape == (n, 8) and G.attributes.dtype == torch.float64
    assert torch.equal(G.adjacency, G.adjacency.T) and not G.adjacency.diagonal().any()
    assert G.degree.min() >= 1  # nobody isolated: every node has a neighbourhood
    assert (G.labels == graphs.STRUCTURAL).sum() == 16 and (G.labels == graphs.CONTEXTUAL).sum() == 16
    assert torch.equal(G.anomalous, G.labels != 0)


def test_seeded():
    a, b, c = (graphs.planted_anomalies(seed=s) for s in (1, 1, 2))
    assert torch.equal(a.adjacency, b.adjacency) and torch.equal(a.attributes, b.attributes) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.labels, c.labels)


def test_a_clique_is_fully_connected():
    G = graphs.planted_anomalies(cliques=1, clique_size=9, contextual=0, seed=4)
    members = torch.nonzero(G.labels == graphs.STRUCTURAL).flatten()
    assert len(members) == 9
    block = G.adjacency[members[:, None], members[None, :]]
    assert block.sum() == 9 * 8  # every pair, no self-loops
    clean = graphs.planted_anomalies(cliques=0, contextual=0, seed=4)
    assert clean.adjacency[members[:, None], members[None, :]].sum() < 9 * 8 / 2  # the clique was planted


def test_a_contextual_node_takes_the_farthest_candidates_attributes():
    G = graphs.planted_anomalies(cliques=0, contextual=1, seed=5)
    clean = graphs.planted_anomalies(cliques=0, contextual=0, seed=5)
    (i,) = torch.nonzero(G.labels == graphs.CONTEXTUAL).flatten().tolist()
    assert torch.equal(G.adjacency, clean.adjacency)  # edges kept
    same = torch.nonzero((clean.attributes == G.attributes[i]).all(1)).flatten().tolist()
    assert len(same) == 1 and same[0] != i  # a copy of one other node
    d = (clean.attributes - clean.attributes[i]).norm(dim=1)
    assert (d[same[0]] > torch.quantile(d, 0.75)).item()  # and a far one
    others = torch.arange(200) != i
    assert torch.equal(G.attributes[others], clean.attributes[others])


def test_neighbour_mean_distance_matches_a_loop(G):
    score = graphs.neighbour_mean_distance(G)
    for i in (0, 17, 150):
        nbrs = torch.nonzero(G.adjacency[i]).flatten()
        assert torch.isclose(score[i], (G.attributes[i] - G.attributes[nbrs].mean(0)).norm())


def test_mean_distance_ignores_the_edges(G):
    score = graphs.mean_distance(G)
    assert torch.isclose(score[5], (G.attributes[5] - G.attributes.mean(0)).norm())
    rewired = graphs.AttributedGraph(~G.adjacency & ~torch.eye(200, dtype=torch.bool), G.attributes, G.labels, G.community)
    assert torch.equal(graphs.mean_distance(rewired), score)
    assert not torch.allclose(graphs.neighbour_mean_distance(rewired), graphs.neighbour_mean_distance(G))


def test_each_kind_is_found_by_its_simple_baseline(G):
    # the planted signal is there: degree sees the cliques, the neighbour distance the swapped attributes
    lab = G.labels.numpy()
    for kind, score in ((graphs.STRUCTURAL, G.degree.numpy()), (graphs.CONTEXTUAL, graphs.neighbour_mean_distance(G).numpy())):
        keep = np.isin(lab, (0, kind))
        assert roc_auc_score(lab[keep] == kind, score[keep]) > 0.9
    # and the communities matter: with no anomalies and no noise a node sits at its neighbours' mean when they share its community
    pure = graphs.planted_anomalies(p_out=0.0, cliques=0, contextual=0, noise=1e-9, seed=1)
    assert graphs.neighbour_mean_distance(pure).max() < 1e-6


def test_bad_arguments_fail_with_a_message():
    with pytest.raises(ValueError, match="do not fit in nodes = 20"):
        graphs.planted_anomalies(nodes=20, cliques=2, clique_size=8, contextual=10, candidates=5)
    with pytest.raises(ValueError, match="p_in must be a probability"):
        graphs.planted_anomalies(p_in=1.5)
    with pytest.raises(ValueError, match="noise must be a finite number > 0"):
        graphs.planted_anomalies(noise=0.0)
    with pytest.raises(ValueError, match="clique_size must be an integer >= 2"):
        graphs.planted_anomalies(clique_size=1)
