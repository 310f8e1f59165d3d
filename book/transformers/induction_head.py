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
# **Run time**: under a minute on a 2-core laptop CPU (CI tier); the paper tier takes hours on a CPU (see the end).
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
import math

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

# %%
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
# The best context-free guess at a repeated trigger is the most likely output token: its accuracy on this batch.
context_free = (batch.targets[batch.mask] == law.output_law.argmax()).double().mean().item()
assert ledger.check("context-free-accuracy", context_free, upper=0.15, section=section,
             claim="accuracy at the repeated triggers of the best guess that ignores the context (the most likely output token): "
             "the outputs are drawn per sequence, so without the context the task is nearly impossible")
glue("mask_percent", f"{100 * mask_fraction:.0f} %", display=False)
glue("context_free_percent", f"{100 * context_free:.0f} %", display=False)
glue("ih_vocab", vocab_size, display=False)
glue("ih_triggers", num_triggers, display=False)

# %% [markdown]
# About {glue:text}`mask_percent` of the positions enter the loss. A model that ignores the
# context can do no better than guess the output from its law, the unigram restricted to
# non-triggers: the most likely output is right at {glue:text}`context_free_percent` of those positions.
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
# {numref}`fig-induction-network` draws the network and what each memory stores once the head has formed.

# %% tags=["remove-cell"]
style.glue_figure("induction-network", chapter.draw_network())

# %% [markdown]
# ```{glue:figure} induction-network
# :name: fig-induction-network
# :alt: Diagram of the two-layer attention-only Transformer: tokens embedded into a residual stream, two causal attention layers adding to it, the unembedding, and what each trained key or output matrix stores.
#
# The network of {eq}`eq-two-layer`. Blue: the residual stream; white: the two attention layers, which read
# the stream and add to it; orange: the three trained memories and what each stores in an induction head;
# grey: the frozen random parts.
# ```
#
# ```{admonition} Where this model departs from Birth of a Transformer
# :class: note
# Bietti et al. draw the frozen embeddings with entries $\mathcal N(0, 1)$, so that each vector has norm
# about $\sqrt d$ {cite}`bietti2023birth`. Here every frozen vector and matrix has entries of variance $1/d$:
# vectors of norm about 1 and matrices close to norm-preserving, the convention of the previous chapters
# (unit-norm embeddings). The scores of both attentions and the logits are then of order one at the start
# whatever $d$, and the step sizes of different dimensions are comparable; the price is that the step sizes
# are not those of a network with $\mathcal N(0, 1)$ embeddings, whose gradients are larger by powers of $d$.
# We also start every trained matrix at zero, the convention $W_0 = 0$ of the previous chapters, and use plain
# SGD (no momentum, no weight decay).
# ```
#
# ## Experiment (a): training $W_O^2$ only
#
# We train $W_O^2$ from zero with plain SGD for the step sizes the authors name for this run,
# $\eta \in$ {glue:text}`a_step_sizes`. The runs share the random network and every data batch; only
# the step size differs. Two losses are logged before every update: the loss of the training batch,
# which changes from step to step with the batch, and the loss of one fixed held-out batch of
# {glue:text}`a_eval_size` sequences, which changes only when the memory does. Spikes are measured on
# the second, so that batch noise cannot pass for a spike. Each of {glue:text}`a_num_seeds` seeds draws its
# own bigram law, network and data stream.

# %%
setting_a = T.settings("a")[0]
print({k: v for k, v in setting_a.items() if k != "trainable"})
runs_a = [chapter.cached_run("a", seed=seed) for seed in chapter.SEEDS]
style.glue_figure("induction-wo2-only", chapter.figure_a(runs_a))
spikes_a = torch.stack([chapter.spike_heights(r) for r in runs_a])  # (seeds, S): largest held-out loss rise
final_a = torch.stack([r.final_loss for r in runs_a])  # (seeds, S)
print("largest rise of the held-out loss (rows: seeds, columns: step sizes):\n", spikes_a.numpy().round(3))
print("final held-out loss:\n", final_a.numpy().round(3))

