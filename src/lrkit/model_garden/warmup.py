"""Model Garden's warmups: ``LinearWarmup`` and ``PolynomialWarmUp``.

Both wrap a schedule (or a constant rate) that runs on the *global* step: the
warmup covers its first ``warmup_steps`` steps and rises to its value at step
``warmup_steps``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule, evaluate
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin


def _after(value: Any) -> Any:
    """The wrapped schedule: a schedule, any callable of the step, or a constant rate."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return v.number("after_warmup_lr_sched", value)
    if callable(value) and not isinstance(value, type):
        return value
    raise TypeError(
        "Argument `after_warmup_lr_sched` must be a schedule (a callable of the step) or "
        f"a number, not {type(value).__name__}. Received: after_warmup_lr_sched={value!r}."
    )


def _name(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(
        f"Argument `name` must be a string or None, not {type(value).__name__}. "
        f"Received: name={value!r}."
    )


class _ModelGardenWarmup(LearningRateSchedule):
    """The part both warmups share: the wrapped schedule, its peak, the switch at W."""

    _schedule_keys = frozenset({"after_warmup_lr_sched"})
    after_warmup_lr_sched: Any

    def _setup(self, after: Any, warmup_steps: Any) -> None:
        self.after_warmup_lr_sched = _after(after)
        self.warmup_steps = v.nonnegative("warmup_steps", warmup_steps)
        self._w = v.as_exact(self.warmup_steps)
        # the rate the warmup rises to: the wrapped schedule's at step W
        self._peak = float(self._at(self._w)) if self._w else 0.0

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import boundaries_of

        # the wrapped schedule runs on the global step: its boundaries past the warmup
        w, after = self._w, self.after_warmup_lr_sched
        inner = [] if isinstance(after, (int, float)) else boundaries_of(after, last_step)
        return [*([(w, "warmup end")] if w else []), *(b for b in inner if b[0] > w)]

    def _horizon(self) -> int | float | None:
        from lrkit.core.phases import horizon_of, past

        w, after = self._w, self.after_warmup_lr_sched
        inner = None if isinstance(after, (int, float)) else horizon_of(after)
        if not w:
            return inner
        return past(w) if inner is None else max(w, inner)

    def _at(self, step: Any) -> Any:
        after = self.after_warmup_lr_sched
        return float(after) if isinstance(after, (int, float)) else after(step)

    def _tail(self, xp: Ops, step: Any) -> Any:
        after = self.after_warmup_lr_sched
        if isinstance(after, (int, float)):
            return float(after)
        return evaluate(after, xp, step)

    def _rise(self, xp: Ops, step: Any) -> Any:
        raise NotImplementedError

    def _compute(self, xp: Ops, step: Any) -> Any:
        if not self._w:
            return self._tail(xp, step)
        return xp.switch(step >= self._w, (self._rise, self._tail), xp, step)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """From :meth:`get_config`'s output, or from Model Garden's ``get_config()``,
        whose wrapped schedule is a bare config without its class: the class is then
        found from the keys (and the name) when only one schedule fits."""
        inner = config.get("after_warmup_lr_sched")
        if isinstance(inner, Mapping) and "class_name" not in inner:
            from lrkit.model_garden.nested import from_bare_config

            config = {**config, "after_warmup_lr_sched": from_bare_config(inner)}
        return super().from_config(config)


@builtin(module="lrkit")
class LinearWarmup(_ModelGardenWarmup):
    r"""Model Garden's ``LinearWarmup``: a linear ramp in front of a schedule.

    .. math::

        \eta(t) = \begin{cases}
            \eta_w + \frac{t}{W}\,(s(W) - \eta_w) & t < W \\
            s(t) & t \ge W
        \end{cases}

    :math:`s` = ``after_warmup_lr_sched`` runs on the global step, so the warmup
    replaces its first :math:`W` steps and ends at its value :math:`s(W)`. A number
    in place of :math:`s` is a constant rate. ``warmup_steps=0`` is :math:`s`
    itself.

    The config holds the wrapped schedule in ``serialize``'s form (a number stays a
    number), so it loads back; Model Garden's own config, whose wrapped schedule
    lacks its class, is read too when its keys tell the class.

    Args:
        after_warmup_lr_sched: a schedule (lrkit's, or any callable of the step),
            or a number.
        warmup_steps: number >= 0 (:math:`W`).
        warmup_learning_rate: float, finite (:math:`\eta_w`), the rate at step 0.
        name: str or None.

    >>> import lrkit
    >>> s = LinearWarmup(lrkit.ExponentialDecay(1.0, 10, 0.5), warmup_steps=10,
    ...                  warmup_learning_rate=0.0)
    >>> s(0), s(5), s(9), s(10), s(20)
    (0.0, 0.25, 0.45, 0.5, 0.25)
    >>> LinearWarmup(0.1, 4, 0.0)(2)
    0.05
    """

    _config_attrs = (
        ("after_warmup_lr_sched", "after_warmup_lr_sched"),
        ("warmup_steps", "warmup_steps"),
        ("warmup_learning_rate", "warmup_learning_rate"),
        ("name", "name"),
    )

    _length_args = ("warmup_steps",)

    def __init__(
        self,
        after_warmup_lr_sched: Any,
        warmup_steps: int | float,
        warmup_learning_rate: float,
        name: str | None = None,
    ) -> None:
        self.warmup_learning_rate = v.number("warmup_learning_rate", warmup_learning_rate)
        self.name = _name(name)
        self._setup(after_warmup_lr_sched, warmup_steps)
        self._freeze()

    def _rise(self, xp: Ops, step: Any) -> Any:
        start = self.warmup_learning_rate
        return start + xp.divide(step, self._w) * (self._peak - start)


@builtin(module="lrkit")
class PolynomialWarmUp(_ModelGardenWarmup):
    r"""Model Garden's ``PolynomialWarmUp``: a polynomial ramp from 0 in front of a schedule.

    .. math::

        \eta(t) = \begin{cases}
            s(W) \left(\frac{\max(t, 1)}{W}\right)^{p} & t < W \\
            s(t) & t \ge W
        \end{cases}

    :math:`s` = ``after_warmup_lr_sched`` runs on the global step. As in Model
    Garden, step 0 has the rate of step 1, :math:`s(W)\,W^{-p}` (not 0).
    ``warmup_steps=0`` is :math:`s` itself.

    Args:
        after_warmup_lr_sched: a schedule (lrkit's, or any callable of the step),
            or a number.
        warmup_steps: number >= 0 (:math:`W`).
        power: number >= 0 (:math:`p`). Default 1.0.
        name: str or None.

    >>> s = PolynomialWarmUp(1.0, warmup_steps=4, power=2.0)
    >>> s(0), s(1), s(2), s(4)
    (0.0625, 0.0625, 0.25, 1.0)
    """

    _config_attrs = (
        ("after_warmup_lr_sched", "after_warmup_lr_sched"),
        ("warmup_steps", "warmup_steps"),
        ("power", "power"),
        ("name", "name"),
    )

    _length_args = ("warmup_steps",)

    def __init__(
        self,
        after_warmup_lr_sched: Any,
        warmup_steps: int | float,
        power: float = 1.0,
        name: str | None = "PolynomialWarmup",
    ) -> None:
        self.power = v.nonnegative("power", power)
        self.name = _name(name)
        self._setup(after_warmup_lr_sched, warmup_steps)
        self._freeze()

    def _rise(self, xp: Ops, step: Any) -> Any:
        fraction = xp.maximum(xp.astype(step, xp.float_dtype), 1.0) / self._w
        return self._peak * xp.pow(fraction, float(self.power))
