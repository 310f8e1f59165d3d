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
# accuracy faster; how the margins grow in the long run; where the critical step size
# $2/\text{sharpness}$ sits; what happens when $\eta \to \infty$; and how long it takes to
# recall both tokens over a whole grid of problems.
#
# **Prerequisites**: {ref}`chap-associative-memory` (the model, margins and the first
# step); {ref}`chap-particles` (the particle form and the two-class margin system); the
# logistic function; eigenvalues of a $2 \times 2$ matrix.
#
# **Run time**: about 20 s on a laptop CPU.
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
# and the loss is $L = p_1 \log(1 + e^{-m_1}) + p_2 \log(1 + e^{-m_2})$.
#
# Tokens and outputs are numbered 1 and 2 here, as in the paper; the code (and the rest of
# the book) numbers classes from 0, so $u_1$ is class 0 and $u_2$ is class 1. As everywhere in
# the book, **ties go to the first class** ($u_1$, class 0). Hence token 1 is recalled exactly
# when $m_1 \ge 0$ and token 2 exactly when $m_2 > 0$: at $W_0 = 0$ both margins are 0, token 1
# is recalled and token 2 is not, and a margin $m_2 = 0$ always counts as an error.
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
# $2 \times 2$ memory itself.

# %%
import math
import time

import numpy as np
import torch
from matplotlib.path import Path
from myst_nb import glue

from assocmem import claims, data, landscape, memory, train
from assocmem import two_particles as tp
from assocmem.chapters.learning import two_particles as chapter
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("two_particles", title="Two interacting particles")


def f64(values):
    return torch.tensor(values, dtype=torch.float64)


deviations = []
for alpha, p1, targets in [(0.95, 0.75, [0, 1]), (0.5, 0.6, [0, 1]), (-0.5, 0.8, [0, 1]), (0.95, 0.75, [0, 0])]:
    E, U = data.two_token_embeddings(alpha)
    run = train.gd(E, U, data.two_token_freqs(p1), targets, step_size=[0.5, 3.0, 10.0], steps=50)
    sign = 1 if targets == [0, 1] else -1          # same outputs: the map of -alpha
    m = tp.margin_trajectory(p1, sign * alpha, f64([0.5, 3.0, 10.0]), 50)
    deviations.append((m[:, :50] - run.margins).abs().max().item())
print("largest |margin map - GD| over 4 problems x 3 step sizes x 50 steps:", max(deviations))

# %% tags=["remove-cell"]
assert ledger.check("margin-map-vs-gd", max(deviations), upper=1e-10, section="The smallest problem with interference",
             claim="max |m_t from eq. (margin map) - margins of GD on W| (4 problems incl. same outputs, 3 step sizes, 50 steps)",
             reference="Cabannes et al. 2024, §4 (two particles)")

# %% [markdown]
# The map reproduces gradient descent to rounding error, including the same-output case
# through $\alpha \to -\alpha$.
#
# ## Landscapes and the zero-error wedge
#
# A memory with two outputs is summarised by the linear classifier
# $\gamma = W^\top (u_1 - u_2) \in \mathbb{R}^2$ (we index it $\gamma = (\gamma_0, \gamma_1)$,
# as in the paper's figures), since $s_W(x, u_1) - s_W(x, u_2) = \gamma \cdot e_x$. Both tokens are
# recalled exactly in the wedge
#
# $$
# \{\gamma_0 \ge 0,\ \ \alpha \gamma_0 + \sqrt{1 - \alpha^2}\, \gamma_1 < 0\},
# $$
#
# (ties go to the first class, so the edge $\gamma \cdot e_1 = 0$ belongs to it and the edge
# $\gamma \cdot e_2 = 0$ does not),
#
# the intersection of two half-planes whose inward normals $e_1$ and $-e_2$ make the angle
# $\arccos(-\alpha)$, so the wedge has opening $\pi - \arccos(-\alpha) = \arccos \alpha$. We draw the loss (divided by
# $N = 2$, as in the paper's figure) over the shaded 0-1 loss for $p = (0.75, 0.25)$, with the
# wedge drawn from its two inequalities (`landscape.zero_error_region`).

# %%
fig = chapter.draw_landscapes(alphas=(-0.5, 0.5, 0.95))
style.glue_figure("two-particle-landscapes", fig)

for name, alpha in (("opening_neg", -0.5), ("opening_half", 0.5), ("opening_high", 0.95)):
    glue(name, f"{math.degrees(math.acos(alpha)):.0f}°", display=False)

# Grid check: points with zero 0-1 loss are exactly those inside the drawn polygon.
agreement, zero_fraction = [], []
for alpha in (-0.5, 0.5, 0.95):
    E, U, p, t = tp.problem(alpha, 0.75)
    land = landscape.evaluate(E, U, p, t, (-10, 10), (-10, 10), num=120)
    poly = landscape.zero_error_region(E, t, (-10, 10), (-10, 10))
    G0, G1 = np.meshgrid(land.g0.numpy(), land.g1.numpy())
    inside = Path(poly.numpy()).contains_points(np.c_[G0.ravel(), G1.ravel()]).reshape(G0.shape)
    agreement.append(((land.zero_one.numpy() == 0) == inside).mean())
    zero_fraction.append((land.zero_one.numpy() == 0).mean())
