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
# (chap-two-particles)=
# # Two interacting particles
#
# ```{admonition} In this chapter
# **You will learn** why two correlated tokens with different outputs interfere; why one
# step of gradient descent can make the rare token *worse*, and the loss larger than at
# initialisation; how large step sizes produce loss spikes that nonetheless reach perfect
# accuracy faster; how the margins grow in the long run; what the step size $2/\text{sharpness}$
# does and does not mean at $W = 0$; when the limit $\eta \to \infty$ describes a run and when it
# does not; and how long it takes to recall both tokens over a whole grid of problems.
#
# **Prerequisites**: {ref}`chap-associative-memory` (the model, margins and the first
# step); {ref}`chap-particles` (the particle form and the two-class margin system); the
# logistic function; eigenvalues of a $2 \times 2$ matrix.
#
# **Run time**: under a minute on a laptop CPU; the page for instructors lists the time
# measured when this site was built.
# ```
#
# ## The smallest problem with interference
#
# The smallest memory in which learning one association disturbs another has two input
# tokens and two outputs, in dimension $d = 2$. Token 1 (frequency $p_1$) must be mapped
# to the first output $u_1$ and token 2 (frequency $p_2 = 1 - p_1 \le p_1$) to the second
# output $u_2$. The unembeddings are the standard basis, $U = I$, and the embeddings have
# cosine $\alpha$:
#
# $$
# e_1 = (1, 0), \qquad e_2 = \big(\alpha, \sqrt{1 - \alpha^2}\big), \qquad \langle e_1, e_2 \rangle = \alpha .
# $$
#
# With two outputs only the difference of the two scores matters, so the state of gradient
# descent is the pair of margins $m = (m_1, m_2)$, $m_x = s_W(x, f^*(x)) - s_W(x, \text{other})$,
# and the loss is $L = p_1 \log(1 + e^{-m_1}) + p_2 \log(1 + e^{-m_2})$. As everywhere in the
# book (see {ref}`the numbering note <sec-conventions>`), tokens and outputs are numbered from 1 and ties go to the first
# output, $u_1$. Hence token 1 is recalled exactly when $m_1 \ge 0$ and token 2 exactly when
# $m_2 > 0$: at $W_0 = 0$ both margins are 0, token 1 is recalled and token 2 is not.
#
# ```{prf:proposition} The two-particle margin map
# :label: prop-margin-map
#
# Gradient descent with step size $\eta$ moves the margins by
#
# $$
# m_{t+1} = m_t + 2 \eta\, K P\, \sigma(-m_t), \qquad
# K = \begin{pmatrix} 1 & -\alpha \\ -\alpha & 1 \end{pmatrix}, \quad P = \operatorname{diag}(p_1, p_2),
# $$ (eq-margin-map)
#
# where $\sigma(z) = 1/(1 + e^{-z})$ acts entrywise. If both tokens have the *same* output,
# $K$ has $+\alpha$ off the diagonal instead: the map is that of $-\alpha$.
# ```
#
# ```{prf:proof}
# This is the two-class margin system {eq}`eq-particles-binary` of {ref}`chap-particles`,
# $m_{t+1}(x) = m_t(x) + \eta \sum_{x'} p(x') \kappa(x, x') \sigma(-m_t(x'))$ with
# $\kappa(x, x') = \langle e_x, e_{x'} \rangle \langle v_x, v_{x'} \rangle$ and
# $v_x = u_{f^*(x)} - u_{\text{other}}$, evaluated on this problem. Here
# $v_1 = (1, -1) = -v_2$, so $\langle v_x, v_{x'} \rangle = \pm 2$ with the sign $+$ exactly
# when the outputs agree, and the Gram factor $\langle e_x, e_{x'} \rangle$ is $1$ on the
# diagonal and $\alpha$ off it: $\kappa = 2K$ for different outputs, and $2K$ with $+\alpha$
# for the same output.
# ```
#
# Each token is a particle pushed by the other with weight proportional to the other's
# frequency and to $\alpha$. When $\alpha > 0$ and the outputs differ, every push that
# helps token 1 hurts token 2 and conversely: the interference is destructive. The package
# runs {eq}`eq-margin-map` for a whole batch of $(p_1, \alpha, \eta)$ at once
# (`two_particles.margin_trajectory`); we first compare it with gradient descent on the
# $2 \times 2$ memory itself, on four problems (one with equal outputs) and three step sizes.

# %%
import math

import numpy as np
import torch

from assocmem import claims, memory, tiers, train
from assocmem import two_particles as tp
from assocmem.chapters.learning import two_particles as chapter
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("two_particles", title="Two interacting particles")
f64 = chapter.f64

deviation = chapter.margin_map_vs_gd(step_sizes=[0.5, 3.0, 10.0], steps=50)
print("largest |margin map - GD on W| over 4 problems x 3 step sizes x 50 steps:", deviation)

# %% tags=["remove-cell"]
PAPER = "Cabannes et al. 2024"
assert ledger.check("margin-map-vs-gd", deviation, upper=1e-10, section="The smallest problem with interference",
                    claim="max |m_t from eq. (margin map) - margins of GD on W| (4 problems incl. same outputs, 3 step sizes, 50 steps)",
                    reference=PAPER)

# %% [markdown]
# The map reproduces gradient descent to rounding error, including the same-output case
# through $\alpha \to -\alpha$.
#
# ## Landscapes and the zero-error wedge
#
# A memory with two outputs is summarised by the linear classifier
# $\gamma = W^\top (u_1 - u_2) \in \mathbb{R}^2$, since $s_W(x, u_1) - s_W(x, u_2) = \gamma \cdot e_x$
# (we name its coordinates $\gamma_0, \gamma_1$, as the authors' scripts do). Both tokens are
# recalled exactly in the wedge
#
# $$
# \{\gamma_0 \ge 0,\ \ \alpha \gamma_0 + \sqrt{1 - \alpha^2}\, \gamma_1 < 0\}
# $$
#
# (ties go to the first output, so the edge $\gamma \cdot e_1 = 0$ belongs to it and the edge
# $\gamma \cdot e_2 = 0$ does not): the intersection of two half-planes whose inward normals
# $e_1$ and $-e_2$ make the angle $\arccos(-\alpha)$, so the wedge has opening
# $\pi - \arccos(-\alpha) = \arccos \alpha$. We draw the loss over the shaded 0-1 loss for
# $p = (0.75, 0.25)$, with the wedge drawn from its two inequalities (`landscape.zero_error_region`).
# The contours show $L/2$, the per-token average that the authors' script `exp_landscape_2d.py`
# draws.

# %%
fig = chapter.draw_landscapes(alphas=(-0.5, 0.5, 0.95))
style.glue_figure("two-particle-landscapes", fig)

# %% tags=["remove-cell"]
for name, alpha in (("opening_neg", -0.5), ("opening_half", 0.5), ("opening_high", 0.95)):
    ledger.quote(name, math.degrees(math.acos(alpha)), "{:.0f}°")
# Grid check: points with zero 0-1 loss are exactly those inside the drawn polygon.
agreement, zero_fraction = chapter.wedge_vs_grid(alphas=(-0.5, 0.5, 0.95), window=(-10, 10), num=120)
section = "Landscapes and the zero-error wedge"
assert ledger.check("wedge-matches-grid", min(agreement), lower=0.99, section=section,
                    claim="fraction of 120 x 120 grid points where 'zero 0-1 loss' agrees with 'inside the wedge' (worst alpha)")
assert ledger.check("wedge-narrows", bool(zero_fraction[0] > zero_fraction[1] > zero_fraction[2]), section=section,
                    claim="the zero-error area in [-10, 10]^2 shrinks as alpha goes -0.5 -> 0.5 -> 0.95")

