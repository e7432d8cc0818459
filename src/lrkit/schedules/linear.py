"""`Linear`, `Polynomial` (with warmup) and `PiecewiseLinear`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.core.ops import Ops
from lrkit.core.registry import builtin
from lrkit.schedules._pieces import Knots, choice, lerp, with_warmup


@builtin(module="lrkit")
class Linear(LearningRateSchedule):
    r"""A straight line from one rate to another, then constant.

    .. math::

        \eta(t) = \begin{cases}
            \eta_0 & t < B \\
            \eta_0 + (\eta_1 - \eta_0)\,(t - B) / T & B \le t < B + T \\
            \eta_1 & t \ge B + T
        \end{cases}

    Matches optax ``linear_schedule(init_value, end_value, transition_steps,
    transition_begin)`` and torch ``LinearLR(start_factor, end_factor, total_iters)``
    on an optimizer whose rate is ``lr``: ``Linear(lr * start_factor, lr * end_factor,
    total_iters)``. Used as a warmup, it is transformers' ``constant_with_warmup``:
    ``Linear(0.0, lr, num_warmup_steps)``. The elapsed steps are exact integers and
    the line is exact at both ends. With ``transition_steps=0`` the rate is
    :math:`\eta_1` from step :math:`B` on (optax and torch hold the start value
    instead: see docs/schedules.md).

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        end_learning_rate: float, finite (:math:`\eta_1`).
        transition_steps: number >= 0 (:math:`T`).
        transition_begin: number >= 0 (:math:`B`). Steps held at :math:`\eta_0` first.
        name: str.

    >>> s = Linear(0.0, 1.0, transition_steps=10)
    >>> s(0), s(5), s(10), s(20)
    (0.0, 0.5, 1.0, 1.0)
    >>> b = Linear(1.0, 0.0, 4, transition_begin=2)
    >>> b(0), b(2), b(3), b(6)
    (1.0, 1.0, 0.75, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("end_learning_rate", "end_learning_rate"),
        ("transition_steps", "transition_steps"),
        ("transition_begin", "transition_begin"),
        ("name", "name"),
    )

    _length_args = ("transition_steps", "transition_begin")

    def __init__(
        self,
        initial_learning_rate: float,
        end_learning_rate: float,
        transition_steps: int | float,
        transition_begin: int | float = 0,
        name: str = "Linear",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.end_learning_rate = v.number("end_learning_rate", end_learning_rate)
        self.transition_steps = v.nonnegative("transition_steps", transition_steps)
        self.transition_begin = v.nonnegative("transition_begin", transition_begin)
        self.name = v.schedule_name(name, "Linear")
        self._t = v.as_exact(self.transition_steps)
        self._b = v.as_exact(self.transition_begin)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        # the line starts at B and ends at B + T (one jump at B when T = 0)
        b, t = self._b, self._t
        rising = self.end_learning_rate > self.initial_learning_rate
        out = [(b + t, "warmup end" if rising else "decay end")]
        return [*out, (b, "warmup start" if rising else "decay start")] if t else out

    def _horizon(self) -> int | float | None:
        return self._b + self._t

    def _compute(self, xp: Ops, step: Any) -> Any:
        start, end = float(self.initial_learning_rate), float(self.end_learning_rate)
        if self._t == 0:
            return xp.where(step < self._b, start, end)
        elapsed = xp.minimum(xp.since(step, self._b), self._t)
        return lerp(xp, start, end, elapsed, self._t)


@builtin(module="lrkit")
class Polynomial(LearningRateSchedule):
    r"""Polynomial decay to an end rate, after an optional linear warmup.

    .. math::

        \eta(t) = \begin{cases}
            \eta_w + (\eta_0 - \eta_w)\, t / W & t < W \\
            (\eta_0 - \eta_e) \left(1 - \min(t - W, D) / D\right)^{p} + \eta_e & t \ge W
        \end{cases}

    Matches transformers ``get_polynomial_decay_schedule_with_warmup`` (scheduler
    ``"polynomial"``: ``Polynomial(lr, num_training_steps - num_warmup_steps,
    end_learning_rate=lr_end, power=power, warmup_steps=num_warmup_steps)``; with
    ``power=1`` and ``lr_end=0`` this is also transformers' ``"linear"``) and optax
    ``polynomial_schedule(init_value, end_value, power, transition_steps,
    transition_begin)``: ``Polynomial(init_value, transition_steps, end_value, power,
    warmup_steps=transition_begin, warmup_learning_rate=init_value)`` (a "warmup" from
    the rate to itself holds it). Unlike Keras's ``PolynomialDecay``, ``decay_steps``
    counts the steps after the warmup. The remaining steps are exact integers; with
    ``power=1`` the line is exact at both ends.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`), the rate at the end of
            the warmup.
        decay_steps: number > 0 (:math:`D`).
        end_learning_rate: float, finite (:math:`\eta_e`). Default 0.0.
        power: number >= 0 (:math:`p`). Default 1.0 (linear).
        warmup_steps: number >= 0 (:math:`W`).
        warmup_learning_rate: float, finite (:math:`\eta_w`), the rate at step 0 when
            there is a warmup.
        name: str.

    >>> s = Polynomial(1.0, decay_steps=10, power=2.0, warmup_steps=4)
    >>> s(0), s(2), s(4), s(9), s(14), s(100)
    (0.0, 0.5, 1.0, 0.25, 0.0, 0.0)
    """

    _config_attrs = (
        ("initial_learning_rate", "initial_learning_rate"),
        ("decay_steps", "decay_steps"),
        ("end_learning_rate", "end_learning_rate"),
        ("power", "power"),
        ("warmup_steps", "warmup_steps"),
        ("warmup_learning_rate", "warmup_learning_rate"),
        ("name", "name"),
    )

    _length_args = ("decay_steps", "warmup_steps")

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        end_learning_rate: float = 0.0,
        power: float = 1.0,
        warmup_steps: int | float = 0,
        warmup_learning_rate: float = 0.0,
        name: str = "Polynomial",
    ) -> None:
        self.initial_learning_rate = v.number("initial_learning_rate", initial_learning_rate)
        self.decay_steps = v.positive("decay_steps", decay_steps)
        self.end_learning_rate = v.number("end_learning_rate", end_learning_rate)
        self.power = v.nonnegative("power", power)
        self.warmup_steps = v.nonnegative("warmup_steps", warmup_steps)
        self.warmup_learning_rate = v.number("warmup_learning_rate", warmup_learning_rate)
        self.name = v.schedule_name(name, "Polynomial")
        self._d = v.as_exact(self.decay_steps)
        self._w = v.as_exact(self.warmup_steps)
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        w, d = self._w, self._d
        # a "warmup" from the rate to itself holds it (optax's transition_begin)
        held = self.warmup_learning_rate == self.initial_learning_rate
        out = [(w, "decay start" if held else "warmup end")] if w else []
        return [*out, (w + d, "decay end")]

    def _horizon(self) -> int | float | None:
        return self._w + self._d

    def _compute(self, xp: Ops, step: Any) -> Any:
        peak, end, d = float(self.initial_learning_rate), float(self.end_learning_rate), self._d
        elapsed = xp.minimum(xp.since(step, self._w), d)
        if self.power == 1:
            decay = lerp(xp, peak, end, elapsed, d)
        else:
            frac = xp.divide(d - elapsed, d)
            decay = (peak - end) * xp.pow(frac, float(self.power)) + end
        return with_warmup(xp, step, self._w, float(self.warmup_learning_rate), peak, decay)


