"""``from lrkit.keras import schedules``: Keras's schedule classes, computed by lrkit.

* Keras's own schedule test file (installed with Keras) runs with only its import of
  ``schedules`` changed to ``lrkit.keras.schedules``, on the TensorFlow, JAX and
  PyTorch backends (one subprocess each: KERAS_BACKEND is fixed at import).
* In this process (TensorFlow): Keras's signatures, configs and attributes; lrkit's
  values where Keras slips; Keras's serialization and ``.keras`` files; an lrkit
  schedule given to an optimizer as it is; lrkit schedules on TensorFlow tensors
  and ``keras.Variable`` steps (eager, ``tf.function``, XLA).
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import pathlib
import pickle
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import lrkit
from conftest import require
from keras_backends import run_per_backend

BACKENDS = ("tensorflow", "jax", "torch")
KERAS_TEST = "src/optimizers/schedules/learning_rate_schedule_test.py"
KERAS_IMPORT = "from keras.src.optimizers import schedules\n"
DROPIN_IMPORT = "from lrkit.keras import schedules\n"
#: Keras tests that assert a value lrkit computes differently because Keras is wrong
#: (docs/differences.md): none of Keras's own tests does.
EXPECTED_TO_DIFFER: dict[str, str] = {}


def _keras():
    require("tensorflow")
    keras = require("keras")
    if keras.backend.backend() != "tensorflow":  # conftest makes it TensorFlow by default
        pytest.skip(f"runs on the TensorFlow backend; KERAS_BACKEND={keras.backend.backend()}")
    from lrkit.keras import schedules

    return keras, schedules


# -- Keras's own tests ---------------------------------------------------------------------
def _keras_test_file() -> pathlib.Path:
    spec = importlib.util.find_spec("keras")
    if spec is None or spec.origin is None:
        require("keras")  # skips, or fails under LRKIT_REQUIRE_FRAMEWORKS
        raise AssertionError("keras has no location")
    return pathlib.Path(spec.origin).parent / KERAS_TEST


def _keras_test_names(source: str) -> set[str]:
    """``Class::test_name`` of every test in Keras's file, read from its source."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name.startswith("test"):
                    names.add(f"{node.name}::{item.name}")
    return names


