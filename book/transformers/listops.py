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
# (chap-listops)=
# # What a small Transformer memorises: ListOps
#
# ```{admonition} In this chapter
# **You will learn** how to measure the smallest Transformer that learns a task, on nested
# ListOps expressions with the operators MAX, MIN, MED and SUM modulo 10; why SUM is the hard
# one; how to tell memorising from learning (training against held-out accuracy); and two probes
# of *how* a model solves the task: the order of its digit embeddings, and the accuracy it loses
# when its attention or its feed-forward layers are removed. We test, at CPU scale, the claims
# of Both et al. {cite}`both2025role`, and say plainly which of them hold here.
#
# **Prerequisites**: {ref}`chap-induction-head` (a small Transformer read as memories);
# {ref}`chap-associative-memory` (what a memory stores and recalls).
#
# **Run time**: under 30 s on a 2-core laptop CPU (CI tier: a few tiny models trained live); the
# sweep the figures show was run once, in minutes, and is read from a file that ships with the package.
# ```
#
# Both, Hoover, Strobelt, Krotov, Weidele, Martino and Dehmamy {cite}`both2025role` asked how many
# parameters a small Transformer needs to learn a task, and whether that number says something about
# the task. Their task is ListOps {cite}`nangia2018listops`: nested expressions such as
# `[MAX 3 [SUM 4 8 ] 2 ]`, whose value is a digit. They report that SUM modulo 10 is the hardest
# operator to learn; that trained together with MAX and MEDIAN it becomes *easier* and needs fewer
# parameters; that SUM-only models seem to memorise the sum table, with no number structure in their
# embeddings, and use their feed-forward layers more, while jointly trained models use attention
# more; and that pretraining on MAX and MEDIAN lets a model too small to learn SUM alone learn it.
# The feed-forward layers matter to this book: they can be read as key-value memories
# {cite}`geva2021transformer`, the associative memories of the earlier chapters.
#
# ## The task
#
# `assocmem.tasks.listops` draws expressions of depth {glue:}`task_depth`: an operator with
# {glue:text}`task_args` arguments, exactly one of which is itself an operator with {glue:text}`task_args` digits. Every operator is drawn from the selected set,
# so the joint tasks mix operators inside one expression. MED of an even number of digits is the
# lower median, so every value is a digit and chance is one in ten.

# %%
import numpy as np
from myst_nb import glue

from assocmem import claims, tiers
from assocmem.chapters.transformers import listops as chapter
from assocmem.models import listops as M
from assocmem.tasks import listops as task
from assocmem.viz import style

style.use_style()
ledger = claims.Ledger("listops", title="What a small Transformer memorises: ListOps")

examples = task.sample("all", 4, seed=1, **M.TASK)
for text, value in zip(examples.strings, examples.values.tolist()):
    print(f"{text:40s} = {value}")
print("tokens of the first:", examples.tokens[0].tolist())
train_sum, test_sum = M.datasets("SUM", 4000, 1000, seed=0)
print("SUM-only expressions: training", len(train_sum), " held-out", len(test_sum), "(none in common)")

# %% tags=["remove-cell"]
section = "The task"
assert ledger.check("values-independent", all(task.evaluate(("SUM", [int(w) for w in s.split() if w.isdigit()])) == v
                                              for s, v in zip(train_sum.strings, train_sum.values.tolist())), section=section,
                    claim="a SUM-only expression equals the sum of all its digits modulo 10 (nesting SUM changes nothing)")
assert ledger.check("split-disjoint", len(set(train_sum.strings) & set(test_sum.strings)), upper=0, section=section,
                    claim="no held-out expression is a training expression")
ledger.quote("vocab_size", len(task.VOCAB), "{}")
ledger.quote("task_depth", M.TASK["depth"], "{}")
glue("task_args", f"{M.TASK['min_args']} or {M.TASK['max_args']}", display=False)
digit_counts = [sum(w.isdigit() for w in text.split()) for text in train_sum.strings]
glue("task_digits", f"{min(digit_counts)} to {max(digit_counts)}", display=False)

