"""optax's schedule functions under their own names, returning lrkit schedules.

Change ``optax.`` to ``lrkit.optax.`` and nothing else: each function takes optax's
arguments with optax's defaults and returns an lrkit schedule built from lrkit's
classes, which optax accepts as it is (``optax.adam(lrkit.optax.cosine_decay_schedule(
1e-3, 10_000))``). Nothing here imports optax or JAX.

The values are optax's (in float64, with lrkit's exact integer logic), except where
optax is wrong: there a bad argument is refused at construction, in optax's argument
names, or the value is the one optax documents (see docs/differences.md).

>>> import lrkit.optax
>>> s = lrkit.optax.warmup_cosine_decay_schedule(0.0, 1.0, warmup_steps=100, decay_steps=1000)
>>> s
Cosine(initial_learning_rate=1.0, decay_steps=900, warmup_steps=100)
>>> s(0), s(50), s(100), s(1000)
(0.0, 0.5, 1.0, 0.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from lrkit.compose.arithmetic import Clamp, Scale, Sum
from lrkit.compose.join import Join
from lrkit.compose.offset import Offset
from lrkit.compose.warmup import Warmup
from lrkit.core import validate as v
from lrkit.core.base import LearningRateSchedule
from lrkit.schedules._pieces import fraction_of, integer, unit_interval
from lrkit.schedules.constant import Constant
from lrkit.schedules.cosine_variants import Cosine
from lrkit.schedules.exponential import ExponentialDecay
from lrkit.schedules.linear import Linear, PiecewiseLinear, Polynomial
from lrkit.schedules.one_cycle import OneCycle

Number = int | float

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


def _real(name: str, value: Any) -> Number:
    """A finite number; a 0-d array (optax takes ``ArrayLike``) becomes its Python number."""
    if not isinstance(value, numbers.Real) and getattr(value, "shape", None) == ():
        item = getattr(value, "item", None)
        if callable(item):
            value = item()
    return v.number(name, value)


def _steps(name: str, value: Any) -> Number:
    """A step count >= 0 (optax silently clamps a negative one to 0)."""
    return v.as_exact(v.nonnegative(name, _real(name, value)))


def _exponent(value: Any) -> Number:
    return v.positive("exponent", _real("exponent", value))


def _scales(value: Any) -> list[tuple[Number, float]]:
    """``boundaries_and_scales`` as sorted ``(step, scale)`` pairs, steps and scales >= 0."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise TypeError(
            "Argument `boundaries_and_scales` must be a dict {step: scale} or None. "
            f"Received: boundaries_and_scales={v.shown(value)}."
        )
    items = []
    for b, s in value.items():
        step = _real("boundaries_and_scales", b)
        scale = _real(f"boundaries_and_scales[{b!r}]", s)
        if step < 0:
            raise ValueError(
                "Argument `boundaries_and_scales` must have steps >= 0 as keys. "
                f"Received: a key {v.shown(b)}."
            )
        if scale < 0:
            raise ValueError(
                "Argument `boundaries_and_scales` must have scales >= 0. "
                f"Received: boundaries_and_scales[{b!r}]={v.shown(s)}."
            )
        items.append((v.as_exact(step), float(scale)))
    return sorted(items)


# -- constant, linear, polynomial -----------------------------------------------------------


def constant_schedule(value: float) -> LearningRateSchedule:
    r"""optax's ``constant_schedule``: :math:`\eta(t) = v`.

    Args:
        value: float, finite (:math:`v`).

    >>> constant_schedule(5)(0), constant_schedule(5)(100)
    (5.0, 5.0)
    """
    return Constant(_real("value", value))