print("agreement of wedge and grid:", np.round(agreement, 4), " zero-error area fraction:", np.round(zero_fraction, 3))

# %% tags=["remove-cell"]
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
# (darker is worse); the hatched wedge is where both tokens are recalled.
# ```
#
# The opening of the wedge is {glue:text}`opening_neg` for $\alpha = -0.5$,
# {glue:text}`opening_half` for $\alpha = 0.5$ and only {glue:text}`opening_high` for
# $\alpha = 0.95$. Near the origin (top row) the loss is almost a quadratic bowl whose
# valley points along the frequent token's direction, *outside* the thin wedge: a descent
# path that follows the valley classifies token 1 correctly and token 2 wrongly for a long
# time.
#
# ## A loss spike that helps
#
# We run gradient descent from $W_0 = 0$ for 35 steps on $\alpha = 0.95$, $p = (0.75, 0.25)$,
# with $\eta = 1$ and $\eta = 10$ (losses are logged on $W_t$, before update $t$).

# %%
fig = chapter.draw_gd(alpha=0.95, p1=0.75, step_sizes=(10.0, 1.0), steps=35, xlim=(-1, 8), ylim=(-17, 10))
style.glue_figure("loss-spike", fig)

E, U, p, t = tp.problem(0.95, 0.75)
spike = train.gd(E, U, p, t, step_size=[10.0, 1.0], steps=35)
L_big, L_small = spike.loss[0], spike.loss[1]
n_spikes = int((L_big[:11] > math.log(2)).sum())
glue("n_spikes", n_spikes, display=False)
glue("spike_max", f"{L_big.max().item():.2f}", display=False)
first_zero = int(torch.nonzero(spike.zero_one[0] == 0)[0])
glue("first_zero_big", first_zero, display=False)
settled = int(torch.nonzero(spike.zero_one[0] > 0)[-1]) + 1             # zero 0-1 loss from here on
glue("settled_big", settled, display=False)
glue("loss_ratio_34", f"{(L_big[34] / L_small[34]).item():.2f}", display=False)
glue("loss_small_34", f"{L_small[34].item():.3f}", display=False)
glue("loss_big_34", f"{L_big[34].item():.4f}", display=False)

# %% tags=["remove-cell"]
section = "A loss spike that helps"
ref = "Cabannes et al. 2024, Fig. 2 (F-B)"
assert ledger.check("fb-spikes", n_spikes, lower=2, section=section, reference=ref,
             claim="eta = 10: number of t <= 10 with L(W_t) > log 2")
assert ledger.check("fb-perfect-after-15", spike.zero_one[0, 15:].max(), upper=0.0, section=section, reference=ref,
             claim="eta = 10: max over t >= 15 of L01(W_t)")
assert ledger.check("fb-final-ratio", (L_big[34] / L_small[34]).item(), upper=0.2, section=section, reference=ref,
             claim="L(W_34) with eta = 10 divided by L(W_34) with eta = 1")
assert ledger.check("fb-small-monotone", bool((L_small[1:] < L_small[:-1]).all()), section=section, reference=ref,
             claim="eta = 1: L(W_t) strictly decreasing over t = 0..34")
assert ledger.check("fb-small-stuck-low", spike.zero_one[1].min(), lower=0.25, section=section, reference=ref,
             claim="eta = 1: min over t <= 34 of L01(W_t) (the rare token stays misclassified)")
assert ledger.check("fb-small-stuck-high", spike.zero_one[1].max(), upper=0.25, section=section, reference=ref,
             claim="eta = 1: max over t <= 34 of L01(W_t)")

# %% [markdown]
# ```{glue:figure} loss-spike
# :name: fig-tp-spike
# :alt: Left, two gradient-descent paths on the alpha = 0.95 landscape starting at the origin; the eta = 1 path creeps along the valley outside the wedge, the eta = 10 path jumps back and forth across the valley and enters the wedge. Middle, loss against step on a log scale; eta = 10 rises above the dashed log 2 line several times early on and ends far below eta = 1. Right, 0-1 loss against step; eta = 1 stays at 0.25, eta = 10 oscillates and then drops to 0.
#
# Gradient descent on $\alpha = 0.95$, $p = (0.75, 0.25)$ with $\eta = 10$ and $\eta = 1$. Left:
# paths in the $\gamma$ plane (square: start, star: end). Middle: $L(W_t)$, with the dashed
# line at $L(W_0) = \log 2$. Right: $L_{01}(W_t)$.
# ```
#
# With $\eta = 10$ the loss rises above its initial value $\log 2$ at {glue:text}`n_spikes`
# of the first eleven iterates (up to {glue:text}`spike_max`), yet the 0-1 loss first vanishes at
# $t =$ {glue:text}`first_zero_big`, flickers while the iterates jump across the wedge, and is
# zero for good from $t =$ {glue:text}`settled_big` on; at $t = 34$ the loss is {glue:text}`loss_big_34`,
# {glue:text}`loss_ratio_34` times that of $\eta = 1$ ({glue:text}`loss_small_34`). The small
# step decreases the loss at every step, and misclassifies the rare token at every step:
# it slides down the valley of {numref}`fig-tp-landscapes`, which lies outside the wedge.
#
# ## The first step
#
# ```{prf:proposition} The first step
# :label: prop-first-step
#
# From $W_0 = 0$, one step gives $m_1 = \eta\,(p_1 - \alpha p_2,\ p_2 - \alpha p_1)$. If
# $\alpha p_1 \ge p_2$ the rare token is misclassified after one step for every $\eta > 0$ (at
# equality its margin is $0$, a tie, which goes to the first class). If $\alpha p_1 > p_2$,
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
# that `two_particles.spike_threshold` finds with Brent's method.

