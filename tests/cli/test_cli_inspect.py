"""`lrkit inspect`: every input format, read as a user runs the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

import lrkit
from conftest import require

COSINE = lrkit.CosineDecay(0.1, 1000, warmup_target=1.0, warmup_steps=100)
COSINE_KERAS = {
    "module": "keras.optimizers.schedules",
    "class_name": "CosineDecay",
    "config": {
        "initial_learning_rate": 0.1,
        "decay_steps": 1000,
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": 1.0,
        "warmup_steps": 100,
    },
    "registered_name": None,
}
MODEL_GARDEN = """\
# a Model Garden optimization config
optimizer:
  type: sgd
  sgd:
    momentum: 0.9
learning_rate:
  type: cosine
  cosine:
    initial_learning_rate: 0.1
    decay_steps: 1000
warmup:
  type: linear
  linear:
    warmup_steps: 100
    warmup_learning_rate: 0.0
"""


def run(*args):
    return subprocess.run([sys.executable, "-m", "lrkit", *args], capture_output=True, text=True)


def inspect_json(path):
    out = run("inspect", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def error_line(*args):
    out = run(*args)
    assert out.returncode == 2, out.stdout
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: "), out.stderr
    return lines[0]


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    """Real .keras files, saved by Keras: compiled with a schedule, with a constant rate,
    with a schedule inside a LossScaleOptimizer, and not compiled."""
    keras = require("keras")
    folder = tmp_path_factory.mktemp("keras")

    def model():
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

    schedule = keras.optimizers.schedules.CosineDecay(
        0.1, 1000, warmup_target=1.0, warmup_steps=100
    )
    files = {}
    m = model()
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule), loss="mse")
    files["schedule"] = folder / "schedule.keras"
    m.save(files["schedule"])
    m = model()
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.25), loss="mse")
    files["constant"] = folder / "constant.keras"
    m.save(files["constant"])
    m = model()
    piecewise = keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    inner = keras.optimizers.SGD(learning_rate=piecewise)
    m.compile(optimizer=keras.optimizers.LossScaleOptimizer(inner), loss="mse")
    files["wrapped"] = folder / "wrapped.keras"
    m.save(files["wrapped"])
    m = model()
    files["plain"] = folder / "plain.keras"
    m.save(files["plain"])
    files["optimizer"] = folder / "optimizer.json"
    files["optimizer"].write_text(
        json.dumps(keras.optimizers.serialize(keras.optimizers.Adam(learning_rate=schedule)))
    )
    files["optimizer_config"] = folder / "optimizer_config.json"
    files["optimizer_config"].write_text(
        json.dumps(keras.optimizers.Adam(learning_rate=schedule).get_config())
    )
    files["keras_schedule"] = folder / "keras_schedule.json"
    files["keras_schedule"].write_text(json.dumps(keras.optimizers.schedules.serialize(schedule)))
    return files


# -- Keras -------------------------------------------------------------------------------


def test_keras_file_with_a_schedule(keras_files):
    out = run("inspect", str(keras_files["schedule"]))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].endswith("schedule.keras: Keras model file, optimizer Adam")
    assert lines[1] == f"schedule: {COSINE!r}"
    assert lines[2] == "phases: warmup end at 100, decay end at 1100"
    rows = dict(line.split() for line in lines[4:])
    assert rows["0"] == "0.1" and rows["100"] == "1" and rows["1100"] == "0"
    data = inspect_json(keras_files["schedule"])
    assert lrkit.deserialize(data["config"]) == COSINE
    assert data["learning_rate"] == [COSINE(s) for s in data["steps"]]


def test_keras_file_reading_needs_no_framework(keras_files):
    code = (
        "import io, contextlib, json, sys\nfrom lrkit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['inspect', {str(keras_files['schedule'])!r}]) == 0\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout.splitlines()[-1])
    heavy = ("numpy", "keras", "tensorflow", "jax", "torch", "matplotlib", "h5py")
    assert not [m for m in mods if m.split(".")[0] in heavy]


def test_keras_file_with_a_constant_rate(keras_files):
    data = inspect_json(keras_files["constant"])
    assert data["kind"] == "Keras model file, optimizer SGD, a constant learning rate"
    assert data["schedule"] == "Constant(learning_rate=0.25)"


def test_keras_file_with_a_wrapped_optimizer(keras_files):
    data = inspect_json(keras_files["wrapped"])
    assert "inside LossScaleOptimizer" in data["kind"]
    assert data["schedule"] == repr(lrkit.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]))
    assert [b["step"] for b in data["boundaries"]] == [10, 20]


def test_keras_file_not_compiled(keras_files):
    # the message lrkit.keras.read_keras_file gives: one reader for both
    assert "saved without an optimizer (not compiled)" in error_line(
        "inspect", str(keras_files["plain"])
    )


@pytest.mark.parametrize("name", ["optimizer", "optimizer_config", "keras_schedule"])
def test_keras_json_configs(keras_files, name):
    data = inspect_json(keras_files[name])
    assert lrkit.deserialize(data["config"]) == COSINE
    kind = "Keras serialized schedule" if name == "keras_schedule" else "Keras optimizer config"
    assert data["kind"].startswith(kind)


def test_keras_files_work_as_a_spec(keras_files):
    out = run("show", str(keras_files["schedule"]), "--at", "0,100,1100", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1:] == ["0,0.1", "100,1.0", "1100,0.0"]


def test_handmade_keras_zip_and_model_json(tmp_path):
    """The same reading, without Keras: a zip with config.json, and a model's JSON."""
    model = {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"layers": []},
        "compile_config": {
            "optimizer": {
                "module": "keras.optimizers",
                "class_name": "SGD",
                "config": {"learning_rate": COSINE_KERAS},
            }
        },
    }
    path = tmp_path / "hand.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", "{}")
        zf.writestr("config.json", json.dumps(model))
    assert inspect_json(path)["schedule"] == repr(COSINE)
    (tmp_path / "model.json").write_text(json.dumps(model))
    assert inspect_json(tmp_path / "model.json")["kind"] == "Keras model config, optimizer SGD"


