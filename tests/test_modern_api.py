"""The schedules beyond Keras as lrkit objects: config, serialization, repr, arrays,
construction errors.

The tests of one family are in ``tests/schedules/test_<family>.py``; this module keeps
the shared tables and checks (``check_<test>``, run there on the family's cases) and the
tests that span families.
"""

from __future__ import annotations

import json
import math
import pickle

import pytest

import lrkit
from conftest import require
from lrkit.spec import parse_spec

SCHEDULES = [
    lrkit.Linear(0.0, 1e-3, 500),
    lrkit.Linear(1.0, 0.1, 100.5, transition_begin=20),
    lrkit.Polynomial(1e-3, 900, end_learning_rate=1e-7, power=2.0, warmup_steps=100),
    lrkit.PiecewiseLinear([(0, 0.0), (100, 1.0), (100, 0.5), (1000, 0.01)]),
    lrkit.PiecewiseLinear([(0, 1), (10.5, 2.0)], interpolation="cosine", name="pl"),
    lrkit.PiecewiseLinear.from_scales(1.0, {300: 0.1, 600: 0.1}),
    lrkit.InverseSqrt(1e-3, warmup_steps=4000),
    lrkit.InverseSqrt(0.01, timescale=100, warmup_learning_rate=1e-4, warmup_steps=10),
    lrkit.WarmupStableDecay(
        3e-4,
        total_steps=1000,
        warmup_fraction=0.05,
        decay_fraction=0.2,
        decay_shape="1-sqrt",
        alpha=0.1,
    ),
    lrkit.WarmupStableDecay(
        1.0,
        warmup_steps=10,
        stable_steps=80,
        decay_steps=10,
        warmup_shape="cosine",
        decay_shape="linear",
        waves=1.0,
        warmup_learning_rate=0.0,
    ),
    lrkit.OneCycle(0.1, 1000),
    lrkit.OneCycle(
        0.1,
        1000,
        pct_start=0.25,
        anneal_strategy="linear",
        three_phase=True,
        pct_final=0.85,
        convention="optax",
    ),
    lrkit.Cyclic(1e-3, 6e-3, step_size_up=200),
    lrkit.Cyclic(1e-3, 6e-3, 200, step_size_down=100, mode="exp_range", gamma=0.999),
    lrkit.Cosine(1e-3, 9000, alpha=0.1, warmup_steps=1000),
    lrkit.Cosine(
        1.0, 300, exponent=2.0, waves=1.0, cycles=3, warmup_learning_rate=0.1, warmup_steps=5
    ),
    lrkit.CosineCycles(
        0.1,
        100,
        min_learning_rate=1e-5,
        cycle_mul=2.0,
        cycle_decay=0.5,
        cycle_limit=4,
        k_decay=2.0,
        warmup_steps=10,
        warmup_prefix=True,
    ),
    lrkit.CosineCycles(0.1, 50, cycle_limit=None),
    lrkit.Tanh(0.1, 100, lb=-6.0, ub=4.0, cycle_mul=1.5, cycle_limit=3, warmup_steps=5),
    lrkit.Step(0.1, 30),
    lrkit.Step(0.1, 2.5, gamma=0.5, warmup_steps=3, warmup_learning_rate=0.01, warmup_prefix=False),
    lrkit.MultiStep(0.1, [80, 30, 30], gamma=0.5),
    lrkit.MultiStep(0.1, [], warmup_steps=10),
    lrkit.PolyCycles(0.1, 100, power=2.0, cycle_mul=2.0, cycle_limit=3, k_decay=2.0),
    lrkit.PolyCycles(0.1, 12.5, min_learning_rate=1e-4, warmup_steps=5, warmup_prefix=True),
    lrkit.CosineAnnealing(0.1, 300, min_learning_rate=1e-3),
    lrkit.CosineAnnealing(1.0, 12.5),
]

STEPS = [
    0,
    1,
    2,
    5,
    10,
    29,
    30,
    99,
    100,
    101,
    150,
    200,
    299,
    300,
    500,
    999,
    1000,
    1001,
    5000,
    10_000,
    123_457,
]


NEW_CLASSES = {
    "Linear",
    "Polynomial",
    "PiecewiseLinear",
    "InverseSqrt",
    "WarmupStableDecay",
    "OneCycle",
    "Cyclic",
    "Cosine",
    "CosineCycles",
    "Tanh",
    "Step",
    "MultiStep",
    "PolyCycles",
    "CosineAnnealing",
}


def _id(s):
    return type(s).__name__


