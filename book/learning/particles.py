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
# (chap-particles)=
# # Particles
#
# ```{admonition} In this chapter
# **You will learn** that gradient descent on a linear associative memory is exactly a
# system of interacting particles, one per input token, which interact through the
# overlaps of their embeddings; that with orthonormal embeddings the particles decouple
# and every margin obeys a scalar recursion that can be solved; and that the margins then
# grow like the logarithm of time, the loss decays like $N(M-1)/(M\eta t)$ whatever the
# token frequencies, and a larger step size is always faster.
#
# **Prerequisites**: {ref}`chap-associative-memory` (the model, the gradient and the
# first step), the softmax, separable ordinary differential equations.
#
# **Run time**: under a minute on a laptop CPU; the page for instructors lists the time
# measured when this site was built.
# ```
#
# ## One particle per token
#
# The memory $W$ is a $d \times d$ matrix, but the loss only sees it through the $N$
# vectors $z(x) = W e_x \in \mathbb{R}^d$, one per input token: the scores of token $x$
# are $U z(x)$. We call $z(x)$ the *particle* of token $x$, and write
# $\ell_x(z) = \log \sum_y e^{u_y^\top z} - u_{f^*(x)}^\top z$ for its cross-entropy and
# $r_t(x) = \operatorname{softmax}(U z_t(x)) - \mathbf{1}_{f^*(x)} \in \mathbb{R}^M$ for
# the residual of its probabilities, so that $\nabla \ell_x(z) = U^\top r(x)$.
#
# ```{prf:proposition} Gradient descent moves interacting particles
# :label: prop-particles
#
# For any embeddings $E$, unembeddings $U$, frequencies $p$ and start $W_0$, gradient
# descent $W_{t+1} = W_t - \eta \nabla L(W_t)$ moves the particles $z_t(x) = W_t e_x$ by
#
# $$
# z_{t+1}(x) = z_t(x) - \eta \sum_{x'} p(x') \langle e_x, e_{x'} \rangle \, \nabla \ell_{x'}\big(z_t(x')\big),
# $$ (eq-particles-particles)
#
# and the scores $s_t(x, y) = u_y^\top z_t(x)$, stacked into an $N \times M$ matrix $S_t$,
# obey the closed recursion
#
# $$
# S_{t+1} = S_t - \eta \, (E E^\top) \operatorname{diag}(p) \, R_t \, (U U^\top),
# \qquad R_t[x, y] = \operatorname{softmax}_y S_t[x, \cdot] - \mathbf{1}\{y = f^*(x)\}.
# $$ (eq-particles-scores)
# ```
#
# ```{prf:proof}
# By {eq}`eq-gradient`, $\nabla L(W) = \sum_{x'} p(x') \, U^\top r(x') \, e_{x'}^\top$,
# where $r(x')$ depends on $W$ only through $z(x') = W e_{x'}$. Multiplying
# $W_{t+1} = W_t - \eta \nabla L(W_t)$ on the right by $e_x$ gives
# {eq}`eq-particles-particles`, since $e_{x'}^\top e_x = \langle e_x, e_{x'} \rangle$ and
# $U^\top r_t(x') = \nabla \ell_{x'}(z_t(x'))$. Multiplying that on the left by $U$ gives
# $s_{t+1}(x, \cdot) = s_t(x, \cdot) - \eta \sum_{x'} p(x') \langle e_x, e_{x'} \rangle \, U U^\top r_t(x')$,
# which is {eq}`eq-particles-scores` row by row. The right-hand side depends on $S_t$ only,
# so the scores evolve on their own.
# ```
#
# Token $x'$ pushes every other particle $z(x)$ along $-\nabla \ell_{x'}$, the direction that
# raises the score of *its own* correct output $f^*(x')$, with the signed weight
# $p(x') \langle e_x, e_{x'} \rangle$: frequent tokens push hard; a positive overlap pushes $z(x)$
# towards $f^*(x')$, a negative overlap pushes it the opposite way, and orthogonal tokens do not
# interact at all. The output side enters only through the Gram matrix $U U^\top$. Both reductions are implemented in `assocmem.particles`; we check
# them against matrix gradient descent on a problem with strongly correlated embeddings
# ($N = 12$ tokens and $M = 7$ classes in $d = 5$ dimensions) over 200 steps.

# %%
import numpy as np
import torch

from assocmem import claims, data, particles, tiers, train
from assocmem.chapters.learning import particles as chapter
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("particles", title="Particles")

E, U = data.embedding_pair(12, 7, 5, seed=3)                       # 12 tokens, 7 classes, d = 5
freqs, targets = data.zipf(12, 1.0), data.targets(12, "mod", 7)
particle_error, score_error = chapter.reductions_vs_gd(E, U, freqs, targets,
                                                       step_sizes=[0.5, 5.0, 30.0], steps=200)
print(f"particles vs GD: {particle_error:.1e}   scores vs GD: {score_error:.1e}")

# %% tags=["remove-cell"]
PAPER = "Cabannes et al. 2024"
ledger.quote("particle_error", particle_error, "{:.0e}")
ledger.quote("score_error", score_error, "{:.0e}")
section = "One particle per token"
assert ledger.check("particle-form-equals-gd", particle_error, upper=1e-10, section=section, reference=PAPER,
                    claim="max deviation of the particle recursion from train.gd (particles, margins, loss; 200 steps, 3 step sizes, correlated embeddings)")
