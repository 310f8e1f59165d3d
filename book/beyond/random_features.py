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
# (chap-random-features)=
# # A dense memory in a fixed number of weights
#
# ```{admonition} In this chapter
# **You will learn** how random Fourier features turn a dense associative memory, which
# keeps every stored pattern, into a single vector $T$ of $Y$ numbers to which a new memory
# is *added*; how large the error of that approximation is (its variance, derived exactly,
# decays like $1/Y$, the error like $Y^{-1/2}$); where it fails (far from the memories and at
# large inverse temperature); when the fixed-size memory is actually smaller and faster than
# the one it approximates; and why $T = \sum_\mu \phi(\xi^\mu)$ is once more a superposition of
# stored items.
#
# **Prerequisites**: {ref}`chap-hopfield` (dense memories and their energy),
# {ref}`chap-associative-memory` (memories as sums of outer products), gradient descent,
# expectations of cosines of Gaussian variables.
#
# **Run time**: about 25 s on a laptop CPU.
# ```
#
# ## Two representations of one energy
#
# The dense associative memories of {ref}`chap-hopfield` store $K$ patterns
# $\xi^1, \dots, \xi^K \in \mathbb{R}^D$ and retrieve by descending an energy. With the
# Gaussian similarity the energy is
#
# $$
# E(x) = -\frac{1}{\beta} \log \sum_{\mu = 1}^{K} \exp\!\Big(-\frac{\beta}{2} \lVert x - \xi^\mu \rVert^2\Big),
# \qquad
# \nabla E(x) = x - \sum_\mu \operatorname{softmax}_\mu\!\Big(-\frac{\beta}{2} \lVert x - \xi^\mu \rVert^2\Big)\, \xi^\mu ,
# $$ (eq-rf-mrdam)
#
# and a step of gradient descent moves the state towards a softmax-weighted average of the
# patterns. {cite:t}`hoover2024dense` call this the *memory representation* (MrDAM): the
# weights of the network are the patterns themselves, $K D$ numbers, and a new memory needs
# $D$ new weights.
#
# The sum in {eq}`eq-rf-mrdam` is a sum of kernel values $k(x, \xi^\mu)$ with the Gaussian
# kernel $k(x, y) = e^{-\beta \lVert x - y \rVert^2 / 2}$. Random Fourier features
# {cite}`rahimi2007random` write such a kernel as an expected inner product: draw a matrix
# $S \in \mathbb{R}^{Y \times D}$ with independent standard normal entries and phases
# $b \in [0, 2\pi)^Y$ uniformly, and set
#
# $$
# \phi(x) = \sqrt{2 / Y}\, \cos\!\big(\sqrt{\beta}\, S x + b\big) \in \mathbb{R}^Y .
# $$ (eq-rf-features)
#
# Then $\phi(x)^\top \phi(y)$ estimates $k(x, y)$, the whole sum is estimated by
# $\phi(x)^\top T$ with the single vector
#
# $$
# T = \sum_{\mu = 1}^{K} \phi(\xi^\mu) \in \mathbb{R}^Y, \qquad
# E_{\mathrm{Dr}}(x) = -\frac{1}{\beta} \log \phi(x)^\top T ,
# $$ (eq-rf-drdam)
#
# and storing a new pattern is $T \leftarrow T + \phi(\xi^{K+1})$: the number of weights stays
# $Y$ whatever $K$. This is the *distributed representation* (DrDAM). The matrix $S$ and the
# phases are not learned and need not be stored: they are redrawn from a seed. Far from the
# memories $\phi(x)^\top T$ can be zero or negative, where the logarithm does not exist; like
# the authors' `kernel_sims.py` we clip it at $10^{-5}$ (and the gradient is zero there).
# A second feature map pairs a cosine and a sine per frequency,
# $\phi(x) = \sqrt{2/Y}\,[\cos(\sqrt\beta S' x), \sin(\sqrt\beta S' x)]$ with $Y/2$ frequencies
# $S'$; it has the same number $Y$ of weights.
#
# ```{prf:proposition} The random-feature kernel is unbiased, with variance of order 1/Y
# :label: prop-rf-variance
#
# Let $k = e^{-\beta \lVert x - y \rVert^2 / 2}$. Over the draw of $S$ and $b$,
# $\mathbb{E}\, \phi(x)^\top \phi(y) = k$ for both feature maps, and
#
# $$
# \operatorname{Var}\, \phi(x)^\top \phi(y) =
# \begin{cases}
# \big(1 - k^2 + \tfrac12 k^4\big) / Y & \text{(cos with random phase)},\\
# (1 - k^2)^2 / Y & \text{(paired sin and cos)}.
# \end{cases}
# $$ (eq-rf-variance)
#
# For the whole sum, with $a_\mu = x - \xi^\mu$ and $k_\mu = k(x, \xi^\mu)$ (cos features),
#
# $$
# Y \operatorname{Var}\, \phi(x)^\top T = \sum_{\mu, \nu}
# \Big[ k(\xi^\mu, \xi^\nu) + \tfrac12 e^{-\beta \lVert a_\mu + a_\nu \rVert^2 / 2} - k_\mu k_\nu \Big].
# $$ (eq-rf-sum-variance)
# ```
#
# ```{prf:proof}
# A row $s$ of $\sqrt\beta S$ is $\mathcal N(0, \beta I)$, whose characteristic function gives
# $\mathbb{E} \cos(s^\top v) = e^{-\beta \lVert v \rVert^2/2} = k(v)$ for any vector $v$. With
# $\delta = x - y$, one cos feature contributes $\tfrac{2}{Y} \cos(s^\top x + b)\cos(s^\top y + b)
# = \tfrac{1}{Y}[\cos(s^\top \delta) + \cos(s^\top(x + y) + 2b)]$; the second cosine averages to
# zero over the uniform phase, so each of the $Y$ independent terms has mean $k/Y$. Its second
# moment is $\tfrac{1}{Y^2}[\mathbb{E}\cos^2(s^\top\delta) + \tfrac12]$ (the cross term again
# averages to zero over $b$), and $\mathbb{E}\cos^2(s^\top \delta) = \tfrac12 (1 + k(2\delta)) = \tfrac12(1 + k^4)$.
# So each term has variance $(1 + \tfrac12 k^4 - k^2)/Y^2$, and the $Y$ terms add to the first
# line of {eq}`eq-rf-variance`. For the paired map the $Y/2$ terms are
# $\tfrac{2}{Y}\cos(s^\top \delta)$, of mean $2k/Y$ and variance $\tfrac{4}{Y^2}[\tfrac12(1 + k^4) - k^2]$,
# which add to $(1 - k^2)^2/Y$. For the sum, the terms of one feature for different memories
# share $s$ and $b$ and are correlated; the same two identities give
# $\mathbb{E}[z_\mu z_\nu] = k(\xi^\mu - \xi^\nu) + \tfrac12 k(a_\mu + a_\nu)$ for
# $z_\mu = \cos(s^\top a_\mu) + \cos(s^\top(x + \xi^\mu) + 2b)$, and subtracting
# $\mathbb{E} z_\mu\, \mathbb{E} z_\nu = k_\mu k_\nu$ gives {eq}`eq-rf-sum-variance`.
# ```
#
# Two consequences shape everything below. The error of the estimate decays like
# $Y^{-1/2}$, slowly: four times as many features halve it. And for well-separated memories
# only the diagonal terms of {eq}`eq-rf-sum-variance` survive, each close to $1$ for a memory
# far from $x$: *every* stored pattern adds about $1/Y$ to the variance at every query, while
# the signal is only the kernel of the few memories near the query. The relative error is
# about $\sqrt{K / Y} / \sum_\mu k_\mu$, large where the exact sum is small: far from the
# memories, and at large $\beta$ where the kernel is narrow. The paired features remove the
# variance of the near memories ($k \to 1$) but not that of the far ones ($k \to 0$), so they
# help little at a query. We check the proposition by Monte Carlo over 300 draws of the
# features for pairs of points at five distances.

