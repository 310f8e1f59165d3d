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
# (chap-hopfield)=
# # Hopfield networks, dense memories and attention
#
# ```{admonition} In this chapter
# **You will learn** how the outer-product memory of this book relates to the classical
# Hopfield network; why the classical network stores only about $0.14\,n$ patterns in $n$
# neurons; how sharper interaction functions (dense associative memories) and the softmax
# (modern Hopfield networks) raise that capacity; and why one step of a modern Hopfield
# network is exactly one attention head.
#
# **Prerequisites**: {ref}`chap-associative-memory`; the softmax.
#
# **Run time**: about 5 s on a laptop CPU.
# ```
#
# ## From hetero- to auto-association
#
# The memory of {ref}`chap-associative-memory` is *hetero-associative*: it maps an input
# embedding $e_x$ to an output $u_{f^*(x)}$, and its first gradient step writes the Hebbian sum
# $\sum_x p(x)\, u_{f^*(x)} e_x^\top$ ({prf:ref}`prop-hebbian-step`). Hopfield's network
# {cite}`hopfield1982neural` is the *auto-associative* version with binary codes: $P$ patterns
# $\xi^\mu \in \{-1, +1\}^n$ are stored as
#
# $$
# W = \frac{1}{n} \sum_{\mu = 1}^{P} \xi^\mu (\xi^\mu)^\top \quad (\text{zero diagonal}),
# $$
#
# and a corrupted cue $s$ is cleaned by iterating $s \leftarrow \operatorname{sgn}(W s)$. The
# update reads the similarities $\langle \xi^\mu, s \rangle$ of the state with every stored
# pattern and adds the patterns back with those similarities as weights. Each pattern's own
# term pulls the state towards it; the $P - 1$ others add crosstalk of size about
# $\sqrt{P/n}$, the same interference that made rare tokens fail in the first chapter.
#
# We store patterns of $n = 100$ bits, flip 10 % of the bits of each, and measure the
# overlap $\frac{1}{n} \langle s, \xi \rangle$ of the retrieved state with the original, for
# increasing loads $P / n$.

# %%
import numpy as np
import torch
from myst_nb import glue

from assocmem import claims, hopfield
from assocmem.chapters.beyond import hopfield as chapter
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("hopfield", title="Hopfield networks, dense memories and attention")

n, flip = 100, 0.1
loads = [0.05, 0.1, 0.3, 1.0, 2.0]
curves = {rule: hopfield.recall_curve(rule, n, loads, flip, power=3, beta=0.1) for rule in hopfield.RULES}
for rule, curve in curves.items():
    print(f"{rule:>9}:", np.round(curve.numpy(), 3))

# The classical network over six independent draws of patterns and cues, at loads 0.05, 0.1 and 0.3.
classical_seeds = torch.stack([hopfield.recall_curve("classical", n, [0.05, 0.1, 0.3], flip, seed=seed) for seed in range(6)])

# %% tags=["remove-cell"]
section = "From hetero- to auto-association"
assert ledger.check("classical-low-load", classical_seeds[:, :2].min(), lower=0.97, section=section,
             claim="classical network: lowest mean overlap after retrieval at loads 0.05 and 0.1 over 6 draws (n = 100, 10 % flips)",
             reference="Amit et al. 1985")
assert ledger.check("classical-high-load", classical_seeds[:, 2].mean(), upper=0.6, section=section,
             claim="classical network: mean overlap at load 0.3 (past the capacity 0.138), averaged over 6 draws",
             reference="Amit et al. 1985")
glue("classical_low", f"{classical_seeds[:, 1].mean().item():.2f}", display=False)
glue("classical_high", f"{classical_seeds[:, 2].mean().item():.2f}", display=False)
glue("classical_high_range", f"{classical_seeds[:, 2].min().item():.2f} to {classical_seeds[:, 2].max().item():.2f}", display=False)

