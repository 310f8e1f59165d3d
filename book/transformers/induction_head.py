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
# (chap-induction-head)=
# # Inside a small Transformer: the induction head
#
# ```{admonition} In this chapter
# **You will learn** how every weight matrix of a two-layer attention-only Transformer can be
# read as an associative memory between embedding directions; why training only the last
# output matrix is exactly the memory of the previous chapters, placed on top of a random
# network; and what large step sizes do to the loss and to the margins of these memories
# when the network learns an *induction head*.
#
# **Prerequisites**: {ref}`chap-associative-memory` (memories, margins, the Hebbian gradient);
# softmax attention {cite}`vaswani2017attention` at the level of one formula.
#
# **Run time**: about 30 s on a laptop CPU (CI tier); the paper tier needs a GPU (see the end).
# ```
#
# Bietti et al. {cite}`bietti2023birth` studied how a Transformer learns to copy from its
# context by looking at each weight matrix as a memory. Cabannes et al.
# {cite}`cabannes2024learning` then asked whether the step-size effects they derived for a
# single memory (loss spikes, oscillating margins, faster progress with larger steps) show up
# in that network. This chapter rebuilds the experiment from scratch with the package module
# `assocmem.transformer`.
#
# ## The task: triggers and their outputs
#
# Sequences come from a global bigram model over $V =$ {glue:text}`ih_vocab` tokens: unigram frequencies
# $\pi(z) \propto 1/(z+1)$, and each row of the transition matrix drawn from a Dirichlet law
# centred on $\pi$ (the authors used the character bigrams of TinyShakespeare; we draw a law
# from a seed, so nothing is downloaded). The $k =$ {glue:text}`ih_triggers` most frequent tokens are *triggers*.
# Each sequence draws its own *output* token $o_q$ for every trigger $q$, and inside that
# sequence a trigger is always followed by its output. The bigram statistics say nothing about
# $o_q$: after the second occurrence of a trigger, the next token can only be predicted by
# looking back at what followed its first occurrence. The loss is the cross-entropy of the
# next token at those positions only, the second and later occurrences of each trigger.

# %%
import numpy as np
import torch
from myst_nb import glue

from assocmem import claims
from assocmem import transformer as T
from assocmem.chapters.transformers import induction_head as chapter
from assocmem.tasks import induction as induction_data
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("induction_head", title="Inside a small Transformer: the induction head")

vocab_size, num_triggers = 65, 5
law = induction_data.bigram_model(vocab_size=vocab_size, num_triggers=num_triggers, seed=0)
batch = induction_data.sample(law, batch_size=256, seq_len=64, seed=0)
print("triggers:", law.triggers.tolist(), " outputs of sequence 0:", batch.outputs[0].tolist())
print("sequence 0:", batch.tokens[0, :24].tolist())
print("positions in the loss (second and later trigger occurrences):", batch.mask[0, :24].nonzero().flatten().tolist())

# %% tags=["remove-cell"]
section = "The task: triggers and their outputs"
is_trigger = torch.isin(batch.tokens, law.triggers)
slot = torch.full((vocab_size,), -1, dtype=torch.long)
slot[law.triggers] = torch.arange(num_triggers)
expected = batch.outputs.gather(1, slot[batch.tokens].clamp_min(0))
assert ledger.check("trigger-followed-by-output", bool(torch.equal(batch.targets[is_trigger], expected[is_trigger])), section=section,
             claim=f"every trigger is followed by its sequence's output token ({batch.tokens.shape[0]} sequences of length {batch.tokens.shape[1]})")
mask_fraction = batch.mask.double().mean().item()
assert ledger.check("mask-fraction", mask_fraction, lower=0.05, upper=0.6, section=section,
             claim="fraction of positions that enter the loss (second and later trigger occurrences)")
glue("mask_percent", f"{100 * mask_fraction:.0f} %", display=False)
glue("ih_vocab", vocab_size, display=False)
glue("ih_triggers", num_triggers, display=False)

