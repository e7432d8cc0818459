"""One reader per file format (lrkit.io): the library and the ``lrkit`` command read, and
refuse, every file the same way; Model Garden's own files load.

* a ``.keras`` file whose optimizer stores the legacy ``lr`` key: the same schedule from
  ``lrkit.keras.read_keras_file``, ``lrkit show`` and ``lrkit inspect``;
* a ``params.yaml`` written by Model Garden itself for an image classification
  experiment (``!!python/tuple`` tags under ``task``) gives Model Garden's own values;
* the YOLO project's optimization configs, whose top-level ``type`` Model Garden keeps
  and ignores, likewise (its real ``scaled_yolo`` experiment too);
* YAML tags: inert outside the optimization section, refused inside it, never built;
* each limit (bytes, nesting, YAML nodes) is enforced by every entry point, with the
  same message.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import pathlib
import sys
import types
import zipfile
from typing import Any

import pytest

import lrkit
import lrkit.keras as lk
from conftest import require
from lrkit import cli, formats
from lrkit.io import limits
from lrkit.model_garden import config as mg_config

STEPS = [0, 1, 50, 99, 100, 101, 1000, 1560, 5000, 9360, 9361, 20_000, 28_080]


def cli_run(capsys, *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def cli_error(capsys, *args: str) -> str:
    """``lrkit *args`` fails: exit status 2 and one line, ``lrkit: error: ...``."""
    status, out, err = cli_run(capsys, *args)
    assert status == 2 and out == "", (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: "), err
    return lines[0].removeprefix("lrkit: error: ")


def keras_zip(path: pathlib.Path, config: Any) -> pathlib.Path:
    text = config if isinstance(config, str) else json.dumps(config)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", '{"keras_version": "2.2.4"}')
        z.writestr("config.json", text)
    return path


# -- the legacy `lr` key --------------------------------------------------------------------

#: an optimizer as Keras 1 and early tf.keras saved it: the rate under `lr`
LEGACY_SGD = {
    "class_name": "SGD",
    "config": {"lr": 0.0125, "momentum": 0.9, "decay": 0.0, "nesterov": False},
}


def test_legacy_lr_keras_file_reads_the_same_by_library_and_cli(tmp_path, capsys):
    path = keras_zip(tmp_path / "legacy.keras", {"compile_config": {"optimizer": LEGACY_SGD}})
    assert lk.read_keras_file(path) == lrkit.Constant(0.0125)
    assert formats.read(str(path)).schedule == lrkit.Constant(0.0125)
    status, out, _ = cli_run(capsys, "show", str(path), "--at", "0,10,1000", "--format", "json")
    assert status == 0
    assert json.loads(out)["learning_rate"] == [0.0125, 0.0125, 0.0125]
    status, out, _ = cli_run(capsys, "inspect", str(path), "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["kind"] == "Keras model file, optimizer SGD, a constant learning rate"
    assert data["schedule"] == "Constant(learning_rate=0.0125)"


def test_legacy_lr_inside_a_wrapper_and_as_a_schedule(tmp_path, capsys):
    cosine = {
        "class_name": "CosineDecay",
        "config": {"initial_learning_rate": 0.5, "decay_steps": 8},
    }
    wrapped = {
        "class_name": "LossScaleOptimizer",
        "config": {"inner_optimizer": {"class_name": "SGD", "config": {"lr": cosine}}},
    }
    path = keras_zip(tmp_path / "wrapped.keras", {"compile_config": {"optimizer": wrapped}})
    want = lrkit.CosineDecay(0.5, 8)
    assert lk.read_keras_file(path) == want
    loaded = formats.read(str(path))
    assert loaded.schedule == want
    assert loaded.kind == "Keras model file, optimizer SGD (inside LossScaleOptimizer)"
    # 0.5 at step 0, 0.5 * (1 + cos(pi)) / 2 = 0 at the end; the same values in between
    status, out, _ = cli_run(capsys, "show", str(path), "--at", "0,4,8", "--format", "json")
    assert status == 0 and json.loads(out)["learning_rate"] == [0.5, want(4), 0.0]
    # `learning_rate` wins over `lr` when both are there
    both = {"class_name": "SGD", "config": {"learning_rate": 0.5, "lr": 0.25}}
    path = keras_zip(tmp_path / "both.keras", {"compile_config": {"optimizer": both}})
    assert lk.read_keras_file(path) == formats.read(str(path)).schedule == lrkit.Constant(0.5)


def test_a_json_optimizer_config_with_lr(tmp_path):
    path = tmp_path / "optimizer.json"
    path.write_text(json.dumps(LEGACY_SGD))
    assert formats.read(str(path)).schedule == lrkit.Constant(0.0125)
    assert lk.from_keras(LEGACY_SGD) == lrkit.Constant(0.0125)


# -- Model Garden's own files ---------------------------------------------------------------


@pytest.fixture(scope="module")
def mg() -> types.SimpleNamespace:
    require("tensorflow")
    return types.SimpleNamespace(
        factory=require("official.modeling.optimization.optimizer_factory"),
        opt_cfg=require("official.modeling.optimization.configs.optimization_config"),
        params_dict=require("official.modeling.hyperparams.params_dict"),
    )


@pytest.fixture(scope="module")
def exp_factory(mg) -> Any:
    """``official.core.exp_factory``, with the experiment configs registered, imported
    without running ``official/core/__init__`` and ``official/vision/__init__`` (which
    import tensorflow_datasets and every task, none of which configs need)."""
    spec = importlib.util.find_spec("official")
    assert spec is not None and spec.submodule_search_locations
    root = pathlib.Path(next(iter(spec.submodule_search_locations)))
    stubs = [
        ("official.core", root / "core"),
        ("official.vision", root / "vision"),
        ("official.vision.configs", root / "vision" / "configs"),
    ]
    saved = {name: sys.modules.get(name) for name, _ in stubs}
    for name, path in stubs:
        if name not in sys.modules:
            stub = types.ModuleType(name)
            stub.__path__ = [str(path)]
            sys.modules[name] = stub
    try:
        factory = importlib.import_module("official.core.exp_factory")
        importlib.import_module("official.vision.configs.image_classification")
        importlib.import_module("official.projects.yolo.configs.yolo")
    except ImportError as exc:
        pytest.fail(f"Model Garden's experiment configs failed to import: {exc}")
    yield factory
    for name, module in saved.items():
        if module is None:
            sys.modules.pop(name, None)


def _model_garden_values(mg: Any, optimization_config: Any) -> list[float]:
    schedule = mg.factory.OptimizerFactory(optimization_config).build_learning_rate()
    return [float(schedule(s)) if callable(schedule) else float(schedule) for s in STEPS]


def _close(theirs: list[float], ours: list[float]) -> bool:
    """Model Garden's float32 values against lrkit's float64 ones (the tolerance of
    tests/model_garden/test_model_garden_config.py)."""
    scale = max(abs(x) for x in ours)
    return all(abs(a - b) <= 1e-5 * (abs(b) + scale) for a, b in zip(theirs, ours, strict=True))


def test_a_params_yaml_written_by_model_garden_loads(mg, exp_factory, tmp_path, capsys):
    experiment = exp_factory.get_exp_config("resnet_imagenet")
    path = tmp_path / "params.yaml"
    mg.params_dict.save_params_dict_to_yaml(experiment, str(path))  # as a training run does
    text = path.read_text()
    assert "crop_area_range: !!python/tuple" in text  # far from the optimizer section
    ours = lrkit.from_model_garden(path)
    theirs = _model_garden_values(mg, experiment.trainer.optimizer_config)
    assert _close(theirs, [ours(s) for s in STEPS])
    # Model Garden reading its own file back builds the same schedule
    reread = mg.params_dict.read_yaml_to_params_dict(str(path)).as_dict()["trainer"]
    config = mg.opt_cfg.OptimizationConfig(reread["optimizer_config"])
    assert _close(_model_garden_values(mg, config), [ours(s) for s in STEPS])
    # the command reads it with the same reader
    assert formats.read(str(path)).schedule == ours
    status, out, _ = cli_run(capsys, "show", str(path), "--at", "0,1560,9360", "--format", "json")
    assert status == 0 and json.loads(out)["learning_rate"] == [ours(0), ours(1560), ours(9360)]


def test_the_yolo_type_key_is_accepted_and_ignored(mg, tmp_path):
    yolo = require("official.projects.yolo.optimization.configs.optimization_config")
    yolo_factory = require("official.projects.yolo.optimization.optimizer_factory")
    config = yolo.OptimizationConfig(
        {
            "optimizer": {"type": "sgd_torch"},
            "learning_rate": {
                "type": "cosine",
                "cosine": {"initial_learning_rate": 0.01, "decay_steps": 20_000},
            },
            "warmup": {"type": "linear", "linear": {"warmup_steps": 1000}},
        }
    )
    assert "type" in config.as_dict()  # Model Garden keeps it, and builds without it
    path = tmp_path / "yolo.yaml"
    mg.params_dict.save_params_dict_to_yaml(config, str(path))
    ours = lrkit.from_model_garden(path)
    built = yolo_factory.OptimizerFactory(config).build_learning_rate()
    assert _close([float(built(s)) for s in STEPS], [ours(s) for s in STEPS])
    assert lrkit.from_model_garden({**config.as_dict(), "type": "yolo"}) == ours
    assert formats.read(str(path)).schedule == ours
    with pytest.raises(TypeError, match=r"`type` must be a string or None"):
        lrkit.from_model_garden({**config.as_dict(), "type": 3})
    # unknown keys inside a schedule's section stay errors
    bad = config.as_dict()
    bad["learning_rate"]["cosine"]["type"] = "cosine"
    with pytest.raises(ValueError, match=r"Unknown key 'type' in `learning_rate.cosine`"):
        lrkit.from_model_garden(bad)


def test_the_scaled_yolo_experiment_loads(mg, exp_factory, tmp_path):
    experiment = exp_factory.get_exp_config("scaled_yolo")
    path = tmp_path / "params.yaml"
    mg.params_dict.save_params_dict_to_yaml(experiment, str(path))
    section = experiment.trainer.optimizer_config
    assert "type" in section.as_dict()
    ours = lrkit.from_model_garden(path)
    yolo_factory = require("official.projects.yolo.optimization.optimizer_factory")
    built = yolo_factory.OptimizerFactory(section).build_learning_rate()
    assert _close([float(built(s)) for s in STEPS], [ours(s) for s in STEPS])


# -- YAML tags --------------------------------------------------------------------------------

COSINE_SECTION = (
    "    learning_rate:\n"
    "      type: cosine\n"
    "      cosine: {initial_learning_rate: 0.1, decay_steps: 100}\n"
)


def test_tags_outside_the_optimization_section_are_inert(tmp_path, capsys):
    path = tmp_path / "params.yaml"
    path.write_text(
        "task:\n"
        "  crop_area_range: !!python/tuple [0.08, 1.0]\n"
        "  model: !!python/object:official.vision.Model {a: 1}\n"
        "  run: !!python/object/apply:os.system ['touch pwned']\n"
        "  bucket: !Ref data\n"
        "trainer:\n  optimizer_config:\n" + COSINE_SECTION
    )
    want = lrkit.model_garden.CosineDecayWithOffset(initial_learning_rate=0.1, decay_steps=100)
    assert lrkit.from_model_garden(path) == want
    assert formats.read(str(path)).schedule == want
    assert cli_run(capsys, "inspect", str(path))[0] == 0
    assert not (tmp_path / "pwned").exists()
    assert not pathlib.Path("pwned").exists()


def test_python_tuple_is_a_plain_list_inside_the_section(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "learning_rate:\n  type: stepwise\n"
        "  stepwise: {boundaries: !!python/tuple [10, 20], values: !!python/tuple [3, 2, 1]}\n"
    )
    s = lrkit.from_model_garden(path)
    assert s == lrkit.from_model_garden(
        {
            "learning_rate": {
                "type": "stepwise",
                "stepwise": {"boundaries": [10, 20], "values": [3, 2, 1]},
            }
        }
    )
    assert [s(0), s(10), s(11), s(21)] == [3, 3, 2, 1]  # Keras's: step <= boundary


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        (
            "trainer:\n  optimizer_config:\n    learning_rate:\n      type: cosine\n"
            "      cosine: {initial_learning_rate: !!python/object/apply:os.system "
            "['touch pwned'], decay_steps: 100}\n",
            "!!python/object/apply:os.system",
        ),
        (
            "trainer:\n  optimizer_config: !!python/object:official.Config\n" + COSINE_SECTION,
            "!!python/object:official.Config",
        ),
        ("learning_rate: !!python/name:builtins.eval\n", "!!python/name:builtins.eval"),
        (
            "optimizer: {type: sgd, sgd: !Custom {momentum: 0.9}}\n"
            + "\n".join(line.removeprefix("    ") for line in COSINE_SECTION.splitlines()),
            "!Custom",
        ),
    ],
    ids=["object-apply", "section-itself", "name", "unknown-tag"],
)
def test_a_tag_inside_the_optimization_section_is_refused(text, tag, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match="would build an object") as info:
        lrkit.from_model_garden(path)
    message = str(info.value)
    assert str(path) in message and f"YAML tag {tag} (line" in message
    line = cli_error(capsys, "inspect", str(path))
    assert f"YAML tag {tag} (line" in line and "would build an object" in line
    assert not (tmp_path / "pwned").exists()


# -- one set of limits ------------------------------------------------------------------------


def test_every_entry_point_has_the_same_limits():
    assert lk.MAX_CONFIG_BYTES == formats.MAX_BYTES == mg_config.MAX_FILE_BYTES
    assert mg_config.MAX_FILE_BYTES == limits.MAX_FILE_BYTES == 16 * 2**20
    assert mg_config.MAX_DEPTH == limits.MAX_DEPTH
    assert mg_config.MAX_YAML_NODES == limits.MAX_YAML_NODES


def _bomb_keras(path: pathlib.Path, size: int) -> pathlib.Path:
    """A ``config.json`` of ``size`` spaces (deflated to almost nothing), honest header."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z, z.open("config.json", "w") as f:
        for _ in range(size // 2**20):
            f.write(b" " * 2**20)
        f.write(b" " * (size % 2**20))
    return path


def test_keras_file_limits_are_the_same_for_library_and_cli(tmp_path, capsys):
    deep = "[" * (limits.MAX_DEPTH + 1) + "]" * (limits.MAX_DEPTH + 1)
    files = {
        "big": _bomb_keras(tmp_path / "big.keras", limits.MAX_FILE_BYTES + 1),
        "deep": keras_zip(tmp_path / "deep.keras", deep),
        "very-deep": keras_zip(tmp_path / "very-deep.keras", "[" * 100_000 + "]" * 100_000),
        "not-zip": tmp_path / "not-zip.keras",
        "no-optimizer": keras_zip(tmp_path / "no-optimizer.keras", {"config": {"layers": []}}),
        "named": keras_zip(tmp_path / "named.keras", {"compile_config": {"optimizer": "adam"}}),
    }
    files["not-zip"].write_bytes(b"PK\x03\x04" + bytes(50))
    words = {
        "big": f"config.json is {limits.MAX_FILE_BYTES + 1} bytes; at most {limits.MAX_FILE_BYTES}",
        "deep": f"more than {limits.MAX_DEPTH} levels deep",
        "very-deep": f"not valid JSON: it nests more than {limits.MAX_DEPTH} levels deep",
        "not-zip": "not a .keras file (not a zip archive)",
        "no-optimizer": "saved without an optimizer",
        "named": "named, not configured",
    }
    for kind, path in files.items():
        with pytest.raises(ValueError) as info:
            lk.read_keras_file(path)
        assert words[kind] in str(info.value), kind
        assert cli_error(capsys, "inspect", str(path)) == str(info.value), kind


def _billion_laughs() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in zip("abcd", "bcde", strict=True)
    ]
    return "\n".join(lines) + "\n"