# %% [markdown]
# Averaged over six draws, at a load of 0.1 the classical network still returns the stored
# patterns (mean overlap {glue:text}`classical_low`); at 0.3 the overlap has fallen to
# {glue:text}`classical_high` (from {glue:text}`classical_high_range` across draws): the
# network settles in states far from the pattern it was cued with. The statistical physics of the model places the
# collapse at $P \approx 0.138\, n$ for large $n$ {cite}`amit1985storing`.
#
# ## Sharper interactions store more
#
# Krotov and Hopfield {cite}`krotov2016dense` rewrote the update as a comparison of energies:
# bit $i$ takes the sign that gives the lower energy $-\sum_\mu F(\langle \xi^\mu, s \rangle)$,
#
# $$
# s_i \leftarrow \operatorname{sgn} \sum_\mu \Big[ F\big(\xi^\mu_i + h^\mu_i\big) - F\big(-\xi^\mu_i + h^\mu_i\big) \Big],
# \qquad h^\mu_i = \sum_{j \neq i} \xi^\mu_j s_j .
# $$
#
# With $F(z) = z^2$ the bracket is $4\, \xi^\mu_i h^\mu_i$ and this is exactly the classical
# network. With $F(z) = z^k$ the pattern closest to the state dominates the sum more
# sharply, the crosstalk shrinks, and the capacity grows like $n^{k-1}$. Letting $F$ be the
# exponential gives a capacity exponential in $n$ {cite}`demircigil2017model`.
#
# ## Modern Hopfield networks are attention
#
# Ramsauer et al. {cite}`ramsauer2021hopfield` made the state continuous and took the energy
# $-\beta^{-1} \log \sum_\mu \exp(\beta \langle \xi^\mu, s \rangle) + \tfrac12 \lVert s \rVert^2$.
# Its minimisation by a concave–convex step is the update
#
# $$
# s \leftarrow \sum_\mu \operatorname{softmax}_\mu\!\big(\beta \langle \xi^\mu, s \rangle\big)\, \xi^\mu
# = X^\top \operatorname{softmax}(\beta X s),
# $$
#
# which is one attention head {cite}`vaswani2017attention` with the state as query and the
# stored patterns as both keys and values. The package's `hopfield.modern_step` and
# PyTorch's attention kernel agree to rounding error:

# %%
X = hopfield.random_patterns(500, n, seed=1)                 # P = 5 n patterns
cues = hopfield.corrupt(X, flip, seed=2)
beta = 0.1
ours = hopfield.modern_step(X, cues, beta)
theirs = torch.nn.functional.scaled_dot_product_attention(cues[None], X[None], X[None], scale=beta)[0]
attention_gap = (ours - theirs).abs().max().item()
retrieved = hopfield.modern_retrieve(X, cues, beta)          # one update, then the sign of each entry
exact = (hopfield.overlap(retrieved, X) == 1).double().mean().item()
load = X.shape[0] / n
glue("modern_patterns", X.shape[0], display=False)
glue("modern_load", f"{load:g}", display=False)
glue("times_classical", f"{load / 0.138:.0f}", display=False)
print(f"max |modern step - attention| = {attention_gap:.1e};  patterns recovered exactly in one step: {100 * exact:.0f} %")

power2 = hopfield.dense_retrieve(X[:40], cues[:40], power=2, steps=1)
classical = hopfield.classical_retrieve(X[:40], cues[:40], steps=1)

# %% tags=["remove-cell"]
section = "Modern Hopfield networks are attention"
assert ledger.check("modern-is-attention", attention_gap, upper=1e-12, section=section,
             claim="max |modern Hopfield step - scaled_dot_product_attention| (P = 500, n = 100)",
             reference="Ramsauer et al. 2021")
assert ledger.check("modern-one-step-recall", exact, lower=1.0, section=section,
             claim="fraction of P = 5n patterns recovered exactly (after the sign readout) in one step from 10 %-flipped cues (beta = 0.1)",
             reference="Ramsauer et al. 2021")
assert ledger.check("dense-power-2-is-classical", bool(torch.equal(power2, classical)), section="Sharper interactions store more",
             claim="one dense update with F(z) = z^2 equals one classical update", reference="Krotov & Hopfield 2016")
dense_and_modern = torch.stack([hopfield.recall_curve(rule, n, torch.linspace(0.02, 2.0, 12).tolist(), flip, power=3, beta=0.1)
                                for rule in ("dense", "modern")])
assert ledger.check("dense-and-modern-hold", dense_and_modern.min(), lower=0.99, section="Modern Hopfield networks are attention",
             claim="lowest mean overlap of the dense (F(z) = z^3) and modern (beta = 0.1) memories over loads up to 2 (figure below)")
beta_small = hopfield.recall_curve("modern", n, [0.5, 1.0, 2.0], flip, beta=0.01)
assert ledger.check("modern-small-beta-fails", beta_small.max(), upper=0.5, section="Exercises",
             claim="modern memory with beta = 0.01: highest mean overlap over loads 0.5, 1, 2 (exercise: retrieval fails)")