# %% [markdown]
# The vocabulary has {glue:}`vocab_size` tokens: padding, a start token, `]`, the four opening tokens
# and the ten digits. Note what nesting does to SUM: since $(a + b) \bmod 10 + c \equiv a + b + c$, a
# SUM-only expression is just the sum of its {glue:text}`task_digits` digits modulo 10. The difficulty is not the tree,
# it is the sum.
#
# ## The models and the sweep
#
# `assocmem.models.listops` is a standard pre-norm encoder {cite}`vaswani2017attention`: token and
# learned position embeddings of width $d$, one layer of two-head self-attention and a ReLU
# feed-forward of width $2d$, both residual, and a readout from the *mean* of the positions to the ten
# values. Each model is trained with AdamW on a fixed training set of {glue:}`train_size` expressions (so that
# it can memorise it) and scored on {glue:}`test_size` held-out ones. The sweep trains three operator sets, SUM alone,
# MAX + MED, and all four, at widths $d \in$ {glue:text}`sweep_dims`, {glue:}`sweep_seeds` seeds each,
# for {glue:}`sweep_steps` steps. It ran once, in {glue:}`sweep_minutes` minutes on one CPU thread, with
# `python -m assocmem.chapters.transformers.listops --sweep`, which writes the file the chapter reads.

# %%
sweep = chapter.cached_sweep()
rows = sweep["rows"]
style.glue_figure("listops-sweep", chapter.sweep_figure())
smallest = chapter.thresholds(rows, sweep["threshold"])
print("fewest parameters with every seed at held-out accuracy >=", sweep["threshold"], ":", smallest)
for name in chapter.CONDITIONS:
    print(f"{name:9s} held-out accuracy at the largest width:", chapter.per_seed(rows, name, "test_accuracy").round(3))

# %% tags=["remove-cell"]
section = "The models and the sweep"
size = sweep["sizes"]
glue("sweep_dims", "{" + ", ".join(str(d) for d in size["dims"]) + "}", display=False)
ledger.quote("sweep_seeds", len(size["seeds"]), "{}")
ledger.quote("sweep_steps", size["steps"], "{}")
ledger.quote("train_size", size["train_size"], "{}")
ledger.quote("test_size", size["test_size"], "{}")
ledger.quote("sweep_minutes", sweep["wall_seconds"] / 60, "{:.1f}")
ledger.quote("threshold", sweep["threshold"], "{:g}")
sum_best = max(r["test_accuracy"] for r in rows if r["condition"] == "SUM")
maxmed_smallest_width = min(chapter.per_seed(rows, "MAX+MED", "test_accuracy", dim=min(size["dims"])))
assert ledger.check("sum-hardest-sum-never-learned", sum_best, upper=0.2, section=section, reference="Both et al. 2025",
                    claim="best held-out accuracy of any SUM-only model of the sweep (every width and seed; chance is 0.1)")
assert ledger.check("sum-hardest-maxmed-smallest", maxmed_smallest_width, lower=0.5, section=section,
                    claim="worst seed's held-out accuracy of MAX+MED at the smallest width")
order_ok = smallest["MAX+MED"] <= smallest["all four"] < smallest["SUM"]
assert ledger.check("threshold-order", bool(order_ok), section=section, reference="Both et al. 2025",
                    claim="fewest parameters to reach the threshold on every seed: MAX+MED <= all four < SUM (SUM: never)")
all_best = chapter.per_seed(rows, "all four", "test_accuracy")
ledger.quote("sum_best", sum_best, "{:.2f}")
ledger.quote("maxmed_smallest_width", maxmed_smallest_width, "{:.2f}")
ledger.quote("maxmed_params", smallest["MAX+MED"], "{:.0f}")
ledger.quote("all_params", smallest["all four"], "{:.0f}")
ledger.quote("max_params", max(r["params"] for r in rows), "{:.0f}")
glue("all_largest", f"{all_best.min():.2f} to {all_best.max():.2f}", display=False)

