"""Hostile and malformed configs: every loader refuses them safely.

``lrkit.deserialize``, ``lrkit.from_model_garden``, ``lrkit.keras.read_keras_file``,
``lrkit.spec.parse_spec`` and the ``lrkit show`` / ``lrkit inspect`` commands, given
wrong types, missing or extra keys, unknown or importable-looking class names,
non-finite and huge numbers, very long lists, deep nesting, YAML alias bombs and
broken or oversized ``.keras`` zips, must raise ``ValueError`` or ``TypeError`` (the
CLI: one line, exit status 2) naming what is wrong, in bounded work (function calls
counted, never seconds) and memory, and must never import or run anything a config
names. docs/security.md states the limits.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import math
import sys
import tracemalloc
import warnings
import zipfile
from typing import Any

import pytest

import lrkit
import lrkit.keras as lk
from conftest import require
from lrkit import boundaries, cli, formats, termplot  # noqa: F401 (imported before any spy)
from lrkit.core.serialization import MAX_CONFIG_DEPTH, MAX_NESTING
from lrkit.model_garden.config import MAX_DEPTH, MAX_FILE_BYTES, MAX_YAML_NODES
from lrkit.spec import SpecError, parse_spec
from test_straight import structural

REFUSED = (ValueError, TypeError)
CONSTANT = {"class_name": "Constant", "config": {"learning_rate": 0.1}}
COSINE = {
    "module": "keras.optimizers.schedules",
    "class_name": "CosineDecay",
    "config": {
        "initial_learning_rate": 0.1,
        "decay_steps": 1000,
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": None,
        "warmup_steps": 0,
    },
    "registered_name": None,
}


@contextlib.contextmanager
def bounded(calls: int, megabytes: float | None = None):
    """The block makes at most ``calls`` function calls (Python and C functions, counted
    with ``sys.setprofile``: a measure of work done, not of time, so a busy machine does
    not change it) and, when ``megabytes`` is given, allocates at most that much at its
    peak (tracemalloc). A loader that loops once per element of its input stays linear
    in it; one that is quadratic, or loops on a bomb, blows the count."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call" or event == "c_call":
            count += 1

    if megabytes is not None:
        tracemalloc.start()
    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield
    finally:
        sys.setprofile(previous)
        peak = 0
        if megabytes is not None:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    assert count <= calls, f"made {count} calls (bound {calls})"
    if megabytes is not None:
        assert peak < megabytes * 2**20, f"peak {peak / 2**20:.0f} MB (bound {megabytes} MB)"


@pytest.fixture
def no_imports(monkeypatch):
    """Records any import of a module a config names, any eval or exec, and any
    command run, while a loader works (there must be none)."""
    import builtins
    import os
    import subprocess

    attempts: list[Any] = []
    suspicious = ("os", "subprocess", "builtins", "shutil", "posix", "evil", "sys")

    def spy(kind, real):
        def call(*args, **kwargs):
            first = args[0] if args else ""
            if kind == "import_module":
                if str(first).split(".")[0] in suspicious:
                    attempts.append((kind, args))
            elif kind in ("eval", "exec", "compile"):
                flags = args[3] if len(args) > 3 else kwargs.get("flags", 0)
                parse_only = kind == "compile" and flags & ast.PyCF_ONLY_AST  # ast.parse
                module = kind == "compile" and str(args[1]).endswith(".py")  # an import
                # a formula recorded by lrkit.core.fastpath: allowed if its text holds no
                # value of the config (names, operators and if/elif indices only)
                recorded = (
                    kind == "compile" and str(args[1]).startswith("<lrkit ") and structural(first)
                )
                # source text (an import execs a code object)
                if isinstance(first, (str, bytes)) and not (parse_only or module or recorded):
                    attempts.append((kind, args))
            else:
                attempts.append((kind, args))
            if real is None:
                raise AssertionError(f"{kind} called with {args!r}")
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(importlib, "import_module", spy("import_module", importlib.import_module))
    monkeypatch.setattr(builtins, "eval", spy("eval", builtins.eval))
    monkeypatch.setattr(builtins, "exec", spy("exec", builtins.exec))
    monkeypatch.setattr(builtins, "compile", spy("compile", builtins.compile))
    monkeypatch.setattr(os, "system", spy("os.system", None))
    monkeypatch.setattr(os, "popen", spy("os.popen", None))
    monkeypatch.setattr(subprocess, "Popen", spy("Popen", None))
    before = set(sys.modules)
    yield attempts
    assert attempts == []
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] == "evil"}


def nested_scales(depth: int) -> dict[str, Any]:
    config: dict[str, Any] = CONSTANT
    for _ in range(depth):
        config = {"class_name": "Scale", "config": {"schedule": config, "factor": 1.0}}
    return config


def nested_list(depth: int, leaf: Any = 1) -> Any:
    out = leaf
    for _ in range(depth):
        out = [out]
    return out


