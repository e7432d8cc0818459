"""Where Model Garden is wrong and lrkit is not: each case asserts both values.

Every test here is a row of the table in docs/model_garden.md ("Where lrkit differs
from Model Garden, and why").
"""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace
from typing import Any

import pytest

import lrkit
from conftest import require
from lrkit import model_garden as lmg


@pytest.fixture(scope="module")
def mg() -> Any:
    tf = require("tensorflow")
    return SimpleNamespace(
        tf=tf,
        L=require("official.modeling.optimization.lr_schedule"),
        factory=require("official.modeling.optimization.optimizer_factory"),
        opt_cfg=require("official.modeling.optimization.configs.optimization_config"),
    )


def _f(x: Any) -> float:
    return float(x)


def _build(mg: Any, cfg: dict[str, Any]) -> Any:
    config = mg.opt_cfg.OptimizationConfig({"optimizer": {"type": "sgd"}, **cfg})
    return mg.factory.OptimizerFactory(config).build_learning_rate()


OFFSET_KW = {
    "ExponentialDecayWithOffset": dict(initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5),
    "PiecewiseConstantDecayWithOffset": dict(boundaries=[50, 150], values=[1.0, 0.5, 0.1]),
    "PolynomialDecayWithOffset": dict(
        initial_learning_rate=1.0, decay_steps=100, end_learning_rate=0.0
    ),
    "CosineDecayWithOffset": dict(initial_learning_rate=1.0, decay_steps=100),
}


# -- 1. get_config() drops the offset ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OFFSET_KW))
def test_mg_with_offset_get_config_drops_offset(mg, name):
    kw, offset, step = OFFSET_KW[name], 500, 550
    theirs = getattr(mg.L, name)(offset=offset, **kw)
    assert "offset" not in theirs.get_config()
    rebuilt = getattr(mg.L, name).from_config(theirs.get_config())
    assert _f(rebuilt(step)) != pytest.approx(_f(theirs(step)))  # the round trip moved it

    ours = getattr(lmg, name)(offset, **kw)
    assert ours.get_config()["offset"] == offset
    for copy in (
        lrkit.deserialize(lrkit.serialize(ours)),
        type(ours).from_config(ours.get_config()),
    ):
        assert copy == ours
        assert copy(step) == ours(step) == pytest.approx(_f(theirs(step)), rel=1e-6)


# -- 2. before the offset: the schedule at a negative step ------------------------------------


def test_mg_exponential_decay_before_offset_is_32_times_the_initial_rate(mg):
    kw = dict(initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5)
    theirs = mg.L.ExponentialDecayWithOffset(offset=500, **kw)
    ours = lmg.ExponentialDecayWithOffset(500, **kw)
    assert _f(theirs(0)) == 32.0  # 0.5 ** (-500 / 100)
    assert ours(0) == ours(499) == ours(500) == 1.0
    assert ours(600) == _f(theirs(600)) == 0.5


def test_mg_polynomial_decay_before_offset_exceeds_the_initial_rate(mg):
    kw = dict(initial_learning_rate=1.0, decay_steps=100, end_learning_rate=0.0)
    theirs = mg.L.PolynomialDecayWithOffset(offset=50, **kw)
    assert _f(theirs(0)) == 1.5
    assert lmg.PolynomialDecayWithOffset(50, **kw)(0) == 1.0


def test_mg_polynomial_decay_with_cycle_before_offset_is_minus_infinity(mg):
    kw = dict(initial_learning_rate=1.0, decay_steps=100, end_learning_rate=0.0, cycle=True)
    theirs = mg.L.PolynomialDecayWithOffset(offset=50, **kw)
    assert _f(theirs(10)) == -math.inf  # ceil(-40 / 100) = -0: a decay over -0 steps
    assert _f(theirs(50)) == 1.0
    assert lmg.PolynomialDecayWithOffset(50, **kw)(10) == 1.0


