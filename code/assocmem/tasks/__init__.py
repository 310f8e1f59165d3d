"""Seeded synthetic data generators and bundled data, one module per task.

- ``induction``: sequences of a global bigram model with sequence-specific trigger outputs;
- ``digits``: the 8x8 handwritten digits bundled with scikit-learn, binarised or centred;
- ``sequences``: pattern sequences with a shared component, and sequences of binarised 8x8 digits;
- ``listops``: nested ListOps expressions (MAX, MIN, MED, SUM mod 10) and their tokenizer.

Like ``models``, a task never imports matplotlib, ipywidgets, ``viz`` or ``chapters``.
"""
