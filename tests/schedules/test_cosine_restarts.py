"""CosineDecayRestarts (``lrkit/schedules/cosine_restarts.py``): Keras parity; exact values;
validation; serialization."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

import lrkit
import reference as R
from families import only
from test_exactness import (
    GENERATORS,
    INT_VS_FLOAT,
    LARGE,
    ONE_OF_EACH,
    REL,
    _integer_starts,
    check,
    check_generated_sweep,
    check_integer_hyperparameters_behave_as_floats,
    check_large_steps,
    check_step_types_give_the_same_python_float,
    mismatch,
)
from test_keras_parity import (
    CLASSES,
    SERIAL_CONFIGS,
    SERIAL_IDS,
    _cases,
    _pair,
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


@pytest.mark.parametrize(("name", "kw", "steps", "scalar"), only(_cases(), "cosine_restarts"))
def test_values_match_keras(keras, ks, name, kw, steps, scalar):
    check_values_match_keras(keras, ks, name, kw, steps, scalar)


@pytest.mark.parametrize("step", [81910, 327670])
def test_cosine_restarts_keras_misses_the_restart(keras, ks, step):
    # Restart i of CosineDecayRestarts(1.0, 10, t_mul=2.0) is at 10 * (2**i - 1): 81910
    # (i = 13) and 327670 (i = 15). Keras finds the period with a float32 logarithm that
    # lands just below i, so it gives the end of the previous period (0.0) instead of
    # the peak. With m_mul=1 (the default) every peak is initial_learning_rate = 1.0.
    kw = dict(initial_learning_rate=1.0, first_decay_steps=10, t_mul=2.0)
    theirs = float(keras.ops.convert_to_numpy(ks.CosineDecayRestarts(**kw)(step)))
    assert theirs == pytest.approx(0.0, abs=1e-6)  # Keras: 0.0, the trough, not the peak
    ours = lrkit.CosineDecayRestarts(**kw)
    assert ours._m_mul == 1.0
    assert ours(step) == 1.0
    assert ours(0) == 1.0
    # the step before is the end of the previous period, the step after just past the peak
    assert ours(step - 1) < 1e-8
    assert 0.999 < ours(step + 1) < 1.0


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine_restarts", ids=SERIAL_IDS))
def test_serialize_equals_keras(ks, name, kw):
    check_serialize_equals_keras(ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine_restarts", ids=SERIAL_IDS))
def test_keras_deserializes_ours(keras, ks, name, kw):
    check_keras_deserializes_ours(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine_restarts", ids=SERIAL_IDS))
def test_we_deserialize_keras(keras, ks, name, kw):
    check_we_deserialize_keras(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine_restarts", ids=SERIAL_IDS))
def test_we_deserialize_tf_keras_2_form(keras, ks, name, kw):
    check_we_deserialize_tf_keras_2_form(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine_restarts", ids=SERIAL_IDS))
def test_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw):
    check_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw)


@pytest.mark.parametrize("name", only(CLASSES, "cosine_restarts"))
def test_signature_equals_keras(ks, name):
    check_signature_equals_keras(ks, name)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine_restarts", ids=SERIAL_IDS))
def test_attributes_keras_sets_exist_with_equal_values(ks, name, kw):
    check_attributes_keras_sets_exist_with_equal_values(ks, name, kw)


def test_restarts_private_attributes_as_keras(ks):
    ours, theirs = _pair(
        ks,
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=3.0, m_mul=0.5),
    )
    assert (ours._t_mul, ours._m_mul) == (theirs._t_mul, theirs._m_mul) == (3.0, 0.5)


# -- exact values --------------------------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("ints", "floats"), only(INT_VS_FLOAT, "cosine_restarts"), ids=lambda s: type(s).__name__
)
def test_integer_hyperparameters_behave_as_floats(ints, floats):
    check_integer_hyperparameters_behave_as_floats(ints, floats)


@pytest.mark.parametrize("s", only(ONE_OF_EACH, "cosine_restarts"), ids=repr)
def test_step_types_give_the_same_python_float(s):
    check_step_types_give_the_same_python_float(s)


@pytest.mark.parametrize("s", only(LARGE, "cosine_restarts"), ids=repr)
def test_large_steps(s):
    check_large_steps(s)


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


@pytest.mark.parametrize("name", only(sorted(GENERATORS), "cosine_restarts"))
def test_generated_sweep(name):
    check_generated_sweep(name)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "arg", "value", "exc", "words"), only(BAD, "cosine_restarts"))
def test_bad_argument_raises_at_construction(cls, arg, value, exc, words):
    check_bad_argument_raises_at_construction(cls, arg, value, exc, words)


def test_t_mul_too_close_to_one_is_refused():
    with pytest.raises(ValueError, match="t_mul"):
        lrkit.CosineDecayRestarts(1.0, 1, t_mul=1.0 + 1e-9)


# -- serialization -------------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine_restarts"), ids=lambda s: type(s).__name__)
def test_round_trips(s):
    check_round_trips(s)
