"""Every model of the book other than the paper's linear memory, one module per model.

- ``hopfield``: the classical Hopfield network, dense and modern retrieval rules;
- ``transformer``: the two-layer attention-only Transformer of the induction-head chapter;
- ``sequence``: sequence memories (classical, polynomial and exponential), the pseudoinverse rule, the mixed network.

Import rules (checked by ``tests/test_layout.py``): a model never imports matplotlib,
ipywidgets, ``assocmem.viz`` or ``assocmem.chapters``.
"""
