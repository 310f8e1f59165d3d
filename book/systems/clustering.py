# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# (chap-clustering)=
# # Clustering with an associative memory
#
# ```{admonition} In this chapter
# **You will learn** how the dynamics of a dense associative memory turn the discrete choice "which
# cluster does this point belong to" into a smooth map that can be trained by gradient descent; why, as
# the inverse temperature $\beta$ grows, the soft assignment becomes the hard nearest-prototype
# assignment; why, without its masking step, this clustering method *is* k-means, exactly up to a
# constant; and what the masked, self-supervised version buys on four small data sets, measured
# against two k-means baselines with the selection protocol stated.
#
# **Prerequisites**: {ref}`chap-dense-memories` (dense memories, the log-sum-exp energy), gradient
# descent, k-means.
#
# **Run time**: about 20 s on a laptop CPU (CI tier: iris and wine, 8 configurations, 30 epochs);
# the paper tier (`ASSOCMEM_TIER=paper`) runs the full grid of 36 configurations, 200 epochs, five
# seeds and all four data sets.
# ```
#
# ## Prototypes as memories
#
# Clustering with an associative memory (ClAM), by Saha, Krotov, Zaki and Ram
# {cite}`saha2023endtoend`, stores $k$ prototypes $\rho_1, \dots, \rho_k \in \mathbb R^D$ as the memories
# of a dense associative memory {cite}`krotov2016dense` with the energy
#
# $$
# E_\beta(v) = -\frac1\beta \log \sum_{\mu=1}^k \exp\Big(-\frac\beta2 \|\rho_\mu - v\|^2\Big).
# $$ (eq-clam-energy)
#
# Its gradient is $\nabla E_\beta(v) = \sum_\mu s_\mu(v)\,(v - \rho_\mu)$, where
# $s(v) = \operatorname{softmax}_\mu(-\frac\beta2 \|\rho_\mu - v\|^2)$ is a *soft assignment* of $v$ to the
# prototypes. A point $x$ is a start state, and $T = 10$ steps of gradient descent with step $\alpha = 0.1$,
#
# $$
# v_{t+1} = v_t + \alpha\, m \odot \sum_\mu s_\mu(v_t)\, (\rho_\mu - v_t), \qquad v_0 = x ,
# $$ (eq-clam-dynamics)
#
# carry it into the basin of a prototype ($m \in \{0, 1\}^D$ marks the coordinates allowed to move). Lloyd's
# k-means {cite}`lloyd1982least` makes the same move in one jump and with a hard choice: every point goes to
# its nearest centroid. The first statement of this chapter is that the soft choice becomes the hard one.
#
# ```{prf:proposition} The relaxation and its limit
# :label: prop-clam-relaxation
#
# Let $c(v)$ be the index of the nearest prototype of $v$, assumed unique, and
# $\Delta(v) > 0$ the gap between the second-smallest and the smallest of the squared distances
# $d_\mu^2 = \|\rho_\mu - v\|^2$. Then
#
# $$
# 1 - s_{c(v)}(v) \le (k - 1)\, e^{-\beta \Delta(v) / 2}, \qquad
# \tfrac12 d_{c(v)}^2 - \tfrac{\log k}{\beta} \le E_\beta(v) \le \tfrac12 d_{c(v)}^2 ,
# $$
#
# so as $\beta \to \infty$ the soft assignment tends to the one-hot vector of the nearest prototype, the
# energy to $\min_\mu \frac12 \|\rho_\mu - v\|^2$, and the step {eq}`eq-clam-dynamics` to
# "move a fraction $\alpha$ of the way to the nearest prototype".
# ```
#
# ```{prf:proof}
# Write $s_\mu = e^{-\beta d_\mu^2/2} / \sum_\nu e^{-\beta d_\nu^2/2}$. For $\mu \ne c$,
# $s_\mu \le e^{-\beta (d_\mu^2 - d_c^2)/2} \le e^{-\beta \Delta/2}$, and $1 - s_c = \sum_{\mu \ne c} s_\mu$
# gives the first bound. For the energy, the sum in {eq}`eq-clam-energy` lies between its largest term
# $e^{-\beta d_c^2/2}$ and $k$ times it; taking $-\frac1\beta \log$ gives the second. The step is
# $\alpha \sum_\mu s_\mu (\rho_\mu - v)$, which tends to $\alpha(\rho_c - v)$ term by term.
# ```
#
# On standardised iris (every feature at mean 0 and variance 1), with the k-means centroids as the
# prototypes, the mean of $\max_\mu s_\mu(x)$ climbs from near $1/k$ to 1:

