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
# overwrite rare ones when the dimension is small.
#
# **Prerequisites**: linear algebra (outer products, orthonormal bases), the softmax
# function, gradient descent.
#
# **Run time**: about 5 s on a laptop CPU.
# ```
#
# ## The model
#
# We have $N$ input tokens $x \in [N]$ and $M$ output tokens $y \in [M]$. Each input has
# one correct output, given by a target map $f^*: [N] \to [M]$, and appears with
# frequency $p(x)$. Tokens are represented by fixed vectors in $\mathbb{R}^d$: an
# embedding $e_x$ for each input (the rows of a matrix $E$ of shape $N \times d$) and an
# unembedding $u_y$ for each output (the rows of $U$, of shape $M \times d$).
#
# A memory is a matrix $W \in \mathbb{R}^{d \times d}$. It scores output $y$ for input $x$ by
#
# $$
# s_W(x, y) = u_y^\top W e_x ,
# $$ (eq-scores)
#
# predicts $\hat y(x) = \arg\max_y s_W(x, y)$ (ties go to the smallest index), and turns the
# scores into probabilities with a softmax, $p_W(y \mid x) \propto \exp s_W(x, y)$. If the
# embeddings are orthonormal, the memory $W = \sum_x u_{f^*(x)} e_x^\top$ recalls every
# association exactly: $s_W(x, y) = 1$ when $y = f^*(x)$ and $0$ otherwise. This is the
# classical linear associative memory, or correlation matrix memory
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
# $x$ is recalled correctly exactly when $m_W(x) > 0$.
#
# The package computes all of these; here is a problem with $N = M = 5$ tokens of Zipf
# frequencies $p(x) \propto 1/x$ in dimension $d = 3$.

# %%
import numpy as np
import torch
from myst_nb import glue

from assocmem import claims, data, memory, train
from assocmem.chapters.foundations import associative_memory as chapter
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("associative_memory", title="An associative memory")

N, d = 5, 3
freqs = data.zipf(N, exponent=1.0)
targets = data.targets(N)                        # f*(x) = x
E, U = data.embedding_pair(N, N, d, seed=43)     # random unit vectors in R^3
W0 = torch.zeros(d, d, dtype=torch.float64)
print("p =", freqs.numpy().round(3))
print("L(0) =", memory.loss(W0, E, U, freqs, targets).item(), " log M =", np.log(N))  # here M = N

# %% tags=["remove-cell"]
assert ledger.check("loss-at-zero", abs(memory.loss(W0, E, U, freqs, targets).item() - np.log(U.shape[0])), upper=1e-12,
             claim="|L(0) - log M|: the loss at W = 0 is log M", section="The model")
assert ledger.check("zero-one-at-zero", abs(memory.zero_one_loss(W0, E, U, freqs, targets).item() - (1 - freqs[0].item())), upper=1e-15,
             claim="|L01(0) - (1 - p(1))|: W = 0 predicts class 0 for every token", section="The model")

# %% [markdown]
# At $W = 0$ every score is zero, so the softmax is uniform over the $M$ outputs and the loss
# is $\log M$ (here $M = N = 5$); every
# token is predicted as class 0, so only the first token is right and $L_{01}(0) = 1 - p(1)$.
#
# ## The gradient: Hebbian learning with a correction
#
# Differentiating {eq}`eq-loss` with $\partial s_W(x, y) / \partial W = u_y e_x^\top$ gives
#
# $$
# \nabla L(W) = \sum_x p(x) \sum_y \big( p_W(y \mid x) - \mathbf{1}\{y = f^*(x)\} \big)\, u_y e_x^\top
# = -\underbrace{\sum_x p(x)\, u_{f^*(x)} e_x^\top}_{\text{Hebbian}}
#   + \underbrace{\sum_x p(x)\, \mathbb{E}_{y \sim p_W(\cdot \mid x)}[u_y]\, e_x^\top}_{\text{anti-Hebbian correction}} .
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
# If moreover the embeddings and unembeddings are orthonormal and $f^*(x) = x$, every
# margin after one step equals $m_{W_1}(x) = \eta\, p(x)$.
# ```
#
# ```{prf:proof}
# At $W = 0$ all scores vanish, so $p_{W_0}(y \mid x) = 1/M$ for every $y$ and the
# correction in {eq}`eq-gradient` is $\sum_x p(x)\, \bar u\, e_x^\top$. Then
# $W_1 = -\eta \nabla L(0)$ is the displayed formula. With orthonormal embeddings,
# $s_{W_1}(x, y) = \eta\, p(x) (\mathbf{1}\{y = x\} - 1/M)$: the correct score is
# $\eta p(x)(1 - 1/M)$, every other score is $-\eta p(x)/M$, and their difference is
# $\eta p(x)$.
# ```
#
# The package implements the formula as `memory.hebbian_step`. We check it against one step
# of `train.gd` on random problems of several shapes, and the orthonormal margins against
# $\eta p(x)$.