def loads_or_refuses(load, *args) -> Any:
    """``load(*args)``: a schedule whose calls are finite floats (or OverflowError),
    or ValueError / TypeError."""
    try:
        schedule = load(*args)
    except REFUSED:
        return None
    for step in (0, 1, 10**6):
        try:
            value = schedule(step)
        except OverflowError:
            continue
        assert type(value) is float and math.isfinite(value), (schedule, step, value)
    return schedule


# -- deserialize ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "error", "words"),
    [
        (5, TypeError, "must be a dict"),
        (None, TypeError, "must be a dict"),
        (1.5, TypeError, "must be a dict"),
        ([CONSTANT], TypeError, "Received: list"),
        (b"Constant", TypeError, "Received: bytes"),
        ({}, ValueError, "needs a 'class_name'"),
        ({"config": {}}, ValueError, "needs a 'class_name'"),
        ({**CONSTANT, "extra": 1}, ValueError, r"Unknown key\(s\) \['extra'\]"),
        ({"class_name": 5}, TypeError, "`class_name` must be a string"),
        ({"class_name": ["Constant"]}, TypeError, "`class_name` must be a string"),
        ({"class_name": "Constant", "config": [0.1]}, TypeError, "'config' must be a dict"),
        ({"class_name": "Constant", "config": "0.1"}, TypeError, "'config' must be a dict"),
        ({"class_name": "Constant", "config": {1: 0.1}}, TypeError, "keys must be strings"),
        ({**CONSTANT, "registered_name": {"a": 1}}, TypeError, "`registered_name` must be"),
        ({"class_name": "Constant", "config": {}}, ValueError, r"needs argument\(s\)"),
        (
            {"class_name": "Constant", "config": {"learning_rate": 0.1, "lr": 1}},
            ValueError,
            r"Unknown argument\(s\) \['lr'\]",
        ),
        (
            {"class_name": "Constant", "config": {"learning_rate": "0.1"}},
            TypeError,
            "must be a real number, not str",
        ),
        ({"class_name": "Constant", "config": {"learning_rate": True}}, TypeError, "not bool"),
        ({"class_name": "Constant", "config": {"learning_rate": [0.1]}}, TypeError, "not list"),
        (
            {"class_name": "Constant", "config": {"learning_rate": 0.1, "name": 3}},
            TypeError,
            "`name` must be a string",
        ),
        ({"class_name": "NoSuchSchedule"}, ValueError, "Unknown learning rate schedule"),
        ({"class_name": "x" * 10**6}, ValueError, "Unknown learning rate schedule"),
        ("os.system", ValueError, "Unknown learning rate schedule: 'os.system'"),
        ("builtins.eval", ValueError, "Unknown learning rate schedule: 'builtins.eval'"),
        (
            {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}},
            ValueError,
            "Unknown learning rate schedule: 'system'",
        ),
        (
            {"module": "builtins", "class_name": "eval", "config": {}},
            ValueError,
            "Unknown learning rate schedule: 'eval'",
        ),
        (
            {"class_name": "__import__", "config": {"name": "os"}},
            ValueError,
            "Unknown learning rate schedule",
        ),
        (
            {
                "module": "evil",
                "class_name": "CosineDecay",
                "registered_name": "evil>Thing",
                "config": COSINE["config"],
            },
            None,
            None,
        ),  # the module is never imported
        (
            {"class_name": "Scale", "config": {"schedule": "os.system", "factor": 1}},
            ValueError,
            "Unknown learning rate schedule: 'os.system'",
        ),
        (
            {"class_name": "Sum", "config": {"schedules": [CONSTANT, {"class_name": "exec"}]}},
            ValueError,
            "Unknown learning rate schedule: 'exec'",
        ),
        (
            {"class_name": "Sum", "config": {"schedules": [CONSTANT, 5]}},
            TypeError,
            r"schedules\[1\]",
        ),
        ({"class_name": "LearningRateSchedule", "config": {}}, ValueError, "Unknown"),
    ],
)
def test_deserialize_refuses_malformed_configs(config, error, words, no_imports, tmp_path):
    with bounded(10_000):
        if error is None:
            assert lrkit.deserialize(config) == lrkit.CosineDecay(0.1, 1000)
            return
        with pytest.raises(error, match=words) as info:
            lrkit.deserialize(config)
    assert len(str(info.value)) < 5000  # a message, not a dump of the input
    assert not (tmp_path / "pwned").exists()


NUMBERS = {
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "1e308": 1e308,
    "-1e308": -1e308,
    "10**400": 10**400,
    "-10**400": -(10**400),
    "-0.0": -0.0,
    "5e-324": 5e-324,
    "2**63": 2**63,
}
KERAS_CONFIGS = {
    "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "InverseTimeDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "PolynomialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "power": 2.0},
    "CosineDecay": {
        "initial_learning_rate": 0.1,
        "decay_steps": 10,
        "alpha": 0.1,
        "warmup_target": 1.0,
        "warmup_steps": 5,
    },
    "CosineDecayRestarts": {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 10,
        "t_mul": 2.0,
        "m_mul": 0.5,
        "alpha": 0.1,
    },
    "PiecewiseConstantDecay": {"boundaries": [10, 20], "values": [0.1, 0.01, 0.001]},
}