# %% [markdown]
# ```{glue:figure} listops-sweep
# :name: fig-listops-sweep
# :alt: Held-out accuracy against parameters for three operator sets, and training against held-out accuracy of SUM.
#
# Left: held-out accuracy on each model's own operator mix against its number of parameters (log axis);
# points are seeds, lines their means. Right: the models that saw SUM, scored on pure-SUM held-out
# expressions, and the SUM-only models on their own training set.
# ```
#
# SUM is by far the hardest. MAX + MED passes the threshold of {glue:}`threshold` with
# {glue:}`maxmed_params` parameters on every seed (its worst seed at the smallest width:
# {glue:}`maxmed_smallest_width`), all four operators with {glue:}`all_params`, and SUM alone never:
# no SUM-only model of the sweep, up to {glue:}`max_params` parameters, does better than
# {glue:}`sum_best` on held-out expressions, against 0.1 for guessing. The ordering of the paper's
# difficulty, SUM last, reproduces; its threshold for SUM lies beyond the sizes and steps of a CPU sweep.
#
# ## Memorising is not learning
#
# A SUM-only model does fit part of its training set (the dashed line on the right of
# {numref}`fig-listops-sweep`): it memorises individual expressions, the signature the paper reports,
# and the fit grows with the width while the held-out accuracy stays at chance. And the jointly trained
# models do *not* learn SUM as a by-product: scored on pure-SUM expressions they are at chance too.

# %% tags=["remove-cell"]
section = "Memorising is not learning"
gap = chapter.per_seed(rows, "SUM", "train_accuracy") - chapter.per_seed(rows, "SUM", "test_accuracy")
assert ledger.check("sum-memorises", gap.min(), lower=0.03, section=section, reference="Both et al. 2025",
                    claim="smallest (over seeds) gap between training and held-out accuracy of SUM-only models at the largest width")
joint_sum = max(r["sum_accuracy"] for r in rows if r["condition"] == "all four")
assert ledger.check("joint-does-not-rescue-sum", joint_sum, upper=0.2, section=section, reference="Both et al. 2025",
                    claim="best pure-SUM held-out accuracy of any model trained on all four operators (the paper's claim, "
                    "joint training makes SUM easier, would put it well above chance)")
glue("sum_gap", f"{gap.min():.2f} to {gap.max():.2f}", display=False)
ledger.quote("joint_sum", joint_sum, "{:.2f}")

# %% [markdown]
# At the largest width the training accuracy of SUM exceeds the held-out one by {glue:text}`sum_gap`;
# the best pure-SUM accuracy of any model trained on all four operators is {glue:}`joint_sum`. So
# joint training made the *mix* easy to learn (most of it is MAX, MIN and MED), not SUM: the paper's
# claim that joint training makes SUM easier does not reproduce here.
#
# ## Number structure and where the work is done
#
# Two probes ask how a model computes. The first is the order of the digit embeddings: project the ten
# digit vectors on their first principal component and take $|\rho|$, the absolute Spearman
# correlation of the projections with the digit values, 1 when the digits lie along a line in number
# order. The second removes a component from every layer, attention or feed-forward, and measures the
# held-out accuracy lost; a third number, ablation-free, is the share of the attention outputs in the
# norm written to the residual stream.

# %%
style.glue_figure("listops-mechanisms", chapter.mechanisms_figure())
for name in chapter.CONDITIONS:
    print(f"{name:9s} digit order", chapter.per_seed(rows, name, "digit_order").round(2),
          " drop without attention", chapter.per_seed(rows, name, "attention_drop").round(2),
          " without feed-forward", chapter.per_seed(rows, name, "feedforward_drop").round(2),
          " attention share", chapter.per_seed(rows, name, "attention_share").round(2))

# %% tags=["remove-cell"]
section = "Number structure and where the work is done"
order = {name: np.array([r["digit_order"] for r in rows if r["condition"] == name]) for name in chapter.CONDITIONS}
overlap = order["SUM"].max() - min(order["MAX+MED"].min(), order["all four"].min())
assert ledger.check("digit-order-not-separated", overlap, lower=0.0, section=section, reference="Both et al. 2025",
                    claim="best SUM-only digit-order score minus the worst joint one, over every width and seed (the paper's "
                    "claim, number structure only with joint training, would make this negative)")