# %%
import numpy as np
import torch

from assocmem import claims, tiers
from assocmem.chapters.beyond import random_features as chapter
from assocmem.models import random_features as rf
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("random_features", title="A dense memory in a fixed number of weights")
paper = tiers.current() == "paper"  # the paper tier: 5 seeds of 40 queries instead of 3 of 20
seeds, num_queries = (tuple(range(5)), 40) if paper else ((0, 1, 2), 20)

variance = chapter.variance_run(num_features=64, num_seeds=300)
for kind in rf.KINDS:
    print(f"{kind:>6}: Monte Carlo / derived variance =", np.round(variance.empirical[kind] / variance.formula[kind], 2))
style.glue_figure("random-features-variance", chapter.draw_variance(variance))

# %% tags=["remove-cell"]
section = "Two representations of one energy"
reference = "Hoover et al. 2024; Rahimi & Recht 2007"
ratios = np.concatenate([variance.empirical[k] / variance.formula[k] for k in rf.KINDS])
assert ledger.check("kernel-unbiased", max(variance.mean_error.values()), upper=4.0, section=section, reference=reference,
                    claim="largest |mean of 300 estimates - exact kernel| in standard errors, 5 pairs, both feature maps (Y = 64)")
assert ledger.check("variance-formula-low", ratios.min(), lower=0.75, section=section, reference=reference,
                    claim="smallest ratio of Monte Carlo variance (300 draws) to the derived variance, 5 pairs x 2 maps")
assert ledger.check("variance-formula-high", ratios.max(), upper=1.33, section=section, reference=reference,
                    claim="largest ratio of Monte Carlo variance (300 draws) to the derived variance, 5 pairs x 2 maps")
close_ratio = variance.empirical["sincos"][-1] / variance.empirical["cos"][-1]
assert ledger.check("sincos-near-pairs", close_ratio, upper=0.1, section=section, reference=reference,
                    claim="Monte Carlo variance of paired sin/cos over cos features for a pair with k = 0.95")
far_ratio = variance.empirical["sincos"][0] / variance.empirical["cos"][0]
assert ledger.check("sincos-far-pairs", far_ratio, lower=0.8, section=section, reference=reference,
                    claim="Monte Carlo variance of paired sin/cos over cos features for a pair with k = 0.02 (no gain far away)")
ledger.quote("rf_ratio_lo", ratios.min(), "{:.2f}")
ledger.quote("rf_ratio_hi", ratios.max(), "{:.2f}")
ledger.quote("rf_close_ratio", 100 * close_ratio, "{:.0f}")