# %%
grid_p1 = f64([0.5, 0.6, 0.75, 0.9])[:, None, None]
grid_alpha = f64([-0.9, -0.3, 0.0, 0.5, 0.8, 0.95, 1.0])[None, :, None]
grid_eta = f64([0.1, 1.0, 3.0, 10.0, 100.0])[None, None, :]
one_step = tp.margin_trajectory(grid_p1, grid_alpha, grid_eta, 1)[..., 1, :]
p2 = 1 - grid_p1
formula = grid_eta[..., None] * torch.stack(torch.broadcast_tensors(grid_p1 - grid_alpha * p2, p2 - grid_alpha * grid_p1), dim=-1)
first_step_error = (one_step - formula).abs().max().item()
print("max |m_1 - eta (p1 - alpha p2, p2 - alpha p1)| over 140 problems:", first_step_error)

eta_star = tp.spike_threshold(0.75, 0.95)
above = tp.one_step_loss(eta_star * (1 + 1e-9), 0.75, 0.95).item()
below = tp.one_step_loss(eta_star * (1 - 1e-9), 0.75, 0.95).item()
print(f"threshold eta* = {eta_star:.6f};  L(W_1) - log 2 just below: {below - math.log(2):.2e}, just above: {above - math.log(2):.2e}")
glue("eta_star", f"{eta_star:.2f}", display=False)
eta_star_half = tp.spike_threshold(0.75, 0.5)
print(f"threshold at alpha = 0.5: {eta_star_half:.2f}")
# The boundary alpha = p2 / p1: the rare token's first-step margin is exactly 0, a tie lost to the first class.
alpha_tie = 0.25 / 0.75
tie_margins = tp.first_step_margins(0.75, alpha_tie, f64([0.1, 1.0, 10.0, 100.0]))
tie_correct = tp.correct_from_margins(tie_margins)
tie_loss = tp.one_step_loss(torch.logspace(-2, 4, 200, dtype=torch.float64), 0.75, alpha_tie)
print(f"alpha = p2/p1 = {alpha_tie:.4f}: first-step margins {tie_margins[:, 1].tolist()}, token 2 recalled: {tie_correct[:, 1].tolist()}")
glue("alpha_tie", "1/3" if abs(alpha_tie - 1 / 3) < 1e-15 else f"{alpha_tie:.3f}", display=False)
style.glue_figure("one-step-loss", chapter.draw_one_step_loss(p1=0.75, alphas=(0.0, 0.5, 0.95)))

# %% tags=["remove-cell"]
section = "The first step"
assert ledger.check("first-step-formula", first_step_error, upper=1e-12, section=section, reference="Cabannes et al. 2024, §4",
             claim="max |m_1 - eta (p1 - alpha p2, p2 - alpha p1)| on a 4 x 7 x 5 grid of (p1, alpha, eta)")
assert ledger.check("threshold-above", above - math.log(2), lower=0.0, strict=True, section=section,
             claim="L(W_1) - log 2 at eta* (1 + 1e-9), alpha = 0.95, p1 = 0.75")
assert ledger.check("threshold-below", below - math.log(2), upper=0.0, strict=True, section=section,
             claim="L(W_1) - log 2 at eta* (1 - 1e-9), alpha = 0.95, p1 = 0.75")
assert ledger.check("no-threshold-without-flip", bool(tp.spike_threshold(0.75, 0.3) == math.inf
             and (tp.one_step_loss(torch.logspace(-2, 4, 200, dtype=torch.float64), 0.75, 0.3) < math.log(2)).all()),
             section=section, claim="alpha p1 < p2 (alpha = 0.3): no threshold, L(W_1) < log 2 for eta in [1e-2, 1e4]")
assert ledger.check("tie-margin-zero", tie_margins[:, 1].abs().max().item(), upper=0.0, section=section,
             claim="alpha = p2 / p1 = 1/3, p1 = 0.75: |first-step margin of token 2| for eta in {0.1, 1, 10, 100} (exactly 0)")
