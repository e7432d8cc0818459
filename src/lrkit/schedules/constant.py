"""`Constant`."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


@builtin(module="lrkit")
class Constant(LearningRateSchedule):
    r"""The same rate at every step: :math:`\eta(t) = \eta_0`.

    Matches optax ``constant_schedule`` and torch's ``ConstantLR`` with
    ``factor=1``; useful as a piece of a composition.

    Args:
        learning_rate: float, finite.
        name: str.

    >>> Constant(0.01)(0), Constant(0.01)(10**12)
    (0.01, 0.01)
    """

    _config_attrs = (("learning_rate", "learning_rate"), ("name", "name"))

    def __init__(self, learning_rate: float, name: str = "Constant") -> None:
        self.learning_rate = v.number("learning_rate", learning_rate)
        self.name = v.schedule_name(name, "Constant")
        self._freeze()

    def _compute(self, xp: Ops, step: Any) -> Any:
        return float(self.learning_rate)