# %%
import numpy as np
import torch

from assocmem import claims, tiers
from assocmem.chapters.systems import clustering as chapter
from assocmem.models import clustering as cl
from assocmem.tasks import clustering as data
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("clustering", title="Clustering with an associative memory")

curves = chapter.hardening_runs()                       # iris, k-means (n_init 1000) prototypes
for beta, conf in zip(curves["beta"][::4], curves["confidence"][::4]):
    print(f"beta = {beta:8.2f}: mean max_mu s_mu(x) = {conf:.4f}")

# %% tags=["remove-cell"]
section = "Prototypes as memories"
assert ledger.check("soft-at-small-beta", curves["confidence"][0], upper=0.6, section=section,
                    claim="iris, k-means prototypes, beta = 0.1: mean largest soft assignment (1/k = 0.33 is uniform)")
assert ledger.check("hard-at-large-beta", curves["confidence"][-1], lower=1 - 1e-6, section=section,
                    claim="iris, k-means prototypes, beta = 1000: mean largest soft assignment (1 is the hard assignment)",
                    reference="Saha et al. 2023")
assert ledger.check("confidence-monotone", bool(np.all(np.diff(curves["confidence"]) >= 0)), section=section,
                    claim="the mean largest soft assignment grows with beta over 0.1 .. 1000")
ledger.quote("conf_small", curves["confidence"][0], "{:.2f}")
ledger.quote("conf_11", np.interp(np.log(1.1), np.log(curves["beta"]), curves["confidence"]), "{:.2f}")

# %% [markdown]
# At $\beta = 0.1$ the largest soft assignment is {glue:}`conf_small` on average; at the value $\beta = 1.1$
# that the authors' grid starts from, about {glue:}`conf_11`: on standardised data most of the weight is
# already on one prototype.
#
# ## Training: pattern completion
#
# ClAM learns the prototypes end to end with a self-supervised loss. Each coordinate of a point $x$ is masked
# with probability 0.2 ($m_j = 1$); masked coordinates start at a fill value (the column's mean, maximum or
# minimum), the others are clamped at $x$, the dynamics {eq}`eq-clam-dynamics` complete the masked ones, and
# the loss is the completion error
#
# $$
# L(\rho) = \mathbb E_x \big\| m \odot (v_T - x) \big\|^2 ,
# $$ (eq-clam-loss)
#
# minimised with Adam over minibatches of 8 points. At inference every point goes to its nearest prototype.
# `cl.fit(X, k)` trains one model; `cl.fit_grid` trains a grid of configurations and seeds at once, as one
# batch of independent models. The gradient of {eq}`eq-clam-loss` through the $T$ steps is computed by a
# hand-written backward pass (faster than autograd on these tiny tensors, where the graph bookkeeping
# dominates; the tests check it against autograd).
#
# Without the mask ($m = 1$ everywhere, $v_0 = x$) the dynamics cannot complete anything: they only pull $x$
# towards its prototypes, and the loss measures how far $x$ was from them.
#
# ```{prf:proposition} Without the mask, ClAM is k-means
# :label: prop-clam-kmeans
#
# In the hard-assignment limit $\beta \to \infty$ of {prf:ref}`prop-clam-relaxation`, with $m = 1$,
#
# $$
# L(\rho) = \big(1 - (1 - \alpha)^T\big)^2\; \mathbb E_x \min_\mu \|x - \rho_\mu\|^2 ,
# $$
#
# a constant times the k-means objective; so are its gradients, and minibatch gradient descent on $L$ is
# minibatch gradient descent on the k-means objective.
# ```
#
# ```{prf:proof}
# Let $c$ be the nearest prototype of $x$. Its Voronoi cell $\{v : \|v - \rho_c\| \le \|v - \rho_\mu\|\ \forall \mu\}$
# is an intersection of half-spaces, hence convex, and contains $x$ and $\rho_c$. In the limit every step moves
# $v$ a fraction $\alpha$ of the way to $\rho_c$, so $v_t - \rho_c = (1 - \alpha)^t (x - \rho_c)$: $v_t$ stays
# on the segment from $x$ to $\rho_c$, inside the cell, and $\rho_c$ remains the nearest prototype at every
# step. Hence $x - v_T = \big(1 - (1-\alpha)^T\big)(x - \rho_c)$, and squaring and averaging gives the claim.
# The identity holds for every $\rho$ (away from the measure-zero set of ties), so the gradients agree too.
# ```
#
# At finite $\beta$ the identity is off by terms of order $e^{-\beta\Delta/2}$. Measured on iris with the
# k-means prototypes:

# %%
factor = cl.identity_factor(alpha=0.1, steps=10)                     # (1 - 0.9^10)^2
X, y, k = data.load("iris")
P = chapter.study("iris")["kmeans"].prototypes
for beta in (0.1, 1.1, 10.0, 1000.0):
    ratio = cl.completion_loss(X, P, beta).item() / (factor * cl.kmeans_objective(X, P).item())
    print(f"beta = {beta:7.1f}: no-mask loss / ((1-(1-alpha)^T)^2 k-means objective) = {ratio:.9f}")
fig = chapter.draw_hardening(curves)
style.glue_figure("clustering-hardening", fig)

# %% tags=["remove-cell"]
section = "Training: pattern completion"
ratio_large = cl.completion_loss(X, P, 1000.0).item() / (factor * cl.kmeans_objective(X, P).item())
ratio_small = cl.completion_loss(X, P, 0.1).item() / (factor * cl.kmeans_objective(X, P).item())
assert ledger.check("identity-large-beta", abs(ratio_large - 1), upper=1e-6, section=section,
                    claim="iris, k-means prototypes, beta = 1000: |no-mask loss / (factor x k-means objective) - 1|",
                    reference="Saha et al. 2023")
assert ledger.check("identity-fails-small-beta", abs(ratio_small - 1), lower=0.5, section=section,
                    claim="beta = 0.1: the identity is far from holding (the check is not vacuous)")
ledger.quote("factor", factor, "{:.4f}")
ledger.quote("identity_gap", abs(ratio_large - 1), "{:.0e}")

# %% [markdown]
# ```{glue:figure} clustering-hardening
# :name: fig-clustering-hardening
# :alt: Left, the mean largest soft assignment of the iris points against beta on a log axis, rising from about 0.4 to 1. Right, on log-log axes, the relative gap between the no-mask completion loss and the scaled k-means objective, falling to below one in a million by beta = 1000.
#
# The relaxation on iris with the k-means prototypes. Left: the soft assignment hardens as $\beta$ grows
# ({prf:ref}`prop-clam-relaxation`). Right: the relative gap between the no-mask loss and
# $(1-(1-\alpha)^T)^2$ times the k-means objective ({prf:ref}`prop-clam-kmeans`).
# ```
#
# The constant is $(1 - 0.9^{10})^2 =$ {glue:}`factor`, and at $\beta = 1000$ the relative gap between the two
# sides is {glue:}`identity_gap`, rounding error. So any gain of ClAM over k-means must come from the mask, the self-supervised part.
#
# ## Prototypes and basins in two dimensions
#
# Two features of iris (petal length and width, standardised) make a picture. We train masked ClAM on them
# with the CI grid of 8 configurations (one seed, selected as in the table below) and compare with k-means:

# %%
planar = chapter.planar_runs()
print("ClAM configuration:", {key: planar["masked"].config[key] for key in ("beta", "lr", "fill")})
for name in ("masked", "kmeans"):
    print(f"{name:>7}: silhouette {cl.silhouette(planar['X'], planar[name].labels):.3f}, "
          f"adjusted Rand index {cl.ari(planar['y'], planar[name].labels):.3f}")
