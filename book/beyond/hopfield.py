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
# # Hopfield networks and their spurious states
#
# ```{admonition} In this chapter
# **You will learn** how Hopfield's network stores binary patterns in the outer-product
# memory of this book and reads them by sign; why asynchronous updates never raise its energy
# while synchronous ones can fall into two-cycles; how many patterns it holds (about
# $0.138\,d$ for retrieval from noisy cues, $d / (2 \ln d)$ for every pattern to be an exact
# fixed point), measured against both; what the spurious states are (mixtures of three
# patterns at low load, spin-glass states past capacity); and how Kosko's bidirectional
# associative memory stores pairs with the same sum of outer products that the first gradient
# step of {ref}`chap-associative-memory` writes.
#
# **Prerequisites**: {ref}`chap-associative-memory` (the outer-product memory and its first
# gradient step); the Gaussian tail $\Phi$.
#
# **Run time**: about 20 s on a laptop CPU.
# ```
#
# ## The network and its energy
#
# Hopfield's network {cite}`hopfield1982neural` stores $K$ patterns
# $\xi^1, \dots, \xi^K \in \{-1, +1\}^d$, the rows of a $K \times d$ matrix $\Xi$, in the
# Hebbian couplings
#
# $$
# W = \frac{1}{d} \sum_{\mu = 1}^{K} \xi^\mu (\xi^\mu)^\top - \frac{K}{d} I
# \qquad (\text{zero diagonal}),
# $$ (eq-hopfield-weights)
#
# and cleans a corrupted cue $s \in \{-1, +1\}^d$ by the updates
# $s_i \leftarrow \operatorname{sgn}(\sum_j W_{ij} s_j)$ (with $\operatorname{sgn} 0 = +1$). The
# field $\sum_j W_{ij} s_j = \sum_\mu \xi^\mu_i \langle \xi^\mu, s \rangle / d - (K/d) s_i$ adds
# the stored patterns back, weighted by their overlap with the state: the cued pattern pulls
# with weight close to 1, the $K - 1$ others add crosstalk. Hopfield's observation was that
# the dynamics descend an energy.
#
# ```{prf:proposition} Asynchronous updates never raise the energy
# :label: prop-hopfield-descent
#
# Let $W$ be symmetric with zero diagonal and $E(s) = -\tfrac12 s^\top W s$. If $s'$ differs
# from $s$ only in bit $i$, set to $s'_i = \operatorname{sgn}(h_i)$ with $h_i = \sum_j W_{ij} s_j$,
# then $E(s') - E(s) = -(s'_i - s_i)\, h_i \le 0$. Asynchronous dynamics (one bit at a time) therefore
# reach a fixed point in finitely many updates.
# ```
#
# ```{prf:proof}
# Write $s' = s + \delta e_i$ with $\delta = s'_i - s_i \in \{-2, 0, 2\}$. By symmetry,
# $E(s') = E(s) - \delta\, (W s)_i - \tfrac12 \delta^2 W_{ii} = E(s) - \delta h_i$, since $W_{ii} = 0$.
# If $\delta \neq 0$ then $s'_i = \operatorname{sgn}(h_i) = -s_i$, so $\delta$ has the sign of
# $h_i$ (or $h_i = 0$) and $\delta h_i \ge 0$. The energy takes finitely many values and strictly
# decreases at every flip with $h_i \neq 0$; a flip with $h_i = 0$ only turns a $-1$ into a $+1$.
# Both can happen only finitely often in a row, so the dynamics stop.
# ```
#
# Updating every bit at once is different. With the two-time function
# $L(s_t, s_{t-1}) = -s_t^\top W s_{t-1}$ the same computation gives
# $L(s_{t+1}, s_t) - L(s_t, s_{t-1}) = -\sum_i (s_{t+1, i} - s_{t-1, i})\, h_i(s_t) \le 0$: $L$
# settles, which forces $s_{t+1} = s_{t-1}$, so synchronous dynamics end in a fixed point **or a
# two-cycle**, and along a two-cycle the energy $E$ itself oscillates.
#
# We check both statements exactly: the package computes the energies from the integer
# couplings $d\,W$, so a comparison of two energies involves no rounding. First, retrieval
# of real, correlated patterns: three of the $8 \times 8$ handwritten digits that ship with
# scikit-learn, binarised (ink is $+1$), cued with 15 % of the pixels flipped.

