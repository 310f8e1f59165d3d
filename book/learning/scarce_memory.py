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
# (chap-scarce-memory)=
# # What cross-entropy memorises when memory is scarce
#
# ```{admonition} In this chapter
# **You will learn** why, when the tokens cannot be separated by a line (the usual case
# when there are more tokens than dimensions), the cross-entropy has a finite minimiser; why that minimiser is in general *not* the memory with the
# fewest errors, and which tokens it gives up; how SGD can first find the best memory
# and then forget a frequent token on its way to the cross-entropy minimiser; and how a
# large step size can keep gradient descent in a two-point cycle forever.
#
# **Prerequisites**: {ref}`chap-two-particles` (the plane of binary memories
# $\gamma = (\gamma_0, \gamma_1)$, loss landscapes) and {ref}`chap-many-particles`
# (sharpness and the critical step $2/\lambda_{\max}$).
#
# **Run time**: about 30 s on a laptop CPU.
# ```
#
# ## Binary memories in the plane
#
# Take $d = 2$, $M = 2$ outputs with $U = I$, and targets $f^*(x) = x \bmod 2$. Only the
# score difference matters for the loss and the prediction, and it is linear in the
# embedding: $s_W(x, 0) - s_W(x, 1) = \gamma \cdot e_x$ with
# $\gamma = W^\top (u_0 - u_1) \in \mathbb{R}^2$. Write the label as a sign,
# $\epsilon_x = +1$ if $f^*(x) = 0$ and $\epsilon_x = -1$ if $f^*(x) = 1$ (we keep $\sigma$
# for the logistic function $\sigma(z) = 1/(1 + e^{-z})$). The cross-entropy is the
# logistic loss
#
# $$
# L(\gamma) = \sum_x p(x) \log\big(1 + e^{-\epsilon_x\, \gamma \cdot e_x}\big),
# $$ (eq-logistic)
#
# and the 0-1 loss $L_{01}(\gamma)$ weights by $p(x)$ the tokens the memory gets wrong. The
# memory predicts class 0 when $\gamma \cdot e_x \ge 0$ (a tie goes to class 0, as
# `torch.argmax` does) and class 1 when $\gamma \cdot e_x < 0$, so token $x$ is an error
# when $\epsilon_x\, \gamma \cdot e_x < 0$, or when $\gamma \cdot e_x = 0$ and $f^*(x) = 1$
# (`optima.zero_one`, the same as `memory.zero_one_loss`). With $N > d$ random embeddings the
# classes are in general not linearly separable.
#
# ```{prf:proposition} When the cross-entropy has a minimiser
# :label: prop-finite-minimiser
#
# Let every $p(x) > 0$. $L$ in {eq}`eq-logistic` is convex.
#
# 1. If no nonzero $\gamma$ has $\epsilon_x\, \gamma \cdot e_x \ge 0$ for every token, then
#    $L$ is strictly convex with bounded level sets and has a unique minimiser $\gamma^*$,
#    where $\nabla L(\gamma^*) = 0$.
# 2. If some nonzero $\gamma$ has $\epsilon_x\, \gamma \cdot e_x \ge 0$ for every token, with
#    at least one strict inequality (automatic when the $e_x$ span $\mathbb{R}^2$), then $L$
#    has no minimiser. If all the inequalities are strict ($\gamma$ separates the tokens),
#    $L(t\gamma) \to 0$ as $t \to \infty$.
# ```
#
# ```{prf:proof}
# Each term is a convex function of a linear form, with Hessian
# $p(x)\, \sigma(z)\, \sigma(-z)\, e_x e_x^\top$ at $z = \gamma \cdot e_x$, so $L$ is convex.
#
# (1) The hypothesis implies that the $e_x$ span $\mathbb{R}^2$: a nonzero $\gamma$
# orthogonal to all of them would satisfy every inequality with equality. The Hessians then
# sum to a positive definite matrix and $L$ is strictly convex. The function
# $h(\gamma) = \min_x \epsilon_x\, \gamma \cdot e_x$ is continuous and, by hypothesis,
# negative on the unit circle, which is compact, so $h \le -c$ there for some $c > 0$. For a
# unit $\gamma$ the token attaining the minimum contributes at least
# $p_{\min} \log(1 + e^{c t}) \ge p_{\min} c\, t$ to $L(t\gamma)$, with
# $p_{\min} = \min_x p(x) > 0$: the level sets of $L$ are bounded (and closed), a continuous
# function attains its minimum on a nonempty one, strict convexity makes the minimiser unique,
# and differentiability makes the gradient vanish there.
#
# (2) Take such a $\gamma$ and any $\gamma'$. Along $\gamma' + t\gamma$ every term of $L$ is
# non-increasing in $t$, and the term of a token with $\epsilon_x\, \gamma \cdot e_x > 0$
# strictly decreasing, so $L(\gamma' + t\gamma) < L(\gamma')$ for $t > 0$ and no $\gamma'$
# is a minimiser. If every inequality is strict, every term of $L(t\gamma)$ tends to 0.
# ```
#
# Case 2 includes data that are only *weakly* separable, where the best $\gamma$ puts some
# tokens exactly on the boundary $\gamma \cdot e_x = 0$; for embeddings drawn at random this
# happens with probability zero, and `optima.cross_entropy_minimiser` detects it and raises an
# error. The package finds $\gamma^*$ with Newton's method (`optima.cross_entropy_minimiser`,
# to a gradient norm below $10^{-12}$). The best 0-1 memory needs no optimisation at all: the
# 0-1 loss depends only on the direction of $\gamma$ and changes only where $\gamma$ crosses
# one of the $N$ lines $\gamma \cdot e_x = 0$, that is at $2N$ critical directions (two
# opposite ones per line), so evaluating one direction inside each arc between consecutive
# critical directions, the critical directions themselves and $\gamma = 0$ gives the exact
# minimum (`optima.best_linear`).
#
# ## Cross-entropy against the 0-1 optimum
#
# Following {cite}`cabannes2024learning`, we take Zipf frequencies $p(x) \propto 1/x$ and
# four draws of the embeddings: $(\text{seed}, N) = (39, 3), (81, 3), (7, 30), (9, 30)$.
# For each we report the excess 0-1 error
# $\mathcal{E} = L_{01}(\gamma^*) - \min_\gamma L_{01}(\gamma)$ twice: as the authors compute
# it on a $100 \times 100$ grid (0-1 loss at the grid point of lowest cross-entropy, minus
# the lowest 0-1 loss over grid points with $|\gamma_0| \ge 1$ and $|\gamma_1| \ge 1$), and
# grid-free, from the Newton minimiser and the exact direction search.