# %% [markdown]
# ```{glue:figure} two-particle-landscapes
# :name: fig-tp-landscapes
# :alt: Six panels of loss contours over grey shading of the 0-1 loss in the (gamma_0, gamma_1) plane, for alpha = -0.5, 0.5 and 0.95 (columns) and windows [-1, 1] squared and [-10, 10] squared (rows). A hatched orange wedge with apex at the origin marks the zero-error region; it is wide for alpha = -0.5 and a thin sliver for alpha = 0.95.
#
# Two-particle landscapes for $p = (0.75, 0.25)$: contours of $L/2$ over the 0-1 loss
# (darker is worse); the hatched wedge is where both tokens are recalled. Look at how the wedge
# closes as $\alpha$ grows, and at the valley of the loss near the origin (top right), which
# runs *outside* the thin wedge.
# ```
#
# The opening of the wedge is {glue:}`opening_neg` for $\alpha = -0.5$,
# {glue:}`opening_half` for $\alpha = 0.5$ and only {glue:}`opening_high` for
# $\alpha = 0.95$. Near the origin (top row) the loss is almost a quadratic bowl whose
# valley points along the frequent token's direction, outside the thin wedge: a descent
# path that follows the valley classifies token 1 correctly and token 2 wrongly for a long
# time.
#
# ## A loss spike that helps
#
# We run gradient descent from $W_0 = 0$ for 35 steps on $\alpha = 0.95$, $p = (0.75, 0.25)$,
# with $\eta = 1$ and $\eta = 10$: the run of the authors' script `exp_spike_2d.py`. Losses are
# logged as that script logs them: the full-batch loss $L(W_t) = \sum_x p(x) \ell_x$ on $W_t$,
# before update $t$.

# %%
E, U, p, t = tp.problem(0.95, 0.75)
with tiers.threads(1):                      # tiny tensor ops: one thread is fastest
    spike = train.gd(E, U, p, t, step_size=[10.0, 1.0], steps=35)
fig = chapter.draw_gd(alpha=0.95, p1=0.75, step_sizes=(10.0, 1.0), steps=35,
                      xlim=(-1, 8), ylim=(-17, 10))
style.glue_figure("loss-spike", fig)

# %% tags=["remove-cell"]
L_big, L_small = spike.loss[0], spike.loss[1]
n_spikes = int((L_big[:11] > math.log(2)).sum())
first_zero = int(torch.nonzero(spike.zero_one[0] == 0)[0])
settled = int(torch.nonzero(spike.zero_one[0] > 0)[-1]) + 1             # zero 0-1 loss from here on
ratio_34 = (L_big[34] / L_small[34]).item()
ledger.quote("n_spikes", n_spikes, "{:.0f}")
ledger.quote("spike_max", L_big.max(), "{:.2f}")
ledger.quote("first_zero_big", first_zero, "{:.0f}")
ledger.quote("settled_big", settled, "{:.0f}")
ledger.quote("loss_ratio_34", ratio_34, "{:.2f}")
# The authors' numbers (exp_spike_2d.py, float32) next to ours (float64).
authors_rows = []
for k, (eta, step, theirs) in enumerate(chapter.AUTHORS_SPIKE):
    ours = spike.loss[0 if eta == 10.0 else 1, step].item()
    authors_rows.append(abs(ours - theirs))
    ledger.quote(f"authors_{k}", theirs, "{:.4f}")
    ledger.quote(f"ours_{k}", ours, "{:.4f}")
    ledger.quote(f"diff_{k}", abs(ours - theirs), "{:.0e}")

section = "A loss spike that helps"
ref = PAPER + "; authors' script exp_spike_2d.py"
for k, (eta, step, theirs) in enumerate(chapter.AUTHORS_SPIKE):
    assert ledger.check(f"authors-spike-eta{eta:g}-t{step}", authors_rows[k], upper=1e-3, section=section, reference=ref,
                        claim=f"|L(W_{step}) here - {theirs} printed by exp_spike_2d.py| at eta = {eta:g} (float64 here, float32 there)")
assert ledger.check("fb-spikes", n_spikes, lower=2, section=section, reference=ref,
                    claim="eta = 10: number of t <= 10 with L(W_t) > log 2 (the loss spikes above its start more than once)")
assert ledger.check("fb-perfect-after-15", spike.zero_one[0, 15:].max(), upper=0.0, section=section, reference=ref,
                    claim="eta = 10: max over t >= 15 of L01(W_t)")
assert ledger.check("fb-final-ratio", ratio_34, upper=0.155, section=section, reference=ref,
                    claim="L(W_34) with eta = 10 divided by L(W_34) with eta = 1 (the large step ends more than 6 times lower)")
assert ledger.check("fb-small-monotone", bool((L_small[1:] < L_small[:-1]).all()), section=section, reference=ref,
                    claim="eta = 1: L(W_t) strictly decreasing over t = 0..34")
assert ledger.check("fb-small-stuck", bool((spike.zero_one[1] == 0.25).all()), section=section, reference=ref,
                    claim="eta = 1: L01(W_t) = p2 = 0.25 at every t <= 34 (the rare token stays misclassified)")

# %% [markdown]
# ```{glue:figure} loss-spike
# :name: fig-tp-spike
# :alt: Left, two gradient-descent paths on the alpha = 0.95 landscape starting at the origin; the eta = 1 path creeps along the valley outside the wedge, the eta = 10 path jumps back and forth across the valley and enters the wedge. Middle, loss against step on a log scale; eta = 10 rises above the dashed log 2 line several times early on and ends far below eta = 1. Right, 0-1 loss against step; eta = 1 stays at 0.25, eta = 10 oscillates and then drops to 0.
#
# Gradient descent on $\alpha = 0.95$, $p = (0.75, 0.25)$ with $\eta = 10$ and $\eta = 1$. Left:
# paths in the $\gamma$ plane (square: start, star: end). Middle: $L(W_t)$, with the dashed
# line at $L(W_0) = \log 2$. Right: $L_{01}(W_t)$. Look at the middle panel: the large step
# spends its first ten steps *above* the start, and still ends far below the small one.
# ```
#
# With $\eta = 10$ the loss rises above its initial value $\log 2$ at {glue:}`n_spikes`
# of the first eleven iterates (up to {glue:}`spike_max`), yet the 0-1 loss first vanishes at
# $t =$ {glue:}`first_zero_big`, flickers while the iterates jump across the wedge, and is
# zero for good from $t =$ {glue:}`settled_big` on; at $t = 34$ its loss is
# {glue:}`loss_ratio_34` times that of $\eta = 1$. The small step decreases the loss at every
# step, and misclassifies the rare token at every step: it slides down the valley of
# {numref}`fig-tp-landscapes`, which lies outside the wedge.
#
# The same run in the authors' script gives the same numbers:
#
# | loss | authors' script (`exp_spike_2d.py`, float32) | this book (float64) | difference |
# |---|---|---|---|
# | $L(W_1)$, $\eta = 10$ | {glue:}`authors_0` | {glue:}`ours_0` | {glue:}`diff_0` |
# | $L(W_5)$, $\eta = 10$ | {glue:}`authors_1` | {glue:}`ours_1` | {glue:}`diff_1` |
# | $L(W_{34})$, $\eta = 10$ | {glue:}`authors_2` | {glue:}`ours_2` | {glue:}`diff_2` |
# | $L(W_{34})$, $\eta = 1$ | {glue:}`authors_3` | {glue:}`ours_3` | {glue:}`diff_3` |
#
# (Their numbers are printed to four decimals; each agrees with ours to within $10^{-3}$, which the
# build checks.)
#
# ## The same run as two particles
#
# The landscape lives in the $\gamma$ plane, but the dynamics is simplest in the plane of the two
# margins, where the zero-error wedge becomes the quadrant $\{m_1 \ge 0, m_2 > 0\}$ and
# {eq}`eq-margin-map` is a vector field: at every point $m$ it says where one step goes. The step
# size only stretches the arrows ($m_{t+1} - m_t = \eta \cdot 2KP\sigma(-m_t)$), so one picture of
# directions serves every $\eta$. We draw the field, the two curves on which one of the margins
# stops moving, and the paths of the two runs above.

