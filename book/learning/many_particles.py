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
# (chap-many-particles)=
# # Many particles
#
# ```{admonition} In this chapter
# **You will learn** what gradient descent does when five tokens, rather than two, share
# a memory of dimension $d = 3, 5$ or $10$; why the rarest token is misclassified after the
# first step whatever the step size, and what the step size changes after that; that fewer
# dimensions than tokens ($d < N$) does not mean that the tokens cannot all be stored, and
# that what decides how long gradient descent needs is the best margin a memory can give;
# and how to read the sharpness at $W = 0$.
#
# **Prerequisites**: {ref}`chap-associative-memory` (scores, margins, the Hebbian first
# step), {ref}`chap-particles` (margins as interacting particles) and
# {ref}`chap-two-particles` (loss spikes).
#
# **Run time**: about 20 s on a laptop CPU.
# ```
#
# ## The experiment
#
# We repeat the two-particle experiment with $N = M = 5$ tokens, $f^*(x) = x$, Zipf
# frequencies $p(x) \propto 1/x$, and random unit embeddings and unembeddings in
# $\mathbb{R}^d$ for $d \in \{3, 5, 10\}$. These are the draws of the authors' notebook
# `exp_large_memory.ipynb` {cite}`cabannes2024learning`: one `torch.manual_seed(43)` per
# $d$, $E$ drawn before $U$. Full-batch gradient descent starts at $W_0 = 0$ and runs 100
# steps with $\eta \in \{3, 10, 20\}$, the three step sizes as one batched computation. As
# in every chapter, the loss at index $t$ is measured on $W_t$, before update $t$.

# %%
import torch

from assocmem import claims, memory, optima
from assocmem.chapters.learning import many_particles as sp
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("many_particles", title="Many particles")

runs = sp.many_particles_runs(dims=(3, 5, 10), step_sizes=(3.0, 10.0, 20.0), steps=100)
for d, (run, sharp) in runs.items():
    print(f"d = {d:2d}: L(W_29) =", run.loss[:, 29].numpy().round(4),
          "  accuracy at t = 99:", run.accuracy[:, 99].numpy().round(3))

# %% tags=["remove-cell"]
import math

from scipy.stats import spearmanr

from assocmem import tiers

run10, run5, run3 = runs[10][0], runs[5][0], runs[3][0]
REF = "Cabannes et al. 2024, the notebook exp_large_memory.ipynb"
AUTHORS = {"L29_eta3": 0.054, "L29_eta10": 0.014, "L29_eta20": 0.005, "L1_d3_eta20": 2.754}
ours = {"L29_eta3": run10.loss[0, 29], "L29_eta10": run10.loss[1, 29], "L29_eta20": run10.loss[2, 29], "L1_d3_eta20": run3.loss[2, 1]}
section = "The experiment"
for key, value in ours.items():
    ledger.quote(f"mp_{key}", value, "{:.4f}")
    assert ledger.check(f"authors-{key.replace('_', '-')}", abs(value.item() - AUTHORS[key]), upper=1e-3, section=section, reference=REF,
                        claim=f"|{key} here - {AUTHORS[key]} from the authors' notebook| (they print three decimals)")

# %% [markdown]
# The authors' notebook and this book agree to the three decimals the notebook gives:
#
# | quantity | authors' notebook | this book |
# |---|---|---|
# | $L(W_{29})$, $d = 10$, $\eta = 3$ | 0.054 | {glue:}`mp_L29_eta3` |
# | $L(W_{29})$, $d = 10$, $\eta = 10$ | 0.014 | {glue:}`mp_L29_eta10` |
# | $L(W_{29})$, $d = 10$, $\eta = 20$ | 0.005 | {glue:}`mp_L29_eta20` |
# | $L(W_1)$, $d = 3$, $\eta = 20$ | 2.754 | {glue:}`mp_L1_d3_eta20` |
#
# ## Loss curves

# %%
style.glue_figure("many-particles-losses", sp.draw_many_particles_losses(runs, shown=30))

