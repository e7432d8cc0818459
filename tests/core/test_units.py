"""Lengths in epochs and as fractions of the run, bound to a run (lrkit.core.units)."""

from __future__ import annotations

import json
import math
import pickle
from fractions import Fraction

import pytest

import lrkit
from conftest import require
from lrkit.core import registry
from lrkit.core.units import Unbound, UnboundError, parse

# one valid set of arguments for every class with length arguments, its lengths in steps
EXAMPLES = {
    "CosineDecay": dict(
        initial_learning_rate=1.0, decay_steps=90, warmup_target=2.0, warmup_steps=10
    ),
    "CosineDecayRestarts": dict(initial_learning_rate=1.0, first_decay_steps=40),
    "Cosine": dict(initial_learning_rate=1.0, decay_steps=90, warmup_steps=10),
    "CosineCycles": dict(initial_learning_rate=1.0, cycle_steps=40, warmup_steps=10),
    "Cyclic": dict(
        base_learning_rate=0.1, max_learning_rate=1.0, step_size_up=20, step_size_down=30
    ),
    "ExponentialDecay": dict(initial_learning_rate=1.0, decay_steps=30, decay_rate=0.5),
    "InverseSqrt": dict(initial_learning_rate=1.0, warmup_steps=10, timescale=20),
    "InverseTimeDecay": dict(initial_learning_rate=1.0, decay_steps=30, decay_rate=0.5),
    "Linear": dict(
        initial_learning_rate=1.0, end_learning_rate=0.0, transition_steps=60, transition_begin=20
    ),
    "Polynomial": dict(initial_learning_rate=1.0, decay_steps=90, power=2.0, warmup_steps=10),
    "PiecewiseLinear": dict(knots=[[0, 0.0], [10, 1.0], [100, 0.0]]),
    "OneCycle": dict(max_learning_rate=1.0, total_steps=100),
    "PiecewiseConstantDecay": dict(boundaries=[30, 60], values=[1.0, 0.1, 0.01]),
    "PolynomialDecay": dict(initial_learning_rate=1.0, decay_steps=90, power=2.0),
    "Step": dict(initial_learning_rate=1.0, step_size=30, gamma=0.5, warmup_steps=10),
    "MultiStep": dict(initial_learning_rate=1.0, milestones=[30, 60], gamma=0.5, warmup_steps=10),
    "Tanh": dict(initial_learning_rate=1.0, cycle_steps=40, warmup_steps=10),
    "PolyCycles": dict(initial_learning_rate=1.0, cycle_steps=40, power=2.0, warmup_steps=10),
    "CosineAnnealing": dict(initial_learning_rate=1.0, decay_steps=40, min_learning_rate=0.1),
    "WarmupStableDecay": dict(
        initial_learning_rate=1.0, total_steps=100, warmup_steps=10, decay_steps=20
    ),
    "Join": dict(schedules=[lrkit.Constant(1.0), lrkit.Constant(0.5)], boundaries=[40]),
    "Offset": dict(schedule=lrkit.ExponentialDecay(1.0, 10, 0.5), offset=20),
    "Cooldown": dict(schedule=lrkit.ExponentialDecay(1.0, 10, 0.5), start=60, length=30),
    "Warmup": dict(schedule=lrkit.ExponentialDecay(1.0, 10, 0.5), warmup_steps=10),
    "ExponentialDecayWithOffset": dict(
        offset=20, initial_learning_rate=1.0, decay_steps=30, decay_rate=0.5
    ),
    "PiecewiseConstantDecayWithOffset": dict(
        offset=20, boundaries=[30, 60], values=[1.0, 0.1, 0.01]
    ),
    "PolynomialDecayWithOffset": dict(offset=20, initial_learning_rate=1.0, decay_steps=50),
    "CosineDecayWithOffset": dict(
        offset=20, initial_learning_rate=1.0, decay_steps=50, warmup_target=2.0, warmup_steps=10
    ),
    "PowerAndLinearDecay": dict(
        initial_learning_rate=1.0, total_decay_steps=80, power=-0.5, offset=10
    ),
    "PowerDecayWithOffset": dict(initial_learning_rate=1.0, power=-0.5, offset=20),
    "StepCosineDecayWithOffset": dict(boundaries=[0, 40], values=[1.0, 0.5], offset=10),
    "LinearWarmup": dict(
        after_warmup_lr_sched=lrkit.ExponentialDecay(1.0, 10, 0.5),
        warmup_steps=10,
        warmup_learning_rate=0.0,
    ),
    "PolynomialWarmUp": dict(
        after_warmup_lr_sched=lrkit.ExponentialDecay(1.0, 10, 0.5), warmup_steps=10, power=2.0
    ),
}