def polynomial_schedule(
    init_value: float,
    end_value: float,
    power: float,
    transition_steps: int,
    transition_begin: int = 0,
) -> LearningRateSchedule:
    r"""optax's ``polynomial_schedule``: from ``init_value`` to ``end_value`` on a power.

    .. math::

        \eta(t) = \begin{cases}
            I & t < B \\
            (I - E) \left(1 - \frac{t - B}{T}\right)^{P} + E & B \le t < B + T \\
            E & t \ge B + T
        \end{cases}

    A ``Polynomial`` holding ``init_value`` for ``transition_begin`` steps. With
    ``transition_steps=0`` the rate is :math:`E` from :math:`B` on (optax holds
    :math:`I` for ever).

    Args:
        init_value: float, finite (:math:`I`).
        end_value: float, finite (:math:`E`).
        power: number >= 0 (:math:`P`).
        transition_steps: number >= 0 (:math:`T`).
        transition_begin: number >= 0 (:math:`B`).

    >>> s = polynomial_schedule(1.0, 0.0, power=2, transition_steps=10, transition_begin=5)
    >>> s(0), s(5), s(10), s(15), s(100)
    (1.0, 1.0, 0.25, 0.0, 0.0)
    """
    init, end = _real("init_value", init_value), _real("end_value", end_value)
    p = v.nonnegative("power", _real("power", power))
    steps = _steps("transition_steps", transition_steps)
    begin = _steps("transition_begin", transition_begin)
    if steps == 0:
        return Linear(init, end, 0, transition_begin=begin)
    return Polynomial(init, steps, end, p, warmup_steps=begin, warmup_learning_rate=init)


def linear_schedule(
    init_value: float,
    end_value: float,
    transition_steps: int,
    transition_begin: int = 0,
) -> LearningRateSchedule:
    r"""optax's ``linear_schedule``: a straight line from ``init_value`` to ``end_value``.

    .. math::

        \eta(t) = I + (E - I)\, \frac{\min(\max(t - B, 0), T)}{T}

    A ``Linear``. With ``transition_steps=0`` the rate is :math:`E` from :math:`B` on
    (optax holds :math:`I` for ever).

    Args:
        init_value: float, finite (:math:`I`).
        end_value: float, finite (:math:`E`).
        transition_steps: number >= 0 (:math:`T`).
        transition_begin: number >= 0 (:math:`B`).

    >>> s = linear_schedule(1.0, 0.0, transition_steps=4, transition_begin=2)
    >>> s(0), s(2), s(3), s(6), s(100)
    (1.0, 1.0, 0.75, 0.0, 0.0)
    """
    init, end = _real("init_value", init_value), _real("end_value", end_value)
    steps = _steps("transition_steps", transition_steps)
    begin = _steps("transition_begin", transition_begin)
    return Linear(init, end, steps, transition_begin=begin)


# -- exponential ------------------------------------------------------------------------------


def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> LearningRateSchedule:
    r"""optax's ``exponential_decay``: continuous or staircase, after a delay, bounded.

    .. math::

        \eta(t) = \operatorname{clip}\left(I\, r^{\,p}\right), \qquad
        p = \frac{\max(t - B, 0)}{T} \ \text{(or its floor, with staircase)}

    clipped below at ``end_value`` when :math:`r < 1`, above when :math:`r \ge 1`. An
    ``ExponentialDecay``, in an ``Offset`` for :math:`B > 0` and a ``Clamp`` for an
    ``end_value``.

    Args:
        init_value: float, finite (:math:`I`).
        transition_steps: number > 0 (:math:`T`).
        decay_rate: number > 0 (:math:`r`).
        transition_begin: number >= 0 (:math:`B`).
        staircase: bool.
        end_value: float, finite, or None (no bound).

    >>> s = exponential_decay(1.0, 10, 0.5, transition_begin=5, end_value=0.2)
    >>> s(0), s(5), s(15), s(25), s(100)
    (1.0, 1.0, 0.5, 0.25, 0.2)
    """
    init = _real("init_value", init_value)
    steps = v.as_exact(v.positive("transition_steps", _real("transition_steps", transition_steps)))
    rate = v.positive("decay_rate", _real("decay_rate", decay_rate))
    begin = _steps("transition_begin", transition_begin)
    stairs = v.boolean("staircase", staircase)
    end = None if end_value is None else _real("end_value", end_value)
    out: LearningRateSchedule = ExponentialDecay(init, steps, rate, staircase=stairs)
    if begin:
        out = Offset(out, begin)
    if end is not None:
        out = Clamp(out, min_value=end) if rate < 1 else Clamp(out, max_value=end)
    return out


# -- piecewise ------------------------------------------------------------------------------