# %% tags=["remove-cell"]
log5 = math.log(5)
ratio10 = (run10.loss[:, 1:] / run10.loss[:, :-1]).max()          # largest L(W_{t+1}) / L(W_t), d = 10
ratio5 = (run5.loss[:, 1:] / run5.loss[:, :-1]).max()
faster10 = (run10.loss[1:, 1:] / run10.loss[:-1, 1:]).max()         # largest L(eta_{k+1}) / L(eta_k), t >= 1
faster5 = (run5.loss[1:, 3:] / run5.loss[:-1, 3:]).max()            # from t = 3 on
spikes = int((run3.loss[2, 1:10] > log5).sum())
late_start = 10
rises3 = (torch.diff(run3.loss, dim=1)[:, late_start:] > 0).sum(dim=1)
late_steps = run3.loss.shape[1] - 1 - late_start
acc_gap = run3.accuracy[0, 99] - run3.accuracy[2, 99]
ledger.quote("mp_drop10", 100 * (1 - ratio10), "{:.1f}")
ledger.quote("mp_late_steps", late_steps, "{:.0f}")
ledger.quote("mp_rises_d3_eta20", rises3[2], "{:.0f}")
ledger.quote("mp_rises_d3_eta10", rises3[1], "{:.0f}")
ledger.quote("mp_spikes", spikes, "{:.0f}")
ledger.quote("mp_acc_d3_eta3", run3.accuracy[0, 99], "{:.2f}")
ledger.quote("mp_acc_d3_eta20", run3.accuracy[2, 99], "{:.2f}")
section = "Loss curves"
assert ledger.check("d10-monotone", ratio10, upper=0.9919, section=section, reference=REF,
                    claim="largest L(W_{t+1}) / L(W_t) over 100 steps, d = 10, all step sizes (every step cuts the loss by > 0.8 %)")
assert ledger.check("d5-monotone", ratio5, upper=0.991, section=section,
                    claim="largest L(W_{t+1}) / L(W_t) over 100 steps, d = 5, all step sizes")
assert ledger.check("d10-uniformly-faster", faster10, upper=0.64, section=section,
                    claim="largest L(W_t; eta_{k+1}) / L(W_t; eta_k) over t = 1..99 and eta in {3, 10, 20}, d = 10")
assert ledger.check("d5-faster-after-first-steps", faster5, upper=0.85, section=section,
                    claim="largest L(W_t; eta_{k+1}) / L(W_t; eta_k) over t = 3..99 and eta in {3, 10, 20}, d = 5")
assert ledger.check("d3-spikes", spikes, lower=3, section=section, reference=REF, claim="steps t in 1..9 with L(W_t) > log 5, d = 3, eta = 20")
assert ledger.check("d3-accuracy", acc_gap, lower=0.13, section=section,
                    claim="weighted accuracy at t = 99 with eta = 3 minus with eta = 20, d = 3")
assert ledger.check("d3-eta20-keeps-oscillating", rises3[2], lower=46, section=section, reference=REF,
                    claim="steps t = 10..98 with L(W_{t+1}) > L(W_t), d = 3, eta = 20 (of 89)")
assert ledger.check("d3-eta10-zigzags", rises3[1], lower=30, section=section, claim="steps t = 10..98 with L(W_{t+1}) > L(W_t), d = 3, eta = 10 (of 89)")
assert ledger.check("d3-eta3-settles", rises3[0], upper=0, section=section, claim="steps t = 10..98 with L(W_{t+1}) > L(W_t), d = 3, eta = 3")

# %% [markdown]
# ```{glue:figure} many-particles-losses
# :name: fig-many-losses
# :alt: Three panels of loss against step on a log scale for step sizes 3, 10 and 20. In dimensions 5 and 10 all curves decrease, and after the first few steps a larger step gives a lower loss. In dimension 3 the curve for step 20 jumps repeatedly above log 5 and the curves for steps 10 and 20 keep going up and down.
#
# Loss $L(W_t)$ over the first 30 steps for $N = M = 5$ tokens in dimension $d = 3, 5, 10$
# (shared logarithmic axis). Look at the right panel, where a larger step is lower at every
# $t \ge 1$, and at the left one, where $\eta = 20$ (green) jumps above the dashed
# starting value $\log 5$. Titles give the critical step $2/\lambda_{\max}(\nabla^2 L(0))$
# discussed below.
# ```
#
# With $d = 10$ and $d = 5$ every curve decreases at every one of the 100 steps (for $d = 10$
# each step removes at least {glue:}`mp_drop10` % of the loss), and larger steps are faster:
# for $d = 10$ at every step $t \ge 1$, for $d = 5$ from $t = 3$ on. With $d = 3$ the
# picture changes: with $\eta = 20$ the loss exceeds its starting value $\log 5$ at
# {glue:}`mp_spikes` of the steps $t = 1, \dots, 9$, and of the {glue:}`mp_late_steps` steps
# from $t = 10$ on it goes up at {glue:}`mp_rises_d3_eta20` with $\eta = 20$, at
# {glue:}`mp_rises_d3_eta10` with $\eta = 10$ and at none with $\eta = 3$. After 100 steps
# the frequency-weighted accuracy is {glue:}`mp_acc_d3_eta20` with $\eta = 20$, against
# {glue:}`mp_acc_d3_eta3` with $\eta = 3$. Is $d = 3$ simply too small to store five
# associations? We come back to this question below: it is not.
#
# ## The first step does not depend on the step size
#
# By {prf:ref}`prop-hebbian-step`, the first step from $W_0 = 0$ is the Hebbian memory
# $W_1 = \eta \sum_x p(x) (u_{f^*(x)} - \bar u) e_x^\top$: it is $\eta$ times a fixed
# matrix, so every margin after one step is $\eta$ times a number that does not depend on
# $\eta$, $m_{W_1}(x) = \eta\, m_{\bar W}(x)$ with $\bar W = W_1 / \eta$. In particular its
# *sign* does not depend on $\eta$: a token that the first Hebbian step gets wrong is wrong
# for every step size. We run eight steps with $d = 10$ and $\eta \in \{1, 3, 10, 20\}$.