def _number_cases():
    for cls, config in KERAS_CONFIGS.items():
        for key, value in config.items():
            for label, number in NUMBERS.items():
                if isinstance(value, list):
                    new = [number, *value[1:]]
                else:
                    new = number
                yield pytest.param(cls, {**config, key: new}, label, id=f"{cls}-{key}-{label}")


@pytest.mark.parametrize(("cls", "config", "label"), list(_number_cases()))
def test_special_numbers_load_or_are_refused(cls, config, label):
    with bounded(50_000):
        schedule = loads_or_refuses(lrkit.deserialize, {"class_name": cls, "config": config})
    if label in ("nan", "inf", "-inf", "10**400", "-10**400"):
        assert schedule is None, "a non-finite or out-of-range number must be refused"


def test_huge_integers_are_refused_with_a_short_message():
    with pytest.raises(ValueError, match=r"must be finite .*<an int of about 400 digits>"):
        lrkit.deserialize({"class_name": "Constant", "config": {"learning_rate": 10**400}})
    with pytest.raises(ValueError, match="must be finite"):  # past str()'s 4300-digit limit
        lrkit.deserialize({"class_name": "Constant", "config": {"learning_rate": 10**5000}})
    with pytest.raises(ValueError, match="must be finite"):  # constructors too
        lrkit.ExponentialDecay(10**400, 10, 0.5)


def test_overflow_while_building_is_a_value_error():
    # a first period of 5e-324 steps needs 2**1138 periods to reach 2**64 steps
    config = {
        "class_name": "CosineDecayRestarts",
        "config": {"initial_learning_rate": 0.1, "first_decay_steps": 5e-324},
    }
    with pytest.raises(ValueError, match=r"first_decay_steps.*float64's range"):
        lrkit.deserialize(config)


# Found by fuzzing: a huge `waves` made `pi * waves / d` infinite, so cos() raised
# "math domain error" (NaN on arrays); a huge `t_mul` made a restart period longer than
# float64 holds. Both are now refused at construction.
HUGE_PARAMETERS = [
    pytest.param(
        lambda: lrkit.WarmupStableDecay(
            0.1, total_steps=1000, warmup_fraction=0.05, decay_fraction=0.2, waves=1e308
        ),
        900,
        id="wsd-waves",
    ),
    pytest.param(lambda: lrkit.Cosine(0.1, 1000, waves=1e308), 1, id="cosine-waves"),
    pytest.param(
        lambda: lrkit.CosineDecayRestarts(0.1, 10, t_mul=1e308), 10**6, id="restarts-t_mul"
    ),
]


@pytest.mark.parametrize(("make", "step"), HUGE_PARAMETERS)
def test_huge_parameters_are_refused_or_computed(make, step):
    try:
        schedule = make()
    except REFUSED:
        return
    value = schedule(step)  # the rate is finite here: no OverflowError either
    assert math.isfinite(value)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: lrkit.CosineDecayRestarts(0.1, 5e-324), id="restarts-overflow"),
        pytest.param(
            lambda: lrkit.PiecewiseLinear([(0, 1.0), {"a": 1, "b": 2}]),
            id="piecewise-linear-dict-knot",
        ),
    ],
)
def test_constructors_raise_only_value_or_type_errors(make):
    with pytest.raises(REFUSED):
        make()


def test_negative_zero_is_kept():
    s = lrkit.deserialize({"class_name": "Constant", "config": {"learning_rate": -0.0}})
    assert math.copysign(1.0, s(0)) == -1.0


def test_nesting_limit():
    assert lrkit.deserialize(nested_scales(MAX_NESTING - 1))(5) == 0.1
    with pytest.raises(ValueError, match=f"more than {MAX_NESTING} levels deep"):
        lrkit.deserialize(nested_scales(MAX_NESTING))
    join: dict[str, Any] = CONSTANT
    for _ in range(MAX_NESTING - 1):  # three containers a level
        join = {"class_name": "Join", "config": {"schedules": [join], "boundaries": []}}
    assert lrkit.deserialize(join)(3) == 0.1


@pytest.mark.parametrize(
    "config",
    [
        nested_scales(10_000),
        {"class_name": "Sum", "config": {"schedules": nested_list(10_000, CONSTANT)}},
        {
            "class_name": "PiecewiseConstantDecay",
            "config": {"boundaries": nested_list(10_000), "values": [1, 2]},
        },
        {"class_name": "Constant", "config": {"learning_rate": nested_list(10_000)}},
        {"class_name": "Constant", "config": {"learning_rate": 0.1, "name": nested_list(10**4)}},
        nested_list(10_000, CONSTANT),
    ],
    ids=["scales", "schedule-lists", "boundaries", "rate", "name", "top"],
)
def test_deep_nesting_is_refused_before_recursing(config):
    with bounded(50_000), pytest.raises(REFUSED, match=r"deep|must be a dict"):
        lrkit.deserialize(config)


