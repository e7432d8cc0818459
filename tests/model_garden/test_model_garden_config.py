"""Model Garden's optimization configs: ``from_model_garden`` / ``to_model_garden``;
and the Model Garden classes' serialization.

* the type tables equal Model Garden's config dataclasses, field for field;
* every input form (dict, YAML and JSON files, experiment configs, Model Garden's
  Config objects) and every error (unknown types and keys, missing fields);
* ``to_model_garden`` round trips, checked by Model Garden building the result;
* serialize / deserialize / pickle / repr of every class.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

import lrkit
from conftest import require
from lrkit import model_garden as lmg
from lrkit.model_garden.config import LR_CLASSES, LR_FIELDS, WARMUP_CLASSES, WARMUP_FIELDS

STEPS = [0, 1, 7, 50, 99, 100, 101, 1000, 5000, 123_457]


@pytest.fixture(scope="module")
def mg() -> Any:
    tf = require("tensorflow")
    return SimpleNamespace(
        tf=tf,
        L=require("official.modeling.optimization.lr_schedule"),
        factory=require("official.modeling.optimization.optimizer_factory"),
        opt_cfg=require("official.modeling.optimization.configs.optimization_config"),
        params_dict=require("official.modeling.hyperparams.params_dict"),
    )


def _build(mg: Any, cfg: dict[str, Any]) -> Any:
    config = mg.opt_cfg.OptimizationConfig({"optimizer": {"type": "sgd"}, **cfg})
    return mg.factory.OptimizerFactory(config).build_learning_rate()


def _values(schedule: Any, steps: list[int] = STEPS) -> list[float]:
    return [float(schedule(s)) if callable(schedule) else float(schedule) for s in steps]


def _close(theirs: list[float], ours: list[float]) -> bool:
    """Model Garden's float32 values against lrkit's: within 1e-5 of (|value| + scale),
    as the parity sweep (test_model_garden.py explains the tolerance)."""
    scale = max(abs(x) for x in ours)
    return all(abs(a - b) <= 1e-5 * (abs(b) + scale) for a, b in zip(theirs, ours, strict=True))


COSINE = {
    "learning_rate": {
        "type": "cosine",
        "cosine": {"initial_learning_rate": 0.1, "decay_steps": 1000, "alpha": 0.01, "offset": 100},
    },
    "warmup": {"type": "linear", "linear": {"warmup_steps": 100, "warmup_learning_rate": 0.001}},
}


# -- 1. the tables are Model Garden's ---------------------------------------------------------


def test_types_fields_and_defaults_equal_model_garden(mg):
    for one_of, table in (
        (mg.opt_cfg.LrConfig, LR_FIELDS),
        (mg.opt_cfg.WarmupConfig, WARMUP_FIELDS),
    ):
        sections = [f for f in dataclasses.fields(one_of) if f.name != "type"]
        assert [f.name for f in sections] == list(table)
        for f in sections:
            theirs = [(g.name, g.default) for g in dataclasses.fields(f.default_factory)]
            assert theirs == list(table[f.name].items()), f.name


def test_classes_equal_model_garden(mg):
    assert {t: c.__name__ for t, c in mg.factory.LR_CLS.items()} == {
        t: c.__name__ for t, c in LR_CLASSES.items() if t != "constant"
    }
    assert {t: c.__name__ for t, c in mg.factory.WARMUP_CLS.items()} == {
        t: c.__name__ for t, c in WARMUP_CLASSES.items()
    }


# -- 2. input forms ----------------------------------------------------------------------------


def test_dict_sections_and_whole_optimization_config(mg):
    ours = lrkit.from_model_garden(COSINE)
    assert _close(_values(_build(mg, COSINE)), _values(ours))
    whole = mg.opt_cfg.OptimizationConfig({"optimizer": {"type": "adamw"}, **COSINE}).as_dict()
    assert set(whole) == {"optimizer", "ema", "learning_rate", "warmup"}
    assert lrkit.from_model_garden(whole) == ours
    # Model Garden's Config object itself (read through its as_dict())
    assert lrkit.from_model_garden(mg.opt_cfg.OptimizationConfig(whole)) == ours


def test_experiment_config_and_trainer_section():
    trainer = {"optimizer_config": {"optimizer": {"type": "sgd"}, **COSINE}, "train_steps": 10}
    expected = lrkit.from_model_garden(COSINE)
    assert lrkit.from_model_garden({"task": {"model": {}}, "trainer": trainer}) == expected
    assert lrkit.from_model_garden(trainer) == expected


def test_yaml_file_saved_by_model_garden(mg, tmp_path):
    config = mg.opt_cfg.OptimizationConfig({"optimizer": {"type": "sgd"}, **COSINE})
    path = tmp_path / "optimization.yaml"
    mg.params_dict.save_params_dict_to_yaml(config, str(path))
    assert lrkit.from_model_garden(path) == lrkit.from_model_garden(str(path))
    assert lrkit.from_model_garden(path) == lrkit.from_model_garden(COSINE)


def test_yaml_floats_as_model_garden_reads_them(mg, tmp_path):
    # YAML 1.1 (yaml.safe_load) reads 1e-4 as a string; Model Garden's loader as a float
    path = tmp_path / "experiment.yaml"
    path.write_text(
        "trainer:\n"
        "  optimizer_config:\n"
        "    learning_rate:\n"
        "      type: polynomial\n"
        "      polynomial:\n"
        "        initial_learning_rate: 1e-4\n"
        "        end_learning_rate: 1.5E+0\n"
        "        decay_steps: 1000\n"
    )
    ours = lrkit.from_model_garden(path)
    assert ours.initial_learning_rate == 1e-4 and ours.end_learning_rate == 1.5
    section = mg.params_dict.read_yaml_to_params_dict(str(path)).as_dict()["trainer"]
    poly = section["optimizer_config"]["learning_rate"]["polynomial"]
    assert poly["initial_learning_rate"] == 1e-4  # Model Garden reads the same float
    theirs = _build(mg, section["optimizer_config"])
    assert _close(_values(theirs), _values(ours))
    # names (and types) stay strings
    path.write_text("learning_rate: {type: constant, constant: {name: 1e5, learning_rate: 2e-3}}")
    assert lrkit.from_model_garden(path) == lrkit.Constant(0.002, name="1e5")


def test_json_file(tmp_path):
    path = tmp_path / "optimization.json"
    path.write_text(json.dumps(COSINE))
    assert lrkit.from_model_garden(path) == lrkit.from_model_garden(COSINE)


def test_model_garden_defaults_fill_missing_fields(mg):
    cfg = {
        "learning_rate": {
            "type": "power_with_offset",
            "power_with_offset": {"initial_learning_rate": 0.1, "offset": 10},
        },
        "warmup": {"type": "polynomial", "polynomial": {"warmup_steps": 20}},
    }
    ours = lrkit.from_model_garden(cfg)
    inner = ours.after_warmup_lr_sched
    assert (inner.power, inner.pre_offset_learning_rate, inner.name) == (
        -0.5,
        1.0e6,
        "PowerDecayWithOffset",
    )
    assert (ours.power, ours.name) == (1, "polynomial")
    assert _close(_values(_build(mg, cfg)), _values(ours))
    # `constant` alone is lrkit's Constant; inside a warmup, the number (as Model Garden)
    assert lrkit.from_model_garden({"learning_rate": {"type": "constant"}}) == lrkit.Constant(0.1)
    warm = lrkit.from_model_garden(
        {
            "learning_rate": {"type": "constant"},
            "warmup": {"type": "linear", "linear": {"warmup_steps": 5}},
        }
    )
    assert warm.after_warmup_lr_sched == 0.1
    # exponential's staircase defaults to None in Model Garden: False
    exp = lrkit.from_model_garden(
        {
            "learning_rate": {
                "type": "exponential",
                "exponential": {"initial_learning_rate": 1.0, "decay_steps": 10, "decay_rate": 0.5},
            }
        }
    )
    assert exp.staircase is False and exp(15) == 0.5**1.5


# -- 3. errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        (
            {"learning_rate": {"type": "cosine_decay"}},
            ValueError,
            r"Unknown learning_rate type 'cosine_decay'\. Allowed: 'constant', 'stepwise', "
            r"'exponential', 'polynomial', 'cosine', 'power', 'power_linear', 'power_with_offset', "
            r"'step_cosine_with_offset'",
        ),
        (
            {"learning_rate": {"type": "constant"}, "warmup": {"type": "cosine"}},
            ValueError,
            r"Unknown warmup type 'cosine'\. Allowed: 'linear', 'polynomial'",
        ),
        (
            {
                "learning_rate": {
                    "type": "cosine",
                    "cosine": {"initial_learning_rate": 0.1, "decay_step": 10},
                }
            },
            ValueError,
            r"Unknown key 'decay_step' in `learning_rate.cosine`\. Allowed: 'name', "
            r"'initial_learning_rate', 'decay_steps', 'alpha', 'offset'",
        ),
        (
            {"learning_rate": {"type": "constant", "cosinus": {}}},
            ValueError,
            r"Unknown key 'cosinus' in `learning_rate`\. Allowed: 'type', 'constant'",
        ),
        # Model Garden keeps unknown keys of sections not selected; lrkit refuses them too
        (
            {"learning_rate": {"type": "constant", "cosine": {"decay_step": 10}}},
            ValueError,
            r"Unknown key 'decay_step' in `learning_rate.cosine`",
        ),
        (
            {
                "learning_rate": {"type": "constant"},
                "warmup": {"type": "linear", "linear": {"steps": 5}},
            },
            ValueError,
            r"Unknown key 'steps' in `warmup.linear`\. Allowed: 'name', "
            r"'warmup_learning_rate', 'warmup_steps'",
        ),
        (
            {"learning_rate": {"type": "constant"}, "optimiser": {}},
            ValueError,
            r"Unknown key 'optimiser' in a Model Garden optimization config\. Allowed: "
            r"'optimizer', 'ema', 'learning_rate', 'warmup'",
        ),
        (
            {"optimizer": {"type": "sgd"}},
            ValueError,
            r"Learning rate type must be specified: set `learning_rate.type` to one of "
            r"'constant', ",
        ),
        (
            {"learning_rate": {"type": "cosine", "cosine": {"initial_learning_rate": 0.1}}},
            ValueError,
            r"`learning_rate.cosine.decay_steps` is required",
        ),
        (
            {"learning_rate": {"type": "constant"}, "warmup": {"type": "linear"}},
            ValueError,
            r"`warmup.linear.warmup_steps` is required",
        ),
        (
            {
                "learning_rate": {
                    "type": "cosine",
                    "cosine": {"initial_learning_rate": 0.1, "decay_steps": 0},
                }
            },
            ValueError,
            r"`learning_rate.cosine`: Argument `decay_steps` must be > 0\. "
            r"Received: decay_steps=0\.",
        ),
        (
            {
                "learning_rate": {
                    "type": "stepwise",
                    "stepwise": {"boundaries": [1], "values": ["a", 2]},
                }
            },
            TypeError,
            r"`learning_rate.stepwise`: Argument `values\[0\]` must be a real number",
        ),
        ({"learning_rate": {"type": 3}}, ValueError, r"Unknown learning_rate type 3"),
        ({"learning_rate": ["cosine"]}, TypeError, r"`learning_rate` must be a dict"),
        (["learning_rate"], TypeError, r"must be a dict"),
    ],
)
def test_errors(config, error, match):
    with pytest.raises(error, match=match):
        lrkit.from_model_garden(config)


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError):
        lrkit.from_model_garden(tmp_path / "missing.yaml")


# -- 4. to_model_garden ----------------------------------------------------------------------------


def _round_trip_schedules() -> list[Any]:
    import test_model_garden as t  # the parity sweep's generated configs

    return [lrkit.from_model_garden(p.values[0]) for p in t.CASES[::3]]


def test_to_model_garden_round_trips(mg):
    for ours in _round_trip_schedules():
        cfg = lrkit.to_model_garden(ours)
        assert json.loads(json.dumps(cfg)) == cfg
        assert lrkit.from_model_garden(cfg) == ours
        # and Model Garden builds the same schedule from it
        theirs = _build(mg, cfg)
        steps = [s for s in STEPS if _model_garden_right(ours, s)]
        assert _close(_values(theirs, steps), _values(ours, steps)), cfg


def _model_garden_right(schedule: Any, step: int) -> bool:
    """Whether Model Garden is right at ``step`` (see test_model_garden_bugs.py: its
    offset classes are wrong before their offset, StepCosine from its last boundary)."""
    inner = getattr(schedule, "after_warmup_lr_sched", schedule)
    if step < getattr(schedule, "warmup_steps", 0):
        return True
    if isinstance(inner, lmg.StepCosineDecayWithOffset):
        return inner.offset <= step < inner.offset + inner.boundaries[-1]
    return not isinstance(inner, lmg.offset.WithOffset) or step >= inner.offset


def test_to_model_garden_writes_every_field_and_no_warmup_explicitly():
    cfg = lrkit.to_model_garden(lmg.PowerDecayWithOffset(0.1, offset=5))
    assert cfg == {
        "learning_rate": {
            "type": "power_with_offset",
            "power_with_offset": {
                "name": "PowerDecayWithOffset",
                "initial_learning_rate": 0.1,
                "power": 1.0,
                "offset": 5,
                "pre_offset_learning_rate": 1.0e6,
            },
        },
        "warmup": {"type": None},
    }
    warm = lrkit.to_model_garden(lmg.LinearWarmup(0.2, 10, 0.0))
    assert warm == {
        "learning_rate": {
            "type": "constant",
            "constant": {"name": "Constant", "learning_rate": 0.2},
        },
        "warmup": {
            "type": "linear",
            "linear": {"name": "linear", "warmup_learning_rate": 0.0, "warmup_steps": 10},
        },
    }


@pytest.mark.parametrize(
    ("schedule", "kind"),
    [
        (lrkit.ExponentialDecay(0.1, 100, 0.5, staircase=True), "exponential"),
        (lrkit.PiecewiseConstantDecay([10, 20], [0.3, 0.2, 0.1]), "stepwise"),
        (lrkit.PolynomialDecay(0.1, 100, cycle=True), "polynomial"),
        (lrkit.CosineDecay(0.1, 100, alpha=0.1), "cosine"),
        (lrkit.Constant(0.3), "constant"),
    ],
)
def test_to_model_garden_of_lrkit_keras_schedules(mg, schedule, kind):
    cfg = lrkit.to_model_garden(schedule)
    assert cfg["learning_rate"]["type"] == kind
    assert cfg["learning_rate"][kind].get("offset", 0) == 0
    back = lrkit.from_model_garden(cfg)
    assert _values(back) == _values(schedule)
    assert _close(_values(_build(mg, cfg)), _values(schedule))


@pytest.mark.parametrize(
    ("schedule", "match"),
    [
        (lrkit.InverseTimeDecay(0.1, 100, 0.5), "InverseTimeDecay has no Model Garden form"),
        (lrkit.CosineDecayRestarts(0.1, 100), "CosineDecayRestarts has no Model Garden form"),
        (lrkit.CosineDecay(0.1, 100, warmup_target=0.5, warmup_steps=10), "warmup_target"),
        (lrkit.Warmup(lrkit.CosineDecay(0.1, 100), 10), "Warmup has no Model Garden form"),
        (
            lmg.LinearWarmup(lmg.LinearWarmup(0.1, 5, 0.0), 5, 0.0),
            "LinearWarmup has no Model Garden form",
        ),
        (lmg.PolynomialWarmUp(lambda step: 0.1, 5), "function has no Model Garden form"),
    ],
)
def test_to_model_garden_refuses_what_model_garden_cannot_express(schedule, match):
    with pytest.raises(ValueError, match=match):
        lrkit.to_model_garden(schedule)


# -- 5. serialization of the classes ----------------------------------------------------------

SCHEDULES = [
    lmg.ExponentialDecayWithOffset(
        100, initial_learning_rate=0.1, decay_steps=30, decay_rate=0.5, staircase=True
    ),
    lmg.PiecewiseConstantDecayWithOffset(7, boundaries=[10, 20.5], values=[0.3, 0.2, 0.1]),
    lmg.PolynomialDecayWithOffset(-5, initial_learning_rate=0.2, decay_steps=40, cycle=True),
    lmg.CosineDecayWithOffset(
        20, initial_learning_rate=0.2, decay_steps=40, warmup_target=0.5, warmup_steps=10, name="c"
    ),
    lmg.DirectPowerDecay(0.1, power=-0.5),
    lmg.PowerAndLinearDecay(0.1, 100, power=-0.5, linear_decay_fraction=0.3, offset=10),
    lmg.PowerDecayWithOffset(0.1, power=-0.5, offset=10, pre_offset_learning_rate=0.05),
    lmg.StepCosineDecayWithOffset([0, 30, 70], [0.3, 0.2, 0.1], offset=10),
    lmg.LinearWarmup(
        lmg.CosineDecayWithOffset(20, initial_learning_rate=0.2, decay_steps=40), 20, 0.01, name="w"
    ),
    lmg.PolynomialWarmUp(lmg.LinearWarmup(lrkit.InverseTimeDecay(0.1, 10, 0.5), 5, 0.0), 30),
    lmg.LinearWarmup(0.1, 15, 0.0),
    lmg.PolynomialWarmUp(lrkit.Warmup(lrkit.ExponentialDecay(0.1, 10, 0.9), 3), 6, 0.5),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_serialization_round_trips(schedule):
    steps = [0, 1, 3, 10, 25, 50, 99, 1000]
    saved = lrkit.serialize(schedule)
    assert saved["module"] == "lrkit"
    assert saved["class_name"] == type(schedule).__name__
    for copy in (
        lrkit.deserialize(json.loads(json.dumps(saved))),
        type(schedule).from_config(schedule.get_config()),
        pickle.loads(pickle.dumps(schedule)),
        eval(repr(schedule), {**vars(lmg), **vars(lrkit)}),
    ):
        assert copy == schedule and hash(copy) == hash(schedule)
        assert _values(copy, steps) == _values(schedule, steps)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_immutable(schedule):
    with pytest.raises(AttributeError, match="immutable"):
        schedule.name = "x"


def test_deserialize_reads_model_garden_warmup_form(mg):
    inner = mg.L.CosineDecayWithOffset(offset=0, initial_learning_rate=0.1, decay_steps=100)
    theirs = mg.L.LinearWarmup(inner, 10, 0.0)
    ours = lrkit.deserialize({"class_name": "LinearWarmup", "config": theirs.get_config()})
    assert _close(_values(theirs), _values(ours))


def test_spec_names_the_model_garden_classes():
    from lrkit.spec import parse_spec

    s = parse_spec(
        "LinearWarmup(CosineDecayWithOffset(100, initial_learning_rate=0.1, "
        "decay_steps=1000), 100, 0.0)"
    )
    assert s == lmg.LinearWarmup(
        lmg.CosineDecayWithOffset(100, initial_learning_rate=0.1, decay_steps=1000), 100, 0.0
    )


# -- 6. imports ---------------------------------------------------------------------------------


def _modules_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_yaml_is_imported_only_to_read_a_yaml_file(tmp_path):
    heavy = ("yaml", "numpy", "tensorflow", "official", "jax", "torch", "keras")
    path = tmp_path / "c.yaml"
    path.write_text("learning_rate:\n  type: constant\n")
    dict_code = (
        "import lrkit\n"
        f"s = lrkit.from_model_garden({COSINE!r})\n"
        "s(5); lrkit.to_model_garden(s); lrkit.deserialize(lrkit.serialize(s))\n"
    )
    assert [m for m in _modules_after(dict_code) if m.split(".")[0] in heavy] == []
    yaml_code = f"import lrkit\nlrkit.from_model_garden({str(path)!r})\n"
    assert "yaml" in _modules_after(yaml_code)