fig = chapter.draw_basins(planar)
style.glue_figure("clustering-basins", fig)

# %% tags=["remove-cell"]
section = "Prototypes and basins in two dimensions"
planar_masked = cl.silhouette(planar["X"], planar["masked"].labels)
planar_kmeans = cl.silhouette(planar["X"], planar["kmeans"].labels)
assert ledger.check("planar-kmeans-wins", planar_kmeans - planar_masked, lower=0.05, section=section,
                    claim="2-D iris (petal features): k-means silhouette minus masked ClAM silhouette (CI grid, seed 0)")
assert ledger.check("planar-all-clusters", planar["masked"].used(), lower=3, section=section,
                    claim="2-D iris: the selected masked ClAM uses all k = 3 clusters")
ledger.quote("planar_masked", planar_masked, "{:.3f}")
ledger.quote("planar_kmeans", planar_kmeans, "{:.3f}")

# %% [markdown]
# ```{glue:figure} clustering-basins
# :name: fig-clustering-basins
# :alt: Two scatter plots of the iris flowers by standardised petal length and width, coloured by cluster, over a grey map of the soft-assignment confidence. Left, masked ClAM puts two of its three prototypes close together near the small setosa cloud at the lower left and the third between the clouds, so the large upper cloud is one cluster; right, the k-means centroids sit in the middle of setosa, versicolor and virginica.
#
# Prototypes (stars), basins (grey lines: where the nearest prototype changes) and the confidence
# $\max_\mu s_\mu$ (grey scale) at $\beta = 1.1$, with 30 steps of the dynamics from a few points (black lines).
# Left: masked ClAM (silhouette {glue:}`planar_masked`). Right: k-means (silhouette {glue:}`planar_kmeans`).
# ```
#
# The pictures show the mechanism and a failure. The dynamics carry every point into the basin of one
# prototype along a curved path (the soft assignment mixes prototypes until one dominates). But with two
# features, a masked point keeps one coordinate to decide from, and the completion loss places the prototypes
# where they predict a missing petal feature from the other one well, not where the clusters are: masked ClAM
# scores {glue:}`planar_masked` against {glue:}`planar_kmeans` for k-means here. Completion needs redundant
# features; the data sets below have 4 to 64.
#
# ## Against k-means
#
# The table compares, on standardised data with $k$ the number of classes, the silhouette
# {cite}`rousseeuw1987silhouettes` of
#
# - **k-means, n_init 1000**: scikit-learn's Lloyd iterations from 1000 k-means++ starts, keeping the lowest
#   objective (the baseline in the authors' code);
# - **best of 36 restarts**: 36 single k-means runs, keeping the best *silhouette*: the same number of tries and
#   the same selection rule as ClAM's grid;
# - **ClAM masked**: for each seed, every configuration of the grid ($\beta \in \{1.1, 1.5, 1.9, 2.4\}$ $\times$
#   Adam learning rate $\{10^{-3}, 10^{-2}, 10^{-1}\}$ $\times$ fill $\{$mean, max, min$\}$ at the paper tier;
#   the CI tier uses $\beta \in \{1.1, 1.9\}$, lr $\in \{10^{-2}, 10^{-1}\}$, fill $\in \{$max, min$\}$ and 30 instead of
#   200 epochs), keeping the best silhouette **among the solutions that use all $k$ clusters**. This is the
#   authors' protocol, selection on the evaluation metric itself; the restriction is ours, and matters (below);
# - **ClAM without the mask**: $\beta = 1.1$, lr $= 10^{-2}$, no mask, each seed; like k-means, the seed with the
#   lowest k-means objective is the one reported first.
#
# Prototypes start at $k$ distinct data points drawn with the seed.

# %%
rows = chapter.table()
print(chapter.format_table(rows))
fig = chapter.draw_grid()
style.glue_figure("clustering-grid", fig)

