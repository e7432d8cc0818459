"""Linear, PiecewiseLinear, Polynomial (``lrkit/schedules/linear.py``): the schedule API; exact
reference (mpmath); optax; PyTorch; transformers."""

from __future__ import annotations

import math

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
from test_modern_optax import _amplification, check, interp_ref, optax_values, poly_ref
from test_modern_torch import assert_close, torch_rates
from test_modern_transformers import LR, PHASES, tf_rates
from test_modern_transformers import assert_close as assert_close_transformers

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


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_serialization_round_trip(s):
    check_serialization_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_repr_round_trip(s):
    check_repr_round_trip(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_config_is_flat_and_json_safe(s):
    check_config_is_flat_and_json_safe(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_immutable(s):
    check_immutable(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_python_values_are_finite_floats(s):
    check_python_values_are_finite_floats(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_numpy_arrays_equal_python_values(s):
    check_numpy_arrays_equal_python_values(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_jax_jit(s):
    check_jax_jit(s)


@pytest.mark.parametrize("s", only(SCHEDULES, "linear"), ids=_id)
def test_torch_tensors(s):
    check_torch_tensors(s)


@pytest.mark.parametrize(
    ("cls", "kw", "exc", "words"),
    only(ERRORS, "linear"),
    ids=lambda x: x.__name__ if isinstance(x, type) else None,
)
def test_bad_arguments_raise_at_construction(cls, kw, exc, words):
    check_bad_arguments_raise_at_construction(cls, kw, exc, words)


def test_from_scales_errors():
    with pytest.raises(ValueError, match=r"scales >= 0 .* boundaries_and_scales\[10\]=-0.5"):
        lrkit.PiecewiseLinear.from_scales(1.0, {10: -0.5})
    with pytest.raises(ValueError, match=r"steps >= 0 as keys\. Received: a key -10"):
        lrkit.PiecewiseLinear.from_scales(1.0, {-10: 0.5})
    with pytest.raises(TypeError, match="dict"):
        lrkit.PiecewiseLinear.from_scales(1.0, [(10, 0.5)])


# -- exact reference (mpmath) --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kw"), only(_cases(), "linear"))
def test_matches_exact_reference(mp, name, kw):
    check_matches_exact_reference(mp, name, kw)


# -- optax ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("init", "end", "steps", "begin"),
    [
        (1.0, 0.01, 100, 0),
        (0.3, 0.01, 37, 5),
        (0.0, 2e-3, 1, 0),
        (1e-3, 1.0, 250, 40),
    ],
)
def test_linear_schedule(optax, mp, init, end, steps, begin):
    n = begin + steps + 10
    theirs = optax_values(optax.linear_schedule(init, end, steps, begin), n)
    ours = lrkit.Linear(init, end, steps, transition_begin=begin)
    check(ours, theirs, poly_ref(mp, init, end, 1, steps, begin, n), max(abs(init), abs(end)))


@pytest.mark.parametrize(
    ("init", "end", "power", "steps", "begin"),
    [
        (1.0, 0.01, 2, 100, 0),
        (0.3, 0.01, 0.5, 37, 5),
        (0.5, 0.0, 3.7, 60, 0),
        (1.0, 0.1, 1, 10, 3),
    ],
)
def test_polynomial_schedule(optax, mp, init, end, power, steps, begin):
    n = begin + steps + 10
    # uncompiled: compiled, optax gives NaN at the end for some powers (test below)
    theirs = optax_values(optax.polynomial_schedule(init, end, power, steps, begin), n, False)
    # optax's transition_begin holds init_value: a "warmup" from the rate to itself
    ours = lrkit.Polynomial(init, steps, end, power, warmup_steps=begin, warmup_learning_rate=init)
    check(
        ours,
        theirs,
        poly_ref(mp, init, end, power, steps, begin, n),
        max(abs(init), abs(end)),
        _amplification(power, 1 / steps),
    )


@pytest.mark.parametrize("kind", ["linear", "cosine"])
@pytest.mark.parametrize(
    "scales",
    [
        {4: 0.1, 8: 0.01},
        {10: 0.5, 0: 2.0, 30: 0.1, 31: 3.0},
        {},
        {25: 1.0},
    ],
    ids=str,
)
def test_piecewise_interpolate_schedule(optax, mp, kind, scales):
    n = 45
    theirs = optax_values(optax.piecewise_interpolate_schedule(kind, 0.7, scales), n)
    ours = lrkit.PiecewiseLinear.from_scales(0.7, scales, interpolation=kind)
    check(ours, theirs, interp_ref(mp, kind, 0.7, scales, n), 2 * 0.7 * 3)


def test_zero_transition_steps(optax):
    # optax: a transition of 0 steps disables the schedule and holds init_value;
    # lrkit: a line of length 0 reaches the end value at once (from transition_begin).
    assert optax_values(optax.linear_schedule(1.0, 0.5, 0), 3) == [1.0, 1.0, 1.0]
    assert [lrkit.Linear(1.0, 0.5, 0)(t) for t in range(3)] == [0.5, 0.5, 0.5]
    assert [lrkit.Linear(1.0, 0.5, 0, transition_begin=2)(t) for t in range(4)] == [
        1.0,
        1.0,
        0.5,
        0.5,
    ]


def test_polynomial_schedule_is_nan_at_its_end_under_jit(optax):
    # Compiled for CPU, XLA turns count / 60 into count * (1/60) = 1.0000001 in float32,
    # so 1 - count / 60 is -5e-8 and (-5e-8) ** 0.5 is NaN from the last step on.
    jax = require("jax")
    fn = optax.polynomial_schedule(0.5, 0.0, 0.5, 60)
    assert float(fn(60)) == 0.0
    assert math.isnan(float(jax.jit(fn)(60)))
    assert lrkit.Polynomial(0.5, 60, 0.0, 0.5)(60) == 0.0
    assert float(jax.jit(lrkit.Polynomial(0.5, 60, 0.0, 0.5))(jax.numpy.arange(62))[-1]) == 0.0
    # many step counts do it (120 of the first 200); a sample:
    for t in (3, 5, 6, 7):
        assert math.isnan(float(jax.jit(optax.polynomial_schedule(1.0, 0.0, 0.5, t))(t)))


# -- PyTorch -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "total"),
    [
        (1 / 3, 1.0, 5),
        (0.1, 0.9, 37),
        (1.0, 0.05, 100),
        (0.5, 0.5, 10),
        (0.01, 1.0, 1),
    ],
)
def test_linear_lr(sched, start, end, total):
    lr = 0.3
    theirs = torch_rates(lambda o: sched.LinearLR(o, start, end, total), lr, total + 20)
    assert_close(theirs, lrkit.Linear(lr * start, lr * end, total), lr)


def test_linear_lr_zero_iterations_differs(sched):
    # torch with total_iters=0 holds start_factor forever (its closed form divides by
    # zero); lrkit's line of length 0 is the end rate at once.
    theirs = torch_rates(lambda o: sched.LinearLR(o, 0.5, 1.0, 0), 1.0, 3)
    assert theirs == [0.5, 0.5, 0.5]
    assert [lrkit.Linear(0.5, 1.0, 0)(t) for t in range(3)] == [1.0, 1.0, 1.0]


# -- transformers --------------------------------------------------------------------------------


@pytest.mark.parametrize(("warmup", "total"), PHASES)
def test_linear(warmup, total):
    theirs = tf_rates("linear", total + 5, warmup, total)
    assert_close_transformers(theirs, lrkit.Polynomial(LR, total - warmup, warmup_steps=warmup))
    assert_close_transformers(theirs, lrkit.PiecewiseLinear([(0, 0.0), (warmup, LR), (total, 0.0)]))


@pytest.mark.parametrize(("warmup", "total"), PHASES)
@pytest.mark.parametrize("power", [1.0, 2.0, 0.5])
def test_polynomial(warmup, total, power):
    theirs = tf_rates("polynomial", total + 5, warmup, total, lr_end=1e-4, power=power)
    assert_close_transformers(
        theirs, lrkit.Polynomial(LR, total - warmup, 1e-4, power, warmup_steps=warmup)
    )


@pytest.mark.parametrize("warmup", [0, 1, 7, 100])
def test_constant_with_warmup(warmup):
    theirs = tf_rates("constant_with_warmup", 120, warmup, None)
    assert_close_transformers(theirs, lrkit.Linear(0.0, LR, warmup))


def test_polynomial_without_decay_steps():
    # num_training_steps == num_warmup_steps: transformers divides by zero at the end of
    # the warmup; lrkit needs decay_steps > 0, and the same schedule is a warmup line.
    with pytest.raises(ZeroDivisionError):
        tf_rates("polynomial", 12, 10, 10)
    with pytest.raises(ValueError, match="decay_steps"):
        lrkit.Polynomial(LR, 0, warmup_steps=10)
