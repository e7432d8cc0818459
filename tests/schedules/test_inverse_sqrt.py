"""InverseSqrt (``lrkit/schedules/inverse_sqrt.py``): the schedule API; exact reference
(mpmath); transformers."""

from __future__ import annotations

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
from test_modern_transformers import LR, assert_close, tf_rates

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


# -- the schedule API ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "inverse_sqrt"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "inverse_sqrt"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "inverse_sqrt"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


# -- transformers --------------------------------------------------------------------------------


@pytest.mark.parametrize("warmup", [0, 1, 7, 100])
@pytest.mark.parametrize("timescale", [None, 3, 1000])
def test_inverse_sqrt(warmup, timescale):
    kw = {} if timescale is None else {"timescale": timescale}
    theirs = tf_rates("inverse_sqrt", 400, warmup, None, **kw)
    assert_close(theirs, lrkit.InverseSqrt(LR, warmup, timescale))