# %% tags=["remove-cell"]
section = "Against k-means"
iris, wine = chapter.study("iris"), chapter.study("wine")
row = {r["dataset"]: r for r in rows}
km_iris, km_ari = iris["kmeans_silhouette"], cl.ari(iris["y"], iris["kmeans"].labels)
nomask_sil = [cl.silhouette(iris["X"], c.labels) for c in iris["nomask"]]
nomask_ari = [cl.ari(iris["y"], c.labels) for c in iris["nomask"]]
n_seeds = len(iris["nomask"])
assert ledger.check("nomask-silhouette-iris", max(abs(s - km_iris) for s in nomask_sil), upper=0.01, section=section,
                    claim=f"iris: largest |silhouette(no-mask ClAM) - silhouette(k-means n_init 1000)| over {n_seeds} seeds",
                    reference="Saha et al. 2023")
assert ledger.check("nomask-ari-iris", max(abs(a - km_ari) for a in nomask_ari), upper=0.02, section=section,
                    claim=f"iris: largest |ARI(no-mask ClAM) - ARI(k-means n_init 1000)| over {n_seeds} seeds")
wine_best = wine["nomask_best"]
assert ledger.check("nomask-silhouette-wine", abs(cl.silhouette(wine["X"], wine_best.labels) - wine["kmeans_silhouette"]), upper=0.01,
                    section=section, claim="wine: |silhouette| gap between the lowest-objective no-mask seed and k-means n_init 1000")
assert ledger.check("nomask-ari-wine", abs(cl.ari(wine["y"], wine_best.labels) - cl.ari(wine["y"], wine["kmeans"].labels)), upper=0.02,
                    section=section, claim="wine: |ARI| gap between the lowest-objective no-mask seed and k-means n_init 1000")
masked_iris = row["iris"]["masked"]
assert ledger.check("masked-beats-kmeans-iris", masked_iris.max() / km_iris, lower=1.05, section=section,
                    claim=f"iris: best of {n_seeds} seeds of grid-selected masked ClAM / k-means n_init 1000 silhouette",
                    reference="Saha et al. 2023")
assert ledger.check("masked-beats-best36-iris", masked_iris.max() - iris["best36_silhouette"], lower=0.01, section=section,
                    claim=f"iris: best of {n_seeds} seeds of masked ClAM minus the best silhouette of 36 k-means restarts",
                    reference="Saha et al. 2023")
assert ledger.check("masked-all-clusters", min(c.used() for c, _ in iris["selected"] + wine["selected"]), lower=3, section=section,
                    claim="every selected masked ClAM solution (iris, wine, every seed) has k = 3 non-empty clusters")
assert ledger.check("masked-seed-fragile", masked_iris.min() - iris["best36_silhouette"], upper=0.0, section=section,
                    claim=f"iris: the worst of {n_seeds} seeds of grid-selected masked ClAM is not above the best of 36 k-means restarts")
assert ledger.check("masked-no-gain-wine", row["wine"]["masked"].max() - wine["best36_silhouette"], upper=0.005, section=section,
                    claim=f"wine: best of {n_seeds} seeds of masked ClAM minus the best of 36 k-means restarts (no gain beyond 0.005)")
unrestricted = [s for _, s in iris["unrestricted"]]
dead = [c.used() for c, _ in iris["unrestricted"]]
assert ledger.check("unrestricted-picks-dead", max(dead), upper=2, section=section,
                    claim="iris: without the all-k-clusters restriction the best-silhouette configuration has a dead prototype, every seed")
assert ledger.check("unrestricted-higher", min(unrestricted) - masked_iris.max(), lower=0.03, section=section,
                    claim="iris: the unrestricted best (2 clusters) beats every 3-cluster solution by at least 0.03 silhouette")