# %% tags=["remove-cell"]
section = "Experiment (a): training W_O^2 only"
num_seeds = len(runs_a)
growth = (spikes_a[:, 1:] / spikes_a[:, :-1]).min().item()
assert ledger.check("a-spikes-grow-with-step", growth, lower=1.5, section=section,
             claim="smallest ratio, over seeds and consecutive step sizes, of the largest held-out loss rise at the larger step "
             "to that at the smaller one", reference="Cabannes et al. 2024")
clear = (spikes_a[:, -1] / spikes_a[:, 0]).min().item()
assert ledger.check("a-spikes-clear-the-noise", clear, lower=10.0, section=section,
             claim="smallest (over seeds) ratio of the largest held-out loss rise at the largest step size to that at the smallest, "
             "where the rises come from the SGD noise of small steps")
helps = (final_a[:, 0] - final_a[:, 1]).min().item()
assert ledger.check("a-larger-step-helps", helps, lower=0.05, section=section,
             claim="smallest (over seeds) decrease of the final held-out loss from the smallest step size to the next one")
largest_beats_smallest = int((final_a[:, -1] < final_a[:, 0]).sum())
assert ledger.check("a-largest-step-not-benign", largest_beats_smallest, upper=1, section=section,
             claim=f"seeds (of {num_seeds}) in which the largest step size ends with a lower held-out loss than the smallest "
             "(the paper's benign-spike claim would make this all of them)", reference="Cabannes et al. 2024")
best_index = final_a.argmin(1)
eta_a = [f"{e:g}" for e in setting_a["step_size"]]
acc_a = torch.stack([r.final_accuracy for r in runs_a])
glue("a_step_sizes", "{" + ", ".join(eta_a) + "}", display=False)
glue("a_eta_small", eta_a[0], display=False)
glue("a_eta_second", eta_a[1], display=False)
glue("a_eta_large", eta_a[-1], display=False)
glue("a_num_seeds", num_seeds, display=False)
glue("a_eval_size", setting_a["eval_size"], display=False)
glue("a_spike_small", ", ".join(f"{v:.2f}" for v in spikes_a[:, 0].tolist()), display=False)
glue("a_spike_large", ", ".join(f"{v:.1f}" for v in spikes_a[:, -1].tolist()), display=False)
glue("a_growth", f"{growth:.1f}", display=False)
glue("a_clear", f"{clear:.0f}", display=False)
glue("a_best_steps", ", ".join(eta_a[i] for i in best_index.tolist()), display=False)
glue("a_largest_wins", largest_beats_smallest, display=False)
glue("a_final_small", ", ".join(f"{v:.2f}" for v in final_a[:, 0].tolist()), display=False)
glue("a_final_large", ", ".join(f"{v:.2f}" for v in final_a[:, -1].tolist()), display=False)
glue("a_acc_best", f"{100 * acc_a.max().item():.0f} %", display=False)