WITH_LENGTHS = sorted(n for n, c in registry.known().items() if getattr(c, "_length_args", ()))
STEPS = range(0, 130, 7)


def test_every_class_with_lengths_has_an_example():
    assert WITH_LENGTHS == sorted(EXAMPLES)


#: constructor arguments that are lengths in steps, by name (``steps_per_epoch`` is the unit)
LENGTH_NAMES = {"boundaries", "milestones", "offset", "start", "length", "knots"}


def test_every_lrkit_class_declares_its_lengths():
    """A class whose constructor takes a length (by its name) declares it in
    ``_length_args``, so it takes epochs and fractions too."""
    import inspect

    missing = []
    for name, cls in registry.known().items():
        if ">" in name or not cls.__module__.startswith("lrkit."):
            continue
        params = inspect.signature(cls.__init__).parameters
        lengths = [
            p
            for p in params
            if p != "steps_per_epoch" and ("steps" in p or "step_size" in p or p in LENGTH_NAMES)
        ]
        declared = {spec.partition("[")[0] for spec in cls.__dict__.get("_length_args", ())}
        if set(lengths) - declared:
            missing.append((name, sorted(set(lengths) - declared)))
    assert missing == []


def _as_units(kwargs, spec, make):
    """``kwargs`` with the lengths at ``spec`` ("name", "name[]", "name[][0]") as ``make(n)``."""
    name, _, rest = spec.partition("[")
    value = kwargs[name]
    if not rest:
        value = make(value)
    elif rest == "]":
        value = [make(x) for x in value]
    else:
        value = [[make(x), *others] for x, *others in value]
    return {**kwargs, name: value}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_length_in_epochs_and_percent_binds_to_the_step_count(name):
    cls = registry.known()[name]
    base = cls(**EXAMPLES[name])
    specs = [spec for spec in cls._length_args if spec.partition("[")[0] in EXAMPLES[name]]
    assert specs
    for spec in specs:
        # 1 epoch = 10 steps: n steps are n/10 epochs, exactly; a run of 200 steps: n/2 %
        for make, run in (
            (lambda n: f"{Fraction(n, 10)}ep", dict(steps_per_epoch=10)),
            (lambda n: lrkit.epochs(Fraction(n, 10)), dict(steps_per_epoch=10)),
            (lambda n: f"{n / 2:g}%", dict(total_steps=200)),
            (lambda n: lrkit.fraction(n, 200), dict(total_steps=200)),
        ):
            kwargs = _as_units(EXAMPLES[name], spec, make)
            unbound = cls(**kwargs)
            assert isinstance(unbound, Unbound), (name, spec)
            bound = unbound.bind(**run)
            assert type(bound) is cls
            assert bound == base, (name, spec, bound)
            assert [bound(t) for t in STEPS] == [base(t) for t in STEPS]
            # the config keeps the length as written, and reads back unbound
            config = lrkit.serialize(unbound)
            assert config["class_name"] == lrkit.serialize(base)["class_name"]
            assert json.loads(json.dumps(config)) == config
            again = lrkit.deserialize(config)
            assert again == unbound and isinstance(again, Unbound)
            assert again.bind(**run) == base
            assert pickle.loads(pickle.dumps(unbound)) == unbound
            with pytest.raises(UnboundError, match=r"needs bind\("):
                unbound(0)


def test_config_repr_and_error_message():
    s = lrkit.CosineDecay(1.0, decay_steps="90%")
    assert s.get_config() == {
        "initial_learning_rate": 1.0,
        "decay_steps": "90%",
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": None,
        "warmup_steps": 0,
    }
    assert repr(s) == "CosineDecay(initial_learning_rate=1.0, decay_steps='90%')"
    assert eval(repr(s), {"CosineDecay": lrkit.CosineDecay}) == s
    with pytest.raises(UnboundError) as info:
        s(10)
    assert str(info.value) == "CosineDecay(decay_steps='90%') needs bind(total_steps=...)."
    with pytest.raises(UnboundError, match=r"needs bind\(total_steps=\.\.\.\)"):
        s.bind(steps_per_epoch=100)
    assert s.needs == ("total_steps",)
    # the helpers are written as percentages and epochs
    assert lrkit.CosineDecay(1.0, lrkit.fraction(1, 8)).get_config()["decay_steps"] == "12.5%"
    assert lrkit.CosineDecay(1.0, lrkit.epochs(2.5)).get_config()["decay_steps"] == "2.5ep"
    assert lrkit.CosineDecay(1.0, lrkit.fraction(1, 3)).get_config()["decay_steps"] == "100/3%"


