"""lrkit's exactness promises, each asserted on real values.

Values are compared with the exact reference in ``tests/reference.py`` (Fractions for
every discrete decision, mpmath at 50 digits for powers and cosines) at a relative
tolerance of 1e-12, or compared for equality where the answer is exact.

The tests of one family are in ``tests/schedules/test_<family>.py``; this module keeps
the shared tables and checks (``check_<test>``, run there on the family's cases) and the
tests that span families.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import numpy as np

import lrkit
import reference as R

REL = 1e-12
FLOAT_MAX = Fraction(1.7976931348623157e308)

#: classes whose formula can cancel to (or end at) ~0: compared absolutely there
CANCELLING = {"PolynomialDecay", "CosineDecay", "CosineDecayRestarts"}


def abs_tolerance(schedule: Any) -> Fraction:
    """1e-12 * the schedule's scale where its formula can reach ~0 by cancelling;
    otherwise only float64's underflow range (rates below ~1e-300 lose digits)."""
    size = max(R.scale(schedule.get_config()), Fraction(1, 10**30))
    if type(schedule).__name__ in CANCELLING:
        return Fraction(REL) * size
    return Fraction(1, 10**300) * max(size, Fraction(1))


def mismatch(schedule: Any, step: Any, rel: float = REL, abs_tol: Any = None) -> str | None:
    """``None`` when ``schedule(step)`` is a float within tolerance of the reference,
    or raises OverflowError where the exact rate exceeds float64; else a message."""
    expected = R.of(schedule, step)
    if abs(R.to_mp(expected)) > R.to_mp(FLOAT_MAX) * (1 + R.mp.mpf(2) ** -53):
        try:
            got = schedule(step)
        except OverflowError:
            return None
        size = R.mp.nstr(R.to_mp(expected), 8)
        return f"{schedule!r}({step!r}) = {got!r}; the exact rate {size} exceeds float64"
    try:
        actual = schedule(step)
    except Exception as exc:  # a crash is a mismatch too
        return f"{schedule!r}({step!r}) raised {exc!r}; expected {R.mp.nstr(R.to_mp(expected), 17)}"
    if type(actual) is not float:
        return f"{schedule!r}({step!r}) returned {type(actual).__name__}, not float"
    tol = abs_tolerance(schedule) if abs_tol is None else abs_tol
    if R.close(actual, expected, rel, tol):
        return None
    err = abs(R.to_mp(actual) - R.to_mp(expected))
    size = abs(R.to_mp(expected))
    rel_err = R.mp.nstr(err / size, 3) if size else "inf"
    return (
        f"{schedule!r}({step!r}) = {actual!r}, exact {R.mp.nstr(R.to_mp(expected), 20)} "
        f"(relative error {rel_err})"
    )


def check(schedule: Any, steps: Any, **kw: Any) -> None:
    errors = [m for step in steps if (m := mismatch(schedule, step, **kw)) is not None]
    assert not errors, "\n".join(errors[:10])


# -- staircase floors at large steps --------------------------------------------------


def test_staircase_keras_float32_example():
    # Keras casts the step to float32 (2**24 + 1 is not a float32) and says 0.5
    assert lrkit.ExponentialDecay(1.0, 16777217, 0.5, staircase=True)(16777216) == 1.0
    assert lrkit.InverseTimeDecay(1.0, 16777217, 1.0, staircase=True)(16777216) == 1.0


def test_float32_slow_decay_keras_example():
    # Keras's float32 arithmetic, float32(r) ** float32(t / T): the rounding of r = 0.9999
    # (1.7e-8) raised to the power 10**4 moves the rate by 512 float32 units of 0.1
    s = lrkit.ExponentialDecay(0.1, 1000, 0.9999)
    t, unit = 10**7, 2.0**-23 * 0.1
    keras_way = np.float32(0.1) * np.power(np.float32(0.9999), np.float32(t) / np.float32(1000))
    assert abs(float(keras_way) - s(t)) > 500 * unit
    for steps in (np.array([t]), np.array([t], dtype=np.float32), np.array([t], dtype=np.int32)):
        got = s(steps)
        assert got.dtype == (np.float32 if steps.dtype == np.float32 else np.float64)
        assert abs(float(got[0]) - s(t)) <= 1.5 * unit, steps.dtype