# %%
shapes = [(5, 5, 3), (20, 7, 4), (50, 50, 10), (8, 3, 16)]
errors = []
for seed, (n, m, dim) in enumerate(shapes):
    E_, U_ = data.embedding_pair(n, m, dim, seed)
    p_, t_ = data.zipf(n, 1.3), data.targets(n, "mod", m)
    step = [0.5, 7.0]
    one_step = train.gd(E_, U_, p_, t_, step_size=step, steps=1).W_final
    errors.append((one_step - memory.hebbian_step(E_, U_, p_, t_, step)).abs().max().item())
print("largest deviation from the formula:", max(errors))

n, eta = 10, 3.0
E_o, U_o = data.orthonormal_embeddings(n, n), data.orthonormal_embeddings(n, n)
p_o, t_o = data.zipf(n, 1.0), data.targets(n)
m1 = train.gd(E_o, U_o, p_o, t_o, step_size=eta, steps=2).margins[0, 1]
print("orthonormal: max |m_1(x) - eta p(x)| =", (m1 - eta * p_o).abs().max().item())

# %% tags=["remove-cell"]
assert ledger.check("one-step-formula", max(errors), upper=1e-12, section="The first step is a frequency-weighted Hebbian memory",
             claim="max |W_1 - formula| over 4 random (N, M, d) and 2 step sizes", reference="Cabannes et al. 2024, §3 (one step from zero)")
assert ledger.check("orthonormal-first-margin", ((m1 - eta * p_o).abs() / (eta * p_o)).max(), upper=1e-14,
             section="The first step is a frequency-weighted Hebbian memory",
             claim="max relative |m_1(x) - eta p(x)| with orthonormal embeddings", reference="Cabannes et al. 2024, §3")

# %% [markdown]
# Both agree to rounding error. With orthonormal embeddings the first step already
# recalls every token correctly, each with a margin proportional to its frequency. The
# next chapters show that gradient descent then keeps every margin growing.
#
# ## When the dimension is small, frequent tokens overwrite rare ones
#
# Orthonormal embeddings need $d \geq N$. With fewer dimensions than tokens, the $e_x$
# cannot all be orthogonal and the outer products written by the first step interfere:
# the score of token $x$ reads
#
# $$
# s_{W_1}(x, y) = \eta \sum_{x'} p(x') \langle e_x, e_{x'} \rangle \,
# \big( \langle u_y, u_{f^*(x')} \rangle - \langle u_y, \bar u \rangle \big),
# $$
#
# a sum over all stored tokens in which token $x'$ speaks with weight $p(x')$. A rare
# token's own term is small, so the crosstalk of frequent tokens decides its prediction.
# We store $N = M = 100$ tokens with Zipf frequencies in $d = 30$ dimensions, with random
# unit embeddings and unembeddings, and look at the margins after one step.

# %%
N, M, d = 100, 100, 30
freqs, targets = data.zipf(N, 1.0), data.targets(N)
E, U = data.embedding_pair(N, M, d, seed=0)
W1 = memory.hebbian_step(E, U, freqs, targets, step_size=1.0)[0]
wrong = memory.margins(W1, E, U, freqs, targets) <= 0   # tokens are sorted by frequency

fifth = N // 5
frequent_error = wrong[:fifth].double().mean().item()
rare_error = wrong[-fifth:].double().mean().item()
glue("frequent_error", f"{100 * frequent_error:.0f} %", display=False)
glue("rare_error", f"{100 * rare_error:.0f} %", display=False)

# The same comparison over 20 independent draws of the embeddings.
draws = []
for seed in range(20):
    E_s, U_s = data.embedding_pair(N, M, d, seed)
    w_s = memory.margins(memory.hebbian_step(E_s, U_s, freqs, targets, 1.0)[0], E_s, U_s, freqs, targets) <= 0
    draws.append((w_s[:fifth].double().mean().item(), w_s[-fifth:].double().mean().item()))
draws = np.array(draws)
glue("mean_frequent_error", f"{100 * draws[:, 0].mean():.0f} %", display=False)
glue("mean_rare_error", f"{100 * draws[:, 1].mean():.0f} %", display=False)
glue("n_draws_rarer_worse", int((draws[:, 1] > draws[:, 0]).sum()), display=False)