assert ledger.check("score-recursion-equals-gd", score_error, upper=1e-10, section=section,
                    claim="max deviation of the closed score recursion from train.gd (scores and margins, 200 steps)")

# %% [markdown]
# The three computations agree to {glue:}`particle_error` (particles) and
# {glue:}`score_error` (scores), that is, to rounding error after 200 steps.
#
# ### Two classes: a margin system
#
# With $M = 2$ classes, token $x$ is described by a single number, its margin
# $m(x) = \langle u_{f^*(x)} - u_{o(x)}, z(x) \rangle$ where $o(x)$ is the other class, and
# its loss is $\log(1 + e^{-m(x)})$. Projecting {eq}`eq-particles-particles` on
# $v_x = u_{f^*(x)} - u_{o(x)}$ gives, with $\sigma$ the logistic function,
#
# $$
# m_{t+1}(x) = m_t(x) + \eta \sum_{x'} p(x') \, \kappa(x, x') \, \sigma(-m_t(x')),
# \qquad \kappa(x, x') = \langle e_x, e_{x'} \rangle \langle v_x, v_{x'} \rangle .
# $$ (eq-particles-binary)
#
# The kernel $\kappa(x, x')$ is negative, so interference is destructive, exactly when
# $\langle e_x, e_{x'} \rangle$ and $\langle v_x, v_{x'} \rangle$ have opposite signs: positively
# correlated embeddings with different outputs ($\langle v_x, v_{x'} \rangle < 0$), but also
# negatively correlated embeddings with the same output. For the two tokens
# of the next chapter ($\langle e_1, e_2 \rangle = \alpha$, $U = I$, $f^*(x) = x$),
# $\kappa = 2 \begin{pmatrix} 1 & -\alpha \\ -\alpha & 1 \end{pmatrix}$, and the first
# step gives $m_1(2) = \eta (p_2 - \alpha p_1)$: with $\alpha = 0.95$ and $p = (0.75, 0.25)$
# the rare token is misclassified after one step, whatever $\eta$.

# %%
E2, U2 = data.two_token_embeddings(0.95)
p2, t2 = data.two_token_freqs(0.75), data.targets(2)
binary = particles.binary_margins(E2, U2, p2, t2, [1.0, 10.0], steps=35)   # m_0 .. m_35
gd2 = train.gd(E2, U2, p2, t2, [1.0, 10.0], steps=35)
binary_error = (binary[:, :-1] - gd2.margins).abs().max().item()
print("kappa =", particles.binary_kernel(E2, U2, t2).numpy().round(2).tolist())
print(f"binary system vs GD: {binary_error:.1e}")
print("m_1 of the rare token for eta = 1, 10:", binary[:, 1, 1].numpy().round(3))

# %% tags=["remove-cell"]
section = "Two classes: a margin system"
assert ledger.check("binary-system-equals-gd", binary_error, upper=1e-10, section=section,
                    claim="max deviation of the binary-margin recursion from train.gd (two tokens, alpha = 0.95, 35 steps)")
assert ledger.check("binary-first-step-rare-negative", bool((binary[:, 1, 1] < 0).all()), section=section,
             claim="the rare token's margin is negative after one step for eta = 1 and 10 (alpha p1 > p2)",
             reference=PAPER)