# %%
fig = chapter.draw_phase_portrait(p1=0.75, alpha=0.95, step_sizes=(1.0, 10.0), steps=35)
style.glue_figure("two-particle-phase-portrait", fig)

# %% tags=["remove-cell"]
m_spike = tp.margin_trajectory(0.75, 0.95, f64([1.0, 10.0]), 35)
ledger.quote("eta1_m2_final", m_spike[0, -1, 1], "{:.2f}")
ledger.quote("eta1_m2_first", m_spike[0, 1, 1], "{:.2f}")
section = "The same run as two particles"
assert ledger.check("phase-eta1-below-quadrant", m_spike[0, 1:, 1].max(), upper=0.0, strict=True, section=section,
                    claim="eta = 1: max over 1 <= t <= 35 of m_2(t) (the path never enters the quadrant of recalled tokens)")
assert ledger.check("phase-eta1-crawls", (m_spike[0, 35, 1] - m_spike[0, 1, 1]).item() / abs(m_spike[0, 1, 1].item()), upper=0.4,
                    section=section, claim="eta = 1: (m_2(35) - m_2(1)) / |m_2(1)|: in 34 steps the rare margin recovers less than 40 % of its first-step drop")
sums = m_spike.sum(-1)                                                    # m_1 + m_2, (2, 36)
ledger.quote("sum_eta1", sums[0, -1], "{:.2f}")
ledger.quote("sum_eta10", sums[1, -1], "{:.2f}")
assert ledger.check("phase-diagonal-always-forward", bool((sums.diff(dim=-1) > 0).all()), section=section,
                    claim="m_1 + m_2 increases at every step of both runs (eta = 1 and 10, 35 steps)")
assert ledger.check("phase-large-step-travels-further", (sums[1, -1] / sums[0, -1]).item(), lower=4.3, section=section,
                    claim="m_1 + m_2 after 35 steps, eta = 10 over eta = 1 (well above 1, below the factor 10 of the step sizes)")
assert ledger.check("phase-eta10-ends-in-quadrant", m_spike[1, 15:].min(), lower=0.55, section=section,
                    claim="eta = 10: min over t >= 15 and both tokens of m_x(t) (inside the quadrant, away from its edges)")

# %% [markdown]
# ```{glue:figure} two-particle-phase-portrait
# :name: fig-tp-phase
# :alt: Arrows of the margin map in the (m_1, m_2) plane, coloured by their length, with the two nullclines dashed and dotted and the quadrant where both tokens are recalled shaded green. The eta = 1 path leaves the origin to the lower right and creeps upwards along the nullclines below the quadrant; the eta = 10 path jumps back and forth across the nullclines in long diagonal strides and ends inside the quadrant.
#
# The margin map as a vector field ($\alpha = 0.95$, $p = (0.75, 0.25)$; arrow colour: length of
# one step per unit $\eta$). Dashed: $m_1$ stops; dotted: $m_2$ stops. Shaded: both tokens
# recalled. Follow the blue path ($\eta = 1$) up the narrow valley between the two curves, and the
# orange one ($\eta = 10$) striding across it.
# ```
#
# The picture is the "interacting particles" of the title. The first step throws both runs to the
# lower right, $m_1 = \eta (p_1 - \alpha p_2, p_2 - \alpha p_1)$: token 2 is pushed down by the
# frequent token 1. Between the two curves the arrows point almost straight up, so a small step
# crawls up this valley: with $\eta = 1$ the rare token's margin goes from {glue:}`eta1_m2_first`
# after the first step to only {glue:}`eta1_m2_final` after 35. Outside the valley the arrows are
# long and point across it, along $\pm(1, -1)$, the direction in which helping one token hurts
# the other, so a large step overshoots from one side of the valley to the other. Its strides do
# not shrink steadily (the $\eta = 10$ path lands at $m_2 \approx -4.6$, then $-2.9$, then $-5.4$),
# but along the diagonal the push never changes sign: adding the two rows of {eq}`eq-margin-map`,
#
# $$
# (m_1 + m_2)_{t+1} - (m_1 + m_2)_t = 2 \eta (1 - \alpha) \big( p_1 \sigma(-m_{t,1}) + p_2 \sigma(-m_{t,2}) \big) > 0 ,
# $$
#
# so every step moves the pair forward along $(1, 1)$, by an amount proportional to $\eta$ and
# largest when a token is badly wrong. After 35 steps $m_1 + m_2$ is {glue:}`sum_eta10` with
# $\eta = 10$ and {glue:}`sum_eta1` with $\eta = 1$; the large step reaches the quadrant, where all
# arrows are short, because it has travelled far enough along the diagonal for the bouncing across
# it to land on the right side. The loss spikes of {numref}`fig-tp-spike` are the strides that land
# at a very negative $m_2$, which costs $p_2 |m_2|$.
#
# ## The first step
#
# ```{prf:proposition} The first step
# :label: prop-first-step
#
# From $W_0 = 0$, one step gives $m_1 = \eta\,(p_1 - \alpha p_2,\ p_2 - \alpha p_1)$. If
# $\alpha p_1 \ge p_2$ the rare token is misclassified after one step for every $\eta > 0$ (at
# equality its margin is $0$, a tie, which goes to the first output). If $\alpha p_1 > p_2$,
# $L(W_1) = p_1 \log(1 + e^{-\eta(p_1 - \alpha p_2)}) + p_2 \log(1 + e^{\eta(\alpha p_1 - p_2)})$
# grows like $p_2 (\alpha p_1 - p_2)\, \eta$: a loss spike proportional to the step size.
# ```
#
# ```{prf:proof}
# At $m_0 = 0$, $\sigma(-m_0) = (1/2, 1/2)$, and {eq}`eq-margin-map` gives $m_1 = \eta K p$.
# The loss is a sum of softplus terms of $-m_1$; the second has slope $p_2(\alpha p_1 - p_2)$
# in $\eta$ when its argument is large and positive, and the first vanishes.
# ```
#
# The loss after one step is a convex function of $\eta$ that starts at $\log 2$ with
# negative slope $-(p_1^2 + p_2^2 - 2 \alpha p_1 p_2)/2$. When the rare token flips it
# eventually grows linearly, so it crosses $\log 2$ exactly once, at a threshold $\eta^*$
# that `two_particles.spike_threshold` computes (as the root of an increasing function, on a
# bracket that is guaranteed to contain it).

# %%
eta_star = tp.spike_threshold(0.75, 0.95)
print(f"threshold eta* = {eta_star:.6f}")
for factor in (0.99, 1.01):
    excess = tp.one_step_loss(factor * eta_star, 0.75, 0.95).item() - math.log(2)
    print(f"L(W_1) - log 2 at {factor} eta*: {excess:+.2e}")
style.glue_figure("one-step-loss", chapter.draw_one_step_loss(p1=0.75, alphas=(0.0, 0.5, 0.95)))