# %%
first = sp.first_step_run(d=10, step_sizes=(1.0, 3.0, 10.0, 20.0), steps=8, seed=43)
style.glue_figure("many-particles-first-step", sp.draw_first_step(first))
print("m_1(x) / eta:\n", (first.margins[:, 1] / first.step_sizes[:, None]).numpy().round(4))

# %% tags=["remove-cell"]
scaled = first.margins[:, 1] / first.step_sizes[:, None]          # (step sizes, tokens)
rare = first.margins[:, :, 4]                                     # the rarest token, x = 5
back = [int((rare[s, 2:] > 0).nonzero()[0]) + 2 for s in range(4)]  # first t >= 2 with a positive margin
ledger.quote("mp_rare_m1_over_eta", scaled[0, 4], "{:.4f}")
for s, eta in enumerate((1, 3, 10, 20)):
    ledger.quote(f"mp_rare_m1_eta{eta}", rare[s, 1], "{:.3f}")
    ledger.quote(f"mp_back_eta{eta}", back[s], "{:.0f}")
ledger.quote("mp_rare_m2_eta3", rare[1, 2], "{:.3f}")
section = "The first step does not depend on the step size"
assert ledger.check("m1-over-eta-equal", (scaled - scaled[0]).abs().max(), upper=1e-12, section=section,
                    claim="max over tokens and eta in {1, 3, 10, 20} of |m_1(x) / eta - m_1(x) / 1|, d = 10")
assert ledger.check("rare-wrong-for-every-eta", rare[:, 1].max(), upper=0.0, strict=True, section=section, reference=REF,
                    claim="largest margin of the rarest token after one step over eta in {1, 3, 10, 20}, d = 10")
assert ledger.check("eta3-still-wrong-at-t2", rare[1, 2], upper=0.0, strict=True, section=section,
                    claim="margin of the rarest token at t = 2 with eta = 3, d = 10")
assert ledger.check("large-steps-right-at-t2", rare[2:, 2].min(), lower=0.0, strict=True, section=section,
                    claim="smallest margin of the rarest token at t = 2 over eta in {10, 20}, d = 10")
assert ledger.check("eta1-recovers-late", back[0], lower=6, section=section,
                    claim="first t >= 2 with a positive margin of the rarest token, eta = 1 (the margin keeps falling first)")
assert ledger.check("recovery-faster-with-eta", max(b - a for a, b in zip(back, back[1:])), upper=0, section=section,
                    claim="largest increase of the recovery step from one step size to the next larger one")

# %% [markdown]
# ```{glue:figure} many-particles-first-step
# :name: fig-many-first-step
# :alt: Left, the margins of five tokens after one step divided by the step size, for step sizes 1, 3, 10 and 20; the four markers of each token coincide and the rarest token is below zero. Right, the rarest token's margin over eight steps for the four step sizes; all start negative at step 1, turn positive at step 2 for step sizes 10 and 20, at step 3 for step size 3 and at step 7 for step size 1.
#
# Left: $m_{W_1}(x)/\eta$ for every token and step size ($d = 10$); the four markers of each
# token sit on top of each other, and token 5 is below zero for all four. Right: the
# margin of token 5 over the first steps: what the step size changes is how fast it
# recovers.
# ```
#
# The rarest token has $m_{W_1}(5)/\eta =$ {glue:}`mp_rare_m1_over_eta` for all four step
# sizes (its margin is {glue:}`mp_rare_m1_eta1`, {glue:}`mp_rare_m1_eta3`,
# {glue:}`mp_rare_m1_eta10` and {glue:}`mp_rare_m1_eta20` for $\eta = 1, 3, 10, 20$): the
# frequent tokens' Hebbian terms outweigh its own, exactly as in the two-particle chapter,
# and a small step does not avoid it. The step size decides what happens next. From $t = 1$
# on the frequent tokens are predicted with some confidence, so their residuals
# $p_{W_t}(\cdot \mid x) - \mathbf{1}_{f^*(x)}$, and with them their push on token 5, have
# shrunk (the more, the larger the step, since their margins are $\eta$ times larger),
# while token 5's own residual is still large: its margin is positive again at $t =$ {glue:}`mp_back_eta20` for $\eta = 20$ and $\eta = 10$, at
# $t =$ {glue:}`mp_back_eta3` for $\eta = 3$ (at $t = 2$ it is still
# {glue:}`mp_rare_m2_eta3`), and only at $t =$ {glue:}`mp_back_eta1` for $\eta = 1$, whose
# margin first keeps falling. A large step does not cause the early error; it repairs it
# sooner.
#
# ## Margins: who pays for a large step
#
# The margins $m_{W_t}(x)$ of the five tokens (one colour per token) over the first 30
# steps show where the loss goes.