def test_exact_rationals_rounded_up():
    assert parse("12.5%").value == Fraction(1, 8)
    assert parse("0.1ep").value == Fraction(1, 10)
    assert parse("100/3%").value == Fraction(1, 3)
    # ceil of the exact product: 12.5 % of 100 is 12.5 -> 13; 7 % of 100 is 7 exactly
    # (the float product 0.07 * 100 is 7.000000000000001, whose ceiling would be 8)
    assert 0.07 * 100 > 7
    assert lrkit.CosineDecay(1.0, "12.5%").bind(total_steps=100).decay_steps == 13
    assert lrkit.CosineDecay(1.0, "7%").bind(total_steps=100).decay_steps == 7
    assert lrkit.CosineDecay(1.0, "2.5ep").bind(steps_per_epoch=3).decay_steps == math.ceil(7.5)
    assert lrkit.CosineDecay(1.0, "1/3ep").bind(steps_per_epoch=3).decay_steps == 1
    # exact to 2**53 and beyond: integer arithmetic, never a float product
    big = 2**60 + 1
    assert lrkit.CosineDecay(1.0, "50%").bind(total_steps=big).decay_steps == 2**59 + 1


def test_same_rule_as_wsd_fractions():
    for f in ("7%", "12.5%", "33%", "0.1%"):
        frac = float(Fraction(f[:-1]) / 100)
        by_fraction = lrkit.WarmupStableDecay(
            1.0, total_steps=1234, warmup_fraction=frac, decay_fraction=0.2
        )
        by_length = lrkit.WarmupStableDecay(
            1.0, total_steps=1234, warmup_steps=f, decay_fraction=0.2
        )
        assert by_length.bind(total_steps=1234).phases == by_fraction.phases


def test_transformers_warmup_ratio_rule():
    transformers = require("transformers")
    # a warmup_steps below 1 is a fraction of the run, rounded up (transformers 5)
    args = transformers.TrainingArguments(
        output_dir="/tmp/lrkit-units", warmup_steps=0.125, report_to=[]
    )
    for total in (1001, 1000, 7):
        bound = lrkit.Linear(0.0, 1.0, "12.5%").bind(total_steps=total)
        assert bound.transition_steps == args.get_warmup_steps(total)


def test_compositions_of_unbound_schedules():
    s = lrkit.Warmup(lrkit.CosineDecay(1.0, "95%"), "5%")
    assert isinstance(s, Unbound) and s.needs == ("total_steps",)
    bound = s.bind(total_steps=1000)
    assert bound == lrkit.Warmup(lrkit.CosineDecay(1.0, 950), 50)
    # an unbound child alone makes the composition unbound
    j = lrkit.Join([lrkit.Constant(1.0), lrkit.ExponentialDecay(1.0, "1ep", 0.5)], [100])
    assert isinstance(j, Unbound) and j.needs == ("steps_per_epoch",)
    assert j.bind(steps_per_epoch=10) == lrkit.Join(
        [lrkit.Constant(1.0), lrkit.ExponentialDecay(1.0, 10, 0.5)], [100]
    )
    assert lrkit.deserialize(lrkit.serialize(j)) == j
    # mixed: the total counted in epochs
    m = lrkit.Warmup(lrkit.CosineDecay(1.0, "90%"), "2ep")
    assert m.needs == ("total_steps", "steps_per_epoch")
    assert m.bind(total_steps="10ep", steps_per_epoch=50) == lrkit.Warmup(
        lrkit.CosineDecay(1.0, 450), 100
    )