# %%
import numpy as np
import torch

from assocmem import claims, hopfield, tiers
from assocmem.chapters.beyond import hopfield as chapter
from assocmem.tasks import digits
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("hopfield", title="Hopfield networks and their spurious states")
paper = tiers.current() == "paper"

run = chapter.run_digits(classes=(0, 1, 7), flip_prob=0.15)
print("retrieved exactly:", (run["final"] == run["X"]).all(dim=1).tolist())

# %% tags=["remove-cell"]
style.glue_figure("hopfield-digits", chapter.draw_digits(run))
section = "The network and its energy"
assert ledger.check("digits-retrieved", bool((run["final"] == run["X"]).all()), section=section,
                    claim="the three stored digits (0, 1, 7) are retrieved exactly from cues with 15 % of the pixels flipped",
                    reference="Hopfield 1982")
four = digits.binary()[0][digits.first_of_each(digits.binary()[1], (0, 1, 4, 7))]
stable_four = int((hopfield.classical_retrieve(four, four, steps=1) == four).all(dim=1).sum())
ledger.quote("stable_four", stable_four, "{:.0f}")
assert ledger.check("correlated-digits-fail", stable_four, upper=3, section=section,
                    claim="with four digits stored (0, 1, 4, 7; d = 64), fewer than four of them are fixed points (correlated patterns)",
                    reference="Hopfield 1982")
overlap_01 = (run["X"][0] @ run["X"][1] / 64).item()
ledger.quote("overlap_01", overlap_01, "{:.2f}")

# %% [markdown]
# ```{glue:figure} hopfield-digits
# :name: fig-hopfield-digits
# :alt: Three rows of 8 by 8 images, for the digits 0, 1 and 7: the cue with 15 percent of pixels flipped, the state after 8, 16, 32 and 64 single-pixel updates, the fixed point, and the stored pattern; the fixed point equals the stored pattern in every row.
#
# Asynchronous retrieval of three stored digits, one pixel at a time in a random order. The
# flipped pixels disappear within the first sweep of 64 updates; the fixed point (second-last
# column) is the stored pattern (last column).
# ```
#
# Digits are far from the random patterns of the theory: the binarised 0 and 1 share most of
# their background, an overlap of {glue:}`overlap_01`. Three digits fit; store a fourth (the
# 4) and the number of stored images that remain fixed points drops to {glue:}`stable_four`
# out of four: correlated patterns interfere much earlier than random ones. Below we use random patterns, for which
# the theory is exact. Along twelve asynchronous runs ($d = 200$, $K = 20$) the energy never
# rises, and synchronous runs at a higher load end in fixed points or in two-cycles:

# %%
energy = chapter.run_energy(d=200, K=20)
print("periods of 64 synchronous orbits (1: fixed point, 2: two-cycle):", torch.bincount(energy["period"], minlength=3)[1:].tolist())

# %% tags=["remove-cell"]
style.glue_figure("hopfield-energy", chapter.draw_energy(energy))
rise = max(energy["energies"].diff(dim=1).max().item(), run["energies"].diff(dim=1).max().item())
periods = energy["period"]
assert ledger.check("async-energy-never-rises", rise, upper=0.0, section=section,
                    claim="largest energy change over every single-bit update of 12 asynchronous runs (d = 200) and the 3 digit runs; exact arithmetic",
                    reference="Hopfield 1982")
assert ledger.check("async-energy-falls", energy["energies"][:, -1].max() - energy["energies"][:, 0].min(), upper=-1.0, section=section,
                    claim="every asynchronous run ends at least 1 below the lowest starting energy (the descent is not flat)")
assert ledger.check("sync-period-at-most-two", (periods > 0).double().mean(), lower=1.0, section=section,
                    claim="fraction of 64 synchronous orbits (d = 200, K = 40) that end in a fixed point or a two-cycle within 200 steps")