assert ledger.check("tie-goes-to-first-class", bool((~tie_correct[:, 1]).all() and tie_correct[:, 0].all()), section=section,
             claim="alpha = p2 / p1: after one step token 2 is misclassified (tie to class 0) and token 1 recalled, for every eta tested")
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
# it exceeds $L(W_0) = \log 2$ beyond the marked thresholds $\eta^*$.
# ```
#
# For $\alpha = 0.95$ and $p = (0.75, 0.25)$ the threshold is $\eta^* =$ {glue:text}`eta_star`:
# the step $\eta = 10$ of {numref}`fig-tp-spike` is above it, hence its first spike. For
# $\alpha < p_2/p_1 =$ {glue:text}`alpha_tie` the rare token does not flip and no step size
# makes the first step worse than the start. At $\alpha = p_2/p_1$ exactly, the rare token's
# first-step margin is $\eta(p_2 - \alpha p_1) = 0$ for every $\eta$: a tie, which goes to the
# first class, so the rare token is misclassified, although the loss still decreases
# ($L(W_1) < \log 2$). (Gradient descent on $W$ computes this zero margin in floating point
# and may land a rounding error on either side of it; the margin map computes it exactly.)
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
start = time.perf_counter()
m_long = tp.margin_trajectory(0.75, signed[:, None], etas_long[None, :], T_long)
print(f"{T_long} steps for 8 problems in {time.perf_counter() - start:.2f} s")

p_vec = f64([0.75, 0.25])
m_T = m_long[:2, :, T_long]                                   # different outputs, (alpha, eta, x)
predicted = torch.log(2 * (1 - alphas_long[:, None, None]) * p_vec * etas_long[None, :, None] * T_long)
margin_gap = (m_T - predicted).abs().max().item()
scaled_loss = tp.loss_from_margins(m_T, 0.75) * (1 - alphas_long[:, None]) * etas_long[None, :] * T_long
same_scaled = tp.loss_from_margins(m_long[2:, :, T_long], 0.75) * (1 + alphas_long[:, None]) * etas_long[None, :] * T_long
same_gap = (m_long[2:, :, T_long] - torch.log(2 * (1 + alphas_long[:, None, None]) * p_vec * etas_long[None, :, None] * T_long)).abs()
print("different outputs: max |m - log(2(1-a) p eta t)| =", f"{margin_gap:.2e}", "; L (1-a) eta t =", scaled_loss.numpy().round(4).tolist())
print("same outputs:      L (1+a) eta t =", same_scaled.numpy().round(4).tolist(), "; margin gaps:", same_gap.amax(-1).numpy().round(3).tolist())
glue("margin_gap", f"{margin_gap:.1e}", display=False)
glue("scaled_loss_range", f"{scaled_loss.min().item():.4f} and {scaled_loss.max().item():.4f}", display=False)
glue("same_scaled_range", f"{same_scaled.min().item():.3f} and {same_scaled.max().item():.3f}", display=False)
glue("same_gap_max", f"{same_gap.max().item():.2f}", display=False)
style.glue_figure("two-particle-asymptotics", chapter.draw_asymptotics(m_long[:2], 0.75, (0.5, 0.95), (1.0, 10.0)))

# %% tags=["remove-cell"]
section = "Long-run growth of the margins"
assert ledger.check("asymptotic-margins", margin_gap, upper=0.005, section=section, reference="Cabannes et al. 2024, §4",
             claim="max over alpha in {0.5, 0.95}, eta in {1, 10}, x of |m_x(1e5) - log(2 (1 - alpha) p_x eta 1e5)|")
assert ledger.check("asymptotic-loss-low", scaled_loss.min(), lower=0.99, section=section, reference="Cabannes et al. 2024, §4",
             claim="min of L(W_t) (1 - alpha) eta t at t = 1e5 over alpha in {0.5, 0.95}, eta in {1, 10}")
assert ledger.check("asymptotic-loss-high", scaled_loss.max(), upper=1.01, section=section, reference="Cabannes et al. 2024, §4",
             claim="max of L(W_t) (1 - alpha) eta t at t = 1e5 over alpha in {0.5, 0.95}, eta in {1, 10}")
assert ledger.check("same-output-loss-low", same_scaled.min(), lower=0.98, section=section,
             claim="same outputs: min of L(W_t) (1 + alpha) eta t at t = 1e5 (alpha in {0.5, 0.95}, eta in {1, 10})")
assert ledger.check("same-output-loss-high", same_scaled.max(), upper=1.02, section=section,
             claim="same outputs: max of L(W_t) (1 + alpha) eta t at t = 1e5")
assert ledger.check("same-output-margins-slow", same_gap.max(), lower=0.1, section=section,
             claim="same outputs, alpha = 0.95: the individual margins are still far (> 0.1) from their limit form at t = 1e5")

# %% [markdown]
# ```{glue:figure} two-particle-asymptotics
# :name: fig-tp-asymptotics
# :alt: Left, log-log plot of the largest distance between the margins and log(2 (1 - alpha) p eta t) against t, decreasing for the four combinations of alpha and eta. Right, the rescaled loss L (1 - alpha) eta t against t on a log axis, tending to 1 for all four.
#
# Different outputs, $p = (0.75, 0.25)$. Left: distance of the margins to
# {eq}`eq-tp-asymptotics`. Right: $L(W_t)(1 - \alpha)\eta t$, which tends to 1.
# ```
#
# At $t = 10^5$ the margins are within {glue:text}`margin_gap` of
# $\log(2(1 - \alpha) p_x \eta t)$ and $L(W_t)(1 - \alpha)\eta t$ lies between
# {glue:text}`scaled_loss_range`. With the same outputs, $L(W_t)(1 + \alpha)\eta t$ is between
# {glue:text}`same_scaled_range`, while the individual margins are still up to
# {glue:text}`same_gap_max` away from their limit form, as the slow exponent predicted.
#
# ## Sharpness and the critical step size
#
# ```{prf:proposition} Sharpness at initialisation
# :label: prop-tp-sharpness-zero
#
# At $W = 0$ the largest eigenvalue of the Hessian of $L$ is
# $\displaystyle \lambda_0 = \frac{1 + \sqrt{1 - 4 p_1 p_2 (1 - \alpha^2)}}{4}$, so gradient descent is
# locally unstable at initialisation exactly when $\eta > 2 / \lambda_0$.
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