# %% [markdown]
# ```{glue:figure} random-features-variance
# :name: fig-random-features-variance
# :alt: Variance of one random-feature kernel estimate, times Y, against the exact kernel value, for cos and paired sin/cos features; Monte Carlo dots lie on the derived curves.
#
# $Y$ times the variance of $\phi(x)^\top \phi(y)$ against the exact kernel value: the
# curves are {eq}`eq-rf-variance`, the dots 300 independent draws of $Y = 64$ features. Look at
# the two ends: close pairs ($k \to 1$) are estimated exactly by the paired features, distant
# pairs ($k \to 0$) equally badly by both.
# ```
#
# The Monte Carlo variances are {glue:}`rf_ratio_lo` to {glue:}`rf_ratio_hi` times the derived
# ones. For the closest pair the paired features have {glue:}`rf_close_ratio` % of the variance
# of the cos features; for the most distant pair they are no better.
#
# ## The energy on a slice
#
# We take the setting of the measurements below: $K = 64$ memories drawn from
# $\mathcal N(0, 1.5^2 I)$ in $D = 8$ dimensions, $\beta = 1$. The figure shows both energies on
# the plane through three of the memories (the other 61 lie off the plane, but their features
# still add noise to $T$).

# %%
energies = chapter.slice_run(num_features=(256, 2048, 16384), beta=1.0, seed=0)
style.glue_figure("random-features-slice", chapter.draw_slice(energies))

# %% tags=["remove-cell"]
near = np.min(np.stack([np.hypot(*np.meshgrid(energies.u - a, energies.v - b)) for a, b in energies.anchors]), axis=0) < 1.0
slice_error = {y: np.median(np.abs(e - energies.exact)[near]) for y, e in energies.approx.items()}
clipped = {y: np.mean(e >= -np.log(rf.EPS) / energies.beta - 1e-9) for y, e in energies.approx.items()}
section = "The energy on a slice"
assert ledger.check("slice-error-falls", slice_error[256] / slice_error[16384], lower=4.0, section=section,
                    claim="median |E_Dr - E| within distance 1 of the three memories: Y = 256 over Y = 16384 (Y^-1/2 predicts 8)",
                    reference="Hoover et al. 2024")
assert ledger.check("slice-clipped-far", clipped[16384], lower=0.02, section=section,
                    claim="fraction of the slice where the DrDAM sum is clipped at eps even with Y = 16384 (noise far from memories)",
                    reference="Hoover et al. 2024")
ledger.quote("slice_err_small", slice_error[256], "{:.2f}")
ledger.quote("slice_err_large", slice_error[16384], "{:.3f}")
ledger.quote("slice_clip_small", 100 * clipped[256], "{:.0f}")
ledger.quote("slice_clip_large", 100 * clipped[16384], "{:.0f}")

# %% [markdown]
# ```{glue:figure} random-features-slice
# :name: fig-random-features-slice
# :alt: Four heat maps of the energy on the plane through three of 64 memories in eight dimensions; the exact energy has three smooth wells, DrDAM is noisy at 256 features and resembles the exact energy near the memories at 16384.
#
# The exact energy (left) and DrDAM's for $Y = 256$, $2048$ and $16\,384$ features, one colour
# scale; crosses mark the three memories in the plane. Yellow is the clipped value
# $-\beta^{-1} \log 10^{-5}$ or more: for DrDAM, where its estimate is below $10^{-5}$. Look at the wells: they sharpen into the exact ones as $Y$ grows, while
# the region between and beyond them stays a patchwork.
# ```
#
# Within distance 1 of the three memories the median energy error falls from
# {glue:}`slice_err_small` at $Y = 256$ to {glue:}`slice_err_large` at $Y = 16\,384$. Far from
# them the estimate is noise around zero: {glue:}`slice_clip_small` % of the slice is clipped at
# $Y = 256$ and still {glue:}`slice_clip_large` % at $Y = 16\,384$, where the exact energy rises
# smoothly.
#
# ## Errors against the number of features
#
# Now the measurement: {glue:}`rf_num_queries` queries per seed, each a memory plus $\mathcal N(0, 0.3^2 I)$ noise,
# {glue:}`rf_num_seeds` seeds (memories, noise and features redrawn), 100 gradient steps of size 0.1 on each
# energy. Two errors: the relative error of the kernel sum $\phi(q)^\top T$ at the queries, and
# the distance between the states where DrDAM's and MrDAM's descents end.

# %%
errors = chapter.error_run(num_features=(256, 1024, 4096, 16384), seeds=seeds, num_queries=num_queries)
slopes = [chapter.loglog_slope(errors.num_features, d) for d in errors.distance]
print("median relative error of phi(q)^T T:", np.round(errors.pooled(errors.kernel_errors), 3))
print("median end-state distance:          ", np.round(errors.pooled(errors.distances), 2))
print("fitted log-log slopes of the distance, per seed:", np.round(slopes, 2))
style.glue_figure("random-features-errors", chapter.draw_errors(errors))

# %% tags=["remove-cell"]
section = "Errors against the number of features"
reference = "Hoover et al. 2024"
kernel_pooled, distance_pooled = errors.pooled(errors.kernel_errors), errors.pooled(errors.distances)
kernel_slopes = [chapter.loglog_slope(errors.num_features, e) for e in errors.kernel_error]
assert ledger.check("kernel-error-decreases", bool(np.all(np.diff(kernel_pooled) < 0)), section=section, reference=reference,
                    claim=f"median relative error of phi(q)^T T ({len(seeds) * num_queries} queries, {len(seeds)} seeds) decreases at every step Y = 256, 1024, 4096, 16384")
