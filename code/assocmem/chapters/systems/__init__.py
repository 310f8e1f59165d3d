"""Chapter modules of the book part ``book/systems/``."""