# %% [markdown]
# About {glue:text}`mask_percent` of the positions enter the loss. A model that ignores the
# context can do no better than guess the output from its law, the unigram restricted to
# non-triggers.
#
# ## A two-layer Transformer made of memories
#
# The network keeps only what the task needs {cite}`bietti2023birth`: two attention layers,
# one head each, a residual stream, no layer norm and no MLP. Token embeddings $e_z$,
# positional embeddings $\rho_t$ and unembeddings $u_y$ are frozen random vectors in
# $\mathbb{R}^d$ with entries of variance $1/d$, hence of norm close to 1 and nearly
# orthogonal. With queries equal to the residual stream ($W_Q = I$), the causal softmax
# $\operatorname{softmax}_s(\cdot)$ over positions $s \le t$ and scores scaled by $1/\sqrt d$:
#
# $$
# \begin{aligned}
# x_t &= e_{z_t} + \rho_t, \\
# h^1_t &= x_t + W_O^1 \textstyle\sum_{s \le t} \operatorname{softmax}_s\big(x_t^\top W_K^1 x_s / \sqrt d\big)\, W_V^1 x_s, \\
# h^2_t &= h^1_t + W_O^2 \textstyle\sum_{s \le t} \operatorname{softmax}_s\big((h^1_t)^\top W_K^2 h^1_s / \sqrt d\big)\, W_V^2 h^1_s, \\
# \hat p(y \mid z_{1:t}) &\propto \exp\big(u_y^\top h^2_t\big).
# \end{aligned}
# $$ (eq-two-layer)
#
# $W_V^1$, $W_O^1$ and $W_V^2$ are frozen random matrices (entries of variance $1/d$); $W_K^1$,
# $W_K^2$ and $W_O^2$ are trained, starting from zero. Each trained matrix can be read as an
# associative memory of the kind studied in {ref}`chap-associative-memory`, a sum of outer
# products $\sum_i v_i w_i^\top$ that maps an input direction $w_i$ to an output direction $v_i$:
#
# - $W_K^1 \approx \sum_t \rho_t\, \rho_{t-1}^\top$ stores *position $t$ attends to position $t-1$*,
#   so the first layer copies the previous token $W_O^1 W_V^1 e_{z_{t-1}}$ into the stream;
# - $W_K^2 \approx \sum_z e_z\, (W_O^1 W_V^1 e_z)^\top$ stores *a query $e_z$ matches a position whose
#   previous token was $z$*: the second layer looks at the token that followed the last
#   occurrence of the current token;
# - $W_O^2 \approx \sum_z u_z\, (W_V^2 e_z)^\top$ stores *the value $W_V^2 e_z$ means "predict $z$"*.
#
# Together they form an *induction head*, the copying circuit named and studied in trained
# language models by Olsson et al. {cite}`olsson2022context` and analysed as memories by Bietti et al.
# {cite}`bietti2023birth`. The probes of the package read the
# two memories of the second layer directly: the margin of token $b$ in $W_O^2$ is
# $u_b^\top W_O^2 W_V^2 e_b - \max_{y \ne b} u_y^\top W_O^2 W_V^2 e_b$, and the margin of a query $k$ in
# $W_K^2$ is $e_k^\top W_K^2 W_O^1 W_V^1 e_k - \max_{j \ne k} e_k^\top W_K^2 W_O^1 W_V^1 e_j$. A memory
# recalls a token when its margin is positive, exactly as in {ref}`chap-associative-memory`.
#
# ```{prf:proposition} Training $W_O^2$ alone trains a linear associative memory
# :label: prop-wo2-memory
#
# Freeze everything but $W_O^2$. Let $\mathcal I$ be the set of positions of the batch that enter the
# loss (the second and later occurrences of a trigger, in all the sequences of the batch), $n = |\mathcal I|$
# their number, and $y_i$ the next token at $i \in \mathcal I$. At $i \in \mathcal I$, let
# $f_i = \sum_s \operatorname{softmax}_s(\cdot)\, W_V^2 h^1_s$ be the output of the second attention before $W_O^2$
# and $b_i = h^1_i$ the residual. Both are fixed functions of the sequence, and the scores are
# $s(i, y) = u_y^\top b_i + u_y^\top W_O^2 f_i$. The gradient of the mean cross-entropy
# $L = \frac1n \sum_{i \in \mathcal I} -\log \hat p(y_i \mid i)$ is
#
# $$
# \nabla_{W_O^2} L = \frac{1}{n} \sum_{i \in \mathcal I} \sum_y \big(\hat p(y \mid i) - \mathbf 1\{y = y_i\}\big)\, u_y f_i^\top ,
# $$
#
# the Hebbian-minus-correction gradient of {ref}`chap-associative-memory` with the inputs $f_i$ in
# place of the embeddings $e_x$ and a fixed offset $u_y^\top b_i$ added to the scores.
# ```
#
# ```{prf:proof}
# The scores are affine in $W_O^2$ with $\partial s(i, y) / \partial W_O^2 = u_y f_i^\top$, and the
# derivative of the cross-entropy with respect to the scores is $\hat p(\cdot \mid i) - \mathbf 1\{\cdot = y_i\}$.
# ```
#
# The "embeddings" $f_i$ come out of a random network: with the keys at zero both attentions are
# uniform and $f_i$ is the average of $W_V^2 h^1_s$ over the prefix, a bag of the tokens seen so
# far. Such a memory can still help: the output of a repeated trigger already appeared in the
# context, so a memory that maps $W_V^2 e_z$ to $u_z$ raises the scores of tokens present in the
# context. The unit tests check the formula above against automatic differentiation.
#
# ## Experiment (a): training $W_O^2$ only
#
# We train $W_O^2$ from zero with plain SGD (no momentum, no weight decay) for the step sizes of
# the paper, $\eta \in$ {glue:text}`a_step_sizes`. The runs share the random network and every data
# batch; only the step size differs. The loss is logged on each training batch before the
# update, and the final loss and accuracy are measured on a held-out batch. Each of
# {glue:text}`a_num_seeds` seeds draws its own bigram law, network and data stream.

