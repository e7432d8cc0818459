"""Fuzzing the loaders with hypothesis: only documented errors ever escape.

Generated inputs: random JSON-like values; configs naming a random registered class
with its own keys (and stray ones) holding random values, schedules nested in
schedules; mutations of valid serialized configs (a leaf replaced by an awkward
value, a key dropped or added, a class renamed, a value moved); Model Garden sections;
SPEC text built from the same values and then mutated character by character.

The properties:

* ``deserialize``, ``from_model_garden`` and ``parse_spec`` raise only ``ValueError``
  or ``TypeError`` (``SpecError`` is a ``ValueError``);
* a schedule that loads can be called at steps 0, 1 and 10**6 and gives a finite
  Python ``float``, or raises ``OverflowError`` (lrkit's "overflows float64", for a
  rate beyond float64's range) and nothing else.

By default the examples are derandomized (the same every run: a CI run cannot fail
by chance); ``LRKIT_FUZZ_RANDOM=1`` draws new ones each run, and
``LRKIT_FUZZ_EXAMPLES=n`` multiplies their number (default 1: about 20 s). The
atheris harness in fuzz/fuzz_configs.py fuzzes the same entry points with coverage
guidance, for long runs.
"""

from __future__ import annotations

import math
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit
from lrkit.core import registry
from lrkit.model_garden.config import LR_FIELDS, WARMUP_FIELDS
from lrkit.spec import parse_spec

SCALE = max(1, int(os.environ.get("LRKIT_FUZZ_EXAMPLES", "1")))
RANDOM = os.environ.get("LRKIT_FUZZ_RANDOM", "") not in ("", "0")


def fuzz_settings(n: int) -> Any:
    return settings(
        max_examples=n * SCALE,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# -- what may escape -----------------------------------------------------------------------------

STEPS = (0, 1, 10**6)


def check(load: Any, arg: Any) -> Any:
    """``load(arg)`` raises ValueError / TypeError, or gives a schedule whose calls at
    STEPS are finite floats or lrkit's OverflowError."""
    try:
        schedule = load(arg)
    except (ValueError, TypeError):
        return None
    assert isinstance(schedule, lrkit.LearningRateSchedule), schedule
    for step in STEPS:
        try:
            value = schedule(step)
        except OverflowError as exc:
            assert "overflows float64" in str(exc), exc
            continue
        assert type(value) is float and math.isfinite(value), (schedule, step, value)
    return schedule


# -- values ---------------------------------------------------------------------------------------

SPECIAL_NUMBERS = [
    0,
    1,
    -1,
    2,
    10,
    1000,
    2**31 - 1,
    2**53 + 1,
    2**63,
    2**64,
    10**400,
    -(10**400),
    0.0,
    -0.0,
    0.5,
    1.5,
    -0.5,
    1e-300,
    5e-324,
    1e308,
    -1e308,
    1.7976931348623157e308,
    math.nan,
    math.inf,
    -math.inf,
    0.1,
    0.96,
    1e-4,
]
WORDS = [
    "linear",
    "cosine",
    "polynomial",
    "1-sqrt",
    "triangular",
    "triangular2",
    "exp_range",
    "cos",
    "torch",
    "optax",
    "local",
    "global",
    "",
    "name",
    "Constant",
    "os.system",
    "keras.optimizers.schedules",
    "lrkit",
    "constant",
    "stepwise",
    "exponential",
]
CLASS_NAMES = sorted(registry.known())

numbers = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(-10, 10**7),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-10.0, 10.0),
)
leaves = st.one_of(
    numbers,
    st.none(),
    st.booleans(),
    st.sampled_from(WORDS + CLASS_NAMES),
    st.text(max_size=12),
)
json_values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(
            st.one_of(st.sampled_from(WORDS + CLASS_NAMES), st.text(max_size=8)), inner, max_size=6
        ),
    ),
    max_leaves=24,
)
number_lists = st.one_of(
    st.lists(numbers, max_size=8),
    st.lists(st.integers(0, 10**6), max_size=8, unique=True).map(sorted),
    st.lists(st.floats(0, 1e6), max_size=8, unique=True).map(sorted),
)
knots = st.lists(st.tuples(st.integers(0, 10**5), numbers).map(list), max_size=6).map(
    lambda ks: sorted(ks, key=lambda k: k[0])
)
plain_values = st.one_of(
    numbers,
    numbers,
    numbers,
    leaves,
    number_lists,
    knots,
    json_values,
)