# %% [markdown]
# ```{glue:figure} induction-wo2-only
# :name: fig-induction-a
# :alt: Left, held-out loss against SGD step, one curve per step size, when only the output matrix of the second attention layer is trained; middle, the largest rise of that loss against the step size for three seeds; right, the margins of a few tokens in that memory for the largest step size.
#
# Experiment (a). Left: loss on the fixed held-out batch (solid) and on the training batches (faint), seed 0.
# Middle: the largest rise of the held-out loss between consecutive steps against the step size, one line
# per seed. Right: margins of the most frequent non-trigger tokens in the $W_O^2$ memory, largest step size, seed 0.
# ```
#
# The spikes are real and grow with the step size: the largest rise of the held-out loss is
# {glue:text}`a_spike_small` nats at $\eta =$ {glue:text}`a_eta_small` (per seed) and
# {glue:text}`a_spike_large` nats at $\eta =$ {glue:text}`a_eta_large`; each step of $\eta$ multiplies
# it by at least {glue:text}`a_growth`, and at the largest step it is at least {glue:text}`a_clear` times the
# rises that SGD noise gives at the smallest step.
#
# Whether large steps are *benign* here is a different matter, and the runs answer it only in part.
# Going from $\eta =$ {glue:text}`a_eta_small` to {glue:text}`a_eta_second` lowers the final held-out
# loss in every seed, as for the single memory. But the step size with the lowest final loss is
# {glue:text}`a_best_steps` (per seed), and the largest step ends below the smallest one in only
# {glue:text}`a_largest_wins` of the {glue:text}`a_num_seeds` seeds (final losses {glue:text}`a_final_large`
# against {glue:text}`a_final_small`): at $\eta =$ {glue:text}`a_eta_large` the spikes of a small, noisy
# batch are large enough to undo progress within this run. The paper's "spikes do no harm" did not
# reproduce at the largest step size of (a) at this scale; with the paper tier's batches of 512 it does
# (see the end of the chapter), so the harm here comes from the noise of small batches. The memory learned is weak anyway (best held-out
# accuracy {glue:text}`a_acc_best`): with the keys at zero, the attention is uniform and $W_O^2$ can only favour
# tokens present in the context, not the one that followed the trigger (the second exercise proves that no
# such memory can recall every trigger).
#
# ## Experiment (b): training the three memories
#
# Now $W_K^1$, $W_K^2$ and $W_O^2$ all learn from zero. At zero, the second layer adds $W_O^2 f_i = 0$ to the
# residual stream, so its keys receive no gradient: $W_O^2$ and $W_K^1$ (which also changes the residual
# stream read by the unembedding) move at the first step, and $W_K^2$ only once $W_O^2$ stores something.
#
# Size decides whether the head forms. At $d = 32$, below the vocabulary size, the memories cannot hold every
# association (the capacity limit of the scarce-memory chapters) and in our longer runs outside the chapter the
# accuracy stalled well below 1 (the first exercise lets you check); at
# $d =$ {glue:text}`b_dim` the CI tier below forms the head in every seed. It uses shorter sequences
# ({glue:text}`b_seq_len` tokens), batches of {glue:text}`b_batch`, {glue:text}`b_steps` steps and step sizes
# $\eta \in$ {glue:text}`b_step_sizes`, larger than the authors' $\{2, 5, 10, 20\}$: with our variance-$1/d$
# embeddings and a mean loss over the batch, those small steps need far more steps than a CI build allows (the
# paper tier below runs them).

# %%
setting_b = T.settings("b")[0]
print({k: v for k, v in setting_b.items() if k != "trainable"})
runs_b = [chapter.cached_run("b", seed=seed) for seed in chapter.SEEDS]
run_b = runs_b[0]
style.glue_figure("induction-all-memories", chapter.figure_b(run_b))
best = [int(r.final_accuracy.argmax()) for r in runs_b]  # best step size of each seed (held-out accuracy)
for seed, (r, s) in enumerate(zip(runs_b, best)):
    print(f"seed {seed}: held-out accuracy {r.final_accuracy.numpy().round(3)}, best η = {r.step_sizes[s]:g}: "
          f"W_K^2 recalls {(r.margins_K2[s, -1, :5] > 0).sum()} of 5 triggers, "
          f"layer-1 weight on t - 1 = {r.previous_token[s, -1]:.2f}")

# %% tags=["remove-cell"]
section = "Experiment (b): training the three memories"
acc_best = torch.tensor([r.final_accuracy[s].item() for r, s in zip(runs_b, best)])
assert ledger.check("b-head-accuracy", acc_best.min().item(), lower=0.8, section=section,
             claim="smallest (over seeds 0-2) held-out in-context accuracy at the best step size",
             reference="Bietti et al. 2023; Cabannes et al. 2024")
plateau = acc_a.max().item()
assert ledger.check("b-above-the-bigram-plateau", acc_best.min().item() - plateau, lower=0.3, section=section,
             claim="smallest best held-out accuracy of (b) minus the best held-out accuracy of (a) over all seeds and step sizes")
recalled = torch.tensor([int((r.margins_K2[s, -1, T.tracked_tokens("W_K2")] > 0).sum()) for r, s in zip(runs_b, best)])
assert ledger.check("b-wk2-recalls-triggers", int(recalled.min()), lower=4, section=section,
             claim="smallest (over seeds) number of the 5 triggers with a positive W_K^2 margin at the end, best step size",
             reference="Bietti et al. 2023")
