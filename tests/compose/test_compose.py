"""Composition: Warmup, Join, Offset, Scale, Sum, Product, Clamp, and the operators."""

import json
import math
import pickle
from fractions import Fraction

import pytest

import lrkit
from conftest import require

COS = lrkit.CosineDecay(1.0, 100, alpha=0.1)
EXP = lrkit.ExponentialDecay(0.5, 10, 0.5)


def test_warmup_zero_steps_is_the_schedule():
    for base in (COS, EXP, lrkit.PiecewiseConstantDecay([3], [1.0, 0.1])):
        for mode in ("local", "global"):
            w = lrkit.Warmup(base, 0, step_mode=mode)
            assert [w(t) for t in range(0, 300, 7)] == [base(t) for t in range(0, 300, 7)]


@pytest.mark.parametrize("shape", ["linear", "polynomial", "cosine"])
@pytest.mark.parametrize("mode", ["local", "global"])
def test_warmup_values(shape, mode):
    w = lrkit.Warmup(EXP, 8, initial_learning_rate=0.1, shape=shape, power=2.0, step_mode=mode)
    peak = EXP(8) if mode == "global" else EXP(0)
    for t in range(8):
        x = t / 8
        f = {"linear": x, "polynomial": x**2, "cosine": (1 - math.cos(math.pi * x)) / 2}[shape]
        assert w(t) == pytest.approx(0.1 + (peak - 0.1) * f, rel=1e-14, abs=1e-15)
    for t in (8, 9, 30, 1000):
        assert w(t) == (EXP(t) if mode == "global" else EXP(t - 8))


def test_warmup_exact_linear_arithmetic():
    # 0 -> 1.0 over 3 steps: t/3 exactly as Python computes it
    w = lrkit.Warmup(lrkit.Constant(1.0), 3)
    assert [w(t) for t in range(5)] == [0.0, 1 / 3, 2 / 3, 1.0, 1.0]
    assert Fraction(w(1)) == Fraction(1 / 3)


def test_join_boundary_belongs_to_next_and_local_steps():
    j = lrkit.Join([lrkit.Constant(1.0), EXP, COS], [10, 50])
    assert j(9) == 1.0
    assert j(10) == EXP(0)
    assert j(49) == EXP(39)
    assert j(50) == COS(0)
    assert j(150) == COS(100)
    g = lrkit.Join([lrkit.Constant(1.0), EXP], [10], step_mode="global")
    assert g(10) == EXP(10) and g(25) == EXP(25)


def test_join_matches_optax_join_schedules():
    optax = require("optax")
    jnp = require("jax.numpy")
    ours = lrkit.Join(
        [
            lrkit.PolynomialDecay(0.0, 10, 1.0, power=1.0) * 1.0,
            lrkit.CosineDecay(1.0, 90, alpha=0.0),
        ],
        [10],
    )
    theirs = optax.join_schedules(
        [optax.linear_schedule(0.0, 1.0, 10), optax.cosine_decay_schedule(1.0, 90, 0.0)], [10]
    )
    for t in [0, 1, 5, 9, 10, 11, 50, 99, 100, 150]:
        # optax computes in float32: 1e-6 absolute on rates of order 1
        assert ours(t) == pytest.approx(float(theirs(jnp.asarray(t))), abs=1e-6)


def test_warmup_cosine_matches_optax():
    optax = require("optax")
    jnp = require("jax.numpy")
    theirs = optax.warmup_cosine_decay_schedule(0.0, 1.0, 100, 1000, end_value=0.1)
    ours = lrkit.Warmup(lrkit.CosineDecay(1.0, 900, alpha=0.1), 100)
    for t in [0, 1, 50, 99, 100, 101, 500, 999, 1000, 5000]:
        assert ours(t) == pytest.approx(float(theirs(jnp.asarray(t))), abs=2e-6)


def test_offset_holds_the_first_value():
    o = lrkit.Offset(EXP, 100)
    assert [o(t) for t in (0, 50, 100)] == [EXP(0)] * 3
    assert o(123) == EXP(23)