# %%
P1s = f64(np.linspace(0.5, 0.95, 7))
alphas_s = f64(np.linspace(-1, 1, 9))
closed = tp.sharpness_at_zero(P1s[:, None], alphas_s[None, :])
direct = torch.stack([torch.stack([memory.sharpness(torch.zeros(2, 2), *tp.problem(a.item(), q.item())) for a in alphas_s]) for q in P1s])
sharp_error = (closed - direct).abs().max().item()
eta_crit = tp.critical_step_size(0.75, 0.95).item()
print(f"max |closed form - memory.sharpness| on a 7 x 9 grid: {sharp_error:.1e};  2 / sharpness at alpha = 0.95: {eta_crit:.3f}")
glue("eta_crit", f"{eta_crit:.2f}", display=False)
glue("sharp_zero", f"{tp.sharpness_at_zero(0.75, 0.95).item():.3f}", display=False)

# Sharpness along the eta = 10 run of the spike section, on the stored iterates W_0, ..., W_35.
E, U, p, t = tp.problem(0.95, 0.75)
run_10 = train.gd(E, U, p, t, step_size=10.0, steps=35, store_W=True)
sharp_path = memory.sharpness(run_10.W[0], E, U, p, t)                   # (36,)
unstable = torch.nonzero(10.0 * sharp_path > 2.0).flatten()
stable_from = int(unstable[-1]) + 1                                       # eta * sharpness < 2 from here on
rises = torch.nonzero(sharp_path.diff() > 0).flatten()
falls_from = int(rises[-1]) + 1                                           # sharpness decreases at every step from here on
print(f"eta = 10: sharpness {sharp_path[0].item():.3f} at t = 0, {sharp_path[-1].item():.3f} at t = 35; "
      f"below 2/eta from t = {stable_from}, decreasing from t = {falls_from}")
glue("sharp_final", f"{sharp_path[-1].item():.3f}", display=False)
glue("sharp_stable_from", stable_from, display=False)
glue("sharp_falls_from", falls_from, display=False)

# %% tags=["remove-cell"]
assert ledger.check("sharpness-closed-form", sharp_error, upper=1e-10, section="Sharpness and the critical step size",
             claim="max |(1 + sqrt(1 - 4 p1 p2 (1 - alpha^2))) / 4 - memory.sharpness(0)| on a 7 x 9 grid of (p1, alpha)")
assert ledger.check("critical-between-steps", bool(1.0 < eta_crit < 10.0), section="Sharpness and the critical step size",
             claim="F-B: eta = 1 is below the critical step 2 / sharpness(0) and eta = 10 above it")
assert ledger.check("sharpness-path-start", abs(sharp_path[0].item() - tp.sharpness_at_zero(0.75, 0.95).item()), upper=1e-10,
             section="Sharpness and the critical step size", claim="eta = 10 run: memory.sharpness(W_0) equals the closed form lambda_0")
assert ledger.check("sharpness-falls-eta10", sharp_path[-1].item() / sharp_path[0].item(), upper=0.25, section="Sharpness and the critical step size",
             claim="eta = 10, alpha = 0.95, p1 = 0.75: sharpness(W_35) / sharpness(W_0)")
assert ledger.check("sharpness-stable-eta10", stable_from, upper=20, section="Sharpness and the critical step size",
             claim="eta = 10: first t from which eta * sharpness(W_s) < 2 for every s >= t (up to 35)")
assert ledger.check("sharpness-decreasing-tail", falls_from, upper=25, section="Sharpness and the critical step size",
             claim="eta = 10: first t from which sharpness(W_s) decreases at every step up to s = 35")
tail = run_10.margins[0, falls_from:]                                     # margins of W_t, falls_from <= t <= 34
assert ledger.check("sharpness-tail-margins-grow", bool((tail > 0).all() and tail[-1].min() > tail[0].min()),
             section="Sharpness and the critical step size",
             claim="eta = 10: over the stretch where the sharpness decreases both margins stay positive and the smaller one ends larger than it starts")

