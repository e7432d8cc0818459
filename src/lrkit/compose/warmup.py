"""`Warmup`: a warmup phase in front of any schedule."""

from __future__ import annotations

from typing import Any

from lrkit.compose._child import check_step_mode, child
from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, formula
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._common import cosine_remaining

SHAPES = ("linear", "polynomial", "cosine")


@builtin(module="lrkit")
class Warmup(LearningRateSchedule):
    r"""A warmup from ``initial_learning_rate`` up to where ``schedule`` starts.

    .. math::

        \eta(t) = \begin{cases}
            \eta_s + (\eta^\ast - \eta_s)\, f(t / W) & t < W \\
            s(t - W) \text{ (local) or } s(t) \text{ (global)} & t \ge W
        \end{cases}

    with :math:`f(x) = x` (``"linear"``), :math:`x^p` (``"polynomial"``) or
    :math:`(1 - \cos \pi x)/2` (``"cosine"``), and :math:`\eta^\ast` the value the
    schedule takes at the end of the warmup: :math:`s(0)` with
    ``step_mode="local"`` (the schedule starts after the warmup, as optax's
    ``join_schedules`` and transformers' ``get_*_with_warmup`` do) or :math:`s(W)` with
    ``"global"`` (the schedule runs on the global step and the warmup covers its
    first ``W`` steps, as Model Garden's ``LinearWarmup``). Step ``W`` itself belongs
    to the schedule. ``warmup_steps=0`` is the schedule itself.

    Args:
        schedule: any lrkit schedule, or a callable of the step.
        warmup_steps: number >= 0 (:math:`W`).
        initial_learning_rate: float, finite (:math:`\eta_s`). Default 0.0.
        shape: ``"linear"``, ``"polynomial"`` or ``"cosine"``.
        power: number > 0, the exponent :math:`p` of ``"polynomial"``.
        step_mode: ``"local"`` or ``"global"``.
        name: str.

    >>> import lrkit
    >>> s = Warmup(lrkit.ExponentialDecay(1.0, 10, 0.5), warmup_steps=4)
    >>> s(0), s(2), s(4), s(14)
    (0.0, 0.5, 1.0, 0.5)
    >>> g = Warmup(lrkit.ExponentialDecay(1.0, 10, 0.5), 10, step_mode="global")
    >>> g(5), g(10)
    (0.25, 0.5)
    """

    _config_attrs = (
        ("schedule", "schedule"),
        ("warmup_steps", "warmup_steps"),
        ("initial_learning_rate", "initial_learning_rate"),
        ("shape", "shape"),
        ("power", "power"),
        ("step_mode", "step_mode"),
        ("name", "name"),
    )
    _schedule_keys = frozenset({"schedule"})

    _length_args = ("warmup_steps",)

    def __init__(
        self,
        schedule: Any,
        warmup_steps: int | float,
        initial_learning_rate: float = 0.0,
        shape: str = "linear",
        power: float = 1.0,
        step_mode: str = "local",
        name: str = "Warmup",
    ) -> None:
        self.schedule = child("schedule", schedule)
        self.warmup_steps = v.nonnegative("warmup_steps", warmup_steps)
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        if shape not in SHAPES:
            raise ValueError(
                f"Argument `shape` must be one of {SHAPES}. Received: shape={shape!r}."
            )
        self.shape = shape
        self.power = v.positive("power", power)
        self.step_mode = check_step_mode(step_mode)
        self.name = v.schedule_name(name, "Warmup")
        self._w = v.as_exact(self.warmup_steps)
        self._global = self.step_mode == "global"
        self._peak = float(self.schedule(self._w if self._global else 0)) if self._w else 0.0
        self._inner = formula(self.schedule)  # resolved once
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import boundaries_of, shift

        w, inner = self._w, self.schedule
        if not w:
            return boundaries_of(inner, last_step)
        if self._global:  # the schedule's own, past the warmup
            after = [b for b in boundaries_of(inner, last_step) if b[0] > w]
        else:  # the schedule's, shifted by the warmup
            after = shift(boundaries_of(inner, last_step - w), w) if last_step > w else []
        return [(w, "warmup end"), *after]

    def _horizon(self) -> int | float | None:
        from lrkit.core.phases import horizon_of, past

        w, inner = self._w, horizon_of(self.schedule)
        if not w:
            return inner
        if inner is None:  # a warmup, then no end: a little past the warmup
            return past(w)
        return max(w, inner) if self._global else w + inner

    def _rise(self, xp: Ops, step: Any) -> Any:
        x = xp.divide(xp.minimum(step, self._w), self._w)
        if self.shape == "polynomial":
            x = xp.pow(x, self.power)
        elif self.shape == "cosine":
            x = cosine_remaining(xp, x)
        return self.initial_learning_rate + (self._peak - self.initial_learning_rate) * x

    def _after(self, xp: Ops, step: Any) -> Any:
        return self._inner(xp, step if self._global else xp.since(step, self._w))

    def _compute(self, xp: Ops, step: Any) -> Any:
        if not self._w:
            return self._inner(xp, step)
        return xp.switch(step >= self._w, (self._rise, self._after), xp, step)