# %% tags=["remove-cell"]
grid_p1 = f64([0.5, 0.6, 0.75, 0.9])[:, None, None]
grid_alpha = f64([-0.9, -0.3, 0.0, 0.5, 0.8, 0.95, 1.0])[None, :, None]
grid_eta = f64([0.1, 1.0, 3.0, 10.0, 100.0])[None, None, :]
one_step = tp.margin_trajectory(grid_p1, grid_alpha, grid_eta, 1)[..., 1, :]
first_step_error = (one_step - tp.first_step_margins(grid_p1, grid_alpha, grid_eta)).abs().max().item()
above = tp.one_step_loss(1.01 * eta_star, 0.75, 0.95).item() - math.log(2)
below = tp.one_step_loss(0.99 * eta_star, 0.75, 0.95).item() - math.log(2)
eta_star_half = tp.spike_threshold(0.75, 0.5)
ledger.quote("eta_star", eta_star, "{:.2f}")
# The boundary alpha = p2 / p1: the rare token's first-step margin is exactly 0, a tie lost to the first output.
alpha_tie = 0.25 / 0.75
tie_margins = tp.first_step_margins(0.75, alpha_tie, f64([0.1, 1.0, 10.0, 100.0]))
tie_correct = tp.correct_from_margins(tie_margins)
tie_loss = tp.one_step_loss(torch.logspace(-2, 4, 200, dtype=torch.float64), 0.75, alpha_tie)
ledger.quote("alpha_tie", alpha_tie, "{:.3f}")

section = "The first step"
assert ledger.check("first-step-formula", first_step_error, upper=1e-12, section=section, reference=PAPER,
                    claim="max |m_1 of the map - eta (p1 - alpha p2, p2 - alpha p1)| on a 4 x 7 x 5 grid of (p1, alpha, eta)")
assert ledger.check("threshold-above", above, lower=0.0, strict=True, section=section,
                    claim="L(W_1) - log 2 at 1.01 eta*, alpha = 0.95, p1 = 0.75 (an eta* 1 % too large would fail this)")
assert ledger.check("threshold-below", below, upper=0.0, strict=True, section=section,
                    claim="L(W_1) - log 2 at 0.99 eta*, alpha = 0.95, p1 = 0.75 (an eta* 1 % too small would fail this)")
assert ledger.check("no-threshold-without-flip", bool(tp.spike_threshold(0.75, 0.3) == math.inf
                    and (tp.one_step_loss(torch.logspace(-2, 4, 200, dtype=torch.float64), 0.75, 0.3) < math.log(2)).all()),
                    section=section, claim="alpha p1 < p2 (alpha = 0.3): no threshold, L(W_1) < log 2 for eta in [1e-2, 1e4]")
assert ledger.check("tie-margin-zero", tie_margins[:, 1].abs().max().item(), upper=0.0, section=section,
                    claim="alpha = p2 / p1 = 1/3, p1 = 0.75: |first-step margin of token 2| for eta in {0.1, 1, 10, 100} (exactly 0)")
assert ledger.check("tie-goes-to-first-class", bool((~tie_correct[:, 1]).all() and tie_correct[:, 0].all()), section=section,
                    claim="alpha = p2 / p1: after one step token 2 is misclassified (tie to the first output) and token 1 recalled, for every eta tested")
assert ledger.check("tie-no-spike", tie_loss.max().item() - math.log(2), upper=0.0, strict=True, section=section,
                    claim="alpha = p2 / p1: L(W_1) - log 2 < 0 for eta in [1e-2, 1e4] (no spike at the boundary)")
assert ledger.check("threshold-smaller-for-larger-alpha", bool(eta_star < eta_star_half), section=section,
                    claim="p1 = 0.75: eta* at alpha = 0.95 is smaller than at alpha = 0.5 (figure alt text)")

# %% [markdown]
# ```{glue:figure} one-step-loss
# :name: fig-tp-one-step
# :alt: Loss after one step against the step size for alpha = 0, 0.5 and 0.95. The alpha = 0 curve decreases towards zero; the alpha = 0.5 and 0.95 curves dip below log 2 and then rise linearly, crossing the dashed log 2 line at marked thresholds, a much smaller one for alpha = 0.95 than for alpha = 0.5.
#
# Loss after one step from zero, $p = (0.75, 0.25)$. For $\alpha = 0.5$ and $0.95$ ($\alpha p_1 > p_2$)
# it exceeds $L(W_0) = \log 2$ beyond the marked thresholds $\eta^*$; look at how much earlier
# the curve of the stronger correlation turns up.
# ```
#
# For $\alpha = 0.95$ and $p = (0.75, 0.25)$ the threshold is $\eta^* =$ {glue:}`eta_star`:
# the step $\eta = 10$ of {numref}`fig-tp-spike` is above it, hence its first spike. For
# $\alpha < p_2/p_1 =$ {glue:}`alpha_tie` the rare token does not flip and no step size
# makes the first step worse than the start.
#
# ```{note}
# At $\alpha = p_2/p_1$ exactly, the rare token's first-step margin is $\eta(p_2 - \alpha p_1) = 0$ for
# every $\eta$: a tie, which goes to the first output, so the rare token counts as misclassified
# although the loss still decreases ($L(W_1) < \log 2$). This boundary has measure zero; gradient
# descent on $W$ computes the zero margin in floating point and may land a rounding error on
# either side of it, while the margin map computes it exactly.
# ```
#
# ## Long-run growth of the margins
#
# Once both tokens are recalled, $\sigma(-m) \approx e^{-m}$ and {eq}`eq-margin-map` behaves
# like the flow $\dot m = 2 \eta K P e^{-m}$. Trying $m_x(t) = \log(c_x t)$ gives $\dot m_x = 1/t$,
# and the flow holds when $2\eta K (p_x / c_x)_x = \mathbf 1$. Since $\mathbf 1$ is an
# eigenvector of $K$ with eigenvalue $1 - \alpha$, this means $c_x = 2 (1 - \alpha) p_x \eta$:
#
# $$
# m_x(t) \approx \log\big(2 (1 - \alpha)\, p_x\, \eta\, t\big), \qquad
# L(W_t) \approx \sum_x p_x e^{-m_x(t)} = \frac{1}{(1 - \alpha)\, \eta\, t} .
# $$ (eq-tp-asymptotics)
#
# The loss forgets the frequencies, as for orthogonal tokens, but is slowed by the factor
# $1/(1 - \alpha)$. When the outputs agree, $\alpha$ becomes $-\alpha$ and the factor is
# $1/(1 + \alpha)$: cooperation speeds things up. Linearising around this solution shows
# how fast it attracts: the deviations decay like $t^{-1}$ and $t^{-(1+\alpha)/(1-\alpha)}$ for
# different outputs, but like $t^{-(1-\alpha)/(1+\alpha)}$ for the same outputs, which for
# $\alpha = 0.95$ is very slow. We run $10^5$ steps of {eq}`eq-margin-map` for
# $\alpha \in \{0.5, 0.95\}$, $\eta \in \{1, 10\}$, both output cases, as one batch.

# %%
T_long = 100_000
alphas_long, etas_long = f64([0.5, 0.95]), f64([1.0, 10.0])
signed = torch.cat([alphas_long, -alphas_long])              # -alpha: the same-output problems
m_long = tp.margin_trajectory(0.75, signed[:, None], etas_long[None, :], T_long)
fig = chapter.draw_asymptotics(m_long[:2], 0.75, (0.5, 0.95), (1.0, 10.0))
style.glue_figure("two-particle-asymptotics", fig)