def test_cycles_are_refused():
    config: dict[str, Any] = {"class_name": "Scale", "config": {"factor": 1.0}}
    config["config"]["schedule"] = config
    with bounded(50_000), pytest.raises(ValueError, match=f"more than {MAX_CONFIG_DEPTH} levels"):
        lrkit.deserialize(config)
    values: list[Any] = [0.1]
    values.append(values)
    with pytest.raises(ValueError, match="deep"):
        lrkit.deserialize(
            {
                "class_name": "PiecewiseConstantDecay",
                "config": {"boundaries": [1], "values": values},
            }
        )


def test_a_million_boundaries_in_bounded_time():
    n = 10**6
    config = {
        "class_name": "PiecewiseConstantDecay",
        "config": {"boundaries": list(range(1, n + 1)), "values": [*range(n), 0.5]},
    }
    with bounded(100 * n):
        s = lrkit.deserialize(config)
        assert s(0) == 0 and s(500_000) == 499_999 and s(n + 1) == 0.5
    config["config"]["boundaries"] = list(range(n, 0, -1))
    with bounded(100 * n), pytest.raises(ValueError, match="increasing"):
        lrkit.deserialize(config)
    with bounded(100 * n), pytest.raises(ValueError, match="1 less than"):
        lrkit.deserialize(
            {
                "class_name": "PiecewiseConstantDecay",
                "config": {"boundaries": list(range(n)), "values": [0.1]},
            }
        )


def test_errors_about_long_lists_are_short():
    n = 10**5
    with pytest.raises(ValueError) as info:
        lrkit.PiecewiseConstantDecay(list(range(n)), [0.1])
    assert len(str(info.value)) < 5000, f"a message of {len(str(info.value))} characters"


def test_many_schedules_in_bounded_time():
    n = 20_000
    config = {
        "class_name": "Join",
        "config": {"schedules": [CONSTANT] * n, "boundaries": list(range(1, n))},
    }
    with bounded(500 * n):
        assert lrkit.deserialize(config)(n // 2) == 0.1


# -- from_model_garden ------------------------------------------------------------------------

MG_OK = {
    "learning_rate": {
        "type": "cosine",
        "cosine": {"initial_learning_rate": 0.1, "decay_steps": 100},
    }
}


@pytest.mark.parametrize(
    ("config", "error", "words"),
    [
        (5, TypeError, "must be a dict"),
        (None, TypeError, "must be a dict"),
        (b"c.yaml", TypeError, "Received: bytes"),
        ({"learning_rate": 5}, TypeError, "`learning_rate` must be a dict"),
        ({"learning_rate": {"type": ["cosine"]}}, ValueError, "Unknown learning_rate type"),
        ({"learning_rate": {"type": "os.system"}}, ValueError, "Unknown learning_rate type"),
        ({"learning_rate": {"type": "cosine", "cosine": [1]}}, TypeError, "must be a dict"),
        (
            {"learning_rate": {"type": "cosine", "cosine": {"evil": 1}}},
            ValueError,
            "Unknown key 'evil'",
        ),
        ({"learning_rate": {"type": "cosine"}}, ValueError, "is required"),
        (
            {
                "learning_rate": {
                    "type": "cosine",
                    "cosine": {"initial_learning_rate": 0.1, "decay_steps": math.nan},
                }
            },
            ValueError,
            "finite",
        ),
        (
            {"learning_rate": {"type": "constant", "constant": {"learning_rate": 10**400}}},
            ValueError,
            "finite",
        ),
        (
            {
                "learning_rate": {
                    "type": "stepwise",
                    "stepwise": {"boundaries": nested_list(5000), "values": [1, 2]},
                }
            },
            ValueError,
            "deep",
        ),
        ({"trainer": {"optimizer_config": nested_list(10_000)}}, ValueError, "deep"),
        ({**MG_OK, "surprise": 1}, ValueError, "Unknown key 'surprise'"),
        ({**MG_OK, ("tuple",): 1}, ValueError, r"Unknown key \('tuple',\)"),
        ({"learning_rate": {"type": "x" * 10**6}}, ValueError, "Unknown learning_rate type"),
    ],
)
def test_from_model_garden_refuses_malformed_configs(config, error, words, no_imports):
    with bounded(10_000), pytest.raises(error, match=words) as info:
        lrkit.from_model_garden(config)
    assert len(str(info.value)) < 5000


def _billion_laughs() -> str:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 9):
        refs = ", ".join([f"*{chr(96 + i)}"] * 9)
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [{refs}]")
    lines.append("learning_rate: {type: constant, constant: {learning_rate: *i}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_billion_laughs(), f"more than {MAX_YAML_NODES} values"),
        ("learning_rate: &x {type: constant, constant: {learning_rate: *x}}\n", "recursive alias"),
        ("&x [*x]\n", "recursive alias"),
        ("x: " + "[" * 10_000 + "]" * 10_000 + "\n", f"more than {MAX_DEPTH} levels"),
        ("x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", f"more than {MAX_DEPTH} levels"),
        ("learning_rate: !!python/object/apply:os.system ['touch pwned']\n", "tag"),
        ("learning_rate: !!python/name:builtins.eval\n", "tag"),
        ("learning_rate: !!python/module:os\n", "tag"),
        ("learning_rate: [\n", "not a readable YAML"),
        ("? [a]\n: 1\n", "unhashable"),
        (
            "learning_rate: {type: constant, constant: {learning_rate: " + "9" * 5000 + "}}\n",
            "not a readable YAML",
        ),
        ("\x00\x01", "not a readable YAML"),
    ],
    ids=[
        "billion-laughs",
        "cycle",
        "cycle-list",
        "deep-list",
        "deep-map",
        "python-object",
        "python-name",
        "python-module",
        "syntax",
        "unhashable",
        "5000-digits",
        "binary",
    ],
)
def test_from_model_garden_yaml_bombs_and_tags(text, words, tmp_path, no_imports, monkeypatch):
    require("yaml")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with bounded(200_000, megabytes=64), pytest.raises(ValueError, match=words) as info:
        lrkit.from_model_garden(path)
    assert str(path) in str(info.value)
    assert not (tmp_path / "pwned").exists()


