"""Seeded synthetic data generators, one module per task.

- ``induction``: sequences of a global bigram model with sequence-specific trigger outputs.

Like ``models``, a task never imports matplotlib, ipywidgets, ``viz`` or ``chapters``.
"""