INTERPOLATIONS = ("linear", "cosine")


@builtin(module="lrkit")
class PiecewiseLinear(LearningRateSchedule):
    r"""Interpolation through ``(step, value)`` knots.

    With knots :math:`(x_0, y_0), \dots, (x_n, y_n)`, :math:`x` non-decreasing:

    .. math::

        \eta(t) = \begin{cases}
            y_0 & t < x_0 \\
            y_k + (y_{k+1} - y_k)\, f\!\left(\frac{t - x_k}{x_{k+1} - x_k}\right)
                & x_k \le t < x_{k+1} \\
            y_n & t \ge x_n
        \end{cases}

    with :math:`f(u) = u` (``interpolation="linear"``) or :math:`(1 - \cos \pi u)/2`
    (``"cosine"``). Two knots at one step make a jump, and that step takes the second
    value. The segment is found by binary search (O(log n) per call); the elapsed
    steps are exact integers when the knots are integers, and each segment is exact at
    both of its ends.

    Anchors: optax ``piecewise_interpolate_schedule`` is :meth:`from_scales`; a plain
    list of knots is the usual "linear warmup then linear decay" (transformers'
    ``"linear"`` is ``PiecewiseLinear([(0, 0.0), (W, lr), (N, 0.0)])``).

    Args:
        knots: a non-empty sequence of ``(step, value)`` pairs of finite numbers, steps
            non-decreasing, at most two knots at one step.
        interpolation: ``"linear"`` or ``"cosine"``.
        name: str.

    >>> s = PiecewiseLinear([(0, 0.0), (10, 1.0), (110, 0.1)])
    >>> s(0), s(5), s(10), s(60), s(110), s(500)
    (0.0, 0.5, 1.0, 0.55, 0.1, 0.1)
    >>> jump = PiecewiseLinear([(0, 1.0), (5, 1.0), (5, 0.5), (10, 0.0)])
    >>> jump(4), jump(5), jump(6)
    (1.0, 0.5, 0.4)
    """

    _config_attrs = (("knots", "knots"), ("interpolation", "interpolation"), ("name", "name"))

    _length_args = ("knots[][0]",)

    def __init__(
        self,
        knots: Sequence[Sequence[int | float]],
        interpolation: str = "linear",
        name: str = "PiecewiseLinear",
    ) -> None:
        self.knots = _knots(knots)
        self.interpolation = choice("interpolation", interpolation, INTERPOLATIONS)
        self.name = v.schedule_name(name, "PiecewiseLinear")
        xs = [x for x, _ in self.knots]
        self._knots = Knots(xs, [y for _, y in self.knots], self.interpolation == "cosine")
        self._freeze()

    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        from lrkit.core.phases import upto

        return upto(self._knots.xs, last_step, "boundary")  # each knot's step

    def _horizon(self) -> int | float | None:
        return self._knots.xs[-1]  # the last knot: constant from there on

    @classmethod
    def from_scales(
        cls,
        init_value: float,
        boundaries_and_scales: Mapping[int | float, float] | None = None,
        interpolation: str = "linear",
        name: str = "PiecewiseLinear",
    ) -> PiecewiseLinear:
        """optax's ``piecewise_interpolate_schedule(interpolation, init_value,
        boundaries_and_scales)``: the knots are ``(0, init_value)`` and, at each
        boundary in order, the previous value times its scale.

        >>> s = PiecewiseLinear.from_scales(1.0, {4: 0.5, 8: 0.5})
        >>> s.knots
        ((0, 1.0), (4, 0.5), (8, 0.25))
        >>> s(2), s(6), s(100)
        (0.75, 0.375, 0.25)
        """
        init = v.number("init_value", init_value)
        if boundaries_and_scales is None:
            boundaries_and_scales = {}
        if not isinstance(boundaries_and_scales, Mapping):
            raise TypeError(
                "Argument `boundaries_and_scales` must be a dict {step: scale}. "
                f"Received: boundaries_and_scales={boundaries_and_scales!r}."
            )
        items = []
        for b, s in boundaries_and_scales.items():
            step = v.number("boundaries_and_scales", b)
            scale = v.number(f"boundaries_and_scales[{b!r}]", s)
            if step < 0:
                raise ValueError(
                    "Argument `boundaries_and_scales` must have steps >= 0 as keys. "
                    f"Received: a key {b!r}."
                )
            if scale < 0:
                raise ValueError(
                    "Argument `boundaries_and_scales` must have scales >= 0 (as optax). "
                    f"Received: boundaries_and_scales[{b!r}]={s!r}."
                )
            items.append((step, scale))
        knots: list[tuple[int | float, float]] = [(0, float(init))]
        value = float(init)
        for b, s in sorted(items):
            value *= s
            knots.append((b, value))
        return cls(knots, interpolation=interpolation, name=name)

    def _compute(self, xp: Ops, step: Any) -> Any:
        return self._knots(xp, step)