# %% [markdown]
# ## Orthonormal embeddings: every token on its own
#
# When the embeddings are orthonormal, $\langle e_x, e_{x'} \rangle = 0$ for $x \neq x'$ and
# the particles stop interacting. If the unembeddings are orthonormal too, the whole
# dynamics reduces to one scalar per token.
#
# ```{prf:theorem} Logarithmic margins with orthonormal embeddings
# :label: thm-orthonormal
#
# Let $E$ and $U$ have orthonormal rows ($d \geq \max(N, M)$), $f^*$ be any target map and
# $W_0 = 0$. For every step size $\eta > 0$ and every token $x$, the margin obeys $m_0(x) = 0$ and
#
# $$
# m_{t+1}(x) = m_t(x) + \frac{\eta \, p(x) \, M}{e^{m_t(x)} + M - 1} ,
# $$ (eq-particles-scalar)
#
# and the gradient flow $\dot m = p(x) M / (e^m + M - 1)$, $m(0) = 0$, is solved by
#
# $$
# e^{m(\tau)} + (M - 1) \, m(\tau) = 1 + p(x) M \tau .
# $$ (eq-particles-flow)
#
# Moreover:
#
# 1. the loss is $L(W_t) = \sum_x p(x) \log\big(1 + (M-1) e^{-m_t(x)}\big)$, and $m_1(x) = \eta \, p(x)$;
# 2. every margin increases strictly and the loss decreases strictly, for every $\eta$;
# 3. gradient descent is never behind the flow: $m_t(x) \geq m(\eta t)$;
# 4. as $t \to \infty$, $m_t(x) - \log\big(\eta \, p(x) M t\big) \to 0$ and
#    $\eta t \, L(W_t) \to N (M - 1)/M$, a limit that does not depend on $p$.
# ```
#
# ```{prf:proof}
# *The recursion and 1.* By {prf:ref}`prop-particles` with $E E^\top = I$ and $U U^\top = I$, the scores of
# token $x$ obey $s_{t+1}(x, \cdot) = s_t(x, \cdot) - \eta \, p(x) \, r_t(x)$. At $t = 0$
# all scores vanish. If at step $t$ the correct score is $a_t$ and the $M - 1$ wrong scores
# all equal $b_t$, the softmax gives the correct class $e^{m_t}/(e^{m_t} + M - 1)$ and each
# wrong class $1/(e^{m_t} + M - 1)$, with $m_t = a_t - b_t$. So
# $a_{t+1} = a_t + \eta p (M-1)/(e^{m_t} + M - 1)$ and every wrong score moves by the same
# $-\eta p / (e^{m_t} + M - 1)$: they stay equal, and subtracting gives
# {eq}`eq-particles-scalar`. The token loss is $\log(1 + (M-1) e^{b_t - a_t})$.
#
# *2.* The increment in {eq}`eq-particles-scalar` is positive for any $m$ and $\eta$, and
# each token loss decreases in $m$.
#
# *The flow and 3.* Separating variables, $(e^m + M - 1)\, dm = p M \, d\tau$; integrating from $0$
# gives {eq}`eq-particles-flow`. Let $G(m) = e^m + (M-1) m$, increasing and convex. Then
# $G(m_{t+1}) - G(m_t) = \int_{m_t}^{m_{t+1}} (e^s + M - 1)\, ds \geq (e^{m_t} + M - 1)(m_{t+1} - m_t) = \eta p M$,
# so $G(m_t) \geq 1 + p M \eta t = G(m(\eta t))$, that is $m_t \geq m(\eta t)$.
#
# *4.* By 3, $m_t \to \infty$, so the increments $\delta_t = m_{t+1} - m_t$ tend to 0 and the
# same integral is at most $e^{\delta_t} \eta p M$. Hence
# $G(m_t) / (\eta p M t) \to 1$; since $(M - 1) m_t = O(\log t)$, also
# $e^{m_t} / (\eta p M t) \to 1$, which is the first limit. Then
# $\log(1 + (M-1) e^{-m_t}) \sim (M-1)/(\eta p(x) M t)$ and the frequency cancels in
# $\sum_x p(x) \cdot (M-1)/(\eta p(x) M t) = N (M-1)/(M \eta t)$.
# ```
#
# This is the paper's analysis of the orthogonal case {cite}`cabannes2024learning`; the
# logarithmic growth of the margins is the familiar rate of gradient descent on separable
# data {cite}`soudry2018implicit`. We check the first two statements on real gradient
# descent: $N = M = d = 10$, Zipf frequencies with exponent 1, identity targets, step sizes
# from 0.1 to 1000, 2000 steps.

# %%
N = M = chapter.N_TOKENS
E_o = data.orthonormal_embeddings(N, N)
freqs, targets = data.zipf(N, 1.0), data.targets(N)
big_etas = [0.1, 1.0, 10.0, 100.0, 1000.0]
with tiers.threads(1):                                        # many tiny tensor ops: one thread
    gd = train.gd(E_o, E_o, freqs, targets, big_etas, steps=2000)
scalar = particles.orthonormal_margins(freqs, M, big_etas, steps=2000)
check = chapter.orthonormal_checks(gd.margins, gd.loss, scalar, freqs, M, big_etas)
print(f"scalar recursion vs GD (relative): {check['scalar_error']:.1e}")
low, high = check["rise_low"], check["rise_high"]
print(f"margin rise / predicted increment (eta <= 100): {low:.4f} to {high:.4f}")

# %% tags=["remove-cell"]
section = "Orthonormal embeddings: every token on its own"
for name, fmt in (("scalar_error", "{:.0e}"), ("rise_low", "{:.3f}"), ("rise_high", "{:.3f}"), ("n_stalled", "{:.0f}"),
                  ("stalled_relative", "{:.0e}"), ("m1_low_1000", "{:.0f}"), ("m1_high_1000", "{:.0f}"), ("loss_drop", "{:.1e}")):
    ledger.quote(name, check[name], fmt)
ledger.quote("n_token_steps", check["n_token_steps"], "{:,.0f}")
assert ledger.check("scalar-recursion-equals-gd", check["scalar_error"], upper=1e-10, section=section, reference=PAPER,
                    claim="max relative deviation of the scalar margin recursion from train.gd (N = M = d = 10, 5 step sizes, 2000 steps)")
assert ledger.check("margins-strictly-increase", check["rise_low"], lower=0.9, section=section, reference=PAPER,
                    claim="min over eta in {0.1, 1, 10, 100}, 2000 steps and x of (m_{t+1} - m_t) / (eta p M / (e^{m_t} + M - 1)): every margin rises by (at least 90 % of) its positive predicted increment")
assert ledger.check("margin-rises-match-increment", check["rise_high"], upper=1.1, section=section,
                    claim="max of the same ratio (the rises are the predicted increments, up to rounding)")
assert ledger.check("margins-never-decrease-eta1000", check["rise_1000"], lower=0, section=section, reference=PAPER,
                    claim="smallest one-step margin change over 2000 GD steps at eta = 1000 (no margin ever decreases)")