# %%
import torch
from myst_nb import glue

from assocmem import claims, landscape, memory, optima, train
from assocmem.chapters.learning import scarce_memory as sp
from assocmem.viz import style
from assocmem import tiers

style.use_style()
ledger = claims.Ledger("scarce_memory", title="What cross-entropy memorises when memory is scarce")

problems = sp.optimum_problems(num=100)
for seed, pr in problems.items():
    ex = pr.excess
    print(f"seed {seed:2d}, N = {len(pr.freqs):2d}: excess grid {pr.grid_excess:.4f}, exact {ex.value:.4f}; "
          f"L01(CE) = {ex.ce_error:.4f}, best L01 = {ex.best.error:.4f}, separable: {ex.minimiser.separable}")
    glue(f"fd_excess_{seed}", f"{ex.value:.3f}", display=False)
    glue(f"fd_grid_excess_{seed}", f"{pr.grid_excess:.3f}", display=False)
    glue(f"fd_ce_{seed}", f"{ex.ce_error:.3f}", display=False)
    glue(f"fd_best_{seed}", f"{ex.best.error:.3f}", display=False)
style.glue_figure("optimum-landscapes", sp.draw_optimum_landscapes(problems))

# %% tags=["remove-cell"]
section = "Cross-entropy against the 0-1 optimum"
ref = "Cabannes et al. 2024, Fig. 4"
assert ledger.check("seed39-separable", problems[39].excess.minimiser.separable, section=section, claim="seed 39 (N = 3) is linearly separable")
assert ledger.check("seed39-excess-grid", abs(problems[39].grid_excess), upper=0.0, section=section, reference=ref, claim="|excess 0-1 error|, seed 39, grid")
assert ledger.check("seed39-excess-exact", abs(problems[39].excess.value), upper=0.0, section=section, reference=ref, claim="|excess 0-1 error|, seed 39, grid-free")
for seed in (81, 9):
    assert ledger.check(f"seed{seed}-excess-grid", problems[seed].grid_excess, lower=0.2, section=section, reference=ref,
                 claim=f"excess 0-1 error, seed {seed}, grid")
    assert ledger.check(f"seed{seed}-excess-exact", problems[seed].excess.value, lower=0.2, section=section, reference=ref,
                 claim=f"excess 0-1 error, seed {seed}, grid-free")
