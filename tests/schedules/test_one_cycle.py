"""OneCycle (``lrkit/schedules/one_cycle.py``): the schedule API; exact reference (mpmath);
optax; PyTorch."""

from __future__ import annotations

import warnings
from fractions import Fraction

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
from test_modern_optax import U32, check, interp_ref, optax_values
from test_modern_torch import ONECYCLE, assert_close, torch_rates

# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


@pytest.fixture(scope="module")
def optax():
    return require("optax")


@pytest.fixture(scope="module")
def sched():
    return require("torch").optim.lr_scheduler


# -- the schedule API ----------------------------------------------------------------------------


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "one_cycle"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "one_cycle"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "one_cycle"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


# -- optax ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "pct", "div", "final_div"),
    [
        (100, 0.3, 25.0, 1e4),
        (37, 0.25, 10.0, 100.0),
        (10, 0.05, 10.0, 100.0),
        (1000, 0.4, 5.0, 10.0),
    ],
)
def test_onecycle_schedules(optax, mp, steps, pct, div, final_div):
    peak, n = 0.5, steps + 5
    cos = optax.cosine_onecycle_schedule(steps, peak, pct, div, final_div)
    ours = lrkit.OneCycle(
        peak, steps, pct, div_factor=div, final_div_factor=final_div, convention="optax"
    )
    peak_at = int(Fraction(str(pct)) * steps)
    scales = {peak_at: div, steps: 1 / (div * final_div)}
    check(ours, optax_values(cos, n), interp_ref(mp, "cosine", peak / div, scales, n), peak)

    lin = optax.linear_onecycle_schedule(steps, peak, pct, 0.85, div, final_div)
    ours = lrkit.OneCycle(
        peak,
        steps,
        pct,
        anneal_strategy="linear",
        div_factor=div,
        final_div_factor=final_div,
        three_phase=True,
        pct_final=0.85,
        convention="optax",
    )
    scales = {peak_at: div, int(Fraction("0.85") * steps): 1 / div, steps: 1 / final_div}
    check(ours, optax_values(lin, n), interp_ref(mp, "linear", peak / div, scales, n), peak)


def test_onecycle_fraction_is_exact(optax):
    # optax's peak step is int(0.29 * 100) = int(28.999999999999996) = 28; lrkit takes
    # 0.29 * 100 as 29. pct_start=0.28 reproduces optax's schedule.
    theirs = optax_values(optax.cosine_onecycle_schedule(100, 1.0, 0.29), 101)
    assert max(range(101), key=lambda t: theirs[t]) == 28
    ours = lrkit.OneCycle(1.0, 100, 0.29, convention="optax")
    assert ours(29) == 1.0 and ours(28) < 1.0
    same = lrkit.OneCycle(1.0, 100, 0.28, convention="optax")
    assert all(abs(same(t) - theirs[t]) <= 16 * U32 for t in range(101))


# -- PyTorch -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", ONECYCLE, ids=str)
def test_one_cycle_lr(sched, kw):
    lr = 0.5
    n = kw["total_steps"]
    theirs = torch_rates(lambda o: sched.OneCycleLR(o, max_lr=lr, **kw), lr, n)
    assert_close(theirs, lrkit.OneCycle(lr, **kw), lr)


def test_one_cycle_lr_steps_per_epoch(sched):
    lr = 0.1
    theirs = torch_rates(
        lambda o: sched.OneCycleLR(o, max_lr=lr, epochs=4, steps_per_epoch=25), lr, 100
    )
    assert_close(theirs, lrkit.OneCycle(lr, total_steps=4 * 25), lr)


def test_one_cycle_where_torch_fails_or_stops(sched):
    # pct_start * total_steps == 1 puts torch's peak at step 0, and torch divides 0 by 0
    with pytest.raises(ZeroDivisionError):
        torch_rates(
            lambda o: sched.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.1), 1.0, 1
        )
    s = lrkit.OneCycle(1.0, total_steps=10, pct_start=0.1)
    assert s(0) == 1.0
    # at step total_steps torch continues the cosine past its end, then refuses to step;
    # lrkit holds the final rate
    torch = require("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one_cycle = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        for _ in range(10):
            opt.step()
            one_cycle.step()
        assert opt.param_groups[0]["lr"] == pytest.approx(0.0495, abs=1e-4)
        with pytest.raises(ValueError, match="Tried to step 11 times"):
            one_cycle.step()
    assert lrkit.OneCycle(1.0, 10)(9) == lrkit.OneCycle(1.0, 10)(10) == 1.0 / 25 / 1e4