ledger.quote("n_seeds", n_seeds, "{:d}")
ledger.quote("grid_size", chapter.grid_size(chapter.sizes()), "{:d}")
ledger.quote("km_iris", km_iris, "{:.3f}")
ledger.quote("best36_iris", iris["best36_silhouette"], "{:.3f}")
ledger.quote("masked_iris_max", masked_iris.max(), "{:.3f}")
ledger.quote("masked_iris_min", masked_iris.min(), "{:.3f}")
ledger.quote("gain_iris", 100 * row["iris"]["gain"], "{:.1f}")
ledger.quote("gain_best36", 100 * (masked_iris.max() / iris["best36_silhouette"] - 1), "{:.1f}")
ledger.quote("nomask_iris", nomask_sil[0], "{:.3f}")
ledger.quote("nomask_ari_iris", nomask_ari[0], "{:.3f}")
ledger.quote("km_ari_iris", km_ari, "{:.3f}")
ledger.quote("km_wine", wine["kmeans_silhouette"], "{:.3f}")
ledger.quote("best36_wine", wine["best36_silhouette"], "{:.3f}")
ledger.quote("masked_wine_max", row["wine"]["masked"].max(), "{:.3f}")
ledger.quote("gain_wine", 100 * row["wine"]["gain"], "{:.1f}")
ledger.quote("unrestricted_iris", min(unrestricted), "{:.3f}")
ledger.quote("paper_claim", 100 * chapter.PAPER_GAIN, "{:.0f}")

# %% [markdown]
# ```{glue:figure} clustering-grid
# :name: fig-clustering-grid
# :alt: For iris and wine, the silhouette of every configuration and seed of masked ClAM as dots, crosses where a prototype is dead, with the two k-means baselines as horizontal dashed and dotted lines. On iris a few dots at about 0.5 lie above both lines, most lie below, and the highest marks, at about 0.58, are crosses; on wine every mark lies below the k-means lines.
#
# Every configuration and seed of the grid. The selection keeps, per seed, the highest dot; the crosses
# (solutions that leave a prototype without points) are excluded.
# ```
#
# **Iris** is where ClAM wins. The best of {glue:}`n_seeds` seeds reaches a silhouette of
# {glue:}`masked_iris_max`, {glue:}`gain_iris` % above k-means with 1000 starts ({glue:}`km_iris`) and
# {glue:}`gain_best36` % above the best of 36 k-means restarts ({glue:}`best36_iris`). The gain is fragile: it
# comes from a few configurations out of {glue:}`grid_size` per seed, and the worst seed's selected solution
# ({glue:}`masked_iris_min`) is no better than the 36 restarts. Without the mask, ClAM scores as k-means does on
# every seed (silhouette {glue:}`nomask_iris` against {glue:}`km_iris`, adjusted Rand index with the species
# {glue:}`nomask_ari_iris` against {glue:}`km_ari_iris`), as {prf:ref}`prop-clam-kmeans` predicts.
#
# **Wine** is where it does not: the best masked seed scores {glue:}`masked_wine_max` against
# {glue:}`km_wine` for k-means ({glue:}`gain_wine` %) and {glue:}`best36_wine` for the best of 36 restarts,
# while the lowest-objective no-mask seed matches k-means. (No-mask seeds that score lower stop in worse local
# minima of the k-means objective, as a single k-means restart can.)
#
# The selection protocol needs its restriction. Selecting on silhouette alone, iris picks a solution with a
# dead prototype on every seed: two clusters (setosa and the rest) score {glue:}`unrestricted_iris`, higher
# than any three-cluster solution, because the silhouette favours the one clean split of iris. A reported
# "best of grid" is only a clustering into $k$ clusters if the protocol says so.
#
# Non-empty is not enough either. The silhouette can be raised by isolating a few outliers, which no
# clustering method should get credit for. On breast cancer ($k = 2$, 30 features), the "clustering" that puts
# the two points farthest from the mean in a cluster of their own:

# %%
Xb, yb, kb = data.load("breast_cancer")
split = chapter.outlier_split(Xb, 2)
kmb = cl.kmeans(Xb, kb, n_init=10)
print(f"2 outliers vs the rest: silhouette {cl.silhouette(Xb, split):.3f}, adjusted Rand index {cl.ari(yb, split):.3f}")
print(f"k-means (n_init 10):    silhouette {cl.silhouette(Xb, kmb.labels):.3f}, adjusted Rand index {cl.ari(yb, kmb.labels):.3f}")