def test_model_garden_file_limits_are_the_same_for_library_and_cli(tmp_path, capsys):
    require("yaml")
    depth = limits.MAX_DEPTH + 1
    files = {
        "bomb.yaml": (_billion_laughs(), f"more than {limits.MAX_YAML_NODES} values"),
        "deep.yaml": (
            "x: " + "[" * depth + "]" * depth + "\n",
            f"more than {limits.MAX_DEPTH} levels",
        ),
        "deep.json": ("[" * depth + "]" * depth, f"more than {limits.MAX_DEPTH} levels deep"),
        "cycle.yaml": ("&x [*x]\n", "recursive alias"),
        # a million "[": refused as the scanner reaches the limit, not after reading ahead
        "brackets.yaml": ("x: " + "[" * 10**6, f"more than {limits.MAX_DEPTH} levels deep"),
        "latin1.yaml": (b"learning_rate: \xff", "not a text file (not UTF-8"),
    }
    for name, (content, words) in files.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        with pytest.raises(ValueError) as info:
            lrkit.from_model_garden(path)
        assert words in str(info.value) and str(path) in str(info.value), name
        assert cli_error(capsys, "inspect", str(path)) == str(info.value), name


def test_a_file_too_large_is_refused_unread_by_every_entry_point(tmp_path, capsys):
    path = tmp_path / "huge.yaml"
    with open(path, "w") as f:
        f.write("learning_rate: {type: constant}\n")
        f.write(("#" * 1023 + "\n") * (limits.MAX_FILE_BYTES // 1024))
    message = f"{path} is larger than {limits.MAX_FILE_BYTES} bytes; it is not read."
    with pytest.raises(ValueError) as info:
        lrkit.from_model_garden(path)
    assert str(info.value) == message
    assert cli_error(capsys, "inspect", str(path)) == message
    with pytest.raises(ValueError) as info:
        formats.read(str(path))
    assert str(info.value) == message


def test_aliases_within_the_budget_are_read_by_every_entry_point(tmp_path):
    require("yaml")
    path = tmp_path / "c.yaml"
    path.write_text(
        "learning_rate:\n  type: cosine\n  cosine: &cos {initial_learning_rate: 0.1, "
        "decay_steps: 100}\nwarmup: {type: linear, linear: {warmup_steps: 10}}\n"
        "ema: {a: *cos, b: *cos}\n"
    )
    assert lrkit.from_model_garden(path) == formats.read(str(path)).schedule
    # and YAML 1.2 floats (1e-4), as Model Garden's loader reads them, both ways
    path.write_text("learning_rate: {type: constant, constant: {learning_rate: 1e-4}}\n")
    assert lrkit.from_model_garden(path) == formats.read(str(path)).schedule
    assert lrkit.from_model_garden(path)(0) == 1e-4