# %%
style.glue_figure("many-particles-margins", sp.draw_many_particles_margins(runs, shown=30))

# %% tags=["remove-cell"]
m3 = run3.margins                                    # (step sizes, T, tokens)
negative_late = (m3[:, -1] < 0).all(dim=0)           # tokens with a negative margin at t = 99 for every eta
moves = torch.diff(m3[:, late_start:], dim=1)
reversals = (moves[:, 1:] * moves[:, :-1] < 0).sum(dim=1)     # (step sizes, tokens)
reversal_steps = moves.shape[1] - 1
ledger.quote("mp_d3_negative", int((negative_late.nonzero().flatten() + 1).min()), "{:.0f}")
ledger.quote("mp_reversal_steps", reversal_steps, "{:.0f}")
ledger.quote("mp_reversals_min", reversals[1:].min(), "{:.0f}")
ledger.quote("mp_reversals_eta3", reversals[0].max(), "{:.0f}")
section = "Margins: who pays for a large step"
assert ledger.check("d3-rare-margins-negative", bool(negative_late[-1]) and not bool(negative_late[0]), section=section,
                    claim="d = 3: the rarest token ends (t = 99) with a negative margin for every eta, the most frequent does not")
assert ledger.check("d3-margins-zigzag", reversals[1:].min(), lower=60, section=section,
                    claim="fewest direction reversals over t = 11..98 of any token's margin, d = 3, eta in {10, 20} (of 88)")
assert ledger.check("d3-eta3-margins-smooth", reversals[0].max(), upper=1, section=section,
                    claim="most direction reversals over t = 11..98 of any token's margin, d = 3, eta = 3")

# %% [markdown]
# ```{glue:figure} many-particles-margins
# :name: fig-many-margins
# :alt: A three by three grid of panels, rows d = 3, 5, 10 and columns step size 3, 10, 20, each showing the margins of five tokens against step. For d = 10 all margins end positive; the rarest dips below zero after one step. For d = 3 the rarest tokens stay below zero over the 30 steps, and with steps 10 and 20 every margin zigzags from step to step.
#
# Margins of the five tokens over the first 30 steps, for each dimension (rows, shared
# vertical axis per row) and step size (columns). Token 1 is the most frequent. Compare
# the bottom row, where every margin ends positive, with the top row, where the rare
# tokens stay below zero and, for $\eta = 10, 20$, every margin zigzags.
# ```
#
# With $d = 10$ the dip of the rarest token after the first step is the only negative
# margin, and it does no lasting harm. With $d = 3$ five embeddings in $\mathbb{R}^3$
# overlap strongly, each step for one token moves the others, and after 100 steps tokens
# {glue:}`mp_d3_negative` to 5 (the rarest ones) still have a negative margin for all three
# step sizes. With $\eta = 10$ and $\eta = 20$ every margin zigzags: of
# the {glue:}`mp_reversal_steps` steps $t = 11, \dots, 98$, each token's margin reverses
# direction at least {glue:}`mp_reversals_min` times, against at most
# {glue:}`mp_reversals_eta3` with $\eta = 3$.
#
# ## Fewer dimensions than tokens is not the same as not separable
#
# Can *some* memory $W \in \mathbb{R}^{3 \times 3}$ classify the five tokens of the $d = 3$
# problem correctly? The tokens are **separable** when a memory gives every token a
# positive margin, that is when the $N(M - 1) = 20$ linear inequalities
#
# $$
# u_{f^*(x)}^\top W e_x - u_y^\top W e_x > 0, \qquad x \in [N],\ y \neq f^*(x),
# $$ (eq-separable)
#
# in the $d^2 = 9$ entries of $W$ have a common solution. Scaling $W$ turns "$> 0$" into
# "$\ge 1$", so this is a linear program: `optima.is_separable` asks the HiGHS solver for a
# feasible $W$ and checks its margins. Having fewer dimensions than tokens ($d < N$) does
# not settle the question: it limits how many *orthogonal* embeddings fit, but 20
# inequalities in 9 unknowns may still have solutions. How easy they are to satisfy is
# measured by the **best margin** $\max_{\|W\|_F = 1} \min_x m_W(x)$ (`optima.max_margin`,
# a small quadratic program).