assert ledger.check("distance-decreases", bool(np.all(np.diff(errors.distance, axis=1) < 0)), section=section, reference=reference,
                    claim=f"median DrDAM-MrDAM end-state distance decreases at every step of Y, for each of {len(seeds)} seeds")
assert ledger.check("distance-slope-steepest", min(slopes), lower=-0.8, section=section, reference=reference,
                    claim=f"steepest fitted log-log slope of the end-state distance against Y over {len(seeds)} seeds")
assert ledger.check("distance-slope-shallowest", max(slopes), upper=-0.3, section=section, reference=reference,
                    claim=f"shallowest fitted log-log slope of the end-state distance against Y over {len(seeds)} seeds")
assert ledger.check("kernel-slope-steepest", min(kernel_slopes), lower=-0.8, section=section, reference=reference,
                    claim=f"steepest fitted log-log slope of the kernel-sum relative error against Y over {len(seeds)} seeds (theory -1/2)")
assert ledger.check("kernel-slope-shallowest", max(kernel_slopes), upper=-0.3, section=section, reference=reference,
                    claim=f"shallowest fitted log-log slope of the kernel-sum relative error against Y over {len(seeds)} seeds")
derived_ratio = kernel_pooled / errors.predicted.mean(0)
assert ledger.check("derived-error-low", derived_ratio.min(), lower=0.4, section=section,
                    claim="measured median relative error over the derived RMS relative error (eq-rf-sum-variance), smallest over Y")
assert ledger.check("derived-error-high", derived_ratio.max(), upper=1.1, section=section,
                    claim="measured median relative error over the derived RMS relative error, largest over Y (0.67 for a Gaussian error)")
moved = np.median(errors.moved)
assert ledger.check("small-y-worse-than-standing-still", distance_pooled[0] / moved, lower=1.0, section=section,
                    claim="at Y = 256: median end-state distance over the median distance MrDAM moves a query")
assert ledger.check("large-y-close", distance_pooled[-1] / moved, upper=0.35, section=section,
                    claim="at Y = 16384: median end-state distance over the median distance MrDAM moves a query")
for i, y in enumerate(errors.num_features):
    ledger.quote(f"rf_kerr_{y}", kernel_pooled[i], "{:.3f}")
    ledger.quote(f"rf_dist_{y}", distance_pooled[i], "{:.2f}")
ledger.quote("rf_num_queries", num_queries, "{:.0f}")
ledger.quote("rf_num_seeds", len(seeds), "{:.0f}")
ledger.quote("rf_slope_lo", min(slopes), "{:.2f}")
ledger.quote("rf_slope_hi", max(slopes), "{:.2f}")
ledger.quote("rf_kslope_lo", min(kernel_slopes), "{:.2f}")
ledger.quote("rf_kslope_hi", max(kernel_slopes), "{:.2f}")
ledger.quote("rf_moved", moved, "{:.2f}")
ledger.quote("rf_derived_lo", derived_ratio.min(), "{:.2f}")
ledger.quote("rf_derived_hi", derived_ratio.max(), "{:.2f}")

# %% [markdown]
# ```{glue:figure} random-features-errors
# :name: fig-random-features-errors
# :alt: Two log-log panels against the number of random features Y from 256 to 16384; both the kernel-sum error and the end-state distance fall along the Y to the minus one half guide, for three seeds.
#
# Left: median relative error of the kernel sum at the queries, one line per seed, the
# derived RMS error {eq}`eq-rf-sum-variance` dotted. Right: median distance between the DrDAM
# and MrDAM end states. The dashed guides have slope $-1/2$; both errors follow them.
# ```
#
# Pooled over the seeds, and next to the numbers measured when this chapter was planned
# (40 queries, one seed):
#
# | $Y$ | 256 | 1024 | 4096 | 16384 |
# |---|---|---|---|---|
# | relative error of $\phi(q)^\top T$, here | {glue:}`rf_kerr_256` | {glue:}`rf_kerr_1024` | {glue:}`rf_kerr_4096` | {glue:}`rf_kerr_16384` |
# | the same, planned | 0.46 | 0.32 | 0.105 | 0.068 |
# | end-state distance, here | {glue:}`rf_dist_256` | {glue:}`rf_dist_1024` | {glue:}`rf_dist_4096` | {glue:}`rf_dist_16384` |
# | the same, planned | 1.51 | 1.07 | 0.41 | 0.20 |
#
# Both errors fall at every step. The fitted log-log slopes of the end-state distance lie
# between {glue:}`rf_slope_lo` and {glue:}`rf_slope_hi` over the seeds, those of the kernel
# error between {glue:}`rf_kslope_lo` and {glue:}`rf_kslope_hi`: the $Y^{-1/2}$ of
# {prf:ref}`prop-rf-variance`. The measured median error is {glue:}`rf_derived_lo` to
# {glue:}`rf_derived_hi` times the derived root-mean-square error (a Gaussian error would give
# 0.67). What the numbers do *not* say is that DrDAM finds the same attractor at small $Y$:
# MrDAM moves a query by {glue:}`rf_moved` (median) on its way to the memory, and at $Y = 256$
# DrDAM ends further than that from MrDAM's end state, worse than not moving at all. Only from
# a few thousand features on do the two descents end near each other.
#
# ## Where it fails: far from the memories and at large $\beta$
#
# The relative error $\approx \sqrt{K/Y}/\sum_\mu k_\mu$ grows as the exact sum shrinks. At a
# query at distance $r$ from its memory the sum is about $e^{-\beta r^2/2}$, so at fixed $Y$
# the error grows exponentially with $\beta$: sharp, "spiky" landscapes need many more
# features, the caveat the authors state themselves {cite}`hoover2024dense`.

