"""Formulation pieces shared by several schedules (written against ``xp``)."""

from __future__ import annotations

import math
from typing import Any

HALF_PI = math.pi / 2


def split(xp: Any, step: Any, period: int | float) -> tuple[Any, Any]:
    """``(q, r)`` with ``step = q * period + r`` and ``0 <= r < period``.

    Exact for an integer step and an integer period (integer arithmetic), so
    ``q`` is the exact floor of ``step / period``. For a fractional period, ``r`` is
    the exact floating remainder (``fmod``), not ``step - q * period``, whose product
    rounds at large steps.
    """
    return xp.floor_divide(step, period), xp.remainder(step, period)


def ratio(xp: Any, step: Any, period: int | float) -> Any:
    """``step / period`` as ``q + r / period``: the integer part stays exact in float32."""
    q, r = split(xp, step, period)
    return xp.to_float(q) + xp.to_float(r) / period


def cosine_remaining(xp: Any, remaining: Any) -> Any:
    """``(1 + cos(pi * (1 - x))) / 2`` for ``x = remaining`` in ``[0, 1]``.

    Written as ``sin(pi/2 * x)**2``: near the end of a decay (``x -> 0``) the value is
    computed from the remaining fraction directly, so it keeps its relative precision
    in float32 instead of losing it to ``1 + cos(...)`` cancelling.
    """
    s = xp.sin(HALF_PI * remaining)
    return s * s
