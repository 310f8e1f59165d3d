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
# (chap-associative-memory)=
# # An associative memory
#
# ```{admonition} In this chapter
# **You will learn** how a single matrix stores associations between tokens; why the
# gradient of the cross-entropy is a Hebbian term minus a correction; and why one step
# of gradient descent writes a memory weighted by frequency, in which frequent tokens
# overwrite rare ones unless the embeddings are orthogonal.
#
# **Prerequisites**: linear algebra (outer products, orthonormal bases), the softmax
# function, gradient descent.
#
# **Run time**: under a minute on a laptop CPU; the page for instructors lists the time
# measured when this site was built.
# ```
#
# ## The model
#
# We have $N$ input tokens $x \in [N] = \{1, \dots, N\}$ and $M$ output tokens
# $y \in [M] = \{1, \dots, M\}$. Each input has one correct output, given by a target map
# $f^*: [N] \to [M]$, and appears with frequency $p(x)$. Tokens are represented by fixed vectors
# in $\mathbb{R}^d$: an embedding $e_x$ for each input (the rows of a matrix $E$ of shape
# $N \times d$) and an unembedding $u_y$ for each output (the rows of $U$, of shape $M \times d$).
#
# (sec-conventions)=
# ```{admonition} Numbering, once for the whole book
# :class: note
#
# In the text, tokens and output classes are numbered from 1: $x = 1, \dots, N$ and
# $y = 1, \dots, M$, and with Zipf frequencies token 1 is the most frequent. The code numbers
# array rows from 0, as Python does: token $x$ is row `x - 1` of `E`, class $y$ is row `y - 1` of
# `U`, and "class 0" in the code is the first class $y = 1$. Argmax ties go to the first class.
# ```
#
# A memory is a matrix $W \in \mathbb{R}^{d \times d}$. It scores output $y$ for input $x$ by
#
# $$
# s_W(x, y) = u_y^\top W e_x ,
# $$ (eq-scores)
#
# predicts $\hat y(x) = \arg\max_y s_W(x, y)$ (ties go to the first class), and turns the
# scores into probabilities with a softmax, $p_W(y \mid x) \propto \exp s_W(x, y)$. The memory
# $W = \sum_x u_{f^*(x)} e_x^\top$ scores $s_W(x, y) = \sum_{x'} \langle u_y, u_{f^*(x')} \rangle \langle e_{x'}, e_x \rangle$.
# If the embeddings are orthonormal this is $\langle u_y, u_{f^*(x)} \rangle$, and if the
# unembeddings are orthonormal too it is exactly $1$ for $y = f^*(x)$ and $0$ otherwise: every
# association is recalled, with nothing left over. (With orthonormal embeddings alone the
# recall is still right when the $u_y$ are distinct unit vectors, by the Cauchy-Schwarz
# inequality, but the wrong scores are the overlaps $\langle u_y, u_{f^*(x)} \rangle$, not 0.)
# This is the classical linear associative memory, or correlation matrix memory
# {cite}`kohonen1972correlation,anderson1972simple`: a sum of outer products, one per stored
# pair. (Its binary, clipped cousin is the memory of {cite:t}`willshaw1969nonholographic`.)
#
# The memory is learned by minimising the population cross-entropy
#
# $$
# L(W) = \sum_x p(x) \Big( \log \sum_y e^{s_W(x, y)} - s_W(x, f^*(x)) \Big),
# $$ (eq-loss)
#
# and judged by its 0-1 loss $L_{01}(W) = \sum_x p(x)\, \mathbf{1}\{\hat y(x) \neq f^*(x)\}$
# and by its margins $m_W(x) = s_W(x, f^*(x)) - \max_{y \neq f^*(x)} s_W(x, y)$: token
# $x$ is recalled correctly when $m_W(x) > 0$ (and, by the tie rule, also at $m_W(x) = 0$ if
# $f^*(x)$ is the first class).
#
# The package computes all of these; here is a problem with $N = M = 5$ tokens of Zipf
# frequencies $p(x) \propto 1/x$ in dimension $d = 3$.

