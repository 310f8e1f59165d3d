"""Every model of the book other than the paper's linear memory, one module per model.

- ``hopfield``: the classical Hopfield network (energy, asynchronous and synchronous dynamics,
  spurious states), Kosko's bidirectional associative memory, and the first dense and modern rules;
- ``dense``: dense associative memories with a separation function z^a or exp, overflow-free;
- ``modern``: modern Hopfield networks (softmax) and their sparse version (sparsemax), energies;
- ``transformer``: the two-layer attention-only Transformer of the induction-head chapter.

Import rules (checked by ``tests/test_layout.py``): a model never imports matplotlib,
ipywidgets, ``assocmem.viz`` or ``assocmem.chapters``.
"""
