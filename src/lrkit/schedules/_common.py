"""Formulation pieces shared by several schedules (written against ``xp``)."""

from __future__ import annotations

import math
from typing import Any

from lrkit.core.ops import Ops

HALF_PI = math.pi / 2


def split(xp: Ops, step: Any, period: int | float) -> tuple[Any, Any]:
    """``(q, r)`` with ``step = q * period + r`` and ``0 <= r < period``.

    Exact for an integer step and an integer period (integer arithmetic), so
    ``q`` is the exact floor of ``step / period``. For a fractional period, ``r`` is
    the exact floating remainder (``fmod``), not ``step - q * period``, whose product
    rounds at large steps.
    """
    return xp.divmod(step, period)


def ratio(xp: Ops, step: Any, period: int | float) -> Any:
    """``step / period``, within an ulp or two of the exact quotient.

    In float64 (Python numbers, float64 arrays) an integer step converts exactly up
    to 2**53, so one division is correctly rounded, and cheapest. In a narrower float
    (float32 holds integers exactly up to 2**24 only) it is ``q + r / period``, so the
    integer part stays exact.
    """
    if xp.wide:
        return xp.divide(step, period)
    q, r = xp.divmod(step, period)
    return xp.astype(q, xp.float_dtype) + xp.divide(r, period)


def cosine_remaining(xp: Ops, remaining: Any) -> Any:
    """``(1 + cos(pi * (1 - x))) / 2`` for ``x = remaining`` in ``[0, 1]``.

    Written as ``sin(pi/2 * x)**2``: near the end of a decay (``x -> 0``) the value is
    computed from the remaining fraction directly, so it keeps its relative precision
    in float32 instead of losing it to ``1 + cos(...)`` cancelling.

    The name is rebound at each step, so for an array passed as a temporary
    (``cosine_remaining(xp, a / b)``) at most two arrays of its size are alive at once.
    """
    remaining = HALF_PI * remaining
    remaining = xp.sin(remaining)
    return remaining * remaining