@pytest.fixture(scope="module")
def keras_runs(tmp_path_factory):
    require("keras")
    require("tensorflow")
    require("jax")
    require("torch")
    source = _keras_test_file().read_text()
    assert source.count(KERAS_IMPORT) == 1, "Keras's test file no longer imports schedules so"
    rewritten = source.replace(KERAS_IMPORT, DROPIN_IMPORT)
    assert rewritten.count("schedules.") == source.count("schedules.")
    tmp = tmp_path_factory.mktemp("keras_schedule_tests")
    (tmp / "test_keras_schedules.py").write_text(rewritten)
    (tmp / "pytest.ini").write_text("[pytest]\nmarkers =\n    requires_trainable_backend\n")
    src = str(pathlib.Path(lrkit.__file__).resolve().parents[1])
    texts = run_per_backend(
        BACKENDS,
        lambda backend: [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(tmp / "pytest.ini"),
            "--rootdir",
            str(tmp),
            f"--junitxml={tmp / f'{backend}.xml'}",
            str(tmp / "test_keras_schedules.py"),
        ],
        timeout=300,
        env={"PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])},
        cwd=tmp,
        check=False,  # Keras's failing tests, if any, are told apart below
    )
    results = {}
    for backend, text in texts.items():
        outcomes = {}
        for case in ET.parse(tmp / f"{backend}.xml").getroot().iter("testcase"):
            name = f"{case.get('classname', '').rpartition('.')[2]}::{case.get('name')}"
            failed = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
            outcomes[name] = failed[0] if failed else "passed"
        results[backend] = (outcomes, text)
    return _keras_test_names(source), results


@pytest.mark.parametrize("backend", BACKENDS)
def test_keras_schedule_tests_pass_with_the_import_changed(keras_runs, backend):
    names, results = keras_runs
    outcomes, text = results[backend]
    assert set(outcomes) == names, text  # every one of Keras's tests ran
    failed = {n: o for n, o in outcomes.items() if o != "passed"}
    assert set(failed) == set(EXPECTED_TO_DIFFER), text
    assert len(names) >= 30  # (the file as installed: 35 tests)


# -- the classes -----------------------------------------------------------------------------
CONFIGS = [
    ("ExponentialDecay", (0.1, 1000, 0.96), {"staircase": True, "name": "ed"}),
    ("PiecewiseConstantDecay", ([10, 20], [1.0, 0.5, 0.1]), {}),
    ("PolynomialDecay", (1.0, 100), {"end_learning_rate": 0.0, "power": 2.0, "cycle": True}),
    ("InverseTimeDecay", (0.1, 10, 0.5), {}),
    ("CosineDecay", (0.0, 100), {"alpha": 0.1, "warmup_target": 1.0, "warmup_steps": 10}),
    ("CosineDecayRestarts", (1.0, 10), {"t_mul": 2.0, "m_mul": 0.5, "alpha": 0.01}),
]
IDS = [c[0] for c in CONFIGS]


@pytest.mark.parametrize(("name", "args", "kwargs"), CONFIGS, ids=IDS)
def test_keras_names_arguments_configs_and_attributes(name, args, kwargs):
    keras, schedules = _keras()
    theirs_cls = getattr(keras.optimizers.schedules, name)
    ours_cls = getattr(schedules, name)
    assert issubclass(ours_cls, keras.optimizers.schedules.LearningRateSchedule)
    assert schedules.LearningRateSchedule is keras.optimizers.schedules.LearningRateSchedule

    def params(cls):
        return [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]

    assert params(ours_cls) == params(theirs_cls)
    theirs, ours = theirs_cls(*args, **kwargs), ours_cls(*args, **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert ours.schedule == getattr(lrkit, name)(*args, **kwargs)
    for attr, value in vars(theirs).items():  # Keras's attributes, read-only
        got = getattr(ours, attr)
        assert (list(got) if isinstance(got, tuple) else got) == value
        with pytest.raises(AttributeError, match="immutable"):
            setattr(ours, attr, value)
    assert repr(ours) == repr(ours.schedule)
    assert ours == ours_cls.from_config(theirs.get_config())
    assert hash(ours) == hash(ours_cls.from_config(ours.get_config()))
    assert pickle.loads(pickle.dumps(ours)) == ours


@pytest.mark.parametrize(("name", "args", "kwargs"), CONFIGS, ids=IDS)
def test_values_are_lrkits(name, args, kwargs):
    np = require("numpy")
    tf = require("tensorflow")
    keras, schedules = _keras()
    ours = getattr(schedules, name)(*args, **kwargs)
    s = ours.schedule
    steps = [0, 1, 5, 9, 10, 11, 20, 21, 99, 100, 101, 1000, 12345]
    for t in steps:
        assert ours(t) == s(t)  # Python numbers: lrkit's float64
        assert type(ours(t)) is float
    want = np.float32([s(t) for t in steps])
    variable = keras.Variable(0, dtype="int64")  # as optimizer.iterations
    for i, t in enumerate(steps):
        variable.assign(t)
        got = ours(variable)
        assert got.dtype == tf.float32
        np.testing.assert_array_max_ulp(np.float32(got), want[i], maxulp=1)
    for fn in (ours, tf.function(ours), tf.function(ours, jit_compile=True)):
        got = fn(tf.constant(steps, tf.int64)).numpy()
        assert got.dtype == np.float32
        np.testing.assert_array_max_ulp(got, want, maxulp=1)


HARD = [
    ("ExponentialDecay", (1.0, 16777217, 0.5), {"staircase": True}, [16777216]),
    ("CosineDecayRestarts", (1.0, 10), {"t_mul": 2.0, "m_mul": 0.5}, [81910, 327670]),
    ("ExponentialDecay", (1, 10, 0.5), {}, [5]),  # integer hyperparameters
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "steps"), HARD, ids=["staircase", "restarts", "int"]
)
def test_lrkits_values_where_keras_slips(name, args, kwargs, steps):
    np = require("numpy")
    tf = require("tensorflow")
    keras, schedules = _keras()
    theirs = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    ours = getattr(schedules, name)(*args, **kwargs)
    step = keras.Variable(0, dtype="int64")
    for t in steps:
        step.assign(t)
        exact = np.float32(ours.schedule(t))
        assert float(theirs(step)) != exact  # Keras's float32 slip (docs/differences.md)
        assert float(ours(step)) == exact
        xla = tf.function(ours, jit_compile=True)(tf.constant([t], tf.int64)).numpy()
        assert xla[0] == exact


def test_bad_arguments_fail_at_construction_in_keras_words():
    keras, schedules = _keras()
    for name, args in [
        ("CosineDecay", (0.1, 0)),
        ("ExponentialDecay", (0.1, 0, 0.5)),
        ("PolynomialDecay", (0.1, -1)),
        ("InverseTimeDecay", (0.1, 0, 0.5)),
        ("CosineDecayRestarts", (0.1, 0)),
    ]:
        with pytest.raises(ValueError) as theirs:
            getattr(keras.optimizers.schedules, name)(*args)
        with pytest.raises(ValueError) as ours:
            getattr(schedules, name)(*args)
        assert str(ours.value).rstrip(".") == str(theirs.value).rstrip(".")
    with pytest.raises(ValueError, match="length of boundaries should be 1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match="Argument `decay_rate` must be >= 0"):
        schedules.ExponentialDecay(0.1, 10, -0.5)  # accepted by Keras (docs/differences.md)


# -- serialization and files ---------------------------------------------------------------
@pytest.mark.parametrize(("name", "args", "kwargs"), CONFIGS, ids=IDS)
def test_keras_serialization_round_trips(name, args, kwargs):
    keras, schedules = _keras()
    ours = getattr(schedules, name)(*args, **kwargs)
    form = keras.saving.serialize_keras_object(ours)
    assert form == {
        "module": "lrkit.keras.schedules",
        "class_name": name,
        "config": ours.get_config(),
        "registered_name": f"lrkit>{name}",
    }
    assert keras.optimizers.schedules.serialize(ours) == form == schedules.serialize(ours)
    text = json.loads(json.dumps(form))
    for load in (
        keras.saving.deserialize_keras_object,
        keras.optimizers.schedules.deserialize,
        schedules.deserialize,
    ):
        back = load(text)
        assert type(back) is type(ours) and back == ours
    # Keras's own forms (Keras 3, tf.keras 2, with name=None) give lrkit's class
    theirs = getattr(keras.optimizers.schedules, name)(*args, **kwargs)
    native = keras.optimizers.schedules.serialize(theirs)
    assert schedules.deserialize(native) == ours
    legacy = {"class_name": name, "config": {**theirs.get_config(), "name": None}}
    back = schedules.deserialize(legacy)
    assert type(back) is type(ours) and back.schedule == ours.schedule.from_config(
        {**ours.get_config(), "name": None}
    )
    assert lrkit.deserialize(form) == ours.schedule  # lrkit reads the form too
    import lrkit.keras as lk

    assert lk.from_keras(ours) is ours.schedule
    assert lk.from_keras(form) == ours.schedule
    assert type(lk.to_keras(ours, native=True)) is type(theirs)
    assert lk.to_keras(ours) is ours


def _probe(keras, learning_rate):
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mae")
    return model


def test_keras_file_round_trips_and_needs_lrkit(tmp_path):
    np = require("numpy")
    keras, schedules = _keras()
    import lrkit.keras as lk

    lr = schedules.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    model = _probe(keras, lr)
    x, y = np.ones((8, 1), np.float32), np.full((8, 1), 1000.0, np.float32)
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "dropin.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.optimizer._learning_rate) is schedules.CosineDecayRestarts
    assert loaded.optimizer._learning_rate == lr
    assert int(loaded.optimizer.iterations.numpy()) == 4
    assert lk.read_keras_file(path) == lr.schedule
    assert lk.custom_objects()["lrkit>CosineDecayRestarts"] is schedules.CosineDecayRestarts
    portable = str(tmp_path / "portable.keras")
    _probe(keras, lk.to_keras(lr, native=True)).save(portable)
    # another process: Keras alone cannot load the file; with lrkit.keras imported it can;
    # the portable file loads without lrkit
    code = (
        "import os, sys; os.environ['KERAS_BACKEND'] = 'numpy'\n"
        "import keras\n"
        f"print(type(keras.saving.load_model({portable!r}).optimizer._learning_rate).__module__)\n"
        f"try:\n    keras.saving.load_model({path!r})\n"
        "except TypeError as e:\n    print('TypeError', 'Could not locate class' in str(e))\n"
        "print(any(m.split('.')[0] == 'lrkit' for m in sys.modules))\n"
        "import lrkit.keras\n"
        f"print(repr(keras.saving.load_model({path!r}).optimizer._learning_rate))\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "keras.src.optimizers.schedules.learning_rate_schedule",
        "TypeError True",
        "False",
        repr(lr),
    ]


# -- an lrkit schedule given to a Keras optimizer as it is -------------------------------------
def test_a_bare_lrkit_schedule_fails_at_first_use_naming_the_fix():
    np = require("numpy")
    keras, _ = _keras()
    s = lrkit.CosineDecay(0.1, 100)
    fix = r"lrkit\.keras\.to_keras\(schedule\)`, or .*`from lrkit\.keras import schedules`"
    optimizer = keras.optimizers.SGD(s)  # Keras takes it for a function of no arguments
    with pytest.raises(TypeError, match=fix):
        _ = optimizer.learning_rate
    model = _probe(keras, s)
    x, y = np.ones((4, 1), np.float32), np.ones((4, 1), np.float32)
    with pytest.raises(TypeError, match=fix):
        model.fit(x, y, verbose=0)
    with pytest.raises(TypeError, match="step of type NoneType"):
        s(None)


# -- lrkit schedules on TensorFlow and Keras steps ---------------------------------------------
MANY = [
    lrkit.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    lrkit.ExponentialDecay(0.1, 250.5, 0.5),
    lrkit.PiecewiseConstantDecay([10, 20.5, 16777217], [1.0, 0.5, 0.1, 0.01]),
    lrkit.PolynomialDecay(1.0, 100, 0.0, power=2.0, cycle=True),
    lrkit.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
    lrkit.CosineDecay(0.0, 100, alpha=0.1, warmup_target=1.0, warmup_steps=10),
    lrkit.CosineDecayRestarts(1.0, 10, t_mul=1.5, m_mul=0.5),
    lrkit.CosineDecayRestarts(0.1, 10, t_mul=0.5, alpha=0.05),
    lrkit.Warmup(lrkit.CosineDecay(0.1, 20), 5),
    lrkit.Join([lrkit.Constant(0.5), lrkit.ExponentialDecay(0.5, 3, 0.5)], [6]),
    lrkit.Clamp(lrkit.ExponentialDecay(1.0, 1, 0.5), min_value=0.1)
    + 0.5 * lrkit.Offset(lrkit.CosineDecay(1.0, 50), 20),
    lrkit.Constant(0.01),
    lrkit.WarmupStableDecay(1e-3, total_steps=900, decay_fraction=0.2),
    lrkit.OneCycle(0.1, 1000),
]
STEPS = [0, 1, 2, 5, 6, 9, 10, 11, 20, 21, 25, 47, 48, 99, 100, 101, 719, 720, 900, 1000, 10**6]


@pytest.mark.parametrize("s", MANY, ids=lambda s: type(s).__name__)
def test_lrkit_schedules_take_tensorflow_tensors_and_keras_variables(s):
    np = require("numpy")
    tf = require("tensorflow")
    keras, _ = _keras()
    want = np.asarray([s(t) for t in STEPS])
    steps = tf.constant(STEPS, tf.int64)
    for fn in (s, tf.function(s), tf.function(s, jit_compile=True)):
        got = fn(steps)
        assert isinstance(got, tf.Tensor) and got.dtype == tf.float64  # as NumPy: float64
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-300)
    f32 = s(tf.constant(STEPS, tf.float32))
    assert f32.dtype == tf.float32
    np.testing.assert_allclose(f32.numpy(), want.astype(np.float32), rtol=1e-5, atol=1e-7)
    for t in (0, 21, 1000):
        got = s(keras.Variable(t))  # on TensorFlow: a TensorFlow value
        assert float(got) == pytest.approx(s(t), rel=1e-12)
        assert float(s(tf.Variable(t))) == pytest.approx(s(t), rel=1e-12)
    assert float(s(tf.constant(-5))) == s(0)  # not inspected: a negative step counts as 0


def test_the_listed_differences_from_keras():
    keras, schedules = _keras()
    theirs = keras.optimizers.schedules.ExponentialDecay(1.0, 10, 0.5)
    ours = schedules.ExponentialDecay(1.0, 10, 0.5)
    below = keras.Variable(-10)
    assert float(theirs(below)) == 2.0  # Keras computes a negative step
    assert float(ours(below)) == 1.0  # lrkit counts it as step 0
    assert not isinstance(theirs(5), float)  # Keras: a tensor
    assert ours(5) == 0.7071067811865476  # lrkit: the float64 value, 2 ** -0.5
    assert ours(5) == 2**-0.5
