"""ExponentialDecay (``lrkit/schedules/exponential.py``): Keras parity; exact values;
validation; serialization."""

from __future__ import annotations

import inspect
import math
import sys
from fractions import Fraction

import numpy as np
import pytest

import lrkit
from families import only
from lrkit.core.scalar import SCALAR
from test_exactness import (
    GENERATORS,
    INT_VS_FLOAT,
    LARGE,
    ONE_OF_EACH,
    _staircase_cases,
    check,
    check_generated_sweep,
    check_integer_hyperparameters_behave_as_floats,
    check_large_steps,
    check_step_types_give_the_same_python_float,
)
from test_keras_parity import (
    CLASSES,
    SERIAL_CONFIGS,
    SERIAL_IDS,
    _cases,
    check_attributes_keras_sets_exist_with_equal_values,
    check_keras_deserializes_ours,
    check_serialize_equals_keras,
    check_signature_equals_keras,
    check_values_match_keras,
    check_we_deserialize_keras,
    check_we_deserialize_tf_keras_2_form,
    check_we_read_the_schedule_in_a_keras_optimizer_config,
)
from test_serialization import SCHEDULES, check_round_trips
from test_validation import BAD, check_bad_argument_raises_at_construction

# -- Keras parity --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw", "steps", "scalar"), only(_cases(), "exponential"))
def test_values_match_keras(keras, ks, name, kw, steps, scalar):
    check_values_match_keras(keras, ks, name, kw, steps, scalar)


def test_exponential_decay_int_initial_rate_keras_makes_decay_rate_int(keras, ks):
    # An int initial_learning_rate makes Keras cast every argument to int32, so
    # decay_rate=0.5 becomes 0 and the rate is 1 * 0**0.5 = 0 after step 0. lrkit keeps
    # the arguments as given and computes in float64.
    k = ks.ExponentialDecay(1, 10, 0.5)
    assert float(keras.ops.convert_to_numpy(k(0))) == 1.0
    assert float(keras.ops.convert_to_numpy(k(5))) == 0.0
    assert lrkit.ExponentialDecay(1, 10, 0.5)(0) == 1.0
    assert lrkit.ExponentialDecay(1, 10, 0.5)(5) == 0.7071067811865476


def test_exponential_decay_staircase_keras_rounds_decay_steps_to_float32(keras, ks):
    # float32(16777217) == 16777216, so Keras sees step / decay_steps == 1 and decays once
    # a step early; lrkit's floor division is exact: 16777216 // 16777217 == 0.
    kw = dict(initial_learning_rate=1.0, decay_steps=16777217, decay_rate=0.5, staircase=True)
    theirs = float(keras.ops.convert_to_numpy(ks.ExponentialDecay(**kw)(16777216)))
    assert theirs == 0.5
    ours = lrkit.ExponentialDecay(**kw)
    assert ours(16777216) == 1.0
    assert ours(16777217) == 0.5


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "exponential", ids=SERIAL_IDS))
def test_serialize_equals_keras(ks, name, kw):
    check_serialize_equals_keras(ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "exponential", ids=SERIAL_IDS))
def test_keras_deserializes_ours(keras, ks, name, kw):
    check_keras_deserializes_ours(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "exponential", ids=SERIAL_IDS))
def test_we_deserialize_keras(keras, ks, name, kw):
    check_we_deserialize_keras(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "exponential", ids=SERIAL_IDS))
def test_we_deserialize_tf_keras_2_form(keras, ks, name, kw):
    check_we_deserialize_tf_keras_2_form(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "exponential", ids=SERIAL_IDS))
def test_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw):
    check_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw)


@pytest.mark.parametrize("name", only(CLASSES, "exponential"))
def test_signature_equals_keras(ks, name):
    check_signature_equals_keras(ks, name)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "exponential", ids=SERIAL_IDS))
def test_attributes_keras_sets_exist_with_equal_values(ks, name, kw):
    check_attributes_keras_sets_exist_with_equal_values(ks, name, kw)


