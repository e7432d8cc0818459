"""Tanh (``lrkit/schedules/tanh.py``): the schedule API; exact reference (mpmath); timm."""

from __future__ import annotations

import random

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
from test_modern_timm import CASES, LR, _converged, _ours_kwargs, compare, optimizer, timm_scheduler

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


# -- the schedule API ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "tanh"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "tanh"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "tanh"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


# -- timm ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", CASES, ids=str)
def test_tanh_lr_scheduler(kw):
    tanh_lr = timm_scheduler("tanh_lr")
    kw = dict(kw, **random.Random(str(kw)).choice([{}, {"lb": -3.0, "ub": 5.0}]))
    theirs = tanh_lr.TanhLRScheduler(optimizer(), **kw)
    ours = lrkit.Tanh(LR, **_ours_kwargs(kw))
    compare(theirs, ours, _converged(kw) or 400, kw)
