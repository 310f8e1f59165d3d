"""The classical, dense and modern Hopfield memories: a re-export of ``assocmem.models.hopfield``."""

from .models.hopfield import *  # noqa: F401,F403
from .models.hopfield import __all__  # noqa: F401
