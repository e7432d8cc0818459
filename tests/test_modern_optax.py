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
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

import lrkit
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


@pytest.mark.parametrize(
    ("init", "end", "steps", "begin"),
    [
        (1.0, 0.01, 100, 0),
        (0.3, 0.01, 37, 5),
        (0.0, 2e-3, 1, 0),
        (1e-3, 1.0, 250, 40),
    ],
)
def test_linear_schedule(optax, mp, init, end, steps, begin):
    n = begin + steps + 10
    theirs = optax_values(optax.linear_schedule(init, end, steps, begin), n)
    ours = lrkit.Linear(init, end, steps, transition_begin=begin)
    check(ours, theirs, poly_ref(mp, init, end, 1, steps, begin, n), max(abs(init), abs(end)))


@pytest.mark.parametrize(
    ("init", "end", "power", "steps", "begin"),
    [
        (1.0, 0.01, 2, 100, 0),
        (0.3, 0.01, 0.5, 37, 5),
        (0.5, 0.0, 3.7, 60, 0),
        (1.0, 0.1, 1, 10, 3),
    ],
)
def test_polynomial_schedule(optax, mp, init, end, power, steps, begin):
    n = begin + steps + 10
    # uncompiled: compiled, optax gives NaN at the end for some powers (test below)
    theirs = optax_values(optax.polynomial_schedule(init, end, power, steps, begin), n, False)
    # optax's transition_begin holds init_value: a "warmup" from the rate to itself
    ours = lrkit.Polynomial(init, steps, end, power, warmup_steps=begin, warmup_learning_rate=init)
    check(
        ours,
        theirs,
        poly_ref(mp, init, end, power, steps, begin, n),
        max(abs(init), abs(end)),
        _amplification(power, 1 / steps),
    )


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize(
    "scales",
    [
        {4: 0.1, 8: 0.01},
        {10: 0.5, 0: 2.0, 30: 0.1, 31: 3.0},
        {},
        {25: 1.0},
    ],
    ids=str,
)
def test_piecewise_interpolate_schedule(optax, mp, kind, scales):
    n = 45
    theirs = optax_values(optax.piecewise_interpolate_schedule(kind, 0.7, scales), n)
    ours = lrkit.PiecewiseLinear.from_scales(0.7, scales, interpolation=kind)
    check(ours, theirs, interp_ref(mp, kind, 0.7, scales, n), 2 * 0.7 * 3)


@pytest.mark.parametrize(
    ("steps", "pct", "div", "final_div"),
    [
        (100, 0.3, 25.0, 1e4),
        (37, 0.25, 10.0, 100.0),
        (10, 0.05, 10.0, 100.0),
        (1000, 0.4, 5.0, 10.0),
    ],
)
def test_onecycle_schedules(optax, mp, steps, pct, div, final_div):
    peak, n = 0.5, steps + 5
    cos = optax.cosine_onecycle_schedule(steps, peak, pct, div, final_div)
    ours = lrkit.OneCycle(
        peak, steps, pct, div_factor=div, final_div_factor=final_div, convention="optax"
    )
    peak_at = int(Fraction(str(pct)) * steps)
    scales = {peak_at: div, steps: 1 / (div * final_div)}
    check(ours, optax_values(cos, n), interp_ref(mp, "cosine", peak / div, scales, n), peak)

    lin = optax.linear_onecycle_schedule(steps, peak, pct, 0.85, div, final_div)
    ours = lrkit.OneCycle(
        peak,
        steps,
        pct,
        anneal_strategy="linear",
        div_factor=div,
        final_div_factor=final_div,
        three_phase=True,
        pct_final=0.85,
        convention="optax",
    )
    scales = {peak_at: div, int(Fraction("0.85") * steps): 1 / div, steps: 1 / final_div}
    check(ours, optax_values(lin, n), interp_ref(mp, "linear", peak / div, scales, n), peak)


