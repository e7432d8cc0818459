"""Pieces shared by the schedules beyond Keras (written against ``xp``).

* interpolation between two values, exact at both ends (``lerp``, ``cosine_lerp``);
* :class:`Knots`: piecewise interpolation through sorted ``(step, value)`` knots;
* :func:`fraction_of`: a fraction of a step count, as the integer the user meant;
* argument checks these schedules share (choices, integers, optional numbers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lrkit.core import validate as v
from lrkit.core.ops import Ops
from lrkit.schedules._common import cosine_remaining

Number = int | float


# -- interpolation -------------------------------------------------------------------------


def lerp(xp: Ops, a: Any, b: Any, elapsed: Any, length: Any) -> Any:
    """``a + (b - a) * elapsed / length``, computed from the nearer end.

    ``elapsed`` runs from 0 to ``length`` (> 0). The first half is measured from ``a``
    and the second from ``b`` through ``remaining = length - elapsed``, so the value
    is exactly ``a`` at 0 and exactly ``b`` at ``length``, and keeps its relative
    precision next to either end.
    """
    remaining = length - elapsed
    up = a + (b - a) * xp.divide(elapsed, length)
    down = b - (b - a) * xp.divide(remaining, length)
    return xp.where(elapsed * 2 <= length, up, down)


def cosine_lerp(xp: Ops, a: Any, b: Any, elapsed: Any, length: Any) -> Any:
    r"""``b + (a - b) (1 + \cos(\pi x)) / 2`` for ``x = elapsed / length``.

    Written as :math:`a + (b - a)\sin^2(\tfrac{\pi}{2}x)` on the first half and
    :math:`b + (a - b)\sin^2(\tfrac{\pi}{2}(1 - x))` on the second, with
    :math:`1 - x` from the exact remaining steps: exactly ``a`` and ``b`` at the ends.
    """
    remaining = length - elapsed
    up = a + (b - a) * cosine_remaining(xp, xp.divide(elapsed, length))
    down = b + (a - b) * cosine_remaining(xp, xp.divide(remaining, length))
    return xp.where(elapsed * 2 <= length, up, down)


def one_minus_sqrt(xp: Ops, x: Any, rest: Any) -> Any:
    r""":math:`1 - \sqrt{1 - x}` for ``x`` in [0, 1] and ``rest`` :math:`= 1 - x` (from
    the exact remaining steps), as :math:`x / (1 + \sqrt{1 - x})`: no cancellation."""
    return x / (1.0 + xp.sqrt(rest))


# -- piecewise interpolation through knots --------------------------------------------------


class Knots:
    """Interpolation through knots ``(x_0, y_0), ..., (x_n, y_n)``, ``x`` non-decreasing.

    At a step ``t``: ``y_0`` before ``x_0``, ``y_n`` from ``x_n`` on, and between
    ``x_k <= t < x_{k+1}`` the interpolation of ``y_k`` and ``y_{k+1}``. Two knots at
    the same step make a jump: the step itself takes the later value. The segment is
    found by a binary search over the knot steps (exact comparisons, as
    ``PiecewiseConstantDecay``); with integer knots the elapsed steps ``t - x_k`` are
    exact integers.
    """

    def __init__(self, xs: Sequence[Number], ys: Sequence[float], cosine: bool) -> None:
        self.xs = tuple(v.as_exact(x) for x in xs)
        self.ys = tuple(float(y) for y in ys)
        self.cosine = cosine
        self.exact = all(isinstance(x, int) for x in self.xs)
        n = len(self.xs)
        self.starts = self.xs[:-1]
        # a zero-length segment (a jump) is never interpolated; 1 keeps its division finite
        self.lengths = tuple((self.xs[k + 1] - self.xs[k]) or 1 for k in range(n - 1))
        self.a = self.ys[:-1]
        self.b = self.ys[1:]

    def __call__(self, xp: Ops, step: Any) -> Any:
        n = len(self.xs)
        if n == 1:
            return self.ys[0]
        # how many knots are <= t (table rounded up: "x <= t" stays exact for the step's dtype)
        i = xp.searchsorted(xp.table(self.xs, step, rounding=1), step, side="right")
        k = xp.minimum(xp.maximum(i - 1, 0), n - 2)
        if self.exact:  # t - x_k in integers
            elapsed = step - xp.take(xp.table(self.starts, step), k)
        else:
            elapsed = xp.astype(step, xp.float_dtype) - xp.take(xp.table(self.starts), k)
        # lengths as floats: a segment may be longer than the step's integer dtype holds
        length = xp.take(xp.table(self.lengths), k)
        elapsed = xp.minimum(xp.maximum(xp.astype(elapsed, xp.float_dtype), 0.0), length)
        a = xp.take(xp.table(self.a), k)
        b = xp.take(xp.table(self.b), k)
        inner = (cosine_lerp if self.cosine else lerp)(xp, a, b, elapsed, length)
        out = xp.where(i >= n, self.ys[-1], inner)
        return xp.where(i == 0, self.ys[0], out)


# -- fractions of a total ------------------------------------------------------------------


def scaled(fraction: Number, total: Number) -> Number:
    """``fraction * total`` as the number the user meant.

    The product is taken exactly (the float ``fraction`` as the rational it is), then
    snapped to the nearest integer when it lies within the rounding error of
    ``fraction`` itself: ``0.29 * 100`` is 29 (float arithmetic gives
    28.999999999999996) and ``(1/3) * 300`` is 100. Otherwise the exact product,
    rounded to float64.
    """
    from fractions import Fraction  # here: `import lrkit` stays fast

    exact = Fraction(fraction) * total
    nearest = round(exact)
    if abs(exact - nearest) <= abs(total) * math.ulp(float(fraction)):
        return int(nearest)
    return float(exact)


def fraction_of(fraction: Number, total: Number, rounding: int) -> int:
    """:func:`scaled`, rounded up (``rounding > 0``) or down to a whole step count."""
    x = scaled(fraction, total)
    if isinstance(x, int):
        return x
    from fractions import Fraction

    exact = Fraction(fraction) * total
    return math.ceil(exact) if rounding > 0 else math.floor(exact)


# -- argument checks ------------------------------------------------------------------------


def choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"Argument `{name}` must be one of {list(allowed)}. Received: {name}={value!r}."
        )
    return value


def integer(name: str, value: Any, minimum: int) -> int:
    """A whole number (an ``int``, or a float with no fraction) >= ``minimum``."""
    out = v.number(name, value)
    if not float(out).is_integer():
        raise ValueError(f"Argument `{name}` must be a whole number. Received: {name}={value!r}.")
    if out < minimum:
        raise ValueError(f"Argument `{name}` must be >= {minimum}. Received: {name}={value!r}.")
    return int(out)


def optional(check: Any, name: str, value: Any) -> Any:
    return None if value is None else check(name, value)


def unit_interval(name: str, value: Any) -> Number:
    out = v.number(name, value)
    if not 0 <= out <= 1:
        raise ValueError(f"Argument `{name}` must be in [0, 1]. Received: {name}={value!r}.")
    return out


# -- warmup ---------------------------------------------------------------------------------


def with_warmup(xp: Ops, step: Any, steps: Number, start: float, target: Any, after: Any) -> Any:
    """``after``, preceded for ``t < steps`` by a straight line from ``start`` (at 0) to
    ``target`` (at ``steps``)."""
    if steps == 0:
        return after
    rising = lerp(xp, start, target, xp.minimum(step, steps), steps)
    return xp.where(step < steps, rising, after)