def test_bound_schedules_bind_to_themselves():
    s = lrkit.CosineDecay(1.0, 100)
    assert s.bind(total_steps=1000, steps_per_epoch=10) is s
    assert type(s) is lrkit.CosineDecay


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        (
            dict(total_steps=0),
            ValueError,
            "Argument `total_steps` must be > 0. Received: total_steps=0.",
        ),
        (dict(total_steps=10.5), ValueError, "Argument `total_steps` must be a whole number"),
        (dict(steps_per_epoch=-1), ValueError, "Argument `steps_per_epoch` must be > 0"),
        (dict(total_steps="5%"), ValueError, "must be a step count or a length in epochs"),
        (dict(total_steps="5ep"), UnboundError, "needs bind(steps_per_epoch=...)"),
        (dict(total_steps=True), TypeError, "must be a real number, not bool"),
    ],
)
def test_bind_arguments_checked(kwargs, exc, message):
    with pytest.raises(exc, match=message.replace("(", r"\(").replace(")", r"\)")):
        lrkit.CosineDecay(1.0, "50%").bind(**kwargs)


def test_other_arguments_checked_at_construction():
    with pytest.raises(ValueError, match="Argument `initial_learning_rate` must be finite"):
        lrkit.CosineDecay(math.nan, "90%")
    with pytest.raises(ValueError, match="Argument `decay_steps` must be > 0"):
        lrkit.CosineDecay(1.0, "0%")  # zero of any run
    with pytest.raises(ValueError, match="must be one of"):
        lrkit.WarmupStableDecay(1.0, total_steps="100%", decay_steps="10%", decay_shape="square")
    # a length that only some runs make wrong waits for the run
    s = lrkit.WarmupStableDecay(1.0, total_steps=100, warmup_steps="1ep", decay_steps=20)
    with pytest.raises(ValueError, match="longer than `total_steps`"):
        s.bind(steps_per_epoch=500)
    assert s.bind(steps_per_epoch=5).phases == (5, 75, 20)
    stable = lrkit.WarmupStableDecay(1.0, warmup_steps=10, stable_steps="50%", decay_steps=20)
    assert stable.bind(total_steps=100).phases == (10, 50, 20)


@pytest.mark.parametrize("bad", ["3 epochs", "-3ep", "ep", "%", "1/0%", "3e2ep"])
def test_malformed_lengths_are_the_class_errors(bad):
    with pytest.raises((TypeError, ValueError), match="decay_steps"):
        lrkit.CosineDecay(1.0, bad)


def test_helper_arguments_checked():
    with pytest.raises(ValueError, match=r"Argument `n` must be >= 0. Received: n=-1."):
        lrkit.epochs(-1)
    with pytest.raises(ValueError, match=r"Argument `denominator` must be > 0"):
        lrkit.fraction(1, 0)
    with pytest.raises(TypeError, match=r"Argument `denominator` must be an int"):
        lrkit.fraction(1, 2.0)
    assert lrkit.epochs(3) == parse("3ep") and hash(lrkit.epochs(3)) == hash(parse("3.0ep"))
    assert repr(lrkit.fraction(1, 8)) == "lrkit.fraction(1, 8)"
    assert repr(lrkit.epochs(2.5)) == "lrkit.epochs(2.5)"


def test_a_name_that_looks_like_a_length_is_a_name():
    s = lrkit.CosineDecay(1.0, 100, name="top 10%")
    assert type(s) is lrkit.CosineDecay and s.name == "top 10%"


def _cli(capsys, *argv):
    from lrkit.cli import main

    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_binds_with_total_and_steps_per_epoch(capsys):
    spec = "Warmup(CosineDecay(1.0, '95%'), '5ep')"
    status, _, err = _cli(capsys, "show", spec, "--at", "0")
    assert status == 2
    assert err.strip().endswith("needs --total N and --steps-per-epoch N.")
    status, out, _ = _cli(
        capsys, "show", spec, "--at", "0,25,50", "--total", "10ep", "--steps-per-epoch", "10",
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    got = json.loads(out)
    assert got["schedule"] == repr(lrkit.Warmup(lrkit.CosineDecay(1.0, 95), 50))
    assert got["learning_rate"] == [0.0, 0.5, 1.0]
    status, _, err = _cli(capsys, "show", spec, "--total", "10ep")
    assert status == 2 and "needs --steps-per-epoch N" in err
    status, _, err = _cli(capsys, "show", spec, "--total", "0", "--steps-per-epoch", "1")
    assert status == 2 and "--total must be > 0" in err
    # a bound schedule takes the options and ignores them
    status, out, _ = _cli(capsys, "show", "CosineDecay(1.0, 100)", "--at", "100", "--total", "5")
    assert status == 0 and out.splitlines()[-1].split() == ["100", "0"]