def test_mg_cosine_decay_before_offset_is_mirrored(mg):
    kw = dict(initial_learning_rate=1.0, decay_steps=100)
    theirs = mg.L.CosineDecayWithOffset(offset=100, **kw)
    assert _f(theirs(0)) == pytest.approx(0.0, abs=1e-7)  # cos(-pi): the end of the decay
    assert _f(theirs(50)) == pytest.approx(0.5)
    ours = lmg.CosineDecayWithOffset(100, **kw)
    assert ours(0) == ours(50) == ours(100) == 1.0


def test_mg_step_cosine_before_offset_is_mirrored(mg):
    theirs = mg.L.StepCosineDecayWithOffset([0, 100], [1.0, 0.5], offset=50)
    assert _f(theirs(0)) == pytest.approx(0.75)
    assert lmg.StepCosineDecayWithOffset([0, 100], [1.0, 0.5], offset=50)(0) == 1.0


def test_mg_warmup_shorter_than_the_offset_rises_to_the_wrong_rate(mg):
    # a config Model Garden accepts: the warmup ends at step 100, the decay starts at 500
    cfg = {
        "learning_rate": {
            "type": "exponential",
            "exponential": {
                "initial_learning_rate": 1.0,
                "decay_steps": 100,
                "decay_rate": 0.5,
                "offset": 500,
            },
        },
        "warmup": {"type": "linear", "linear": {"warmup_steps": 100}},
    }
    theirs, ours = _build(mg, cfg), lrkit.from_model_garden(cfg)
    assert _f(theirs(99)) == pytest.approx(16.0 * 0.99)  # towards 0.5 ** (-400 / 100)
    assert _f(theirs(100)) == 16.0
    assert ours(99) == 0.99 and ours(100) == ours(500) == 1.0


def test_stepwise_before_offset_agrees(mg):
    """PiecewiseConstantDecay's negative step is below its first boundary: Model Garden
    is right there by luck, and lrkit agrees."""
    kw = dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1])
    theirs = mg.L.PiecewiseConstantDecayWithOffset(offset=100, **kw)
    ours = lmg.PiecewiseConstantDecayWithOffset(100, **kw)
    assert [ours(s) for s in (0, 50, 110, 111)] == [_f(theirs(s)) for s in (0, 50, 110, 111)]


# -- 3. the warmups' configs cannot be rebuilt ---------------------------------------------------


def test_mg_linear_warmup_config_cannot_be_rebuilt(mg):
    inner = dict(initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5)
    theirs = mg.L.LinearWarmup(mg.L.ExponentialDecayWithOffset(offset=100, **inner), 100, 0.0)
    config = theirs.get_config()
    assert "class_name" not in config["after_warmup_lr_sched"]  # the class is gone
    with pytest.raises((ValueError, TypeError)):
        mg.L.LinearWarmup.from_config(config)(3)

    ours = lmg.LinearWarmup(lmg.ExponentialDecayWithOffset(100, **inner), 100, 0.0)
    saved = lrkit.serialize(ours)
    assert saved["config"]["after_warmup_lr_sched"]["class_name"] == "ExponentialDecayWithOffset"
    for copy in (lrkit.deserialize(saved), lmg.LinearWarmup.from_config(ours.get_config())):
        assert copy == ours
        assert [copy(s) for s in (0, 50, 100, 250)] == [ours(s) for s in (0, 50, 100, 250)]
        assert copy(250) == pytest.approx(_f(theirs(250)), rel=1e-6)


def test_mg_polynomial_warmup_config_cannot_be_rebuilt(mg):
    theirs = mg.L.PolynomialWarmUp(mg.L.DirectPowerDecay(0.1, -0.5), 100, 2.0)
    with pytest.raises((ValueError, TypeError)):
        mg.L.PolynomialWarmUp.from_config(theirs.get_config())(3)
    ours = lmg.PolynomialWarmUp(lmg.DirectPowerDecay(0.1, -0.5), 100, 2.0)
    assert lrkit.deserialize(lrkit.serialize(ours)) == ours


