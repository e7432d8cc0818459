"""Configs in Keras's form: :func:`serialize` and :func:`deserialize`, and their limits.

The public face of :mod:`lrkit.core.serialization` (see there).
"""

from lrkit.core.serialization import MAX_CONFIG_DEPTH, MAX_NESTING, deserialize, serialize

__all__ = ["MAX_CONFIG_DEPTH", "MAX_NESTING", "deserialize", "serialize"]