def test_every_new_class_is_covered_and_exported():
    assert {type(s).__name__ for s in SCHEDULES} == NEW_CLASSES
    assert {cls.__name__ for cls, _, _, _ in ERRORS} == NEW_CLASSES
    for name in NEW_CLASSES:
        assert name in lrkit.__all__ and getattr(lrkit, name).__module__.startswith(
            "lrkit.schedules."
        )
        assert (
            lrkit.serialize(next(s for s in SCHEDULES if type(s).__name__ == name))["module"]
            == "lrkit"
        )


def check_serialization_round_trip(s):
    d = lrkit.serialize(s)
    assert d["module"] == "lrkit" and d["class_name"] == type(s).__name__
    back = lrkit.deserialize(json.loads(json.dumps(d)))
    assert back == s and hash(back) == hash(s)
    assert type(s).from_config(s.get_config()) == s
    assert pickle.loads(pickle.dumps(s)) == s
    assert [back(t) for t in STEPS] == [s(t) for t in STEPS]


def check_repr_round_trip(s):
    assert eval(repr(s), vars(lrkit)) == s
    assert parse_spec(repr(s)) == s


def check_config_is_flat_and_json_safe(s):
    config = s.get_config()
    assert json.loads(json.dumps(config)) == config
    for value in config.values():
        assert not isinstance(value, dict)
        assert value is None or isinstance(value, (bool, int, float, str, list))


def check_immutable(s):
    with pytest.raises(AttributeError, match="immutable"):
        s.name = "other"


def check_python_values_are_finite_floats(s):
    values = [s(t) for t in STEPS] + [s(2**53), s(0.5), s(17.25)]
    assert all(type(v) is float and math.isfinite(v) for v in values)


# -- arrays -------------------------------------------------------------------------------------


def check_numpy_arrays_equal_python_values(s):
    np = require("numpy")
    steps = np.array([*STEPS, 2**40 + 7], dtype=np.int64)
    ours = s(steps)
    assert isinstance(ours, np.ndarray) and ours.dtype == np.float64
    assert ours.shape == steps.shape
    expected = [s(int(t)) for t in steps]
    scale = max(abs(x) for x in expected) or 1.0
    assert max(abs(a - b) for a, b in zip(ours.tolist(), expected, strict=True)) <= 1e-12 * scale
    fsteps = np.array([0.0, 0.5, 2.5, 99.75, 1000.0], dtype=np.float64)
    expected = [s(float(t)) for t in fsteps]
    assert max(abs(a - b) for a, b in zip(s(fsteps).tolist(), expected, strict=True)) <= (
        1e-12 * scale
    )
    grid = np.arange(12, dtype=np.int32).reshape(3, 4)
    assert s(grid).shape == (3, 4)
    assert s(grid)[2, 3] == pytest.approx(s(11), rel=1e-12, abs=1e-300)


def check_jax_jit(s):
    # JAX computes in float32 (u = 6e-8): the rates agree to a few u of the scale
    jax = require("jax")
    steps = jax.numpy.asarray(STEPS)
    out = jax.jit(s)(steps)
    expected = [s(t) for t in STEPS]
    scale = max(abs(x) for x in expected) or 1.0
    assert out.dtype == jax.numpy.float32
    assert max(abs(a - b) for a, b in zip(out.tolist(), expected, strict=True)) <= 1e-6 * scale


def check_torch_tensors(s):
    torch = require("torch")
    steps = torch.tensor(STEPS, dtype=torch.int64)
    expected = [s(t) for t in STEPS]
    scale = max(abs(x) for x in expected) or 1.0
    out = s(steps)
    assert out.dtype == torch.float32  # torch's default float
    assert max(abs(a - b) for a, b in zip(out.tolist(), expected, strict=True)) <= 1e-6 * scale
    out64 = s(steps.to(torch.float64))
    assert max(abs(a - b) for a, b in zip(out64.tolist(), expected, strict=True)) <= (1e-12 * scale)


# -- construction errors --------------------------------------------------------------------------


