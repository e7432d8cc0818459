"""lrkit's exactness promises, each asserted on real values.

Values are compared with the exact reference in ``tests/reference.py`` (Fractions for
every discrete decision, mpmath at 50 digits for powers and cosines) at a relative
tolerance of 1e-12, or compared for equality where the answer is exact.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

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


def _staircase_cases(n: int) -> list[tuple[int, int, int]]:
    """(decay_steps, step, floor(step / decay_steps)) around 2**n."""
    big = 2**n
    cases = []
    for T in (big - 1, big, big + 1, 3, 1000, big // 2 + 1):
        for step in (big - 2, big - 1, big, big + 1, 2 * big - 2, 2 * big, 2 * big + 2):
            if step >= 0:
                cases.append((T, step, step // T))
    return cases


@pytest.mark.parametrize("n", [24, 31, 53])
def test_exponential_staircase_large_steps(n):
    for T, step, q in _staircase_cases(n):
        s = lrkit.ExponentialDecay(1.0, T, 0.5, staircase=True)
        expected = math.ldexp(1.0, -q) if q < 2000 else 0.0  # 0.5**q, exactly
        assert s(step) == expected, (T, step, q)
        if step <= 2**53:
            assert s(float(step)) == expected, (T, float(step), q)
        check(lrkit.ExponentialDecay(0.3, T, 0.9, staircase=True), [step])


@pytest.mark.parametrize("n", [24, 31, 53])
def test_inverse_time_staircase_large_steps(n):
    for T, step, q in _staircase_cases(n):
        s = lrkit.InverseTimeDecay(1.0, T, 0.5, staircase=True)
        expected = float(Fraction(1) / (1 + Fraction(q, 2)))  # exactly rounded
        assert s(step) == expected, (T, step, q)
        if step <= 2**53:
            assert s(float(step)) == expected, (T, float(step), q)
        check(lrkit.InverseTimeDecay(0.3, T, 2.5, staircase=True), [step])


def test_staircase_float_decay_steps():
    s = lrkit.ExponentialDecay(1.0, 2.5, 0.5, staircase=True)
    steps = (0, 2, 2.4999999, 2.5, 4.9, 5, 7.5, 7.49)
    assert [s(t) for t in steps] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.125, 0.25]
    check(lrkit.InverseTimeDecay(1.0, 0.1, 0.5, staircase=True), [0, 1, 3, 10, 2**31, 2**40])


# -- CosineDecayRestarts: exact restart boundaries ------------------------------------


def test_restarts_keras_examples_give_the_peak():
    # Keras finds the period with a float32 / float64 log, and lands in the previous one
    s = lrkit.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0)
    assert s(81910) == 1.0
    assert s(327670) == 1.0
    assert lrkit.CosineDecayRestarts(1.0, 1000, t_mul=3.0)(121000) == 1.0
    assert lrkit.CosineDecayRestarts(1.0, 1, t_mul=10.0)(111) == 1.0
    halved = lrkit.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    assert halved(81910) == 0.5**13
    assert halved(327670) == 0.5**15


def _integer_starts(first: int, t: int, limit: int = 2**53) -> list[int]:
    """B_i = first * (t**i - 1) / (t - 1), from the closed form, up to ``limit``."""
    starts, i = [], 0
    while (b := first * (t**i - 1) // (t - 1)) <= limit:
        starts.append(b)
        i += 1
    return starts


@pytest.mark.parametrize("t_mul", [2, 3, 10])
@pytest.mark.parametrize("first", [1, 7, 10, 1000])
@pytest.mark.parametrize("m_mul", [1.0, 0.5, 0.9])
def test_restarts_every_integer_boundary_up_to_2_53(t_mul, first, m_mul):
    initial = 0.25
    s = lrkit.CosineDecayRestarts(initial, first, t_mul=float(t_mul), m_mul=m_mul)
    config = s.get_config()
    starts = _integer_starts(first, t_mul)
    assert len(starts) > 10
    errors = []
    for i, b in enumerate(starts):
        # the restart step is the peak of period i, exactly
        if s(b) != initial * m_mul**i:
            errors.append(f"s({b}) = {s(b)!r} != {initial * m_mul**i!r} (period {i})")
        if b <= 2**53 and s(float(b)) != initial * m_mul**i:
            errors.append(f"s({float(b)!r}) = {s(float(b))!r} (period {i})")
        assert R.restart_period(config, b) == (i, 0, first * t_mul**i)
        if i == 0:
            continue
        # the step before belongs to the previous period: its last step
        length = first * t_mul ** (i - 1)
        assert R.restart_period(config, b - 1) == (i - 1, length - 1, length)
        last = R.to_mp(initial) * R.to_mp(m_mul) ** (i - 1) * R.mp.sin(R.mp.pi / 2 / length) ** 2
        if not R.close(s(b - 1), last, REL):
            errors.append(f"s({b - 1}) = {s(b - 1)!r}, exact {R.mp.nstr(last, 17)}")
        for step in (b - 1, b + 1, b + length // 2):
            if (m := mismatch(s, step, abs_tol=0)) is not None:
                errors.append(m)
    assert not errors, "\n".join(errors[:10])


def test_restarts_alpha_at_boundaries():
    s = lrkit.CosineDecayRestarts(2.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.1)
    steps = [b + d for b in _integer_starts(10, 2, 2**53) for d in (-1, 0, 1) if b + d >= 0]
    check(s, steps, abs_tol=0)


@pytest.mark.parametrize(
    ("first", "t_mul"), [(10, 1.5), (7, 1.5), (100, 0.5), (10, 0.5), (3.5, 2.0), (10, 2.5)]
)
def test_restarts_non_integer_t_mul_vs_reference(first, t_mul):
    s = lrkit.CosineDecayRestarts(1.0, first, t_mul=t_mul, m_mul=0.8, alpha=0.05)
    f, m = float(first), float(t_mul)
    steps: list[int | float] = list(range(0, 200))
    for i in range(1, 120):
        b = f * (m**i - 1.0) / (m - 1.0)
        if b > 2**52:
            break
        fl = math.floor(b)
        steps += [fl - 1, fl, fl + 1, fl + 2, b / 2 + 0.25]
    steps += [2**24, 2**31, 2**40, 2**53]
    check(s, sorted({x for x in steps if x >= 0}))


@pytest.mark.parametrize(("first", "t_mul"), [(10, 0.5), (7, 0.3), (100, 0.9), (3.5, 0.75)])
def test_restarts_t_mul_below_1_every_float_start_before_the_limit_is_a_restart(first, t_mul):
    """Period i starts at the float64 value B_i of first * (t**i - 1) / (t - 1): at B_i
    the rate is the peak initial * m_mul**i, for every i whose B_i is below the limit
    first / (1 - t_mul), also after two consecutive B_i round to the same float."""
    s = lrkit.CosineDecayRestarts(1.0, first, t_mul=t_mul, m_mul=1.0)
    limit = Fraction(first) / (1 - Fraction(t_mul))
    f, m = float(first), float(t_mul)
    starts = [f * (m**i - 1.0) / (m - 1.0) for i in range(2000)]
    errors = []
    for i, b in enumerate(starts):
        if b >= limit:
            break
        if i + 1 < len(starts) and starts[i + 1] == b:
            continue  # an empty period: its start is the next period's
        if s(b) != 1.0:
            errors.append(f"{s!r}({b!r}) = {s(b)!r}, expected the peak 1.0 (period {i})")
    assert not errors, "\n".join(errors[:10])


@pytest.mark.parametrize(
    ("first", "t_mul"), [(10, 0.5), (7, 0.3), (100, 0.9), (3.5, 0.75), (1, 0.25)]
)
@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.5])
def test_restarts_t_mul_below_1_past_the_limit_hold_alpha(first, t_mul, alpha):
    initial = 2.0
    s = lrkit.CosineDecayRestarts(initial, first, t_mul=t_mul, m_mul=0.9, alpha=alpha)
    limit = Fraction(first) / (1 - Fraction(t_mul))
    for step in [math.ceil(limit), math.ceil(limit) + 1, 10**6, 2**40, 2**53, 2**60]:
        got = s(step)
        assert not math.isnan(got)
        assert got == initial * alpha, (step, got)
    # before the limit: the reference, and never NaN
    check(s, [x for x in range(math.ceil(limit)) if x >= 0])


def test_restarts_t_mul_1_float_first_large_steps():
    """t_mul=1: period i is [i*first, (i+1)*first); with a fractional first the
    position in the period (step mod first) is exactly representable."""
    for first in (0.3, 2.5, 7.7, 1000.1):
        s = lrkit.CosineDecayRestarts(1.0, first, t_mul=1.0, m_mul=1.0)
        check(s, [2**20 + 1, 2**24, 2**31 + 7, 2**40, 2**53])


def test_restarts_t_mul_1_integer_first():
    s = lrkit.CosineDecayRestarts(1.0, 7, t_mul=1.0, m_mul=0.5)
    for i in (0, 1, 5, 100, 1000):
        assert s(7 * i) == 0.5**i
    # m_mul**i underflows float64 at large steps: compared absolutely below 1e-300
    check(s, [6, 7, 8, 2**24, 2**31, 2**53 - 1, 2**53], abs_tol=Fraction(1, 10**300))


# -- integer hyperparameters ----------------------------------------------------------


def test_integer_hyperparameters_keras_example():
    # Keras computes in the dtype of initial_learning_rate (int32) and says 0.0
    assert lrkit.ExponentialDecay(1, 10, 0.5)(5) == 0.7071067811865476


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


@pytest.mark.parametrize(("ints", "floats"), INT_VS_FLOAT, ids=lambda s: type(s).__name__)
def test_integer_hyperparameters_behave_as_floats(ints, floats):
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


@pytest.mark.parametrize("cycle", [True, False])
@pytest.mark.parametrize("config", POLY_CONFIGS, ids=str)
def test_polynomial_step_0_is_the_initial_rate(config, cycle):
    initial, decay_steps, end, power = config
    s = lrkit.PolynomialDecay(initial, decay_steps, end, power, cycle=cycle)
    assert s(0) == initial
    assert s(0.0) == initial
    assert s(np.array([0, 1]))[0] == initial
    assert s(np.array([0.0, 1.0], dtype=np.float32))[0] == np.float32(initial)
    # the float64 formula's own value at step 0 is used only where it is exact
    top = end + (initial - end) * 1.0
    assert s._exact_start == (min(max(top, min(initial, end)), max(initial, end)) == initial)


@pytest.mark.parametrize("config", POLY_CONFIGS, ids=str)
def test_polynomial_cycle_multiples_are_the_end_rate(config):
    initial, decay_steps, end, power = config
    s = lrkit.PolynomialDecay(initial, decay_steps, end, power, cycle=True)
    for k in (1, 2, 3, 10, 1000, 2**20):
        assert s(k * decay_steps) == end, k
    # right after a multiple the cycle starts again, just below the initial rate
    check(s, [k * decay_steps + d for k in (1, 2, 3, 1000) for d in (-1, 1, 0.5)])
    check(s, [0, 1, 2, 2**24, 2**31, 2**53])


def test_polynomial_cycle_never_nan():
    s = lrkit.PolynomialDecay(1.0, 10, cycle=True)
    assert not any(math.isnan(s(t)) for t in range(0, 100))
    assert not np.isnan(s(np.arange(100))).any()


# -- CosineDecay warmup ---------------------------------------------------------------


@pytest.mark.parametrize("zero", [0, 0.0])
def test_cosine_warmup_steps_0_decays_from_the_target(zero):
    s = lrkit.CosineDecay(0.1, 100, warmup_target=1.0, warmup_steps=zero)
    assert s(0) == 1.0
    assert s(100) == 0.0 and s(1000) == 0.0
    values = [s(t) for t in range(0, 120)]
    assert not any(math.isnan(v) for v in values)
    assert values == sorted(values, reverse=True)
    check(s, [1, 25, 50, 75, 99, 100, 2.5])
    arr = s(np.arange(120))
    assert not np.isnan(arr).any() and arr[0] == 1.0


def test_cosine_warmup_target_none_ignores_warmup_steps():
    plain = lrkit.CosineDecay(0.5, 100, alpha=0.1)
    ignored = lrkit.CosineDecay(0.5, 100, alpha=0.1, warmup_steps=50)
    for t in [0, 1, 25, 49, 50, 51, 99, 100, 150]:
        assert ignored(t) == plain(t)
    check(ignored, [0, 1, 25, 49, 50, 51, 99, 100, 150])


def test_cosine_warmup_reaches_the_target_exactly():
    for start, target, w in [(0.0, 1.0, 10), (0.1, 0.3, 7), (1.0, 0.1, 3), (0.0, 1e-3, 500)]:
        s = lrkit.CosineDecay(start, 1000, warmup_target=target, warmup_steps=w)
        assert s(0) == start
        assert s(w) == target
        check(s, [1, w - 1, w + 1, w + 500, w + 999, w + 1000, 2**31])


@pytest.mark.parametrize("T", [10, 1000, 2**20, 2**40, 2**53 - 1])
def test_cosine_relative_precision_to_the_last_step(T):
    s = lrkit.CosineDecay(1.0, T)
    check(s, [x for x in (T - 1, T - 2, T - 1000, T // 2) if x >= 0], abs_tol=0)
    w = lrkit.CosineDecay(0.0, T, warmup_target=2.0, warmup_steps=100)
    check(w, [T + 99, T + 98, T + 100], abs_tol=0)


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


@pytest.mark.parametrize("s", ONE_OF_EACH, ids=repr)
def test_step_types_give_the_same_python_float(s):
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


@pytest.mark.parametrize("s", LARGE, ids=repr)
def test_large_steps(s):
    # up to 2**53, the domain where steps are exact (also for fractional periods)
    steps = [2**n + d for n in (24, 31, 53) for d in (-1, 0, 1) if 2**n + d <= 2**53]
    steps += [float(2**n) for n in (24, 31, 53)] + [2**24 + 0.5, 2**31 + 0.25]
    check(s, steps)


def test_piecewise_boundaries_at_large_steps():
    s = lrkit.PiecewiseConstantDecay([2**24, 2**31, 2**53], [1.0, 0.5, 0.25, 0.125])
    steps = (2**24, 2**24 + 1, 2**31, 2**31 + 1, 2**53, 2**53 + 1)
    assert [s(t) for t in steps] == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    t = lrkit.PiecewiseConstantDecay([2**53 + 1], [1.0, 0.0])  # not a float64
    assert (t(2**53), t(2**53 + 1), t(2**53 + 2)) == (1.0, 1.0, 0.0)


# -- overflow -------------------------------------------------------------------------


def test_exponential_growth_past_float64_raises():
    # the documented contract: a result that exceeds float64 raises OverflowError
    # (2**1024 itself is within float64 rounding of the largest float, so either answer
    # is within the precision promise there; 2**1025 is not)
    for initial, step in [(1.0, 1025), (10.0, 1023), (3.0, 1023), (-10.0, 1023)]:
        s = lrkit.ExponentialDecay(initial, 1, 2.0)
        with pytest.raises(OverflowError):
            s(step)


@pytest.mark.parametrize(
    ("initial", "rate", "step"),
    [(1e-10, 2.0, 1050), (0.5, 2.0, 1024), (1e-300, 10.0, 400), (0.0, 2.0, 5000)],
)
def test_exponential_growth_within_float64_is_computed(initial, rate, step):
    # the exact rates are finite float64 numbers: no OverflowError
    check(lrkit.ExponentialDecay(initial, 1, rate), [step])
    check(lrkit.ExponentialDecay(initial, 1, rate, staircase=True), [step])


def test_exponential_large_initial_rate_does_not_underflow_early():
    # initial * rate**p is ~1e-32, but rate**p alone underflows float64
    check(lrkit.ExponentialDecay(1e300, 1, 0.5), [1100], abs_tol=Fraction(1, 10**300))


def test_restarts_growing_peaks_construct():
    # m_mul > 1 is allowed (peaks grow); over 3000 restarts must not crash the constructor
    s = lrkit.CosineDecayRestarts(1.0, 10, t_mul=0.99, m_mul=1.5)
    check(s, [0, 5, 10, 500, 999, 1000])


def test_restarts_growing_peaks_finite_rates_do_not_raise():
    check(lrkit.CosineDecayRestarts(0.0, 1, t_mul=1.0, m_mul=1.5), [1751])  # 0 * peak = 0
    check(lrkit.CosineDecayRestarts(1.0, 1, t_mul=1.0, m_mul=1.5, alpha=1.0), [1751])


def test_restarts_growing_peaks_overflow_raises():
    with pytest.raises(OverflowError):
        lrkit.CosineDecayRestarts(1.0, 1, t_mul=1.0, m_mul=1.5)(1751)


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


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generated_sweep(name):
    rng = random.Random(f"lrkit-{name}")
    errors = []
    for _ in range(300):
        s, steps = GENERATORS[name](rng)
        errors += [m for step in steps if (m := mismatch(s, step)) is not None]
    assert not errors, f"{len(errors)} mismatches:\n" + "\n".join(errors[:15])


# -- ExponentialDecay past float64's range, in float32 ------------------------------------
@pytest.mark.parametrize(
    ("init", "rate", "period", "direct"),
    [
        (0.1, 0.96, 1000, True),
        (-3.0, 0.9, 7.5, True),
        (3e38, 0.5, 1, True),  # near float32's largest: still out of range past e**-700
        (0.1, 1.5, 10, True),  # growth: infinities
        (1e-30, 2.0, 3, True),
        (0.1, 1e-300, 1, True),  # the rate is 0 in float32
        (0.1, 1 - 1e-9, 1, False),  # the rate is 1 in float32: the logarithms are kept
        (1e300, 0.5, 1, False),  # the initial rate is beyond float32: kept
    ],
)
def test_float32_past_float64s_range(init, rate, period, direct):
    # float32 steps past the step where float64 switches to logarithms: float32 has left
    # out the logarithmic form only where the direct form gives the same values (0 or an
    # infinity of the initial rate's sign), as the exact value rounded to float32 is
    s = lrkit.ExponentialDecay(init, period, rate)
    assert s._float32_direct is direct
    far = float(s._far_step)
    steps = np.array([far, far * 1.5, far * 10, 3e38], dtype=np.float32)
    got = s(steps)
    assert got.dtype == np.float32
    for t, value in zip(steps.tolist(), got.tolist(), strict=True):
        log_abs = math.log(abs(init)) + (t / period) * math.log(rate)  # ln |exact value|
        exact = math.copysign(0.0 if log_abs < 0 else math.inf, init)
        if -100 < log_abs < 85:  # representable in float32: only with the logarithms
            exact = math.copysign(math.exp(log_abs), init)
            # (their float32 argument, ln|init| + e ln(rate) ~ 690, is off by ~4e-5)
            assert value == pytest.approx(exact, rel=1e-4), (t, value, exact)
        else:
            assert value == exact and math.copysign(1, value) == math.copysign(1, exact), t