@st.composite
def schedule_config(draw: Any, depth: int = 2) -> Any:
    """A serialized schedule of a random registered class, with its own keys (some
    missing, maybe a stray one) holding random values."""
    name = draw(st.sampled_from(CLASS_NAMES))
    cls = registry.known()[name]
    keys = [k for k, _ in cls._config_attrs]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys))) if keys else []
    if draw(st.booleans()):  # usually every key
        chosen = keys
    config: dict[str, Any] = {}
    for key in chosen:
        if key in cls._schedule_keys and depth > 0:
            child = schedule_config(depth - 1)
            config[key] = draw(st.one_of(child, st.lists(child, max_size=3), json_values))
        elif key == "name":
            config[key] = draw(st.one_of(st.none(), st.text(max_size=8), leaves))
        else:
            config[key] = draw(plain_values)
    if draw(st.integers(0, 9)) == 0:
        config[draw(st.text(max_size=8))] = draw(leaves)
    out: dict[str, Any] = {"class_name": name, "config": config}
    if draw(st.booleans()):
        out.update(module="keras.optimizers.schedules", registered_name=None)
    return out


# -- valid configs, to mutate -------------------------------------------------------------------


def _valid() -> list[Any]:
    from lrkit.model_garden import (
        CosineDecayWithOffset,
        DirectPowerDecay,
        ExponentialDecayWithOffset,
        LinearWarmup,
        PiecewiseConstantDecayWithOffset,
        PolynomialDecayWithOffset,
        PolynomialWarmUp,
        PowerAndLinearDecay,
        PowerDecayWithOffset,
        StepCosineDecayWithOffset,
    )

    cos = lrkit.CosineDecay(0.1, 1000, alpha=0.1, warmup_target=1.0, warmup_steps=100)
    schedules = [
        lrkit.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
        lrkit.InverseTimeDecay(0.1, 10, 0.5),
        lrkit.PiecewiseConstantDecay([100, 200.5], [1.0, 0.5, 0.1]),
        lrkit.PolynomialDecay(0.1, 50, end_learning_rate=0.0, power=2, cycle=True),
        cos,
        lrkit.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.01),
        lrkit.Constant(0.1),
        lrkit.Cooldown(cos, 600, 300, shape="1-sqrt", final=1e-4),
        lrkit.Epochwise(lrkit.MultiStep(0.1, [3, 6]), 100, granularity="epoch"),
        lrkit.Epochwise(cos, granularity="step").bind(steps_per_epoch=7),
        lrkit.Linear(1.0, 0.1, 100.5, transition_begin=20),
        lrkit.Polynomial(1e-3, 900, end_learning_rate=1e-7, power=2.0, warmup_steps=100),
        lrkit.PiecewiseLinear([(0, 0.0), (100, 1.0), (100, 0.5), (1000, 0.01)]),
        lrkit.InverseSqrt(0.01, timescale=100, warmup_learning_rate=1e-4, warmup_steps=10),
        lrkit.WarmupStableDecay(
            3e-4,
            total_steps=1000,
            warmup_fraction=0.05,
            decay_fraction=0.2,
            decay_shape="1-sqrt",
            alpha=0.1,
        ),
        lrkit.OneCycle(0.1, 1000, three_phase=True),
        lrkit.Cyclic(1e-3, 6e-3, 200, step_size_down=100, mode="exp_range", gamma=0.999),
        lrkit.OneCycle(0.1, 1000).momentum(),
        lrkit.Cosine(1.0, 300, exponent=2.0, waves=1.0, cycles=3, warmup_steps=5),
        lrkit.CosineCycles(0.1, 100, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=4),
        lrkit.Tanh(0.1, 100, cycle_mul=1.5, cycle_limit=3, warmup_steps=5),
        lrkit.PolyCycles(0.1, 100, power=2.0, k_decay=0.5, cycle_limit=2, warmup_steps=5),
        lrkit.CosineAnnealing(0.1, 50, 0.01),
        lrkit.Step(0.1, 2.5, gamma=0.5, warmup_steps=3, warmup_learning_rate=0.01),
        lrkit.MultiStep(0.1, [30, 80], gamma=0.5),
        lrkit.Warmup(cos, 100, shape="cosine"),
        lrkit.Join([lrkit.Constant(1.0), cos], [100], step_mode="global"),
        lrkit.Offset(cos, 10),
        lrkit.Clamp(cos, min_value=0.01),
        0.5 * cos + lrkit.Constant(0.1),
        cos * lrkit.Linear(1.0, 0.0, 100),
        CosineDecayWithOffset(offset=10, initial_learning_rate=0.1, decay_steps=100),
        ExponentialDecayWithOffset(
            offset=5, initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5
        ),
        PiecewiseConstantDecayWithOffset(offset=5, boundaries=[10], values=[0.1, 0.01]),
        PolynomialDecayWithOffset(offset=5, initial_learning_rate=0.1, decay_steps=10),
        DirectPowerDecay(0.1, power=-0.5),
        PowerAndLinearDecay(0.1, 1000, power=-0.5, linear_decay_fraction=0.1, offset=5),
        PowerDecayWithOffset(0.1, power=-0.5, offset=10, pre_offset_learning_rate=1.0),
        StepCosineDecayWithOffset([0, 100], [0.1, 0.01], offset=5),
        LinearWarmup(cos, 10, 0.0),
        PolynomialWarmUp(cos, 10, power=2.0),
    ]
    return [lrkit.serialize(s) for s in schedules]


