"""One module per chapter, at the chapter's own path.

``assocmem.chapters.learning.two_particles`` serves ``book/learning/two_particles.py``: its
runs, its ``draw_*`` functions, its ``widget()`` and the figure builders it registers in
``assocmem.viz.gallery``. A module is here exactly when one chapter uses it; code that two
chapters share belongs in the core, ``models``, ``tasks`` or ``viz``. Only chapters, the CLI,
the gallery discovery and the tests import this package.
"""
