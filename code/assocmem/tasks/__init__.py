"""Seeded synthetic data generators, one module per task.

- ``induction``: sequences of a global bigram model with sequence-specific trigger outputs;
- ``sequences``: pattern sequences with a shared component, and sequences of binarised 8x8 digits.

Like ``models``, a task never imports matplotlib, ipywidgets, ``viz`` or ``chapters``.
"""