assert ledger.check("stalls-below-float64-resolution", check["stalled_relative"], upper=1e-15, section=section,
                    claim="largest true increment / margin among the (t, x) where a float64 margin does not move (eta = 1000 only)")
assert ledger.check("stalls-only-at-eta1000", check["stalls_only_at_1000"], section=section,
                    claim="no margin stalls for eta <= 100")
assert ledger.check("loss-strictly-decreases", check["loss_drop"], upper=0.0, strict=True, section=section, reference=PAPER,
                    claim="max over eta in {0.1, 1, 10, 100} and 2000 steps of (L(W_{t+1}) - L(W_t)) / L(W_t)")
assert ledger.check("first-margin-eta-p", check["first_step"], upper=1e-14, section=section, reference=PAPER,
                    claim="max relative |m_1(x) - eta p(x)| (exact up to rounding)")

# %% [markdown]
# The scalar recursion {eq}`eq-particles-scalar` reproduces gradient descent to
# {glue:}`scalar_error` (relative), so from here on we run it instead of the matrix
# dynamics: it costs a few operations on $N$ numbers per step. For $\eta \le 100$ every margin
# rises at every one of the 2000 steps by its predicted increment $\eta p M/(e^{m_t} + M - 1)$
# (measured rise over predicted increment between {glue:}`rise_low` and {glue:}`rise_high`, the
# spread being rounding), and the loss falls at every step (its largest relative change is
# {glue:}`loss_drop`).
#
# ```{note}
# With $\eta = 1000$ the computer, not the mathematics, stops the margins. The first step gives
# the tokens margins $1000\, p(x)$ between {glue:}`m1_low_1000` and {glue:}`m1_high_1000`; the
# true increment $\approx \eta p M e^{-m}$ is then below the resolution of float64 at that
# margin, so the margin stops moving in the computer ({glue:}`n_stalled` of the
# {glue:}`n_token_steps` token-steps of that run, all with a true increment below
# {glue:}`stalled_relative` of the margin). No margin ever decreases.
# ```
#
# ## Margins grow like $\log t$
#
# We run $10^5$ steps for $\eta \in \{0.1, 1, 10, 100\}$ and draw the margins against
# $\log t$, together with the prediction $\log(\eta \, p(x) M t)$ of {prf:ref}`thm-orthonormal`.

# %%
margins, freqs = chapter.chapter_margins(exponent=1.0)     # (4, 100001, 10): m_0 .. m_100000
step_sizes = chapter.STEP_SIZES                              # 0.1, 1, 10, 100
style.glue_figure("particles-margins", chapter.draw_margins(margins, freqs, M, step_sizes))
i, T = step_sizes.index(1.0), 10_000
deviation = margins[i, T] - torch.log(1.0 * freqs * M * T)  # eta = 1: m_t(x) - log(eta p(x) M t)
t_fit = np.arange(1_000, 100_001)
slopes = np.polyfit(np.log(t_fit), margins[i, t_fit].numpy(), 1)[0]    # one slope per token
print(f"eta = 1, t = 1e4: max |m_t - log(eta p M t)| = {deviation.abs().max():.4f}")
print("slopes of m_t against log t on [1e3, 1e5]:", slopes.round(4))

# %% tags=["remove-cell"]
log_deviation = deviation.abs().max().item()
# Exercise ex-particles-flow: the flow's correction -(M-1) log(pMtau)/(pMtau) for the rarest token at tau = 1e4.
p_rare = freqs[-1].item()
pMtau = p_rare * M * 1.0 * T
flow_correction = -(M - 1) * np.log(pMtau) / pMtau
for name, value, fmt in (("log_deviation", log_deviation, "{:.3f}"), ("slope_min", slopes.min(), "{:.3f}"),
                         ("slope_max", slopes.max(), "{:.3f}"), ("p_rare", p_rare, "{:.3f}"), ("pMtau", pMtau, "{:.0f}"),
                         ("log_pMtau", np.log(pMtau), "{:.1f}"), ("flow_correction", flow_correction, "{:.3f}"),
                         ("rare_deviation", deviation[-1].item(), "{:.3f}")):
    ledger.quote(name, value, fmt)
section = "Margins grow like log t"
assert ledger.check("log-margin-at-1e4", log_deviation, upper=0.025, strict=True, section=section, reference=PAPER,
                    claim="eta = 1, t = 1e4: max over tokens of |m_t(x) - log(eta p(x) M t)|")
assert ledger.check("log-slope-min", slopes.min(), lower=0.99, section=section, reference=PAPER,
                    claim="smallest least-squares slope of m_t(x) against log t over every t in [1e3, 1e5] (eta = 1)")
assert ledger.check("log-slope-max", slopes.max(), upper=1.02, section=section, reference=PAPER,
                    claim="largest least-squares slope of m_t(x) against log t over every t in [1e3, 1e5] (eta = 1)")
assert ledger.check("rarest-token-largest-deviation", bool(deviation.abs().argmax().item() == N - 1), section=section,
                    claim="eta = 1, t = 1e4: the largest |m_t(x) - log(eta p(x) M t)| is that of the rarest token")
