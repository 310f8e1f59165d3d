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
# (chap-energy-transformer)=
# # The Energy Transformer
#
# ```{admonition} In this chapter
# **You will learn** how a Transformer block can be built as one associative memory whose tokens
# descend a single energy; why that energy cannot increase along the block's continuous
# dynamics (the LayerNorm is the gradient of a convex function); how its three terms, a
# LayerNorm term, an attention term and a Hopfield term, replace normalisation, attention and
# the MLP; and what such a block does, and fails to do, when it completes masked image patches
# and when it looks for anomalous nodes in a graph.
#
# **Prerequisites**: {ref}`chap-hopfield` (energies, dense memories, the log-sum-exp energy);
# {ref}`chap-induction-head` (attention with queries and keys); gradient descent and the chain rule.
#
# **Run time**: under a minute on a laptop CPU (the trained weights are checked in); the Instructors page lists the measured time.
# ```
#
# The other chapters of this part find memories *inside* networks. {cite:t}`hoover2023energy`
# go the other way: they write down an energy and let a Transformer block *be* its gradient
# descent. Tokens $x_A \in \mathbb{R}^D$, $A = 1, \dots, N$, evolve in time; at every moment
# they see each other only through one function $E$, and the block's output is where the
# descent has taken them after $T$ steps.
#
# ## One energy with three terms
#
# Each token is first normalised by a LayerNorm written as the gradient of a *Lagrangian*,
#
# $$
# L(x) = D\gamma \sqrt{\tfrac1D \textstyle\sum_i (x_i - \bar x)^2 + \varepsilon} + \delta^\top x,
# \qquad g = \nabla L(x) = \gamma \frac{x - \bar x}{\sqrt{\operatorname{var} x + \varepsilon}} + \delta ,
# $$ (eq-et-layernorm)
#
# with a scalar $\gamma > 0$. The energy is $E = E_{LN} + E_{ATT} + E_{HN}$ with
#
# $$
# \begin{aligned}
# E_{LN} &= \sum_A \big(x_A^\top g_A - L(x_A)\big), \\
# E_{ATT} &= -\frac1\beta \sum_h \sum_C \log \sum_{B \ne C} \exp\big(\beta\, K_{hB}^\top Q_{hC}\big),
# \qquad K_{hB} = W^K_h g_B,\; Q_{hC} = W^Q_h g_C,\; \beta = 1/\sqrt{Y}, \\
# E_{HN} &= -\frac12 \sum_C \sum_\mu \operatorname{ReLU}\big(\xi_\mu^\top g_C\big)^2 .
# \end{aligned}
# $$ (eq-et-energy)
#
# $E_{ATT}$ is a dense associative memory in which each token $C$ queries all the *other*
# tokens with $Y$-dimensional keys and queries, one term per head $h$; there are no value or
# output matrices. $E_{HN}$ is a Hopfield layer with $M$ memories $\xi_\mu$ in the place of the
# MLP. $E_{LN}$ is the Legendre transform of $L$: as a function of $g$ its gradient is $x$.
# The dynamics and their discretisation are
#
# $$
# \tau \frac{\mathrm{d} x_A}{\mathrm{d} t} = -\frac{\partial E}{\partial g_A}
# = -x_A - \frac{\partial (E_{ATT} + E_{HN})}{\partial g_A},
# \qquad x_A \leftarrow x_A - \alpha \frac{\partial E}{\partial g_A}.
# $$ (eq-et-dynamics)
#
# **Which variant.** `assocmem.models.energy_transformer` implements the paper's energy: the
# attention excludes $B = C$ and $E_{LN}$ is kept, so the step carries the leak $-\alpha x_A$.
# The authors' simplified code keeps $B = C$ in the log-sum-exp and descends $E_{ATT} + E_{HN}$
# alone, without the leak; both use a scalar $\gamma$ here (a vector $\gamma$ would not make
# $g$ a gradient). Both variants are in the module (`exclude_self`, `leak`) and both are
# tested; the chapter uses the paper's.