uniform = T.previous_token_attention(T.random_network(vocab_size, setting_b["dim"], setting_b["seq_len"], seed=0), {},
                                     induction_data.sample(law, 4, setting_b["seq_len"], seed=5).tokens).item()
prev = torch.tensor([r.previous_token[s, -1].item() for r, s in zip(runs_b, best)])
assert ledger.check("b-wk1-previous-token-attention", prev.min().item() / uniform, lower=4.0, section=section,
             claim="smallest (over seeds) mean layer-1 attention weight on position t - 1 at the end, best step size, "
             "divided by its value for uniform attention (W_K^1 = 0)", reference="Bietti et al. 2023")
positional = torch.tensor([r.positional_recall[s, -1].item() for r, s in zip(runs_b, best)])
assert ledger.check("b-wk1-stores-previous-position", positional.min().item(), lower=0.6, section=section,
             claim="smallest (over seeds) fraction of positions t whose positional score rho_t^T W_K^1 rho_s peaks at s = t - 1 "
             "(0 at W_K^1 = 0)", reference="Bietti et al. 2023")
start_acc = torch.stack([r.eval_accuracy[:, 0] for r in runs_b])
assert ledger.check("b-start-at-chance", start_acc.max().item(), upper=2.0 / vocab_size, section=section,
             claim="largest held-out in-context accuracy before training (all memories at zero), against twice the chance level 1/V")
small_slower = min((r.final_accuracy[s] - r.final_accuracy[0]).item() for r, s in zip(runs_b, best))
# At zero W_O^2 the keys of layer 2 get no gradient: one SGD step from zero moves W_O^2 and W_K^1 but not W_K^2.
net_b = T.random_network(vocab_size, setting_b["dim"], setting_b["seq_len"], seed=0)
params0 = T.init_params(net_b, T.MEMORIES, 1)
T.sgd_step(net_b, params0, T.MEMORIES, torch.tensor([100.0]), induction_data.sample(law, 16, setting_b["seq_len"], seed=6))
assert ledger.check("b-wk2-waits-one-step", params0["W_K2"].abs().max().item(), upper=0.0, section=section,
             claim="largest |entry| of W_K^2 after one SGD step from zero (no gradient while W_O^2 = 0)")
assert ledger.check("b-wo2-and-wk1-move-at-once", min(params0[n].abs().max().item() for n in ("W_O2", "W_K1")), lower=1e-6, section=section,
             claim="smaller of the largest |entries| of W_O^2 and W_K^1 after that step")
eta_b = [f"{e:g}" for e in setting_b["step_size"]]
glue("b_step_sizes", "{" + ", ".join(eta_b) + "}", display=False)
for key in ("dim", "seq_len", "batch_size", "steps"):
    glue(f"b_{'batch' if key == 'batch_size' else key}", setting_b[key], display=False)
glue("b_acc_best", ", ".join(f"{100 * v:.0f} %" for v in acc_best.tolist()), display=False)
glue("b_best_eta", ", ".join(eta_b[s] for s in best), display=False)
glue("b_recalled", ", ".join(str(int(v)) for v in recalled.tolist()), display=False)
glue("b_prev", ", ".join(f"{v:.2f}" for v in prev.tolist()), display=False)
glue("b_uniform", f"{uniform:.2f}", display=False)
glue("b_positional", ", ".join(f"{100 * v:.0f} %" for v in positional.tolist()), display=False)
glue("b_plateau", f"{100 * plateau:.0f} %", display=False)
glue("b_start_acc", f"{100 * start_acc.max().item():.1f} %", display=False)
glue("b_small_slower", f"{100 * small_slower:.1f}", display=False)