@pytest.mark.parametrize("kind", ["linear", "polynomial"])
@pytest.mark.parametrize(
    "lr",
    [
        {"type": "cosine", "cosine": {"initial_learning_rate": 0.1, "decay_steps": 1000}},
        {
            "type": "exponential",
            "exponential": {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.5},
        },
        {"type": "stepwise", "stepwise": {"boundaries": [100, 200], "values": [0.3, 0.2, 0.1]}},
        {"type": "polynomial", "polynomial": {"initial_learning_rate": 0.1, "decay_steps": 500}},
        {"type": "power", "power": {"initial_learning_rate": 0.1}},
        {
            "type": "power_linear",
            "power_linear": {"initial_learning_rate": 0.1, "total_decay_steps": 900},
        },
        {
            "type": "power_with_offset",
            "power_with_offset": {"initial_learning_rate": 0.1, "offset": 20},
        },
        {
            "type": "step_cosine_with_offset",
            "step_cosine_with_offset": {"boundaries": [0, 300], "values": [0.1, 0.05]},
        },
        {"type": "constant", "constant": {"learning_rate": 0.1}},
    ],
    ids=lambda lr: lr["type"],
)
def test_we_read_model_garden_warmup_configs(mg, kind, lr):
    """Model Garden's own config of a factory-built warmup: the wrapped schedule's
    class is told from its keys (and, for ExponentialDecay, from its name)."""
    cfg = {"learning_rate": lr, "warmup": {"type": kind, kind: {"warmup_steps": 50}}}
    theirs = _build(mg, cfg)
    ours = lmg.config.WARMUP_CLASSES[kind].from_config(theirs.get_config())
    assert ours == lrkit.from_model_garden(cfg)
    steps = [0, 1, 25, 49, 50, 51, 150, 299]
    assert [ours(s) for s in steps] == pytest.approx([_f(theirs(s)) for s in steps], rel=1e-5)


def test_model_garden_warmup_config_with_ambiguous_keys_is_refused(mg):
    """Without a class, ExponentialDecay's keys are also InverseTimeDecay's: with Model
    Garden's default name (None) nothing tells them apart, so lrkit refuses to guess."""
    inner = mg.L.ExponentialDecayWithOffset(
        initial_learning_rate=1.0, decay_steps=100, decay_rate=0.5
    )
    config = mg.L.LinearWarmup(inner, 10, 0.0).get_config()
    with pytest.raises(ValueError, match="ExponentialDecayWithOffset, InverseTimeDecay"):
        lmg.LinearWarmup.from_config(config)
    config["after_warmup_lr_sched"]["name"] = "ExponentialDecay"
    assert lmg.LinearWarmup.from_config(config)(100) == 0.5


def test_model_garden_warmup_config_has_already_lost_the_offset(mg):
    """Model Garden's warmup config of a schedule with an offset holds no offset (bug 1):
    lrkit reads what is there, offset 0. lrkit's own config keeps it."""
    cfg = {
        "learning_rate": {
            "type": "cosine",
            "cosine": {"initial_learning_rate": 0.1, "decay_steps": 1000, "offset": 100},
        },
        "warmup": {"type": "linear", "linear": {"warmup_steps": 100}},
    }
    read = lmg.LinearWarmup.from_config(_build(mg, cfg).get_config())
    assert read.after_warmup_lr_sched.offset == 0
    ours = lrkit.from_model_garden(cfg)
    assert lrkit.deserialize(lrkit.serialize(ours)).after_warmup_lr_sched.offset == 100


# -- 4. StepCosineDecayWithOffset ---------------------------------------------------------------


def test_mg_step_cosine_is_nan_from_the_last_boundary(mg):
    theirs = mg.L.StepCosineDecayWithOffset([0, 500000], [1e-4, 5e-5], offset=10000)
    ours = lmg.StepCosineDecayWithOffset([0, 500000], [1e-4, 5e-5], offset=10000)
    assert _f(theirs(509999)) == pytest.approx(ours(509999), rel=1e-5)
    for step in (510000, 510001, 10**7):
        assert math.isnan(_f(theirs(step)))  # the last level lasts 0 steps: 0/0, x/0
        assert ours(step) == 5e-5


