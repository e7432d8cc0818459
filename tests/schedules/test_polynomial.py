"""PolynomialDecay (``lrkit/schedules/polynomial.py``): Keras parity; exact values; validation;
serialization."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrkit
from families import only
from test_exactness import (
    GENERATORS,
    INT_VS_FLOAT,
    LARGE,
    ONE_OF_EACH,
    POLY_CONFIGS,
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


@pytest.mark.parametrize(("name", "kw", "steps", "scalar"), only(_cases(), "polynomial"))
def test_values_match_keras(keras, ks, name, kw, steps, scalar):
    check_values_match_keras(keras, ks, name, kw, steps, scalar)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "polynomial", ids=SERIAL_IDS))
def test_serialize_equals_keras(ks, name, kw):
    check_serialize_equals_keras(ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "polynomial", ids=SERIAL_IDS))
def test_keras_deserializes_ours(keras, ks, name, kw):
    check_keras_deserializes_ours(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "polynomial", ids=SERIAL_IDS))
def test_we_deserialize_keras(keras, ks, name, kw):
    check_we_deserialize_keras(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "polynomial", ids=SERIAL_IDS))
def test_we_deserialize_tf_keras_2_form(keras, ks, name, kw):
    check_we_deserialize_tf_keras_2_form(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "polynomial", ids=SERIAL_IDS))
def test_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw):
    check_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw)


@pytest.mark.parametrize("name", only(CLASSES, "polynomial"))
def test_signature_equals_keras(ks, name):
    check_signature_equals_keras(ks, name)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "polynomial", ids=SERIAL_IDS))
def test_attributes_keras_sets_exist_with_equal_values(ks, name, kw):
    check_attributes_keras_sets_exist_with_equal_values(ks, name, kw)


# -- exact values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ints", "floats"), only(INT_VS_FLOAT, "polynomial"), ids=lambda s: type(s).__name__
)
def test_integer_hyperparameters_behave_as_floats(ints, floats):
    check_integer_hyperparameters_behave_as_floats(ints, floats)


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


@pytest.mark.parametrize("s", only(ONE_OF_EACH, "polynomial"), ids=repr)
def test_step_types_give_the_same_python_float(s):
    check_step_types_give_the_same_python_float(s)


@pytest.mark.parametrize("s", only(LARGE, "polynomial"), ids=repr)
def test_large_steps(s):
    check_large_steps(s)


@pytest.mark.parametrize("name", only(sorted(GENERATORS), "polynomial"))
def test_generated_sweep(name):
    check_generated_sweep(name)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "arg", "value", "exc", "words"), only(BAD, "polynomial"))
def test_bad_argument_raises_at_construction(cls, arg, value, exc, words):
    check_bad_argument_raises_at_construction(cls, arg, value, exc, words)


# -- serialization -------------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "polynomial"), ids=lambda s: type(s).__name__)
def test_round_trips(s):
    check_round_trips(s)
