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
# (chap-dense-memories)=
# # Dense memories and modern Hopfield networks
#
# ```{admonition} In this chapter
# **You will learn** how a sharper separation function $F$ in the energy
# $-\sum_\mu F(\langle \xi^\mu, s \rangle)$ raises the capacity from $d$ to $d^{a-1}$ to
# exponential in $d$, measured up to the failure of each memory; why the modern Hopfield
# update $s \leftarrow \Xi^\top \operatorname{softmax}(\beta \Xi s)$ never raises its energy and is
# one attention head; how $\beta$ moves its fixed points from the global average through
# metastable averages to single patterns; and why sparsemax retrieves correlated patterns
# (handwritten digits) exactly where the softmax is only close.
#
# **Prerequisites**: {ref}`chap-hopfield` (the classical network, its energy and capacity);
# the softmax and convex functions.
#
# **Run time**: about 15 s on a laptop CPU.
# ```
#
# ## Separation functions and the capacity ladder
#
# The classical network's energy is, up to a constant,
# $-\tfrac{1}{2d} \sum_\mu \langle \xi^\mu, s \rangle^2$: a quadratic function of the overlaps.
# Krotov and Hopfield {cite}`krotov2016dense` replaced the square by a *separation function*
# $F$, giving the **dense associative memory**
#
# $$
# E(s) = -\sum_{\mu=1}^K F\big(\langle \xi^\mu, s \rangle\big), \qquad
# s_i \leftarrow \operatorname{sgn} \sum_\mu \Big[ F\big(\xi^\mu_i + h^\mu_i\big) - F\big(-\xi^\mu_i + h^\mu_i\big) \Big],
# \quad h^\mu_i = \sum_{j \ne i} \xi^\mu_j s_j ,
# $$ (eq-dense-update)
#
# where the update gives each bit the sign of lower energy, the other bits held fixed. With
# $F(z) = z^2$ the bracket is $4 \xi^\mu_i h^\mu_i$: the classical network. With $F(z) = z^a$ the
# pattern nearest to the state dominates the sum by a factor that grows with $a$.
#
# **An estimate of the capacity.** In the state $s = \xi^1$, the cued pattern contributes
# about $2a\, d^{a-1} \xi^1_i$ to the bracket of bit $i$. Each other pattern contributes
# $\approx 2a\, (h^\mu)^{a-1} \xi^\mu_i$ with $h^\mu$ a sum of $d$ random signs, a term of mean zero
# and variance $(2a)^2\, \mathbb{E}[(h^\mu)^{2a-2}] \approx (2a)^2 (2a-3)!!\, d^{a-1}$. The ratio of
# signal to noise is $\sqrt{d^{a-1} / (K (2a-3)!!)}$, and asking that no bit of any pattern flips,
# $dK\, e^{-\text{ratio}^2/2} \lesssim 1$, gives
#
# $$
# K_{\max} \approx \frac{d^{a-1}}{2\,(2a-3)!!\, \ln d},
# $$ (eq-dense-capacity)
#
# which is $d / (2 \ln d)$ for $a = 2$ and the scaling of {cite:t}`krotov2016dense`. With
# $F = \exp$ the capacity becomes exponential in $d$ {cite}`demircigil2017model`: the cue, with a
# fraction $\rho$ of flipped bits, has overlap $(1 - 2\rho) d$ with its pattern, while the
# largest overlap among $K$ random patterns is about $\sqrt{2 d \ln K}$; the first wins until
# $K \approx e^{(1-2\rho)^2 d / 2}$.
#
# We measure the fraction of cues (10 % of bits flipped) retrieved *exactly* after at most
# four synchronous updates, with $K$ on a log axis up to the failure of each memory. The update
# is computed without overflow for any power and any $d$ (`models.dense` rescales the terms by
# a power of two, or subtracts the largest overlap inside the exponential).

# %%
import numpy as np
import torch

from assocmem import claims, tiers
from assocmem.chapters.beyond import dense_memories as chapter
from assocmem.models import dense, modern
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("dense_memories", title="Dense memories and modern Hopfield networks")
paper = tiers.current() == "paper"