# %%
temperatures = chapter.beta_run(betas=(0.25, 0.5, 1.0, 2.0, 4.0, 8.0), num_features=4096, seeds=seeds, num_queries=num_queries)
print("median relative error, mean over seeds:", np.round(temperatures.kernel_error.mean(0), 3))
print("end-state distance (seed 0):           ", np.round(temperatures.distance, 2))
style.glue_figure("random-features-beta", chapter.draw_beta(temperatures))

# %% tags=["remove-cell"]
section = "Where it fails: far from the memories and at large beta"
mean_error = temperatures.kernel_error.mean(0)
growth = temperatures.kernel_error[:, -1] / temperatures.kernel_error[:, 2]
assert ledger.check("beta-error-increases", bool(np.all(np.diff(mean_error[2:]) > 0)), section=section, reference="Hoover et al. 2024",
                    claim=f"mean over {len(seeds)} seeds of the median kernel-sum relative error increases at each step beta = 1, 2, 4, 8 (Y = 4096)")
assert ledger.check("beta-error-range", mean_error[-1] / mean_error[0], lower=10.0, section=section, reference="Hoover et al. 2024",
                    claim=f"mean over {len(seeds)} seeds of the kernel-sum relative error: beta = 8 over beta = 0.25 (Y = 4096)")
assert ledger.check("beta-error-growth", growth.min(), lower=4.0, section=section, reference="Hoover et al. 2024",
                    claim=f"kernel-sum relative error at beta = 8 over beta = 1, smallest over {len(seeds)} seeds (about exp(0.36 * 7) = 12 predicted)")
ledger.quote("rf_beta_lo", 100 * mean_error[0], "{:.0f}")
ledger.quote("rf_beta_hi", 100 * mean_error[-1], "{:.0f}")
ledger.quote("rf_beta_growth", growth.min(), "{:.0f}")
ledger.quote("rf_beta_dist_lo", temperatures.distance.min(), "{:.2f}")
ledger.quote("rf_beta_dist_hi", temperatures.distance.max(), "{:.2f}")

# %% [markdown]
# ```{glue:figure} random-features-beta
# :name: fig-random-features-beta
# :alt: Log-log plot of the median relative error of the kernel sum against beta at 4096 features; it grows from a few percent to above 100 percent along the derived curve, while the end-state distance is not monotone in beta.
#
# Errors against $\beta$ at $Y = 4096$: the kernel-sum error (blue, one line per seed; the
# derived RMS error dotted) and the end-state distance (green, seed 0).
# ```
#
# The kernel-sum error grows from {glue:}`rf_beta_lo` % at $\beta = 0.25$ to
# {glue:}`rf_beta_hi` % at $\beta = 8$ (mean over seeds), at least {glue:}`rf_beta_growth` times
# its value at $\beta = 1$ for every seed; below $\beta = 1$ the growth is small enough that a
# seed can show a dip. The end-state distance, however, is *not* monotone in $\beta$ in
# this setting (it moves between {glue:}`rf_beta_dist_lo` and {glue:}`rf_beta_dist_hi`): near a
# memory the gradient $-\beta^{-1} \nabla \phi^\top T / \phi^\top T$ is dominated by the
# memory's own term, and a wrong normaliser matters less than the kernel-sum error suggests. We
# did not find a clean trend of the retrieval error in $\beta$ for these well-separated
# memories; the digits below show the failure on real data.
#
# ## Size and speed
#
# DrDAM stores $Y$ numbers, MrDAM $K D$; one gradient step costs about $2 B Y D$ multiply-adds
# for DrDAM (the $Y$ phases and the back-projection through $S$) and $2 B K D$ for MrDAM (the
# $K$ distances and the weighted sum of patterns), for $B$ queries. At a fixed $Y$, DrDAM is
# the smaller memory beyond $K = Y / D$ and the faster one beyond $K \approx Y$. But a fixed
# $Y$ is not a fixed error: the right panel asks, with the exact variance
# {eq}`eq-rf-sum-variance`, how many features a 10 % RMS relative error at the queries needs.

# %%
cost = chapter.cost_run(num_features=4096, time_memories=(256, 1024, 4096, 16384, 65536), betas=(1.0, 0.25), target=0.1)
style.glue_figure("random-features-cost", chapter.draw_cost(cost))
for beta, needed in cost.needed.items():
    print(f"beta = {beta:g}: Y needed / (K D) =", np.round(needed / (cost.dim * cost.need_memories), 2))

# %% tags=["remove-cell"]
section = "Size and speed"
K_need = cost.need_memories
sep, crowd = cost.needed[1.0], cost.needed[0.25]
time_cross = chapter.time_crossover(cost)
assert ledger.check("weights-flat", bool(np.all(cost.dr_weights == cost.num_features)), section=section,
                    claim="DrDAM keeps Y = 4096 numbers for every K from 16 to 65536 (MrDAM: K D)", reference="Hoover et al. 2024")