VALID = _valid()


def test_the_valid_configs_cover_every_class():
    def names(config: Any) -> set[str]:
        out = set()
        if isinstance(config, dict):
            if "class_name" in config:
                out.add(config["class_name"])
            for v in config.values():
                out |= names(v)
        elif isinstance(config, list):
            for v in config:
                out |= names(v)
        return out

    covered = set().union(*(names(c) for c in VALID))
    assert covered == set(CLASS_NAMES)
    for config in VALID:
        assert check(lrkit.deserialize, config) is not None


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@st.composite
def mutated(draw: Any, base: Any = None) -> Any:
    """A valid config (``base``, or one of VALID) with one to three mutations."""
    config = _copy(draw(st.sampled_from(VALID)) if base is None else base)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(config)
        path = draw(st.sampled_from(paths))
        op = draw(
            st.sampled_from(
                ["replace", "replace", "replace", "drop", "add", "rename", "wrap", "swap", "nest"]
            )
        )
        if not path:
            if op in ("replace", "wrap"):
                config = draw(json_values) if op == "replace" else [config]
            continue
        parent, key = _get(config, path[:-1]), path[-1]
        if op == "replace":
            parent[key] = draw(plain_values)
        elif op == "drop":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from([*WORDS, draw(st.text(max_size=6))]))] = draw(leaves)
        elif op == "add":
            parent.append(draw(plain_values))
        elif op == "rename" and key == "class_name":
            parent[key] = draw(st.sampled_from(CLASS_NAMES + WORDS))
        elif op == "rename":
            parent[key] = draw(st.sampled_from(CLASS_NAMES))
        elif op == "wrap":
            parent[key] = [parent[key]]
        elif op == "swap":
            other = draw(st.sampled_from(paths))
            if other and other[: len(path)] != path:
                parent[key] = _copy(_get(config, other))
        elif op == "nest":
            parent[key] = draw(schedule_config(depth=1))
        if not isinstance(config, (dict, list)):
            break
    return config


# -- the properties -------------------------------------------------------------------------------


@fuzz_settings(300)
@given(json_values)
def test_deserialize_random_values(value):
    check(lrkit.deserialize, value)


@fuzz_settings(600)
@given(schedule_config())
def test_deserialize_random_configs(config):
    check(lrkit.deserialize, config)


@fuzz_settings(1200)
@given(mutated())
def test_deserialize_mutated_configs(config):
    check(lrkit.deserialize, config)


