"""Chapter modules of the book part ``book/systems/`` (memories inside learning systems)."""