assert ledger.check("sync-two-cycles-exist", (periods == 2).double().mean(), lower=0.05, section=section,
                    claim="fraction of those synchronous orbits that end in a two-cycle")
assert ledger.check("sync-lyapunov-never-rises", energy["lyapunov"].diff().max(), upper=0.0, section=section,
                    claim="largest change of L(s_t, s_(t-1)) = -s_t^T W s_(t-1) along the synchronous orbit drawn")
tail = energy["sync_energy"][-4:]
assert ledger.check("sync-energy-oscillates", (tail[0] - tail[1]).abs(), lower=1e-3, section=section,
                    claim="on the two-cycle drawn, |E(s_t) - E(s_(t+1))| (the energy of a two-cycle oscillates)")
ledger.quote("two_cycles", (periods == 2).sum(), "{:.0f}")

# %% [markdown]
# ```{glue:figure} hopfield-energy
# :name: fig-hopfield-energy
# :alt: Left: energy against single-bit updates for six runs from random starts and six from 10 percent flipped cues, all non-increasing. Right: the energy of a synchronous orbit zig-zags between two values at the end while the two-time function decreases and then stays flat.
#
# Left: the energy along asynchronous runs never rises (the runs from random starts end
# higher: in spurious states). Right: one of the {glue:}`two_cycles` synchronous orbits (out
# of 64) that end in a two-cycle: $E(s_t)$ zig-zags, while the two-time function settles.
# ```
#
# ## Capacity
#
# How many patterns can the network hold? Two questions with two answers. **Retrieval**: a cue
# with 10 % of its bits flipped should end within 5 % of its pattern (overlap
# $\tfrac1d \langle s, \xi \rangle \ge 0.95$). The replica analysis of Amit, Gutfreund and
# Sompolinsky {cite}`amit1985storing` puts the end of retrieval at a load
# $\kappa = K / d \approx 0.138$ for large $d$. **Exact storage**: every bit of every pattern
# should be stable. The field on bit $i$ of $\xi^1$ in state $\xi^1$ is $(d - 1)\,\xi^1_i$
# (times $1/d$) plus a sum of $(K - 1)(d - 1)$ random signs, so a bit is unstable with
# probability about $\Phi(-\sqrt{d / K})$, and all $dK$ bits are stable while
# $dK\, e^{-d / 2K}$ is small: up to $K \approx d / (2 \ln d)$.

# %%
capacity = chapter.run_capacity(d=1000 if paper else 200, seeds=3 if paper else 5)
fixed = chapter.run_fixed_points(d=200, trials=200)
print("fraction retrieved, mean over seeds:", np.round(capacity["fraction"].mean(dim=0).numpy(), 2))
print("P(all K fixed), K =", fixed["Ks"].int().tolist(), ":", np.round(fixed["fraction"].numpy(), 3))

# %% tags=["remove-cell"]
style.glue_figure("hopfield-capacity", chapter.draw_capacity(capacity, fixed))
section = "Capacity"
loads, mean = capacity["loads"], capacity["fraction"].mean(dim=0)
at = {round(v, 3): mean[i].item() for i, v in enumerate(loads.tolist())}
for load in (0.05, 0.1, 0.2, 0.25):
    ledger.quote(f"retrieved_{int(1000 * load)}", at[load], "{:.2f}")
assert ledger.check("retrieval-below-capacity", capacity["fraction"][:, :3].mean(dim=0).min(), lower=0.9, section=section,
                    claim="fraction retrieved (overlap >= 0.95 from 10 %-flipped cues), mean over seeds, lowest at loads 0.05 to 0.1",
                    reference="Amit, Gutfreund & Sompolinsky 1985")
assert ledger.check("retrieval-past-capacity", at[0.25], upper=0.1, section=section,
                    claim="fraction retrieved at load 0.25, mean over seeds", reference="Amit, Gutfreund & Sompolinsky 1985")
assert ledger.check("retrieval-at-0.2", capacity["fraction"][:, loads.tolist().index(0.2)].max(), upper=0.5, section=section,
                    claim="fraction retrieved at load 0.2, largest over seeds (most cues already fail)")