# %%
setting_a = T.settings("a")[0]
print({k: v for k, v in setting_a.items() if k != "trainable"})
seeds_a = range(3)
runs_a = [T.run_experiment("a", seed=seed, show=False) for seed in seeds_a]
run_a = runs_a[0]
style.glue_figure("induction-wo2-only", chapter.figure_a(run_a))

final_a = torch.stack([r.final_loss for r in runs_a])  # (seeds, S)
rise_a = torch.stack([(r.loss[:, 1:] / r.loss[:, :-1]).amax(1) for r in runs_a])  # largest ratio of consecutive losses
print("final held-out loss (rows: seeds, columns: step sizes):\n", final_a.numpy().round(3))
print("largest rise between consecutive steps:\n", rise_a.numpy().round(3))

# %% tags=["remove-cell"]
section = "Experiment (a): training W_O^2 only"
median_a = final_a.median(0).values
assert ledger.check("a-final-loss-decreases-with-step", (median_a[:-1] - median_a[1:]).min(), lower=0, strict=True, section=section,
             claim="smallest decrease of the final held-out loss (median over 3 seeds) from one step size to the next larger one",
             reference="Cabannes et al. 2024, §6 (Transformer experiments)")
num_seeds = len(seeds_a)
spike = 0.10  # a "spike": the batch loss rises by more than 10 % from one step to the next
spiky_seeds = int((rise_a[:, -1] > 1 + spike).sum())
assert ledger.check("a-largest-step-spikes", spiky_seeds, lower=2, section=section,
             claim=f"seeds (of {num_seeds}) in which the largest step size raises the loss by more than {100 * spike:.0f} % between consecutive steps",
             reference="Cabannes et al. 2024, §6")
assert ledger.check("a-loss-rises-at-every-step-size", (rise_a.min() - 1).item(), lower=0, strict=True, section=section,
             claim="smallest (over seeds and step sizes) largest relative rise of the batch loss between consecutive steps: "
             "the loss of a fresh batch rises at times at every step size")