# %% [markdown]
# For $\alpha = 0.95$, $p = (0.75, 0.25)$ the sharpness at zero is {glue:text}`sharp_zero` and the
# critical step is $2/\lambda_0 =$ {glue:text}`eta_crit`: $\eta = 1$ is stable at
# initialisation, while $\eta = 10$ is *locally unstable at initialisation*. This is not the
# edge of stability of {cite}`cohen2021gradient`, where the sharpness rises during training
# until it hovers at $2/\eta$; here it starts above $2/\eta$ and the instability is harmless,
# because the sharpness falls as the margins grow (the softmax saturates). Along the
# $\eta = 10$ run of {numref}`fig-tp-spike` it jumps up and down while the iterates cross the
# wedge, stays below $2/\eta$ from $t =$ {glue:text}`sharp_stable_from` on, and decreases at
# every step from $t =$ {glue:text}`sharp_falls_from` on, down to {glue:text}`sharp_final` at
# $t = 35$, while both tokens stay recalled and their margins grow: the iterates end up in a
# flat region.
#
# ## The large-step limit
#
# Divide {eq}`eq-margin-map` by $\eta$ and write $n_t = m_t/\eta$:
# $n_{t+1} = n_t + 2 K P \sigma(-\eta n_t)$. As $\eta \to \infty$, $\sigma(-\eta n)$ becomes the
# step function $H(-n)$, with $H(z) = 1$ if $z > 0$, $H(z) = 0$ if $z < 0$ and $H(0) = 1/2$:
# the last value is $\sigma(0)$ for every $\eta$, and it matters because the recursion starts
# at $n_0 = 0$ (so $n_1 = K p$, exactly $m_1/\eta$). `two_particles.large_step_limit` uses the
# same convention. Then
#
# $$
# n_{t+1} = n_t + 2 K P\, H(-n_t),
# $$ (eq-perceptron-limit)
#
# a perceptron that corrects the misclassified tokens (and half-corrects a margin that is
# exactly 0), with no $\eta$ left in it. So for
# large $\eta$: the loss spikes are $\eta$ times the loss of the limit ($L \approx \sum_x p_x \eta
# \max(-n_x, 0)$), the number of oscillating steps is that of the perceptron, and once it has
# separated the tokens the margins are $\eta n$ and the loss is exponentially small in $\eta$.
# We run $\eta \in \{1, 10, 30, 100, 1000\}$ for 200 steps.

# %%
etas_large = f64([1.0, 10.0, 30.0, 100.0, 1000.0])
m_large = tp.margin_trajectory(0.75, 0.95, etas_large, 200)
L_large = tp.loss_from_margins(m_large[:, :200], 0.75)          # L(W_0), ..., L(W_199)
limit = tp.large_step_limit(0.75, 0.95, 200)
settle = int(torch.nonzero((limit > 0).all(-1))[0])               # perceptron steps until both tokens are right
peak_ratio = (L_large[3].max() / L_large[1].max()).item()
final = L_large[:, 199]
limit_gap = (m_large[4] / 1000 - limit).abs().max().item()
predicted_final = (p_vec * torch.exp(-1000 * limit[199])).sum().item()
print("max_t L:", L_large.max(1).values.numpy().round(3).tolist(), " L(W_199):", [f"{v:.2e}" for v in final.tolist()])
print(f"perceptron limit separates at t = {settle}; max |m/eta - n| at eta = 1000: {limit_gap:.1e}")
glue("peak_ratio", f"{peak_ratio:.1f}", display=False)
glue("settle", settle, display=False)
glue("final_1000", f"{final[4].item():.1e}", display=False)
glue("n_inf", f"{limit[-1].min().item():.4f}", display=False)
style.glue_figure("large-step-limit", chapter.draw_large_steps(L_large, m_large, limit, etas_large.tolist(), 0.75, 0.95))

# %% tags=["remove-cell"]
section = "The large-step limit"
assert ledger.check("peak-ratio-100-vs-10", peak_ratio, lower=15, upper=25, section=section, reference="Cabannes et al. 2024, §4",
             claim="max_{t < 200} L(W_t) at eta = 100 divided by that at eta = 10")
assert ledger.check("final-loss-decreases-with-eta", bool((final[1:4] < final[0:3]).all()), section=section,
             claim="L(W_199) strictly decreases over eta in {1, 10, 30, 100}")
assert ledger.check("limit-matches-eta-1000", limit_gap, upper=1e-6, section=section,
             claim="max_t |m_t / eta - n_t| at eta = 1000 (n_t the eta-free perceptron limit), t <= 200")
assert ledger.check("spike-proportional-to-eta", abs(L_large[4, 1].item() / 1000 - 0.25 * (0.95 * 0.75 - 0.25)) / (0.25 * (0.95 * 0.75 - 0.25)),
             upper=1e-6, section=section, claim="eta = 1000: relative |L(W_1) / eta - p2 (alpha p1 - p2)|, the spike height per unit step")
assert ledger.check("exponentially-small-loss", final[4].item() / predicted_final, lower=0.9, upper=1.1, section=section,
             claim="L(W_199) at eta = 1000 divided by sum_x p_x exp(-eta n_x) with n the limit's final margins")

