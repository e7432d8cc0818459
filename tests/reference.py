"""An exact reference for lrkit's six schedules, for the tests.

Written from the formulas (Keras's semantics, as lrkit's docstrings state them), not
from lrkit's code. Every discrete decision (staircase floor, polynomial cycle, piecewise
interval, restart index) is made on exact rationals (:class:`fractions.Fraction`), and
the transcendental parts (powers, cosines) are evaluated with mpmath at 50 digits.

``value(class_name, config, step)`` takes the class name, a schedule's config (the keys
of ``get_config()``, Keras's keys) and a step (``int``, ``float`` or ``Fraction``), and
returns the rate as a ``Fraction`` when it is rational, else as an mpmath ``mpf`` of
this module's context :data:`mp`. ``None`` hyperparameters and the ``name`` key are
handled as Keras does.

The one place where the reference follows a convention rather than the mathematics is
``CosineDecayRestarts`` when ``first_decay_steps`` or ``t_mul`` is not a whole number:
period ``i`` then starts at the float64 value of ``first * (t_mul**i - 1) / (t_mul - 1)``
(lrkit's documented convention), and a period ends where the next one starts. Even
then the period holding a step is found by walking the periods one by one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import mpmath

#: decimal digits of the mpmath evaluations
DPS = 50

#: the private mpmath context of the reference (the global ``mpmath.mp`` is untouched)
mp = mpmath.MPContext()
mp.dps = DPS

Number = int | float | Fraction
Value = Fraction | Any  # a Fraction or an mpf of ``mp``


def exact(x: Any) -> Fraction:
    """The exact rational value of a Python number (``bool`` refused)."""
    if isinstance(x, bool):
        raise TypeError(f"not a number: {x!r}")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, int):
        return Fraction(x)
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"not finite: {x!r}")
    return Fraction(f)


def to_mp(x: Any) -> Any:
    """``x`` (int, float, Fraction or mpf) as an mpf of :data:`mp`."""
    if isinstance(x, Fraction):
        return mp.mpf(x.numerator) / x.denominator
    if isinstance(x, bool):
        raise TypeError(f"not a number: {x!r}")
    return mp.mpf(x)


def _power(base: Fraction, exponent: Fraction) -> Value:
    """``base ** exponent``: exact for small whole exponents, else mpmath (0**0 = 1)."""
    if exponent.denominator == 1 and 0 <= exponent <= 64:
        return base ** int(exponent)
    if base == 0:
        return Fraction(1) if exponent == 0 else Fraction(0)
    return mp.power(to_mp(base), to_mp(exponent))


def _half_cosine(x: Fraction) -> Any:
    """``(1 + cos(pi * x)) / 2``."""
    return (1 + mp.cos(mp.pi * to_mp(x))) / 2


def _step(step: Any) -> Fraction:
    t = exact(step)
    if t < 0:
        raise ValueError(f"a step must be >= 0: {step!r}")
    return t


# -- the schedules --------------------------------------------------------------------


def exponential_decay(config: Mapping[str, Any], step: Number) -> Value:
    """``initial * decay_rate ** p``, ``p = t / T``, floored with ``staircase``."""
    t = _step(step)
    initial = exact(config["initial_learning_rate"])
    p = t / exact(config["decay_steps"])
    if config.get("staircase", False):
        p = Fraction(math.floor(p))
    return initial * _power(exact(config["decay_rate"]), p)


def inverse_time_decay(config: Mapping[str, Any], step: Number) -> Value:
    """``initial / (1 + decay_rate * p)``, ``p = t / T``, floored with ``staircase``."""
    t = _step(step)
    p = t / exact(config["decay_steps"])
    if config.get("staircase", False):
        p = Fraction(math.floor(p))
    return exact(config["initial_learning_rate"]) / (1 + exact(config["decay_rate"]) * p)


def piecewise_constant_decay(config: Mapping[str, Any], step: Number) -> Value:
    """``values[0]`` for ``t <= b[0]``, ``values[i]`` for ``b[i-1] < t <= b[i]``."""
    t = _step(step)
    boundaries = [exact(b) for b in config["boundaries"]]
    values = [exact(v) for v in config["values"]]
    assert len(values) == len(boundaries) + 1
    for boundary, rate in zip(boundaries, values[:-1], strict=True):
        if t <= boundary:
            return rate
    return values[-1]


def polynomial_decay(config: Mapping[str, Any], step: Number) -> Value:
    """``(initial - end) * ((D - t') / D) ** power + end`` (Keras's cycle rule)."""
    t = _step(step)
    initial = exact(config["initial_learning_rate"])
    end = exact(config.get("end_learning_rate", 0.0001))
    power = exact(config.get("power", 1.0))
    T = exact(config["decay_steps"])
    if config.get("cycle", False):
        # Keras: multiplier = 1 at t = 0, else ceil(t / T)
        D = T * max(1, math.ceil(t / T))
        t_used = t
    else:
        D = T
        t_used = min(t, T)
    frac = (D - t_used) / D
    return (initial - end) * _power(frac, power) + end


def cosine_decay(config: Mapping[str, Any], step: Number) -> Value:
    """Keras's ``CosineDecay``: linear warmup to ``warmup_target``, then a cosine decay."""
    t = _step(step)
    initial = exact(config["initial_learning_rate"])
    T = exact(config["decay_steps"])
    alpha = exact(config.get("alpha", 0.0))
    target = config.get("warmup_target")
    if target is None:  # warmup_steps is ignored without a target
        peak, s = initial, t
    else:
        target = exact(target)
        W = exact(config.get("warmup_steps", 0))
        if t < W:
            return initial + (target - initial) * t / W
        peak, s = target, t - W
    return peak * ((1 - alpha) * _half_cosine(min(s, T) / T) + alpha)


def restart_period(
    config: Mapping[str, Any], step: Number
) -> tuple[int, Fraction, Fraction] | None:
    """``(i, elapsed, length)`` of the restart period that holds ``step``.

    ``None`` when ``t_mul < 1`` and the step is at or past the point where the
    shrinking periods converge.
    """
    t = _step(step)
    first = exact(config["first_decay_steps"])
    t_mul = exact(config.get("t_mul", 2.0))
    if t_mul == 1:
        # every period lasts `first`: the sum of i lengths is i * first
        i = math.floor(t / first)
        return i, t - i * first, first
    if first.denominator == 1 and t_mul.denominator == 1:
        # whole numbers: add the exact period lengths up until the step is passed
        i, start, length = 0, Fraction(0), first
        while t >= start + length:
            start += length
            length *= t_mul
            i += 1
        return i, t - start, length
    # lrkit's convention: period i starts at the float64 value of the closed form
    f, m = float(first), float(t_mul)

    def start_of(k: int) -> Fraction:
        return Fraction(f * (m**k - 1.0) / (m - 1.0))

    # for t_mul < 1 the starts climb to f / (1 - m) (in float64: t_mul**k - 1.0 == -1.0)
    limit = Fraction(f * -1.0 / (m - 1.0)) if m < 1 else None
    i, start = 0, Fraction(0)
    while True:
        nxt = start_of(i + 1)
        if t < nxt:
            return i, t - start, nxt - start
        if limit is not None and nxt >= limit:
            return None
        i, start = i + 1, nxt


def cosine_decay_restarts(config: Mapping[str, Any], step: Number) -> Value:
    """SGDR: ``initial * ((1 - alpha) * m_mul**i * (1 + cos(pi e / T_i)) / 2 + alpha)``."""
    initial = exact(config["initial_learning_rate"])
    alpha = exact(config.get("alpha", 0.0))
    m_mul = exact(config.get("m_mul", 1.0))
    period = restart_period(config, step)
    if period is None:  # past the convergence limit of t_mul < 1: only alpha remains
        return initial * alpha
    i, elapsed, length = period
    peak = m_mul**i if i <= 8 else mp.power(to_mp(m_mul), i)
    return initial * ((1 - alpha) * peak * _half_cosine(elapsed / length) + alpha)


REFERENCES: dict[str, Callable[[Mapping[str, Any], Number], Value]] = {
    "ExponentialDecay": exponential_decay,
    "InverseTimeDecay": inverse_time_decay,
    "PiecewiseConstantDecay": piecewise_constant_decay,
    "PolynomialDecay": polynomial_decay,
    "CosineDecay": cosine_decay,
    "CosineDecayRestarts": cosine_decay_restarts,
}


def value(class_name: str, config: Mapping[str, Any], step: Number) -> Value:
    """The exact rate of schedule ``class_name`` with ``config`` at ``step``."""
    return REFERENCES[class_name](config, step)


def of(schedule: Any, step: Number) -> Value:
    """The exact rate of an lrkit schedule object (by its class name and config)."""
    return value(type(schedule).__name__, schedule.get_config(), step)


def scale(config: Mapping[str, Any]) -> Fraction:
    """The size of a schedule's rates: max |initial|, |target|, |end|, |values|."""
    keys = ("initial_learning_rate", "warmup_target", "end_learning_rate")
    sizes = [abs(exact(config[k])) for k in keys if config.get(k) is not None]
    sizes += [abs(exact(v)) for v in config.get("values", ())]
    return max(sizes, default=Fraction(0))


def close(actual: float, expected: Value, rel: float = 1e-12, abs_tol: Any = 0) -> bool:
    """``|actual - expected| <= max(rel * |expected|, abs_tol)``, computed in mpmath."""
    a = to_mp(actual)
    e = to_mp(expected)
    err = abs(a - e)
    return bool(err <= rel * abs(e) or err <= to_mp(abs_tol))