def piecewise_constant_schedule(
    init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> LearningRateSchedule:
    r"""optax's ``piecewise_constant_schedule``: scaled at each boundary, from it on.

    .. math::

        \eta(t) = I \prod_{b_i \le t} s_i

    The step of a boundary takes the scaled value (unlike Keras's
    ``PiecewiseConstantDecay``). A ``Join`` of ``Constant`` rates, or a ``Constant``.

    Args:
        init_value: float, finite (:math:`I`).
        boundaries_and_scales: a dict ``{step: scale}``, steps >= 0, scales >= 0, or
            None.

    >>> s = piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.5})
    >>> s(99), s(100), s(199), s(200)
    (1.0, 0.1, 0.1, 0.05)
    """
    value = float(_real("init_value", init_value))
    items = _scales(boundaries_and_scales)
    values, boundaries = [value], []
    for b, s in items:
        value *= s
        if b == 0:  # in force from the start
            values[-1] = value
        else:
            values.append(value)
            boundaries.append(b)
    if not boundaries:
        return Constant(values[0])
    return Join([Constant(x) for x in values], boundaries)


def piecewise_interpolate_schedule(
    interpolate_type: str,
    init_value: float,
    boundaries_and_scales: Mapping[int, float] | None = None,
) -> LearningRateSchedule:
    r"""optax's ``piecewise_interpolate_schedule``: lines or half-cosines between boundaries.

    With :math:`v_0` = ``init_value`` and :math:`v_k = v_{k-1} s_k` at the sorted
    boundaries :math:`b_k` (:math:`b_0 = 0`), for :math:`b_k \le t < b_{k+1}` and
    :math:`u = (t - b_k)/(b_{k+1} - b_k)`:

    .. math::

        \eta(t) = v_k + (v_{k+1} - v_k)\, f(u), \qquad
        f(u) = u \ \text{(linear)} \ \text{or}\ (1 - \cos \pi u)/2 \ \text{(cosine)}

    and :math:`v_n` from the last boundary on: ``PiecewiseLinear.from_scales``.

    Args:
        interpolate_type: ``"linear"`` or ``"cosine"``.
        init_value: float, finite (:math:`v_0`).
        boundaries_and_scales: a dict ``{step: scale}``, steps >= 0, scales >= 0, or
            None.

    >>> s = piecewise_interpolate_schedule("linear", 1.0, {4: 0.1, 8: 0.01})
    >>> s(0), s(2), s(4), s(8), s(10)
    (1.0, 0.55, 0.1, 0.001, 0.001)
    """
    if interpolate_type not in ("linear", "cosine"):
        raise ValueError(
            "Argument `interpolate_type` must be 'linear' or 'cosine'. "
            f"Received: interpolate_type={v.shown(interpolate_type)}."
        )
    init = _real("init_value", init_value)
    scales = dict(_scales(boundaries_and_scales))
    return PiecewiseLinear.from_scales(init, scales, interpolation=interpolate_type)


# -- cosine ---------------------------------------------------------------------------------


def cosine_decay_schedule(
    init_value: float,
    decay_steps: int,
    alpha: float = 0.0,
    exponent: float = 1.0,
) -> LearningRateSchedule:
    r"""optax's ``cosine_decay_schedule``: a half-cosine from ``init_value`` to a floor.

    .. math::

        \eta(t) = I \left((1 - \alpha) \left(\frac{1 + \cos(\pi \min(t, T) / T)}{2}
        \right)^{p} + \alpha\right)

    A ``Cosine``.

    Args:
        init_value: float, finite (:math:`I`).
        decay_steps: number > 0 (:math:`T`).
        alpha: float, finite (:math:`\alpha`): the floor, as a fraction of
            ``init_value``.
        exponent: number > 0 (:math:`p`).

    >>> s = cosine_decay_schedule(1.0, 100, alpha=0.1)
    >>> s(0), round(s(50), 12), s(100), s(1000)
    (1.0, 0.55, 0.1, 0.1)
    """
    init = _real("init_value", init_value)
    steps = v.positive("decay_steps", _real("decay_steps", decay_steps))
    return Cosine(init, steps, _real("alpha", alpha), _exponent(exponent))


def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> LearningRateSchedule:
    r"""optax's ``warmup_cosine_decay_schedule``: a linear warmup, then a cosine decay.

    With :math:`D` = ``decay_steps - warmup_steps`` (``decay_steps`` counts the warmup)
    and :math:`f(t) = (1 + \cos(\pi \min(t - W, D) / D))/2`:

    .. math::

        \eta(t) = \begin{cases}
            I + (P - I)\, t / W & t < W \\
            (P - E)\, f(t)^{p} + E & t \ge W
        \end{cases}

    A ``Cosine`` with a warmup, with ``alpha = end_value / peak_value``. With
    ``peak_value=0`` the decay still ends at ``end_value`` (optax then ignores
    ``end_value``): a ``Warmup`` of ``E - E f^p``.

    Args:
        init_value: float, finite (:math:`I`).
        peak_value: float, finite (:math:`P`).
        warmup_steps: number >= 0 (:math:`W`).
        decay_steps: number > ``warmup_steps``: the whole schedule's length.
        end_value: float, finite (:math:`E`).
        exponent: number > 0 (:math:`p`).

    >>> s = warmup_cosine_decay_schedule(0.0, 1.0, 10, 110, end_value=0.1)
    >>> s(0), s(5), s(10), round(s(60), 12), s(110), s(1000)
    (0.0, 0.5, 1.0, 0.55, 0.1, 0.1)
    """
    init, peak = _real("init_value", init_value), _real("peak_value", peak_value)
    warmup = _steps("warmup_steps", warmup_steps)
    total = v.as_exact(_real("decay_steps", decay_steps))
    end, p = _real("end_value", end_value), _exponent(exponent)
    if not total > warmup:
        raise ValueError(
            "Argument `decay_steps` must be > `warmup_steps` (it counts the warmup steps "
            f"too). Received: decay_steps={v.shown(decay_steps)}, "
            f"warmup_steps={v.shown(warmup_steps)}."
        )
    length = v.as_exact(total - warmup)
    if peak == 0 and end != 0:
        decay = Sum([Scale(Cosine(1.0, length, exponent=p), -float(end)), Constant(end)])
        return Warmup(decay, warmup, initial_learning_rate=init) if warmup else decay
    alpha = end / peak if peak else 0.0
    return Cosine(
        peak, length, alpha=alpha, exponent=p, warmup_steps=warmup, warmup_learning_rate=init
    )


def warmup_constant_schedule(
    init_value: float, peak_value: float, warmup_steps: int
) -> LearningRateSchedule:
    r"""optax's ``warmup_constant_schedule``: a linear warmup, then the peak for ever.

    .. math::

        \eta(t) = I + (P - I)\, \min(t, W) / W

    A ``Linear``. With ``warmup_steps=0`` the rate is :math:`P` from step 0 (optax holds
    :math:`I` for ever).

    Args:
        init_value: float, finite (:math:`I`).
        peak_value: float, finite (:math:`P`).
        warmup_steps: number >= 0 (:math:`W`).

    >>> s = warmup_constant_schedule(0.0, 1.0, 10)
    >>> s(0), s(5), s(10), s(1000)
    (0.0, 0.5, 1.0, 1.0)
    """
    init, peak = _real("init_value", init_value), _real("peak_value", peak_value)
    return Linear(init, peak, _steps("warmup_steps", warmup_steps))


def warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> LearningRateSchedule:
    r"""optax's ``warmup_exponential_decay_schedule``: a linear warmup, then
    :func:`exponential_decay` from ``peak_value``, on the steps after the warmup.

    .. math::

        \eta(t) = \begin{cases}
            I + (P - I)\, t / W & t < W \\
            \text{exponential\_decay}(P, T, r, B, \text{staircase}, E)(t - W) & t \ge W
        \end{cases}

    A ``Join`` of a ``Linear`` and the decay.

    Args:
        init_value: float, finite (:math:`I`).
        peak_value: float, finite (:math:`P`).
        warmup_steps: number >= 0 (:math:`W`).
        transition_steps: number > 0 (:math:`T`).
        decay_rate: number > 0 (:math:`r`).
        transition_begin: number >= 0 (:math:`B`), counted after the warmup.
        staircase: bool.
        end_value: float, finite, or None.

    >>> s = warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5)
    >>> s(0), s(5), s(10), s(20), s(30)
    (0.0, 0.5, 1.0, 0.5, 0.25)
    """
    init, peak = _real("init_value", init_value), _real("peak_value", peak_value)
    warmup = _steps("warmup_steps", warmup_steps)
    decay = exponential_decay(
        peak, transition_steps, decay_rate, transition_begin, staircase, end_value
    )
    if not warmup:
        return decay
    return Join([Linear(init, peak, warmup), decay], [warmup])


def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> LearningRateSchedule:
    r"""optax's ``sgdr_schedule``: warm restarts, one :func:`warmup_cosine_decay_schedule`
    per dict, each lasting its ``decay_steps``.

    .. math::

        \eta(t) = s_k(t - c_k), \qquad c_k \le t < c_{k+1},\quad
        c_k = \sum_{j < k} \texttt{decay\_steps}_j

    A ``Join`` of the cycles (the last holds its end value).

    Args:
        cosine_kwargs: a non-empty iterable of dicts of
            :func:`warmup_cosine_decay_schedule` arguments.

    >>> cycle = dict(init_value=0.0, peak_value=1.0, warmup_steps=2, decay_steps=10)
    >>> s = sgdr_schedule([cycle, cycle])
    >>> s(0), s(2), s(10), s(12), s(20)
    (0.0, 1.0, 0.0, 1.0, 0.0)
    """
    if isinstance(cosine_kwargs, (str, bytes, Mapping)) or not isinstance(cosine_kwargs, Iterable):
        raise TypeError(
            "Argument `cosine_kwargs` must be a list of dicts of warmup_cosine_decay_schedule "
            f"arguments. Received: cosine_kwargs={v.shown(cosine_kwargs)}."
        )
    schedules: list[LearningRateSchedule] = []
    boundaries: list[Number] = []
    at: Number = 0
    for i, kwargs in enumerate(cosine_kwargs):
        if not isinstance(kwargs, Mapping):
            raise TypeError(
                f"Argument `cosine_kwargs[{i}]` must be a dict of warmup_cosine_decay_schedule "
                f"arguments. Received: cosine_kwargs[{i}]={v.shown(kwargs)}."
            )
        try:
            cycle = warmup_cosine_decay_schedule(**kwargs)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"In `cosine_kwargs[{i}]`: {exc}") from None
        schedules.append(cycle)
        at = v.as_exact(at + _real("decay_steps", kwargs["decay_steps"]))
        boundaries.append(at)
    if not schedules:
        raise ValueError(
            "Argument `cosine_kwargs` must hold at least one dict. Received: cosine_kwargs=[]."
        )
    if len(schedules) == 1:
        return schedules[0]
    return Join(schedules, boundaries[:-1])