assert ledger.check("seed7-excess-grid", problems[7].grid_excess, lower=0.0, strict=True, section=section, reference=ref,
             claim="excess 0-1 error, seed 7, grid (positive)")
assert ledger.check("seed7-excess-exact", problems[7].excess.value, lower=0.0, strict=True, section=section, reference=ref,
             claim="excess 0-1 error, seed 7, grid-free (positive)")
for seed in (81, 7, 9):
    assert ledger.check(f"seed{seed}-not-separable", not problems[seed].excess.minimiser.separable, section=section,
                 claim=f"seed {seed} is not linearly separable (finite minimiser)")
for seed in (81, 7, 9):
    assert ledger.check(f"seed{seed}-stationary", problems[seed].excess.minimiser.gradient_norm, upper=1e-12, section=section,
                 claim=f"|grad L| at the Newton minimiser, seed {seed}")
assert ledger.check("grid-agrees-with-exact", max(abs(pr.grid_excess - pr.excess.value) for pr in problems.values()), upper=1e-9,
             section=section, claim="|grid excess - exact excess|, max over the four problems")
exact_vs_grid = max(pr.excess.best.error - pr.land.zero_one.min().item() for pr in problems.values())
assert ledger.check("exact-never-worse", exact_vs_grid, upper=1e-15, section=section,
             claim="exact best L01 minus the lowest L01 on the grid, max over the four problems")

# %% [markdown]
# ```{glue:figure} optimum-landscapes
# :name: fig-optimum-landscapes
# :alt: Four loss landscapes in the plane of binary memories. Grey shading is the 0-1 loss, coloured lines are loss contours. In the first panel the classes are separable and the loss decreases along a ray; in the other three the cross-entropy minimiser, marked by a star, lies in a region of higher 0-1 loss than the best direction, drawn dashed.
#
# Loss landscapes ($L/N$ contours over the 0-1 loss in grey, darker is worse) of the four
# problems, with the cross-entropy minimiser (star; for the separable seed 39, the direction
# along which the loss decreases to 0) and a best 0-1 direction (dashed). Titles: excess 0-1
# error on the grid and exactly.
# ```

# %%
style.glue_figure("given-up-tokens", sp.draw_given_up_tokens(problems))

lost = {seed: (optima.misclassified(pr.excess.minimiser.gamma, pr.E, pr.targets),
               optima.misclassified(pr.excess.best.gamma, pr.E, pr.targets)) for seed, pr in problems.items()}
ce9, best9 = lost[9]
glue("fd_p1", f"{problems[9].freqs[0].item():.3f}", display=False)
glue("fd_n_best_lost_9", int(best9.sum()), display=False)
glue("fd_n_ce_lost_9", int(ce9.sum()), display=False)

