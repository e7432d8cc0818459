"""The command line speaks optax: ``lrkit show "optax.NAME(...)"``, and ``lrkit convert SPEC
--to spec`` writes any schedule in lrkit's own names.

Values are compared with the real optax (float32: within 16 roundings of 2**-24 of the
scale) and with ``lrkit.optax`` exactly (the command computes the same Python floats).
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys

import pytest

import lrkit
import lrkit.optax as lo
from conftest import require
from lrkit.cli import main
from lrkit.spec import SpecError, parse_spec, spec_text

U32 = 2.0**-24


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def shown_values(spec: str, steps: list[int]) -> list[float]:
    status, out, err = cli("show", spec, "--at", ",".join(map(str, steps)), "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["steps"] == steps
    return [float(x) for x in data["learning_rate"]]


#: one SPEC per function of lrkit.optax: (spec text, optax call, steps)
SPECS = [
    ("optax.constant_schedule(0.5)", lambda o: o.constant_schedule(0.5), [0, 10]),
    (
        "optax.linear_schedule(1.0, 0.1, 100, 20)",
        lambda o: o.linear_schedule(1.0, 0.1, 100, 20),
        [0, 20, 21, 70, 120, 500],
    ),
    (
        "optax.polynomial_schedule(1.0, 0.0, 2, 50, transition_begin=5)",
        lambda o: o.polynomial_schedule(1.0, 0.0, 2, 50, transition_begin=5),
        [0, 5, 30, 55, 99],
    ),
    (
        "optax.exponential_decay(0.1, 10, 0.5, 5, True, 0.01)",
        lambda o: o.exponential_decay(0.1, 10, 0.5, 5, True, 0.01),
        [0, 5, 14, 15, 35, 1000],
    ),
    (
        "optax.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.5})",
        lambda o: o.piecewise_constant_schedule(1.0, {100: 0.1, 200: 0.5}),
        [0, 99, 100, 200, 300],
    ),
    (
        "optax.piecewise_interpolate_schedule('cosine', 1.0, {10: 0.5, 30: 0.1})",
        lambda o: o.piecewise_interpolate_schedule("cosine", 1.0, {10: 0.5, 30: 0.1}),
        [0, 5, 10, 20, 30, 40],
    ),
    (
        "optax.cosine_decay_schedule(0.4, 77, alpha=0.1, exponent=2.0)",
        lambda o: o.cosine_decay_schedule(0.4, 77, alpha=0.1, exponent=2.0),
        [0, 30, 77, 100],
    ),
    (
        "optax.warmup_cosine_decay_schedule(0.0, 1.0, 100, 1000)",
        lambda o: o.warmup_cosine_decay_schedule(0.0, 1.0, 100, 1000),
        [0, 50, 100, 550, 1000, 2000],
    ),
    (
        "optax.warmup_constant_schedule(0.0, 1.0, 10)",
        lambda o: o.warmup_constant_schedule(0.0, 1.0, 10),
        [0, 5, 10, 100],
    ),
    (
        "optax.warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5, end_value=0.1)",
        lambda o: o.warmup_exponential_decay_schedule(0.0, 1.0, 10, 10, 0.5, end_value=0.1),
        [0, 5, 10, 15, 20, 100],
    ),
    (
        "optax.sgdr_schedule([{'init_value': 0.0, 'peak_value': 1.0, 'warmup_steps': 5, "
        "'decay_steps': 50}, {'init_value': 0.0, 'peak_value': 0.5, 'warmup_steps': 0, "
        "'decay_steps': 30}])",
        lambda o: o.sgdr_schedule(
            [
                {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 50},
                {"init_value": 0.0, "peak_value": 0.5, "warmup_steps": 0, "decay_steps": 30},
            ]
        ),
        [0, 5, 30, 49, 50, 65, 80, 200],
    ),
    (
        "optax.cosine_onecycle_schedule(100, 1.0, 0.25)",
        lambda o: o.cosine_onecycle_schedule(100, 1.0, 0.25),
        [0, 10, 25, 60, 100, 200],
    ),
    (
        "optax.linear_onecycle_schedule(100, 1.0, pct_start=0.25, pct_final=0.75)",
        lambda o: o.linear_onecycle_schedule(100, 1.0, pct_start=0.25, pct_final=0.75),
        [0, 10, 25, 50, 75, 90, 100, 200],
    ),
    (
        "optax.join_schedules([optax.constant_schedule(1.0), optax.linear_schedule(1.0, 0.0, 10)], "
        "[5])",
        lambda o: o.join_schedules(
            [o.constant_schedule(1.0), o.linear_schedule(1.0, 0.0, 10)], [5]
        ),
        [0, 4, 5, 10, 15, 100],
    ),
]


def test_every_function_has_a_spec():
    assert {s.split("(")[0].removeprefix("optax.") for s, _, _ in SPECS} == set(lo.FUNCTIONS)


@pytest.mark.parametrize(("spec", "build", "steps"), SPECS, ids=[s[:40] for s, _, _ in SPECS])
def test_show_an_optax_spec(spec, build, steps):
    optax = require("optax")
    jax = require("jax")
    ours = shown_values(spec, steps)
    assert ours == [build(lo)(t) for t in steps]
    theirs = jax.vmap(build(optax))(jax.numpy.asarray(steps))
    theirs = [float(x) for x in jax.numpy.broadcast_to(theirs, (len(steps),)).tolist()]
    scale = max(abs(x) for x in ours)
    assert all(abs(a - b) <= 16 * U32 * scale for a, b in zip(theirs, ours, strict=True)), (
        theirs,
        ours,
    )
    # the other spellings of the same names
    for prefix in ("lrkit.optax.", "optax.schedules."):
        assert parse_spec(prefix + spec.removeprefix("optax.")) == build(lo)


@pytest.mark.parametrize(("spec", "build", "steps"), SPECS, ids=[s[:40] for s, _, _ in SPECS])
def test_convert_to_spec_reads_back(spec, build, steps):
    status, out, err = cli("convert", spec, "--to", "spec")
    assert status == 0, err
    text = out.strip()
    assert "optax." not in text and "\n" not in text
    assert parse_spec(text) == build(lo) == parse_spec(spec)
    assert shown_values(text, steps) == shown_values(spec, steps)


def test_convert_to_spec_of_lrkit_and_files(tmp_path):
    spec = "Warmup(Join([Constant(0.1), CosineDecay(0.1, 4000)], [3000]), 500)"
    status, out, _ = cli("convert", spec, "--to", "spec")
    assert status == 0 and parse_spec(out.strip()) == parse_spec(spec)
    path = tmp_path / "s.json"
    assert (
        cli("convert", "optax.linear_schedule(1.0, 0.0, 10)", "--to", "lrkit", "-o", str(path))[0]
        == 0
    )
    status, out, _ = cli("convert", str(path), "--to", "spec")
    assert status == 0 and parse_spec(out.strip()) == lrkit.Linear(1.0, 0.0, 10)


def test_spec_text_refuses_what_it_cannot_write():
    with pytest.raises(ValueError, match="no SPEC form"):
        spec_text(lrkit.Join([lambda step: 0.1, lrkit.Constant(1.0)], [10]))
    with pytest.raises(TypeError):
        spec_text(lambda step: 0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("optax.linear_schedule(1.0, 0.0, 10, -5)", "`transition_begin`"),
        ("optax.exponential_decay(1.0, 0, 0.5)", "`transition_steps` must be > 0"),
        ("optax.warmup_cosine_decay_schedule(0.0, 1.0, 100, 100)", "`decay_steps` must be >"),
        ("optax.piecewise_interpolate_schedule('cos', 1.0)", "`interpolate_type`"),
        ("optax.linear_schedule(1.0)", "usage: optax.linear_schedule(init_value, end_value"),
        ("optax.no_such_schedule(1.0)", "unknown optax schedule 'optax.no_such_schedule'"),
        ("lrkit.optax.Constant(1.0)", "unknown optax schedule"),
        ("optax.__import__('os')", "unknown optax schedule"),
        ("optax.linear_schedule(__import__('os'), 0.0, 10)", "unknown schedule '__import__'"),
        ("optax.linear_schedule(*[1.0, 0.0, 10])", "written out"),
        ("optax.linear_schedule(1.0, 0.0, 10, transition_begin=1, transition_begin=2)", "repeated"),
        ("optax.inject_hyperparams(optax.adam)(learning_rate=0.1)", "called by name"),
        ("transformers.cosine(1e-3, 100, 1000)", "keyword arguments only"),
    ],
)
def test_errors_are_one_line(spec, words):
    status, out, err = cli("show", spec)
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: ")
    assert words in lines[0], lines[0]


def test_parsing_imports_no_peer():
    code = (
        "import sys\nfrom lrkit.spec import parse_spec\n"
        "parse_spec('optax.join_schedules([optax.constant_schedule(1.0), "
        "optax.warmup_cosine_decay_schedule(0.0, 1.0, 10, 100)], [50])')\n"
        "try:\n    parse_spec('transformers.cosine(learning_rate=1e-3, num_warmup_steps=1, "
        "num_training_steps=10)')\nexcept Exception:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('optax', 'jax', 'transformers', 'torch', 'numpy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_lrkit_classes_under_a_peer_prefix_read_as_before():
    # `optax.Constant` was read as lrkit's Constant before optax's names were known
    assert parse_spec("optax.Constant(1.0)") == lrkit.Constant(1.0)
    with pytest.raises(SpecError, match="unknown optax schedule"):
        parse_spec("optax.Nothing(1.0)")