assert ledger.check("a-spike-near-noise", spike / (rise_a[:, 0].mean() - 1).item(), upper=2.0, section=section,
             claim="spike threshold divided by the mean largest relative rise at the smallest step size (the threshold is "
             "less than twice the rises that batch noise already gives at the smallest step)")
assert ledger.check("a-spikes-grow-with-step", (rise_a[:, -1].mean() - rise_a[:, 0].mean()).item(), lower=0, strict=True, section=section,
             claim="mean largest consecutive rise of the loss, largest step size minus smallest step size")

tokens_o = T.tracked_tokens("W_O2")

falls = np.array([T.longest_decrease(r.margins_O2[-1][:, tokens_o]).max() for r in runs_a])
falls_small = np.array([T.longest_decrease(r.margins_O2[0][:, tokens_o]).max() for r in runs_a])
mean_gain = np.array([(r.margins_O2[-1, -1, tokens_o].mean() - r.margins_O2[-1, 0, tokens_o].mean()).item() for r in runs_a])
both = int(((falls >= 3) & (mean_gain > 0)).sum())
assert ledger.check("a-margin-falls-yet-mean-rises", both, lower=2, section=section,
             claim=f"seeds (of {num_seeds}) in which, at the largest step size, a tracked W_O^2 margin falls for >= 3 consecutive steps "
             "while the mean tracked margin ends above its start", reference="Cabannes et al. 2024, §6")
diverged = int((final_a[:, -1] > final_a[:, 0]).sum())
assert ledger.check("a-largest-step-beats-smallest", num_seeds - diverged, lower=2, section=section,
             claim=f"seeds (of {num_seeds}) in which the largest step size ends with a lower held-out loss than the smallest one")
eta_a = [f"{e:g}" for e in setting_a["step_size"]]
glue("a_step_sizes", "{" + ", ".join(eta_a) + "}", display=False)
glue("a_eta_small", eta_a[0], display=False)
glue("a_eta_large", eta_a[-1], display=False)
glue("a_num_seeds", num_seeds, display=False)
glue("a_spike", f"{100 * spike:.0f} %", display=False)
glue("a_batch", setting_a["batch_size"], display=False)
glue("a_seq_len", setting_a["seq_len"], display=False)
if diverged == 0:
    diverged_sentence = (f"in all {num_seeds} seeds the largest step size (η = {eta_a[-1]}) ends with a lower held-out loss "
                         f"than the smallest one (η = {eta_a[0]}): its jumps do not undo its progress.")
else:
    diverged_sentence = (f"in {diverged} of the {num_seeds} seeds the largest step size (η = {eta_a[-1]}) ends with a higher "
                         f"held-out loss than the smallest one (η = {eta_a[0]}), although the median over seeds is lower: "
                         f"at this small size (d = {setting_a['dim']}) the gain from a larger step does not hold seed by seed.")
glue("a_diverged_sentence", diverged_sentence, display=False)
glue("a_spiky_seeds", spiky_seeds, display=False)
glue("a_falls", ", ".join(str(int(f)) for f in falls), display=False)
glue("a_falls_small", ", ".join(str(int(f)) for f in falls_small), display=False)
glue("a_gain", ", ".join(f"{g:+.2f}" for g in mean_gain), display=False)
glue("a_final_small", f"{median_a[0].item():.2f}", display=False)
glue("a_final_large", f"{median_a[-1].item():.2f}", display=False)
glue("a_rise_small", f"{100 * (rise_a[:, 0].mean().item() - 1):.0f} %", display=False)
glue("a_rise_large", f"{100 * (rise_a[:, -1].mean().item() - 1):.0f} %", display=False)
glue("a_acc_large", f"{100 * torch.stack([r.final_accuracy for r in runs_a])[:, -1].median().item():.0f} %", display=False)