# -- one cycle ------------------------------------------------------------------------------


def _onecycle_steps(transition_steps: Any) -> int:
    return integer("transition_steps", _real("transition_steps", transition_steps), 1)


def cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> LearningRateSchedule:
    r"""optax's ``cosine_onecycle_schedule``: half-cosines up to a peak and far down.

    With :math:`P` = ``peak_value``, :math:`d` = ``div_factor``, :math:`d_f` =
    ``final_div_factor``, :math:`T` = ``transition_steps`` and the peak at
    :math:`K = \lfloor p_s T \rfloor`, the rate anneals by half-cosines through

    .. math::

        (0, P/d) \to (K, P) \to (T, P / (d\, d_f))

    and holds its last value. :math:`p_s T` is the exact product (``0.29 * 100`` is
    29): a ``OneCycle`` with ``convention="optax"``.

    Args:
        transition_steps: whole number >= 1 (:math:`T`).
        peak_value: float, finite (:math:`P`).
        pct_start: number in [0, 1) (:math:`p_s`), leaving steps after the peak.
        div_factor: number > 0 (:math:`d`).
        final_div_factor: number > 0 (:math:`d_f`).

    >>> s = cosine_onecycle_schedule(100, 1.0, pct_start=0.25, div_factor=10.0,
    ...                              final_div_factor=10.0)
    >>> s(0), s(25), s(100), s(1000)
    (0.1, 1.0, 0.01, 0.01)
    """
    steps = _onecycle_steps(transition_steps)
    peak = _real("peak_value", peak_value)
    return OneCycle(
        peak,
        steps,
        _real("pct_start", pct_start),
        div_factor=_real("div_factor", div_factor),
        final_div_factor=_real("final_div_factor", final_div_factor),
        convention="optax",
    )


def linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> LearningRateSchedule:
    r"""optax's ``linear_onecycle_schedule``: three straight lines, up, down, and far down.

    With the notation of :func:`cosine_onecycle_schedule` and :math:`K_2 = \lfloor p_f T
    \rfloor`, the rate runs on straight lines through

    .. math::

        (0, P/d) \to (K, P) \to (K_2, P/d) \to (T, P / (d\, d_f))

    and holds its last value: a three-phase ``OneCycle`` with ``convention="optax"``.

    Args:
        transition_steps: whole number >= 1 (:math:`T`).
        peak_value: float, finite (:math:`P`).
        pct_start: number in [0, 1] (:math:`p_s`).
        pct_final: number in [0, 1] (:math:`p_f`), with :math:`K < K_2 < T`.
        div_factor: number > 0 (:math:`d`).
        final_div_factor: number > 0 (:math:`d_f`).

    >>> s = linear_onecycle_schedule(100, 1.0, 0.25, 0.75, div_factor=10.0,
    ...                              final_div_factor=10.0)
    >>> s(0), s(25), s(50), s(75), s(100)
    (0.1, 1.0, 0.55, 0.1, 0.01)
    """
    steps = _onecycle_steps(transition_steps)
    peak = _real("peak_value", peak_value)
    start = unit_interval("pct_start", _real("pct_start", pct_start))
    final = unit_interval("pct_final", _real("pct_final", pct_final))
    first, second = fraction_of(start, steps, -1), fraction_of(final, steps, -1)
    if not first < second < steps:
        raise ValueError(
            "Arguments `pct_start` and `pct_final` must place the peak before the end of the "
            f"second phase, and that before `transition_steps`: the peak would be at step "
            f"{first}, the second phase end at {second}, the end at {steps}. Received: "
            f"pct_start={v.shown(pct_start)}, pct_final={v.shown(pct_final)}, "
            f"transition_steps={v.shown(transition_steps)}."
        )
    return OneCycle(
        peak,
        steps,
        start,
        anneal_strategy="linear",
        div_factor=_real("div_factor", div_factor),
        final_div_factor=_real("final_div_factor", final_div_factor),
        three_phase=True,
        pct_final=final,
        convention="optax",
    )