att = {name: chapter.per_seed(rows, name, "attention_drop") for name in chapter.CONDITIONS}
ff = {name: chapter.per_seed(rows, name, "feedforward_drop") for name in chapter.CONDITIONS}
share = {name: chapter.per_seed(rows, name, "attention_share") for name in chapter.CONDITIONS}
joint_att = min((att[n] - ff[n]).min() for n in ("MAX+MED", "all four"))
assert ledger.check("joint-leans-on-attention", joint_att, lower=0.05, section=section, reference="Both et al. 2025",
                    claim="smallest (over seeds and both joint sets, largest width) accuracy lost without attention minus that "
                    "lost without the feed-forward layers")
sum_ablation = max(np.abs(att["SUM"]).max(), np.abs(ff["SUM"]).max())
assert ledger.check("sum-ablations-vacuous", sum_ablation, upper=0.05, section=section,
                    claim="largest accuracy change of a SUM-only model (largest width) when either component is removed: "
                    "a model at chance has nothing to lose")
share_gap = share["all four"].min() - share["SUM"].max()
assert ledger.check("joint-writes-more-attention", share_gap, lower=0.05, section=section, reference="Both et al. 2025",
                    claim="smallest attention share of a model trained on all four operators minus the largest of a SUM-only "
                    "model (largest width)")
untrained = np.array([M.digit_order(M.build(d, seed=s)) for d in size["dims"] for s in range(5)])
joint_mean = np.concatenate([order["MAX+MED"], order["all four"]]).mean()
assert ledger.check("digit-order-at-chance", joint_mean - untrained.mean(), upper=0.2, section=section,
                    reference="Both et al. 2025",
                    claim="mean digit-order score of the jointly trained models minus that of untrained models (every width, "
                    "5 initialisations each): number order from joint training would put the trained mean near 1")
ledger.quote("order_untrained", untrained.mean(), "{:.2f}")
ledger.quote("order_joint_mean", joint_mean, "{:.2f}")
ledger.quote("order_sum_mean", order["SUM"].mean(), "{:.2f}")
glue("order_sum", f"{order['SUM'].min():.2f} to {order['SUM'].max():.2f}", display=False)
glue("order_joint", f"{min(order['MAX+MED'].min(), order['all four'].min()):.2f} to "
             f"{max(order['MAX+MED'].max(), order['all four'].max()):.2f}", display=False)
ledger.quote("joint_att", joint_att, "{:.2f}")
ledger.quote("sum_ablation", sum_ablation, "{:.2f}")
glue("share_sum", f"{share['SUM'].min():.2f} to {share['SUM'].max():.2f}", display=False)
glue("share_all", f"{share['all four'].min():.2f} to {share['all four'].max():.2f}", display=False)

# %% [markdown]
# ```{glue:figure} listops-mechanisms
# :name: fig-listops-mechanisms
# :alt: Digit-order scores per operator set and width, and the accuracy lost by ablating attention or feed-forward layers.
#
# Left: $|\rho|$ between the digit embeddings' first principal component and the digit value, per
# operator set and width (bars: means; dots: seeds). Right: held-out accuracy lost at the largest width
# when attention (plain) or the feed-forward layers (hatched) are removed from every layer.
# ```
#
# The digit-order score is a seed lottery: {glue:text}`order_sum` for SUM-only models and {glue:text}`order_joint`
# for the joint ones, the ranges overlapping. Ten random points already have a first principal component
# with a sizeable rank correlation by chance: untrained models score {glue:}`order_untrained` on average,
# the joint models {glue:}`order_joint_mean` and the SUM-only ones {glue:}`order_sum_mean`. We see no number
# structure that joint training, and only joint training, produces. This claim does
# not reproduce at this scale.
#
# The ablations are sharper. A jointly trained model loses more without its attention than without its
# feed-forward layers, on every seed (by at least {glue:}`joint_att`), and its attention writes more to
# the residual stream: an attention share of {glue:text}`share_all` with all four operators against
# {glue:text}`share_sum` for SUM alone. That half of the paper's claim holds. The other half, that SUM-only
# models lean on their feed-forward layers, cannot be tested here: a model at chance loses nothing
# whatever is removed (at most {glue:}`sum_ablation`).
#
# ## Pretraining on MAX + MED
#
# The paper's last claim: a model too small to learn SUM alone learns it after pretraining on MAX and
# MED. Every width of the sweep is below the SUM threshold, so we take $d =$ {glue:}`pre_dim` and train
# it on SUM from scratch, from scratch for twice as long (equal compute), and after pretraining on
# MAX + MED for the same number of steps. The right panel is the live CI-tier run of all three operator
# sets, next to the same width in the cached sweep.

