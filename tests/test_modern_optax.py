"""Parity with optax's schedules, called directly on JAX arrays.

optax computes in float32 (JAX's default), with unit roundoff u = 2**-24 ~ 6e-8. The
steps compared (< 2**24) are exact in float32; each formula then takes a handful of
float32 operations, every one rounding by at most u relative to the scale (the largest
|rate| involved): the quotient (t - B) / T (error u, moved into the rate with a slope of
at most |init - end| <= 2 scale, or pi/2 of that through a cosine), float32 cos(pi x)
(a few u absolute), and the final multiply-add (2 u). That is below 10 u * scale.
A power x**p with p < 1 amplifies an error dx by p * x**(p - 1); the tolerance
multiplies by that factor at the smallest nonzero x the steps reach (``_amplification``).
The check allows 16 u * scale * amplification.

Our values are also checked against an exact evaluation of optax's documented formula
(mpmath, 40 digits) at 1e-12 of the scale.

The tests are in ``tests/schedules/test_<family>.py``, one file per family; this module
keeps what they share: the optax values, the exact references of optax's formulas and the
check.
"""

from __future__ import annotations

import pytest

from conftest import require

U32 = 2.0**-24
EXACT_REL = 1e-12


@pytest.fixture(scope="module")
def optax():
    return require("optax")


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


def optax_values(fn, n: int, jit: bool = True) -> list[float]:
    """``fn`` at steps 0 .. n-1, one vectorized call (int32 steps, float32 result).

    Compiled (``jit``), as in training; uncompiled is op by op, and slow for the
    piecewise schedules."""
    jax = require("jax")
    call = jax.vmap(fn)
    out = (jax.jit(call) if jit else call)(jax.numpy.arange(n))
    return [float(x) for x in out.tolist()]


def _amplification(power: float, smallest: float) -> float:
    return max(1.0, power * smallest ** (power - 1)) if power < 1 else max(1.0, power)


def check(schedule, theirs, exact, scale, amplification=1.0):
    n = len(theirs)
    ours = [schedule(t) for t in range(n)]
    tol = 16 * U32 * scale * amplification
    bad = [
        (t, a, b)
        for t, (a, b) in enumerate(zip(theirs, ours, strict=True))
        if not abs(a - b) <= tol
    ]
    assert not bad, f"{schedule!r} vs optax: (step, optax, lrkit) {bad[:5]} of {len(bad)}"
    bad = [
        (t, float(e), b)
        for t, (e, b) in enumerate(zip(exact, ours, strict=True))
        if not abs(e - b) <= EXACT_REL * scale
    ]
    assert not bad, f"{schedule!r} vs exact: (step, exact, lrkit) {bad[:5]} of {len(bad)}"


# -- exact references, from optax's documented formulas ---------------------------------------


def poly_ref(mp, init, end, power, steps, begin, n):
    out = []
    for t in range(n):
        c = min(max(t - begin, 0), steps)
        frac = 1 - mp.mpf(c) / steps
        out.append((mp.mpf(init) - end) * frac ** mp.mpf(power) + end)
    return out


def interp_ref(mp, kind, init, boundaries_and_scales, n):
    bounds = [0, *sorted(boundaries_and_scales)]
    values = [mp.mpf(init)]
    for b in sorted(boundaries_and_scales):
        values.append(values[-1] * mp.mpf(boundaries_and_scales[b]))
    out = []
    for t in range(n):
        v = values[-1] if t >= bounds[-1] else None
        for k in range(len(bounds) - 1):
            if bounds[k] <= t < bounds[k + 1]:
                pct = mp.mpf(t - bounds[k]) / (bounds[k + 1] - bounds[k])
                a, b = values[k], values[k + 1]
                v = (
                    (b - a) * pct + a
                    if kind == "linear"
                    else b + (a - b) / 2 * (mp.cos(mp.pi * pct) + 1)
                )
        out.append(v)
    return out


def cosine_ref(mp, init, decay_steps, alpha, exponent, n, offset=0):
    out = []
    for t in range(n):
        c = min(max(t - offset, 0), decay_steps)
        f = (1 + mp.cos(mp.pi * c / decay_steps)) / 2
        out.append(init * ((1 - mp.mpf(alpha)) * f ** mp.mpf(exponent) + alpha))
    return out


# -- values -------------------------------------------------------------------------------------


# -- where lrkit differs ------------------------------------------------------------------------