half = chapter.crossing(loads, mean, 0.5)
ledger.quote("half_load", half, "{:.3f}")
assert ledger.check("retrieval-crossing-near-ags", half, lower=0.1, upper=0.22, section=section,
                    claim="load at which half the cues are retrieved (large-d theory 0.138; finite d shifts it up)",
                    reference="Amit, Gutfreund & Sompolinsky 1985")
Ks = fixed["Ks"].tolist()
f10, f25 = fixed["fraction"][Ks.index(10)].item(), fixed["fraction"][Ks.index(25)].item()
threshold = 200 / (2 * np.log(200))
half_K = chapter.crossing(fixed["Ks"], fixed["fraction"], 0.5)
ledger.quote("all_fixed_10", f10, "{:.3f}")
ledger.quote("all_fixed_25", f25, "{:.3f}")
ledger.quote("threshold_K", threshold, "{:.1f}")
ledger.quote("half_K", half_K, "{:.1f}")
ledger.quote("theory_20", fixed["theory"][Ks.index(20)], "{:.2f}")
ledger.quote("measured_20", fixed["fraction"][Ks.index(20)], "{:.2f}")
assert ledger.check("all-fixed-at-10", f10, lower=0.95, section=section,
                    claim="P(all K = 10 random patterns are fixed points), d = 200, 200 trials")
assert ledger.check("none-fixed-at-25", f25, upper=0.05, section=section,
                    claim="P(all K = 25 random patterns are fixed points), d = 200, 200 trials")
assert ledger.check("fixed-crossing-near-d-over-2-ln-d", half_K / threshold, lower=0.7, upper=1.3, section=section,
                    claim="K at which P(all fixed) = 1/2, divided by d / (2 ln d) = 18.9")

# %% [markdown]
# ```{glue:figure} hopfield-capacity
# :name: fig-hopfield-capacity
# :alt: Left: fraction of patterns retrieved against the load from 0.05 to 0.25, one thin line per seed and their mean; near 1 up to 0.1, near 0 at 0.25, with a dashed line at 0.138. Right: probability that all K patterns are fixed points for K from 5 to 30, from 1 to 0, with the Gaussian estimate and a dashed line at d over 2 ln d.
#
# Left: retrieval from 10 %-flipped cues at $d = 200$ (thin lines: seeds), against the
# large-$d$ capacity $0.138$. Right: the probability that every pattern is a fixed point,
# against the estimate $(1 - \Phi(-\sqrt{(d-1)/(K-1)}))^{dK}$ and the threshold $d / (2 \ln d)$.
# ```
#
# | load $\kappa$ | 0.05 | 0.10 | 0.20 | 0.25 |
# |---|---|---|---|---|
# | fraction retrieved (measured, mean over seeds) | {glue:}`retrieved_50` | {glue:}`retrieved_100` | {glue:}`retrieved_200` | {glue:}`retrieved_250` |
#
# Half of the cues are retrieved up to a load of {glue:}`half_load`, above the large-$d$
# value $0.138$: at $d = 200$ the transition is smeared out, and a state that keeps 95 % of
# the bits still counts as retrieved, while the theory's retrieval state past $0.138$ vanishes
# only for $d \to \infty$. (The paper tier repeats the curve at $d = 1000$.) For exact storage,
# all patterns are fixed points with probability {glue:}`all_fixed_10` at $K = 10$ and
# {glue:}`all_fixed_25` at $K = 25$; the probability crosses one half at $K =$
# {glue:}`half_K`, against $d / (2 \ln d) =$ {glue:}`threshold_K`. The Gaussian estimate is too
# pessimistic near the threshold ({glue:}`theory_20` against {glue:}`measured_20` measured at
# $K = 20$): the crosstalk is a sum of signs, and the errors of different bits are correlated.
#
# ## Spurious states
#
# The energy has more minima than the stored patterns. The simplest are **mixtures**: for three
# patterns, $s = \operatorname{sgn}(\xi^1 + \xi^2 + \xi^3)$ agrees with each component on a bit
# whenever the other two do not both disagree, with probability $3/4$, so its overlap with each
# component is $1/2$. Each component pulls the field towards $s$, and at low load $s$ is a
# fixed point {cite}`amit1985storing`.

