"""`Cooldown`: a decay to a final rate from any step of any schedule."""

from __future__ import annotations

from typing import Any

from lrkit.compose._child import child
from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, formula
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._pieces import choice, cosine_lerp, lerp

SHAPES = ("linear", "cosine", "1-sqrt")


@builtin(module="lrkit")
class Cooldown(LearningRateSchedule):
    r"""``schedule`` until step ``start``, then a decay from ``schedule(start)`` to ``final``
    over ``length`` steps: WSD's decay from an arbitrary checkpoint.

    With :math:`t_0` = ``start``, :math:`L` = ``length``, :math:`\eta_0 = s(t_0)` and
    :math:`\eta_f` = ``final``:

    .. math::

        \eta(t) = \begin{cases}
            s(t) & t < t_0 \\
            \eta_f + (\eta_0 - \eta_f)\, h\big((t - t_0) / L\big) & t_0 \le t < t_0 + L \\
            \eta_f & t \ge t_0 + L
        \end{cases}

    with :math:`h(x) = 1 - x` (``"linear"``), :math:`(1 + \cos \pi x)/2`
    (``"cosine"``) or :math:`1 - \sqrt{x}` (``"1-sqrt"``, Hägele et al.,
    https://arxiv.org/abs/2405.18392). The rate is continuous at :math:`t_0`: exactly
    :math:`s(t_0)` there, and exactly :math:`\eta_f` at :math:`t_0 + L`; the shapes are
    evaluated from the exact elapsed and remaining steps, as ``WarmupStableDecay``'s
    decay (:math:`1 - \sqrt{x}` as :math:`(1 - x) / (1 + \sqrt{x})`). ``start`` and
    ``length`` may be lengths in epochs or fractions of the run (``"80%"``, ``"2ep"``).

    Args:
        schedule: any lrkit schedule, or a callable of the step.
        start: number >= 0 (:math:`t_0`): the step the cooldown starts at.
        length: number > 0 (:math:`L`): the cooldown's length in steps.
        shape: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``.
        final: float, finite (:math:`\eta_f`): the rate the cooldown ends at.
        name: str.

    >>> import lrkit
    >>> s = Cooldown(lrkit.Constant(1.0), start=80, length=20)
    >>> s(0), s(80), s(90), s(100), s(1000)
    (1.0, 1.0, 0.5, 0.0, 0.0)
    >>> c = Cooldown(lrkit.ExponentialDecay(1.0, 10, 0.5), 10, 10, shape="1-sqrt", final=0.1)
    >>> c(10), round(c(14), 12), c(20)
    (0.5, 0.247017787187, 0.1)
    """

    _config_attrs = (
        ("schedule", "schedule"),
        ("start", "start"),
        ("length", "length"),
        ("shape", "shape"),
        ("final", "final"),
        ("name", "name"),
    )
    _schedule_keys = frozenset({"schedule"})
    _length_args = ("start", "length")

    def __init__(
        self,
        schedule: Any,
        start: int | float,
        length: int | float,
        shape: str = "linear",
        final: float = 0.0,
        name: str = "Cooldown",
    ) -> None:
        self.schedule = child("schedule", schedule)
        self.start = v.nonnegative("start", start)
        self.length = v.positive("length", length)
        self.shape = choice("shape", shape, SHAPES)
        self.final = v.number("final", final)
        self.name = v.schedule_name(name, "Cooldown")
        self._start = v.as_exact(self.start)
        self._length = v.as_exact(self.length)
        self._peak = float(self.schedule(self._start))
        self._final = float(self.final)
        self._inner = formula(self.schedule)  # resolved once
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        """The schedule's boundaries before ``start``, then the cooldown's start and end."""
        from lrkit.core.phases import boundaries_of

        start, end = self._start, self._start + self._length
        before = [b for b in boundaries_of(self.schedule, min(last_step, start)) if b[0] < start]
        return [*before, (start, "decay start"), (end, "decay end")]

    def _horizon(self) -> int | float:
        return self._start + self._length

    def _before(self, xp: Ops, step: Any) -> Any:
        return self._inner(xp, step)

    def _cool(self, xp: Ops, step: Any) -> Any:
        length, peak, final = self._length, self._peak, self._final
        elapsed = xp.minimum(xp.since(step, self._start), length)
        if self.shape == "linear":
            return lerp(xp, peak, final, elapsed, length)
        if self.shape == "cosine":
            return cosine_lerp(xp, peak, final, elapsed, length)
        remaining = xp.divide(length - elapsed, length)
        h = remaining / (1.0 + xp.sqrt(xp.divide(elapsed, length)))
        return final + (peak - final) * h

    def _compute(self, xp: Ops, step: Any) -> Any:
        return xp.switch(step >= self._start, (self._before, self._cool), xp, step)