assert ledger.check("mr-time-grows", cost.mr_seconds[-1] / cost.mr_seconds[1], lower=8.0, section=section,
                    claim="measured MrDAM step time at K = 65536 over K = 1024 (64 times the work; best of 7 repeats)")
assert ledger.check("time-crossover", time_cross / cost.num_features, lower=0.25, upper=8.0, section=section,
                    claim="measured K at which a MrDAM step becomes as slow as a DrDAM step, over Y = 4096 (flop count predicts 1)")
sep_slope = chapter.loglog_slope(K_need[K_need <= 256], sep[K_need <= 256])
crowd_slope = chapter.loglog_slope(K_need[K_need >= 128], crowd[K_need >= 128])
assert ledger.check("needed-grows-separated", sep_slope, lower=0.7, upper=1.1, section=section,
                    claim="log-log slope of the Y needed for 10 % error against K <= 256 at beta = 1 (well-separated memories: about 1)")
assert ledger.check("needed-saturates-crowded", crowd_slope, upper=0.3, section=section,
                    claim="log-log slope of the Y needed for 10 % error against K >= 128 at beta = 0.25 (crowded memories: flat)")
assert ledger.check("no-memory-crossover-separated", (sep / (cost.dim * K_need)).min(), lower=1.0, section=section,
                    claim="smallest (Y needed for 10 % error) / (K D) over K = 16 .. 1024 at beta = 1: DrDAM is never the smaller memory")
memory_cross = chapter.crossover(K_need, crowd, cost.dim)
assert ledger.check("memory-crossover-crowded", memory_cross, lower=32, upper=1024, section=section,
                    claim="K beyond which DrDAM (Y for 10 % error) stores fewer numbers than MrDAM (K D) at beta = 0.25")
step_ratio = min((sep / K_need).min(), (crowd / K_need).min())
assert ledger.check("no-time-crossover", step_ratio, lower=1.0, section=section,
                    claim="smallest (Y needed for 10 % error) / K over K <= 1024 and both beta: a DrDAM step is never the cheaper one here")