# %%
mix = chapter.run_mixtures(d=200, K=5, seeds=6)
print("overlap of the final state with the mixture:", np.round(mix["mixture"].numpy(), 3))
print("overlaps with the three components:\n", np.round(mix["components"].numpy(), 2))

# %% tags=["remove-cell"]
section = "Spurious states"
assert ledger.check("mixture-is-stable", mix["mixture"].min(), lower=0.95, section=section,
                    claim="lowest overlap with the 3-mixture of the state retrieved from it, 6 seeds (d = 200, K = 5)",
                    reference="Amit, Gutfreund & Sompolinsky 1985")
assert ledger.check("mixture-overlaps-half", (mix["components"] - 0.5).abs().max(), upper=0.15, section=section,
                    claim="largest |overlap - 1/2| of the retrieved mixture with one of its components, 6 seeds x 3 components",
                    reference="Amit, Gutfreund & Sompolinsky 1985")
assert ledger.check("mixture-overlaps-mean", (mix["components"].mean() - 0.5).abs(), upper=0.05, section=section,
                    claim="|mean overlap with the components - 1/2| over 6 seeds x 3 components (theory: 1/2)")
ledger.quote("mixture_mean", mix["components"].mean(), "{:.3f}")

# %% [markdown]
# The mixture is kept (overlap $\ge 0.95$ in every draw), with a mean overlap of
# {glue:}`mixture_mean` with its components, against $1/2$. Past capacity a second kind takes
# over: **spin-glass states**, minima that are far from every pattern and every mixture. We run
# the asynchronous dynamics from random states and sort the fixed points they reach: a
# *pattern* (overlap $\ge 0.9$ with some $\pm\xi^\mu$), a *mixture* (overlap $\ge 0.9$ with the
# 3-mixture of its three largest overlaps), a *spin-glass* state (no overlap above $0.5$, the
# overlap of a mixture with its components), or *other* (mixtures of more patterns, patterns
# with many wrong bits).

# %%
attractors = chapter.run_attractors(d=200, loads=(0.015, 0.05, 0.1, 0.2, 0.5), starts=100, seeds=2)
print(hopfield.KINDS)
print(np.round(attractors["fraction"].numpy(), 2))

# %% tags=["remove-cell"]
style.glue_figure("hopfield-attractors", chapter.draw_attractors(attractors))
f = attractors["fraction"]
assert ledger.check("low-load-patterns", f[0, 0], lower=0.5, section=section,
                    claim="fraction of random starts that end in a stored pattern at load 0.015 (K = 3)")
assert ledger.check("low-load-mixtures", f[0, 1], lower=0.1, section=section,
                    claim="fraction of random starts that end in a 3-mixture at load 0.015 (K = 3)", reference="Amit, Gutfreund & Sompolinsky 1985")
assert ledger.check("high-load-no-patterns", f[3:, 0].max(), upper=0.05, section=section,
                    claim="fraction of random starts that end in a stored pattern at loads 0.2 and 0.5")
assert ledger.check("high-load-spin-glass", f[-1, 2], lower=0.5, section=section,
                    claim="fraction of random starts that end in a spin-glass state (no overlap above 0.5) at load 0.5",
                    reference="Amit, Gutfreund & Sompolinsky 1985")
ledger.quote("spin_glass_50", f[-1, 2], "{:.2f}")
ledger.quote("mixtures_low", f[0, 1], "{:.2f}")