ERRORS = [
    (
        lrkit.Linear,
        dict(initial_learning_rate=0.0, end_learning_rate=1.0, transition_steps=-1),
        ValueError,
        "transition_steps=-1",
    ),
    (
        lrkit.Linear,
        dict(initial_learning_rate=float("nan"), end_learning_rate=1.0, transition_steps=1),
        ValueError,
        "initial_learning_rate",
    ),
    (
        lrkit.Linear,
        dict(initial_learning_rate="0.1", end_learning_rate=1.0, transition_steps=1),
        TypeError,
        "initial_learning_rate",
    ),
    (lrkit.Polynomial, dict(initial_learning_rate=1.0, decay_steps=0), ValueError, "decay_steps=0"),
    (
        lrkit.Polynomial,
        dict(initial_learning_rate=1.0, decay_steps=10, power=-1),
        ValueError,
        "power=-1",
    ),
    (lrkit.PiecewiseLinear, dict(knots=[]), ValueError, "at least one"),
    (lrkit.PiecewiseLinear, dict(knots=[(10, 1.0), (5, 0.5)]), ValueError, "non-decreasing"),
    (lrkit.PiecewiseLinear, dict(knots=[(1, 1.0), (1, 0.5), (1, 0.2)]), ValueError, "two knots"),
    (lrkit.PiecewiseLinear, dict(knots=[(1, 1.0, 3)]), TypeError, "pairs"),
    (lrkit.PiecewiseLinear, dict(knots={1: 1.0}), TypeError, "knots"),
    (
        lrkit.PiecewiseLinear,
        dict(knots=[(0, 1.0)], interpolation="cubic"),
        ValueError,
        "interpolation='cubic'",
    ),
    (lrkit.InverseSqrt, dict(initial_learning_rate=1.0, timescale=0), ValueError, "timescale=0"),
    (
        lrkit.WarmupStableDecay,
        dict(initial_learning_rate=1.0, total_steps=100),
        ValueError,
        "decay_steps` or `decay_fraction",
    ),
    (
        lrkit.WarmupStableDecay,
        dict(initial_learning_rate=1.0, decay_steps=10),
        ValueError,
        "stable_steps` or `total_steps",
    ),
    (
        lrkit.WarmupStableDecay,
        dict(initial_learning_rate=1.0, decay_fraction=0.1),
        ValueError,
        "needs `total_steps`",
    ),
    (
        lrkit.WarmupStableDecay,
        dict(initial_learning_rate=1.0, total_steps=10, warmup_steps=6, decay_steps=5),
        ValueError,
        "longer than `total_steps`",
    ),
    (
        lrkit.WarmupStableDecay,
        dict(
            initial_learning_rate=1.0, total_steps=10, warmup_steps=1, decay_steps=5, stable_steps=1
        ),
        ValueError,
        "add up",
    ),
    (
        lrkit.WarmupStableDecay,
        dict(initial_learning_rate=1.0, total_steps=10, decay_steps=5, decay_fraction=0.5),
        ValueError,
        "not both",
    ),
    (
        lrkit.WarmupStableDecay,
        dict(initial_learning_rate=1.0, total_steps=10, decay_fraction=1.5),
        ValueError,
        "decay_fraction=1.5",
    ),
    (
        lrkit.WarmupStableDecay,
        dict(initial_learning_rate=1.0, total_steps=10, decay_steps=5, decay_shape="exp"),
        ValueError,
        "decay_shape='exp'",
    ),
    (lrkit.OneCycle, dict(max_learning_rate=1.0, total_steps=0), ValueError, "total_steps=0"),
    (lrkit.OneCycle, dict(max_learning_rate=1.0, total_steps=10.5), ValueError, "whole"),
    (
        lrkit.OneCycle,
        dict(max_learning_rate=1.0, total_steps=10, pct_start=1.0),
        ValueError,
        "pct_start=1.0",
    ),
    (
        lrkit.OneCycle,
        dict(max_learning_rate=1.0, total_steps=10, pct_start=1.5),
        ValueError,
        "pct_start=1.5",
    ),
    (
        lrkit.OneCycle,
        dict(max_learning_rate=1.0, total_steps=10, three_phase=True, pct_start=0.6),
        ValueError,
        "three_phase",
    ),
    (
        lrkit.OneCycle,
        dict(max_learning_rate=1.0, total_steps=10, div_factor=0),
        ValueError,
        "div_factor=0",
    ),
    (
        lrkit.OneCycle,
        dict(max_learning_rate=1.0, total_steps=10, anneal_strategy="cosine"),
        ValueError,
        "anneal_strategy='cosine'",
    ),
    (
        lrkit.OneCycle,
        dict(max_learning_rate=1.0, total_steps=10, convention="keras"),
        ValueError,
        "convention='keras'",
    ),
    (
        lrkit.Cyclic,
        dict(base_learning_rate=0.1, max_learning_rate=1.0, step_size_up=0),
        ValueError,
        "step_size_up=0",
    ),
    (
        lrkit.Cyclic,
        dict(base_learning_rate=0.1, max_learning_rate=1.0, mode="sine"),
        ValueError,
        "mode='sine'",
    ),
    (
        lrkit.Cyclic,
        dict(base_learning_rate=0.1, max_learning_rate=1.0, gamma=0.0),
        ValueError,
        "gamma=0.0",
    ),
    (lrkit.Cosine, dict(initial_learning_rate=1.0, decay_steps=0), ValueError, "decay_steps=0"),
    (
        lrkit.Cosine,
        dict(initial_learning_rate=1.0, decay_steps=10, cycles=0),
        ValueError,
        "cycles=0",
    ),
    (
        lrkit.Cosine,
        dict(initial_learning_rate=1.0, decay_steps=10, cycles=1.5),
        ValueError,
        "cycles=1.5",
    ),
    (
        lrkit.Cosine,
        dict(initial_learning_rate=1.0, decay_steps=10, exponent=0),
        ValueError,
        "exponent=0",
    ),
    (
        lrkit.Cosine,
        dict(initial_learning_rate=1.0, decay_steps=10, warmup_steps=True),
        TypeError,
        "warmup_steps",
    ),
    (
        lrkit.CosineCycles,
        dict(initial_learning_rate=1.0, cycle_steps=0),
        ValueError,
        "cycle_steps=0",
    ),
    (
        lrkit.CosineCycles,
        dict(initial_learning_rate=1.0, cycle_steps=10, cycle_limit=-1),
        ValueError,
        "cycle_limit=-1",
    ),
    (
        lrkit.CosineCycles,
        dict(initial_learning_rate=1.0, cycle_steps=10, cycle_mul=0),
        ValueError,
        "cycle_mul=0",
    ),
    (
        lrkit.CosineCycles,
        dict(initial_learning_rate=1.0, cycle_steps=10, k_decay=0),
        ValueError,
        "k_decay=0",
    ),
    (
        lrkit.CosineCycles,
        dict(initial_learning_rate=1.0, cycle_steps=10, cycle_mul=1.000001, cycle_limit=None),
        ValueError,
        "cycle_mul",
    ),
    (
        lrkit.CosineCycles,
        dict(initial_learning_rate=1.0, cycle_steps=10, warmup_prefix=1),
        TypeError,
        "warmup_prefix",
    ),
    (
        lrkit.Tanh,
        dict(initial_learning_rate=1.0, cycle_steps=10, lb=3.0, ub=3.0),
        ValueError,
        "lb=3.0, ub=3.0",
    ),
    (
        lrkit.PolyCycles,
        dict(initial_learning_rate=1.0, cycle_steps=10, power=-1),
        ValueError,
        "power=-1",
    ),
    (
        lrkit.PolyCycles,
        dict(initial_learning_rate=1.0, cycle_steps=10, k_decay=0),
        ValueError,
        "k_decay=0",
    ),
    (
        lrkit.CosineAnnealing,
        dict(initial_learning_rate=1.0, decay_steps=0),
        ValueError,
        "decay_steps=0",
    ),
    (
        lrkit.CosineAnnealing,
        dict(initial_learning_rate=1.0, decay_steps=10, min_learning_rate="0"),
        TypeError,
        "min_learning_rate",
    ),
    (lrkit.Step, dict(initial_learning_rate=1.0, step_size=0), ValueError, "step_size=0"),
    (
        lrkit.Step,
        dict(initial_learning_rate=1.0, step_size=10, gamma=-0.1),
        ValueError,
        "gamma=-0.1",
    ),
    (
        lrkit.MultiStep,
        dict(initial_learning_rate=1.0, milestones=[10, -1]),
        ValueError,
        "milestones[1]=-1",
    ),
    (lrkit.MultiStep, dict(initial_learning_rate=1.0, milestones=5), TypeError, "milestones"),
]


