"""Sphinx extensions of the book, shipped with the package so that ``_config.yml`` can load
them by name (``assocmem.sphinxext.ledger``, ``assocmem.sphinxext.notebooks``) without any
edit of the module search path. Kept in a subpackage so that importing ``assocmem`` never imports Sphinx.
"""
