"""Seeded synthetic data generators and bundled data, one module per task.

- ``induction``: sequences of a global bigram model with sequence-specific trigger outputs;
- ``digits``: the 8x8 handwritten digits bundled with scikit-learn, binarised or centred;
- ``sequences``: pattern sequences with a shared component, and sequences of binarised 8x8 digits;
- ``graphs``: attributed graphs (stochastic block model) with planted clique and attribute-swap anomalies;
- ``long_documents``: long documents of key -> value facts with Zipf frequencies, and the optional Shakespeare texts;
- ``clustering``: the bundled scikit-learn data sets of the clustering chapter, standardised, and the 2-D iris petals;
- ``listops``: nested ListOps expressions (MAX, MIN, MED, SUM mod 10) and their tokenizer.

Like ``models``, a task never imports matplotlib, ipywidgets, ``viz`` or ``chapters``.
"""