# %% tags=["remove-cell"]
bc_split, bc_km = cl.silhouette(Xb, split), cl.silhouette(Xb, kmb.labels)
assert ledger.check("outlier-split-silhouette", bc_split / bc_km, lower=1.5, section=section,
                    claim="breast cancer: silhouette of 'the 2 points farthest from the mean vs the rest' / k-means silhouette")
assert ledger.check("outlier-split-ari", cl.ari(yb, split), upper=0.05, section=section,
                    claim="breast cancer: that split says nothing about the classes (adjusted Rand index)")
ledger.quote("bc_split", bc_split, "{:.3f}")
ledger.quote("bc_km", bc_km, "{:.3f}")
ledger.quote("bc_gain", 100 * (bc_split / bc_km - 1), "{:.0f}")
if "breast_cancer" in chapter.sizes()["datasets"]:  # paper tier: the grid's selected solutions, checked
    bc = chapter.study("breast_cancer")
    big = [c for c, s in bc["selected"] if s > 1.5 * bc["kmeans_silhouette"]]
    # the largest, over those solutions, of the fraction of points in their smaller cluster
    smallest = max((torch.bincount(c.labels).min().item() / len(c.labels) for c in big), default=0.0)
    assert ledger.check("bc-large-gains-are-outliers", smallest, upper=0.01, section=section,
                        claim="breast cancer, paper tier: every selected masked ClAM solution scoring 1.5 x k-means has a cluster of < 1 % of the points")

# %% [markdown]
# scores {glue:}`bc_split` against {glue:}`bc_km` for k-means, {glue:}`bc_gain` % "better", with an adjusted Rand
# index near zero. Masked ClAM's grid finds such splits: in our paper-tier run (full grid, 200 epochs) the
# selected breast-cancer solutions were of exactly this kind, a cluster of a few points, and a check at that tier
# asserts it (every selected solution scoring 1.5 times k-means has a cluster of under 1 % of the points).
# Selection therefore needs a minimum cluster size as well (`cl.select(X, candidates, min_size=...)`), and a large
# silhouette gain should be read together with the cluster sizes and an external index such as the adjusted Rand
# index.
#
# ## What reproduced
#
# | claim {cite}`saha2023endtoend` | here ({glue:}`grid_size` configurations, {glue:}`n_seeds` seeds; the CI tier runs iris and wine) |
# |---|---|
# | the memory's dynamics are a differentiable relaxation of the cluster assignment | yes: proved and measured ({prf:ref}`prop-clam-relaxation`, {numref}`fig-clustering-hardening`) |
# | ClAM beats k-means in silhouette, by up to {glue:}`paper_claim` % | iris: +{glue:}`gain_iris` % over k-means (n_init 1000), +{glue:}`gain_best36` % over the best of 36 restarts, best seed, selected on the silhouette; wine: {glue:}`gain_wine` % |
# | the self-supervised loss is what makes it work | yes: without the mask it is k-means, exactly ({prf:ref}`prop-clam-kmeans`) |
#
# The verdict on "up to {glue:}`paper_claim` %": not reproduced as a clustering gain. We see a gain of
# {glue:}`gain_best36` to {glue:}`gain_iris` % on iris and none on wine, and part of the iris gain is bought by
# the protocol: the best of a grid of configurations and of seeds, chosen on the metric being reported. Against
# k-means given the same number of tries and the same selection (the best of 36 restarts) the margin shrinks.
# Gains of {glue:}`paper_claim` % and more do appear, on breast cancer at the paper tier, but they come from splitting off
# outliers, not from better clusters. The CI build runs iris and wine; the paper tier adds breast cancer and
# digits and the full 36-configuration grid at 200 epochs (we ran it for iris, wine and breast cancer while
# writing this chapter, not for digits, whose grid takes far longer on a CPU). We did not compare with the
# paper's per-data-set table or with its methods other than k-means, which are not built here.
#
# ## Explore
#
# The widget shows the 2-D picture for any $\beta$, with the prototypes of masked ClAM or of k-means held fixed
# (the points are coloured by species). The basins do not move (the largest soft assignment is always the nearest
# prototype), but the confidence map sharpens and the paths bend less as $\beta$ grows; at small $\beta$ every
# point drifts towards the mean of the prototypes.