# %% tags=["remove-cell"]
section = "Which tokens are given up"
assert ledger.check("seed9-ce-loses-top-token", bool(ce9[0]), section=section, reference=ref,
             claim="seed 9: the cross-entropy minimiser misclassifies the most frequent token")
assert ledger.check("seed9-best-keeps-top-token", not bool(best9[0]), section=section, claim="seed 9: the best 0-1 memory stores the most frequent token")
assert ledger.check("seed81-ce-loses-second", bool(lost[81][0][1]) and not bool(lost[81][1][1]), section=section,
             claim="seed 81: token 2 is lost by the cross-entropy minimiser and stored by the best 0-1 memory")

# %% [markdown]
# In the separable problem (seed 39) the cross-entropy has no minimiser; it decreases to 0
# along the direction drawn, which classifies every token correctly, so both computations
# give $\mathcal{E} = $ {glue:text}`fd_excess_39`. In the three other problems the minimiser
# is finite and makes more errors than necessary: the grid and the exact computations give
# $\mathcal{E} = $ {glue:text}`fd_grid_excess_81` and {glue:text}`fd_excess_81` for seed 81,
# {glue:text}`fd_grid_excess_7` and {glue:text}`fd_excess_7` for seed 7, and
# {glue:text}`fd_grid_excess_9` and {glue:text}`fd_excess_9` for seed 9. The grid agrees
# with the exact values here because the grid is fine enough to contain a point of each
# optimal region; the exact search never does worse than any grid point.
#
# ## Which tokens are given up
#
# ```{glue:figure} given-up-tokens
# :name: fig-given-up
# :alt: Four bar charts of token frequencies, one per problem, each bar coloured by whether the cross-entropy minimiser, the best 0-1 memory, both or neither misclassify it. For seed 9 the most frequent token is lost by the cross-entropy minimiser only.
#
# Frequencies of the tokens, coloured by which memory misclassifies them: the
# cross-entropy minimiser only (orange), the best 0-1 memory only (green), both (black)
# or neither (grey).
# ```
#
# For seed 9 the best linear memory stores the most frequent token ($p = $
# {glue:text}`fd_p1`) and gives up {glue:text}`fd_n_best_lost_9` rare ones. The
# cross-entropy minimiser gives up {glue:text}`fd_n_ce_lost_9` tokens, including the most
# frequent one. Its 0-1 loss is {glue:text}`fd_ce_9` against {glue:text}`fd_best_9`. The
# reason is in {eq}`eq-logistic`: a misclassified token costs a loss that grows linearly
# with how wrong it is, so the minimiser balances many moderately wrong rare tokens against
# a few frequent ones instead of sacrificing the rare ones outright, as the 0-1 optimum does.
#
# ## Forgetting under SGD
#
# The same tension shows up in time. We take $N = 10$ tokens with Zipf exponent $a = 2$,
# embeddings from seed 11, start from $\gamma = (7.5, 2.5)$ (the memory $W$ is overwritten
# with the binary memory of that $\gamma$), and run SGD for 1000 steps with batches of 10
# tokens drawn with replacement from $p$ and $\eta = 0.1$.
#
# ```{admonition} Step-size conventions
# The authors' $\eta = 0.1$ applies to their matrix $W$, which is the transpose of ours;
# transposing does not change gradient descent. Their minibatch loss is the *mean*
# cross-entropy over the batch, and so is ours (`train.sgd` weights each token by its count
# divided by the batch size), so the two steps coincide; the hidden check below confirms
# the normalisation on a batch of identical tokens. In the coordinates $\gamma$ the step
# is $\gamma \leftarrow \gamma - \eta\, |u_0 - u_1|^2\, \nabla_\gamma \ell = \gamma - 0.2\, \nabla_\gamma \ell$,
# because $\nabla_W L = (u_0 - u_1)\, \nabla_\gamma L^\top$. The loss panel shows $L/2$, as the
# authors' figure does; the landscape shows $L/N$.
# ```

