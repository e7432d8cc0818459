"""optax: lrkit's schedules and transformations under optax's names.

Imported only when used; JAX and optax are imported by the functions that need them.
"""

from lrkit._optax_plateau import PlateauState, scale_by_plateau

__all__ = ["PlateauState", "scale_by_plateau"]