# %% [markdown]
# ```{glue:figure} hopfield-attractors
# :name: fig-hopfield-attractors
# :alt: Stacked bars at loads 0.015, 0.05, 0.1, 0.2 and 0.5: mostly patterns with some mixtures at 0.015, patterns and other states at 0.05, mostly other states at 0.1, and mostly spin-glass states at 0.2 and 0.5.
#
# What random starts fall into, by load ($d = 200$, 200 starts per load). At $K = 3$ a
# fraction {glue:}`mixtures_low` of the starts ends in a 3-mixture; at load 0.5,
# {glue:}`spin_glass_50` end in spin-glass states.
# ```
#
# ## Hetero-association: the bidirectional associative memory
#
# Kosko's bidirectional associative memory {cite}`kosko1988bidirectional` stores $m$ pairs
# $(a^k, b^k)$, $a^k \in \{-1, +1\}^n$, $b^k \in \{-1, +1\}^p$, in
#
# $$
# M = \sum_{k=1}^m a^k (b^k)^\top \in \mathbb{R}^{n \times p},
# $$ (eq-bam)
#
# and alternates $b \leftarrow \operatorname{sgn}(M^\top a)$, $a \leftarrow \operatorname{sgn}(M b)$.
# Each half-step is a block of the Hopfield update for the joint state $(a, b)$ with couplings
# $\left(\begin{smallmatrix} 0 & M \\ M^\top & 0 \end{smallmatrix}\right)$, which has zero diagonal, so by
# {prf:ref}`prop-hopfield-descent` (applied to the block of bits being updated, which do not
# interact) the energy $-a^\top M b$ never rises.

# %%
bam = chapter.run_bam(n=100, p=100, pairs=(5, 10, 15, 20, 25, 30, 40), seeds=5)
print("recall rate, m =", bam["pairs"].int().tolist(), ":", np.round(bam["rate"].mean(dim=0).numpy(), 2))
bridge = chapter.hebbian_bridge()
print(f"max |first gradient step - sum_x b_x e_x^T| = {bridge:.1e}")

# %% tags=["remove-cell"]
style.glue_figure("hopfield-bam", chapter.draw_bam(bam))
section = "Hetero-association: the bidirectional associative memory"
rate = bam["rate"].mean(dim=0)
pairs = bam["pairs"].int().tolist()
assert ledger.check("bam-energy-never-rises", bam["max_increase"], upper=0.0, section=section,
                    claim="largest change of -a^T M b over every half-step of 35 BAM runs (n = p = 100)", reference="Kosko 1988")
assert ledger.check("bam-recall-few-pairs", rate[: pairs.index(10) + 1].min(), lower=0.9, section=section,
                    claim="recall rate (pair returned exactly from its key), mean over 5 seeds, lowest at m = 5 and 10", reference="Kosko 1988")
assert ledger.check("bam-recall-collapses", rate[pairs.index(30)], upper=0.1, section=section,
                    claim="recall rate at m = 30 pairs, mean over 5 seeds", reference="Kosko 1988")
assert ledger.check("bam-recall-at-20", rate[pairs.index(20)], upper=0.6, section=section,
                    claim="recall rate at m = 20 pairs, mean over 5 seeds (already below the one-step rate)")
assert ledger.check("bridge-first-step-is-bam", bridge, upper=1e-12, section=section,
                    claim="max |-grad L(0) - sum_x b_x e_x^T|, b_x = p(x) (u_f*(x) - mean u): the first gradient step is a BAM matrix")
for m in (5, 10, 20, 30):
    ledger.quote(f"bam_{m}", rate[pairs.index(m)], "{:.2f}")
    ledger.quote(f"bam_one_{m}", bam["one_step"].mean(dim=0)[pairs.index(m)], "{:.2f}")
    ledger.quote(f"bam_theory_{m}", bam["theory"][pairs.index(m)], "{:.2f}")