# %% tags=["remove-cell"]
p_vec = f64([0.75, 0.25])
m_T = m_long[:2, :, T_long]                                   # different outputs, (alpha, eta, x)
predicted = torch.log(2 * (1 - alphas_long[:, None, None]) * p_vec * etas_long[None, :, None] * T_long)
margin_gap = (m_T - predicted).abs().max().item()
scaled_loss = tp.loss_from_margins(m_T, 0.75) * (1 - alphas_long[:, None]) * etas_long[None, :] * T_long
same_scaled = tp.loss_from_margins(m_long[2:, :, T_long], 0.75) * (1 + alphas_long[:, None]) * etas_long[None, :] * T_long
same_gap = (m_long[2:, :, T_long] - torch.log(2 * (1 + alphas_long[:, None, None]) * p_vec * etas_long[None, :, None] * T_long)).abs()
ledger.quote("margin_gap", margin_gap, "{:.1e}")
ledger.quote("scaled_loss_low", scaled_loss.min(), "{:.4f}")
ledger.quote("scaled_loss_high", scaled_loss.max(), "{:.4f}")
ledger.quote("same_scaled_low", same_scaled.min(), "{:.3f}")
ledger.quote("same_scaled_high", same_scaled.max(), "{:.3f}")
ledger.quote("same_gap_max", same_gap.max(), "{:.2f}")
section = "Long-run growth of the margins"
assert ledger.check("asymptotic-margins", margin_gap, upper=0.005, section=section, reference=PAPER,
                    claim="max over alpha in {0.5, 0.95}, eta in {1, 10}, x of |m_x(1e5) - log(2 (1 - alpha) p_x eta 1e5)|")
assert ledger.check("asymptotic-loss-low", scaled_loss.min(), lower=0.99, section=section, reference=PAPER,
                    claim="min of L(W_t) (1 - alpha) eta t at t = 1e5 over alpha in {0.5, 0.95}, eta in {1, 10}")
assert ledger.check("asymptotic-loss-high", scaled_loss.max(), upper=1.01, section=section, reference=PAPER,
                    claim="max of L(W_t) (1 - alpha) eta t at t = 1e5 over alpha in {0.5, 0.95}, eta in {1, 10}")
assert ledger.check("same-output-loss-low", same_scaled.min(), lower=0.98, section=section,
                    claim="same outputs: min of L(W_t) (1 + alpha) eta t at t = 1e5 (alpha in {0.5, 0.95}, eta in {1, 10})")
assert ledger.check("same-output-loss-high", same_scaled.max(), upper=1.02, section=section,
                    claim="same outputs: max of L(W_t) (1 + alpha) eta t at t = 1e5")
assert ledger.check("same-output-margins-slow", same_gap.max(), lower=0.45, section=section,
                    claim="same outputs, alpha = 0.95: max_x |m_x(1e5) - log(2 (1 + alpha) p_x eta 1e5)| (still more than 0.45 from the limit form)")

# %% [markdown]
# ```{glue:figure} two-particle-asymptotics
# :name: fig-tp-asymptotics
# :alt: Left, log-log plot of the largest distance between the margins and log(2 (1 - alpha) p eta t) against t, decreasing for the four combinations of alpha and eta. Right, the rescaled loss L (1 - alpha) eta t against t on a log axis, tending to 1 for all four.
#
# Different outputs, $p = (0.75, 0.25)$. Left: distance of the margins to
# {eq}`eq-tp-asymptotics`; the straight lines on log-log axes are the power laws of the
# linearisation. Right: $L(W_t)(1 - \alpha)\eta t$, which tends to 1 for all four runs.
# ```
#
# At $t = 10^5$ the margins are within {glue:}`margin_gap` of
# $\log(2(1 - \alpha) p_x \eta t)$ and $L(W_t)(1 - \alpha)\eta t$ lies between
# {glue:}`scaled_loss_low` and {glue:}`scaled_loss_high`. With the same outputs,
# $L(W_t)(1 + \alpha)\eta t$ is between {glue:}`same_scaled_low` and {glue:}`same_scaled_high`,
# while the individual margins are still up to {glue:}`same_gap_max` away from their limit form,
# as the slow exponent predicted.
#
# ## Sharpness and the critical step size
#
# ```{prf:proposition} Sharpness at initialisation
# :label: prop-tp-sharpness-zero
#
# At $W = 0$ the largest eigenvalue of the Hessian of $L$ is
# $\displaystyle \lambda_0 = \frac{1 + \sqrt{1 - 4 p_1 p_2 (1 - \alpha^2)}}{4}$.
# ```
#
# ```{prf:proof}
# At $W = 0$ the softmax is uniform for every token, so the covariance of $u$ under it is the
# same matrix $C = \tfrac14 \begin{pmatrix} 1 & -1 \\ -1 & 1 \end{pmatrix}$ (eigenvalues $0$ and $1/2$)
# and the Hessian is $C \otimes A$ with $A = \sum_x p_x e_x e_x^\top$. The eigenvalues of a
# Kronecker product are the products of eigenvalues; $A$ has trace $1$ and determinant
# $p_1 p_2 \det(E)^2 = p_1 p_2 (1 - \alpha^2)$, hence largest eigenvalue
# $(1 + \sqrt{1 - 4 p_1 p_2 (1 - \alpha^2)})/2$. Multiply by $1/2$.
# ```
#
# What does $\eta > 2/\lambda_0$ mean? At a *fixed point* of gradient descent it would mean a
# linear instability: small perturbations grow. But $W = 0$ is not a fixed point (the gradient
# there is the Hebbian term), so the only meaning left is that of the descent lemma: the quadratic
# model of $L$ around $W = 0$ guarantees that a step lowers the loss when $\eta < 2/\lambda_0$, and
# gives no such guarantee beyond. Whether the first step actually raises the loss is decided by
# the threshold $\eta^*$ above, a different number.

# %%
E, U, p, t = tp.problem(0.95, 0.75)
with tiers.threads(1):
    run_10 = train.gd(E, U, p, t, step_size=10.0, steps=35, store_W=True)
sharp_path = memory.sharpness(run_10.W[0], E, U, p, t)      # lambda(W_0), ..., lambda(W_35)
eta_crit = tp.critical_step_size(0.75, 0.95).item()
print(f"2 / lambda_0 = {eta_crit:.3f}, eta* = {eta_star:.3f}")
print("10 x sharpness along the eta = 10 run:", (10 * sharp_path[::5]).numpy().round(2))

# %% tags=["remove-cell"]
P1s = f64(np.linspace(0.5, 0.95, 7))
alphas_s = f64(np.linspace(-1, 1, 9))
closed = tp.sharpness_at_zero(P1s[:, None], alphas_s[None, :])
direct = torch.stack([torch.stack([memory.sharpness(torch.zeros(2, 2), *tp.problem(a.item(), q.item())) for a in alphas_s]) for q in P1s])
sharp_error = (closed - direct).abs().max().item()
unstable = torch.nonzero(10.0 * sharp_path > 2.0).flatten()
stable_from = int(unstable[-1]) + 1                                       # eta * sharpness < 2 from here on
tail_falls = bool((sharp_path[24:].diff() < 0).all())                    # decreasing over the last third
ledger.quote("eta_crit", eta_crit, "{:.2f}")
ledger.quote("sharp_zero", tp.sharpness_at_zero(0.75, 0.95), "{:.3f}")
ledger.quote("sharp_final", sharp_path[-1], "{:.3f}")
ledger.quote("sharp_stable_from", stable_from, "{:.0f}")
ledger.quote("eta_sharp_final", 10 * sharp_path[-1], "{:.2f}")
section = "Sharpness and the critical step size"
assert ledger.check("sharpness-closed-form", sharp_error, upper=1e-10, section=section,
                    claim="max |(1 + sqrt(1 - 4 p1 p2 (1 - alpha^2))) / 4 - memory.sharpness(0)| on a 7 x 9 grid of (p1, alpha)")
assert ledger.check("critical-between-steps", bool(1.0 < eta_crit < 10.0), section=section,
                    claim="spike run: eta = 1 is below 2 / sharpness(0) and eta = 10 above it")
assert ledger.check("critical-below-threshold", eta_star / eta_crit, lower=1.25, section=section,
                    claim="eta* / (2 / lambda_0) for alpha = 0.95, p1 = 0.75: the loss first rises only well above the descent-lemma step")