# %%
import numpy as np
import torch

from assocmem import claims, data, memory, tiers, train
from assocmem.chapters.foundations import associative_memory as chapter
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("associative_memory", title="An associative memory")

N, d = 5, 3
freqs, targets = data.zipf(N, exponent=1.0), data.targets(N)     # f*(x) = x
E, U = data.embedding_pair(N, N, d, seed=43)                      # random unit vectors in R^3
W0 = torch.zeros(d, d, dtype=torch.float64)
print("p =", freqs.numpy().round(3))
print("L(0) =", memory.loss(W0, E, U, freqs, targets).item(), " log M =", np.log(N))  # here M = N

# %% tags=["remove-cell"]
PAPER = "Cabannes et al. 2024"
assert ledger.check("loss-at-zero", abs(memory.loss(W0, E, U, freqs, targets).item() - np.log(U.shape[0])), upper=1e-12,
                    claim="|L(0) - log M|: the loss at W = 0 is log M", section="The model")
assert ledger.check("zero-one-at-zero", abs(memory.zero_one_loss(W0, E, U, freqs, targets).item() - (1 - freqs[0].item())), upper=1e-15,
                    claim="|L01(0) - (1 - p(1))|: W = 0 predicts the first class for every token", section="The model")

# %% [markdown]
# At $W = 0$ every score is zero, so the softmax is uniform over the $M$ outputs and the loss
# is $\log M$ (here $M = N = 5$); every token is predicted as the first class, so only token 1
# (whose target is $f^*(1) = 1$) is right and $L_{01}(0) = 1 - p(1)$.
#
# ## The gradient: Hebbian learning with a correction
#
# Differentiating {eq}`eq-loss` with $\partial s_W(x, y) / \partial W = u_y e_x^\top$ gives
#
# $$
# \begin{aligned}
# \nabla L(W) &= \sum_x p(x) \sum_y \big( p_W(y \mid x) - \mathbf{1}\{y = f^*(x)\} \big)\, u_y e_x^\top \\
# &= -\underbrace{\sum_x p(x)\, u_{f^*(x)} e_x^\top}_{\text{Hebbian}}
#   + \underbrace{\sum_x p(x)\, \mathbb{E}_{y \sim p_W(\cdot \mid x)}[u_y]\, e_x^\top}_{\text{anti-Hebbian correction}} .
# \end{aligned}
# $$ (eq-gradient)
#
# A descent step therefore adds the outer product of each input with its correct output,
# weighted by frequency, the rule Hebb proposed for synapses {cite}`hebb1949organization`,
# and removes the outer product of the input with the output the memory currently
# expects. Once the memory is confident and right, $p_W(\cdot \mid x)$ concentrates on
# $f^*(x)$, the two terms cancel, and token $x$ stops contributing.
#
# ## The first step is a frequency-weighted Hebbian memory
#
# ```{prf:proposition} One step from zero
# :label: prop-hebbian-step
#
# Gradient descent with step size $\eta$ from $W_0 = 0$ gives
#
# $$
# W_1 = \eta \sum_x p(x) \big( u_{f^*(x)} - \bar u \big) e_x^\top ,
# \qquad \bar u = \frac{1}{M} \sum_y u_y .
# $$
#
# If moreover the embeddings and the unembeddings are orthonormal, every margin after one step
# equals $m_{W_1}(x) = \eta\, p(x)$, whatever the target map $f^*$.
# ```
#
# ```{prf:proof}
# At $W = 0$ all scores vanish, so $p_{W_0}(y \mid x) = 1/M$ for every $y$ and the
# correction in {eq}`eq-gradient` is $\sum_x p(x)\, \bar u\, e_x^\top$. Then
# $W_1 = -\eta \nabla L(0)$ is the displayed formula. With orthonormal embeddings only the
# term $x' = x$ survives in $s_{W_1}(x, y) = u_y^\top W_1 e_x$, and with orthonormal unembeddings
# $\langle u_y, u_{f^*(x)} \rangle = \mathbf{1}\{y = f^*(x)\}$ and $\langle u_y, \bar u \rangle = 1/M$, so
# $s_{W_1}(x, y) = \eta\, p(x) (\mathbf{1}\{y = f^*(x)\} - 1/M)$: the correct score is
# $\eta p(x)(1 - 1/M)$, every other score is $-\eta p(x)/M$, and their difference is
# $\eta p(x)$. Nothing here used $f^*(x) = x$.
# ```
#
# The package implements the formula as `memory.hebbian_step`. We check it against one step
# of `train.gd` on random problems of several shapes, and the orthonormal margins against
# $\eta p(x)$ for a target map that is not the identity ($N = 10$ tokens onto $M = 4$ classes).

