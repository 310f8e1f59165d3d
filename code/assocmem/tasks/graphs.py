"""Attributed graphs with planted anomalous nodes, for graph anomaly detection.

:func:`planted_anomalies` draws a graph of ``nodes`` nodes in ``communities`` equal communities (a
stochastic block model: an edge inside a community with probability ``p_in``, across with
``p_out``), gives every node an attribute vector x_i = m_c + noise (its community's mean m_c,
Gaussian noise of standard deviation ``noise``), and then plants two kinds of anomalous node:

- **structural**: ``cliques`` groups of ``clique_size`` nodes drawn from the whole graph are fully
  connected to each other (a dense subgraph across communities); their attributes are left alone;
- **contextual**: ``contextual`` other nodes keep their edges but take the attributes of another
  node: of ``candidates`` nodes drawn at random, the one whose attributes are farthest (Euclidean)
  from the node's own. The new attributes are ordinary for the graph, wrong for the neighbourhood.

This is the usual way to plant anomalies in attributed graphs (cliques for structure, attribute
swaps for context). No node is left isolated: a node without edges after the block model is joined
to a random member of its community, so every node has a neighbourhood to be compared with.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import torch

from .. import _checks
from .._checks import DTYPE

NORMAL, STRUCTURAL, CONTEXTUAL = 0, 1, 2


@dataclass
class AttributedGraph:
    """adjacency (n, n) bool, symmetric, no self-loops; attributes (n, F) float64; labels (n,) int64
    (0 normal, 1 structural, 2 contextual); community (n,) int64."""

    adjacency: torch.Tensor
    attributes: torch.Tensor
    labels: torch.Tensor
    community: torch.Tensor

    @property
    def anomalous(self) -> torch.Tensor:
        """(n,) bool: planted anomaly of either kind."""
        return self.labels != NORMAL

    @property
    def degree(self) -> torch.Tensor:
        """(n,) int64."""
        return self.adjacency.sum(1)


def _probability(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}.")
    return float(value)


def planted_anomalies(nodes: int = 200, communities: int = 4, features: int = 8, p_in: float = 0.1,
                      p_out: float = 0.004, noise: float = 0.5, cliques: int = 2, clique_size: int = 8,
                      contextual: int = 16, candidates: int = 50, seed: int = 0) -> AttributedGraph:
    """One seeded attributed graph with planted structural and contextual anomalies (see the module docstring).

    Community means are drawn from N(0, I_F); the communities are blocks of consecutive node indices,
    and the anomalous nodes are drawn at random from all nodes (the contextual ones from those not in
    a clique), so their indices carry no information.
    """
    n = _checks.count("nodes", nodes, minimum=4)
    k = _checks.count("communities", communities, minimum=1, maximum=n)
    F = _checks.count("features", features, minimum=1)
    p_in, p_out = _probability("p_in", p_in), _probability("p_out", p_out)
    noise = _checks.positive("noise", noise)
    cliques = _checks.count("cliques", cliques)
    size = _checks.count("clique_size", clique_size, minimum=2)
    contextual = _checks.count("contextual", contextual)
    candidates = _checks.count("candidates", candidates, minimum=1, maximum=n - 1)
    if cliques * size + contextual > n:
        raise ValueError(f"cliques * clique_size + contextual = {cliques * size + contextual} anomalous nodes "
                         f"do not fit in nodes = {n}; lower them or raise nodes.")
    g = torch.Generator().manual_seed(_checks.seed(seed))

    community = torch.arange(n) * k // n
    same = community[:, None] == community[None, :]
    p = torch.where(same, torch.tensor(p_in, dtype=DTYPE), torch.tensor(p_out, dtype=DTYPE))
    upper = torch.triu(torch.rand(n, n, generator=g, dtype=DTYPE) < p, diagonal=1)
    A = upper | upper.T
    for i in torch.nonzero(A.sum(1) == 0).flatten().tolist():  # no isolated node
        members = torch.nonzero(community == community[i]).flatten()
        members = members[members != i] if len(members) > 1 else torch.tensor([j for j in range(n) if j != i])
        j = members[torch.randint(len(members), (1,), generator=g)].item()
        A[i, j] = A[j, i] = True

    means = torch.randn(k, F, generator=g, dtype=DTYPE)
    X = means[community] + noise * torch.randn(n, F, generator=g, dtype=DTYPE)

    labels = torch.zeros(n, dtype=torch.int64)
    order = torch.randperm(n, generator=g)
    for c in range(cliques):
        members = order[c * size:(c + 1) * size]
        A[members[:, None], members[None, :]] = True
        labels[members] = STRUCTURAL
    A.fill_diagonal_(False)
    original = X.clone()
    for i in order[cliques * size:cliques * size + contextual].tolist():
        others = torch.tensor([j for j in range(n) if j != i])
        pool = others[torch.randperm(n - 1, generator=g)[:candidates]]
        far = pool[(original[pool] - original[i]).norm(dim=1).argmax()]
        X[i] = original[far]
        labels[i] = CONTEXTUAL
    return AttributedGraph(A, X, labels, community)


def neighbour_mean_distance(graph: AttributedGraph) -> torch.Tensor:
    """Baseline score (n,): || x_i - mean of x_j over the neighbours j of i ||."""
    A = graph.adjacency.to(DTYPE)
    mean = A @ graph.attributes / A.sum(1, keepdim=True)
    return (graph.attributes - mean).norm(dim=1)


def mean_distance(graph: AttributedGraph) -> torch.Tensor:
    """Baseline score (n,) that ignores the edges: || x_i - mean of x_j over all nodes ||."""
    X = graph.attributes
    return (X - X.mean(0)).norm(dim=1)