def test_mg_step_cosine_with_one_level_is_nan_everywhere(mg):
    theirs = mg.L.StepCosineDecayWithOffset([0], [0.1])
    assert all(math.isnan(_f(theirs(s))) for s in (0, 1, 1000))
    assert [lmg.StepCosineDecayWithOffset([0], [0.1])(s) for s in (0, 1, 1000)] == [0.1] * 3


def test_mg_step_cosine_first_level_ignores_the_first_boundary(mg):
    # Model Garden's own docstring example: boundaries [100000, 110000], values [1.0, 0.5]
    # (scaled down). Its first level starts at step 0, not at boundaries[0], lasts
    # b1 - b0 steps, and then rises back until b1.
    theirs = mg.L.StepCosineDecayWithOffset([100, 200], [1.0, 0.5])
    mg_values = [_f(theirs(s)) for s in (0, 100, 150, 199)]
    assert mg_values == pytest.approx([1.0, 0.5, 0.75, 1.0], abs=1e-3)  # down, then up
    ours = lmg.StepCosineDecayWithOffset([100, 200], [1.0, 0.5])
    values = [ours(s) for s in range(0, 400)]
    assert values[:101] == [1.0] * 101  # holds values[0] until its level starts
    assert values[150] == pytest.approx(0.75) and values[200:] == [0.5] * 200
    assert all(a >= b for a, b in itertools.pairwise(values))  # never rises


# -- 5. float32 steps ----------------------------------------------------------------------------


def test_mg_rounds_the_step_to_float32(mg):
    # the offset wrappers cast (step - offset) to float32: 2**24 + 1 becomes 2**24
    kw = dict(boundaries=[2**24], values=[1.0, 0.5])
    theirs = mg.L.PiecewiseConstantDecayWithOffset(offset=0, **kw)
    assert _f(theirs(2**24 + 1)) == 1.0
    assert lmg.PiecewiseConstantDecayWithOffset(0, **kw)(2**24 + 1) == 0.5


# -- 6. bad arguments Model Garden accepts --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "match"),
    [
        ("LinearWarmup", (0.1, -5, 0.0), {}, "warmup_steps"),
        ("PolynomialWarmUp", (0.1, 10), {"power": -1.0}, "power"),
        (
            "PowerAndLinearDecay",
            (0.1, 100),
            {"linear_decay_fraction": 1.5},
            "linear_decay_fraction",
        ),
        ("PowerAndLinearDecay", (0.1, -100), {}, "total_decay_steps"),
        ("StepCosineDecayWithOffset", ([0, 200, 100], [0.3, 0.2, 0.1]), {}, "boundaries"),
        (
            "PiecewiseConstantDecayWithOffset",
            (),
            {"boundaries": [20, 10], "values": [0.3, 0.2, 0.1]},
            "boundaries",
        ),
        (
            "ExponentialDecayWithOffset",
            (),
            {"initial_learning_rate": 0.1, "decay_steps": 0, "decay_rate": 0.5},
            "decay_steps",
        ),
        ("DirectPowerDecay", (float("nan"),), {}, "initial_learning_rate"),
    ],
)
def test_bad_arguments_model_garden_accepts_are_refused(mg, name, args, kwargs, match):
    getattr(mg.L, name)(*args, **kwargs)  # Model Garden builds it
    with pytest.raises(ValueError, match=match):
        getattr(lmg, name)(*args, **kwargs)


def test_model_garden_offset_is_its_only_positional_argument(mg):
    # Model Garden: ExponentialDecayWithOffset(0.1, 100, 0.5) is offset=0.1 and a TypeError;
    # lrkit refuses it too, instead of reading the rate as the offset
    with pytest.raises(TypeError):
        mg.L.ExponentialDecayWithOffset(0.1, 100, 0.5)
    with pytest.raises(TypeError):
        lmg.ExponentialDecayWithOffset(0.1, 100, 0.5)
