"""WarmupStableDecay (``lrkit/schedules/wsd.py``): the schedule API; exact reference (mpmath);
transformers."""

from __future__ import annotations

import math
import types

import pytest

import lrkit
from conftest import require
from families import only
from test_modern_api import (
    ERRORS,
    SCHEDULES,
    _id,
    check_bad_arguments_raise_at_construction,
    check_config_is_flat_and_json_safe,
    check_immutable,
    check_jax_jit,
    check_numpy_arrays_equal_python_values,
    check_python_values_are_finite_floats,
    check_repr_round_trip,
    check_serialization_round_trip,
    check_torch_tensors,
)
from test_modern_exact import _cases, check_matches_exact_reference
from test_modern_transformers import LR, SHAPES, assert_close, tf_rates

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


# -- the schedule API ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "wsd"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "wsd"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "wsd"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


# -- transformers --------------------------------------------------------------------------------


@pytest.mark.parametrize("warmup_type", SHAPES)
@pytest.mark.parametrize("decay_type", SHAPES)
@pytest.mark.parametrize(
    ("warmup", "decay", "total", "ratio"),
    [
        (5, 10, 40, 0.0),
        (0, 7, 30, 0.1),
        (3, 0, 20, 0.2),
        (4, 16, 20, 0.05),
        (100, 300, 1000, 0.0),
    ],
)
def test_warmup_stable_decay(warmup_type, decay_type, warmup, decay, total, ratio):
    theirs = tf_rates(
        "warmup_stable_decay",
        total + 5,
        warmup,
        total,
        num_decay_steps=decay,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=ratio,
    )
    ours = lrkit.WarmupStableDecay(
        LR, total, warmup, decay, warmup_shape=warmup_type, decay_shape=decay_type, alpha=ratio
    )
    assert_close(theirs, ours)


def test_warmup_stable_decay_stable_steps_and_waves():
    theirs = tf_rates(
        "warmup_stable_decay",
        50,
        5,
        None,
        num_decay_steps=20,
        num_stable_steps=7,
        num_cycles=1.0,
        min_lr_ratio=0.1,
    )
    assert_close(
        theirs,
        lrkit.WarmupStableDecay(
            LR, warmup_steps=5, decay_steps=20, stable_steps=7, waves=1.0, alpha=0.1
        ),
    )


@pytest.mark.parametrize("ratio", [0.1, 0.05, 0.25, 0.3, 0.07, 0.14])
def test_warmup_fraction_is_transformers_warmup_ratio(ratio):
    # TrainingArguments(warmup_steps=ratio).get_warmup_steps(N) is ceil(N * ratio), with
    # the float product: 0.07 * 100 = 7.000000000000001 gives 8 warmup steps there.
    # lrkit takes 0.07 of 100 as 7 (the fraction the user wrote). (TrainingArguments
    # itself needs accelerate to be built; its method is called on a stand-in.)
    transformers = require("transformers")
    total = 100
    args = types.SimpleNamespace(warmup_steps=ratio)
    theirs = transformers.TrainingArguments.get_warmup_steps(args, total)
    ours = lrkit.WarmupStableDecay(LR, total, warmup_fraction=ratio, decay_steps=10)
    assert ours.phases[0] == math.ceil(round(ratio * total, 9))
    if ratio in (0.07, 0.14):  # the float product rounds just above an integer
        assert theirs == ours.phases[0] + 1
        ours_same = lrkit.WarmupStableDecay(LR, total, warmup_steps=theirs, decay_steps=10)
        assert_close(
            tf_rates("warmup_stable_decay", 105, theirs, total, num_decay_steps=10), ours_same
        )
    else:
        assert theirs == ours.phases[0]