# %%
fe = sp.forgetting_run(steps=1000, sgd_seed=0)
z = fe.run.zero_one[0]
best_error = fe.excess.best.error
first = int((z <= z.min() + 1e-12).nonzero()[0])
late_median = z[-100:].median().item()
final_gap = abs(fe.run.loss[0, -1].item() - fe.excess.minimiser.loss)
early_lost = optima.misclassified(fe.gammas[first], fe.E, fe.targets)
late_lost = optima.misclassified(fe.gammas[-1], fe.E, fe.targets)
forgotten = (late_lost & ~early_lost).nonzero().flatten() + 1
print("min L01 =", z.min().item(), "at t =", first, "; best linear L01 =", best_error)
print("median L01 over the last 100 steps =", late_median, "; final L - min L =", fe.run.loss[0, -1].item() - fe.excess.minimiser.loss)
print("tokens misclassified at t =", first, ":", (early_lost.nonzero().flatten() + 1).tolist(), "; at t = 999:", (late_lost.nonzero().flatten() + 1).tolist())
glue("fe_first", first, display=False)
glue("fe_min", f"{z.min().item():.3f}", display=False)
glue("fe_median", f"{late_median:.3f}", display=False)
glue("fe_gap", f"{final_gap:.4f}", display=False)
glue("fe_forgotten", ", ".join(str(x) for x in forgotten.tolist()), display=False)
glue("fe_forgotten_p", ", ".join(f"{fe.freqs[x - 1].item():.3f}" for x in forgotten.tolist()), display=False)
style.glue_figure("forgetting-sgd", sp.draw_forgetting(fe, early=first, late=len(z) - 1))

# Normalisation check: with all the mass on one token every batch is 10 copies of it, so one
# SGD step on the mean batch loss equals one full-batch GD step on that token's loss.
one_hot = torch.zeros(fe.freqs.shape[0], dtype=torch.float64)
one_hot[1] = 1.0
W0 = landscape.to_memory(torch.tensor(sp.FE["start"], dtype=torch.float64), fe.U)
sgd_step = train.sgd(fe.E, fe.U, one_hot, fe.targets, 0.1, 1, 10, W0=W0, show_progress=False).W_final[0]
mean_step = W0 - 0.1 * memory.gradient(W0, fe.E, fe.U, one_hot, fe.targets)
# And in gamma coordinates the step is 0.2 times the gradient of (S.1) (autograd).
g = torch.tensor(sp.FE["start"], dtype=torch.float64, requires_grad=True)
optima.logistic_loss(g, fe.E, fe.U, fe.freqs, fe.targets).backward()
gd_step = train.gd(fe.E, fe.U, fe.freqs, fe.targets, 0.1, 1, W0=W0, show_progress=False).W_final[0]
gamma_step_error = (landscape.to_gamma(gd_step, fe.U) - (g.detach() - 0.2 * g.grad)).abs().max().item()

# %% tags=["remove-cell"]
section = "Forgetting under SGD"
ref = "Cabannes et al. 2024, Fig. 5"
assert ledger.check("sgd-mean-normalisation", (sgd_step - mean_step).abs().max(), upper=1e-14, section=section,
             claim="|one SGD step on a batch of 10 copies of a token - one step on that token's loss|")
assert ledger.check("gamma-step-is-2-eta", gamma_step_error, upper=1e-13, section=section,
             claim="|gamma after one GD step - (gamma - 2 eta grad_gamma L)|, eta = 0.1")
assert ledger.check("sgd-reaches-best", abs(z.min().item() - best_error), upper=1e-12, section=section, reference=ref,
             claim="|min_t L01(W_t) - exact best linear L01|")
assert ledger.check("sgd-reaches-best-early", first, upper=99, section=section, claim="first step at which L01 reaches its minimum")
assert ledger.check("sgd-forgets", late_median / z.min().item(), lower=2.0, section=section, reference=ref,
             claim="median L01 over the last 100 steps divided by the minimum L01 of the run")