assert ledger.check("rare-deviation-vs-flow-correction", deviation[-1].item() / flow_correction, lower=0.9, upper=1.0, strict=True,
                    section=section, reference=PAPER,
                    claim="eta = 1, t = 1e4, rarest token: (m_t - log(eta p M t)) / (-(M-1) log(pMt)/(pMt)); in (0.9, 1): same sign, GD slightly closer than the flow's correction")

# %% [markdown]
# ```{glue:figure} particles-margins
# :name: fig-particles-margins
# :alt: Four panels, one per step size 0.1, 1, 10 and 100, each showing the margins of ten tokens against the logarithm of the step. After a transient every margin follows a straight line of slope one, parallel to and close to its dashed prediction. With step size 100 the frequent tokens start very high, because the first step alone gives them a margin of 100 times their frequency.
#
# Margins of the $N = 10$ tokens with orthonormal embeddings, $M = 10$, against the step $t$ on a
# log scale (solid: gradient descent; dashed: $\log(\eta \, p(x) M t)$; colour: the token, see
# the colour bar). The panels share their $y$-axis: look at how every line moves up by the same
# $\log 10 \approx 2.3$ from one panel to the next, while its slope stays one.
# (At $\eta = 100$ the most frequent token starts above the window: $m_1 = \eta\, p(x) =$
# {glue:}`m1_top_100`.)
# ```
#
# After a transient, every margin runs parallel to its prediction: at $\eta = 1$ and
# $t = 10^4$ the largest gap is {glue:}`log_deviation`, and least-squares slopes of
# $m_t(x)$ against $\log t$ over all steps from $10^3$ to $10^5$ lie between
# {glue:}`slope_min` and {glue:}`slope_max`. The slopes are slightly above one
# because the rare tokens are still catching up with their asymptote: expanding
# {eq}`eq-particles-flow`, $m \approx \log(p M \tau) - (M-1) \log(p M \tau)/(p M \tau)$,
# a correction that shrinks as $t$ grows (and is largest for the rarest token). A larger
# step shifts every line up by $\log \eta$ without changing the slope; with $\eta = 100$ the
# frequent tokens get such a large margin from the first step ($m_1 = \eta \, p(x)$) that
# they stay above their asymptote for the whole run.
#
# ## The loss forgets the frequencies
#
# The theorem predicts $L(W_t) \approx N (M - 1)/(M \eta t)$: each token contributes
# $p(x) \cdot (M-1) e^{-m_t(x)}$ and $e^{-m_t(x)} \approx 1/(\eta p(x) M t)$, so a rare token
# contributes little weight but a large error, and the two cancel exactly. We plot the
# ratio of the loss to that prediction.

# %%
loss = particles.margin_loss(margins, freqs, M)              # (4, 100001): L(W_t)
fig = chapter.draw_loss_scaling(margins, freqs, M, step_sizes)
style.glue_figure("particles-loss-scaling", fig)
margins_a2, freqs_a2 = chapter.chapter_margins(exponent=2.0)  # the same runs with Zipf exponent 2
loss_a2 = particles.margin_loss(margins_a2, freqs_a2, M)
for eta, t in [(0.1, 10_000), (1.0, 10_000), (10.0, 1_000)]:
    print(f"eta = {eta:g}, t = {t}: L M eta t / N(M - 1) = {chapter.loss_ratio(loss, eta, t):.4f}")
print(f"eta = 1, t = 1e5: {chapter.loss_ratio(loss, 1.0, 100_000):.4f} (Zipf a = 1),",
      f"{chapter.loss_ratio(loss_a2, 1.0, 100_000):.4f} (Zipf a = 2)")

# %% tags=["remove-cell"]
ratios = {(eta, t): chapter.loss_ratio(loss, eta, t) for eta, t in [(0.1, 10_000), (1.0, 10_000), (10.0, 1_000)]}
ratio_a1, ratio_a2 = chapter.loss_ratio(loss, 1.0, 100_000), chapter.loss_ratio(loss_a2, 1.0, 100_000)
# The whole curves of the figure, t >= 1: bump above 1 for eta <= 10, approach from below for eta = 100.
curves = chapter.loss_ratio_curves(loss)                     # (4, 100000), t = 1 .. 1e5
curve_a2 = chapter.loss_ratio_curves(loss_a2)
bump = curves[:3].max(dim=1).values                          # eta in {0.1, 1, 10}
bump_time_a1, bump_time_a2 = curves[i].argmax().item() + 1, curve_a2[i].argmax().item() + 1
for name, value, fmt in (("ratio_low", min(ratios.values()), "{:.3f}"), ("ratio_high", max(ratios.values()), "{:.3f}"),
                         ("ratio_a1", ratio_a1, "{:.3f}"), ("ratio_a2", ratio_a2, "{:.3f}"),
                         ("bump_low", bump.min(), "{:.2f}"), ("bump_high", bump.max(), "{:.2f}"),
                         ("bump_time_a1", bump_time_a1, "{:.0f}"), ("bump_time_a2", bump_time_a2, "{:.0f}"),
                         ("span_a1", freqs[0] / freqs[-1], "{:.0f}"), ("span_a2", freqs_a2[0] / freqs_a2[-1], "{:.0f}"),
                         ("p_rare_a1", freqs[-1], "{:.4f}"), ("p_rare_a2", freqs_a2[-1], "{:.5f}"),
                         ("rare_ratio", freqs[-1] / freqs_a2[-1], "{:.1f}")):
    ledger.quote(name, value, fmt)