def test_operators_build_serializable_objects():
    s = 0.5 * COS + EXP * 2 - lrkit.Constant(0.01)
    assert isinstance(s, lrkit.Sum) and len(s.schedules) == 3
    for t in (0, 10, 55, 100, 400):
        assert s(t) == pytest.approx(0.5 * COS(t) + 2 * EXP(t) - 0.01, rel=1e-15, abs=1e-16)
    p = COS * EXP * lrkit.Constant(2.0)
    assert isinstance(p, lrkit.Product) and len(p.schedules) == 3
    assert p(20) == pytest.approx(COS(20) * EXP(20) * 2.0, rel=1e-15)
    assert -COS == lrkit.Scale(COS, -1.0)
    assert 1 + COS == lrkit.Sum([lrkit.Constant(1), COS])
    with pytest.raises(TypeError):
        COS + "a"
    with pytest.raises(TypeError):
        COS * [1]


def test_clamp():
    c = lrkit.Clamp(EXP, min_value=0.1, max_value=0.4)
    assert c(0) == 0.4 and c(10) == 0.25 and c(100) == 0.1
    with pytest.raises(ValueError, match="min_value"):
        lrkit.Clamp(EXP, min_value=1.0, max_value=0.5)


def _deep():
    inner = lrkit.Clamp(0.5 * lrkit.CosineDecayRestarts(1.0, 10, 2.0, 0.9), min_value=1e-3)
    join = lrkit.Join([lrkit.Constant(0.2), inner, lrkit.Offset(EXP, 5)], [10, 400])
    return lrkit.Warmup(join + 0.001, 7, shape="cosine", step_mode="global")


def test_nested_serialization_is_lossless():
    s = _deep()
    d = lrkit.serialize(s)
    back = lrkit.deserialize(json.loads(json.dumps(d)))
    assert back == s and pickle.loads(pickle.dumps(s)) == s
    assert eval(repr(s), vars(lrkit)) == s
    assert [back(t) for t in range(0, 1000, 13)] == [s(t) for t in range(0, 1000, 13)]
    assert d["config"]["schedule"]["class_name"] == "Sum"


def test_composition_on_arrays():
    np = require("numpy")
    jax = require("jax")
    s = _deep()
    steps = np.arange(0, 1000)
    ref = np.array([s(int(t)) for t in steps])
    np.testing.assert_allclose(s(steps), ref, rtol=1e-12, atol=1e-15)
    got = jax.jit(s)(jax.numpy.asarray(steps, dtype="int32"))
    np.testing.assert_allclose(np.asarray(got), ref, rtol=2e-6, atol=2e-7)


def test_users_keras_style_schedule_inside():
    class Half(lrkit.LearningRateSchedule):
        def __call__(self, step):
            return 0.5 / (1 + step)

    w = lrkit.Warmup(Half(), 4)
    assert w(2) == 0.25 and w(4) == 0.5 and w(5) == 0.25
    assert lrkit.Join([lambda t: 1.0, Half()], [3])(4) == 0.25


def test_bad_compositions():
    with pytest.raises(TypeError, match="schedule"):
        lrkit.Warmup(0.1, 10)
    with pytest.raises(TypeError, match="instance"):
        lrkit.Warmup(lrkit.CosineDecay, 10)
    with pytest.raises(ValueError, match="warmup_steps"):
        lrkit.Warmup(COS, -1)
    with pytest.raises(ValueError, match="shape"):
        lrkit.Warmup(COS, 1, shape="square")
    with pytest.raises(ValueError, match="step_mode"):
        lrkit.Join([COS, EXP], [3], step_mode="relative")
    with pytest.raises(ValueError, match="one entry less"):
        lrkit.Join([COS, EXP], [3, 4])
    with pytest.raises(ValueError, match="strictly increasing"):
        lrkit.Join([COS, EXP, COS], [5, 5])
    with pytest.raises(ValueError, match="at least one"):
        lrkit.Sum([])