# %% [markdown]
# ```{glue:figure} induction-all-memories
# :name: fig-induction-b
# :alt: Held-out loss and in-context accuracy against SGD step, one curve per step size, when both key matrices and the second output matrix are trained, and the key-memory margins of the trigger tokens.
#
# Experiment (b), seed 0. Left: held-out loss (solid) and training-batch loss (faint). Middle: held-out
# accuracy of the next-token prediction after a repeated trigger. Right: margins of the triggers in the
# $W_K^2$ memory, largest step size: they leave zero once $W_O^2$ has learned and all end positive.
# ```
#
# The induction head forms in every seed. At the best step size ($\eta =$ {glue:text}`b_best_eta` for seeds
# 0, 1, 2) the held-out accuracy after a repeated trigger is {glue:text}`b_acc_best`, against at most
# {glue:text}`b_plateau` for the $W_O^2$-only memory of (a) and {glue:text}`b_start_acc` before training.
# Each memory can be read off on its own:
#
# - $W_K^2$ recalls {glue:text}`b_recalled` of the 5 triggers (a positive margin);
# - the first layer has become a previous-token head: on held-out sequences, position $t$ puts on average
#   {glue:text}`b_prev` of its attention on $t - 1$ (uniform attention would give {glue:text}`b_uniform`), and
#   read on the positional embeddings alone, $\rho_t^\top W_K^1 \rho_s$ peaks at $s = t - 1$ for
#   {glue:text}`b_positional` of the positions $t$, the picture $W_K^1 \approx \sum_t \rho_t \rho_{t-1}^\top$.
#   The previous-token head is the least complete of the three memories at this size: the attention on $t-1$
#   is well above uniform, but not yet all of it.
#
# ## The order in which the memories form
#
# {numref}`fig-induction-formation` follows the three memories during training at the best step size of
# each seed. A memory has *formed* when half of the output tokens are recalled by $W_O^2$, when the layer-1
# attention on $t-1$ reaches {glue:text}`order_previous`, and when $W_K^2$ recalls 4 of the 5 triggers.

# %%
style.glue_figure("induction-formation", chapter.figure_formation(runs_b))
order = [chapter.formation_step(r, s, previous=0.3) for r, s in zip(runs_b, best)]
for seed, steps in enumerate(order):
    print(f"seed {seed}: formed at step", steps)

# %% tags=["remove-cell"]
section = "The order in which the memories form"
glue("order_previous", "0.3", display=False)
o2_first = sum(o["W_O2"] < min(o["W_K2"], o["W_K1"]) for o in order)
k2_before_k1 = sum(o["W_K2"] < o["W_K1"] for o in order)
assert ledger.check("order-wo2-first", o2_first, lower=3, section=section,
             claim="seeds (of 3) in which W_O^2 forms before both key memories", reference="Bietti et al. 2023")
assert ledger.check("order-wk2-before-wk1", k2_before_k1, lower=3, section=section,
             claim="seeds (of 3) in which W_K^2 recalls 4 of 5 triggers before the layer-1 attention on t - 1 reaches 0.3")
assert ledger.check("order-all-formed", max(max(o.values()) for o in order), upper=setting_b["steps"] - 1, section=section,
             claim="latest formation step over seeds and memories (every memory forms within the run)")
glue("order_table", ", ".join(f"seed {i}: W_O^2 at {o['W_O2']:.0f}, W_K^2 at {o['W_K2']:.0f}, W_K^1 at {o['W_K1']:.0f}"
                              for i, o in enumerate(order)), display=False)