ladder = chapter.run_ladder(d=100, seeds=5 if paper else 3, cues=32 if paper else 12)
for sep, (Ks, f) in ladder["curves"].items():
    print(f"{chapter.label(sep):>14}: half retrieved at K = {chapter.crossing(Ks, f):,.0f}")

# %% tags=["remove-cell"]
style.glue_figure("dense-ladder", chapter.draw_ladder(ladder))
section = "Separation functions and the capacity ladder"
curve = {sep: dict(zip(*ladder["curves"][sep])) for sep in chapter.SEPARATIONS}


def at(sep, K):
    """Fraction retrieved at the grid point nearest to K."""
    grid = np.array(list(curve[sep]))
    return curve[sep][int(grid[np.argmin(abs(np.log(grid / K)))])]


p2, p3, p4 = ("power", 2), ("power", 3), ("power", 4)
assert ledger.check("z2-fails-by-50", max(at(p2, 56), at(p2, 100)), upper=0.05, section=section,
                    claim="F = z^2, d = 100: fraction retrieved at K = 56 and 100 (largest)", reference="Hopfield 1982")
assert ledger.check("z3-holds-at-200", at(p3, 178), lower=0.95, section=section,
                    claim="F = z^3, d = 100: fraction retrieved at K = 178", reference="Krotov & Hopfield 2016")
assert ledger.check("z3-fails-by-1000", at(p3, 1000), upper=0.05, section=section,
                    claim="F = z^3, d = 100: fraction retrieved at K = 1000", reference="Krotov & Hopfield 2016")
assert ledger.check("z4-holds-at-1000", min(at(p4, 1000), at(p4, 3162)), lower=0.95, section=section,
                    claim="F = z^4, d = 100: fraction retrieved at K = 1000 and 3162 (smallest)", reference="Krotov & Hopfield 2016")
assert ledger.check("z4-fails-by-17783", at(p4, 17783), upper=0.05, section=section,
                    claim="F = z^4, d = 100: fraction retrieved at K = 17783", reference="Krotov & Hopfield 2016")
assert ledger.check("exp-holds", min(ladder["curves"]["exp"][1]), lower=0.95, section=section,
                    claim="F = exp, d = 100: smallest fraction retrieved over K = 10 ... 17783", reference="Demircigil et al. 2017")
for a in (2, 3, 4):
    measured = chapter.crossing(*ladder["curves"][("power", a)])
    estimate = dense.capacity_estimate(100, a)
    ledger.quote(f"half_{a}", measured, "{:,.0f}")
    ledger.quote(f"estimate_{a}", estimate, "{:,.0f}")
    assert ledger.check(f"z{a}-crossing-vs-estimate", measured / estimate, lower=0.5, upper=3.0, section=section,
                        claim=f"F = z^{a}, d = 100: K at which half the cues are retrieved, over the estimate d^(a-1) / (2 (2a-3)!! ln d)",
                        reference="Krotov & Hopfield 2016")
small = {n: chapter.crossing(*ladder["small"][n]) for n in ladder["small"]}
for n, K in small.items():
    ledger.quote(f"exp_half_{n}", K, "{:,.0f}")
    ledger.quote(f"exp_estimate_{n}", chapter.exp_estimate(n, 0.1), "{:,.0f}")
growth = np.log(small[24] / small[16]) / 8
ledger.quote("exp_growth", growth, "{:.2f}")
assert ledger.check("exp-capacity-grows-exponentially", growth, lower=0.15, upper=0.64, section=section,
                    claim="F = exp: growth of ln K_half per added bit between d = 16 and d = 24 (estimate (1 - 2 rho)^2 / 2 = 0.32)",
                    reference="Demircigil et al. 2017")