# -- exact values --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [24, 31, 53])
def test_exponential_staircase_large_steps(n):
    for T, step, q in _staircase_cases(n):
        s = lrkit.ExponentialDecay(1.0, T, 0.5, staircase=True)
        expected = math.ldexp(1.0, -q) if q < 2000 else 0.0  # 0.5**q, exactly
        assert s(step) == expected, (T, step, q)
        if step <= 2**53:
            assert s(float(step)) == expected, (T, float(step), q)
        check(lrkit.ExponentialDecay(0.3, T, 0.9, staircase=True), [step])


def test_integer_hyperparameters_keras_example():
    # Keras computes in the dtype of initial_learning_rate (int32) and says 0.0
    assert lrkit.ExponentialDecay(1, 10, 0.5)(5) == 0.7071067811865476


@pytest.mark.parametrize(
    ("ints", "floats"), only(INT_VS_FLOAT, "exponential"), ids=lambda s: type(s).__name__
)
def test_integer_hyperparameters_behave_as_floats(ints, floats):
    check_integer_hyperparameters_behave_as_floats(ints, floats)


@pytest.mark.parametrize("s", only(ONE_OF_EACH, "exponential"), ids=repr)
def test_step_types_give_the_same_python_float(s):
    check_step_types_give_the_same_python_float(s)


@pytest.mark.parametrize("s", only(LARGE, "exponential"), ids=repr)
def test_large_steps(s):
    check_large_steps(s)


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


@pytest.mark.parametrize("name", only(sorted(GENERATORS), "exponential"))
def test_generated_sweep(name):
    check_generated_sweep(name)


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
        (0.1, 1 - 1e-9, 1, True),  # 1 in float32, but its logarithm is taken in float64
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


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "arg", "value", "exc", "words"), only(BAD, "exponential"))
def test_bad_argument_raises_at_construction(cls, arg, value, exc, words):
    check_bad_argument_raises_at_construction(cls, arg, value, exc, words)


def test_overflow_is_a_clear_error():
    s = lrkit.ExponentialDecay(1.0, 1, 10.0)
    assert s(300) == pytest.approx(1e300)
    with pytest.raises(OverflowError, match="ExponentialDecay overflows float64 at step=400"):
        s(400)


# -- serialization -------------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "exponential"), ids=lambda s: type(s).__name__)
def test_round_trips(s):
    check_round_trips(s)


# -- the recorded call: a decay is finite, a growth is checked -----------------------------------

BOUNDED = [
    (0.1, 1000, 0.96, False),
    (-0.1, 3, 0.25, True),
    (1e300, 3, 0.25, False),  # the logarithmic form far out
    (sys.float_info.max / 2, 7, 0.5, False),
    (0.1, 2.5, 0.0, False),
    (0.1, 10, 1.0, True),
]


@pytest.mark.parametrize(("init", "period", "rate", "staircase"), BOUNDED)
def test_a_decay_needs_no_overflow_check(init, period, rate, staircase):
    s = lrkit.ExponentialDecay(init, period, rate, staircase=staircase)
    assert s._always_finite()
    for t in [0, 1, period, 10**6, 10**12, 2**53, 10**30, 10**300]:
        t = int(t)
        try:
            want = s._compute(SCALAR, t)  # the formula, unrecorded
        except OverflowError:  # (a step beyond float64 for `step / period`)
            with pytest.raises(OverflowError, match="ExponentialDecay overflows float64"):
                s(t)
            continue
        assert math.isfinite(want) and abs(want) <= abs(init), (t, want)
        assert s(t) == want, t
    assert "out - out" not in inspect.getsource(s._call)  # (the check is left out)


@pytest.mark.parametrize(
    ("init", "rate"), [(0.1, 1.5), (sys.float_info.max, 0.5), (-sys.float_info.max, 0.9)]
)
def test_a_growth_or_a_huge_rate_keeps_the_overflow_check(init, rate):
    s = lrkit.ExponentialDecay(init, 10, rate)
    assert not s._always_finite()
    s(1)
    assert "out - out" in inspect.getsource(s._call)