section = "The loss forgets the frequencies"
for (eta, t), value in ratios.items():
    assert ledger.check(f"loss-ratio-eta{eta:g}-t{t}", value, lower=1.00, upper=1.10, section=section, reference=PAPER,
                        claim=f"L(W_t) M eta t / (N (M - 1)) at eta = {eta:g}, t = {t}")
assert ledger.check("loss-ratio-zipf2", ratio_a2, lower=1.00, upper=1.10, section=section, reference=PAPER,
                    claim="L(W_t) M eta t / (N (M - 1)) at eta = 1, t = 1e5 with Zipf exponent 2 (independent of p)")
assert ledger.check("loss-ratio-zipf1-vs-zipf2", abs(ratio_a2 - ratio_a1), upper=0.05, section=section,
                    claim="|ratio (Zipf 2) - ratio (Zipf 1)| at eta = 1, t = 1e5")
assert ledger.check("loss-ratio-bump", bump.min().item(), lower=1.6, section=section,
                    claim="min over eta in {0.1, 1, 10} of the largest ratio L(W_t) M eta t / (N (M - 1)) over 1 <= t <= 1e5 (the bump)")
assert ledger.check("loss-ratio-bump-in-window", bump.max().item(), upper=2.0, section=section,
                    claim="max over eta in {0.1, 1, 10} of the bump height (inside the figure's y-range [0, 2])")
assert ledger.check("loss-ratio-eta100-from-below", bool((curves[-1].diff() >= 0).all() and (curves[-1] < 1).all()), section=section,
                    claim="eta = 100: the ratio never decreases and stays below 1 over 1 <= t <= 1e5")
assert ledger.check("zipf2-slower-transient", bool(ratio_a2 > ratio_a1 > 1.0 and bump_time_a2 > bump_time_a1), section=section,
                    claim="Zipf 2 vs 1 (eta = 1): the bump comes later and the ratio at t = 1e5 is farther above 1")

# %% [markdown]
# ```{glue:figure} particles-loss-scaling
# :name: fig-particles-loss
# :alt: The loss multiplied by M eta t and divided by N (M - 1), against the step on a log scale, for step sizes 0.1, 1, 10 and 100. The curves for 0.1, 1 and 10 rise to a bump well above 1 and then settle at 1; the curve for step size 100 starts far below 1 and rises slowly towards it.
#
# The loss in units of its asymptote $N(M-1)/(M \eta t)$, for four step sizes. Look at the
# right end: every curve settles at 1, whatever the step size; only the transient differs.
# ```
#
# At $(\eta, t) = (0.1, 10^4)$, $(1, 10^4)$ and $(10, 10^3)$ the ratio lies between
# {glue:}`ratio_low` and {glue:}`ratio_high`, after a bump that reaches between
# {glue:}`bump_low` and {glue:}`bump_high`. With a steeper Zipf law ($a = 2$, rarest
# token {glue:}`span_a2` times rarer than the first) the ratio at $\eta = 1$, $t = 10^5$ is
# {glue:}`ratio_a2`, against {glue:}`ratio_a1` for $a = 1$: the frequencies set how
# long the transient lasts, not the rate. The curve for $\eta = 100$ approaches 1 from
# below: its frequent tokens are so far ahead that their loss is negligible for a long
# time, and the asymptote counts them only once $\eta p(x) M t$ catches up with $e^{m_1(x)}$.
#
# ## Gradient descent is never behind gradient flow
#
# Part 3 of {prf:ref}`thm-orthonormal` compares the discrete run at step $t$ with the flow
# at the same *time* $\tau = \eta t$. The flow is solved in closed form: writing $k = M - 1$
# and $c = 1 + p M \tau$, {eq}`eq-particles-flow` gives
# $m(\tau) = \log k + \log \omega(c/k - \log k)$ with $\omega$ the Wright omega function
# (the solution of $\omega + \log \omega = z$), which stays finite for any $\tau$, and
# $m(\tau) = \log(1 + p \tau)$ when $M = 1$ (the package tests it against a numerical ODE solver).

# %%
steps = torch.arange(margins.shape[1])                       # t = 0 .. 1e5
tau = torch.tensor(step_sizes, dtype=torch.float64)[:, None] * steps     # eta t
lead = margins - particles.flow_margins(freqs, M, tau)       # (4, 100001, 10): m_t - m_flow(eta t)
smallest_lead = lead[:, 1:].min().item()
lead_at_end = lead[:, -1].max(dim=-1).values
print(f"smallest lead of GD over the flow (t >= 1): {smallest_lead:.2e}")
print("largest lead at t = 1e5 per step size:", lead_at_end.numpy())
style.glue_figure("particles-gd-vs-flow", chapter.draw_gd_vs_flow(margins, freqs, M, step_sizes))

# %% tags=["remove-cell"]
ledger.quote("smallest_lead", smallest_lead, "{:.1e}")
ledger.quote("m1_top_100", margins[-1, 1, 0], "{:.0f}")
section = "Gradient descent is never behind gradient flow"
assert ledger.check("gd-ahead-of-flow", smallest_lead, lower=0, strict=True, section=section, reference=PAPER,
                    claim="min over eta in {0.1, 1, 10, 100}, 1 <= t <= 1e5 and x of m_t(x) - m_flow(eta t)")