# %% [markdown]
# ```{glue:figure} dense-ladder
# :name: fig-dense-ladder
# :alt: Left: fraction of cues retrieved exactly against K on a log axis for d = 100. The z squared memory fails between 10 and 32 patterns, z cubed between 316 and 1000, z to the fourth between 5600 and 17800; the exponential memory retrieves every cue up to 17800. Dashed vertical lines mark the estimates in the colour of each curve. Right: the exponential memory at d = 16, 20 and 24 fails at K that grows by a constant factor per added bit, with dashed estimates.
#
# The capacity ladder: each power of $F$ multiplies the capacity by about $d$ (dashed: the
# estimate {eq}`eq-dense-capacity`); the exponential memory does not fail within reach at
# $d = 100$, so the right panel measures it at small $d$ (dashed: $e^{(1-2\rho)^2 d / 2}$).
# ```
#
# | separation $F$ | $z^2$ | $z^3$ | $z^4$ |
# |---|---|---|---|
# | $K$ with half the cues retrieved (measured, $d = 100$) | {glue:}`half_2` | {glue:}`half_3` | {glue:}`half_4` |
# | estimate {eq}`eq-dense-capacity` | {glue:}`estimate_2` | {glue:}`estimate_3` | {glue:}`estimate_4` |
#
# The measured half-way points sit within a small factor above the estimate, which asks for no
# error among all $dK$ bits rather than among the $d$ bits of one cue. For $F = \exp$,
# the half-way point is at $K =$ {glue:}`exp_half_16`, {glue:}`exp_half_20` and
# {glue:}`exp_half_24` for $d = 16, 20, 24$, against the estimates {glue:}`exp_estimate_16`,
# {glue:}`exp_estimate_20` and {glue:}`exp_estimate_24`: $\ln K$ grows by {glue:}`exp_growth`
# per added bit, against $(1 - 2\rho)^2/2 = 0.32$. The estimate has the right exponential form;
# at such small $d$ the measured curves fall slowly, and their slope is lower than the estimate's.
#
# ## Modern Hopfield networks
#
# Ramsauer et al. {cite}`ramsauer2021hopfield` took $F = \exp$ for *continuous* states
# $s \in \mathbb{R}^d$, with real patterns $\xi^\mu$ and the energy
#
# $$
# E(s) = -\beta^{-1} \log \sum_{\mu=1}^K e^{\beta \langle \xi^\mu, s \rangle} + \tfrac12 \lVert s \rVert^2
# + \beta^{-1} \log K + \tfrac12 \max_\mu \lVert \xi^\mu \rVert^2 ,
# $$ (eq-modern-energy)
#
# whose update is
#
# $$
# s \leftarrow \Xi^\top \operatorname{softmax}(\beta\, \Xi s) = \sum_\mu \operatorname{softmax}_\mu(\beta \langle \xi^\mu, s \rangle)\, \xi^\mu .
# $$ (eq-modern-update)
#
# ```{prf:proposition} The modern update never raises the energy
# :label: prop-modern-descent
#
# For any $\beta > 0$, patterns $\Xi$ and state $s_t$, the update {eq}`eq-modern-update` gives
# $E(s_{t+1}) \le E(s_t)$. The same holds for any convex $\Psi$ in place of
# $\operatorname{lse}(z) = \log \sum_\mu e^{z_\mu}$, with the update $s \leftarrow \Xi^\top \nabla\Psi(\beta \Xi s)$.
# ```
#
# ```{prf:proof}
# Write $E = \tfrac12 \lVert s \rVert^2 - g(s) + c$ with $g(s) = \beta^{-1} \Psi(\beta \Xi s)$, convex,
# and $\nabla g(s) = \Xi^\top \nabla \Psi(\beta \Xi s)$. A convex function lies above its tangents:
# $g(s) \ge g(s_t) + \langle \nabla g(s_t), s - s_t \rangle$, so
# $E(s) \le U(s) := \tfrac12 \lVert s \rVert^2 - g(s_t) - \langle \nabla g(s_t), s - s_t \rangle + c$, with
# equality at $s = s_t$. The quadratic $U$ is minimised at $s = \nabla g(s_t) = s_{t+1}$, so
# $E(s_{t+1}) \le U(s_{t+1}) \le U(s_t) = E(s_t)$. This is the concave-convex procedure. For
# $\Psi = \operatorname{lse}$, $\nabla\Psi$ is the softmax.
# ```
#
# The update is one attention head {cite}`vaswani2017attention`: the state is the query, the
# patterns are the keys and the values, and $\beta$ is the scale of the scores. The package's
# `modern.step` and PyTorch's `scaled_dot_product_attention` agree to rounding:

# %%
gap = chapter.attention_gap(K=500, d=64, beta=4.0)
descent = chapter.run_energy(K=1000, d=64, beta=8.0)
print(f"max |modern.step - scaled_dot_product_attention| = {gap:.1e}")
print("largest energy increase over 12 updates:", {sep: f"{E.diff(dim=1).max().item():.1e}" for sep, E in descent["energies"].items()})

# %% tags=["remove-cell"]
style.glue_figure("modern-energy", chapter.draw_energy(descent))
section = "Modern Hopfield networks"
assert ledger.check("modern-is-attention", gap, upper=1e-12, section=section,
                    claim="max |modern Hopfield step - torch scaled_dot_product_attention| (K = 500, d = 64, beta = 4, 32 queries)",
                    reference="Ramsauer et al. 2021")
for sep, E in descent["energies"].items():
    assert ledger.check(f"{sep}-energy-never-rises", E.diff(dim=1).max(), upper=1e-12, section=section,
                        claim=f"largest energy change along 12 {sep} updates from 8 noisy queries (K = 1000, d = 64, beta = 8); rounding only",
                        reference="Ramsauer et al. 2021" if sep == "softmax" else "Hu et al. 2023")
    assert ledger.check(f"{sep}-energy-falls", (E[:, -1] - E[:, 0]).max(), upper=-1e-3, section=section,
                        claim=f"every {sep} run ends at least 1e-3 below its starting energy (the descent is not flat)")
ledger.quote("sparse_settle", int((descent["energies"]["sparsemax"].diff(dim=1).abs() > 0).sum(dim=1).max()), "{:.0f}")

# %% [markdown]
# ```{glue:figure} modern-energy
# :name: fig-modern-energy
# :alt: Two panels of energy above its final value on a log axis against the update number for eight noisy queries: with the softmax update the gaps fall geometrically towards rounding; with the sparsemax update they drop to zero after the first updates.
#
# The energies along repeated updates, above their final values: they never rise. The sparse
# energy (right, next section) reaches its minimum exactly, after at most
# {glue:}`sparse_settle` changing updates.
# ```
#
# ## Three kinds of fixed points
#
# How sharply one update selects a pattern depends on $\beta$. For $K$ random unit patterns in
# $d$ dimensions and a query near $\xi^1$, the other overlaps are about Gaussian with variance
# $1/d$, so the weight on $\xi^1$ is about
# $1 / \big(1 + (K-1)\, e^{\beta^2 / 2d - \beta}\big)$. Small $\beta$: every weight is about $1/K$
# and the update returns the **global average** of the patterns. Large $\beta$: the weight on
# $\xi^1$ is close to 1 and one update **retrieves the pattern** up to an error exponentially
# small in $\beta$. In between, the update returns a **metastable average** of the patterns
# nearest the query {cite}`ramsauer2021hopfield`.

# %%
phases = chapter.run_phases(d=64, Ks=(1000, 10_000, 100_000), queries=30)

# %% tags=["remove-cell"]
style.glue_figure("modern-phases", chapter.draw_phases(phases))
section = "Three kinds of fixed points"
betas = list(phases["betas"])
i8, i32, i05 = betas.index(8.0), betas.index(32.0), 0
err_32 = phases["error"][100_000][i32]
w_8 = phases["weight"][10_000][i8]
ledger.quote("err_32", err_32, "{:.1e}")
ledger.quote("w_8", w_8, "{:.2f}")
ledger.quote("w_8_theory", chapter.weight_theory(8.0, 10_000, 64), "{:.2f}")
ledger.quote("w_05", phases["weight"][10_000][i05] * 10_000, "{:.1f}")
assert ledger.check("beta-32-retrieves", err_32, upper=1e-3, section=section,
                    claim="median ||step(q) - xi|| after one update, beta = 32, K = 10^5 random unit patterns, d = 64, noisy queries",
                    reference="Ramsauer et al. 2021")