ledger.quote("rf_weight_cross", cost.num_features // cost.dim, "{:.0f}")
ledger.quote("rf_time_cross", time_cross, "{:.0f}")
ledger.quote("rf_time_ratio", time_cross / cost.num_features, "{:.1f}")
ledger.quote("rf_sep_slope", sep_slope, "{:.2f}")
ledger.quote("rf_crowd_slope", crowd_slope, "{:.2f}")
ledger.quote("rf_sep_ratio", (sep / (cost.dim * K_need)).min(), "{:.1f}")
ledger.quote("rf_mem_cross", memory_cross, "{:.0f}")
ledger.quote("rf_step_ratio", step_ratio, "{:.1f}")

# %% [markdown]
# ```{glue:figure} random-features-cost
# :name: fig-random-features-cost
# :alt: Three log-log panels against K: numbers stored at fixed Y, measured time per gradient step, and the number of features a 10 percent error needs for well-separated and crowded memories, against MrDAM's K times D.
#
# Left: numbers stored at $Y = 4096$. Middle: measured time of one gradient step for 40
# queries (best of 7 repeats; the absolute times depend on the machine, the crossing point
# much less). Right: features needed for a 10 % RMS relative error of the kernel sum, for
# well-separated ($\beta = 1$) and crowded ($\beta = 0.25$) memories, against MrDAM's $K D$
# numbers and against $Y = K$, where the two steps cost the same.
# ```
#
# At fixed $Y = 4096$ DrDAM is the smaller memory beyond $K =$ {glue:}`rf_weight_cross`, and in
# our measurement the faster one beyond $K \approx$ {glue:}`rf_time_cross`
# ({glue:}`rf_time_ratio` $Y$: the cosines and sines cost more than MrDAM's exponentials).
# For a *target* error the picture depends on the memories:
#
# - **Well-separated memories** ($\beta = 1$): the features needed grow like $K$ (fitted
#   slope {glue:}`rf_sep_slope`), because every memory adds its $1/Y$ to the variance while the
#   signal stays one kernel value. DrDAM needs at least {glue:}`rf_sep_ratio` times as many
#   numbers as MrDAM for every $K$ up to 1024: no crossover. It can only win when $D$ is large,
#   $D \gtrsim 1/(\epsilon^2 k_0^2)$ for an error $\epsilon$ and a kernel value $k_0$ at the
#   query, as for images.
# - **Crowded memories** ($\beta = 0.25$, many memories within the kernel width): the sum at
#   a query grows with $K$ as fast as its noise, the features needed saturate (slope
#   {glue:}`rf_crowd_slope`) and DrDAM becomes the smaller memory beyond
#   $K \approx$ {glue:}`rf_mem_cross`. This is the regime in which the paper finds DrDAM more
#   memory-efficient {cite}`hoover2024dense`.
# - In neither regime, up to $K = 1024$, is a DrDAM step at the target error cheaper: the
#   features needed stay at least {glue:}`rf_step_ratio` times $K$.
#
# ## Real patterns: handwritten digits
#
# We store 30 of scikit-learn's $8 \times 8$ digits (three of each class, pixels in $[0, 1]$,
# $D = 64$) with $\beta = 2$ and $Y = 8192$ paired sin/cos features, and cue each memory
# twice: with Gaussian pixel noise of standard deviation 0.15, and with its bottom two rows
# erased. A cue counts as *cleaned* when the end state is at most half as far from the cued
# memory as the cue was.

# %%
digits = chapter.digits_run(beta=2.0, num_features=8192, noise=0.15, occluded_rows=2, seeds=seeds)
for name in digits.cues:
    print(f"{name:>8} cues: cleaned by MrDAM {digits.cleaned_mr[name]:.0%}, by DrDAM", np.round(digits.cleaned_dr[name], 2),
          "(per feature seed);  kernel-sum error at the cues", np.round(digits.kernel_error[name], 2))
style.glue_figure("random-features-digits", chapter.draw_digits(digits))

# %% tags=["remove-cell"]
section = "Real patterns: handwritten digits"
n_seeds = len(seeds)
assert ledger.check("digits-noisy-both", min(digits.cleaned_mr["noisy"], digits.cleaned_dr["noisy"].min()), lower=0.7, section=section,
                    claim=f"fraction of 30 noisy digit cues cleaned, the smallest of MrDAM and DrDAM over {n_seeds} feature seeds (Y = 8192, beta = 2)",
                    reference="Hoover et al. 2024")
assert ledger.check("digits-occluded-mr", digits.cleaned_mr["occluded"], lower=0.8, section=section,
                    claim="fraction of 30 digit cues with the bottom two rows erased cleaned by MrDAM (beta = 2)")
assert ledger.check("digits-occluded-dr-fails", digits.cleaned_dr["occluded"].max(), upper=0.4, section=section,
                    claim=f"largest fraction of the same occluded cues cleaned by DrDAM (Y = 8192, beta = 2) over {n_seeds} feature seeds",
                    reference="Hoover et al. 2024")
assert ledger.check("digits-error-far", (digits.kernel_error["occluded"] / digits.kernel_error["noisy"]).min(), lower=3.0, section=section,
                    claim=f"kernel-sum relative error at the occluded cues over that at the noisy cues, smallest over {n_seeds} feature seeds")
ledger.quote("rf_dig_noisy_mr", 100 * digits.cleaned_mr["noisy"], "{:.0f}")
ledger.quote("rf_dig_occluded_mr", 100 * digits.cleaned_mr["occluded"], "{:.0f}")
for name in digits.cues:
    ledger.quote(f"rf_dig_{name}_dr_lo", 100 * digits.cleaned_dr[name].min(), "{:.0f}")
    ledger.quote(f"rf_dig_{name}_dr_hi", 100 * digits.cleaned_dr[name].max(), "{:.0f}")
    ledger.quote(f"rf_dig_{name}_err", 100 * np.median(digits.kernel_error[name]), "{:.0f}")

# %% [markdown]
# ```{glue:figure} random-features-digits
# :name: fig-random-features-digits
# :alt: A grid of 8 by 8 digit images in two blocks; for noisy cues both MrDAM and DrDAM return the stored digit, for cues with the bottom two rows erased MrDAM completes the digit and DrDAM does not.
#
# Five of the 30 stored digits: the memory, the cue, and where MrDAM's and DrDAM's descents
# end (first draw of the features). Left block: noisy cues. Right block: the bottom two rows erased.
# ```
#
# Where it works: MrDAM cleans {glue:}`rf_dig_noisy_mr` % of the noisy cues and DrDAM
# {glue:}`rf_dig_noisy_dr_lo` to {glue:}`rf_dig_noisy_dr_hi` % (over {glue:}`rf_num_seeds` draws of
# the features), with a median kernel-sum error of {glue:}`rf_dig_noisy_err` % at the cues. Where it fails: the erased rows put the cue further from its memory (the erased pixels
# are the ink of the bottom rows), the exact kernel sum at the cue is smaller than the noise
# floor $\sqrt{K/Y}$, the error at the cues is {glue:}`rf_dig_occluded_err` %, and DrDAM cleans
# only {glue:}`rf_dig_occluded_dr_lo` to {glue:}`rf_dig_occluded_dr_hi` % of them, against
# {glue:}`rf_dig_occluded_mr` % for MrDAM.
# Some of its end states are not digits at all: where the estimate is small the gradient
# $\nabla \phi^\top T / \phi^\top T$ is large and points in random directions. This is the first
# caveat of the paper, seen on real patterns: completing a heavily occluded pattern needs many
# more features than cleaning a slightly noisy one.
#
# ## Again a superposition
#
# $T = \sum_\mu \phi(\xi^\mu)$ is the memory of {ref}`chap-associative-memory` once more. There
# the memory $W = \sum_x u_{f^*(x)} e_x^\top$ was a superposition of outer products, one per
# stored pair, read out linearly by the score $u_y^\top W e_x$. The dense memory's update has
# the same shape in feature space: the softmax-weighted sum in {eq}`eq-rf-mrdam` is, up to its
# normaliser,
#
# $$
# \sum_\mu \xi^\mu\, k(x, \xi^\mu) \approx \Big(\sum_\mu \xi^\mu \phi(\xi^\mu)^\top\Big) \phi(x) = W_\phi\, \phi(x),
# \qquad W_\phi \in \mathbb{R}^{D \times Y},
# $$
#
# a hetero-associative outer-product memory from the features of the patterns to the patterns
# themselves, and its normaliser is $T^\top \phi(x)$, with $T$ the outer product of each feature
# vector with the constant $1$. (Storing $W_\phi$ and $T$ is how linear attention approximates
# softmax attention; DrDAM stores only $T$ and gets the update by differentiating
# $\log \phi(x)^\top T$ through $\phi$.) The crosstalk that made rare tokens fail in the first
# chapter is the variance {eq}`eq-rf-sum-variance`: every stored item adds noise to every
# readout, and the feature dimension $Y$ plays the role of the embedding dimension $d$. What the
# random features buy is a readout that is nonlinear in the *query*, so that the superposition
# implements the sharp separation of the dense memories of {ref}`chap-hopfield` instead of the
# Hebbian one, at the price of a Monte Carlo error instead of an exact recall.
#
# ## Verdict
#
# Reproduced here, at $D = 8$ and on the $8 \times 8$ digits: the approximation of the energy
# and of its descent improves like $Y^{-1/2}$; memories are added without new weights (tested:
# `add` equals `store` of the union); the approximation degrades far from the memories and at
# large $\beta$, where the kernel-sum error grows exponentially; DrDAM is the smaller memory for
# a target error when many memories share the kernel width. Not reproduced, or not tested: the
# paper's experiments at their sizes (images of $64 \times 64 \times 3$ pixels, hundreds of
# thousands of features) are beyond a 2-core CI budget; the end-state distance was not monotone
# in $\beta$ in our setting; for well-separated memories we found no $K$ up to 1024 beyond
# which DrDAM is smaller (at $D = 8$) or faster for a 10 % error; and at small $Y$ DrDAM does
# not descend to the same attractor as MrDAM, so we assert only the decay of the errors.
#
# Move the sliders to see both energies for other $Y$ and $\beta$ (with a live kernel).

# %%
chapter.widget(num_features=2048, beta=1.0)

# %% tags=["remove-cell"]
widget_errors = {beta: chapter.widget_error(2048, beta) for beta in (1.0, 4.0)}
assert ledger.check("widget-beta-error", widget_errors[4.0] / widget_errors[1.0], lower=2.0, section="Exercises",
                    claim="kernel-sum error at Y = 2048: beta = 4 over beta = 1 (exercise: the approximation gets worse)")
ledger.quote("rf_widget_err_1", 100 * widget_errors[1.0], "{:.0f}")
ledger.quote("rf_widget_err_4", 100 * widget_errors[4.0], "{:.0f}")

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-rf-beta
#
# With $Y = 2048$, predict how the DrDAM panel of the widget changes when you move $\beta$
# from 1 to 4: do the wells get closer to the exact ones or further? Then check, and explain
# with the relative error $\sqrt{K/Y}/\sum_\mu k_\mu$.
# ```
#
# ```{solution} ex-rf-beta
# :class: dropdown
#
# Further. The exact wells become narrower and the exact sum at a point at distance $r$ from
# its memory falls like $e^{-\beta r^2/2}$, while the noise $\sqrt{K/Y}$ contributed by all 64
# memories does not depend on $\beta$. The clipped (yellow) region grows into the gaps between
# the wells, and the median kernel-sum error at the queries, printed above the panels, rises
# from {glue:}`rf_widget_err_1` % to {glue:}`rf_widget_err_4` % (the figure on $\beta$ shows the same
# rise at $Y = 4096$). To keep the error fixed, $Y$ must grow like $e^{\beta r^2}$.
# ```
#
# ```{exercise}
# :label: ex-rf-sincos
#
# Use {eq}`eq-rf-variance` to show that the paired sin/cos features never have a larger
# variance than the cos features with the same $Y$, and find the kernel value at which the gain
# is largest in absolute terms. Why does it barely help at a query of the chapter's
# experiment?
# ```
#
# ```{solution} ex-rf-sincos
# :class: dropdown
#
# The difference is $(1 - k^2 + \tfrac12 k^4) - (1 - k^2)^2 = k^2 - \tfrac12 k^4 \ge 0$ for
# $k \in [0, 1]$, largest at $k = 1$ (derivative $2k - 2k^3 = 0$), where it is $\tfrac12$: the
# paired map estimates $k(x, x) = 1$ exactly. At a query, the variance of $\phi(q)^\top T$ is
# dominated by the $K - 1$ distant memories, each with $k \approx 0$ and per-feature variance
# about 1 under both maps; only the one near memory gains, by $k^2 - \tfrac12 k^4 \approx 0.37$ for its
# $k \approx 0.7$, against a total of about $K = 64$: well under 1 % of the variance.
# ```
#
# ```{exercise}
# :label: ex-rf-add
#
# A DrDAM with $Y$ weights stores $K$ patterns. You add $K$ more patterns far from the first
# ones and from the queries. By {eq}`eq-rf-sum-variance`, what happens to the relative error at
# a query near one of the first patterns, and how many features restore it?
# ```
#
# ```{solution} ex-rf-add
# :class: dropdown
#
# The new patterns add nothing to the signal $\sum_\mu k_\mu$ (their kernel at the query is
# about zero) but each adds about $1/Y$ to the variance (its diagonal term in
# {eq}`eq-rf-sum-variance` is about 1). The variance doubles, the relative error grows by
# $\sqrt 2$, and $2Y$ features restore it. Adding memories costs no new weights, but the same
# error costs weights in proportion to the number of memories.
# ```