# %%
shapes = [(5, 5, 3), (20, 7, 4), (50, 50, 10), (8, 3, 16)]          # (N, M, d)
with tiers.threads(1):
    errors = [chapter.hebbian_vs_gd(n, m, dim, seed, step_sizes=[0.5, 7.0])
              for seed, (n, m, dim) in enumerate(shapes)]
print("largest deviation from the formula:", max(errors))

n, m, eta = 10, 4, 3.0
E_o, U_o = data.orthonormal_embeddings(n, n), data.orthonormal_embeddings(m, n)
p_o, t_o = data.zipf(n, 1.0), data.targets(n, "mod", m)   # not the identity map
m1 = train.gd(E_o, U_o, p_o, t_o, step_size=eta, steps=2).margins[0, 1]
print("orthonormal: max |m_1(x) - eta p(x)| =", (m1 - eta * p_o).abs().max().item())

# %% tags=["remove-cell"]
section = "The first step is a frequency-weighted Hebbian memory"
assert ledger.check("one-step-formula", max(errors), upper=1e-12, section=section, reference=PAPER,
                    claim="max |W_1 - formula| over 4 random (N, M, d) and 2 step sizes")
assert ledger.check("orthonormal-first-margin", ((m1 - eta * p_o).abs() / (eta * p_o)).max(), upper=1e-14,
                    section=section, reference=PAPER,
                    claim="max relative |m_1(x) - eta p(x)| with orthonormal embeddings and unembeddings, f*(x) = x mod 4")

# %% [markdown]
# Both agree to rounding error. With orthonormal embeddings and unembeddings the first step
# already recalls every token correctly, each with a margin proportional to its frequency. The
# next chapters show that gradient descent then keeps every margin growing.
#
# ## Without orthogonality, frequent tokens overwrite rare ones
#
# Orthonormal embeddings need $d \geq N$. Otherwise, and also for random embeddings in any
# dimension, the $e_x$ are not orthogonal and the outer products written by the first step
# interfere: the score of token $x$ reads
#
# $$
# s_{W_1}(x, y) = \eta \sum_{x'} p(x') \langle e_x, e_{x'} \rangle \,
# \big( \langle u_y, u_{f^*(x')} \rangle - \langle u_y, \bar u \rangle \big),
# $$ (eq-crosstalk)
#
# a sum over all stored tokens in which token $x'$ speaks with weight $p(x')$. A rare
# token's own term is small, so the crosstalk of frequent tokens decides its prediction.
# We store $N = M = 100$ tokens with Zipf frequencies, with random unit embeddings and
# unembeddings in $d = 10$, 30, 100 and 300 dimensions (20 independent draws each), and ask
# which tokens are misclassified after one step. The computation uses {eq}`eq-crosstalk`
# directly, through the $N \times N$ Gram matrices.