def test_from_model_garden_yaml_aliases_within_the_budget_are_read(tmp_path):
    require("yaml")
    path = tmp_path / "config.yaml"
    path.write_text(
        "defaults: &cos {initial_learning_rate: 0.1, decay_steps: 100}\n"
        "learning_rate: {type: cosine, cosine: *cos}\n"
    )
    with pytest.raises(ValueError, match="Unknown key 'defaults'"):  # read, then checked
        lrkit.from_model_garden(path)
    path.write_text(
        "learning_rate:\n  type: cosine\n  cosine: &cos {initial_learning_rate: 0.1, "
        "decay_steps: 100}\nwarmup: {type: linear, linear: {warmup_steps: 10}}\n"
        "ema: {a: *cos, b: *cos}\n"
    )
    s = lrkit.from_model_garden(path)
    assert s(0) == 0.0 and s(10) == lrkit.CosineDecay(0.1, 100)(10)


@pytest.mark.parametrize(
    ("name", "content", "error", "words"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, ValueError, "deep"),
        ("deep2.json", json.dumps({"learning_rate": nested_list(500)}), ValueError, "deep"),
        (
            "nan.json",
            '{"learning_rate": {"type": "constant", "constant": {"learning_rate": NaN}}}',
            ValueError,
            "finite",
        ),
        (
            "big.json",
            '{"learning_rate": {"type": "constant", "constant": {"learning_rate": '
            + "9" * 400
            + "}}}",
            ValueError,
            "finite",
        ),
        (
            "huge.json",
            '{"learning_rate": {"type": "constant", "constant": {"learning_rate": '
            + "9" * 5000
            + "}}}",
            ValueError,
            "not valid JSON",
        ),
        ("bad.json", "{", ValueError, "not valid JSON"),
        ("latin1.yaml", b"learning_rate: \xff\xfe", ValueError, "not UTF-8"),
        ("list.json", "[1, 2]", TypeError, "must be a dict"),
    ],
)
def test_from_model_garden_bad_files(name, content, error, words, tmp_path):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with bounded(10_000), pytest.raises(error, match=words):
        lrkit.from_model_garden(path)


def test_from_model_garden_refuses_a_huge_file_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "w") as f:
        f.write("learning_rate: {type: constant}\n")
        f.write(("#" * 1023 + "\n") * (MAX_FILE_BYTES // 1024 + 1))
    with (
        bounded(10_000, megabytes=MAX_FILE_BYTES / 2**20 + 8),
        pytest.raises(ValueError, match=f"larger than {MAX_FILE_BYTES} bytes"),
    ):
        lrkit.from_model_garden(path)


def test_from_model_garden_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        lrkit.from_model_garden(tmp_path / "missing.yaml")


# -- .keras files -----------------------------------------------------------------------------

GOOD_MODEL = {
    "compile_config": {"optimizer": {"class_name": "SGD", "config": {"learning_rate": COSINE}}}
}


def keras_zip(path, config: Any, method: int = zipfile.ZIP_DEFLATED):
    data = config if isinstance(config, (str, bytes)) else json.dumps(config)
    with zipfile.ZipFile(path, "w", method) as z:
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", data)
        z.writestr("model.weights.h5", b"\0" * 64)
    return path


def optimizer_with(lr: Any) -> dict[str, Any]:
    return {"compile_config": {"optimizer": {"class_name": "SGD", "config": {"learning_rate": lr}}}}


def _patch_sizes(path, size: int) -> None:
    """Makes config.json's local and central headers claim ``size`` bytes."""
    raw = bytearray(path.read_bytes())
    name = b"config.json"
    local = raw.find(b"PK\x03\x04")
    while local != -1:
        if raw[local + 30 : local + 30 + len(name)] == name:
            raw[local + 22 : local + 26] = size.to_bytes(4, "little")
        local = raw.find(b"PK\x03\x04", local + 4)
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        if raw[central + 46 : central + 46 + len(name)] == name:
            raw[central + 24 : central + 28] = size.to_bytes(4, "little")
        central = raw.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(raw))


def _flip(path, what: str) -> None:
    raw = bytearray(path.read_bytes())
    name = b"config.json"
    for sig, name_at, field in ((b"PK\x03\x04", 30, 6), (b"PK\x01\x02", 46, 8)):
        at = raw.find(sig)
        while at != -1:
            if raw[at + name_at : at + name_at + len(name)] == name:
                if what == "encrypted":
                    raw[at + field] |= 1
                elif what == "version" and sig == b"PK\x03\x04":
                    raw[at + 4] = 99
                elif what == "version":
                    raw[at + 6] = 99
            at = raw.find(sig, at + 4)
    if what == "deflate":  # garbage where config.json's deflated data starts
        at = raw.find(name) + len(name)  # its local header's name (no extra field)
        raw[at : at + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))