# -- join -----------------------------------------------------------------------------------


def join_schedules(
    schedules: Sequence[Callable[[Any], Any]], boundaries: Sequence[int]
) -> LearningRateSchedule:
    r"""optax's ``join_schedules``: schedules one after another, each restarted at its
    boundary.

    .. math::

        \eta(t) = s_i(t - b_{i-1}), \qquad b_{i-1} \le t < b_i,\ b_{-1} = 0

    A boundary step belongs to the schedule that starts there: a ``Join`` with
    ``step_mode="local"``. The schedules may be lrkit schedules or any callables of the
    step (optax's own included).

    Args:
        schedules: a list of n >= 1 schedules.
        boundaries: n - 1 strictly increasing numbers >= 0.

    >>> s = join_schedules([constant_schedule(1.0), linear_schedule(1.0, 0.0, 10)], [5])
    >>> s(4), s(5), s(10), s(15)
    (1.0, 1.0, 0.5, 0.0)
    """
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Iterable):
        raise TypeError(
            f"Argument `schedules` must be a list of schedules. Received: {v.shown(schedules)}."
        )
    if isinstance(boundaries, (str, bytes)) or not isinstance(boundaries, Iterable):
        raise TypeError(
            "Argument `boundaries` must be a list of numbers. "
            f"Received: boundaries={v.shown(boundaries)}."
        )
    return Join(list(schedules), [_real(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)])


#: every function here, by name (what a SPEC such as ``optax.linear_schedule(...)`` may call)
FUNCTIONS: dict[str, Callable[..., LearningRateSchedule]] = {
    name: globals()[name] for name in __all__
}

# reduce on plateau, as a gradient transformation (not a schedule: not in FUNCTIONS)
from lrkit._optax_plateau import PlateauState, scale_by_plateau  # noqa: E402

__all__ += ["PlateauState", "scale_by_plateau"]
