"""`InverseTimeDecay`."""

from __future__ import annotations

from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import split


@builtin()
class InverseTimeDecay(LearningRateSchedule):
    r"""Inverse time decay, as ``keras.optimizers.schedules.InverseTimeDecay``.

    .. math::

        \eta(t) = \frac{\eta_0}{1 + r\,p}, \qquad
        p = \begin{cases} \lfloor t / T \rfloor & \text{staircase} \\ t / T & \text{otherwise}
        \end{cases}

    The staircase floor is exact integer division for integer steps. Without it no
    step is decided, and float32 arrays convert the step once: :math:`r\,p` is then
    within 1.5 roundings of its value and the rate within about one float32 rounding
    of :math:`\eta_0` (``docs/backends.md``).

    Args:
        initial_learning_rate: float, finite. The rate at step 0.
        decay_steps: number > 0 (:math:`T`).
        decay_rate: number >= 0 (:math:`r`); a negative rate would divide by zero.
        staircase: bool. Decay at whole multiples of ``decay_steps`` only.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> s = InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> s(0), s(10), s(20)
    (0.1, 0.06666666666666667, 0.05)
    >>> InverseTimeDecay(0.1, 10, 0.5, staircase=True)(19)
    0.06666666666666667
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("decay_steps", "decay_steps"),
        ("decay_rate", "decay_rate"),
        ("staircase", "staircase"),
        ("name", "name"),
    )

    _length_args = ("decay_steps",)

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = v.positive("decay_steps", decay_steps)
        self.decay_rate = v.nonnegative("decay_rate", decay_rate)
        self.staircase = v.boolean("staircase", staircase)
        self.name = v.schedule_name(name, "InverseTimeDecay")
        self._period = v.as_exact(self.decay_steps)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        return []  # one decay, without end (staircase floors are not marked)

    def _horizon(self) -> int | float | None:
        return 10 * self._period  # ten periods of the decay

    def _compute(self, xp: Ops, step: Any) -> Any:
        if self.staircase:
            return self.initial_learning_rate / (
                1.0 + self.decay_rate * xp.astype(split(xp, step, self._period)[0], xp.float_dtype)
            )
        # (no floor to decide: a float32 step's own rounding past 2**24 moves the rate
        # by at most one rounding, so the step is converted as it is)
        return self.initial_learning_rate / (1.0 + self.decay_rate * xp.divide(step, self._period))
