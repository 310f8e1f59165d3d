"""assocmem: associative memories learned by gradient descent.

The companion package of the book *Associative memories learned by gradient
descent*. One module per idea:

- ``data``: token frequencies, target maps, embeddings (reference random draws);
- ``memory``: scores, losses, margins, gradient, Hessian and sharpness of W;
- ``train``: full-batch GD and minibatch SGD, batched over step sizes;
- ``particles``, ``two_particles``: GD as interacting particles, orthonormal and two-token cases;
- ``landscape``, ``optima``: binary-output landscapes, cross-entropy and 0-1 optima when d < N;
- ``transformer``, ``induction_data``: the two-layer attention-only Transformer and its task;
- ``hopfield``: classical, dense and modern Hopfield networks;
- ``claims``, ``tiers``, ``gallery``: the claim ledger, the compute tiers, the figure registry;
- ``plots``, ``widgets`` and the chapters' ``*_plots`` modules: figures and controls;
- ``cli`` (``python -m assocmem``) and ``sphinxext``: figures on demand and the book's Sphinx extensions.
"""

__version__ = "0.1.0"