assert ledger.check("bigger-steps-lead-more", bool((lead_at_end.diff() > 0).all()), section=section,
                    claim="the lead over the flow at t = 1e5 grows with the step size")
window_top = particles.flow_margins(freqs, M, torch.tensor([step_sizes[-1] * (margins.shape[1] - 1)], dtype=torch.float64))[0, 0].item() + 2.0
assert ledger.check("eta100-start-above-window", margins[-1, 1, 0].item() - window_top, lower=0, strict=True, section=section,
                    claim="eta = 100: m_1 of the most frequent token minus the top of the left panel's y-range (flow margin at the last time + 2)")

# %% [markdown]
# ```{glue:figure} particles-gd-vs-flow
# :name: fig-particles-flow
# :alt: Left, the margins of the most frequent and the rarest token against the time eta t on a log scale, for four step sizes, with the gradient-flow solution dashed; every discrete curve lies on or above the flow; the curves of step sizes 0.1 and 1 cover the flow, and those of 10 and 100 start above it. Right, the lead of the discrete margin over the flow for the rarest token on log-log axes, positive for every step size, rising to a peak and then decreasing, larger for larger step sizes.
#
# Left: margins against $\tau = \eta t$ for gradient descent (colours) and gradient flow
# (dashed); at $\eta = 100$ the most frequent token starts at $m_1 =$ {glue:}`m1_top_100`, above the window, and
# the curves for $\eta = 0.1$ and $1$ lie on top of the flow. Right: the lead $m_t(x) - m(\eta t)$
# of the rarest token: look at how it stays positive, and higher for larger steps.
# ```
#
# The lead is positive at every step of every run (its smallest value is
# {glue:}`smallest_lead`), and it grows with the step size. Large steps are
# therefore *uniformly* better here: in the same amount of "time" $\eta t$ they reach larger
# margins, and in the same number of steps they reach a time $\eta t$ that is larger. This
# is special to orthonormal embeddings; the next chapters show how interference between
# tokens makes large steps oscillate.
#
# ## Rare tokens lag by $\log(p_{\max} / p(x))$
#
# By part 4 of {prf:ref}`thm-orthonormal`, two tokens end up separated by
# $m_t(x') - m_t(x) \to \log(p(x')/p(x))$: a constant, while both margins grow without bound.
# A token 100 times rarer than the most frequent one lags by $\log 100 \approx 4.6$ logits
# forever, i.e. it needs 100 times more steps to reach the same margin.

# %%
lag = margins[i, -1, 0] - margins[i, -1]                     # eta = 1, t = 1e5
lag_a2 = margins_a2[i, -1, 0] - margins_a2[i, -1]
lag_error = max((lag - torch.log(freqs[0] / freqs)).abs().max().item(),
                (lag_a2 - torch.log(freqs_a2[0] / freqs_a2)).abs().max().item())
peak_lag = (margins[i, :, 0] - margins[i, :, -1]).max().item()
print(f"max |lag - log(p_max / p(x))| at t = 1e5 (a = 1 and 2): {lag_error:.4f}")
print(f"largest lag of the rarest token: {peak_lag:.2f}")
fig = chapter.draw_rare_lag(margins[i], freqs,
                            {1.0: (margins[i], freqs),
                             2.0: (margins_a2[i], freqs_a2)})
style.glue_figure("particles-rare-lag", fig)

# %% tags=["remove-cell"]
ledger.quote("lag_error", lag_error, "{:.3f}")
ledger.quote("peak_lag", peak_lag, "{:.1f}")
ledger.quote("final_lag", lag[-1], "{:.2f}")
section = "Rare tokens lag by log(p_max / p(x))"
assert ledger.check("lag-log-ratio", lag_error, upper=0.02, section=section, reference=PAPER,
                    claim="max over tokens and Zipf a in {1, 2} of |m_t(1) - m_t(x) - log(p(1)/p(x))| at eta = 1, t = 1e5")
assert ledger.check("lag-overshoots", peak_lag - lag[-1].item(), lower=0.97, section=section,
                    claim="the rarest token's largest lag minus its final lag (transient overshoot of about one logit)")

# %% [markdown]
# ```{glue:figure} particles-rare-lag
# :name: fig-particles-lag
# :alt: Left, for each token the gap between the most frequent token's margin and its own against the step on a log scale; each gap rises to a peak early in the run, higher for rarer tokens, and then settles on a dotted line at the log of the frequency ratio. Right, the final gaps against the log frequency ratios for Zipf exponents 1 and 2; all points lie on the diagonal.
#
# Left: lag of every token behind the most frequent one ($\eta = 1$); dotted, $\log(p_{\max}/p(x))$.
# Right: lag at $t = 10^5$ against $\log(p_{\max}/p(x))$ for Zipf exponents 1 and 2. Look at
# the early hump on the left: the lag first overshoots its final value.
# ```
#
# At $t = 10^5$ the lags match the log frequency ratios to {glue:}`lag_error`. Early on
# the lag is larger: the most frequent token saturates first, while the rarest one has not
# started yet, and at its widest the gap reaches {glue:}`peak_lag` logits before
# settling to {glue:}`final_lag`.
#
# ## Explore
#
# The widget reruns the scalar recursion for $10^4$ steps with the step size, the Zipf
# exponent and the number of classes $M$ you choose ($N = 10$ tokens; the dynamics of a
# token depend on $M$ only through {eq}`eq-particles-scalar`). Before moving a slider,
# predict how the lines should move: by {prf:ref}`thm-orthonormal` they shift by
# $\log \eta$, by $\log M$, and by $\log p(x)$.