assert ledger.check("beta-8-metastable", w_8, upper=0.5, section=section,
                    claim="median largest attention weight, beta = 8, K = 10^4 (a metastable average)", reference="Ramsauer et al. 2021")
assert ledger.check("beta-8-averages-few", w_8 * 10_000, lower=100, section=section,
                    claim="that largest weight times K, beta = 8, K = 10^4 (far from the uniform 1 / K: an average of a few)")
assert ledger.check("small-beta-global-average", phases["weight"][10_000][i05] * 10_000, upper=3.0, section=section,
                    claim="median largest weight times K at beta = 0.5, K = 10^4 (close to the uniform weight 1 / K: the global average)",
                    reference="Ramsauer et al. 2021")
deviation = max(np.abs(phases["weight"][K] - chapter.weight_theory(phases["betas"], K, 64)).max() for K in phases["weight"])
ledger.quote("weight_deviation", deviation, "{:.2f}")
assert ledger.check("weight-follows-estimate", deviation, upper=0.2, section=section,
                    claim="largest |median largest weight - 1 / (1 + (K-1) e^(beta^2/2d - beta))| over every beta and K drawn")

# %% [markdown]
# ```{glue:figure} modern-phases
# :name: fig-modern-phases
# :alt: Left: median largest attention weight against beta on a log axis, rising from near zero to one, later for larger K, with dashed estimates close to the measurements. Right: the median distance of one update to the cued pattern, falling to zero at large beta, and to the mean of all patterns, small at small beta.
#
# One update for $K = 10^3, 10^4, 10^5$ random unit patterns in $d = 64$ from noisy queries.
# Left: the largest attention weight (dashed: the estimate, at most {glue:}`weight_deviation`
# away). Right: the update is at the global mean for small $\beta$ and at the pattern for large
# $\beta$.
# ```
#
# At $\beta = 32$ one update retrieves among $10^5$ patterns with a median error of
# {glue:}`err_32`. At $\beta = 8$ with $10^4$ patterns the largest weight is
# {glue:}`w_8` (estimate {glue:}`w_8_theory`): the update is an average of a few patterns, a
# metastable state. At $\beta = 0.5$ the largest weight is {glue:}`w_05` times the uniform
# $1/K$: the global average.
#
# ## Real patterns and sparse retrieval
#
# Random unit vectors are nearly orthogonal; digits are not. We store $M$ of the $8 \times 8$
# digits, centred (the mean image subtracted) and normalised, and query each with Gaussian
# noise of norm about $0.2$. Hu et al. {cite}`hu2023sparse` replace the softmax by
# **sparsemax** {cite}`martins2016softmax`, the Euclidean projection onto the simplex,
# $\operatorname{sparsemax}(z) = \arg\min_{p \in \Delta} \lVert p - z \rVert$, which sets to zero
# every weight whose score is more than a threshold below the top. It is the gradient of the
# convex $\Psi^*(z) = \langle p, z \rangle - \tfrac12 \lVert p \rVert^2$ (with $p = \operatorname{sparsemax}(z)$),
# so by {prf:ref}`prop-modern-descent` its update descends the sparse energy
# $-\beta^{-1}\Psi^*(\beta \Xi s) + \tfrac12 \lVert s \rVert^2$. Once the top score leads by more
# than $1/\beta$, the weight is one-hot and the retrieval **exact**, where the softmax only
# approaches the pattern exponentially.

# %%
sparse = chapter.run_sparse(Ms=(50, 100, 200, 500), betas=(2, 5, 10, 20, 50), seeds=3)
masked = chapter.run_sparse(Ms=(200,), betas=(5, 20, 50), seeds=3, kind="masked")
for sep in modern.SEPARATIONS:
    print(f"{sep:>9}: mean error at M = 200, beta = 2 ... 50:", np.round(sparse["error"][sep][2], 3))