assert ledger.check("sgd-converges-in-loss", final_gap, upper=0.01, section=section,
             claim="|L(W_999) - L(gamma*)| for the Newton minimiser gamma*")
assert ledger.check("sgd-forgets-a-frequent-token", bool(late_lost[1] and not early_lost[1]), section=section,
             claim="token 2 is stored when L01 first reaches its minimum and misclassified at t = 999")

# %% [markdown]
# ```{glue:figure} forgetting-sgd
# :name: fig-forgetting
# :alt: Left, a noisy SGD path on a loss landscape from the start (7.5, 2.5) to the cross-entropy minimiser. Middle, half the loss decreasing over 1000 steps on a log-scaled time axis and the 0-1 loss dropping early to the best achievable value, then climbing back and staying higher for the rest of the run. Right, the frequencies of misclassified tokens at the first step of minimal 0-1 loss and at the last step.
#
# SGD with batches of 10 and $\eta = 0.1$ on $N = 10$ tokens. Left: the path (every fifth
# iterate) on the landscape, with the cross-entropy minimiser. Middle: $L/2$ and $L_{01}$
# against $t$, with the minimum of $L/2$ and the exact best 0-1 loss; grey lines mark the two
# steps compared on the right. Right: frequencies of the tokens misclassified at those steps.
# ```
#
# The 0-1 loss reaches the best value any linear memory can achieve,
# {glue:text}`fe_min`, at step {glue:text}`fe_first`. The cross-entropy keeps decreasing,
# and to decrease it SGD moves away from that memory: over the last 100 steps the median
# 0-1 loss is {glue:text}`fe_median`, while the final loss is within
# {glue:text}`fe_gap` of the minimum. The memory has forgotten token(s)
# {glue:text}`fe_forgotten`, of frequency {glue:text}`fe_forgotten_p`, which it recalled
# at step {glue:text}`fe_first`. Stopping early would have kept them; running longer only
# brings the memory closer to the cross-entropy minimiser, which gives them up.
#
# ## Sharpness along trajectories
#
# Gradient descent with step $\eta$ can converge to $\gamma^*$ only if the sharpness there
# is below $2/\eta$. We run 35 full-batch steps with $\eta = 10$ and $\eta = 1$ on two
# problems of the previous section: seed 39 (separable, start $(-5, -5)$) and seed 9
# ($N = 30$, start $(-5, 5)$), and compute the sharpness of $L$ (the largest eigenvalue of
# its Hessian in $W$) along the paths and over a $100 \times 100$ grid in one batch.

# %%
sharp_runs = sp.sharpness_runs(steps=35, num=100)
style.glue_figure("sharpness-trajectories", sp.draw_sharpness(sharp_runs))

s9 = sharp_runs[9]
g10, g1 = s9.gammas[0], s9.gammas[1]                       # eta = 10 and eta = 1
two_apart = (g10[22:] - g10[20:-2]).norm(dim=-1).max().item()   # |gamma_{t+2} - gamma_t|, t >= 20
one_apart = (g10[21:] - g10[20:-1]).norm(dim=-1).min().item()   # |gamma_{t+1} - gamma_t|, t >= 20
cycle_sharp = s9.sharpness[0, -2:]
E9, U9, p9, t9 = sp.binary_problem(30, 9)
star9 = optima.cross_entropy_minimiser(E9, U9, p9, t9)
sharp_star = memory.sharpness(star9.W, E9, U9, p9, t9).item()
print("2-cycle: max |g_{t+2} - g_t| =", two_apart, "; min |g_{t+1} - g_t| =", one_apart)
print("sharpness at the two points:", cycle_sharp.tolist(), "; at the minimiser:", sharp_star, "; 2 / eta =", 2 / 10)
glue("ff_two_apart", f"{two_apart:.1e}", display=False)
glue("ff_one_apart", f"{one_apart:.2f}", display=False)
glue("ff_cycle_sharp", " and ".join(f"{v:.3f}" for v in cycle_sharp.tolist()), display=False)
glue("ff_sharp_star", f"{sharp_star:.3f}", display=False)
glue("ff_crit_star", f"{2 / sharp_star:.2f}", display=False)
glue("ff_sharp_eta1_end", f"{s9.sharpness[1, -1].item():.3f}", display=False)