# %% [markdown]
# ```{glue:figure} induction-wo2-only
# :name: fig-induction-a
# :alt: Left, loss curves against the SGD step, one per step size; larger step sizes descend faster and jump up more. Middle and right, the W_O^2 margins of a few frequent tokens against the step for the two largest step sizes; the margins rise overall, with repeated dips along the way.
#
# Experiment (a), seed 0: only $W_O^2$ is trained. Left: loss on each training batch, before the
# update. Middle and right: margins of the most frequent non-trigger tokens in the $W_O^2$
# memory, for the two largest step sizes.
# ```
#
# Larger steps are faster: the median final loss over the seeds falls from
# {glue:text}`a_final_small` at $\eta =$ {glue:text}`a_eta_small` to {glue:text}`a_final_large` at
# $\eta =$ {glue:text}`a_eta_large`. They are also rougher: averaged over seeds, the largest jump of the
# loss between consecutive steps is {glue:text}`a_rise_small` at the smallest step size and
# {glue:text}`a_rise_large` at the largest, and in {glue:text}`a_spiky_seeds` of the
# {glue:text}`a_num_seeds` seeds the largest step raises the loss by more than {glue:text}`a_spike` at
# least once. At the largest step size the longest stretch over which a tracked margin keeps falling lasts
# {glue:text}`a_falls` steps (per seed), while the mean tracked margin changes by {glue:text}`a_gain`
# (the longest falls at the smallest step size last {glue:text}`a_falls_small` steps: with a fresh batch at every step,
# margins dip at every step size, so at this scale a falling margin is not by itself a signature of a
# large step; what changes with $\eta$ is how far the margins travel, see {numref}`fig-induction-a`).
# The loss curves match the picture of the single-memory chapters, where large steps make the
# loss jump yet reach a lower loss sooner; the margin curves only partly do.
#
# Two things differ from the paper's picture, and we report them rather than tune them away.
# First, the loss of a training batch is noisy: with {glue:text}`a_batch` sequences of length
# {glue:text}`a_seq_len` per batch, the loss rises from one step to the next at times at every step
# size, by up to {glue:text}`a_rise_small` (average over seeds) even at the smallest one, so a "spike" of
# {glue:text}`a_spike` does not stand far above the batch noise here. Second, the
# memory learned here is weak (median held-out accuracy {glue:text}`a_acc_large` at the largest step):
# with the keys at zero, the attention is uniform and $W_O^2$ can only favour tokens present in
# the context, not the one that followed the trigger (the second exercise proves that no such memory
# can recall every trigger). (We start every trained matrix at zero, the
# convention $W_0 = 0$ of the previous chapters; the authors' code starts from a small random
# initialisation, which also gives nearly uniform attention.) Seed by seed,
# {glue:text}`a_diverged_sentence`
#
# ## Experiment (b): training the three memories
#
# Now $W_K^1$, $W_K^2$ and $W_O^2$ all learn from zero, with the smaller step sizes of the paper,
# $\eta \in$ {glue:text}`b_step_sizes`. At zero, the second layer adds $W_O^2 f_i = 0$ to the residual stream,
# so its keys receive no gradient: $W_O^2$ and $W_K^1$ (which also changes the residual stream read
# by the unembedding) move at the first step, and $W_K^2$ only once $W_O^2$ stores something. The
# memory that forms the induction head's match is written after the one that reads its result
# {cite}`bietti2023birth`.

# %%
setting_b = T.settings("b")[0]
print({k: v for k, v in setting_b.items() if k != "trainable"})
run_b = T.run_experiment("b", seed=0, show=False)
style.glue_figure("induction-all-memories", chapter.figure_b(run_b))
start_acc = run_b.accuracy[:, 0]
print("in-context accuracy: first batch", start_acc.numpy().round(3), " held-out after training", run_b.final_accuracy.numpy().round(3))
recall_k2 = (run_b.margins_K2[:, -1, T.tracked_tokens("W_K2")] > 0).double().mean(-1)
print("fraction of triggers recalled by the W_K^2 memory at the end:", recall_k2.numpy())

