"""InverseTimeDecay (``lrkit/schedules/inverse_time.py``): Keras parity; exact values;
validation; serialization."""

from __future__ import annotations

from fractions import Fraction

import pytest

import lrkit
from families import only
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


@pytest.mark.parametrize(("name", "kw", "steps", "scalar"), only(_cases(), "inverse_time"))
def test_values_match_keras(keras, ks, name, kw, steps, scalar):
    check_values_match_keras(keras, ks, name, kw, steps, scalar)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "inverse_time", ids=SERIAL_IDS))
def test_serialize_equals_keras(ks, name, kw):
    check_serialize_equals_keras(ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "inverse_time", ids=SERIAL_IDS))
def test_keras_deserializes_ours(keras, ks, name, kw):
    check_keras_deserializes_ours(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "inverse_time", ids=SERIAL_IDS))
def test_we_deserialize_keras(keras, ks, name, kw):
    check_we_deserialize_keras(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "inverse_time", ids=SERIAL_IDS))
def test_we_deserialize_tf_keras_2_form(keras, ks, name, kw):
    check_we_deserialize_tf_keras_2_form(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "inverse_time", ids=SERIAL_IDS))
def test_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw):
    check_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw)


@pytest.mark.parametrize("name", only(CLASSES, "inverse_time"))
def test_signature_equals_keras(ks, name):
    check_signature_equals_keras(ks, name)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "inverse_time", ids=SERIAL_IDS))
def test_attributes_keras_sets_exist_with_equal_values(ks, name, kw):
    check_attributes_keras_sets_exist_with_equal_values(ks, name, kw)


# -- exact values --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [24, 31, 53])
def test_inverse_time_staircase_large_steps(n):
    for T, step, q in _staircase_cases(n):
        s = lrkit.InverseTimeDecay(1.0, T, 0.5, staircase=True)
        expected = float(Fraction(1) / (1 + Fraction(q, 2)))  # exactly rounded
        assert s(step) == expected, (T, step, q)
        if step <= 2**53:
            assert s(float(step)) == expected, (T, float(step), q)
        check(lrkit.InverseTimeDecay(0.3, T, 2.5, staircase=True), [step])


@pytest.mark.parametrize(
    ("ints", "floats"), only(INT_VS_FLOAT, "inverse_time"), ids=lambda s: type(s).__name__
)
def test_integer_hyperparameters_behave_as_floats(ints, floats):
    check_integer_hyperparameters_behave_as_floats(ints, floats)


@pytest.mark.parametrize("s", only(ONE_OF_EACH, "inverse_time"), ids=repr)
def test_step_types_give_the_same_python_float(s):
    check_step_types_give_the_same_python_float(s)


@pytest.mark.parametrize("s", only(LARGE, "inverse_time"), ids=repr)
def test_large_steps(s):
    check_large_steps(s)


@pytest.mark.parametrize("name", only(sorted(GENERATORS), "inverse_time"))
def test_generated_sweep(name):
    check_generated_sweep(name)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "arg", "value", "exc", "words"), only(BAD, "inverse_time"))
def test_bad_argument_raises_at_construction(cls, arg, value, exc, words):
    check_bad_argument_raises_at_construction(cls, arg, value, exc, words)


# -- serialization -------------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_time"), ids=lambda s: type(s).__name__)
def test_round_trips(s):
    check_round_trips(s)