@st.composite
def model_garden_config(draw: Any) -> Any:
    out: dict[str, Any] = {}
    for section, table in (("learning_rate", LR_FIELDS), ("warmup", WARMUP_FIELDS)):
        if section == "warmup" and draw(st.booleans()):
            continue
        kind = draw(st.one_of(st.sampled_from(sorted(table)), st.none(), leaves))
        fields: dict[str, Any] = {}
        if isinstance(kind, str) and kind in table:
            for key in table[kind]:
                if draw(st.integers(0, 4)):
                    fields[key] = draw(plain_values) if key != "name" else draw(leaves)
        if draw(st.integers(0, 9)) == 0:
            fields[draw(st.text(max_size=6))] = draw(leaves)
        out[section] = {"type": kind}
        if isinstance(kind, str):
            out[section][kind] = fields
    if draw(st.integers(0, 9)) == 0:
        out = {"trainer": {"optimizer_config": out}}
    return out


@fuzz_settings(800)
@given(st.one_of(model_garden_config(), json_values.filter(lambda v: not isinstance(v, str))))
def test_from_model_garden_random_configs(config):
    check(lrkit.from_model_garden, config)  # (a string is a file's path: not fuzzed here)


MG_VALID = [
    {
        "learning_rate": {
            "type": "stepwise",
            "stepwise": {"boundaries": [100, 200], "values": [0.1, 0.01, 0.001]},
        },
        "warmup": {"type": "linear", "linear": {"warmup_steps": 10}},
    },
    {
        "learning_rate": {
            "type": "cosine",
            "cosine": {"initial_learning_rate": 0.1, "decay_steps": 1000},
        },
        "warmup": {"type": "polynomial", "polynomial": {"warmup_steps": 10, "power": 2}},
    },
    {
        "learning_rate": {
            "type": "power_linear",
            "power_linear": {"initial_learning_rate": 0.1, "total_decay_steps": 1000},
        }
    },
    {
        "learning_rate": {
            "type": "exponential",
            "exponential": {
                "initial_learning_rate": 0.1,
                "decay_steps": 10,
                "decay_rate": 0.5,
                "offset": 3,
            },
        }
    },
    {
        "learning_rate": {
            "type": "step_cosine_with_offset",
            "step_cosine_with_offset": {"boundaries": [0, 100], "values": [0.1, 0.01]},
        }
    },
    {
        "learning_rate": {
            "type": "power_with_offset",
            "power_with_offset": {"initial_learning_rate": 0.1, "offset": 10},
        }
    },
]


@fuzz_settings(600)
@given(st.sampled_from(MG_VALID).flatmap(mutated).filter(lambda v: not isinstance(v, str)))
def test_from_model_garden_mutated_configs(config):
    check(lrkit.from_model_garden, config)


# -- SPEC text ------------------------------------------------------------------------------------


def _literal(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("class_name"), str):
        config = value.get("config")
        items = config.items() if isinstance(config, dict) else []
        args = ", ".join(
            f"{k}={_literal(v)}" for k, v in items if isinstance(k, str) and k.isidentifier()
        )
        return f"{value['class_name']}({args})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return {math.inf: "1e999", -math.inf: "-1e999"}.get(value, "float('nan')")
    if isinstance(value, int) and abs(value) > 10**300:
        return "9" * 400
    return repr(value)


@st.composite
def spec_text(draw: Any) -> str:
    config = draw(st.one_of(schedule_config(), mutated()))
    text = _literal(config) if isinstance(config, dict) else repr(config)
    for _ in range(draw(st.integers(0, 3))):
        if not text:
            break
        i = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if op == "delete":
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            text = (
                text[:i] + draw(st.sampled_from(list("()[]{},=*.'\"-+:0123456789 x_"))) + text[i:]
            )
        else:
            j = draw(st.integers(i, min(len(text), i + 20)))
            text = text[:j] + text[i:j] + text[j:]
    return text


@fuzz_settings(800)
@given(st.one_of(spec_text(), st.text(max_size=40)))
def test_parse_spec_random_text(text):
    check(parse_spec, text)