# %% tags=["remove-cell"]
section = "Experiment (b): training the three memories"
gain_b = (run_b.final_accuracy[-1] - start_acc[-1]).item()
assert ledger.check("b-accuracy-rises", gain_b, lower=0.15, section=section,
             claim="held-out in-context accuracy after training minus accuracy at the first step, largest step size",
             reference="Bietti et al. 2023; Cabannes et al. 2024, §6")
assert ledger.check("b-faster-with-larger-step", (run_b.final_loss[:-1] - run_b.final_loss[1:]).min(), lower=0, strict=True, section=section,
             claim="smallest decrease of the final held-out loss from one step size to the next larger one")
assert ledger.check("b-wk2-waits-one-step", run_b.margins_K2[:, 1].abs().max().item(), upper=0.0, section=section,
             claim="largest |W_K^2 margin| after the first update (W_K^2 gets no gradient while W_O^2 = 0)")
assert ledger.check("b-wk2-moves-after", run_b.margins_K2[:, 2].abs().max().item(), lower=0.0, strict=True, section=section,
             claim="largest |W_K^2 margin| after the second update")
assert ledger.check("b-start-near-chance", start_acc[-1].item(), upper=0.1, section=section,
             claim="in-context accuracy on the first batch (all memories at zero)")
eta_b = [f"{e:g}" for e in setting_b["step_size"]]
glue("b_step_sizes", "{" + ", ".join(eta_b) + "}", display=False)
glue("b_eta_small", eta_b[0], display=False)
glue("b_eta_large", eta_b[-1], display=False)
glue("b_start_acc", f"{100 * start_acc[-1].item():.0f} %", display=False)
glue("b_final_acc", f"{100 * run_b.final_accuracy[-1].item():.0f} %", display=False)
glue("b_final_acc_small", f"{100 * run_b.final_accuracy[0].item():.0f} %", display=False)
glue("b_recall_k2", f"{100 * recall_k2[-1].item():.0f} %", display=False)

# %% [markdown]
# ```{glue:figure} induction-all-memories
# :name: fig-induction-b
# :alt: Left, loss curves against the SGD step, one per step size, larger steps lower. Middle, in-context accuracy against the step, rising fastest for the largest step. Right, the W_K^2 margins of the triggers for the largest step size, starting at zero and moving away from it once W_O^2 has learned.
#
# Experiment (b), seed 0: $W_K^1$, $W_K^2$ and $W_O^2$ are trained. Left: training loss. Middle:
# accuracy of the next-token prediction after a repeated trigger. Right: margins of the
# triggers in the $W_K^2$ memory, largest step size.
# ```
#
# The accuracy after a repeated trigger goes from {glue:text}`b_start_acc` to
# {glue:text}`b_final_acc` with $\eta =$ {glue:text}`b_eta_large` (and to {glue:text}`b_final_acc_small`
# with $\eta =$ {glue:text}`b_eta_small`), and the $W_K^2$ memory recalls {glue:text}`b_recall_k2` of
# the triggers at the end. Larger steps are again faster. At the CI size and in these few steps the
# induction head is only being born; the first exercise asks what larger steps and longer training do.
#
# ## Pick a step size
#
# The widget redraws the precomputed curves of experiment (a): the loss of the chosen step size
# highlighted among the others, and its $W_O^2$ and $W_K^2$ margins (the latter stay at zero, since
# $W_K^2$ is frozen in (a)).

# %%
chapter.widget(run_a)

# %% tags=["remove-cell"]
paper_a, paper_b = T.settings("a", tier="paper"), T.settings("b", tier="paper")
paper_all = paper_a + paper_b
def _one(key):
    values = {size[key] for size in paper_all}
    if len(values) != 1:
        raise ValueError(f"the paper tier uses several values of {key}: {sorted(values)}; glue them separately")
    return values.pop()
glue("paper_dims_a", ", ".join(str(size["dim"]) for size in paper_a), display=False)
glue("paper_dims_b", "{" + ", ".join(str(size["dim"]) for size in paper_b) + "}", display=False)
glue("paper_seq_len", _one("seq_len"), display=False)
glue("paper_batch", _one("batch_size"), display=False)
glue("paper_steps", _one("steps"), display=False)