@pytest.fixture
def bad_keras(tmp_path):
    """``kind -> path`` of hostile .keras files."""

    def make(kind: str):
        path = tmp_path / f"{kind}.keras"
        if kind == "text":
            path.write_text("not a zip at all")
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "truncated":
            keras_zip(path, GOOD_MODEL)
            path.write_bytes(path.read_bytes()[:100])
        elif kind == "no-config":
            with zipfile.ZipFile(path, "w") as z:
                z.writestr("metadata.json", "{}")
        elif kind == "bomb":  # 200 MB of spaces, deflated to ~200 KB, honest header
            with (
                zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z,
                z.open("config.json", "w", force_zip64=True) as f,
            ):
                chunk = b" " * 2**20
                for _ in range(200):
                    f.write(chunk)
        elif kind == "lying-header":  # 2 MB deflated, headers claiming 10 bytes
            keras_zip(path, "{" + " " * (2 * 2**20) + "}")
            _patch_sizes(path, 10)
        elif kind in ("encrypted", "version", "deflate"):
            keras_zip(path, GOOD_MODEL)
            _flip(path, kind)
        elif kind == "not-json":
            keras_zip(path, "{")
        elif kind == "not-utf8":
            keras_zip(path, b"\xff\xfe{}")
        elif kind == "deep-json":
            keras_zip(path, "[" * 100_000 + "]" * 100_000)
        elif kind == "deep-optimizer":
            keras_zip(path, json.dumps(optimizer_with("X")).replace('"X"', "[" * 900 + "]" * 900))
        elif kind == "deep-schedule":  # as JSON text: json.dumps would recurse too deep
            scales = '{"class_name": "Scale", "config": {"factor": 1, "schedule": ' * 5000
            text = scales + json.dumps(CONSTANT) + "}}" * 5000
            keras_zip(path, json.dumps(optimizer_with("X")).replace('"X"', text))
        elif kind == "os-system":
            keras_zip(
                path,
                optimizer_with(
                    {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}}
                ),
            )
        elif kind == "big-int":
            keras_zip(
                path,
                '{"compile_config": {"optimizer": {"class_name": "SGD", '
                '"config": {"learning_rate": 1' + "0" * 400 + "}}}}",
            )
        elif kind == "nan":
            keras_zip(
                path,
                '{"compile_config": {"optimizer": {"class_name": "SGD", '
                '"config": {"learning_rate": NaN}}}}',
            )
        elif kind == "not-compiled":
            keras_zip(path, {"class_name": "Sequential", "config": {"layers": []}})
        elif kind == "optimizer-list":
            keras_zip(path, {"compile_config": {"optimizer": [1, 2]}})
        elif kind == "inner-optimizers":
            opt: dict[str, Any] = {"class_name": "SGD", "config": {"learning_rate": 0.1}}
            for _ in range(50):
                opt = {"class_name": "LossScaleOptimizer", "config": {"inner_optimizer": opt}}
            keras_zip(path, {"compile_config": {"optimizer": opt}})
        else:
            raise AssertionError(kind)
        return path

    return make


KERAS_CASES = {
    "text": "not a zip",
    "empty": "not a zip",
    "truncated": "not a zip",
    "no-config": "no config.json",
    "bomb": "209715200 bytes; at most",
    "lying-header": "not a readable .keras file|larger than",
    "encrypted": "not a readable .keras file",
    "version": "not a readable .keras file",
    "deflate": "not a readable .keras file",
    "not-json": "not valid JSON",
    "not-utf8": "not valid JSON",
    "deep-json": "not valid JSON",
    "deep-optimizer": "deep",
    "deep-schedule": "deep",
    "os-system": "Unknown learning rate schedule: 'system'",
    "big-int": "float64's range|finite",
    "nan": "finite",
    "not-compiled": "without an optimizer",
    "optimizer-list": "must be a dict",
    "inner-optimizers": "no readable learning rate",
}


@pytest.mark.parametrize(("kind", "words"), list(KERAS_CASES.items()))
def test_read_keras_file_refuses_hostile_files(
    kind, words, bad_keras, no_imports, tmp_path, monkeypatch
):
    path = bad_keras(kind)
    monkeypatch.chdir(tmp_path)
    with (
        bounded(50_000, megabytes=lk.MAX_CONFIG_BYTES / 2**20 + 16),
        pytest.raises(ValueError, match=words) as info,
    ):
        lk.read_keras_file(path)
    assert str(path) in str(info.value) and len(str(info.value)) < 5000
    assert not (tmp_path / "pwned").exists()