# %%
chapter.widget()

# %% tags=["remove-cell"]
# Numbers for the solutions.
section = "Exercises"
close = np.abs(curves["ratio"] - 1) < 0.01
first = int(np.argmax([close[i:].all() for i in range(len(close))]))
ledger.quote("beta_1pc", curves["beta"][first], "{:.0f}")
loss_sel = chapter.loss_selected("iris")
assert ledger.check("loss-selection-no-gain", max(loss_sel) - km_iris, upper=0.0, section=section,
                    claim="iris: masked ClAM selected by the lowest training loss (all k clusters) is below k-means on every seed")
ledger.quote("loss_sel_min", min(loss_sel), "{:.3f}")
ledger.quote("loss_sel_max", max(loss_sel), "{:.3f}")

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-clam-beta
#
# With the k-means prototypes of iris, predict before running: at which $\beta$ does the no-mask loss come within
# 1 % of $(1 - 0.9^{10})^2$ times the k-means objective? Use {prf:ref}`prop-clam-relaxation`: what matters is the
# gap $\Delta$ of the points closest to a boundary. Then check with `cl.completion_loss(X, P, beta)` for
# $\beta = 1, 3, 10, 30$.
# ```
#
# ```{solution} ex-clam-beta
# :class: dropdown
#
# Points far from every boundary have large gaps $\Delta$ and reach the limit early; the few points near a
# boundary keep an error of order $e^{-\beta\Delta/2}$ each, and they set the $\beta$ needed. The measured ratio (right panel of {numref}`fig-clustering-hardening`) stays within 1 % of 1
# from $\beta \approx$ {glue:}`beta_1pc` on (the first point of the figure's grid that is). Near $\beta \approx 1$ the ratio even dips below 1: soft assignments let a point near
# a boundary be pulled towards two prototypes at once, and the loss counts a mixture that sits closer to the point.
# ```
#
# ```{exercise}
# :label: ex-clam-mask
#
# Train `cl.fit(X, 3, mask=False, beta=20.0, lr=0.05, epochs=30)` on iris and compare its prototypes with
# `cl.kmeans(X, 3).prototypes`. Why are they close but not equal, and what would make them equal?
# ```
#
# ```{solution} ex-clam-mask
# :class: dropdown
#
# By {prf:ref}`prop-clam-kmeans` the no-mask loss is the k-means objective up to $(1 - 0.9^{10})^2$ and
# terms of order $e^{-\beta\Delta/2}$, so its minimisers are the k-means centroids up to those terms. The
# remaining differences come from the optimiser: minibatches of 8 points and a fixed Adam step leave the
# prototypes jittering around the minimiser. A decreasing learning rate (or full-batch gradient steps) and a
# larger $\beta$ make them converge to a stationary point of the k-means objective: the centroids of their own
# clusters, a fixed point of Lloyd's iteration.
# ```
#
# ```{exercise}
# :label: ex-clam-protocol
#
# Re-select the masked iris solutions by the lowest *training loss* instead of the highest silhouette
# (`grid.losses[s, c, -1]` for seed `s` and configuration `c` of `chapter.study("iris")["grid"]`). Does ClAM
# still beat k-means?
# ```
#
# ```{solution} ex-clam-protocol
# :class: dropdown
#
# Selecting on the loss is the protocol an unsupervised user can apply (the silhouette is also computable
# without labels, but choosing on it is choosing on the reported number). The loss prefers the fill that makes
# completion easy (here mostly the column minimum), not the best-separated clusters: the loss-selected iris
# solutions score {glue:}`loss_sel_min` to {glue:}`loss_sel_max`, every seed below k-means ({glue:}`km_iris`).
# The gain over k-means disappears. (Losses of different fills are not strictly comparable, since each fill sets a
# different completion task; that is one more reason why the protocol must be stated.)
# ```
