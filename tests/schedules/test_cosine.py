"""CosineDecay (``lrkit/schedules/cosine.py``): Keras parity; exact values; validation;
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


@pytest.mark.parametrize(("name", "kw", "steps", "scalar"), only(_cases(), "cosine"))
def test_values_match_keras(keras, ks, name, kw, steps, scalar):
    check_values_match_keras(keras, ks, name, kw, steps, scalar)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine", ids=SERIAL_IDS))
def test_serialize_equals_keras(ks, name, kw):
    check_serialize_equals_keras(ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine", ids=SERIAL_IDS))
def test_keras_deserializes_ours(keras, ks, name, kw):
    check_keras_deserializes_ours(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine", ids=SERIAL_IDS))
def test_we_deserialize_keras(keras, ks, name, kw):
    check_we_deserialize_keras(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine", ids=SERIAL_IDS))
def test_we_deserialize_tf_keras_2_form(keras, ks, name, kw):
    check_we_deserialize_tf_keras_2_form(keras, ks, name, kw)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine", ids=SERIAL_IDS))
def test_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw):
    check_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw)


@pytest.mark.parametrize("name", only(CLASSES, "cosine"))
def test_signature_equals_keras(ks, name):
    check_signature_equals_keras(ks, name)


@pytest.mark.parametrize(("name", "kw"), only(SERIAL_CONFIGS, "cosine", ids=SERIAL_IDS))
def test_attributes_keras_sets_exist_with_equal_values(ks, name, kw):
    check_attributes_keras_sets_exist_with_equal_values(ks, name, kw)


# -- exact values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ints", "floats"), only(INT_VS_FLOAT, "cosine"), ids=lambda s: type(s).__name__
)
def test_integer_hyperparameters_behave_as_floats(ints, floats):
    check_integer_hyperparameters_behave_as_floats(ints, floats)


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


@pytest.mark.parametrize("s", only(ONE_OF_EACH, "cosine"), ids=repr)
def test_step_types_give_the_same_python_float(s):
    check_step_types_give_the_same_python_float(s)


@pytest.mark.parametrize("s", only(LARGE, "cosine"), ids=repr)
def test_large_steps(s):
    check_large_steps(s)


@pytest.mark.parametrize("name", only(sorted(GENERATORS), "cosine"))
def test_generated_sweep(name):
    check_generated_sweep(name)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "arg", "value", "exc", "words"), only(BAD, "cosine"))
def test_bad_argument_raises_at_construction(cls, arg, value, exc, words):
    check_bad_argument_raises_at_construction(cls, arg, value, exc, words)


# -- serialization -------------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "cosine"), ids=lambda s: type(s).__name__)
def test_round_trips(s):
    check_round_trips(s)