# %%
for d in (3, 4, 5, 10):
    E, U, p, t = sp.many_particles_problem(d, seed=43)
    best = optima.max_margin(E, U, t)
    print(f"d = {d:2d}: separable {optima.is_separable(E, U, t)}, best margin {best.margin:.4f}")

# %% tags=["remove-cell"]
best_margins = {}
for d in (3, 4, 5, 10):
    E, U, p, t = sp.many_particles_problem(d, 43)
    best_margins[d] = optima.max_margin(E, U, t).margin
    ledger.quote(f"mp_margin_d{d}", best_margins[d], "{:.4f}")
E3, U3, p3, t3 = sp.many_particles_problem(3, 43)
E4, U4, p4, t4 = sp.many_particles_problem(4, 43)
ledger.quote("mp_norm2_d3", 1 / best_margins[3] ** 2, "{:.0f}")
ledger.quote("mp_margin_ratio", best_margins[10] / best_margins[3], "{:.0f}")
section = "Fewer dimensions than tokens is not the same as not separable"
assert ledger.check("d3-separable", optima.is_separable(E3, U3, t3), section=section, claim="the seed-43 problem with N = M = 5, d = 3 is separable (LP)")
assert ledger.check("d4-separable", optima.is_separable(E4, U4, t4), section=section, claim="the seed-43 problem with N = M = 5, d = 4 is separable (LP)")
assert ledger.check("d3-tiny-margin", best_margins[3] / best_margins[10], upper=0.12, section=section,
                    claim="best margin at d = 3 over best margin at d = 10 (seed 43)")

# %% [markdown]
# All four problems are separable, $d = 3$ included. But its best margin,
# {glue:}`mp_margin_d3`, is {glue:}`mp_margin_ratio` times smaller than with $d = 10$
# ({glue:}`mp_margin_d10`): a memory that gets every token right needs
# $\|W\|_F^2 \ge$ {glue:}`mp_norm2_d3` to give each a margin of 1. Gradient descent has
# to travel that far, and the 100 steps above show only the beginning of the trip. We run
# {glue:}`mp_long_steps` steps with the closed score recursion of {ref}`chap-particles`
# (`sp.score_sweep`, all step sizes batched).

# %%
long = sp.long_run(d=3, seed=43, step_sizes=(3.0, 10.0, 20.0), steps=5000)
style.glue_figure("many-particles-long-run", sp.draw_long_run(long))
print("every token right from t =", sp.first_perfect(long.zero_one).tolist())
print("L(W_4999) =", long.loss[:, -1].numpy().round(4))

# %% tags=["remove-cell"]
perfect = sp.first_perfect(long.zero_one)
T_long = long.loss.shape[1]
ledger.quote("mp_long_steps", T_long, "{:.0f}")
for s, eta in enumerate((3, 10, 20)):
    ledger.quote(f"mp_perfect_eta{eta}", perfect[s], "{:.0f}")
    ledger.quote(f"mp_long_loss_eta{eta}", long.loss[s, -1], "{:.3f}")
ledger.quote("mp_long_sharp_eta20", 20 * long.final_sharpness[2], "{:.2f}")
section = "Fewer dimensions than tokens is not the same as not separable"
assert ledger.check("d3-all-reach-accuracy-1", perfect.max(), upper=4400, section=section,
                    claim="latest step from which L01 = 0, over eta in {3, 10, 20}, d = 3, 5000 steps")
assert ledger.check("d3-largest-step-first", perfect[2] / perfect[0], upper=0.2, section=section,
                    claim="step from which L01 = 0 with eta = 20 over that with eta = 3, d = 3")
assert ledger.check("d3-perfect-ordered", bool((torch.diff(perfect) < 0).all()), section=section,
                    claim="the step from which L01 = 0 decreases with eta in {3, 10, 20}, d = 3")
assert ledger.check("d3-largest-step-lowest-loss", long.loss[2, -1] / long.loss[0, -1], upper=0.36, section=section,
                    claim="L(W_4999) with eta = 20 over L(W_4999) with eta = 3, d = 3")
assert ledger.check("d3-eta20-leaves-unstable-region", 20 * long.final_sharpness[2], upper=0.7, section=section,
                    claim="eta * sharpness(W_5000), d = 3, eta = 20 (below 2: the oscillation has ended)")