assert ledger.check("sharpness-path-start", abs(sharp_path[0].item() - tp.sharpness_at_zero(0.75, 0.95).item()), upper=1e-10,
                    section=section, claim="eta = 10 run: memory.sharpness(W_0) equals the closed form lambda_0")
assert ledger.check("sharpness-falls-eta10", sharp_path[-1].item() / sharp_path[0].item(), upper=0.2, section=section,
                    claim="eta = 10, alpha = 0.95, p1 = 0.75: sharpness(W_35) / sharpness(W_0) (falls more than fivefold)")
assert ledger.check("sharpness-ends-stable-eta10", 10 * sharp_path[-1].item() / 2, upper=0.5, section=section,
                    claim="eta = 10: eta sharpness(W_35) / 2 (ends at less than half of the descent-lemma bound)")
assert ledger.check("sharpness-decreasing-tail", tail_falls, section=section,
                    claim="eta = 10: the sharpness decreases at every step over t = 24..35")
assert ledger.check("sharpness-tail-margins-grow", bool((run_10.margins[0, 24:] > 0).all() and run_10.margins[0, -1].min() > run_10.margins[0, 24].min()),
                    section=section, claim="eta = 10: over t = 24..34 both margins stay positive and the smaller one ends larger than it starts")

# %% [markdown]
# For $\alpha = 0.95$, $p = (0.75, 0.25)$ the sharpness at zero is {glue:}`sharp_zero` and
# $2/\lambda_0 =$ {glue:}`eta_crit`: $\eta = 1$ is below it, $\eta = 10$ above it, and the first-step
# threshold $\eta^* =$ {glue:}`eta_star` sits higher still. This is not the edge of stability of
# {cite}`cohen2021gradient`, where the sharpness rises during training until it hovers at
# $2/\eta$; here it starts above $2/\eta$ and falls as the margins grow (the softmax saturates).
# Along the $\eta = 10$ run it jumps up and down while the iterates cross the wedge, stays below
# $2/\eta$ from $t =$ {glue:}`sharp_stable_from` on, and decreases at every step of the last third
# of the run, down to {glue:}`sharp_final` at $t = 35$ ($\eta \lambda =$ {glue:}`eta_sharp_final`):
# the iterates end up in a flat region.
#
# ## The large-step limit, and where it applies
#
# Divide {eq}`eq-margin-map` by $\eta$ and write $n_t = m_t/\eta$:
# $n_{t+1} = n_t + 2 K P \sigma(-\eta n_t)$. As $\eta \to \infty$, $\sigma(-\eta n)$ becomes the
# step function $H(-n)$, with $H(z) = 1$ if $z > 0$, $H(z) = 0$ if $z < 0$ and $H(0) = 1/2$ (the
# value $\sigma(0)$, which matters because the recursion starts at $n_0 = 0$, so that
# $n_1 = K p = m_1/\eta$ exactly). Then
#
# $$
# n_{t+1} = n_t + 2 K P\, H(-n_t),
# $$ (eq-perceptron-limit)
#
# a perceptron that corrects the misclassified tokens, with no $\eta$ left in it
# (`two_particles.large_step_limit`). Here it needs two steps:
# $n_1 = (0.5125, -0.4625)$ misclassifies token 2, and $n_2 = n^* (1, 1)$ with
# $n^* =$ {glue:}`n_star` recalls both, after which the limit stops moving. *If* a run followed the limit,
# its spikes would be $\eta$ times the limit's loss $\sum_x p_x \max(-n_x, 0)$, it would
# misclassify a token only at $t = 1$, and its loss would then be exponentially small in $\eta$.
#
# The limit drops the push $2KP\sigma(-\eta n_t)$ of the correctly classified tokens. Right after it
# has separated the tokens that push is $2 \sigma(-\eta n^*) KP\mathbf 1$, which lowers the rare
# token's rescaled margin $n^*$ by $\rho(\eta) = 2 |p_2 - \alpha p_1| \sigma(-\eta n^*) / n^*$ of
# itself. The limit is a good description only when $\rho \ll 1$, that is when $e^{-\eta n^*}$ is
# small *compared with $n^*$*, or $\eta n^* \gg \log(2|p_2 - \alpha p_1|/n^*)$. In unscaled terms,
# the neglected push $2\eta |p_2 - \alpha p_1| \sigma(-m)$ must be small next to the margin
# $m = \eta n^*$ itself, so $m$ must exceed about $\log \eta$; a step of size $\eta$ is "large"
# only once $\eta n^* \gg \log \eta$. Because $n^*$ is small here, this needs $\eta$ of a hundred
# or more, far beyond the $\eta = 10$ of the spike run. We check it on $\eta$ from 10 to $10^4$.

# %%
etas_large = f64(chapter.LARGE_ETAS)                                 # 1, 10, 30, 100, 300, 1000
m_large = tp.margin_trajectory(0.75, 0.95, etas_large, 200)
L_large = tp.loss_from_margins(m_large[:, :200], 0.75)              # L(W_0), ..., L(W_199)
limit = tp.large_step_limit(0.75, 0.95, 200)
scan = chapter.large_step_scan(low=10.0, high=1e4, num=121)   # 121 step sizes, 100 steps each
band = chapter.neglected_push_band(0.75, 0.95)                 # eta where rho = 1 and rho = 0.1
fig = chapter.draw_large_steps(L_large, m_large, limit, chapter.LARGE_ETAS, 0.75, 0.95,
                               scan=scan, band=band)
style.glue_figure("large-step-limit", fig)

# %% tags=["remove-cell"]
eta_grid, last_error = scan["eta"], scan["last_error"]
follows = last_error == scan["limit_last_error"]
eta_c = float(eta_grid[np.argmax(np.cumprod(follows[::-1])[::-1] > 0)])   # smallest grid eta from which every larger one follows
follows_from_c = bool(follows[eta_grid >= eta_c].all())
lower_regime = eta_grid < band[0]
ledger.quote("eta_c", eta_c, "{:.0f}")
ledger.quote("band_low", band[0], "{:.0f}")
ledger.quote("band_high", band[1], "{:.0f}")
ledger.quote("n_star", limit[2].min(), "{:.4f}")
for name, eta in (("10", 10.0), ("30", 30.0), ("100", 100.0)):
    k = int(np.argmin(np.abs(eta_grid - eta)))
    ledger.quote(f"last_error_{name}", int(last_error[k]), "{:.0f}")
    ledger.quote(f"spike_ratio_{name}", scan["spike_ratio"][k], "{:.2f}")
large = eta_grid >= 200
ledger.quote("deviation_large", scan["deviation"][large].max(), "{:.0e}")
k100 = int(np.argmin(np.abs(eta_grid - 100.0)))
ledger.quote("spike_100", L_large[3].max(), "{:.1f}")
ledger.quote("limit_spike_100", 100 * (p_vec * torch.clamp(-limit, min=0)).sum(-1).max(), "{:.1f}")
final = L_large[:, 199]
predicted_final = (p_vec * torch.exp(-1000 * limit[199])).sum().item()
ledger.quote("final_1000", final[-1], "{:.1e}")

section = "The large-step limit, and where it applies"
assert ledger.check("limit-follows-from-eta-c", follows_from_c and bool(band[0] <= eta_c <= band[1]), section=section,
                    claim="the runs misclassify a token only at t = 1 (as the limit) for every grid eta >= eta_c, and eta_c lies between the eta where rho = 1 and where rho = 0.1")
assert ledger.check("limit-fails-below-band", int(last_error[lower_regime].min()), lower=7.5, section=section,
                    claim="for every grid eta below the eta where rho = 1 (10 <= eta < 84), the last misclassified step is >= 8 (the limit says 1)")
assert ledger.check("spike-height-limit-large", float(np.abs(scan["spike_ratio"][large] - 1).max()), upper=0.01, section=section,
                    claim="max over grid eta >= 200 of |max_t L(W_t) / (eta x the limit's largest loss) - 1|")
