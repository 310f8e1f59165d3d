"""assocmem: associative memories learned by gradient descent.

The companion package of the book *Associative memories learned by gradient
descent*. Modules: ``data`` (frequencies, targets, embeddings), ``memory``
(scores, losses, margins, gradient, Hessian), ``train`` (GD and SGD),
``plots`` (the house figure style) and ``widgets`` (the chapters' controls).
"""

__version__ = "0.1.0"