# %% [markdown]
# ```{glue:figure} many-particles-long-run
# :name: fig-many-long-run
# :alt: Two panels over 5000 steps on logarithmic time axes for d = 3 and step sizes 3, 10 and 20. Left, the loss: the curves for steps 10 and 20 oscillate for hundreds of steps, then all three decrease, the largest step lowest. Right, the 0-1 loss: each curve drops to zero, first for step 20 near step 500, then for step 10 and last for step 3 near step 4000; dotted lines mark those steps.
#
# The $d = 3$ problem over {glue:}`mp_long_steps` steps (logarithmic time axis). Left: the
# loss; right: the 0-1 loss, with a dotted line at the step from which every token is
# right. Look at the order of the dotted lines: the largest step finishes first.
# ```
#
# Every step size classifies every token in the end: $L_{01}(W_t) = 0$ for all $t \ge$
# {glue:}`mp_perfect_eta20` with $\eta = 20$, $t \ge$ {glue:}`mp_perfect_eta10` with
# $\eta = 10$ and $t \ge$ {glue:}`mp_perfect_eta3` with $\eta = 3$, and after
# {glue:}`mp_long_steps` steps the loss is {glue:}`mp_long_loss_eta20`,
# {glue:}`mp_long_loss_eta10` and {glue:}`mp_long_loss_eta3` for $\eta = 20, 10, 3$. The
# step size that oscillated worst over the first 100 steps wins, as with $d = 10$, only
# later. What made $d = 3$ look different is not $d < N$ ($d = 4 < N$ too, with best margin
# {glue:}`mp_margin_d4`, and its runs look like those of $d = 10$) but the size of the best margin: a
# separable problem with a tiny margin has a long, oscillating transient before its
# margins grow like those of the two-particle chapter. A problem that is *not* separable
# behaves differently again: its loss has a finite minimiser, which is the subject of
# {ref}`chap-scarce-memory`.
#
# ## The critical step at initialisation
#
# Gradient descent on a quadratic is stable exactly when $\eta < 2 / \lambda_{\max}$ of
# its Hessian; for a non-quadratic loss the same number, computed where the iterates are,
# is a local criterion ("sharpness", {cite}`cohen2021gradient`). At $W = 0$ the sharpness
# has a closed form.
#
# ```{prf:proposition} Sharpness at zero
# :label: prop-sharpness-zero
#
# Let $\Sigma_U = \frac1M \sum_y u_y u_y^\top - \bar u \bar u^\top$ be the covariance of the
# unembeddings under the uniform law and $\Sigma_E = \sum_x p(x)\, e_x e_x^\top$ the
# second moment of the embeddings. Then $\nabla^2 L(0) = \Sigma_U \otimes \Sigma_E$, and the
# sharpness at zero is $\lambda_{\max}(\Sigma_U)\, \lambda_{\max}(\Sigma_E)$.
# ```
#
# ```{prf:proof}
# The Hessian is $\sum_x p(x)\, \mathrm{Cov}_{p_W(\cdot \mid x)}(u) \otimes e_x e_x^\top$. At
# $W = 0$ every $p_W(\cdot \mid x)$ is uniform, so the covariance is $\Sigma_U$ for every $x$
# and factors out of the sum. The eigenvalues of a Kronecker product of two symmetric
# positive semi-definite matrices are the products of their eigenvalues, so the largest is
# the product of the largest.
# ```

# %%
for d, (run, sharp) in runs.items():
    E, U, p, t = sp.many_particles_problem(d, 43)
    sigma_u, sigma_e = torch.cov(U.T, correction=0), (p[:, None] * E).T @ E
    closed = torch.linalg.eigvalsh(sigma_u)[-1] * torch.linalg.eigvalsh(sigma_e)[-1]
    print(f"d = {d:2d}: sharpness(0) = {sharp:.4f}, closed form {closed.item():.4f}, 2 / sharpness = {2 / sharp:.2f}")

# %% tags=["remove-cell"]
rows = []
late_sharp = {}
for d, (run, sharp) in runs.items():
    E, U, p, t = sp.many_particles_problem(d, 43)
    sigma_u, sigma_e = torch.cov(U.T, correction=0), (p[:, None] * E).T @ E
    closed = (torch.linalg.eigvalsh(sigma_u)[-1] * torch.linalg.eigvalsh(sigma_e)[-1]).item()
    rows.append((d, sharp, closed, 2 / sharp))
    late_sharp[d] = memory.sharpness(run.W[:, 30], E, U, p, t)   # at W_30, one value per step size
crit = torch.tensor([r[3] for r in rows], dtype=torch.float64)  # critical steps, d = 3, 5, 10
E10, U10, p10, t10 = sp.many_particles_problem(10, 43)
with tiers.threads(1):
    sharp_path10 = memory.sharpness(run10.W[2, 30:], E10, U10, p10, t10)   # d = 10, eta = 20, t = 30..100
