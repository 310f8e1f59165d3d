"""Seeded synthetic data generators, one module per task.

- ``induction``: sequences of a global bigram model with sequence-specific trigger outputs;
- ``digits``: the 8x8 handwritten digits bundled with scikit-learn, binarised or centred.

Like ``models``, a task never imports matplotlib, ipywidgets, ``viz`` or ``chapters``.
"""