# %%
dims = (10, 30, 100, 300)
errors_by_rank = chapter.one_step_errors(n=100, dims=dims, seeds=range(20))   # (4, 20, 100) bool
style.glue_figure("one-step-errors-by-rank", chapter.draw_errors_by_rank(errors_by_rank, dims=dims))
fifth = 100 // 5
frequent = errors_by_rank[:, :, :fifth].mean(axis=(1, 2))       # most frequent fifth, per d
rare = errors_by_rank[:, :, -fifth:].mean(axis=(1, 2))           # rarest fifth, per d
print("misclassified, most frequent fifth:", frequent.round(3), " rarest fifth:", rare.round(3))
print("all tokens:", errors_by_rank.mean(axis=(1, 2)).round(3), "for d = 10, 30, 100, 300")

# %% tags=["remove-cell"]
# The Gram-matrix computation against memory.hebbian_step + memory.margins on one draw.
E_c, U_c = data.embedding_pair(100, 100, 30, 0)
p_c, t_c = data.zipf(100, 1.0), data.targets(100)
with tiers.threads(1):
    direct = memory.margins(memory.hebbian_step(E_c, U_c, p_c, t_c, 1.0)[0], E_c, U_c, p_c, t_c)
gram_error = (chapter.one_step_margins(chapter.one_step_scores(E_c, U_c, p_c, t_c), t_c) - direct).abs().max().item()
overall = errors_by_rank.mean(axis=(1, 2))
per_draw_gap = errors_by_rank[1, :, -fifth:].mean(axis=1) - errors_by_rank[1, :, :fifth].mean(axis=1)   # d = 30
for k, dim in enumerate((10, 30, 100, 300)):
    ledger.quote(f"frequent_error_{dim}", 100 * frequent[k], "{:.0f} %")
    ledger.quote(f"rare_error_{dim}", 100 * rare[k], "{:.0f} %")
    ledger.quote(f"overall_error_{dim}", 100 * overall[k], "{:.0f} %")
ledger.quote("n_draws_rarer_worse", int((per_draw_gap > 0).sum()), "{:.0f}")
section = "Without orthogonality, frequent tokens overwrite rare ones"
assert ledger.check("gram-formula-equals-hebbian-step", gram_error, upper=1e-12, section=section,
                    claim="max |margins from the crosstalk formula - margins of memory.hebbian_step| (N = M = 100, d = 30, seed 0)")
assert ledger.check("rare-worse-every-draw", int((per_draw_gap > 0).sum()), lower=20, section=section, reference=PAPER,
                    claim="draws (of 20) in which the rarest fifth is misclassified more often than the most frequent fifth (d = 30)")
assert ledger.check("mean-rare-error", rare[1], lower=0.9, section=section,
                    claim="d = 30: fraction of the rarest fifth misclassified after one step (20 draws)")
assert ledger.check("rare-minus-frequent-error", rare[1] - frequent[1], lower=0.42, section=section,
                    claim="d = 30: error of the rarest fifth minus that of the most frequent fifth (20 draws)")
assert ledger.check("more-dimensions-help", overall[0] - overall[-1], lower=0.35, section=section,
                    claim="misclassified fraction after one step at d = 10 minus at d = 300 (20 draws each)")
assert ledger.check("more-dimensions-monotone", bool((np.diff(overall) < 0).all()), section=section,
                    claim="the misclassified fraction decreases from d = 10 to 30 to 100 to 300")
assert ledger.check("random-embeddings-still-interfere", overall[-1], lower=0.52, section=section,
                    claim="misclassified fraction after one step at d = 300 = 3N (random unit embeddings, 20 draws): more than half")