# %% [markdown]
# ```{glue:figure} large-step-limit
# :name: fig-tp-large-steps
# :alt: Left, loss against step on a log scale for step sizes 1, 10, 30, 100 and 1000; larger steps spike higher in the first steps and then fall much faster and lower. Right, rescaled margins m/eta for the two tokens against step for step sizes 10 to 1000, with the dashed eta-free perceptron limit; the eta = 1000 curve lies on the limit after two steps, while smaller steps keep oscillating around it for longer.
#
# Large steps, $\alpha = 0.95$, $p = (0.75, 0.25)$. Left: $L(W_t)$ over 200 steps. Right: $m_t/\eta$
# (circles: token 1, squares: token 2) and the limit {eq}`eq-perceptron-limit` (dashed).
# ```
#
# With $\eta = 1000$ the first spike is $L(W_1) = \eta\, p_2 (\alpha p_1 - p_2)$ to six digits. The
# highest loss with $\eta = 100$ is {glue:text}`peak_ratio` times that with $\eta = 10$ (later
# spikes, not only the first, grow with the step), and
# the loss after 199 steps decreases with the step size. The limit separates both tokens
# after {glue:text}`settle` steps, with rescaled margins of at least {glue:text}`n_inf`; with
# $\eta = 1000$ the loss at $t = 199$ is {glue:text}`final_1000`, the value
# $\sum_x p_x e^{-\eta n_x}$ that the limit predicts.
#
# ## Time to perfect accuracy
#
# How long does gradient descent take to recall both tokens? We compute the first $t$ with
# $L_{01}(W_t) = 0$ (at most 999) over the paper's grid: $p_1 = 1/(1 + e^{-l})$ for ten values
# of $l$ log-spaced in $[10^{-0.5}, 10^{0.5}]$, ten $\alpha$ evenly spaced in $[0.5, 1]$, ten $\eta$
# log-spaced in $[0.1, 10]$, 1000 steps each: a million steps, run as one batched
# recursion of {eq}`eq-margin-map`.

# %%
grid_seconds = math.inf
for _ in range(2):                                                  # best of two timings (shared CPUs are noisy)
    start = time.perf_counter()
    p1_axis, alpha_axis, eta_axis, times = tp.time_grid(steps=1000)
    grid_seconds = min(grid_seconds, time.perf_counter() - start)
print(f"1000 problems x 1000 steps in {grid_seconds:.2f} s")
glue("grid_seconds", f"{grid_seconds:.2f}", display=False)

flip = alpha_axis[None, :, None] * p1_axis[:, None, None] >= 1 - p1_axis[:, None, None]
one_step_ok = times[~flip.expand_as(times)]
# Adjacent columns eta_k, eta_{k+1} (ratio 10^(2/9) ~ 1.668) where both times lie in [20, 998].
left, right = times[..., :-1].double(), times[..., 1:].double()
usable = (left >= 20) & (left <= 998) & (right >= 20) & (right <= 998)
small = eta_axis[1:] <= 1.0                                          # both columns at eta <= 1
ratios_small = (left / right)[usable & small]
ratios_all = (left / right)[usable]
print(f"{usable.sum().item()} adjacent pairs in [20, 998]; eta <= 1: ratio {ratios_small.min():.3f} to {ratios_small.max():.3f}"
      f" ({len(ratios_small)} pairs); all columns: {ratios_all.min():.3f} to {ratios_all.max():.3f}")
glue("n_pairs_small", len(ratios_small), display=False)
glue("ratio_small_range", f"{ratios_small.min():.3f} to {ratios_small.max():.3f}", display=False)
glue("ratio_all_max", f"{ratios_all.max():.3f}", display=False)
glue("n_pairs_outside", int(((ratios_all < 1.6) | (ratios_all > 1.7)).sum()), display=False)
glue("n_pairs_all", len(ratios_all), display=False)

# Exercise ex-tp-one-over-eta: p1 = 0.9, alpha = 0.8 (not a grid point), eta = 0.1 and 0.05.
time_01 = tp.time_to_accuracy(0.9, 0.8, 0.1).item()
time_005 = tp.time_to_accuracy(0.9, 0.8, 0.05, steps=4000).item()
print(f"p1 = 0.9, alpha = 0.8: time {time_01} at eta = 0.1, {time_005} at eta = 0.05")
glue("time_01", time_01, display=False)
glue("time_005", time_005, display=False)
glue("time_005_predicted", 2 * time_01, display=False)
style.glue_figure("time-to-accuracy-over-alpha", chapter.draw_time_heatmaps(p1_axis, alpha_axis, eta_axis, times, over="alpha"))
style.glue_figure("time-to-accuracy-over-p1", chapter.draw_time_heatmaps(p1_axis, alpha_axis, eta_axis, times, over="p1"))

# %% tags=["remove-cell"]
section = "Time to perfect accuracy"
ref = "Cabannes et al. 2024, F-G"
assert ledger.check("alpha-1-never", bool((times[:, -1, :] == 999).all()), section=section, reference=ref,
             claim="every entry with alpha = 1 is 999 (identical embeddings, different outputs)")
assert ledger.check("no-flip-one-step", bool((one_step_ok == 1).all()) and len(one_step_ok) > 0, section=section, reference=ref,
             claim="every entry with alpha p1 < 1 - p1 equals 1")
assert ledger.check("one-over-eta-low", ratios_small.min(), lower=1.6, section=section, reference=ref,
             claim="min ratio of times in adjacent columns with eta <= 1 where both lie in [20, 998]")
assert ledger.check("one-over-eta-high", ratios_small.max(), upper=1.7, section=section, reference=ref,
             claim="max ratio of times in adjacent columns with eta <= 1 where both lie in [20, 998]")