# %% [markdown]
# ```{glue:figure} induction-formation
# :name: fig-induction-formation
# :alt: For three seeds, the fraction of output tokens recalled by W_O^2, the layer-1 attention on the previous position, the fraction of triggers recalled by W_K^2 and the held-out accuracy against SGD step.
#
# Experiment (b), best step size of each seed. Blue: fraction of the non-trigger tokens recalled by $W_O^2$;
# orange: mean layer-1 attention on position $t-1$; green: fraction of the triggers recalled by $W_K^2$;
# dashed: held-out accuracy. The output memory is written first, and the accuracy climbs with the key memories.
# ```
#
# The steps of formation are {glue:text}`order_table`. In every seed $W_O^2$ forms first, as the gradient
# argument above says it must. Then, perhaps against intuition, the probe of $W_K^2$ passes its threshold
# *before* the first layer attends mostly to the previous token: the key memory of layer 2 is written
# against the previous-token directions $W_O^1 W_V^1 e_z$ while layer 1 is still only beginning to route
# them, and the two keep reinforcing each other; the accuracy rises with both. (Bietti et al. describe
# $W_O^2$ learned first and the two key memories after it {cite}`bietti2023birth`; which key memory passes a
# threshold first depends on the thresholds, which is why we state ours.)
#
# ## What is known about the authors' runs
#
# The training code and the logs behind the paper's Transformer figures are not public. Their figure
# notebook names two families of runs: $W_O^2$ alone at $d = 64$ with $\eta \in \{20, 50, 100, 200\}$, and
# all three memories at $d \in \{64, 128\}$ with $\eta \in \{2, 5, 10, 20\}$, trained with plain SGD
# {cite}`cabannes2024learning`. The batch size, the sequence length, the number of steps and the data
# stream are not given there: the paper tier below uses batch 512 and sequence length 256, which are the
# defaults of the Birth-of-a-Transformer code, not known values of these runs. The authors trained on the
# character bigrams of TinyShakespeare, which cannot be downloaded here; we draw a bigram law from a seed.
# So the comparison with the paper is qualitative: spikes that grow with $\eta$ (reproduced), larger steps
# that still end lower (at the CI tier only up to $\eta =$ {glue:text}`a_eta_second` in (a); at the paper
# tier's batch 512 for every step size of (a)), and the
# birth of the induction head (reproduced, at the larger CI step sizes).
#
# ## Pick a step size
#
# The widget redraws the precomputed curves of experiment (a): the loss of the chosen step size
# highlighted among the others, and its $W_O^2$ and $W_K^2$ margins (the latter stay at zero, since
# $W_K^2$ is frozen in (a)).

# %%
chapter.widget(runs_a[0])

# %% tags=["remove-cell"]
paper_a, paper_b = T.settings("a", tier="paper"), T.settings("b", tier="paper")
glue("paper_dims_b", "{" + ", ".join(str(size["dim"]) for size in paper_b) + "}", display=False)
glue("paper_seq_len", paper_a[0]["seq_len"], display=False)
glue("paper_batch", paper_a[0]["batch_size"], display=False)
glue("paper_steps", paper_a[0]["steps"], display=False)
recorded = chapter.PAPER_TIER_RECORD
glue("paper_date", recorded["date"], display=False)
glue("paper_summary", recorded["summary"], display=False)
glue("paper_speedup", recorded["speedup"], display=False)

# %% [markdown]
# ## The paper tier
#
# Set the environment variable `ASSOCMEM_TIER=paper` before running the chapter (or
# `python -m assocmem figures`) to use the sizes of the paper tier: $d = 64$ for (a) and
# $d \in$ {glue:text}`paper_dims_b` for (b) (the chapter runs the first; pass `index=1` to
# `T.run_experiment` for the second), sequences of length {glue:text}`paper_seq_len`, batches of
# {glue:text}`paper_batch` sequences, the authors' step sizes and {glue:text}`paper_steps` steps.
# Training runs on a GPU when PyTorch sees one. The model is float32; on the CPU both attentions have
# hand-written backward passes that form only the gradients the memories need (`assocmem.models.attention`),
# on a GPU they go through PyTorch's fused `scaled_dot_product_attention`. During training the memory
# freed after each step is kept for the next (`assocmem.tiers.reuse_freed_memory`): at the paper sizes the
# step's large tensors otherwise cost a page fault per 4 KiB each time they are made. `benchmarks/transformer.py`
# prints the step time next to the float64 implementation it replaced ({glue:text}`paper_speedup`). One run of the paper tier, seed 0,
# by `benchmarks/paper_tier.py`, measured on {glue:text}`paper_date`, on a 2-core CPU:
# {glue:text}`paper_summary`
#
# ## Exercises
#
# ```{exercise}
# :label: ex-induction-step
#
# Before running it, predict what happens to experiment (b) at $d = 32$, below the vocabulary size:
# `chapter.run_experiment("b", dim=32)` (about as long as one seed of the chapter). Will $W_K^2$ still
# recall the triggers? Will the held-out accuracy reach the value of $d = 64$?
# ```
#
# ```{solution} ex-induction-step
# :class: dropdown
#
# The head still forms: $W_K^2$ recalls most triggers and the first layer still learns to look at the
# previous token, so the accuracy rises well above the plateau of experiment (a). But it stalls below the
# value at $d = 64$: with $d$ below the 65 tokens, the $d \times d$ memories cannot store an association for
# every token with a positive margin, the capacity limit of the scarce-memory chapters. The output memory
# $W_O^2$ must map 60 possible outputs through a $d$-dimensional space, and some of them collide.
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
# the three memories trained in experiment (b) it fails by a relative {glue:text}`quartet_gap_b`, and that network
# gets {glue:text}`quartet_recalled_b` of the four right. (The least likely of the four prefixes has probability
# $10^{x}$ with $x =$ {glue:text}`quartet_log_prob` under the seed-0 law: rare, but a real case of the task.)
# ```

