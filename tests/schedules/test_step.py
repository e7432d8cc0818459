"""MultiStep, Step (``lrkit/schedules/step.py``): the schedule API; exact reference (mpmath);
PyTorch; timm."""

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
from test_modern_timm import LR, compare, optimizer, timm_scheduler
from test_modern_torch import assert_close, torch_rates

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


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "step"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "step"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "step"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


# -- PyTorch -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "gamma"), [(7, 0.7), (1, 0.9), (30, 0.1), (10, 2.0)])
def test_step_lr(sched, size, gamma):
    lr = 0.3
    theirs = torch_rates(lambda o: sched.StepLR(o, size, gamma), lr, 120)
    scale = max(abs(x) for x in theirs)
    assert_close(theirs, lrkit.Step(lr, size, gamma), scale)


@pytest.mark.parametrize(
    ("milestones", "gamma"),
    [
        ([30, 80], 0.1),
        ([50, 10, 10, 30], 0.5),
        ([0, 5], 0.5),
        ([], 0.1),
    ],
)
def test_multistep_lr(sched, milestones, gamma):
    lr = 0.3
    theirs = torch_rates(lambda o: sched.MultiStepLR(o, milestones, gamma), lr, 100)
    assert_close(theirs, lrkit.MultiStep(lr, milestones, gamma), lr)


# -- timm ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        dict(decay_t=7, decay_rate=0.5),
        dict(decay_t=7, decay_rate=0.5, warmup_t=3, warmup_lr_init=0.01),
        dict(decay_t=7.5, decay_rate=0.5, warmup_t=3, warmup_lr_init=0.01, warmup_prefix=False),
        dict(decay_t=30, decay_rate=0.1, warmup_t=5),
    ],
    ids=str,
)
def test_step_lr_scheduler(kw):
    step_lr = timm_scheduler("step_lr")
    theirs = step_lr.StepLRScheduler(optimizer(), **kw)
    ours = lrkit.Step(
        LR,
        kw["decay_t"],
        kw["decay_rate"],
        kw.get("warmup_t", 0),
        kw.get("warmup_lr_init", 0.0),
        kw.get("warmup_prefix", True),
    )
    compare(theirs, ours, 120)


@pytest.mark.parametrize(
    "kw",
    [
        dict(decay_t=[10, 30, 30, 50], decay_rate=0.5),
        dict(decay_t=[10, 30], decay_rate=0.5, warmup_t=3, warmup_lr_init=0.01),
        dict(
            decay_t=[10, 30], decay_rate=0.5, warmup_t=3, warmup_lr_init=0.01, warmup_prefix=False
        ),
        dict(decay_t=[1, 2], decay_rate=0.1),
    ],
    ids=str,
)
def test_multistep_lr_scheduler(kw):
    # timm applies milestone m at t = m - 1: lrkit's milestones are timm's minus one
    multistep_lr = timm_scheduler("multistep_lr")
    theirs = multistep_lr.MultiStepLRScheduler(optimizer(), **kw)
    ours = lrkit.MultiStep(
        LR,
        [m - 1 for m in kw["decay_t"]],
        kw["decay_rate"],
        kw.get("warmup_t", 0),
        kw.get("warmup_lr_init", 0.0),
        kw.get("warmup_prefix", True),
    )
    compare(theirs, ours, 80)