# %% tags=["remove-cell"]
style.glue_figure("modern-sparse", chapter.draw_sparse(sparse))
style.glue_figure("modern-digits", chapter.draw_digit_examples(M=200, beta=20.0))
section = "Real patterns and sparse retrieval"
Ms, bs = list(sparse["Ms"]), list(sparse["betas"])
soft, sp = sparse["error"]["softmax"], sparse["error"]["sparsemax"]
assert ledger.check("sparsemax-below-softmax", (sp - soft).max(), upper=0.0, section=section,
                    claim="largest (sparsemax error - softmax error) over M = 50 ... 500 and beta = 2 ... 50 (mean over 3 seeds)",
                    reference="Hu et al. 2023")
assert ledger.check("sparsemax-much-better", (sp / soft)[:, 1:].max(), upper=0.5, section=section,
                    claim="largest ratio sparsemax error / softmax error at beta >= 5 (at least a factor 2 everywhere)", reference="Hu et al. 2023")
exact20 = sparse["exact"]["sparsemax"][: Ms.index(200) + 1, bs.index(20)]
assert ledger.check("sparsemax-exact-at-20", exact20.min(), lower=0.9, section=section,
                    claim="fraction of sparsemax retrievals exact (error < 1e-12) at beta = 20, lowest over M = 50, 100, 200",
                    reference="Hu et al. 2023")
assert ledger.check("softmax-never-exact-at-20", sparse["exact"]["softmax"][:, bs.index(20)].max(), upper=0.0, section=section,
                    claim="fraction of softmax retrievals with error < 1e-12 at beta = 20, largest over M")
i200 = Ms.index(200)
for name, value in (("soft_5", soft[i200, bs.index(5)]), ("sparse_5", sp[i200, bs.index(5)]), ("soft_20", soft[i200, bs.index(20)]),
                    ("exact_20", sparse["exact"]["sparsemax"][i200, bs.index(20)])):
    ledger.quote(name, value, "{:.3f}")
ledger.quote("masked_right_soft", masked["right"]["softmax"][0, 1], "{:.2f}")
ledger.quote("masked_right_sparse", masked["right"]["sparsemax"][0, 1], "{:.2f}")
ledger.quote("masked_exact", masked["exact"]["sparsemax"][0, 1], "{:.2f}")
assert ledger.check("masked-queries-fail", masked["right"]["sparsemax"][0, 1], upper=0.97, section=section,
                    claim="masked digits (lower half zeroed), M = 200, beta = 20: fraction whose sparsemax retrieval is nearest the right image")
assert ledger.check("masked-sparsemax-still-better", (masked["error"]["sparsemax"] - masked["error"]["softmax"]).max(), upper=0.0,
                    section=section, claim="masked digits: largest (sparsemax error - softmax error) over beta = 5, 20, 50", reference="Hu et al. 2023")

