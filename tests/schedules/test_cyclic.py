"""Cyclic (``lrkit/schedules/cyclic.py``): the schedule API; exact reference (mpmath); PyTorch."""

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
from test_modern_torch import CYCLIC, assert_close, torch_rates

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


@pytest.fixture(scope="module")
def sched():
    return require("torch").optim.lr_scheduler


# -- the schedule API ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "cyclic"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "cyclic"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "cyclic"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


def test_cyclic_is_exact_at_peaks_after_many_cycles():
    # q and r are integer arithmetic: the peak and the trough stay on their steps
    s = lrkit.Cyclic(0.1, 1.0, step_size_up=3, step_size_down=4)
    k = 10**15
    assert s(7 * k) == 0.1 and s(7 * k + 3) == 1.0
    w = lrkit.Cosine(1.0, decay_steps=3 * 10**15, cycles=3)
    assert w(10**15) == 1.0 and w(10**15 - 1) < 1e-25


# -- PyTorch -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", CYCLIC, ids=str)
def test_cyclic_lr(sched, kw):
    # torch's cycle position 1 + t/total - floor(1 + t/total) is rounded to about
    # cycle * 2**-52 (< 5e-14 here); the rate moves by at most (max - base) / step_size
    # per unit of position * total, so the error stays far below 1e-12 of the span.
    base, top = 0.01, 0.1
    theirs = torch_rates(lambda o: sched.CyclicLR(o, base, top, **kw), base, 300)
    assert_close(theirs, lrkit.Cyclic(base, top, **kw), top)