# %% [markdown]
# One update, followed by reading out the sign of each entry, recovers every one of
# $P =$ {glue:text}`modern_patterns` $=$ {glue:text}`modern_load`$\,n$ stored patterns exactly from
# cues with 10 % of their bits flipped, {glue:text}`times_classical` times the classical
# network's capacity. (The update itself returns a continuous vector close to the pattern; the
# sign rounds it.) And that update is a softmax over similarities: the same readout as the cross-entropy memory of this book,
# $p_W(y \mid x) = \operatorname{softmax}_y(u_y^\top W e_x)$. In the Transformer chapter, the
# memories that gradient descent learns sit inside exactly such attention layers.
#
# The figure compares the three memories over a range of loads; the sliders change the
# noise of the cues, the power of the dense memory and the inverse temperature $\beta$ of the
# modern one.

# %%
fig = chapter.draw_recall(n=100, flip_prob=0.1, power=3, beta=0.1)
style.glue_figure("hopfield-recall", fig)
chapter.widget(n=100, flip_prob=0.1, power=3, beta=0.1)

# %% [markdown]
# ```{glue:figure} hopfield-recall
# :name: fig-hopfield-recall
# :alt: Mean overlap after retrieval against the load P over n, from 0 to 2, for three memories with 100 neurons and 10 percent of cue bits flipped. The classical Hebbian network falls from 1 to about 0.3 past a load of about 0.14; the dense memory with cubic interaction and the modern Hopfield network stay at 1 over the whole range.
#
# Retrieval quality against load for the classical, dense ($F(z) = z^3$) and modern
# ($\beta = 0.1$) memories, $n = 100$, 10 % of cue bits flipped. The dotted line marks the
# classical capacity $0.138\,n$.
# ```
#
# ## Exercises
#
# ```{exercise}
# :label: ex-hopfield-temperature
#
# Predict what happens to the modern memory's curve when you move $\beta$ down to $0.01$,
# then check with the slider. What does the update return as $\beta \to 0$?
# ```
#
# ```{solution} ex-hopfield-temperature
# :class: dropdown
#
# Retrieval fails: with $\beta = 0.01$ the mean overlap stays below one half at every load
# from 0.5 to 2. As $\beta \to 0$ the softmax becomes uniform and the update returns the mean
# of all stored patterns, whatever the cue: the memory forgets which pattern it was asked for.
# With 10 % of bits flipped, the cued pattern's similarity is about $(1 - 2 \cdot 0.1)\, n = 80$,
# while the other similarities are of order $\pm\sqrt{n} = \pm 10$. The cued pattern's softmax
# weight $e^{80 \beta}$ must beat the noise of the $P$ others, roughly $\sqrt{P}\, e^{10 \beta}$ in
# size, which needs $\beta$ of order $\log P / (2 \cdot 70)$ or more: about $0.04$ for
# $P = 200$. The default $\beta = 0.1$ is comfortably above, $0.01$ far below.
# ```
#
# ```{exercise}
# :label: ex-hopfield-crosstalk
#
# For the classical network, the field on bit $i$ of pattern $\xi^1$ when the state is
# $\xi^1$ is $\xi^1_i \tfrac{n - 1}{n}$ plus crosstalk $\tfrac{1}{n} \sum_{\mu \geq 2} \sum_{j \neq i} \xi^\mu_i \xi^\mu_j \xi^1_j$.
# Show that the crosstalk has mean zero and variance about $P / n$, and deduce the load at
# which about 1 % of the bits of a stored pattern are unstable.
# ```
#
# ```{solution} ex-hopfield-crosstalk
# :class: dropdown
#
# The crosstalk is a sum of $(P - 1)(n - 1)$ independent signs divided by $n$: mean zero,
# variance $(P - 1)(n - 1)/n^2 \approx P / n$. A bit flips when the crosstalk overcomes the
# signal $\approx 1$, which for a Gaussian of standard deviation $\sqrt{P/n}$ happens with
# probability $\Phi(-\sqrt{n/P})$. Setting this to 1 % gives $\sqrt{n / P} \approx 2.33$, a load
# $P/n \approx 0.185$. This one-step estimate ignores that flipped bits change the field
# again; the full analysis {cite}`amit1985storing` gives the lower capacity $0.138$.
# ```