# %% [markdown]
# ```{glue:figure} modern-sparse
# :name: fig-modern-sparse
# :alt: Left: mean retrieval error against beta on log axes for M = 50, 100, 200 and 500 stored digits; the dashed sparsemax curves lie below the solid softmax curves and drop to exact zero from beta = 20. Right: fraction of exact sparsemax retrievals rising to one by beta = 20, the softmax fraction staying at zero.
#
# Softmax (solid) against sparsemax (dashed) on centred digits with noisy queries. Left: the
# mean error (exact retrievals drawn at $10^{-17}$). Right: the fraction retrieved exactly.
# ```
#
# | $M = 200$ digits | softmax | sparsemax |
# |---|---|---|
# | mean error at $\beta = 5$ | {glue:}`soft_5` | {glue:}`sparse_5` |
# | mean error at $\beta = 20$ | {glue:}`soft_20` | exact for a fraction {glue:}`exact_20` |
#
# These match the values that motivated the comparison (sparsemax about 0.05 against softmax
# about 0.5 at $\beta = 5$; softmax about 0.04 at $\beta = 20$); "every sparsemax retrieval exact at
# $\beta = 20$" holds for all but a few queries, not for all of them. Where retrieval fails is
# shown by **masked** queries, the lower half of the image blanked: the cue no longer
# identifies one stored image, and at $\beta = 20$ the retrieval is nearest the right image
# for a fraction {glue:}`masked_right_soft` (softmax) and {glue:}`masked_right_sparse`
# (sparsemax) of the queries; sparsemax is exact for a fraction {glue:}`masked_exact`, and
# its exact answer is sometimes another image.
#
# ```{glue:figure} modern-digits
# :name: fig-modern-digits
# :alt: Grid of 8 by 8 digit images in seven rows: noisy queries, their softmax and sparsemax retrievals, masked queries with the lower half blank, their softmax and sparsemax retrievals, and the stored digits.
#
# Six of $M = 200$ stored digits at $\beta = 20$, drawn with the mean image added back. Noisy
# queries (top three rows) are retrieved by both; the softmax output is a slightly blurred
# average, the sparsemax output is the stored image. Masked queries (rows 4 to 6, the blank
# half is not part of the query) are completed; the last two columns are queries that
# sparsemax completes into another stored image (here of the same digit class).
# ```
#
# Between the two lies the $\alpha$-entmax family {cite}`peters2019sparse`: $\alpha = 1$ is the
# softmax, $\alpha = 2$ is sparsemax, and values in between give sparse weights with softer
# thresholds; Hu et al. {cite}`hu2023sparse` state their sparse energy for this family too.
#
# ## Try it
#
# The widget queries one noisy digit against $M$ stored digits and shows the attention weights
# of softmax and sparsemax and the two retrievals. Lower $\beta$ until the softmax blurs the
# answer into an average while sparsemax still keeps only a few digits.

# %%
chapter.widget()

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-dense-power
#
# Predict from {eq}`eq-dense-capacity` at which $K$ the memory with $F(z) = z^5$ fails for
# $d = 30$. Then measure it: for a few $K$, `X = hopfield.random_patterns(K, 30, seed=0)` and
# `dense.retrieved_fraction(X, hopfield.corrupt(X[:20], 0.1, seed=1), ("power", 5))` (with
# `from assocmem.models import hopfield`). Why may the estimate be off for a large power at
# small $d$?
# ```
#
# ```{solution} ex-dense-power
# :class: dropdown
#
# $d^{a-1} / (2 (2a-3)!! \ln d) = 30^4 / (2 \cdot 105 \cdot 3.4) \approx 1130$. The estimate
# uses $\mathbb{E}[h^{2a-2}] \approx (2a-3)!!\, d^{a-1}$, the Gaussian moment of a sum of $d$
# signs; for $2a - 2$ comparable to $\sqrt d$ the true moments of a bounded sum are smaller, and
# the noise is dominated by the few patterns with the largest overlaps rather than by a
# Gaussian sum: the estimate becomes pessimistic.
# ```
#
# ```{exercise}
# :label: ex-modern-beta
#
# Before moving the slider, predict: with $M = 200$ digits, at which $\beta$ does the largest
# softmax weight of the widget's query pass one half? Then move $\beta$ and $M$. Does doubling
# $M$ shift that $\beta$ by much?
# ```
#
# ```{solution} ex-modern-beta
# :class: dropdown
#
# The weight on the cued digit is $1 / (1 + \sum_{\mu \ne 1} e^{-\beta \Delta_\mu})$ with
# $\Delta_\mu$ the gap between its score and digit $\mu$'s. Digits of the same class trail the
# cued one by small gaps, so a handful of neighbours within a gap $\Delta$ need
# $\beta \Delta \approx \ln(\text{their number})$: with gaps of a few tenths, $\beta$ of order 10.
# Doubling $M$ roughly doubles the number of close neighbours, which moves the threshold only
# by about $\ln 2 / \Delta$. Sparsemax reaches a one-hot weight once $\beta \Delta_{\min} \ge 1$.
# ```