# %% [markdown]
# ## The paper tier
#
# Set the environment variable `ASSOCMEM_TIER=paper` before running the chapter (or
# `python -m assocmem figures`) to use the sizes of the paper: $d =$ {glue:text}`paper_dims_a` for (a)
# and $d \in$ {glue:text}`paper_dims_b` for (b) (the chapter runs the first; pass `index=1` to
# `T.run_experiment` for the second), sequences of length {glue:text}`paper_seq_len`, batches of
# {glue:text}`paper_batch` sequences, the same step sizes as above, and {glue:text}`paper_steps` steps.
# Training then runs on a GPU when PyTorch sees one. `benchmarks/transformer.py` reports the cost of one step.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-induction-step
#
# Before running it, predict what happens to experiment (b) with larger step sizes, bigger
# batches and more steps:
# `T.run_experiment("b", step_size=[10.0, 20.0, 50.0], batch_size=32, steps=600)` (it takes longer
# than the whole chapter). How many triggers does $W_K^2$ recall at the end for each step size, and
# which runs end with an accuracy above the plateau of experiment (a)?
# ```
#
# ```{solution} ex-induction-step
# :class: dropdown
#
# The larger the step, the earlier $W_K^2$ starts recalling triggers, so at the end the largest
# step recalls the most triggers (all of them in our run) and reaches the highest held-out
# in-context accuracy, well above the plateau of experiment (a); the smallest step stays close
# to that plateau. Once the second layer attends to the position after the previous occurrence
# of the trigger, $W_O^2$ reads the right token instead of a bag of context tokens. The largest
# step also has the roughest loss curve. Compare your run with these trends: the exact counts
# and accuracies depend on the seed.
# ```
#
# ```{exercise}
# :label: ex-induction-dimension
#
# {prf:ref}`prop-wo2-memory` says that training $W_O^2$ alone is a linear memory on the inputs
# $f_i$. With the keys at zero, $f_i$ averages $W_V^2 h^1_s$ over the prefix. Explain why the best
# such memory cannot reach perfect in-context accuracy, whatever the dimension $d$.
# ```
#
# ```{solution} ex-induction-dimension
# :class: dropdown
#
# With $W_K^1 = W_K^2 = 0$ both attentions are uniform. Number the positions from 1 and write
# $M = W_O^1 W_V^1$. Then $h^1_s = x_s + \frac1s M \sum_{r \le s} x_r$, and at a position $i$ in the loss
#
# $$
# f_i = \frac1i \sum_{s \le i} W_V^2 h^1_s = \sum_{r \le i} W_V^2 \big(\tfrac1i I + c_r M\big)\, x_r,
# \qquad c_r = \frac1i \sum_{s = r}^{i} \frac1s ,
# $$
#
# so $f_i$ weights each token by its position and is *not* invariant to reordering the prefix.
# What it cannot do is combine positions: $b_i = h^1_i$ is linear in the $x_r$ too, so the score is a
# sum of per-position terms,
#
# $$
# s(i, y) = \sum_{r \le i} a_r(y, z_r), \qquad
# a_r(y, z) = u_y^\top \Big(\mathbf 1\{r = i\}\, I + \tfrac1i M + W_O^2 W_V^2 \big(\tfrac1i I + c_r M\big)\Big)(e_z + \rho_r),
# $$
#
# where $a_r$ depends on the position $r$ and on the token there, never on the other tokens. Take
# a trigger $q$, two non-triggers $a \ne b$ and a third non-trigger $c$, and the four prefixes below,
# each ending at the second occurrence of $q$ ($i = 5$):
#
# | prefix | $z_1 z_2 z_3 z_4 z_5$ | next token |
# | --- | --- | --- |
# | 1 | $q\ a\ c\ b\ q$ | $a$ |
# | 2 | $q\ b\ c\ a\ q$ | $b$ |
# | 3 | $c\ b\ q\ a\ q$ | $a$ |
# | 4 | $c\ a\ q\ b\ q$ | $b$ |
#
# Prefixes 1 and 3 together put the same tokens at the same positions as prefixes 2 and 4, so
# $s_1(y) + s_3(y) = s_2(y) + s_4(y)$ for every $y$. Recalling all four would need
# $s_k(a) - s_k(b) > 0$ for $k = 1, 3$ and $< 0$ for $k = 2, 4$, and then the two sides would differ
# in sign. So for every $W_O^2$ and every $d$, at least one of the four is not recalled with a
# positive margin, although each has positive probability under the task (a Dirichlet draw gives
# every transition a positive probability). In words: "$a$ at position 2 and $b$ at position 4"
# must predict $a$ when the trigger came first and $b$ when it came third, an interaction between
# positions that a sum of per-position terms cannot express. Attention that depends on content,
# learned in $W_K^1$ and $W_K^2$, breaks this additivity. On the code's forward pass, with the
# trained $W_O^2$ of experiment (a), the identity holds up to a relative error of
# {glue:text}`quartet_gap` and the memory of the largest step gets {glue:text}`quartet_recalled` of the four right; with
# the three memories trained in experiment (b) it fails by a relative {glue:text}`quartet_gap_b`.
# ```