# %%
pretraining = sweep["pretraining"]
live = chapter.ci_runs(tiers.current())  # CI tier: a few tiny models trained now
style.glue_figure("listops-pretraining", chapter.pretraining_figure(tiers.current()))
for key in ("scratch", "scratch_equal_steps", "pretrain_accuracy", "pretrained"):
    print(f"{key:20s}", np.round([p[key] for p in pretraining], 3))
for name in chapter.CONDITIONS:
    print(f"live {name:9s} held-out", chapter.per_seed(live["rows"], name, "test_accuracy").round(3))

# %% tags=["remove-cell"]
section = "Pretraining on MAX + MED"
pre = np.array([p["pretrained"] for p in pretraining])
pre_task = np.array([p["pretrain_accuracy"] for p in pretraining])
assert ledger.check("pretraining-learned-maxmed", pre_task.min(), lower=0.5, section=section,
                    claim="worst seed's held-out MAX+MED accuracy after the pretraining (the pretraining worked)")
assert ledger.check("pretraining-does-not-teach-sum", pre.max(), upper=0.2, section=section, reference="Both et al. 2025",
                    claim="best seed's held-out SUM accuracy after MAX+MED pretraining and SUM training (the paper's claim "
                    "would put it well above chance)")
live_rows, ci_size = live["rows"], live["sizes"]
live_sum = chapter.per_seed(live_rows, "SUM", "test_accuracy")
live_maxmed = chapter.per_seed(live_rows, "MAX+MED", "test_accuracy")
live_all = chapter.per_seed(live_rows, "all four", "test_accuracy")
assert ledger.check("live-maxmed-beats-sum", (live_maxmed - live_sum).min(), lower=0.3, section=section,
                    claim="live CI tier: smallest (over seeds) MAX+MED minus SUM-only held-out accuracy, same width and steps")
assert ledger.check("live-sum-at-chance", live_sum.max(), upper=0.2, section=section,
                    claim="live CI tier: best SUM-only held-out accuracy")
assert ledger.check("live-all-between", bool(((live_all > live_sum) & (live_all < live_maxmed)).all()), section=section,
                    claim="live CI tier: on every seed, all four operators lies between SUM and MAX+MED, the sweep's order")
live_att = (chapter.per_seed(live_rows, "MAX+MED", "attention_drop") - chapter.per_seed(live_rows, "MAX+MED", "feedforward_drop")).min()
assert ledger.check("live-maxmed-attention", live_att, lower=0.0, strict=True, section=section,
                    claim="live CI tier: MAX+MED loses more without attention than without feed-forward, on every seed")
ledger.quote("pre_dim", pretraining[0]["dim"], "{}")
ledger.quote("pre_params", pretraining[0]["params"], "{}")
glue("pre_task", f"{pre_task.min():.2f} to {pre_task.max():.2f}", display=False)
glue("pre_sum", f"{pre.min():.2f} to {pre.max():.2f}", display=False)
glue("scratch_sum", ", ".join(f"{p['scratch_equal_steps']:.2f}" for p in pretraining), display=False)
ledger.quote("live_dim", ci_size["dims"][0], "{}")
ledger.quote("live_steps", ci_size["steps"], "{}")
ledger.quote("live_seeds", len(ci_size["seeds"]), "{}")
ledger.quote("live_gap", (live_maxmed - live_sum).min(), "{:.2f}")