# %% tags=["remove-cell"]
section = "Sharpness along trajectories"
ref = "Cabannes et al. 2024, Fig. 6"
assert ledger.check("cycle-period-two", two_apart, upper=1e-3, section=section, reference=ref,
             claim="max over t >= 20 of |gamma_{t+2} - gamma_t|, seed 9, eta = 10")
assert ledger.check("cycle-not-converged", one_apart, lower=1.0, strict=True, section=section,
             claim="min over t >= 20 of |gamma_{t+1} - gamma_t|, seed 9, eta = 10")
assert ledger.check("cycle-points-flat", cycle_sharp.max(), upper=2 / 10, strict=True, section=section,
             claim="largest sharpness at the two points of the cycle, against 2 / eta = 0.2")
assert ledger.check("minimiser-too-sharp", 10 * sharp_star, lower=2.0, strict=True, section=section,
             claim="eta * sharpness at the minimiser, seed 9, eta = 10: the minimiser is unstable")
assert ledger.check("eta1-sharpness-rises", torch.diff(s9.sharpness[1]).min(), lower=0.0, section=section, reference=ref,
             claim="smallest change of the sharpness between consecutive steps, seed 9, eta = 1")
s39 = sharp_runs[39].sharpness
assert ledger.check("seed39-sharpness-falls", (s39[:, -1] / s39.amax(dim=1)).max(), upper=0.25, section=section,
             claim="sharpness at t = 35 over its peak along the path, seed 39 (separable), max over eta in {10, 1}")
assert ledger.check("eta1-approaches-minimiser", s9.sharpness[1, -1].item() / sharp_star, lower=0.9, upper=1.0, section=section,
             claim="sharpness at t = 35 over sharpness at the minimiser, seed 9, eta = 1")