assert ledger.check("exercise-time-uncapped", bool(time_01 < 999 and time_005 < 3999), section=section,
             claim="p1 = 0.9, alpha = 0.8: both times (eta = 0.1, 0.05) are below their caps")
assert ledger.check("exercise-halving-doubles", abs(time_005 - 2 * time_01), upper=1, section=section,
             claim="p1 = 0.9, alpha = 0.8: |time at eta = 0.05 - 2 x time at eta = 0.1| (steps; the 1/eta law up to rounding)")

# %% [markdown]
# On the machine that built this page the whole grid took {glue:text}`grid_seconds` s (best of
# two runs; a measurement, not a guarantee: speed targets live in `benchmarks/`). Every problem with $\alpha p_1 < p_2$ is
# solved by the first step, and $\alpha = 1$ (identical embeddings with different outputs)
# never is. For $\eta \le 1$, adjacent columns ($\eta$ ratio $10^{2/9} \approx 1.668$) have
# times in the ratio {glue:text}`ratio_small_range` over {glue:text}`n_pairs_small` pairs: the
# time scales like $1/\eta$, the time of the gradient flow divided by the step. Including the
# larger steps, {glue:text}`n_pairs_outside` of {glue:text}`n_pairs_all` pairs fall outside
# $[1.6, 1.7]$ (up to {glue:text}`ratio_all_max`), where times of a few dozen steps meet the
# rounding to whole steps and the $1/\eta$ law starts to bend.
#
# ```{glue:figure} time-to-accuracy-over-alpha
# :name: fig-tp-time-alpha
# :alt: Ten heatmaps, one per p1 from 0.58 to 0.96, of log10 of the time to perfect accuracy over log10 eta (horizontal) and alpha (vertical). Times are 1 at small alpha, grow towards the top row alpha = 1 where they are capped at 999, and shrink to the right as eta grows, except in the top right corner where they become irregular.
#
# $\log_{10}$ of the time to perfect accuracy over $(\log_{10}\eta, \alpha)$, one panel per $p_1$.
# ```
#
# ```{glue:figure} time-to-accuracy-over-p1
# :name: fig-tp-time-p1
# :alt: Ten heatmaps, one per alpha from 0.5 to 1, of log10 of the time to perfect accuracy over log10 eta (horizontal) and log(p1/p2) (vertical). Time grows with the imbalance log(p1/p2) and with alpha; the last panel, alpha = 1, is uniformly capped.
#
# The same times over $(\log_{10}\eta, \log(p_1/p_2))$, one panel per $\alpha$. (The authors'
# script draws the first slice under every title; these are the intended slices.)
# ```
#
# The time grows with $\alpha$ and with the imbalance $\log(p_1/p_2)$, decreases like $1/\eta$ for
# small steps, and turns irregular for the largest steps and strongest correlations, where
# the oscillations of {numref}`fig-tp-spike` decide on which step the rare token lands on
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
# Keep $\alpha = 0.95$ but set $p = (0.5, 0.5)$. Before running anything, predict: does the
# rare token flip after one step? Is there a spike threshold $\eta^*$? How does
# $2/\lambda_0$ change? Then check with `two_particles.spike_threshold(0.5, 0.95)` and
# `two_particles.critical_step_size(0.5, 0.95)`, and with the widget.
# ```
#
# ```{solution} ex-tp-predict-flip
# :class: dropdown
#
# With $p_1 = p_2$, $m_1 = \eta\, p_1 (1 - \alpha)(1, 1)$: both margins are positive after one step
# for every $\eta$, so nothing flips and $\eta^* = \infty$ (the function returns `inf`). The
# sharpness at zero is $(1 + \sqrt{1 - (1 - \alpha^2)})/4 = (1 + \alpha)/4 = 0.4875$, so the
# critical step is $2/0.4875 \approx 4.10$: a step of 10 is still unstable at initialisation,
# but there is no misclassification to oscillate around. The time to perfect accuracy is 1.
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
# $T =$ {glue:text}`time_01` at $\eta = 0.1$ predicts {glue:text}`time_005_predicted` at $\eta = 0.05$,
# and the computation gives {glue:text}`time_005`. For
# large $\eta$ the iterates jump, overshoot and oscillate (the large-step limit), so the time is
# set by the perceptron-like dynamics and by which step lands in the wedge, not by $\tau^*$.
# ```
#
# ```{exercise}
# :label: ex-tp-perceptron
#
# Compute the perceptron limit {eq}`eq-perceptron-limit` by hand for $\alpha = 0.95$,
# $p = (0.75, 0.25)$ and check it against `two_particles.large_step_limit(0.75, 0.95, 3)`.
# ```
#
# ```{solution} ex-tp-perceptron
# :class: dropdown
#
# $n_1 = Kp = (0.75 - 0.95 \cdot 0.25,\ 0.25 - 0.95 \cdot 0.75) = (0.5125, -0.4625)$. Only token 2
# is wrong, so $n_2 = n_1 + 2 p_2 (-\alpha, 1) = (0.5125 - 0.475,\ -0.4625 + 0.5) = (0.0375, 0.0375)$.
# Both are now positive and the limit stops moving: two oscillating steps, after which
# the real margins are about $0.0375\,\eta$.
# ```