# %%
chapter.widget(step_size=1.0, exponent=1.0, num_classes=M)

# %% [markdown]
# ## Exercises
#
# ```{exercise}
# :label: ex-particles-flow
#
# Derive the gradient-flow solution {eq}`eq-particles-flow` from
# $\dot m = p M / (e^m + M - 1)$, $m(0) = 0$. Then show that
# $m(\tau) = \log(p M \tau) - (M - 1) \log(p M \tau) / (p M \tau) + o(\log \tau / \tau)$, and use
# it to predict the sign and the size of $m_t(x) - \log(\eta p(x) M t)$ for the rarest
# token at $\eta = 1$, $t = 10^4$ in {numref}`fig-particles-margins`.
# ```
#
# ```{solution} ex-particles-flow
# :class: dropdown
#
# Separate variables: $(e^m + M - 1)\, dm = p M \, d\tau$, and integrate from 0 to get
# $e^m - 1 + (M-1) m = p M \tau$. Write $e^m = p M \tau (1 + \epsilon)$: then
# $p M \tau \, \epsilon = 1 - (M-1) m$, so $\epsilon \approx -(M-1) \log(p M \tau)/(p M \tau)$
# and $m = \log(p M \tau) + \log(1 + \epsilon)$ gives the expansion. For the rarest token
# $p \approx$ {glue:}`p_rare`, so at $\tau = 10^4$, $p M \tau \approx$ {glue:}`pMtau`,
# $\log(p M \tau) \approx$ {glue:}`log_pMtau`, and the correction
# $-(M - 1) \log(p M \tau) / (p M \tau)$ is about {glue:}`flow_correction`: the flow margin
# sits just *below* its asymptote, and gradient descent, slightly ahead of the flow, sits a
# little closer, at {glue:}`rare_deviation`. The rarest token has the largest gap of all,
# so this is the {glue:}`log_deviation` measured above.
# ```
#
# ```{exercise}
# :label: ex-particles-frequencies
#
# Explain, without computing, why the asymptotic loss $N(M-1)/(M \eta t)$ does not depend on
# the frequencies $p$. Then predict what happens to the curves of
# {numref}`fig-particles-loss` if the Zipf exponent goes from 1 to 2 (rarest token
# {glue:}`span_a2` times rarer than the first instead of {glue:}`span_a1` times), and check it with
# `particles.orthonormal_margins` and `particles.margin_loss`.
# ```
#
# ```{solution} ex-particles-frequencies
# :class: dropdown
#
# Token $x$ is weighted by $p(x)$ in the loss, but its margin grows like
# $\log(\eta p(x) M t)$, so its own loss is about $(M-1)/(\eta p(x) M t)$: inversely
# proportional to its frequency. The product $p(x) \cdot (M-1)/(\eta p(x) M t)$ is the same
# for every token, so the loss counts tokens, not probability mass, and sums to
# $N (M-1)/(M \eta t)$. With exponent 2 the limit is the same, but the rare tokens reach
# their asymptotic regime $\eta p(x) M t \gg (M-1)\, m_t(x)$ later: the time needed scales
# like $1/p(x)$ (up to the logarithm), and the rarest token's frequency drops from
# {glue:}`p_rare_a1` to {glue:}`p_rare_a2`, so it gets there about
# {glue:}`rare_ratio` times later. The bump of each curve moves to the right (at
# $\eta = 1$ it peaks at $t =$ {glue:}`bump_time_a2` instead of {glue:}`bump_time_a1`)
# and the approach to 1 is slower; at $t = 10^5$ the ratio is {glue:}`ratio_a2` instead
# of {glue:}`ratio_a1`.
# ```
#
# ```{exercise}
# :label: ex-particles-binary
#
# Using {eq}`eq-particles-binary`, show that for the two tokens with
# $\langle e_1, e_2 \rangle = \alpha$, $U = I$ and $f^*(x) = x$, the rare token is misclassified
# after one step from $W_0 = 0$ exactly when $\alpha p_1 > p_2$, for every step size. What
# changes if both tokens have the same output?
# ```
#
# ```{solution} ex-particles-binary
# :class: dropdown
#
# At $m_0 = 0$, $\sigma(0) = 1/2$ and $\kappa = 2 \begin{pmatrix} 1 & -\alpha \\ -\alpha & 1 \end{pmatrix}$,
# so $m_1(2) = \eta (p_2 - \alpha p_1)$, negative iff $\alpha p_1 > p_2$, and $\eta > 0$ only
# scales it. With equal outputs the problem has a single class: in a two-class setting
# with $v_1 = v_2$ the kernel becomes $2 \begin{pmatrix} 1 & \alpha \\ \alpha & 1 \end{pmatrix}$
# and a positive correlation *helps* the rare token, $m_1(2) = \eta (p_2 + \alpha p_1)$.
# ```