def _staircase_cases(n: int) -> list[tuple[int, int, int]]:
    """(decay_steps, step, floor(step / decay_steps)) around 2**n."""
    big = 2**n
    cases = []
    for T in (big - 1, big, big + 1, 3, 1000, big // 2 + 1):
        for step in (big - 2, big - 1, big, big + 1, 2 * big - 2, 2 * big, 2 * big + 2):
            if step >= 0:
                cases.append((T, step, step // T))
    return cases


def test_staircase_float_decay_steps():
    s = lrkit.ExponentialDecay(1.0, 2.5, 0.5, staircase=True)
    steps = (0, 2, 2.4999999, 2.5, 4.9, 5, 7.5, 7.49)
    assert [s(t) for t in steps] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.125, 0.25]
    check(lrkit.InverseTimeDecay(1.0, 0.1, 0.5, staircase=True), [0, 1, 3, 10, 2**31, 2**40])


# -- CosineDecayRestarts: exact restart boundaries ------------------------------------


def _integer_starts(first: int, t: int, limit: int = 2**53) -> list[int]:
    """B_i = first * (t**i - 1) / (t - 1), from the closed form, up to ``limit``."""
    starts, i = [], 0
    while (b := first * (t**i - 1) // (t - 1)) <= limit:
        starts.append(b)
        i += 1
    return starts


# -- integer hyperparameters ----------------------------------------------------------


INT_VS_FLOAT = [
    (lrkit.ExponentialDecay(1, 10, 1), lrkit.ExponentialDecay(1.0, 10.0, 1.0)),
    (lrkit.ExponentialDecay(2, 10, 0, True), lrkit.ExponentialDecay(2.0, 10.0, 0.0, True)),
    (lrkit.ExponentialDecay(3, 7, 0), lrkit.ExponentialDecay(3.0, 7.0, 0.0)),
    (lrkit.InverseTimeDecay(1, 10, 1), lrkit.InverseTimeDecay(1.0, 10.0, 1.0)),
    (lrkit.InverseTimeDecay(2, 3, 5, True), lrkit.InverseTimeDecay(2.0, 3.0, 5.0, True)),
    (lrkit.PolynomialDecay(1, 10, 0, 2), lrkit.PolynomialDecay(1.0, 10.0, 0.0, 2.0)),
    (lrkit.PolynomialDecay(5, 4, 1, 1, True), lrkit.PolynomialDecay(5.0, 4.0, 1.0, 1.0, True)),
    (lrkit.CosineDecay(1, 10), lrkit.CosineDecay(1.0, 10.0)),
    (
        lrkit.CosineDecay(0, 10, 0, warmup_target=1, warmup_steps=4),
        lrkit.CosineDecay(0.0, 10.0, 0.0, warmup_target=1.0, warmup_steps=4.0),
    ),
    (
        lrkit.CosineDecayRestarts(1, 10, 2, 1, 0),
        lrkit.CosineDecayRestarts(1.0, 10.0, 2.0, 1.0, 0.0),
    ),
    (lrkit.CosineDecayRestarts(4, 3, 1, 0), lrkit.CosineDecayRestarts(4.0, 3.0, 1.0, 0.0)),
    (
        lrkit.PiecewiseConstantDecay([1, 2], [3, 2, 1]),
        lrkit.PiecewiseConstantDecay([1.0, 2.0], [3.0, 2.0, 1.0]),
    ),
]


def check_integer_hyperparameters_behave_as_floats(ints, floats):
    assert ints == floats and hash(ints) == hash(floats)
    for step in [*range(25), 2.5, 7.25, 1000, 2**20]:
        got = ints(step)
        assert type(got) is float
        assert got == floats(step), step
    check(ints, [*range(25), 2.5, 7.25, 1000])


def test_integer_hyperparameters_values():
    assert lrkit.InverseTimeDecay(1, 10, 1)(5) == 1 / 1.5
    assert lrkit.PolynomialDecay(1, 10, 0, 2)(5) == 0.25
    assert lrkit.CosineDecay(0, 10, warmup_target=1, warmup_steps=4)(2) == 0.5
    assert lrkit.PiecewiseConstantDecay([1, 2], [3, 2, 1])(2) == 2.0
    assert type(lrkit.PiecewiseConstantDecay([1, 2], [3, 2, 1])(2)) is float
    check(lrkit.CosineDecay(1, 10), [5])
    check(lrkit.CosineDecayRestarts(1, 10, 2, 1, 0), [5, 15, 30])


# -- PolynomialDecay(cycle=True) -------------------------------------------------------

POLY_CONFIGS = [
    (1.0, 100, 0.0, 1.0),
    (0.1, 100, 0.0001, 1.0),
    (0.1, 7, 0.0001, 2.0),
    (0.3, 10, 0.03, 1.0),
    (0.1, 10, 0.36, 0.5),
    (0.9, 3, 0.07, 3.0),
    (5, 4, 1, 1),
    (1.0, 2.5, 0.5, 2.0),
    (-0.5, 10, 0.25, 1.0),
    (1e-20, 100, 1.0, 1.0),  # a ramp up from ~0
    # end + (initial - end) rounds below the initial rate in float64: selected, not computed
    (0.016700463209258446, 100, 0.00024315832555955354, 2.0),
]


# -- CosineDecay warmup ---------------------------------------------------------------


# -- step types -----------------------------------------------------------------------

ONE_OF_EACH = [
    lrkit.ExponentialDecay(0.1, 7, 0.9),
    lrkit.ExponentialDecay(0.1, 7, 0.9, staircase=True),
    lrkit.InverseTimeDecay(0.1, 7, 0.5),
    lrkit.PolynomialDecay(0.1, 70, 0.001, 2.0, cycle=True),
    lrkit.PolynomialDecay(0.1, 70.5, 0.001, 0.5),
    lrkit.CosineDecay(0.0, 100, 0.05, warmup_target=0.1, warmup_steps=30),
    lrkit.CosineDecayRestarts(0.1, 10, 2.0, 0.9, 0.01),
    lrkit.CosineDecayRestarts(0.1, 10, 1.5, 0.9, 0.01),
    lrkit.PiecewiseConstantDecay([10, 100, 1000], [1.0, 0.5, 0.1, 0.01]),
]

STEP_TYPES = [float, np.int64, np.int32, np.uint64, np.float64, np.float32, np.int16]


def check_step_types_give_the_same_python_float(s):
    for n in [0, 1, 7, 9, 10, 11, 29, 30, 99, 100, 101, 1000, 1001, 12345]:
        want = s(n)
        assert type(want) is float
        for kind in STEP_TYPES:
            if kind is np.int16 and n > 32767:
                continue
            got = s(kind(n))
            assert type(got) is float, (kind, n)
            assert got == want, (kind, n, got, want)
    for x in [2.5, 10.5, 0.25]:
        assert s(np.float32(x)) == s(x) == s(np.float64(x))
    big = 2**40
    assert s(np.int64(big)) == s(big) == s(float(big)) == s(np.uint64(big))
    check(s, [0, 7, 10, 2.5, 1001, 12345])


# -- large steps, every class ---------------------------------------------------------

LARGE = [
    lrkit.ExponentialDecay(0.1, 2**24 - 3, 0.5),
    lrkit.ExponentialDecay(0.1, 2**31 + 1, 0.9, staircase=True),
    lrkit.ExponentialDecay(1.0, 1e15, 0.1),
    lrkit.ExponentialDecay(1.0, 7.5, 0.9999999999),
    lrkit.InverseTimeDecay(0.1, 7, 0.5),
    lrkit.InverseTimeDecay(0.1, 2**31 - 1, 3.0),
    lrkit.InverseTimeDecay(0.1, 0.3, 3.0, staircase=True),
    lrkit.PolynomialDecay(0.1, 2**53 - 5, 0.001, 2.0),
    lrkit.PolynomialDecay(0.1, 3, 0.001, 2.0, cycle=True),
    lrkit.PolynomialDecay(0.1, 1000.5, 0.001, 0.5, cycle=True),
    lrkit.PolynomialDecay(0.1, 2**31, 0.001, 3.0, cycle=True),
    lrkit.CosineDecay(0.1, 2**53 - 1),
    lrkit.CosineDecay(0.0, 2**40, 0.1, warmup_target=1.0, warmup_steps=2**31),
    lrkit.CosineDecay(0.0, 2**24, 0.1, warmup_target=1.0, warmup_steps=2**24 + 0.5),
    lrkit.CosineDecayRestarts(0.1, 10, 2.0),
    lrkit.CosineDecayRestarts(0.1, 3, 1.0, 0.999999),
    lrkit.CosineDecayRestarts(0.1, 7, 1.5, 0.9, 0.1),
    lrkit.CosineDecayRestarts(0.1, 1000, 3.0, 0.9),
    lrkit.CosineDecayRestarts(0.1, 12.5, 10.0, 0.5, 0.01),
    lrkit.PiecewiseConstantDecay([2**24, 2**31, 2**53], [1.0, 0.5, 0.25, 0.125]),
    lrkit.PiecewiseConstantDecay([2**24 + 0.5, 2**31 - 0.5], [1.0, 0.5, 0.25]),
]


def check_large_steps(s):
    # up to 2**53, the domain where steps are exact (also for fractional periods)
    steps = [2**n + d for n in (24, 31, 53) for d in (-1, 0, 1) if 2**n + d <= 2**53]
    steps += [float(2**n) for n in (24, 31, 53)] + [2**24 + 0.5, 2**31 + 0.25]
    check(s, steps)


# -- overflow -------------------------------------------------------------------------


# -- a generated sweep ----------------------------------------------------------------


def _decay_steps(rng: random.Random) -> int | float:
    kind = rng.random()
    if kind < 0.5:
        return rng.randint(1, 10 ** rng.randint(0, 9))
    if kind < 0.8:
        return round(rng.uniform(0.5, 10 ** rng.randint(1, 6)), rng.randint(0, 3)) or 0.5
    return float(rng.randint(1, 10**6))  # an integral float


def _initial(rng: random.Random) -> int | float:
    kind = rng.random()
    if kind < 0.1:
        return rng.randint(0, 10)
    if kind < 0.15:
        return -rng.uniform(0, 1)
    return 10 ** rng.uniform(-6, 1)


def _steps(rng: random.Random, periods: list[Any]) -> list[int | float]:
    steps: list[int | float] = [0, 1, 2, rng.randint(0, 100), rng.randint(0, 2**40)]
    steps.append(rng.randint(0, 10**6) + rng.random())  # a fractional float step
    for p in periods:
        p = Fraction(p)
        for k in (1, rng.randint(2, 5), rng.randint(6, 1000)):
            edge = k * p
            steps += [math.floor(edge) - 1, math.floor(edge), math.ceil(edge), math.ceil(edge) + 1]
    return [s for s in steps if s >= 0 and s <= 2**53]


def _gen_exponential(rng):
    T = _decay_steps(rng)
    rate = rng.choice([rng.random(), 0.5, 0.9, 0.96, 0.999999, 1.0, 0, 1, 0.0, rng.uniform(1, 1.5)])
    s = lrkit.ExponentialDecay(_initial(rng), T, rate, staircase=rng.random() < 0.5)
    return s, _steps(rng, [T])


def _gen_inverse_time(rng):
    T = _decay_steps(rng)
    rate = rng.choice([rng.uniform(0, 10), 0.5, 1, 0, rng.randint(0, 100)])
    s = lrkit.InverseTimeDecay(_initial(rng), T, rate, staircase=rng.random() < 0.5)
    return s, _steps(rng, [T])


def _gen_polynomial(rng):
    T = _decay_steps(rng)
    initial = _initial(rng)
    end = rng.choice([0.0001, 0, 0.0, initial * rng.random(), rng.uniform(-1, 1)])
    power = rng.choice([1.0, 1, 2, 0.5, 3.0, rng.uniform(0, 5), 0.0])
    s = lrkit.PolynomialDecay(initial, T, end, power, cycle=rng.random() < 0.5)
    return s, _steps(rng, [T])


def _gen_cosine(rng):
    T = _decay_steps(rng)
    alpha = rng.choice([0.0, 0, rng.random(), 0.1, rng.uniform(-0.5, 1.5)])
    if rng.random() < 0.5:
        s = lrkit.CosineDecay(_initial(rng), T, alpha, warmup_steps=rng.choice([0, 10]))
        return s, _steps(rng, [T])
    W = rng.choice([0, 0.0, _decay_steps(rng), rng.randint(1, 1000)])
    target = rng.choice([_initial(rng), 1.0, 0.1])
    s = lrkit.CosineDecay(_initial(rng), T, alpha, warmup_target=target, warmup_steps=W)
    return s, _steps(rng, [W, Fraction(W) + Fraction(T)])


def _gen_restarts(rng):
    first = rng.choice([rng.randint(1, 1000), rng.randint(1, 10**6), _decay_steps(rng)])
    t_mul = rng.choice([1.0, 1, 2.0, 2, 3.0, 10.0, 1.5, 0.5, 0.9, 2.5, 1.1, 0.75])
    m_mul = rng.choice([1.0, 0.5, rng.random(), 0.0, 1])
    alpha = rng.choice([0.0, rng.random(), 0.1])
    s = lrkit.CosineDecayRestarts(_initial(rng), first, t_mul, m_mul, alpha)
    config = s.get_config()
    periods = [first]
    # steps around some restarts, found by the reference
    for _ in range(3):
        i_step = rng.randint(0, 2 ** rng.randint(1, 40))
        found = R.restart_period(config, i_step)
        if found is not None:
            _, elapsed, length = found
            start = Fraction(i_step) - elapsed
            periods += [start, start + length]
    return s, _steps(rng, periods)


def _gen_piecewise(rng):
    n = rng.randint(0, 8)
    scale = 10 ** rng.randint(0, 12)
    raw = sorted({rng.randint(0, scale) for _ in range(n)})
    boundaries = [b if rng.random() < 0.7 else b + rng.choice([0.5, 0.25, 0.0]) for b in raw]
    boundaries = sorted(set(boundaries))
    values = [_initial(rng) for _ in range(len(boundaries) + 1)]
    s = lrkit.PiecewiseConstantDecay(boundaries, values)
    return s, _steps(rng, [*boundaries, 1])


GENERATORS = {
    "ExponentialDecay": _gen_exponential,
    "InverseTimeDecay": _gen_inverse_time,
    "PolynomialDecay": _gen_polynomial,
    "CosineDecay": _gen_cosine,
    "CosineDecayRestarts": _gen_restarts,
    "PiecewiseConstantDecay": _gen_piecewise,
}


def check_generated_sweep(name):
    rng = random.Random(f"lrkit-{name}")
    errors = []
    for _ in range(300):
        s, steps = GENERATORS[name](rng)
        errors += [m for step in steps if (m := mismatch(s, step)) is not None]
    assert not errors, f"{len(errors)} mismatches:\n" + "\n".join(errors[:15])