# %% [markdown]
# ## Why the energy decreases
#
# ```{prf:proposition} The Energy Transformer descends its energy
# :label: prop-et-descent
#
# Let $H_A = \nabla^2 L(x_A) = \partial g_A / \partial x_A$. Along the dynamics
# {eq}`eq-et-dynamics`,
#
# $$
# \frac{\mathrm{d}E}{\mathrm{d}t} = -\frac1\tau \sum_A \Big(\frac{\partial E}{\partial g_A}\Big)^{\!\top}
# H_A \, \frac{\partial E}{\partial g_A} \le 0,
# $$
#
# and $E$ is bounded below, so the tokens settle. The same holds, with $E_{ATT} + E_{HN}$ in
# place of $E$, for the authors' leak-free dynamics.
# ```
#
# ```{prf:proof}
# *$H_A$ is positive semi-definite.* With $P = I - \frac1D \mathbf{1}\mathbf{1}^\top$,
# $\sqrt{\operatorname{var} x + \varepsilon}$ is the Euclidean norm of the affine map
# $x \mapsto (Px/\sqrt D, \sqrt\varepsilon)$, hence convex; $\gamma > 0$ and the linear term
# $\delta^\top x$ keep $L$ convex, and the Hessian of a convex twice-differentiable function is
# symmetric positive semi-definite.
#
# *The chain rule.* $g_A$ depends on $x_A$ only. Differentiating $E_{LN}$ gives
# $\nabla_{x_A} E_{LN} = g_A + H_A x_A - \nabla L(x_A) = H_A x_A$, and
# $\nabla_{x_A} E_{ATT}(g(x)) = H_A\, \partial E_{ATT} / \partial g_A$ (the same for $E_{HN}$)
# because $H_A$ is symmetric. Hence $\nabla_{x_A} E = H_A\, \partial E / \partial g_A$ and
#
# $$
# \frac{\mathrm{d}E}{\mathrm{d}t} = \sum_A (\nabla_{x_A} E)^\top \frac{\mathrm{d}x_A}{\mathrm{d}t}
# = -\frac1\tau \sum_A \Big(\frac{\partial E}{\partial g_A}\Big)^{\!\top} H_A \frac{\partial E}{\partial g_A} \le 0 .
# $$
#
# Without the leak the same computation applies to $E_{ATT} + E_{HN}$ alone.
#
# *Bounded below.* $|g_A - \delta| = \gamma\sqrt{D \operatorname{var} x_A / (\operatorname{var} x_A + \varepsilon)} \le \gamma\sqrt{D}$,
# so $E_{ATT}$ and $E_{HN}$ are continuous functions of bounded arguments; and
# $E_{LN} = \sum_A \gamma D(\operatorname{var} x_A / \sigma_A - \sigma_A) = -\sum_A \gamma D \varepsilon / \sigma_A \ge -N\gamma D\sqrt{\varepsilon}$,
# with $\sigma_A = \sqrt{\operatorname{var} x_A + \varepsilon}$.
# ```
#
# For the discrete step $x \leftarrow x - \alpha\, \partial E / \partial g$ the proposition gives
# the first-order change $-\alpha \sum_A (\partial E / \partial g_A)^\top H_A (\partial E / \partial
# g_A) \le 0$ and no guarantee beyond it: a large $\alpha$ can overshoot. So we check. The unit
# tests compare the closed-form step with $-\alpha$ times the autograd gradient of $E$ in $g$
# and find the energy non-increasing over 60 small steps on random parameters; here, the same
# on a larger random block at the chapter's $\alpha = 0.1$.

# %%
import numpy as np
import torch

from assocmem import claims
from assocmem.chapters.beyond import energy_transformer as chapter
from assocmem.models import energy_transformer as ET
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("energy_transformer", title="The Energy Transformer")