def check_bad_arguments_raise_at_construction(cls, kw, exc, words):
    with pytest.raises(exc) as info:
        cls(**kw)
    assert words in str(info.value)


def test_accepted_degenerate_cases():
    assert lrkit.PiecewiseLinear([(5, 0.3)])(0) == lrkit.PiecewiseLinear([(5, 0.3)])(99) == 0.3
    assert lrkit.CosineCycles(1.0, 10, cycle_limit=0, min_learning_rate=0.1)(0) == 0.1
    assert lrkit.WarmupStableDecay(1.0, total_steps=10, decay_steps=0)(10) == 0.0
    assert lrkit.Cyclic(0.0, 1.0, 4, step_size_down=0)(3) == 0.75
    # a OneCycle peak before step 0: step 0 is already on the way down (as torch)
    assert lrkit.OneCycle(1.0, 10, pct_start=0.05)(0) < 1.0


def test_int32_steps_in_cycles_longer_than_int32():
    # cycle 18 of CosineCycles(cycle_steps=10, cycle_mul=3) starts at step 1937102440 and
    # lasts 3874204890 steps, more than int32 holds; so does the PiecewiseLinear segment
    jax = require("jax")
    s = lrkit.CosineCycles(1.0, 10, cycle_mul=3.0, cycle_limit=None)
    p = lrkit.PiecewiseLinear([(0, 0.0), (2**31 + 2**30, 1.0)])
    steps = [2_000_000_000, 2_100_000_000, 2_147_000_000]
    for sched in (s, p):
        out = jax.jit(sched)(jax.numpy.asarray(steps, dtype=jax.numpy.int32)).tolist()
        assert max(abs(a - sched(t)) for a, t in zip(out, steps, strict=True)) <= 1e-5