# %% [markdown]
# ```{glue:figure} one-step-errors-by-rank
# :name: fig-one-step
# :alt: Fraction of tokens misclassified after one gradient step from zero against their frequency rank on a log axis, for dimensions 10, 30, 100 and 300. Every curve rises from left (frequent tokens) to right (rare tokens), towards 1; larger dimensions shift the curve to the right, but even at d = 300 most of the rare tokens are misclassified.
#
# One gradient step from zero with $N = M = 100$ Zipf tokens and random unit embeddings:
# fraction misclassified against frequency rank (bins of 5 ranks, 20 draws), one curve per
# dimension. Look at where each curve crosses one half: the number of tokens that survive the
# crosstalk grows with $d$, but slowly, and the rare ones are lost first in every dimension.
# ```
#
# In $d = 30$ dimensions, {glue:}`frequent_error_30` of the most frequent fifth of the tokens
# are misclassified after one step, against {glue:}`rare_error_30` of the rarest fifth, and the
# rarest fifth fares worse in {glue:}`n_draws_rarer_worse` of the 20 draws. The step size only
# scales $W_1$, so it changes the size of the margins and not their signs: which tokens are lost
# after one step is decided by the frequencies and the geometry of the embeddings alone.
#
# More dimensions help, but slowly: the fraction of misclassified tokens falls from
# {glue:}`overall_error_10` at $d = 10$ to {glue:}`overall_error_30`, {glue:}`overall_error_100`
# and {glue:}`overall_error_300` at $d = 30$, 100 and 300. Random unit vectors stay correlated,
# with overlaps of order $1/\sqrt{d}$. In {eq}`eq-crosstalk` the own term of token $x$ is of
# order $p(x)$, while token 1 alone adds crosstalk of order $p(1)/\sqrt{d}$; with Zipf frequencies
# $p(1)/p(x) = x$, so roughly every token of rank $x \gtrsim \sqrt{d}$ is at risk, and there are
# many frequent tokens, not one. Even at $d = 3N$, {glue:}`rare_error_300` of the rarest fifth
# are overwritten. Only orthogonal
# embeddings remove the crosstalk entirely.
#
# The widget draws the margins after one step for one draw, and the fraction misclassified in
# each fifth of the tokens. Change the number of tokens, the dimension, the Zipf exponent and
# the step size, and watch how the misclassified tokens move towards the rare end as the
# exponent grows, and how slowly they thin out as $d$ grows.

# %%
chapter.widget(n=100, dim=30, exponent=1.0, step_size=1.0)

# %% [markdown]
# Whether later steps repair this, and at what speed, is the subject of the next
# chapters {cite}`cabannes2024learning`.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-step-size-signs
#
# Before moving the step-size slider of the widget, predict how its right panel (the
# fraction misclassified in each fifth of the tokens) changes when $\eta$ goes from 1 to 100.
# Then check.
# ```
#
# ```{solution} ex-step-size-signs
# :class: dropdown
#
# It does not change. By {prf:ref}`prop-hebbian-step`, $W_1$ is $\eta$ times a matrix that
# does not depend on $\eta$, so every score and every margin is multiplied by $\eta$. Signs,
# and hence which tokens are misclassified, stay the same; only the bars on the left grow.
# Later steps do depend on $\eta$ in a non-linear way, because the softmax does. You can check
# it without the widget: `chapter.one_step_errors(step_size=100.0)` returns the same array as
# `chapter.one_step_errors()`.
# ```
#
# ```{exercise}
# :label: ex-uniform-margins
#
# Take orthonormal embeddings and unembeddings, $f^*(x) = x$, but uniform frequencies
# $p(x) = 1/N$. Compute the loss $L(W_1)$ after one step as a function of $\eta$, $N$ and $M$.
# How large must $\eta$ be for the loss to fall below $\log 2$ when $N = M = 100$?
# ```
#
# ```{solution} ex-uniform-margins
# :class: dropdown
#
# Every token has correct score $a = \eta(1 - 1/M)/N$ and $M - 1$ wrong scores
# $b = -\eta/(MN)$, so each token loss is $\log(1 + (M - 1) e^{-\eta/N})$ (the margin is
# $a - b = \eta/N$). The loss is the same value. It falls below $\log 2$ when
# $(M - 1) e^{-\eta / N} < 1$, that is $\eta > N \log(M - 1)$, about $460$ for $N = M = 100$.
# You can check it with
# `memory.loss(memory.hebbian_step(E, U, p, t, eta)[0], E, U, p, t)`.
# ```