# %% [markdown]
# ```{glue:figure} sharpness-trajectories
# :name: fig-sharpness
# :alt: Two rows of three panels. Left, GD paths with step sizes 10 and 1 on the loss landscapes. Middle, the sharpness over the plane with the level 2 over 10 drawn in white. Right, the sharpness along each path. For seed 9 with step 10 the path jumps between two points on either side of a sharp valley and its sharpness alternates between two values below 0.2, while with step 1 the sharpness rises steadily.
#
# GD with $\eta = 10$ and $\eta = 1$ for seed 39 (top) and seed 9 (bottom). Left: paths on
# the landscape. Middle: sharpness over the plane, with the level $2/\eta = 0.2$ of the large
# step in white. Right: sharpness along the paths.
# ```
#
# For seed 9 with $\eta = 10$ the iterates settle into a cycle of period two: after step
# 20, $\gamma_{t+2}$ is within {glue:text}`ff_two_apart` of $\gamma_t$, while consecutive
# iterates stay at least {glue:text}`ff_one_apart` apart. The minimiser lies in a sharp
# valley (sharpness {glue:text}`ff_sharp_star`, so any step above
# {glue:text}`ff_crit_star` is unstable there), and gradient descent jumps across it
# between two points on its flanks where the sharpness is only
# {glue:text}`ff_cycle_sharp`, below $2/\eta$: each point is locally stable for the
# *two-step* map, and the cycle never converges. With $\eta = 1$ the sharpness never
# decreases along the 35 steps and reaches {glue:text}`ff_sharp_eta1_end`, close to the
# minimiser's value, as the path descends into the valley. Seed 39 is separable: there the
# loss has no minimiser, the margins grow and after its peak the sharpness falls (by 35
# steps to less than a quarter of its peak for both step sizes) towards 0, so a large step
# only causes a transient.
#
# ## The lesson
#
# When memory is scarce ($d < N$), cross-entropy does not store the frequent tokens and
# drop the rare ones. It spreads its effort over all tokens, balancing their log-losses, and
# may give up a frequent token to make many rare ones less wrong; training longer moves the
# memory towards that compromise, so the 0-1 loss can rise while the cross-entropy falls.
# And because the minimiser is a genuine point of positive curvature, a step size larger
# than $2/\lambda_{\max}$ there does not slow convergence down: it can stop it altogether.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-scarce-step
#
# The minimiser of seed 9 has critical step $2/\lambda_{\max} \approx$
# {glue:text}`ff_crit_star`. Predict what GD from $(-5, 5)$ does with $\eta = 5$ and with
# $\eta = 7$ over 200 steps, then check with
# `train.gd(E9, U9, p9, t9, [5.0, 7.0], 200, W0=..., store_W=True)` and
# `landscape.project`.
# ```
#
# ```{solution} ex-scarce-step
# :class: dropdown
#
# With $\eta = 5$ the minimiser is linearly stable and GD converges to it: after 200 steps
# $\gamma$ is within {glue:text}`ff_ex_dist5` of `star9.gamma`. With $\eta = 7$ it is unstable
# and the iterates end {glue:text}`ff_ex_dist7` away from $\gamma^*$, in a two-point cycle.
# What decides is the critical step at the minimiser, not the distance to travel.
# ```
#
# ```{exercise}
# :label: ex-scarce-sgd-seed
#
# Rerun the forgetting experiment with `sp.forgetting_run(sgd_seed=s)` for a few other seeds
# of the batches. Which of the claims of that section depend on the seed, and which cannot?
# ```
#
# ```{solution} ex-scarce-sgd-seed
# :class: dropdown
#
# The cross-entropy minimiser, its misclassified tokens and its 0-1 loss are fixed by the
# problem, and with a small step SGD ends up near it whatever the seed, so the *typical* late
# behaviour (a 0-1 loss well above the best, the frequent token given up) should survive a
# change of seed. The details do not: with a constant step SGD never converges but keeps
# fluctuating around $\gamma^*$, so tokens whose boundary $\gamma \cdot e_x = 0$ passes close
# to $\gamma^*$ flicker between right and wrong, and the 0-1 loss at a given late step, the
# median over the last 100 steps and the exact gap to the minimal loss all vary with the
# batches. How early the best 0-1 memory is met on the way, and whether the path crosses the
# best region at all, depends on the batches too, so the "reached before $t = 100$" claim is
# the one most likely to fail.
# ```

# %% tags=["remove-cell"]
# Numbers quoted in the solution of the first exercise.
W9 = landscape.to_memory(torch.tensor([-5.0, 5.0], dtype=torch.float64), U9)
with tiers.threads(1):
    ex_run = train.gd(E9, U9, p9, t9, [5.0, 7.0], 200, W0=W9, show_progress=False)
ex_dist = (landscape.to_gamma(ex_run.W_final, U9) - star9.gamma).norm(dim=-1)
glue("ff_ex_dist5", f"{ex_dist[0].item():.0e}", display=False)
glue("ff_ex_dist7", f"{ex_dist[1].item():.2f}", display=False)
assert ledger.check("critical-step-between-5-and-7", 2 / sharp_star, lower=5.0, upper=7.0, strict=True, section="Exercises",
             claim="critical step 2 / sharpness at the minimiser, seed 9: eta = 5 below it, eta = 7 above it")
assert ledger.check("eta5-converges", ex_dist[0], upper=1e-10, section="Exercises", claim="|gamma_200 - gamma*|, seed 9, eta = 5 < 2 / sharpness(W*)")
assert ledger.check("eta7-does-not", ex_dist[1], lower=0.5, section="Exercises", claim="|gamma_200 - gamma*|, seed 9, eta = 7 > 2 / sharpness(W*)")