# %% [markdown]
# ```{glue:figure} listops-pretraining
# :name: fig-listops-pretraining
# :alt: SUM accuracy after pretraining and from scratch, and the live CI-tier runs next to the cached sweep.
#
# Left: held-out SUM accuracy of the $d =$ {glue:}`pre_dim` model ({glue:}`pre_params` parameters), one
# dot per seed. Right: held-out accuracy of the live runs ($d =$ {glue:}`live_dim`, {glue:}`live_steps`
# steps, {glue:}`live_seeds` seeds, a smaller training set) and of the cached sweep at the same width.
# ```
#
# The pretraining worked on its own task (held-out MAX + MED accuracy {glue:text}`pre_task`), but the SUM
# accuracy after it is {glue:text}`pre_sum`, chance, like SUM from scratch with equal compute
# ({glue:text}`scratch_sum`). The live runs, with fewer steps and less data, keep the sweep's order on every
# seed: MAX + MED beats SUM by at least {glue:}`live_gap`, all four operators lie in between, and SUM
# stays at chance.
#
# ## Verdicts
#
# | claim of Both et al. {cite}`both2025role` | here, one-layer models up to {glue:}`max_params` parameters |
# | --- | --- |
# | SUM mod 10 is the hardest operator | **reproduced** against the MAX + MED mix (each operator alone not run): SUM never leaves chance, MAX + MED passes {glue:}`threshold` at the smallest width |
# | joint training makes SUM easier, with fewer parameters | **not reproduced**: joint models pass the threshold on their mix, but score {glue:}`joint_sum` at most on pure SUM |
# | SUM-only models memorise | **reproduced** in its weak form: they fit part of the training set (gap {glue:text}`sum_gap`) and nothing held out |
# | SUM-only models have no number structure, joint ones do | **not reproduced**: the digit-order score is a seed lottery in every condition |
# | SUM-only models lean on feed-forward, joint ones on attention | **half**: joint models lean on attention on every seed; SUM-only models learned nothing to ablate |
# | MAX + MED pretraining lets a below-threshold model learn SUM | **not reproduced**: {glue:text}`pre_sum` after pretraining |
#
# Every verdict is for this scale: a few thousand to a few tens of thousands of parameters, one
# layer, {glue:}`sweep_steps` steps on a CPU. The paper's models and budgets are larger, and it reports SUM
# learned by its larger models; what we can say is that below that scale, SUM is memorised, not learned, and that
# neither joint training nor pretraining moved it. We had neither the
# authors' code nor their per-model numbers offline, so the table compares verdicts, not numbers.
#
# ## Exercises
#
# ```{exercise}
# :label: ex-listops-nesting
#
# Show that a SUM-only ListOps expression of any depth has the value of the sum of all its digits
# modulo 10. What does this say about where the difficulty of SUM comes from, compared with MAX + MED?
# ```
#
# ```{solution} ex-listops-nesting
# :class: dropdown
#
# Reduction modulo 10 is a ring homomorphism: $((a + b) \bmod 10 + c) \bmod 10 = (a + b + c) \bmod 10$,
# and by induction over the tree every SUM node can be replaced by its digits. So the tree is irrelevant
# for SUM: the model must compute a sum modulo 10 of {glue:text}`task_digits` digits, a function in which every digit
# matters and no digit can be ignored. A one-layer model that has not found modular addition can only
# treat it as a table of digit combinations, far more than a few thousand examples cover. For MAX + MED
# the tree matters, but each operator returns one of its arguments, so a model can get far by comparing
# digits.
# The hidden cell after the first code cell checks the identity on the training set.
# ```
#
# ```{exercise}
# :label: ex-listops-width
#
# Predict first: train a SUM-only model ten times wider than the largest of the sweep, with the same
# data and steps (`M.train("SUM", dim=256, steps=1000)`). Will its held-out accuracy leave chance? Its
# training accuracy? Then run it (a few minutes on a CPU).
# ```
#
# ```{solution} ex-listops-width
# :class: dropdown
#
# The sweep answers part of it: from one width to the next, the training accuracy of SUM rises (the
# dashed line on the right of {numref}`fig-listops-sweep`) while the held-out accuracy stays near 0.1.
# A wider model has more room to memorise, and nothing in a few thousand examples forces it to find the sum, so
# the likely outcome is more memorisation and held-out accuracy still near chance. The chapter does not
# run this width; try it, then try more training data (`train_size`) or a second layer (`layers=2`),
# which change what can be memorised rather than only how much.
# ```
