"""`lrkit convert` and `lrkit list`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import lrkit
from conftest import require


def run(*args):
    return subprocess.run([sys.executable, "-m", "lrkit", *args], capture_output=True, text=True)


def ok(*args):
    out = run(*args)
    assert out.returncode == 0, out.stderr
    return out.stdout


def error_line(*args):
    out = run(*args)
    assert out.returncode == 2, out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: "), out.stderr
    return lines[0]


SPEC = "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)"
SCHEDULE = lrkit.CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)


def test_to_keras_is_keras_serialized_form(tmp_path):
    data = json.loads(ok("convert", SPEC, "--to", "keras"))
    assert data == lrkit.serialize(SCHEDULE)
    out = tmp_path / "k.json"
    assert ok("convert", SPEC, "--to", "keras", "-o", str(out)) == ""
    assert json.loads(out.read_text()) == data


def test_keras_reads_what_convert_writes(tmp_path):
    keras = require("keras")
    data = json.loads(ok("convert", SPEC, "--to", "keras"))
    schedule = keras.optimizers.schedules.deserialize(data)
    assert float(schedule(250)) == pytest.approx(SCHEDULE(250), rel=1e-6)


def test_to_lrkit_and_back(tmp_path):
    path = tmp_path / "s.lrkit.json"
    composed = "Warmup(Join([Constant(1.0), ExponentialDecay(1.0, 10, 0.5)], [100]), 20)"
    ok("convert", composed, "--to", "lrkit", "-o", str(path))
    data = json.loads(path.read_text())
    assert data["format"] == "lrkit.schedule" and data["version"] == 1
    assert data["lrkit_version"] == lrkit.__version__
    again = json.loads(ok("convert", str(path), "--to", "lrkit"))
    assert again == data
    assert ok("show", str(path), "--at", "150", "--format", "csv").splitlines()[1] == "150,0.125"


def test_keras_cannot_hold_lrkit_compositions_or_constants():
    assert "Warmup is lrkit's own" in error_line(
        "convert", "Warmup(CosineDecay(0.1, 100), 10)", "--to", "keras"
    )
    assert "Keras takes the number itself" in error_line(
        "convert", "Constant(0.1)", "--to", "keras"
    )


def test_to_model_garden():
    if not hasattr(lrkit, "to_model_garden"):
        assert "needs lrkit.to_model_garden" in error_line(
            "convert", "CosineDecay(0.1, 100)", "--to", "model-garden"
        )
        return
    spec = "PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])"
    data = json.loads(ok("convert", spec, "--to", "model-garden"))
    assert data == lrkit.to_model_garden(
        lrkit.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])
    )
    if hasattr(lrkit, "from_model_garden"):
        back = lrkit.from_model_garden(data)
        assert [back(t) for t in (0, 100, 101, 201)] == [0.1, 0.1, 0.01, 0.001]


def test_model_garden_yaml_output(tmp_path):
    if not hasattr(lrkit, "to_model_garden"):
        return
    yaml = require("yaml")
    path = tmp_path / "opt.yaml"
    ok("convert", "ExponentialDecay(0.1, 1000, 0.5)", "--to", "model-garden", "-o", str(path))
    data = yaml.safe_load(path.read_text())
    assert data == lrkit.to_model_garden(lrkit.ExponentialDecay(0.1, 1000, 0.5))
    # and inspect reads it back
    out = ok("inspect", str(path), "--format", "json")
    assert json.loads(out)["learning_rate"][0] == 0.1


def test_convert_errors(tmp_path):
    assert "invalid choice: 'torch'" in error_line("convert", SPEC, "--to", "torch")
    assert "required: --to" in error_line("convert", SPEC)
    assert "cannot write" in error_line(
        "convert", SPEC, "--to", "keras", "-o", str(tmp_path / "no" / "x.json")
    )


# -- list ------------------------------------------------------------------------------------


def test_list_shows_every_schedule():
    from lrkit.core import registry
    from lrkit.spec import signature_text

    text = ok("list")
    for name, cls in registry.known().items():
        assert signature_text(cls) in text, name
    lines = text.splitlines()
    i = lines.index(signature_text(lrkit.CosineDecay))
    assert lines[i + 1].strip().startswith("Cosine decay with optional linear warmup")
    assert "\\eta" not in text and ":math:" not in text and "``" not in text


def test_list_json():
    rows = json.loads(ok("list", "--format", "json"))
    by_name = {r["name"]: r for r in rows}
    assert by_name["Constant"]["description"] == "The same rate at every step: η(t) = η_0."
    assert by_name["ExponentialDecay"]["module"] == "keras.optimizers.schedules"
    assert by_name["Warmup"]["signature"].startswith("Warmup(schedule, warmup_steps")


def test_show_still_answers_fast_and_light():
    """`lrkit show` and `lrkit list` import no framework, NumPy or matplotlib."""
    code = (
        "import io, contextlib, json, sys\nfrom lrkit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['show', 'CosineDecay(0.1, 100)', '--every', '10', '--steps', '100'])\n"
        "    main(['list'])\n"
        "    main(['convert', 'CosineDecay(0.1, 100)', '--to', 'lrkit'])\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout.splitlines()[-1])
    heavy = ("numpy", "matplotlib", "keras", "tensorflow", "jax", "torch", "yaml")
    assert not [m for m in mods if m.split(".")[0] in heavy]


def test_broken_pipe_is_quiet():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lrkit",
            "show",
            "Constant(0.1)",
            "--every",
            "1",
            "--steps",
            "200000",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=30) == 0
    assert proc.stderr.read() == b""