def test_lrkit_schedule_saved_inside_keras(tmp_path):
    """lrkit.keras's KerasSchedule (an lrkit schedule in a Keras optimizer) is unwrapped."""
    composed = lrkit.Warmup(lrkit.CosineDecay(0.1, 1000), 100)
    wrapper = {
        "module": "lrkit.keras",
        "class_name": "KerasSchedule",
        "config": {"schedule": lrkit.serialize(composed)},
        "registered_name": "lrkit>KerasSchedule",
    }
    optimizer = {
        "module": "keras.optimizers",
        "class_name": "AdamW",
        "config": {"learning_rate": wrapper},
    }
    (tmp_path / "opt.json").write_text(json.dumps(optimizer))
    data = inspect_json(tmp_path / "opt.json")
    assert data["schedule"] == repr(composed) and data["kind"].endswith("optimizer AdamW")
    (tmp_path / "wrapper.json").write_text(json.dumps(wrapper))
    assert inspect_json(tmp_path / "wrapper.json")["schedule"] == repr(composed)


def test_tf_keras_2_forms(tmp_path):
    old = {
        "class_name": "ExponentialDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 10,
            "decay_rate": 0.5,
            "staircase": False,
            "name": None,
        },
    }
    (tmp_path / "old.json").write_text(
        json.dumps(
            {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": old, "beta_1": 0.9}}
        )
    )
    data = inspect_json(tmp_path / "old.json")
    assert data["schedule"] == repr(lrkit.ExponentialDecay(0.1, 10, 0.5))
    (tmp_path / "training.json").write_text(
        json.dumps(
            {
                "training_config": {
                    "optimizer_config": {"class_name": "SGD", "config": {"learning_rate": old}}
                }
            }
        )
    )
    assert inspect_json(tmp_path / "training.json")["schedule"] == data["schedule"]


# -- lrkit's own files ---------------------------------------------------------------------


def test_lrkit_file_and_spec_file(tmp_path):
    from lrkit.formats import dump_lrkit

    composed = lrkit.Warmup(lrkit.CosineDecayRestarts(0.1, 100), 50)
    (tmp_path / "s.lrkit.json").write_text(json.dumps(dump_lrkit(composed)))
    data = inspect_json(tmp_path / "s.lrkit.json")
    assert data["kind"] == "lrkit file (format 1)"
    assert lrkit.deserialize(data["config"]) == composed
    assert [(b["step"], b["label"]) for b in data["boundaries"][:3]] == [
        (50, "warmup end"),
        (150, "restart"),
        (350, "restart"),
    ]
    (tmp_path / "schedule.txt").write_text("Warmup(CosineDecayRestarts(0.1, 100), 50)\n")
    assert inspect_json(tmp_path / "schedule.txt")["schedule"] == repr(composed)


def test_inspect_at_steps_and_plot(tmp_path):
    require("matplotlib")
    (tmp_path / "s.json").write_text(json.dumps(COSINE_KERAS))
    out = run("inspect", str(tmp_path / "s.json"), "--at", "0,50", "-o", str(tmp_path / "s.png"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-2:] == [f"   0  {COSINE(0):.12g}", f"  50  {COSINE(50):.12g}"]
    assert (tmp_path / "s.png").stat().st_size > 5000


def test_inspect_terminal_plot(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(COSINE_KERAS))
    env = {**os.environ, "COLUMNS": "60", "LINES": "14"}
    out = subprocess.run(
        [sys.executable, "-m", "lrkit", "inspect", str(tmp_path / "s.json"), "--terminal"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "┊  phase boundary" in out.stdout and "learning_rate" in out.stdout


# -- Model Garden ------------------------------------------------------------------------


def test_model_garden_yaml(tmp_path):
    require("yaml")
    path = tmp_path / "opt.yaml"
    path.write_text(MODEL_GARDEN)
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text(
        "trainer:\n  optimizer_config:\n"
        + "".join(f"    {line}\n" for line in MODEL_GARDEN.splitlines() if not line.startswith("#"))
    )
    if not hasattr(lrkit, "from_model_garden"):
        for p in (path, experiment):
            assert "Model Garden configs need lrkit.from_model_garden" in error_line(
                "inspect", str(p)
            )
        return
    import yaml

    expected = lrkit.from_model_garden(yaml.safe_load(MODEL_GARDEN))
    for p in (path, experiment):
        data = inspect_json(p)
        assert data["kind"].startswith("Model Garden optimization config")
        assert data["schedule"] == repr(expected)
        assert data["learning_rate"] == [expected(s) for s in data["steps"]]


def test_model_garden_json(tmp_path):
    yaml = require("yaml")
    path = tmp_path / "opt.json"
    path.write_text(json.dumps(yaml.safe_load(MODEL_GARDEN)))
    if not hasattr(lrkit, "from_model_garden"):
        assert "need lrkit.from_model_garden" in error_line("inspect", str(path))
        return
    assert inspect_json(path)["kind"].startswith("Model Garden optimization config")


# -- mistakes ----------------------------------------------------------------------------


def test_unreadable_files(tmp_path):
    (tmp_path / "bad.json").write_text('{"class_name": ')
    assert "not valid JSON" in error_line("inspect", str(tmp_path / "bad.json"))
    (tmp_path / "list.json").write_text("[1, 2]")
    assert "holds a list" in error_line("inspect", str(tmp_path / "list.json"))
    (tmp_path / "empty.json").write_text("  \n")
    assert "is empty" in error_line("inspect", str(tmp_path / "empty.json"))
    (tmp_path / "other.json").write_text('{"units": 3}')
    assert "holds no schedule" in error_line("inspect", str(tmp_path / "other.json"))
    (tmp_path / "model.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    assert "HDF5" in error_line("inspect", str(tmp_path / "model.h5"))
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)))
    assert "not a text file" in error_line("inspect", str(tmp_path / "binary.bin"))
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as zf:
        zf.writestr("weights.h5", "x")
    assert "it has no config.json" in error_line("inspect", str(tmp_path / "other.keras"))
    (tmp_path / "broken.keras").write_bytes(b"PK\x03\x04" + bytes(50))
    assert "not a .keras file (not a zip archive)" in error_line(
        "inspect", str(tmp_path / "broken.keras")
    )
    assert "is a directory" in error_line("inspect", str(tmp_path))
    assert "no such file" in error_line("inspect", str(tmp_path / "missing.keras"))


def test_unknown_schedule_and_bad_arguments_in_a_file(tmp_path):
    (tmp_path / "u.json").write_text(json.dumps({**COSINE_KERAS, "class_name": "Nope"}))
    unknown = error_line("inspect", str(tmp_path / "u.json"))
    assert "Unknown learning rate schedule: 'Nope'" in unknown
    bad = {**COSINE_KERAS, "config": {**COSINE_KERAS["config"], "decay_steps": 0}}
    (tmp_path / "b.json").write_text(json.dumps(bad))
    assert "decay_steps=0" in error_line("inspect", str(tmp_path / "b.json"))
    (tmp_path / "s.txt").write_text("CosineDecay(0.1)")
    assert "usage: CosineDecay(" in error_line("inspect", str(tmp_path / "s.txt"))
    (tmp_path / "evil.txt").write_text("__import__('os').system('echo hi')")
    evil = error_line("inspect", str(tmp_path / "evil.txt"))
    assert "unknown schedule \"__import__('os').system\"" in evil


def test_lrkit_file_from_the_future(tmp_path):
    (tmp_path / "f.json").write_text(
        json.dumps({"format": "lrkit.schedule", "version": 99, "schedule": COSINE_KERAS})
    )
    assert "newer lrkit" in error_line("inspect", str(tmp_path / "f.json"))


def test_files_are_read_up_to_a_bound(tmp_path, monkeypatch):
    from lrkit import formats

    monkeypatch.setattr(formats, "MAX_BYTES", 100)
    (tmp_path / "big.json").write_text(json.dumps({**COSINE_KERAS, "pad": "x" * 200}))
    with pytest.raises(formats.FormatError, match="larger than 100 bytes"):
        formats.read(str(tmp_path / "big.json"))
    with zipfile.ZipFile(tmp_path / "big.keras", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", " " * 10_000 + "{}")
    with pytest.raises(formats.FormatError, match=r"config\.json is 10002 bytes"):
        formats.read(str(tmp_path / "big.keras"))


def test_yaml_is_read_safely(tmp_path):
    require("yaml")
    (tmp_path / "tag.yaml").write_text("learning_rate: !!python/object/apply:os.system ['true']\n")
    line = error_line("inspect", str(tmp_path / "tag.yaml"))
    assert "YAML tag !!python/object/apply:os.system (line 1)" in line
    assert "would build an object" in line
    # aliases are read within lrkit.io.limits.MAX_YAML_NODES, as from_model_garden reads them
    small = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    (tmp_path / "small.yaml").write_text(small)
    assert "holds no schedule" in error_line("inspect", str(tmp_path / "small.yaml"))
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in zip("abcd", "bcde", strict=True)
    ]
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")  # 10**5 + ... values
    assert "more than 100000 values" in error_line("inspect", str(tmp_path / "bomb.yaml"))
