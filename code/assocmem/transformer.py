"""The two-layer attention-only Transformer: a re-export of ``assocmem.models.transformer``."""

from .models.transformer import *  # noqa: F401,F403
from .models.transformer import __all__  # noqa: F401