assert ledger.check("spike-height-not-limit-100", float(scan["spike_ratio"][k100]), lower=2.05, section=section,
                    claim="eta = 100: largest loss / (eta x the limit's largest loss): the spikes are more than twice what the limit predicts")
assert ledger.check("limit-deviation-large", float(scan["deviation"][large].max()), upper=0.01, section=section,
                    claim="max over grid eta >= 200 and t <= 100 of |m_t / eta - n_t|")
exercise_150 = int(chapter.last_error_step(tp.margin_trajectory(0.75, 0.95, 150.0, 50)))
assert ledger.check("exercise-eta150-follows-limit", bool(exercise_150 == scan["limit_last_error"] and 150 >= eta_c), section=section,
                    claim="eta = 150 (exercise): the last misclassified step is the limit's (t = 1), and 150 >= eta_c")
assert ledger.check("final-loss-decreases-with-eta", bool((final[1:] < final[:-1]).all()), section=section,
                    claim="L(W_199) strictly decreases over eta in {1, 10, 30, 100, 300, 1000}")
assert ledger.check("spike-proportional-to-eta", abs(L_large[-1, 1].item() / 1000 - 0.25 * (0.95 * 0.75 - 0.25)) / (0.25 * (0.95 * 0.75 - 0.25)),
                    upper=1e-6, section=section, claim="eta = 1000: relative |L(W_1) / eta - p2 (alpha p1 - p2)|, the spike height per unit step")
assert ledger.check("exponentially-small-loss", final[-1].item() / predicted_final, lower=0.9, upper=1.1, section=section,
                    claim="L(W_199) at eta = 1000 divided by sum_x p_x exp(-eta n_x) with n the limit's final margins")

# %% [markdown]
# ```{glue:figure} large-step-limit
# :name: fig-tp-large-steps
# :alt: Left, loss against step on log-log axes for step sizes 1 to 1000; larger steps spike higher in the first ten steps, then drop; the curves for 300 and 1000 drop at once after the first step. Middle, the rare token's margin divided by eta against the step for step sizes 10 to 1000, with the dashed limit; the curves for 300 and 1000 lie on the limit, those for 10 to 100 swing between -1 and 0.4 for a dozen steps. Right, the last step with a misclassified token against the step size on a log axis: between 6 and 16 up to about 120, then 1, the limit's value, with the shaded band where the neglected push drops from n* to a tenth of it.
#
# Large steps, $\alpha = 0.95$, $p = (0.75, 0.25)$. Left: $L(W_t)$ over 200 steps, log-log.
# Middle: the rare token's rescaled margin $m_2(t)/\eta$ and the limit {eq}`eq-perceptron-limit`
# (dashed). Right: last step with a misclassified token; shaded, the step sizes where $\rho$ goes
# from 1 to 0.1. Look at the right panel: the limit takes over abruptly, inside the band.
# ```
#
# The limit applies only from $\eta_c \approx$ {glue:}`eta_c` on (on our grid of 121 step sizes),
# inside the band from {glue:}`band_low` to {glue:}`band_high` where the neglected push falls from
# $n^*$ to a tenth of it. Above it, every run misclassifies a token only at $t = 1$, its rescaled
# margins stay within {glue:}`deviation_large` of the limit for $\eta \ge 200$, and its highest loss
# is the first spike, $\eta$ times the limit's up to rounding error; with $\eta = 1000$ the
# loss at $t = 199$ is {glue:}`final_1000`, the value $\sum_x p_x e^{-\eta n_x}$ that the limit
# predicts. Below it the limit describes only the first step: the last misclassified step is
# {glue:}`last_error_10`, {glue:}`last_error_30` and {glue:}`last_error_100` for $\eta = 10$, 30 and
# 100 (the limit says 1), and the highest loss is {glue:}`spike_ratio_10`, {glue:}`spike_ratio_30`
# and {glue:}`spike_ratio_100` times $\eta$ times the limit's (at $\eta = 100$: {glue:}`spike_100`
# against a predicted {glue:}`limit_spike_100`), because the later strides of
# {numref}`fig-tp-phase` land lower than the first. The spike run's $\eta = 10$ is thus in the
# regime of finite steps, whose oscillations the limit does not capture; what carries over from
# the limit is only that larger steps reach lower losses: $L(W_{199})$ decreases at every
# step size of the left panel.
#
# ## Time to perfect accuracy
#
# How long does gradient descent take to recall both tokens? We compute the first $t$ with
# $L_{01}(W_t) = 0$ (at most 999) over the grid of the authors' script `exp_learning_rates.py`:
# $p_1 = 1/(1 + e^{-l})$ for ten values of $l$ log-spaced in $[10^{-0.5}, 10^{0.5}]$, ten $\alpha$
# evenly spaced in $[0.5, 1]$, ten $\eta$ log-spaced in $[0.1, 10]$, 1000 steps each: a million
# steps, run as one batched recursion of {eq}`eq-margin-map`.

# %%
p1_axis, alpha_axis, eta_axis, times = tp.time_grid(steps=1000)
grid = (p1_axis, alpha_axis, eta_axis, times)
style.glue_figure("time-to-accuracy-over-alpha", chapter.draw_time_heatmaps(*grid, over="alpha"))
style.glue_figure("time-to-accuracy-over-p1", chapter.draw_time_heatmaps(*grid, over="p1"))

# %% tags=["remove-cell"]
flip = alpha_axis[None, :, None] * p1_axis[:, None, None] >= 1 - p1_axis[:, None, None]
one_step_ok = times[~flip.expand_as(times)]
# Adjacent columns eta_k, eta_{k+1} (ratio 10^(2/9) ~ 1.668) where both times lie in [20, 998].
left, right = times[..., :-1].double(), times[..., 1:].double()
usable = (left >= 20) & (left <= 998) & (right >= 20) & (right <= 998)
small = eta_axis[1:] <= 1.0                                          # both columns at eta <= 1
ratios_small = (left / right)[usable & small]
ratios_all = (left / right)[usable]
ledger.quote("n_pairs_small", len(ratios_small), "{:.0f}")
ledger.quote("ratio_small_low", ratios_small.min(), "{:.3f}")
ledger.quote("ratio_small_high", ratios_small.max(), "{:.3f}")
ledger.quote("ratio_all_max", ratios_all.max(), "{:.3f}")
ledger.quote("n_pairs_outside", int(((ratios_all < 1.6) | (ratios_all > 1.7)).sum()), "{:.0f}")
ledger.quote("n_pairs_all", len(ratios_all), "{:.0f}")
# Exercise ex-tp-one-over-eta: p1 = 0.9, alpha = 0.8 (not a grid point), eta = 0.1 and 0.05.
time_01 = tp.time_to_accuracy(0.9, 0.8, 0.1).item()
time_005 = tp.time_to_accuracy(0.9, 0.8, 0.05, steps=4000).item()
ledger.quote("time_01", time_01, "{:.0f}")
ledger.quote("time_005", time_005, "{:.0f}")
ledger.quote("time_005_predicted", 2 * time_01, "{:.0f}")

section = "Time to perfect accuracy"
ref = PAPER + "; authors' script exp_learning_rates.py"
assert ledger.check("alpha-1-never", bool((times[:, -1, :] == 999).all()), section=section, reference=ref,
                    claim="every entry with alpha = 1 is 999 (identical embeddings, different outputs)")
assert ledger.check("no-flip-one-step", bool((one_step_ok == 1).all()) and len(one_step_ok) > 0, section=section, reference=ref,
                    claim="every entry with alpha p1 < 1 - p1 equals 1")