# %% tags=["remove-cell"]
section = "Exercises"
net = T.random_network(vocab_size, setting_a["dim"], setting_a["seq_len"], seed=0)  # the network of the seed-0 runs
non_triggers = [z for z in range(vocab_size) if z not in law.triggers.tolist()]
quartet, quartet_targets = T.swap_quartet(law.triggers[0].item(), *non_triggers[:3])


def quartet_logits(params):
    """Last-position logits (S, 4, V) of the four prefixes."""
    return T.forward(net, params, quartet)[:, :, -1]


def relative_gap(logits):
    return ((logits[:, 0] + logits[:, 2] - logits[:, 1] - logits[:, 3]).abs().amax() / logits.abs().amax()).item()


logits_a = quartet_logits({"W_O2": run_a.params["W_O2"]})  # keys at zero, every step size
gap_a = relative_gap(logits_a)
assert ledger.check("quartet-additive", gap_a, upper=1e-12, section=section,
             claim="relative gap |s_1 + s_3 - s_2 - s_4| / max|s| of the last-position logits of the four prefixes, "
             "trained W_O^2 of experiment (a), keys at zero")
a_tok, b_tok = quartet_targets[0].item(), quartet_targets[1].item()
pair_margin = logits_a[:, :, a_tok] - logits_a[:, :, b_tok]  # (S, 4), > 0 means a beats b
sign_ok = pair_margin * torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
assert ledger.check("quartet-not-all-recalled", bool((sign_ok <= 0).any(-1).all()), section=section,
             claim="for every step size of experiment (a), at least one of the four prefixes puts the wrong one of a, b ahead")
recalled = (logits_a.argmax(-1) == quartet_targets).sum(-1)  # (S,)
assert ledger.check("quartet-recalled-at-most-three", int(recalled.max()), upper=3, section=section,
             claim="largest number (over the step sizes of experiment (a)) of the four prefixes whose next token is the argmax")
logits_b = quartet_logits(run_b.params)
gap_b = relative_gap(logits_b)
assert ledger.check("quartet-keys-break-additivity", gap_b, lower=1e-6, section=section,
             claim="relative gap of the same identity with the three memories trained in experiment (b), largest step size included")
triggers = law.triggers.tolist()
prob = []
for row in quartet.tolist():
    p = law.unigram[row[0]]
    for u, v in zip(row[:-1], row[1:]):
        p = p * (law.output_law[v] if u in triggers else law.transitions[u, v])  # a trigger is followed by its output
    prob.append(float(p))
assert ledger.check("quartet-possible", min(prob), lower=0.0, strict=True, section=section,
             claim="smallest probability of the four prefixes under the seed-0 law (bigram transitions and output law)")
glue("quartet_gap", f"{gap_a:.0e}", display=False)
glue("quartet_recalled", int(recalled[-1]), display=False)
glue("quartet_gap_b", f"{gap_b:.0e}", display=False)