# %% tags=["remove-cell"]
section = "Exercises"
net64 = T.random_network(vocab_size, setting_a["dim"], setting_a["seq_len"], seed=0, dtype="float64")  # the network of the seed-0 runs of (a)
non_triggers = [z for z in range(vocab_size) if z not in law.triggers.tolist()]
quartet, quartet_targets = T.swap_quartet(law.triggers[0].item(), *non_triggers[:3])


def quartet_logits(net, params):
    """Last-position logits (S, 4, V) of the four prefixes, in float64."""
    return T.forward(net, {n: p.double() for n, p in params.items()}, quartet)[:, :, -1]


def relative_gap(logits):
    return ((logits[:, 0] + logits[:, 2] - logits[:, 1] - logits[:, 3]).abs().amax() / logits.abs().amax()).item()


logits_a = quartet_logits(net64, {"W_O2": runs_a[0].params["W_O2"]})  # keys at zero, every step size
gap_a = relative_gap(logits_a)
assert ledger.check("quartet-additive", gap_a, upper=1e-12, section=section,
             claim="relative gap |s_1 + s_3 - s_2 - s_4| / max|s| of the last-position logits of the four prefixes, "
             "trained W_O^2 of experiment (a), keys at zero (float64)")
a_tok, b_tok = quartet_targets[0].item(), quartet_targets[1].item()
pair_margin = logits_a[:, :, a_tok] - logits_a[:, :, b_tok]  # (S, 4), > 0 means a beats b
sign_ok = pair_margin * torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=torch.float64)
assert ledger.check("quartet-not-all-recalled", bool((sign_ok <= 0).any(-1).all()), section=section,
             claim="for every step size of experiment (a), at least one of the four prefixes puts the wrong one of a, b ahead")
recalled_q = (logits_a.argmax(-1) == quartet_targets).sum(-1)  # (S,)
assert ledger.check("quartet-recalled-at-most-three", int(recalled_q.max()), upper=3, section=section,
             claim="largest number (over the step sizes of experiment (a)) of the four prefixes whose next token is the argmax")
net64_b = T.random_network(vocab_size, setting_b["dim"], setting_b["seq_len"], seed=0, dtype="float64")
logits_b = quartet_logits(net64_b, run_b.params)
gap_b = relative_gap(logits_b)
assert ledger.check("quartet-keys-break-additivity", gap_b, lower=0.05, section=section,
             claim="relative gap of the same identity with the three memories trained in experiment (b) (largest over step sizes): "
             "content-dependent attention breaks the additivity by a macroscopic amount")
recalled_qb = int((logits_b.argmax(-1) == quartet_targets).sum(-1).max())
triggers = law.triggers.tolist()
log_prob = []
for row in quartet.tolist():
    lp = math.log(law.unigram[row[0]])
    for u, v in zip(row[:-1], row[1:]):
        lp += math.log(law.output_law[v] if u in triggers else law.transitions[u, v])  # a trigger is followed by its output
    log_prob.append(lp / math.log(10))
assert ledger.check("quartet-not-negligible", min(log_prob), lower=-9.0, section=section,
             claim="log10 of the smallest probability of the four prefixes under the seed-0 law (about one in a billion "
             "5-token prefixes or more: the quartet is a real case of the task, not a formal one)")
glue("quartet_gap", f"{gap_a:.0e}", display=False)
glue("quartet_recalled", int(recalled_q[-1]), display=False)
glue("quartet_gap_b", f"{gap_b:.2f}", display=False)
glue("quartet_recalled_b", recalled_qb, display=False)
glue("quartet_log_prob", f"{min(log_prob):.1f}", display=False)