def _knots(value: Any) -> tuple[tuple[int | float, float], ...]:
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise TypeError(
            "Argument `knots` must be a list of (step, value) pairs, not "
            f"{type(value).__name__}. Received: knots={v.shown(value)}."
        )
    out = []
    for i, pair in enumerate(value):
        if (
            isinstance(pair, (str, bytes, Mapping))
            or not hasattr(pair, "__len__")
            or len(pair) != 2
        ):
            raise TypeError(
                "Argument `knots` must hold (step, value) pairs. "
                f"Received: knots[{i}]={v.shown(pair)}."
            )
        out.append((v.number(f"knots[{i}][0]", pair[0]), v.number(f"knots[{i}][1]", pair[1])))
    if not out:
        raise ValueError(
            "Argument `knots` must hold at least one (step, value) pair. Received: knots=[]."
        )
    for i in range(1, len(out)):
        if out[i][0] < out[i - 1][0]:
            raise ValueError(
                "Argument `knots` must have non-decreasing steps. Received: "
                f"knots[{i - 1}][0]={out[i - 1][0]!r}, knots[{i}][0]={out[i][0]!r}."
            )
        if i >= 2 and out[i][0] == out[i - 2][0]:
            raise ValueError(
                "Argument `knots` may have at most two knots at one step (a jump). "
                f"Received: three at step {out[i][0]!r}."
            )
    return tuple(out)