# %%
block = ET.EnergyTransformer(D=32, heads=2, Y=16, memories=64, seed=3)
x = torch.randn(20, 16, 32, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
g = block.layernorm(x).detach().requires_grad_(True)
(grad,) = torch.autograd.grad(block.energy(x, g).sum(), g)
step_error = (block.step(x, 0.1) - (x - 0.1 * grad)).abs().max().item()
with torch.no_grad():
    _, trace = block(x, steps=50, alpha=0.1, record=True)       # (51, 20): energy per step and item
print(f"step vs -alpha autograd: {step_error:.1e};  largest energy change over 50 x 20 steps: {(trace[1:] - trace[:-1]).max():.2e}")

# %% tags=["remove-cell"]
assert ledger.check("step-is-energy-gradient", step_error, upper=1e-12,
                    claim="x - alpha dE/dg (closed form) equals x - alpha times the autograd gradient of E in g (random block, 20 items)",
                    section="Why the energy decreases", reference="Hoover et al. 2023")
assert ledger.check("random-block-descends", (trace[1:] - trace[:-1]).max().item(), upper=0.0,
                    claim="a random block at alpha = 0.1: the energy never increases over 50 steps, for each of 20 random inputs",
                    section="Why the energy decreases")

# %% [markdown]
# ## Image completion on the 8x8 digits
#
# The authors train the block on ImageNet to fill in masked patches. At CPU scale we use the
# 1797 handwritten digits that scikit-learn ships, 8x8 pixels each: 1500 for training, the last
# 297 for testing. Each image is cut into 16 patches of 2x2 pixels; a linear encoder maps each
# patch to $D = 32$, a learned position vector is added, and 4 of the 16 tokens are replaced by
# a learned mask token (plus their position). One block (2 heads, $Y = 16$, $M = 64$
# memories) runs $T = 8$ steps at $\alpha = 0.1$, and a linear decoder reads each masked
# token's $g$ back as a patch. Adam (learning rate $3 \cdot 10^{-3}$, batch 64, 800 steps, a
# fresh mask for every image) minimises the masked-patch squared error. Three seeds, trained by
# `python -m assocmem.chapters.beyond.energy_transformer`; the weights are checked in.
#
# What to compare with? With $T = 0$ descent steps a masked token is its mask token plus its
# position, the same for every image, so the best a model with no descent can do is to predict
# the mean patch of that position: the *per-position mean-patch baseline*, computed from the
# training images. Anything below it is completion from the visible context, and in this block
# only the descent carries context from one token to another.

# %%
curve = chapter.error_curve()                   # 3 seeds x T in (0, 2, 4, 8, 12, 16, 24)
standard = chapter.standard_mse()               # the standard block, one pass, 3 seeds
style.glue_figure("energy-transformer-curve", chapter.draw_curve(curve, standard))
relative = curve.mse / curve.baseline
print("masked-patch MSE / baseline, rows = seeds, columns = T", curve.steps)
print(relative.round(3))
print("standard block / baseline:", (standard / curve.baseline).round(3))

# %% tags=["remove-cell"]
T = list(curve.steps)
at = {t: relative[:, T.index(t)] for t in T}
ledger.quote("baseline_mse", curve.baseline, "{:.4f}")
for t in (0, 8, 24):
    ledger.quote(f"rel_T{t}_min", at[t].min(), "{:.2f}")
    ledger.quote(f"rel_T{t}_max", at[t].max(), "{:.2f}")
ratio = at[8] / at[0]
ledger.quote("ratio_max", ratio.max(), "{:.2f}")
gain = 1 - at[8]
ledger.quote("gain_min", 100 * gain.min(), "{:.0f}")
ledger.quote("gain_max", 100 * gain.max(), "{:.0f}")
best = relative.min(axis=1)
best_T = [T[i] for i in relative.argmin(axis=1)]
ledger.quote("best_T_lo", min(best_T), "{:d}")
ledger.quote("best_T_hi", max(best_T), "{:d}")
std_rel = standard / curve.baseline
ledger.quote("std_rel_min", std_rel.min(), "{:.2f}")
ledger.quote("std_rel_max", std_rel.max(), "{:.2f}")
ledger.quote("std_params", chapter.StandardCompleter().block_parameters(), "{:d}")
ledger.quote("et_params", sum(p.numel() for p in chapter.Completer().et.parameters()), "{:d}")
ledger.quote("std_wins", int((std_rel < at[8]).sum()), "{:d}")
assert ledger.check("standard-below-baseline", std_rel.max(), upper=0.95,
                    claim="a standard Transformer block of about the same parameter count, one pass, is below 0.95 of the baseline on each of 3 seeds",
                    section="Image completion on the 8x8 digits")
assert ledger.check("descent-completes", ratio.max(), upper=0.6,
                    claim="MSE(T = 8) <= 0.6 MSE(T = 0) on the masked test patches, on each of 3 seeds",
                    section="Image completion on the 8x8 digits", reference="Hoover et al. 2023")
assert ledger.check("below-baseline", at[8].max(), upper=0.95,
                    claim="at the trained T = 8 the masked-patch MSE is below 0.95 of the per-position mean-patch baseline, on each of 3 seeds",
                    section="Image completion on the 8x8 digits")
assert ledger.check("past-trained-T-worse", (at[24] - at[8]).min(), lower=0.0,
                    claim="running 24 steps instead of the trained 8 raises the masked-patch MSE, on each of 3 seeds",
                    section="Image completion on the 8x8 digits")

# %% [markdown]
# ```{glue:figure} energy-transformer-curve
# :name: fig-energy-transformer-curve
# :alt: Masked-patch error relative to the mean-patch baseline against the number of inference descent steps for three seeds, on a log axis: far above the baseline at zero steps, a little below it at eight steps, rising again beyond.
#
# Masked-patch error on the test digits, relative to the per-position mean patch (dotted), against
# the number of descent steps run at test time; the block was trained with $T = 8$ (dashed).
# Look at the minimum: near the trained $T$, and only a little below the baseline.
# ```
#
# The descent does the completion: at $T = 0$ the decoded mask token is
# {glue:}`rel_T0_min` to {glue:}`rel_T0_max` times the baseline error (training does not make
# it a good constant guess, since the descent will move it), and after the trained 8 steps it
# is {glue:}`rel_T8_min` to {glue:}`rel_T8_max` times the baseline, at most
# {glue:}`ratio_max` of the $T = 0$ error on every seed. But the gain over the mean patch is
# small: {glue:}`gain_min` to {glue:}`gain_max` per cent. The energy is not a memory that the
# tokens settle into: the error is lowest near the trained number of steps (of the $T$ tried,
# the best is $T$ = {glue:}`best_T_lo` to {glue:}`best_T_hi` across the seeds) and rises when the descent is run longer
# ({glue:}`rel_T24_min` to {glue:}`rel_T24_max` times the baseline at $T = 24$). Training has
# tuned the *path* of the descent for 8 steps, and the end point of a longer descent is a
# different, worse state.
#
# **Against an ordinary block.** The same encoder, positions, mask token and decoder around
# one standard pre-LayerNorm Transformer block (2 heads of width 8 with value and output
# matrices, a ReLU MLP of width 32, residual connections; {glue:}`std_params` block parameters
# against the ET block's {glue:}`et_params`), trained the same way and applied once, reaches
# {glue:}`std_rel_min` to {glue:}`std_rel_max` of the baseline (dash-dotted lines): it beats
# the Energy Transformer at $T = 8$ on {glue:}`std_wins` of the 3 seeds. At this scale the
# energy-based block is no better than an ordinary one of its size; we assert no ordering.
#
# The energy itself behaves as the proposition says. For every test image, on the trained
# block, it falls at every one of 24 steps, well past the trained 8.

# %%
traces = chapter.energy_traces(seed=0, T=16)      # (17, 297): energy per step, every test image
terms = chapter.energy_terms(seed=0, T=16)
style.glue_figure("energy-transformer-energy", chapter.draw_energy(traces, terms))

# %% tags=["remove-cell"]
ledger.quote("n_test", traces.shape[1], "{:d}")
ledger.quote("largest_rise", curve.energy_rise.max(), "{:.2f}")
assert ledger.check("trained-energy-descends", curve.energy_rise.max(), upper=0.0,
                    claim="trained blocks: the energy never increases over 24 steps, for each of 297 test images, on each of 3 seeds",
                    section="Image completion on the 8x8 digits", reference="Hoover et al. 2023")
gammas = [chapter.trained(s).et.gamma.item() for s in chapter.SEEDS]
assert ledger.check("gamma-positive", min(gammas), lower=0.0,
                    claim="the trained LayerNorm scale gamma stays positive (the proposition needs it), on each of 3 seeds",
                    section="Image completion on the 8x8 digits")

# %% [markdown]
# ```{glue:figure} energy-transformer-energy
# :name: fig-energy-transformer-energy
# :alt: Left, the change of the energy from step zero for every test image, falling monotonically over sixteen steps. Right, the mean change of the three energy terms and of the total.
#
# Left: $E(x^k) - E(x^0)$ for each of the {glue:}`n_test` test images (seed 0); over 24 steps
# and all seeds the largest one-step change is {glue:}`largest_rise`, never positive. Right:
# the three terms separately (means over the test images); only the total is bound to fall.
# ```
#
# Step by step, the masked patches (grey) fill in:

# %%
style.glue_figure("energy-transformer-reconstructions", chapter.draw_reconstructions(*chapter.reconstructions()))

# %% [markdown]
# ```{glue:figure} energy-transformer-reconstructions
# :name: fig-energy-transformer-reconstructions
# :alt: Six test digits, each shown with four grey masked patches, then completed after 0, 2, 4, 8 and 16 descent steps, then the original.
#
# Six test digits (rows): the masked input, the completion after $T$ steps (visible patches
# kept), the original. Look at how coarse the completions are: strokes continue, but a patch is
# rarely right in detail.
# ```
#
# Which patches does a masked patch listen to? The softmax inside $\partial E_{ATT}/\partial g$,
# $P_{hBC} = \operatorname{softmax}_B(\beta K_{hB}^\top Q_{hC})$, is the weight with which query
# $C$ pulls on key $B$ in head $h$; `block.attention(x)` returns it. After the 8 descent steps
# on one test digit:

# %%
P, masked_view, completed, patch_mask = chapter.attention_maps(seed=0, item=0)   # P: (2 heads, 16 keys, 16 queries)
style.glue_figure("energy-transformer-attention", chapter.draw_attention(P, masked_view, completed, patch_mask))
print("largest weight per head:", P.max(axis=(1, 2)).round(2), "  uniform would be", round(1 / 15, 3))

# %% tags=["remove-cell"]
ledger.quote("att_max_h1", P[0].max(), "{:.2f}")
ledger.quote("att_max_h2", P[1].max(), "{:.2f}")
ledger.quote("att_uniform", 1 / 15, "{:.3f}")

# %% [markdown]
# ```{glue:figure} energy-transformer-attention
# :name: fig-energy-transformer-attention
# :alt: A masked test digit with its four masked patches numbered, its completion, and for each of the two heads a sixteen by sixteen matrix of attention weights with key patches on the vertical and query patches on the horizontal axis; the columns of the masked queries are outlined.
#
# The attention weights after $T = 8$ steps on the first test digit (seed 0). Each column is
# one query patch's distribution over the 15 other patches (the diagonal is excluded); the
# columns of the masked queries are outlined in red, and their numbers are written on the input. The
# largest weights are {glue:}`att_max_h1` and {glue:}`att_max_h2` in the two heads, against
# {glue:}`att_uniform` for a uniform distribution: look at whether the columns of the masked
# patches pick out a few keys or spread out.
# ```
#
# The Hopfield memories $\xi_\mu$ live in token space; decoding them shows the patch each one
# pushes a token towards.

# %%
style.glue_figure("energy-transformer-memories", chapter.draw_memories(seed=0))

# %% [markdown]
# ```{glue:figure} energy-transformer-memories
# :name: fig-energy-transformer-memories
# :alt: Sixty-four small two-by-two patches in a grid, in a red-blue colour map, one per learned Hopfield memory.
#
# The 64 learned memories of seed 0, each decoded to a 2x2 patch (red: ink added, blue: removed,
# relative to the decoder's bias). They are stroke fragments, not digits: with 2x2 patches a
# memory can only store a local texture.
# ```
#
# ## Graph anomaly detection
#
# The paper's second use of the block is on graphs: the nodes are the tokens, and the attention
# of $E_{ATT}$ is restricted to each node's neighbours, $\log \sum_{B \in \mathcal{N}(C)}$ in
# place of $\log \sum_{B \ne C}$. In code that is one argument, `block(x, mask=adjacency)`
# with `mask[B, C]` true when $C$ may attend to $B$; the descent is still gradient descent on
# the (restricted) energy: the unit tests check the step against autograd with a mask, and on
# the trained graph blocks below the energy never rises over 16 steps. Note how far
# one step reaches: token $B$'s key is pulled by the queries of its neighbours $C'$, whose
# softmax is normalised over *their* neighbours, so one step carries information two hops.
#
# The authors evaluate on real fraud-detection graphs with labelled nodes, out of reach here.
# We test the idea, unsupervised, on synthetic graphs with planted anomalies, planted the way
# {cite:t}`ding2019deep` do: `assocmem.tasks.graphs.planted_anomalies` draws 200 nodes in 4
# communities (a stochastic block model), gives each node 8 attributes around its community's
# mean, then makes two cliques of 8 random nodes (*structural* anomalies) and gives 16 other
# nodes the attributes of the farthest of 50 random nodes (*contextual* anomalies: ordinary
# attributes in the wrong neighbourhood).
#
# The model is a node completer: a linear encoder of the attributes, a mask token for hidden
# nodes, one block ($D = 16$, 2 heads, $Y = 8$, 32 memories, $T = 4$ steps at $\alpha = 0.1$)
# with the attention restricted to the edges, and a linear decoder. It is trained with Adam to
# predict the attributes of randomly hidden nodes from the rest of the graph (15 % hidden, 300
# steps), without labels, on the graph it then scores. A node's anomaly score is the squared
# error of its attributes predicted while it is hidden. We compare it with the same model with
# full attention (no mask), with the node's own share of the energy after $T$ steps (nothing
# hidden; `token_energies`), and with two simple baselines: the degree, and the distance of a
# node's attributes to the mean of its neighbours'. ROC-AUC (scikit-learn), five graphs (seeds),
# trained weights checked in (`python -m assocmem.chapters.beyond.energy_transformer graph`).

# %%
graph_study = chapter.graph_study()          # 5 seeds; ROC-AUC against all, structural, contextual anomalies
style.glue_figure("energy-transformer-roc", chapter.draw_roc(graph_study))
for method, label in chapter.METHODS.items():
    auc = graph_study.auc[method]
    print(f"{label:27s}", "  ".join(f"{kind} {auc[:, k].min():.2f}-{auc[:, k].max():.2f}" for k, kind in enumerate(chapter.KINDS)))

# %% tags=["remove-cell"]
auc = graph_study.auc
ALL, STRUCT, CONTEXT = 0, 1, 2
for method in chapter.METHODS:
    for k, kind in enumerate(chapter.KINDS):
        ledger.quote(f"auc_{method}_{kind}_min", auc[method][:, k].min(), "{:.2f}")
        ledger.quote(f"auc_{method}_{kind}_max", auc[method][:, k].max(), "{:.2f}")
ledger.quote("n_graph_seeds", len(graph_study.seeds), "{:d}")
degrees = [chapter.graph(s).degree.double() for s in graph_study.seeds]
ledger.quote("mean_degree", float(np.mean([d.mean().item() for d in degrees])), "{:.1f}")
ledger.quote("clique_degree", float(np.mean([d[chapter.graph(s).labels == 1].mean().item() for s, d in zip(graph_study.seeds, degrees)])), "{:.1f}")
ledger.quote("et_contextual_wins", int((auc["et"][:, CONTEXT] > auc["neighbour"][:, CONTEXT]).sum()), "{:d}")
assert ledger.check("graph-contextual-found", auc["et"][:, CONTEXT].min(), lower=0.9,
                    claim="the ET reconstruction error separates the contextual anomalies from normal nodes with ROC-AUC >= 0.9 on each of 5 graphs",
                    section="Graph anomaly detection", reference="Hoover et al. 2023")
assert ledger.check("graph-mask-helps", (auc["et"][:, CONTEXT] - auc["full"][:, CONTEXT]).min(), lower=0.0,
                    claim="restricting the attention to the edges raises the contextual ROC-AUC over full attention, on each of 5 graphs",
                    section="Graph anomaly detection")
assert ledger.check("graph-degree-finds-cliques", auc["degree"][:, STRUCT].min(), lower=0.95,
                    claim="the degree alone finds the planted cliques: structural ROC-AUC >= 0.95 on each of 5 graphs",
                    section="Graph anomaly detection")
assert ledger.check("graph-degree-beats-et-on-cliques", (auc["degree"][:, STRUCT] - auc["et"][:, STRUCT]).min(), lower=0.0,
                    claim="on the cliques the degree beats the ET reconstruction error, on each of 5 graphs",
                    section="Graph anomaly detection")
assert ledger.check("graph-neighbour-beats-et-overall", (auc["neighbour"][:, ALL] - auc["et"][:, ALL]).min(), lower=0.0,
                    claim="over all anomalies the distance to the neighbour mean beats the ET reconstruction error, on each of 5 graphs",
                    section="Graph anomaly detection")
assert ledger.check("graph-contextual-global-outliers", auc["global"][:, CONTEXT].min(), lower=0.85,
                    claim="the planted contextual anomalies are also global outliers: distance to the graph's mean attributes has contextual ROC-AUC >= 0.85 on each of 5 graphs",
                    section="Graph anomaly detection")
assert ledger.check("graph-et-beats-global", (auc["et"][:, CONTEXT] - auc["global"][:, CONTEXT]).min(), lower=0.0,
                    claim="on the contextual anomalies the restricted block beats the distance to the graph's mean, on each of 5 graphs",
                    section="Graph anomaly detection")
graph_rise = chapter.graph_energy_rise()
assert ledger.check("graph-energy-descends", graph_rise.max(), upper=0.0,
                    claim="with the attention restricted to the edges, the trained blocks' energy never increases over 16 steps, in each of 8 scoring copies of each of 5 graphs",
                    section="Graph anomaly detection", reference="Hoover et al. 2023")
assert ledger.check("graph-energy-no-score", auc["energy"][:, ALL].max(), upper=0.65,
                    claim="a node's share of the energy is no anomaly score here: overall ROC-AUC below 0.65 on each of 5 graphs",
                    section="Graph anomaly detection")

# %% [markdown]
# ```{glue:figure} energy-transformer-roc
# :name: fig-energy-transformer-roc
# :alt: Three panels of ROC curves, true-positive against false-positive rate, for five anomaly scores on one graph: all anomalies, the clique members, the nodes with swapped attributes. The degree curve hugs the top left corner for the cliques; the reconstruction-error and neighbour-distance curves do for the swapped attributes.
#
# ROC curves on the first graph, with each score's ROC-AUC in the legend; left all 32
# anomalies, middle the clique members, right the nodes with swapped attributes, each against
# the 168 normal nodes. The dotted diagonal is chance.
# ```
#
# Over the {glue:}`n_graph_seeds` graphs, the block finds the contextual anomalies: the
# reconstruction error has ROC-AUC {glue:}`auc_et_contextual_min` to
# {glue:}`auc_et_contextual_max` against them, and the restriction to the edges is what does it
# (with full attention {glue:}`auc_full_contextual_min` to {glue:}`auc_full_contextual_max`, lower
# on every graph). Full attention is not at chance because the planting leaks: a swapped-in
# attribute vector, the farthest of 50, tends to lie far from the graph's mean, and the distance
# to that mean, which ignores the edges, already reaches {glue:}`auc_global_contextual_min` to
# {glue:}`auc_global_contextual_max`; the restricted block is above it on every graph, by a
# little. And the plain distance to the neighbours' mean is as good as the block
# ({glue:}`auc_neighbour_contextual_min` to {glue:}`auc_neighbour_contextual_max`; the block is
# ahead on {glue:}`et_contextual_wins` of the graphs): the block has learned, at best, what that
# one line of arithmetic computes.
#
# The cliques are another matter. A clique member has {glue:}`clique_degree` edges on average
# against the graph's {glue:}`mean_degree`, so the degree finds them almost perfectly
# ({glue:}`auc_degree_structural_min` to {glue:}`auc_degree_structural_max`), while the
# reconstruction error ranges from chance to modest ({glue:}`auc_et_structural_min` to
# {glue:}`auc_et_structural_max`): a clique member keeps its own attributes and still has
# neighbours of its own community to be predicted from. Over all anomalies the neighbour
# distance ({glue:}`auc_neighbour_all_min` to {glue:}`auc_neighbour_all_max`) beats the block
# ({glue:}`auc_et_all_min` to {glue:}`auc_et_all_max`) on every graph. And a node's share of the
# energy is no score at all here ({glue:}`auc_energy_all_min` to {glue:}`auc_energy_all_max`):
# the energy was never trained to be low on normal nodes, only to carry the descent.
#
# ## What reproduced
#
# | claim | here |
# | --- | --- |
# | the block's update is gradient descent on one energy in $g$ | exact, checked against autograd |
# | the energy never increases along the discrete dynamics | yes, on random blocks, on every test image of 3 trained blocks, and on 5 graph blocks with masked attention |
# | the descent completes masked patches | yes: at most {glue:}`ratio_max` of the $T = 0$ error at $T = 8$ |
# | completion far better than a trivial guess | **no**: {glue:}`gain_min` to {glue:}`gain_max` per cent below the per-position mean patch |
# | more descent steps at test time help | **no**: past the trained $T$ the error rises |
# | better than a standard block of the same size | **no**: the standard block wins on {glue:}`std_wins` of 3 seeds |
# | graphs: attention restricted to neighbourhoods finds anomalous nodes | contextual ones yes (ROC-AUC {glue:}`auc_et_contextual_min` to {glue:}`auc_et_contextual_max`), cliques no ({glue:}`auc_et_structural_min` to {glue:}`auc_et_structural_max`); synthetic graphs of 200 nodes, unsupervised |
# | graphs: better than simple baselines | **no**: the neighbour distance wins over all anomalies on every graph, the degree on the cliques |
#
# What we tried: this chapter uses one setting (800 Adam steps at learning rate $3 \cdot
# 10^{-3}$); a run of a quarter of the length barely beat the baseline at $T = 8$, so longer
# training helps, and an earlier measurement with the same recipe had found a similarly
# small gain. We did not tune further. For the graphs we tried two settings (150 steps at
# learning rate $2 \cdot 10^{-2}$ with 2 copies of the graph per step, and the 300 steps at
# $10^{-2}$ used here) on three graphs, with similar ROC-AUC. We did not run the paper's graph
# experiments, on real fraud-detection graphs with labelled nodes. The
# ImageNet recipe of the paper (16-pixel patches, $D = 768$, 12 heads, 12 steps, AdamW with
# warm-up) is far out of CPU reach, and nothing here says how the block compares there.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-et-steps
#
# In the widget below, pick a test image and predict, before moving the slider, what the
# completion looks like at $T = 0$, at the trained $T = 8$ and at $T = 32$. Then check.
# ```
#
# ```{solution} ex-et-steps
# :class: dropdown
#
# At $T = 0$ every masked patch is the decoded mask token plus position: the same for every
# image, and not even the mean patch (training shaped it as a starting point for the descent),
# so the error is three to five times the baseline. At $T = 8$ the strokes continue into the
# masked patches. At $T = 32$ the descent has gone past where training left it: the patches
# drift, usually towards fainter or smeared strokes, and the error is above its $T = 8$ value.
# ```
#
# ```{exercise}
# :label: ex-et-leak
#
# Drop the leak: `ET.EnergyTransformer(..., leak=False)` descends $E_{ATT} + E_{HN}$ alone, as
# the authors' code does. Predict whether `block(x, steps=50, alpha=0.1, record=True)` on the
# random block of the first code cell still gives a non-increasing energy, and which energy it
# records. Then show from the proof of {prf:ref}`prop-et-descent` why.
# ```
#
# ```{solution} ex-et-leak
# :class: dropdown
#
# It records $E_{ATT} + E_{HN}$ (the `energy` method leaves $E_{LN}$ out when `leak=False`),
# and for a small enough $\alpha$ that is non-increasing too: the chain rule gives
# $\nabla_{x_A}(E_{ATT} + E_{HN}) = H_A\, \partial (E_{ATT} + E_{HN}) / \partial g_A$, and the
# leak-free step moves $x_A$ along minus the second factor, so the first-order change is
# $-\alpha\, v^\top H_A v \le 0$. The leak is not what makes the energy fall; the convex
# Lagrangian is. Without the leak, though, nothing pulls the tokens' scale back, and $g$ alone
# does not see that scale.
# ```
#
# ## Explore
#
# The widget runs the trained block (seed 0) for $T$ descent steps on one test image.

# %%
chapter.widget(T=8, item=0)
