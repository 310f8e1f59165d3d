"""Every model of the book other than the paper's linear memory, one module per model.

- ``hopfield``: the classical Hopfield network (energy, asynchronous and synchronous dynamics,
  spurious states), Kosko's bidirectional associative memory, and the first dense and modern rules;
- ``dense``: dense associative memories with a separation function z^a or exp, overflow-free;
- ``modern``: modern Hopfield networks (softmax) and their sparse version (sparsemax), energies;
- ``random_features``: the dense memory in a fixed number of weights (DrDAM) and its exact counterpart (MrDAM);
- ``sequence``: sequence memories (classical, polynomial and exponential), the pseudoinverse rule, the mixed network;
- ``diffusion``: the empirical score of a diffusion model as a dense memory's energy gradient, and its attractors;
- ``scaling``: memories written from samples with a weighting q, their errors against dimension and data;
- ``spherical``: spherical codes (optimal codes, bounds) and the kernelized Hopfield model with a learned feature map;
- ``energy_transformer``: the Energy Transformer block, its three energy terms and its descent step (attention optionally masked, e.g. to a graph's edges);
- ``transformer``: the two-layer attention-only Transformer of the induction-head chapter;
- ``attention``: its two softmax attentions with hand-written backward passes (faster on the CPU);
- ``camelot``: CAMELoT's training-free consolidated memory (slots of key, value, count, age) on a frozen windowed attention layer;
- ``clustering``: clustering with an associative memory (ClAM): the relaxed assignment dynamics, the masked completion loss, k-means baselines;
- ``listops``: small Transformer encoders for ListOps, their training, size sweep, ablations and embedding probe;
- ``sdm``: sparse distributed memory as an MLP (top-k, unit-norm weights, no bias), trained class-incrementally on the digits.

Import rules (checked by ``tests/test_layout.py``): a model never imports matplotlib,
ipywidgets, ``assocmem.viz`` or ``assocmem.chapters``.
"""