@pytest.mark.parametrize(("alpha", "exponent"), [(0.0, 1.0), (0.1, 2.0), (0.2, 0.5), (0.0, 3.0)])
def test_cosine_decay_schedule(optax, mp, alpha, exponent):
    init, steps, n = 0.4, 77, 100
    theirs = optax_values(optax.cosine_decay_schedule(init, steps, alpha, exponent), n)
    ours = lrkit.Cosine(init, steps, alpha, exponent)
    smallest = math.sin(math.pi / (2 * steps)) ** 2  # f one step before the end
    check(
        ours,
        theirs,
        cosine_ref(mp, init, steps, alpha, exponent, n),
        init,
        _amplification(exponent, smallest),
    )


@pytest.mark.parametrize(
    ("warmup", "alpha", "exponent"), [(13, 0.0, 1.0), (1, 0.1, 2.0), (50, 0.25, 0.5), (0, 0.1, 1.0)]
)
def test_warmup_cosine_decay_schedule(optax, mp, warmup, alpha, exponent):
    init, peak, total, n = 0.01, 0.4, 177, 200
    end = peak * alpha
    theirs = optax_values(
        optax.warmup_cosine_decay_schedule(init, peak, warmup, total, end, exponent), n
    )
    ours = lrkit.Cosine(
        peak,
        total - warmup,
        alpha=end / peak,
        exponent=exponent,
        warmup_steps=warmup,
        warmup_learning_rate=init,
    )
    decay = cosine_ref(
        mp, mp.mpf(peak), total - warmup, mp.mpf(end) / peak, exponent, n, offset=warmup
    )
    exact = [
        init + (mp.mpf(peak) - init) * t / warmup if t < warmup else decay[t] for t in range(n)
    ]
    smallest = math.sin(math.pi / (2 * (total - warmup))) ** 2
    check(ours, theirs, exact, peak, _amplification(exponent, smallest))


# -- where lrkit differs ------------------------------------------------------------------------


def test_zero_transition_steps(optax):
    # optax: a transition of 0 steps disables the schedule and holds init_value;
    # lrkit: a line of length 0 reaches the end value at once (from transition_begin).
    assert optax_values(optax.linear_schedule(1.0, 0.5, 0), 3) == [1.0, 1.0, 1.0]
    assert [lrkit.Linear(1.0, 0.5, 0)(t) for t in range(3)] == [0.5, 0.5, 0.5]
    assert [lrkit.Linear(1.0, 0.5, 0, transition_begin=2)(t) for t in range(4)] == [
        1.0,
        1.0,
        0.5,
        0.5,
    ]


def test_polynomial_schedule_is_nan_at_its_end_under_jit(optax):
    # Compiled for CPU, XLA turns count / 60 into count * (1/60) = 1.0000001 in float32,
    # so 1 - count / 60 is -5e-8 and (-5e-8) ** 0.5 is NaN from the last step on.
    jax = require("jax")
    fn = optax.polynomial_schedule(0.5, 0.0, 0.5, 60)
    assert float(fn(60)) == 0.0
    assert math.isnan(float(jax.jit(fn)(60)))
    assert lrkit.Polynomial(0.5, 60, 0.0, 0.5)(60) == 0.0
    assert float(jax.jit(lrkit.Polynomial(0.5, 60, 0.0, 0.5))(jax.numpy.arange(62))[-1]) == 0.0
    # many step counts do it (120 of the first 200); a sample:
    for t in (3, 5, 6, 7):
        assert math.isnan(float(jax.jit(optax.polynomial_schedule(1.0, 0.0, 0.5, t))(t)))


def test_onecycle_fraction_is_exact(optax):
    # optax's peak step is int(0.29 * 100) = int(28.999999999999996) = 28; lrkit takes
    # 0.29 * 100 as 29. pct_start=0.28 reproduces optax's schedule.
    theirs = optax_values(optax.cosine_onecycle_schedule(100, 1.0, 0.29), 101)
    assert max(range(101), key=lambda t: theirs[t]) == 28
    ours = lrkit.OneCycle(1.0, 100, 0.29, convention="optax")
    assert ours(29) == 1.0 and ours(28) < 1.0
    same = lrkit.OneCycle(1.0, 100, 0.28, convention="optax")
    assert all(abs(same(t) - theirs[t]) <= 16 * U32 for t in range(101))
