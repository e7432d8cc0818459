"""Which classes a config may name: lrkit's own, and those registered by users.

The public face of :mod:`lrkit.core.registry` (see there).
"""

from lrkit.core.registry import KERAS_MODULE, known, lookup, register_serializable

__all__ = ["KERAS_MODULE", "known", "lookup", "register_serializable"]
