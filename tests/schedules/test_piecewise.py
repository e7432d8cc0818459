"""PiecewiseConstantDecay (``lrkit/schedules/piecewise.py``): Keras parity; exact values;
validation; serialization."""

from __future__ import annotations

import pytest

import lrkit
from families import only
from test_exactness import (
    GENERATORS,
    INT_VS_FLOAT,
    LARGE,
    ONE_OF_EACH,
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


@pytest.mark.parametrize(("name", "kw", "steps", "scalar"), only(_cases(), "piecewise"))
def test_values_match_keras(keras, ks, name, kw, steps, scalar):
    check_values_match_keras(keras, ks, name, kw, steps, scalar)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "piecewise", ids=SERIAL_IDS))
def test_serialize_equals_keras(ks, name, kw):
    check_serialize_equals_keras(ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "piecewise", ids=SERIAL_IDS))
def test_keras_deserializes_ours(keras, ks, name, kw):
    check_keras_deserializes_ours(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "piecewise", ids=SERIAL_IDS))
def test_we_deserialize_keras(keras, ks, name, kw):
    check_we_deserialize_keras(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "piecewise", ids=SERIAL_IDS))
def test_we_deserialize_tf_keras_2_form(keras, ks, name, kw):
    check_we_deserialize_tf_keras_2_form(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "piecewise", ids=SERIAL_IDS))
def test_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw):
    check_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw)


@pytest.mark.parametrize("name", only(CLASSES, "piecewise"))
def test_signature_equals_keras(ks, name):
    check_signature_equals_keras(ks, name)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "piecewise", ids=SERIAL_IDS))
def test_attributes_keras_sets_exist_with_equal_values(ks, name, kw):
    check_attributes_keras_sets_exist_with_equal_values(ks, name, kw)


# -- exact values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ints", "floats"), only(INT_VS_FLOAT, "piecewise"), ids=lambda s: type(s).__name__
)
def test_integer_hyperparameters_behave_as_floats(ints, floats):
    check_integer_hyperparameters_behave_as_floats(ints, floats)


@pytest.mark.parametrize("s", only(ONE_OF_EACH, "piecewise"), ids=repr)
def test_step_types_give_the_same_python_float(s):
    check_step_types_give_the_same_python_float(s)


@pytest.mark.parametrize("s", only(LARGE, "piecewise"), ids=repr)
def test_large_steps(s):
    check_large_steps(s)


def test_piecewise_boundaries_at_large_steps():
    s = lrkit.PiecewiseConstantDecay([2**24, 2**31, 2**53], [1.0, 0.5, 0.25, 0.125])
    steps = (2**24, 2**24 + 1, 2**31, 2**31 + 1, 2**53, 2**53 + 1)
    assert [s(t) for t in steps] == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    t = lrkit.PiecewiseConstantDecay([2**53 + 1], [1.0, 0.0])  # not a float64
    assert (t(2**53), t(2**53 + 1), t(2**53 + 2)) == (1.0, 1.0, 0.0)


@pytest.mark.parametrize("name", only(sorted(GENERATORS), "piecewise"))
def test_generated_sweep(name):
    check_generated_sweep(name)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "arg", "value", "exc", "words"), only(BAD, "piecewise"))
def test_bad_argument_raises_at_construction(cls, arg, value, exc, words):
    check_bad_argument_raises_at_construction(cls, arg, value, exc, words)


# -- serialization -------------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "piecewise"), ids=lambda s: type(s).__name__)
def test_round_trips(s):
    check_round_trips(s)


def test_get_config_is_a_copy():
    s = lrkit.PiecewiseConstantDecay([10], [1.0, 0.5])
    cfg = s.get_config()
    cfg["boundaries"].append(20)
    assert s.get_config()["boundaries"] == [10]
    assert s(11) == 0.5