# %% [markdown]
# ```{glue:figure} hopfield-bam
# :name: fig-hopfield-bam
# :alt: Left: the energy -a transpose M b along alternating half-steps for eight keys with 30 percent flipped, each curve non-increasing and flat after a few steps. Right: recall rate against the number of pairs from 5 to 40, near 1 up to 10 and near 0 from 30, with the one-step rate above it and its Gaussian estimate.
#
# Left: the energy $-a^\top M b$ along the alternating updates never rises. Right: recall of
# the pair from its key against the number of stored pairs ($n = p = 100$, 5 seeds), with the
# one-step recall of $b$ and its Gaussian estimate $(1 - \Phi(-\sqrt{n/(m-1)}))^p$.
# ```
#
# | pairs $m$ | 5 | 10 | 20 | 30 |
# |---|---|---|---|---|
# | pair recalled exactly (dynamics) | {glue:}`bam_5` | {glue:}`bam_10` | {glue:}`bam_20` | {glue:}`bam_30` |
# | $b$ exact after one step | {glue:}`bam_one_5` | {glue:}`bam_one_10` | {glue:}`bam_one_20` | {glue:}`bam_one_30` |
# | one-step Gaussian estimate | {glue:}`bam_theory_5` | {glue:}`bam_theory_10` | {glue:}`bam_theory_20` | {glue:}`bam_theory_30` |
#
# The estimate treats the crosstalk on each of the $p$ bits of $b$ as an independent Gaussian
# of variance $(m-1) n$ against a signal $n$; the dynamics recall fewer pairs than one step
# does, because the pair must also survive the backward step, which sees the same crosstalk.
#
# **The bridge to this book's memory.** Equation {eq}`eq-bam` is the matrix that the first
# gradient step of {ref}`chap-associative-memory` writes: by {prf:ref}`prop-hebbian-step`,
# $-\nabla L(0) = \sum_x p(x) (u_{f^*(x)} - \bar u)\, e_x^\top$, a sum of outer products of
# values $b_x = p(x)(u_{f^*(x)} - \bar u)$ and keys $e_x$ (checked above to
# $10^{-12}$ on random embeddings). Kosko reads it by sign and iterates; the memory of this
# book reads it once, by $\arg\max_y u_y^\top W e_x$, and gradient descent then corrects the
# crosstalk that limits the BAM to a few dozen pairs here.
#
# ## Try it
#
# The widget cues 40 of the $K = \kappa d$ stored patterns ($d = 200$) and shows the overlap
# of each state with its pattern along synchronous updates. Move the load across $0.138$ and
# the noise of the cues, and watch the retrieval state disappear.

# %%
chapter.widget()

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-hopfield-noise
#
# Before moving the slider, predict: at load $\kappa = 0.1$, how much cue noise can the network
# clean? Will 30 % of flipped bits still be retrieved? Then check with the widget, and explain
# the answer with the overlap of the cue with its pattern.
# ```
#
# ```{solution} ex-hopfield-noise
# :class: dropdown
#
# A cue with a fraction $\rho$ of flipped bits has overlap $1 - 2\rho$ with its pattern: $0.8$
# at 10 %, $0.4$ at 30 %. The first update multiplies the signal by this overlap while the
# crosstalk stays of size $\sqrt{\kappa}$, so at $\kappa = 0.1$ the signal-to-noise ratio of
# the first step drops from $0.8 / 0.32 \approx 2.5$ to $0.4 / 0.32 \approx 1.3$: many bits are
# wrong after the first step, and a large share of the cues falls into another basin.
# The widget shows almost every cue retrieved at 20 % and a share of them lost at 30 %; move
# the load to 0.15 and the losses at 30 % grow quickly: the basins of attraction shrink as the
# load grows, well before the capacity.
# ```
#
# ```{exercise}
# :label: ex-hopfield-fixed-threshold
#
# Use the estimate $P(\text{all fixed}) \approx \exp(-dK\,\Phi(-\sqrt{d/K}))$ to predict the $K$
# at which the probability is $1/2$ for $d = 400$; compare with $d / (2 \ln d)$, then measure it
# with `chapter.run_fixed_points(d=400, Ks=range(20, 45, 3), trials=100)`.
# ```
#
# ```{solution} ex-hopfield-fixed-threshold
# :class: dropdown
#
# With $\Phi(-x) \approx e^{-x^2/2} / (x \sqrt{2\pi})$, solving $dK\,\Phi(-\sqrt{d/K}) = \ln 2$
# numerically gives $K \approx 33$ for $d = 400$, against $d / (2 \ln d) \approx 33.4$: the two
# agree to leading order, since $dK e^{-d/2K}$ stays of order one at $K = d / (2 \ln d)$
# up to the slowly varying prefactor. As at $d = 200$, expect the measured crossing to sit
# above the estimate's: the estimate is pessimistic near the threshold (see the figure).
# ```
