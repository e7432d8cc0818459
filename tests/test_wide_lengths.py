"""Lengths beyond the step's integer dtype: every schedule gives its value, on every backend.

JAX without 64-bit mode computes integer steps in int32, and a configuration's lengths
(decay steps, warmups, boundaries, offsets) may be beyond ``2**31 - 1``. A Python
integer beyond the dtype's range then meets the step exactly: a comparison with it is
decided in Python (every int32 lies below ``10**10``), a quotient by it is 0, and
arithmetic with it goes to the float dtype. Every registered class is checked with
such a configuration, eager and under ``jax.jit``, on int32 and float32 steps (vector
and 0-d), and on NumPy and PyTorch int32/int64/float32 steps, against the float64
Python value within the float32 bound of docs/backends.md.
"""

from __future__ import annotations

from typing import Any

import pytest

import lrkit
from conftest import require
from lrkit import model_garden as mg

B = 10**10  # beyond int32 (and float32's exact integers)
W = 3 * 10**9
EPS32 = 2.0**-23
#: |float32 result - float64 value| <= C * eps32 * scale (docs/backends.md: 2.25 for the
#: Keras schedules); the other schedules' formulas take one or two roundings more
C = 4.0


def _schedules() -> list[tuple[str, Any]]:
    X = lrkit
    cos = X.CosineDecay(0.1, B, alpha=0.01)
    mg_cos = mg.CosineDecayWithOffset(offset=0, initial_learning_rate=0.1, decay_steps=B)
    return [
        ("exponential", X.ExponentialDecay(0.1, B, 0.5)),
        ("exponential-staircase", X.ExponentialDecay(0.1, W, 0.5, staircase=True)),
        ("inverse-time", X.InverseTimeDecay(0.1, B, 0.5)),
        ("inverse-time-staircase", X.InverseTimeDecay(0.1, W, 0.5, staircase=True)),
        ("piecewise", X.PiecewiseConstantDecay([10**9, W, B], [0.1, 0.05, 0.01, 0.001])),
        ("polynomial", X.PolynomialDecay(0.1, B, 1e-4, power=0.5)),
        ("polynomial-cycle", X.PolynomialDecay(0.1, W, 1e-4, cycle=True)),
        ("cosine", cos),
        ("cosine-warmup", X.CosineDecay(0.0, B, warmup_target=0.1, warmup_steps=W)),
        ("restarts", X.CosineDecayRestarts(0.1, W, t_mul=2.0, m_mul=0.9)),
        ("constant", X.Constant(0.1)),
        ("linear", X.Linear(0.1, 0.0, B, transition_begin=W)),
        ("polynomial-warmup", X.Polynomial(0.1, B, power=2.0, warmup_steps=W)),
        ("piecewise-linear", X.PiecewiseLinear([(0, 0.0), (W, 0.1), (B, 0.001)])),
        ("inverse-sqrt", X.InverseSqrt(0.1, warmup_steps=W)),
        ("wsd", X.WarmupStableDecay(0.1, total_steps=B, warmup_steps=W, decay_fraction=0.5)),
        ("one-cycle", X.OneCycle(0.1, B)),
        ("cyclic", X.Cyclic(0.01, 0.1, step_size_up=W, mode="triangular2")),
        ("cosine-waves", X.Cosine(0.1, B, waves=1.0, cycles=3, warmup_steps=W)),
        ("cosine-cycles", X.CosineCycles(0.1, W, cycle_mul=2.0, cycle_decay=0.7, cycle_limit=3)),
        ("tanh", X.Tanh(0.1, W, cycle_mul=1.5, cycle_limit=None)),
        ("poly-cycles", X.PolyCycles(0.1, W, power=2.0, cycle_limit=None, k_decay=2.0)),
        ("cosine-annealing", X.CosineAnnealing(0.1, W, min_learning_rate=1e-4)),
        ("one-cycle-momentum", X.OneCycle(0.1, B).momentum(0.85, 0.95)),
        ("cooldown", X.Cooldown(cos, W, W, shape="1-sqrt")),
        ("epochwise", X.Epochwise(X.CosineDecay(0.1, 10**4), W // 1000, granularity="epoch")),
        ("step", X.Step(0.1, W, gamma=0.9, warmup_steps=W)),
        ("multistep", X.MultiStep(0.1, [10**9, W, B], gamma=0.1)),
        ("warmup", X.Warmup(cos, W)),
        ("join", X.Join([X.Linear(0.0, 0.1, W), cos], [W])),
        ("offset", X.Offset(cos, W)),
        ("clamp", X.Clamp(X.ExponentialDecay(0.1, W, 0.5), min_value=1e-5)),
        ("sum-product", 0.5 * cos + cos * X.Linear(1.0, 0.5, B)),
        ("mg-cosine", mg.CosineDecayWithOffset(offset=W, initial_learning_rate=0.1, decay_steps=B)),
        (
            "mg-exponential",
            mg.ExponentialDecayWithOffset(
                offset=W, initial_learning_rate=0.1, decay_steps=B, decay_rate=0.9
            ),
        ),
        (
            "mg-piecewise",
            mg.PiecewiseConstantDecayWithOffset(
                offset=W, boundaries=[10**9, B], values=[0.1, 0.01, 0.001]
            ),
        ),
        (
            "mg-polynomial",
            mg.PolynomialDecayWithOffset(offset=W, initial_learning_rate=0.1, decay_steps=B),
        ),
        ("mg-power", mg.DirectPowerDecay(0.1, power=-0.5)),
        ("mg-power-linear", mg.PowerAndLinearDecay(0.1, B, power=-0.5)),
        (
            "mg-power-offset",
            mg.PowerDecayWithOffset(0.1, power=-0.5, offset=W, pre_offset_learning_rate=0.1),
        ),
        ("mg-step-cosine", mg.StepCosineDecayWithOffset([0, 10**9, B], [0.1, 0.01, 0.001])),
        ("mg-linear-warmup", mg.LinearWarmup(mg_cos, W, 0.0)),
        ("mg-polynomial-warmup", mg.PolynomialWarmUp(mg_cos, W)),
    ]


SCHEDULES = _schedules()
IDS = [name for name, _ in SCHEDULES]
#: int32 steps, up to its largest (and float32 steps that hold these values exactly)
INT_STEPS = [0, 1, 12_345, 10**9 - 1, 10**9, 10**9 + 1, 2**31 - 1]
FLOAT_STEPS = [0.0, 1.0, 12_345.0, 999_999_936.0, 10.0**9, 1_000_000_128.0, 2147483520.0]


def _classes(s: Any) -> set[str]:
    out = {type(s).__name__}
    for c in (
        getattr(s, "schedule", None),
        getattr(s, "after_warmup_lr_sched", None),
        *getattr(s, "schedules", ()),
    ):
        if isinstance(c, lrkit.LearningRateSchedule):
            out |= _classes(c)
    return out


def test_every_registered_class_is_checked():
    covered = set().union(*(_classes(s) for _, s in SCHEDULES))
    assert covered == {k for k in lrkit.registry.known() if ">" not in k}


def _check(schedule: Any, got: Any, steps: list[Any], wide: bool) -> None:
    import numpy as np

    values = np.asarray(got, dtype=np.float64).reshape(-1)
    want = np.array([schedule(s) for s in steps])
    scale = max(float(np.max(np.abs(want))), abs(schedule(0)), 1e-300)
    bound = 1e-12 * scale if wide else C * EPS32 * scale
    err = np.abs(values - want)
    assert np.all(err <= bound), list(zip(steps, values.tolist(), want.tolist(), strict=True))


@pytest.mark.parametrize("name", IDS)
def test_jax_int32_and_float32_steps(name):
    jax = require("jax")
    jnp = require("jax.numpy")
    schedule = dict(SCHEDULES)[name]
    jitted = jax.jit(schedule)
    wide = jax.config.jax_enable_x64
    for steps, dtype in ((INT_STEPS, jnp.int32), (FLOAT_STEPS, jnp.float32)):
        arr = jnp.asarray(steps, dtype=dtype)
        _check(schedule, schedule(arr), steps, False)
        _check(schedule, jitted(arr), steps, False)
        for s in (steps[3], steps[-1]):  # 0-d steps, eager and jitted
            _check(schedule, schedule(jnp.asarray(s, dtype=dtype)), [s], False)
            _check(schedule, jitted(jnp.asarray(s, dtype=dtype)), [s], False)
    # a Python step under jax.jit: a weak-typed int32 (or int64 with x64)
    _check(schedule, jitted(10**9), [10**9], wide and False)


@pytest.mark.parametrize("name", IDS)
def test_torch_and_numpy_steps(name):
    torch = require("torch")
    np = require("numpy")
    schedule = dict(SCHEDULES)[name]
    for dtype in (torch.int32, torch.int64):
        _check(schedule, schedule(torch.tensor(INT_STEPS, dtype=dtype)), INT_STEPS, False)
    _check(schedule, schedule(torch.tensor(FLOAT_STEPS, dtype=torch.float32)), FLOAT_STEPS, False)
    _check(schedule, schedule(torch.tensor(INT_STEPS, dtype=torch.float64)), INT_STEPS, True)
    _check(schedule, schedule(np.asarray(INT_STEPS, dtype=np.int32)), INT_STEPS, True)
    _check(schedule, schedule(np.asarray(FLOAT_STEPS, dtype=np.float32)), FLOAT_STEPS, False)


def test_the_examples_of_the_int32_overflow():
    jax = require("jax")
    jnp = require("jax.numpy")
    cosine = lrkit.Cosine(1000.0, 10**10)
    want = cosine(10**9)
    assert abs(float(jax.jit(cosine)(10**9)) - want) <= 2.25 * EPS32 * 1000.0
    decay = lrkit.CosineDecay(1000.0, 10**10)
    assert abs(float(decay(jnp.int32(10**9))) - decay(10**9)) <= 2.25 * EPS32 * 1000.0


def test_a_foreign_schedule_inside_gets_its_librarys_array():
    """A callable that is not lrkit's, composed with lengths beyond int32, is called with
    the JAX array itself (as optax's schedules inside a join are)."""
    jax = require("jax")
    jnp = require("jax.numpy")
    seen = []

    def foreign(step):
        seen.append(type(step))
        return 0.5 * jnp.cos(step / 10.0)

    schedule = lrkit.Join([lrkit.Constant(0.1), foreign], [W])
    for step in (jnp.int32(10**9), jnp.arange(3, dtype=jnp.int32)):
        out = jax.jit(schedule)(step)
        assert float(jnp.max(jnp.abs(out - 0.1))) == 0.0  # before the boundary at W
    assert seen and all(t.__module__.startswith("jax.") for t in seen), seen