assert ledger.check("one-over-eta-low", ratios_small.min(), lower=1.6, section=section, reference=ref,
                    claim="min ratio of times in adjacent columns with eta <= 1 where both lie in [20, 998] (1/eta law: 1.668)")
assert ledger.check("one-over-eta-high", ratios_small.max(), upper=1.7, section=section, reference=ref,
                    claim="max ratio of times in adjacent columns with eta <= 1 where both lie in [20, 998] (1/eta law: 1.668)")
assert ledger.check("exercise-time-uncapped", bool(time_01 < 999 and time_005 < 3999), section=section,
                    claim="p1 = 0.9, alpha = 0.8: both times (eta = 0.1, 0.05) are below their caps")
assert ledger.check("exercise-halving-doubles", abs(time_005 - 2 * time_01), upper=1, section=section,
                    claim="p1 = 0.9, alpha = 0.8: |time at eta = 0.05 - 2 x time at eta = 0.1| (steps; the 1/eta law up to rounding)")

# %% [markdown]
# Every problem with $\alpha p_1 < p_2$ is solved by the first step, and $\alpha = 1$ (identical
# embeddings with different outputs) never is. For $\eta \le 1$, adjacent columns ($\eta$ ratio
# $10^{2/9} \approx 1.668$) have times in the ratio {glue:}`ratio_small_low` to
# {glue:}`ratio_small_high` over {glue:}`n_pairs_small` pairs: the time scales like $1/\eta$, the
# time of the gradient flow divided by the step. Including the larger steps,
# {glue:}`n_pairs_outside` of {glue:}`n_pairs_all` pairs fall outside $[1.6, 1.7]$ (up to
# {glue:}`ratio_all_max`), where times of a few dozen steps meet the rounding to whole steps and
# the $1/\eta$ law starts to bend.
#
# ```{glue:figure} time-to-accuracy-over-alpha
# :name: fig-tp-time-alpha
# :alt: Ten heatmaps, one per p1 from 0.58 to 0.96, of log10 of the time to perfect accuracy over log10 eta (horizontal) and alpha (vertical). Times are 1 at small alpha, grow towards the top row alpha = 1 where they are capped at 999, and shrink to the right as eta grows, except in the top right corner where they become irregular.
#
# $\log_{10}$ of the time to perfect accuracy over $(\log_{10}\eta, \alpha)$, one panel per $p_1$.
# Look at the colour getting darker to the right (faster with larger steps) and lighter towards
# the top (slower as the embeddings align). (The authors' script `exp_learning_rates.py` draws the
# first $p_1$ slice under every title of this figure; these are the intended slices.)
# ```
#
# ```{glue:figure} time-to-accuracy-over-p1
# :name: fig-tp-time-p1
# :alt: Ten heatmaps, one per alpha from 0.5 to 1, of log10 of the time to perfect accuracy over log10 eta (horizontal) and log(p1/p2) (vertical). Time grows with the imbalance log(p1/p2) and with alpha; the last panel, alpha = 1, is uniformly capped.
#
# The same times over $(\log_{10}\eta, \log(p_1/p_2))$, one panel per $\alpha$: the time grows
# with the imbalance (upwards) in every panel.
# ```
#
# The time grows with $\alpha$ and with the imbalance $\log(p_1/p_2)$, decreases like $1/\eta$ for
# small steps, and turns irregular for the largest steps and strongest correlations, where
# the strides of {numref}`fig-tp-phase` decide on which step the rare token lands on
# the right side.
#
# ## Explore
#
# Move $\alpha$, $p_1$ and $\eta$ and watch the path on the landscape and the two loss curves.
# Find the step size at which the first spike appears, and compare it with
# $\eta^*$ of {prf:ref}`prop-first-step`.

# %%
chapter.widget(alpha=0.95, p1=0.75, step_size=10.0)

# %% [markdown]
# The interference between two tokens is the simplest instance of what the next chapters
# study with many tokens: frequent tokens dominate the early steps, and large steps trade
# a transient increase of the loss for a faster separation {cite}`cabannes2024learning`.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-tp-predict-flip
#
# Keep $\alpha = 0.95$ but set $p = (0.5, 0.5)$. Before running anything, predict: does a
# token flip after one step? Is there a spike threshold $\eta^*$? How does
# $2/\lambda_0$ change? Then check with `two_particles.spike_threshold(0.5, 0.95)` and
# `two_particles.critical_step_size(0.5, 0.95)`, and with the widget.
# ```
#
# ```{solution} ex-tp-predict-flip
# :class: dropdown
#
# With $p_1 = p_2$, $m_1 = \eta\, p_1 (1 - \alpha)(1, 1)$: both margins are positive after one step
# for every $\eta$, so nothing flips and $\eta^* = \infty$ (the function returns `inf`). The
# sharpness at zero is $(1 + \sqrt{1 - (1 - \alpha^2)})/4 = (1 + \alpha)/4 = 0.4875$, so
# $2/\lambda_0 \approx 4.10$: a step of 10 is beyond the descent-lemma bound at $W = 0$, but there
# is no misclassification to oscillate around, and the time to perfect accuracy is 1.
# ```
#
# ```{exercise}
# :label: ex-tp-one-over-eta
#
# For $p_1 = 0.9$ and $\alpha = 0.8$ (not points of the grid above), compute the time $T$ to
# perfect accuracy at $\eta = 0.1$ with `two_particles.time_to_accuracy(0.9, 0.8, 0.1)`.
# Predict the time at $\eta = 0.05$ from the $1/\eta$ law, then compute it with
# `two_particles.time_to_accuracy(0.9, 0.8, 0.05, steps=4000)`. Why does the law hold for small
# $\eta$ and not for large ones?
# ```
#
# ```{solution} ex-tp-one-over-eta
# :class: dropdown
#
# For small $\eta$, gradient descent follows the gradient flow of {eq}`eq-margin-map` with
# time $\tau = \eta t$; the flow reaches the wedge at some $\tau^*$ independent of $\eta$, so
# $t \approx \tau^*/\eta$ and halving $\eta$ doubles the time (up to one step of rounding):
# $T =$ {glue:}`time_01` at $\eta = 0.1$ predicts {glue:}`time_005_predicted` at $\eta = 0.05$,
# and the computation gives {glue:}`time_005`. For large $\eta$ the iterates stride across the
# valley of {numref}`fig-tp-phase`, so the time is set by which stride lands in the quadrant, not
# by $\tau^*$.
# ```
#
# ```{exercise}
# :label: ex-tp-perceptron
#
# Compute the perceptron limit {eq}`eq-perceptron-limit` by hand for $\alpha = 0.95$,
# $p = (0.75, 0.25)$ and check it against `two_particles.large_step_limit(0.75, 0.95, 3)`. Then
# predict from $\rho(\eta)$ whether a run with $\eta = 150$ misclassifies a token after $t = 1$, and
# check with `two_particles.margin_trajectory(0.75, 0.95, 150.0, 50)`.
# ```
#
# ```{solution} ex-tp-perceptron
# :class: dropdown
#
# $n_1 = Kp = (0.75 - 0.95 \cdot 0.25,\ 0.25 - 0.95 \cdot 0.75) = (0.5125, -0.4625)$. Only token 2
# is wrong, so $n_2 = n_1 + 2 p_2 (-\alpha, 1) = (0.5125 - 0.475,\ -0.4625 + 0.5) = (0.0375, 0.0375)$.
# Both are now positive and the limit stops moving. At $\eta = 150$, $\eta n^* = 5.6$ and
# $\rho = 2 \cdot 0.4625 \cdot \sigma(-5.6)/0.0375 \approx 0.09$: the neglected push removes less than
# a tenth of the rare token's margin, so the run should follow the limit, and indeed it
# misclassifies a token only at $t = 1$ (150 is above $\eta_c$ in the right panel of
# {numref}`fig-tp-large-steps`).
# ```