def test_read_keras_file_reads_at_most_max_bytes(tmp_path):
    path = keras_zip(tmp_path / "m.keras", "{" + " " * 10**6 + "}")
    _patch_sizes(path, 10)  # the header lies: reading still stops after max_bytes + 1
    with bounded(10_000, megabytes=2), pytest.raises(ValueError):
        lk.read_keras_file(path, max_bytes=1000)


def test_read_keras_file_mutated_archives(tmp_path):
    import random

    base = keras_zip(tmp_path / "base.keras", GOOD_MODEL).read_bytes()
    assert lk.read_keras_file(tmp_path / "base.keras") == lrkit.CosineDecay(0.1, 1000)
    rng = random.Random(9)
    path = tmp_path / "m.keras"
    with bounded(1_000_000):
        for _ in range(400):
            raw = bytearray(base)
            for _ in range(rng.choice((1, 2, 4, 8))):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            if rng.random() < 0.2:
                raw = raw[: rng.randrange(len(raw))]
            path.write_bytes(bytes(raw))
            loads_or_refuses(lk.read_keras_file, path)


# -- SPEC --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error", "words"),
    [
        (5, TypeError, "must be a string"),
        (b"Constant(1)", TypeError, "must be a string"),
        ("", SpecError, "not an expression"),
        ("Constant", SpecError, "must be a schedule call"),
        ("__import__('os').system('touch pwned')", SpecError, "unknown schedule"),
        ("os.system('touch pwned')", SpecError, "unknown schedule"),
        ("builtins.eval('1')", SpecError, "unknown schedule"),
        ("eval('Constant(1)')", SpecError, "unknown schedule"),
        ("Constant.__init__(1)", SpecError, "unknown schedule"),
        ("Constant(1)(2)", SpecError, "called by name"),
        ("Constant(lambda: 1)", SpecError, "literals or schedule calls"),
        ("Constant(open('x'))", SpecError, "unknown schedule"),
        ("Constant(x)", SpecError, "literals or schedule calls"),
        ("Constant(1 + 2)", SpecError, "literals or schedule calls"),
        ("Constant(10 ** 400)", SpecError, "literals or schedule calls"),
        ("Constant(*[1])", SpecError, "no \\* or \\*\\*"),
        ("Constant(**{'learning_rate': 1})", SpecError, "no \\* or \\*\\*"),
        ("Constant(learning_rate=1, learning_rate=2)", SpecError, "repeated"),
        ("Constant(1, nope=2)", SpecError, "unexpected keyword"),
        ("Constant()", SpecError, "missing"),
        ("Constant(1, 2, 3)", SpecError, "positional"),
        ("Constant({[1]: 2})", SpecError, "dict keys"),
        ("Constant({1})", SpecError, "not set"),
        ("Constant(1j)", SpecError, "not complex"),
        ("Constant('0.1')", SpecError, "not str"),
        ("Constant(1e999)", ValueError, "finite"),
        ("Constant(-1e999)", ValueError, "finite"),
        ("Constant(" + "9" * 400 + ")", ValueError, "finite"),
        ("Constant(" + "9" * 5000 + ")", SpecError, "not an expression"),
        ("Constant(float('nan'))", SpecError, "unknown schedule"),
        ("Constant(nan)", SpecError, "literals or schedule calls"),
        ("Constant(1)\x00", SpecError, "not an expression"),
        ("Constant('\ud800')", SpecError, "not an expression"),
        ("CosineDecayRestarts(0.1, 5e-324)", ValueError, "float64's range"),
        (
            "PiecewiseConstantDecay([" + ",".join(map(str, range(30_000))) + "], [1])",
            SpecError,
            "characters long",
        ),
        (
            "PiecewiseConstantDecay(" + "[" * 10_000 + "]" * 10_000 + ", [1])",
            SpecError,
            "nest|not an expression",
        ),
        ("PiecewiseConstantDecay(" + "[" * 60 + "]" * 60 + ", [1])", SpecError, "nests deeper"),
        ("Scale(" * 60 + "Constant(1)" + ", 1)" * 60, SpecError, "nests deeper"),
        ("Scale(" * 10_000 + "Constant(1)" + ", 1)" * 10_000, SpecError, "characters long"),
        ("Constant(" + "-" * 500 + "1)", SpecError, "nests deeper"),
        ("Constant(" + "-" * 50_000 + "1)", SpecError, "nests deeper"),
        ("Constant(" + "1+" * 500 + "1)", SpecError, "nests deeper"),
        ("(" + "1+" * 500 + "1)(2)", SpecError, "nests deeper"),
        ("Constant(x" + "[0]" * 500 + ")", SpecError, "nests deeper"),
        ("a" + ".a" * 500 + "(1)", SpecError, "nests deeper"),
        ("Constant(1)" + "(1)" * 500, SpecError, "nests deeper"),
        ("Constant(" + "lambda:" * 500 + "1)", SpecError, "nests deeper"),
        ("Constant(" + "not " * 20_000 + "1)", SpecError, "nests deeper"),
        ("Join([{'class_name': 'Constant', 'config': {}}], [])", SpecError, "not dict"),
    ],
)
def test_parse_spec_refuses_hostile_text(text, error, words, no_imports, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with bounded(50_000), pytest.raises(error, match=words) as info:
        parse_spec(text)
    assert len(str(info.value)) < 5000
    assert not (tmp_path / "pwned").exists()


def test_parse_spec_prints_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Python 3.12+ warns of invalid escapes
        with pytest.raises(SpecError, match="not str"):
            parse_spec(r"Constant('\,')")


def test_parse_spec_depth_limit_is_exact_for_calls():
    from lrkit.spec import MAX_DEPTH as SPEC_DEPTH

    ok = "Scale(" * (SPEC_DEPTH // 2) + "Constant(1)" + ", 1)" * (SPEC_DEPTH // 2)
    assert parse_spec(ok)(0) == 1.0
    kw = "Scale(schedule=" * (SPEC_DEPTH // 2) + "Constant(1)" + ", factor=1)" * (SPEC_DEPTH // 2)
    assert parse_spec(kw)(0) == 1.0


# -- the command line ----------------------------------------------------------------------------


def cli_error(capsys, *args: str) -> str:
    """Runs ``lrkit *args`` in this process: exit status 2 and one line on stderr."""
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: "), err
    assert len(lines[0]) < 5000
    return lines[0]


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch pwned')",
        "Constant(learning_rate=1, learning_rate=2)",
        "Constant(" + "9" * 400 + ")",
        "Constant(" + "-" * 500 + "1)",
        "Constant(" + "1+" * 500 + "1)",
        "PiecewiseConstantDecay(" + "[" * 10_000 + "]" * 10_000 + ", [1])",
        "Scale(" * 60 + "Constant(1)" + ", 1)" * 60,
        "CosineDecayRestarts(0.1, 5e-324)",
        "ExponentialDecay(0.1, 1, 1e308)",  # loads; overflows float64 at step 1000
    ],
)
def test_lrkit_show_reports_one_line(text, capsys, tmp_path, monkeypatch, no_imports):
    monkeypatch.chdir(tmp_path)
    with bounded(100_000):
        cli_error(capsys, "show", text)
    assert not (tmp_path / "pwned").exists()


INSPECT_CASES = [k for k in KERAS_CASES if k not in ("encrypted", "deflate")]
#: damaged deflate data and the encryption flag: zlib.error / RuntimeError inside zipfile
FORMATS_CASES = ["encrypted", "deflate"]


@pytest.mark.parametrize("kind", INSPECT_CASES + FORMATS_CASES)
def test_lrkit_inspect_hostile_keras_files(kind, bad_keras, capsys, tmp_path, monkeypatch):
    path = bad_keras(kind)
    monkeypatch.chdir(tmp_path)
    with bounded(50_000):
        line = cli_error(capsys, "inspect", str(path))
    assert path.name in line or "config" in line
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("lol.yaml", _billion_laughs()),
        ("cycle.yaml", "learning_rate: &x {type: constant, constant: {learning_rate: *x}}\n"),
        ("deep.yaml", "x: " + "[" * 10_000 + "]" * 10_000 + "\n"),
        ("tag.yaml", "learning_rate: !!python/object/apply:os.system ['touch pwned']\n"),
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("scales.json", json.dumps(nested_scales(200))),
        (
            "mg.json",
            json.dumps(
                {"learning_rate": {"type": "constant", "constant": {"learning_rate": 1e400}}}
            ).replace("Infinity", "1e400"),
        ),
        ("keras.json", json.dumps({"module": "os", "class_name": "system", "config": {}})),
        (
            "big.json",
            json.dumps({"class_name": "Constant", "config": {"learning_rate": 1}}).replace(
                ": 1}", ": 1" + "0" * 400 + "}"
            ),
        ),
        ("spec.txt", "__import__('os').system('touch pwned')"),
        ("binary.bin", "\x00\x01\x02"),
    ],
)
def test_lrkit_inspect_hostile_config_files(name, text, capsys, tmp_path, monkeypatch, no_imports):
    if name.endswith(".yaml"):
        require("yaml")
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    with bounded(500_000):
        cli_error(capsys, "inspect", name)
    assert not (tmp_path / "pwned").exists()


def test_lrkit_inspect_a_huge_file(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("huge.yaml", "w") as f:
        f.write(("#" * 1023 + "\n") * (17 * 1024))
    with bounded(50_000):
        assert "larger than" in cli_error(capsys, "inspect", "huge.yaml")


def test_the_cli_error_stream_is_not_a_traceback(capsys):
    # a sanity check of the helper: a good SPEC exits 0
    assert cli.main(["show", "Constant(0.5)", "--at", "0"]) == 0
    assert "0.5" in capsys.readouterr().out