ledger.quote("mp_crit", crit[0], "{:.1f}")
ledger.quote("mp_crit5", crit[1], "{:.1f}")
ledger.quote("mp_crit10", crit[2], "{:.1f}")
ledger.quote("mp_sharp30_d10", 20 * late_sharp[10][2], "{:.2f}")
ledger.quote("mp_sharp30_d3", 20 * late_sharp[3][2], "{:.2f}")
section = "The critical step at initialisation"
sharp0_10 = 20.0 * runs[10][1]
assert ledger.check("sharpness-zero-closed-form", max(abs(r[1] - r[2]) for r in rows), upper=1e-12, section=section,
                    claim="|sharpness(0) - lambda_max(Sigma_U) lambda_max(Sigma_E)|, max over d")
assert ledger.check("d10-eta20-above-critical", sharp0_10, lower=2.86, section=section,
                    claim="eta * sharpness(0) for d = 10, eta = 20: above 2 at W = 0, yet the loss is monotone")
assert ledger.check("d10-sharpness-drops", 20.0 * late_sharp[10][2], upper=0.25, section=section,
                    claim="eta * sharpness(W_30) for d = 10, eta = 20: far below 2 after 30 steps")
assert ledger.check("d3-eta20-still-sharp-at-30", 20.0 * late_sharp[3][2], lower=2.85, section=section,
                    claim="eta * sharpness(W_30) for d = 3, eta = 20: still above 2")
assert ledger.check("eta20-above-all-critical", 20.0 / crit.max(), lower=1.43, section=section,
                    claim="eta / (2 / sharpness(0)) for eta = 20, smallest over d in {3, 5, 10}")
assert ledger.check("eta10-above-critical-d3-d5", 10.0 / crit[:2].max(), lower=1.23, section=section,
                    claim="eta / (2 / sharpness(0)) for eta = 10, smallest over d in {3, 5}")
assert ledger.check("eta10-below-critical-d10", 10.0 / crit[2], upper=0.765, section=section,
                    claim="eta / (2 / sharpness(0)) for eta = 10, d = 10")
assert ledger.check("d10-sharpness-keeps-falling", (sharp_path10[1:] / sharp_path10[:-1]).max(), upper=0.9915, section=section,
                    claim="largest ratio of sharpness(W_{t+1}) to sharpness(W_t) over t = 30..99, d = 10, eta = 20")

# %% [markdown]
# The critical steps $2/\lambda_{\max}(\nabla^2 L(0))$ are {glue:}`mp_crit`,
# {glue:}`mp_crit5` and {glue:}`mp_crit10` for $d = 3, 5, 10$: $\eta = 20$ is above all
# three, $\eta = 10$ above the first two. Yet with $d = 10$ and $\eta = 20$ the loss
# decreases at every step. The reason is that $W = 0$ is not a fixed point of gradient
# descent, so "unstable at $W = 0$" has only the meaning of the descent lemma: a step of
# size $\eta > 2/\lambda_{\max}$ is not *guaranteed* to decrease the loss near $W = 0$. It
# does not predict the sign of the first margins (we saw that they do not depend on
# $\eta$), nor an oscillation: one step carries the memory to a region where the softmax is
# confident and the Hessian small. With $d = 10$ and $\eta = 20$, $\eta$ times the sharpness
# at $W_{30}$ is {glue:}`mp_sharp30_d10`, far below 2, and it keeps falling. With $d = 3$ it
# is still {glue:}`mp_sharp30_d3` at $W_{30}$: the tiny-margin problem keeps the iterates in
# a curved region for hundreds of steps, and they bounce across it. By $t = 5000$ it has
# dropped to {glue:}`mp_long_sharp_eta20`, once the margins have grown.
#
# ## Explore
#
# Vary the dimension, the step size, the seed of the embeddings and the number of steps.
# The left title says whether the problem is separable and gives its best margin; the
# right one gives $\eta\, \lambda_{\max}(\nabla^2 L(0)) / 2$, the step size relative to the
# critical step at $W = 0$.