style.glue_figure("one-step-margins", chapter.draw_one_step_margins(n=N, dim=d, exponent=1.0, step_size=1.0, seed=0))

# Misclassified fraction after one step for growing dimension, averaged over five draws.
error_by_dim = []
for dim in (30, 100, 200):
    fractions = []
    for seed in range(5):
        E_s, U_s = data.embedding_pair(N, M, dim, seed)
        m_s = memory.margins(memory.hebbian_step(E_s, U_s, freqs, targets, 1.0)[0], E_s, U_s, freqs, targets)
        fractions.append((m_s <= 0).double().mean().item())
    error_by_dim.append(float(np.mean(fractions)))
glue("error_by_dim", ", ".join(f"{e:.2f}" for e in error_by_dim), display=False)

# %% tags=["remove-cell"]
section = "When the dimension is small, frequent tokens overwrite rare ones"
assert ledger.check("rare-worse-after-one-step", rare_error - frequent_error, lower=0, strict=True, section=section,
             claim="error of the rarest fifth minus that of the most frequent fifth (N = M = 100, d = 30, seed 0)",
             reference="Cabannes et al. 2024, §3")
assert ledger.check("rare-worse-every-draw", int((draws[:, 1] > draws[:, 0]).sum()), lower=20, section=section,
             claim="draws (of 20) in which the rarest fifth is misclassified more often")
assert ledger.check("mean-rare-error", draws[:, 1].mean(), lower=0.9, section=section, claim="mean error of the rarest fifth over 20 draws")
assert ledger.check("mean-frequent-error", draws[:, 0].mean(), upper=0.6, section=section, claim="mean error of the most frequent fifth over 20 draws")
assert ledger.check("more-dimensions-help", float(np.diff(error_by_dim).max()), upper=0, strict=True, section=section,
             claim="misclassified fraction after one step decreases from d = 30 to 100 to 200 (largest change, 5 draws each)")
assert ledger.check("random-embeddings-still-interfere", error_by_dim[-1], lower=0.5, section=section,
             claim="misclassified fraction after one step at d = 200 > N = 100 (random unit embeddings, 5 draws)")

# %% [markdown]
# ```{glue:figure} one-step-margins
# :name: fig-one-step
# :alt: Left, a bar chart of the margin of each of 100 tokens after one gradient step, sorted from most to least frequent; the few most frequent tokens have large positive margins, and almost all rare tokens have negative margins. Right, the fraction of misclassified tokens in five frequency groups, rising from the most frequent group to the rarest.
#
# One gradient step from zero with $N = M = 100$ tokens in $d = 30$ dimensions. Left:
# margins, tokens sorted by frequency; orange bars are misclassified. Right: fraction
# misclassified in each fifth of the tokens.
# ```
#
# After one step, {glue:text}`frequent_error` of the most frequent fifth of the tokens are
# misclassified, against {glue:text}`rare_error` of the rarest fifth. Over 20 independent
# draws of the embeddings the averages are {glue:text}`mean_frequent_error` and
# {glue:text}`mean_rare_error`, and the rarest fifth fares worse in
# {glue:text}`n_draws_rarer_worse` draws out of 20. The step size only scales $W_1$, so it
# changes the size of the margins and not their signs: which tokens are lost after one
# step is decided by the frequencies and the geometry of the embeddings alone.
#
# More dimensions help, but slowly. Averaged over five draws, the fraction of misclassified
# tokens after one step is {glue:text}`error_by_dim` for $d =$ 30, 100 and 200: random unit
# vectors stay correlated, with overlaps of order $1/\sqrt{d}$, and many rare tokens are
# still overwritten even when $d > N$. Only orthonormal embeddings remove the crosstalk
# entirely.
#
# Use the sliders to change the number of tokens, the dimension, the Zipf exponent and
# the step size. Watch how the misclassified tokens move towards the rare end as the
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
# Before moving the step-size slider, predict how the right panel of
# {numref}`fig-one-step` changes when $\eta$ goes from 1 to 100. Then check.
# ```
#
# ```{solution} ex-step-size-signs
# :class: dropdown
#
# It does not change. By {prf:ref}`prop-hebbian-step`, $W_1$ is $\eta$ times a matrix that
# does not depend on $\eta$, so every score and every margin is multiplied by $\eta$. Signs,
# and hence which tokens are misclassified, stay the same; only the bars on the left grow.
# Later steps do depend on $\eta$ in a non-linear way, because the softmax does.
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
