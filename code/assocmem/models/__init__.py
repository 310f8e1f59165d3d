"""Every model of the book other than the paper's linear memory, one module per model.

- ``hopfield``: the classical Hopfield network, dense and modern retrieval rules;
- ``transformer``: the two-layer attention-only Transformer of the induction-head chapter;
- ``random_features``: the dense memory in a fixed number of weights (DrDAM) and its exact counterpart (MrDAM);
- ``sequence``: sequence memories (classical, polynomial and exponential), the pseudoinverse rule, the mixed network;
- ``diffusion``: the empirical score of a diffusion model as a dense memory's energy gradient, and its attractors.
- ``energy_transformer``: the Energy Transformer block, a LayerNorm, attention and Hopfield energy descended by its tokens.

Import rules (checked by ``tests/test_layout.py``): a model never imports matplotlib,
ipywidgets, ``assocmem.viz`` or ``assocmem.chapters``.
"""