# %%
sp.widget(d=10, step_size=20.0, seed=43, steps=30)

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-many-d4
#
# Before running anything, predict: with $\eta = 20$ and seeds 43 to 52 of the embeddings,
# how many of the ten $d = 3$ problems, and how many of the ten $d = 4$ problems, still see
# their loss rise after $t = 20$ (within 200 steps)? How many are separable? Then check
# with `sp.seed_sweep(dims=(3, 4), step_size=20.0, steps=3000)`, whose fields `loss`,
# `zero_one` (one row per problem, $d = 3$ first), `separable` and `best_margin` hold the
# answers, and `sp.first_perfect(sweep.zero_one)` gives the step from which every token is
# right. Which quantity of a problem predicts that step?
# ```
#
# ```{solution} ex-many-d4
# :class: dropdown
#
# All {glue:}`mp_ex_separable` problems are separable. With $d = 3$ the loss still rises
# after $t = 20$ for {glue:}`mp_ex_d3_osc` of the ten seeds, with $d = 4$ for
# {glue:}`mp_ex_d4_osc`; every $d = 4$ problem is classified perfectly by
# $t =$ {glue:}`mp_ex_d4_latest`. So "settles" against "keeps moving" is not "storable"
# against "not storable": an oscillating run is, here, always the transient of a separable
# problem. What predicts how long the transient lasts is the best margin: over the twenty
# problems, the step from which every token is right and the best margin have a rank
# correlation of {glue:}`mp_ex_spearman`. The $d = 4$ margins are all at least
# {glue:}`mp_ex_d4_min_margin`; the {glue:}`mp_ex_unfinished` $d = 3$ problems that are not
# classified perfectly after 3000 steps have the smallest margins of all (at most
# {glue:}`mp_ex_unfinished_margin`). Whether a run oscillates on the way is a further
# property of the geometry: {glue:}`mp_ex_unfinished_mono` of these unfinished problems
# decreases monotonically after $t = 20$.
# ```
#
# ```{exercise}
# :label: ex-many-sharpness-orthonormal
#
# Use {prf:ref}`prop-sharpness-zero` to compute the critical step at $W = 0$ when the
# embeddings and unembeddings are orthonormal, $N = M$ and $p(1) \geq p(x)$ for all $x$.
# ```
#
# ```{solution} ex-many-sharpness-orthonormal
# :class: dropdown
#
# $\Sigma_E = \mathrm{diag}(p)$ has largest eigenvalue $p(1)$. With orthonormal $u_y$,
# $\Sigma_U = \frac1M P - \bar u \bar u^\top$ with $P$ the projection onto the span of the
# $u_y$, and $|\bar u|^2 = 1/M$, so $\Sigma_U$ has eigenvalue $0$ along $\bar u$ and
# $\frac1M$ on its orthogonal complement. The sharpness at zero is $p(1)/M$ and the
# critical step is $2M/p(1)$. With orthonormal embeddings the particles decouple and every
# margin increases at every step whatever the step size ({ref}`chap-particles`), so
# exceeding the critical step has no visible effect at all.
# ```

# %% tags=["remove-cell"]
# Numbers quoted in the solution of the first exercise.
sweep = sp.seed_sweep(dims=(3, 4), step_size=20.0, steps=3000)
rise = torch.diff(sweep.loss[:, 20:200], dim=1).amax(dim=1)        # largest rise over t = 20..199
osc = rise > 0
done = sp.first_perfect(sweep.zero_one)
r3, r4 = sweep.rows(3), sweep.rows(4)
unfinished = done[r3] >= sweep.loss.shape[1]
rho = spearmanr(sweep.best_margin.numpy(), done.numpy()).statistic
ledger.quote("mp_ex_separable", sweep.separable.sum(), "{:.0f}")
ledger.quote("mp_ex_d3_osc", osc[r3].sum(), "{:.0f}")
ledger.quote("mp_ex_d4_osc", osc[r4].sum(), "{:.0f}")
ledger.quote("mp_ex_d4_latest", done[r4].max(), "{:.0f}")
ledger.quote("mp_ex_spearman", rho, "{:.2f}")
ledger.quote("mp_ex_d4_min_margin", sweep.best_margin[r4].min(), "{:.3f}")
ledger.quote("mp_ex_unfinished", unfinished.sum(), "{:.0f}")
ledger.quote("mp_ex_unfinished_margin", sweep.best_margin[r3][unfinished].max(), "{:.3f}")
section = "Exercises"
assert ledger.check("sweep-all-separable", sweep.separable.sum(), lower=20, section=section, claim="separable problems among the 20 (d in {3, 4}, seeds 43..52)")
assert ledger.check("d3-oscillate-though-separable", (osc[r3] & sweep.separable[r3]).sum(), lower=5, section=section,
                    claim="separable d = 3 problems (seeds 43..52, eta = 20) whose loss still rises after t = 20")
assert ledger.check("d4-settles", (~osc[r4] & (done[r4] <= 199)).sum(), lower=10, section=section,
                    claim="d = 4 problems (seeds 43..52, eta = 20) monotone after t = 20 and perfectly accurate by t = 199")
assert ledger.check("margin-predicts-time", rho, upper=-0.82, section=section,
                    claim="Spearman correlation of best margin and step from which L01 = 0 (capped at 3000), 20 problems")
unfinished_all = done >= sweep.loss.shape[1]
ledger.quote("mp_ex_unfinished_mono", (~osc[unfinished_all]).sum(), "{:.0f}")
assert ledger.check("unfinished-have-smallest-margins",
                    sweep.best_margin[unfinished_all].max() - sweep.best_margin[~unfinished_all].min(), upper=0.0, strict=True,
                    section=section, claim="largest best margin of a problem unfinished at t = 3000 minus the smallest of a finished one")
