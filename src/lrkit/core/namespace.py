"""The namespaces every schedule is written against (see :mod:`lrkit.core.ops`).

:data:`SCALAR` (Python numbers, :mod:`lrkit.core.scalar`) and :class:`ArrayOps` (arrays,
:mod:`lrkit.core.arrays`), both implementations of the :class:`Ops` protocol.
"""

from __future__ import annotations

from lrkit.core.arrays import ArrayOps
from lrkit.core.ops import Ops
from lrkit.core.scalar import SCALAR

__all__ = ["SCALAR", "ArrayOps", "Ops"]
