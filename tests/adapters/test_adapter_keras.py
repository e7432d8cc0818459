"""lrkit.keras on the TensorFlow backend (in this process): to_keras, from_keras, model.fit
in graph mode and under XLA, .keras files, resume; read_keras_file without Keras.

The JAX and PyTorch backends run in subprocesses: test_adapter_keras_backends.py.
"""

import json
import os
import subprocess
import sys
import zipfile

import pytest

import lrkit
from conftest import require

COMPOSED = [
    lrkit.Warmup(lrkit.CosineDecay(0.1, 20), 5),
    lrkit.Join([lrkit.Constant(0.5), lrkit.ExponentialDecay(0.5, 3, 0.5)], [6], name="join"),
    lrkit.Clamp(lrkit.ExponentialDecay(1.0, 1, 0.5), min_value=0.1)
    + 0.5 * lrkit.Offset(lrkit.CosineDecay(1.0, 50), 20),
    lrkit.Constant(0.01),
]
NATIVE = [
    lrkit.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
    lrkit.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
    lrkit.PolynomialDecay(1.0, 100, 0.0, power=2.0, cycle=True),
    lrkit.InverseTimeDecay(0.1, 10, 0.5),
    lrkit.CosineDecay(0.0, 100, alpha=0.1, warmup_target=1.0, warmup_steps=10),
    lrkit.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5),
]
# where Keras's float32 formulas slip, lrkit's do not (docs/differences.md)
HARD = [
    (lrkit.ExponentialDecay(1.0, 16777217, 0.5, staircase=True), [16777216, 16777217]),
    (lrkit.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5), [81909, 81910, 327670]),
    (lrkit.CosineDecayRestarts(1.0, 10, t_mul=1.5, m_mul=0.5), [0, 10, 25, 47, 48, 1000]),
    (lrkit.PiecewiseConstantDecay([16777217], [1.0, 0.5]), [16777217, 16777218]),
]
STEPS = [0, 1, 2, 4, 5, 6, 9, 10, 11, 19, 20, 21, 25, 29, 30, 31, 50, 99, 100, 101, 1000, 10**6]


def _keras():
    require("tensorflow")
    keras = require("keras")
    if keras.backend.backend() != "tensorflow":  # conftest makes it TensorFlow by default
        pytest.skip(f"runs on the TensorFlow backend; KERAS_BACKEND={keras.backend.backend()}")
    import lrkit.keras

    return keras, lrkit.keras


def _f32(values):
    np = require("numpy")
    return np.asarray(values, dtype=np.float64).astype(np.float32)


# -- to_keras / from_keras -------------------------------------------------------------
@pytest.mark.parametrize("s", NATIVE, ids=lambda s: type(s).__name__)
def test_native_where_keras_has_the_class(s):
    keras, lk = _keras()
    k = lk.to_keras(s, native=True)
    assert type(k) is getattr(keras.optimizers.schedules, type(s).__name__)
    assert k.get_config() == s.get_config()
    assert lk.from_keras(k) == s
    np = require("numpy")
    for t in (0, 5, 10, 15, 25, 99):  # Keras computes it, in float32
        assert float(np.asarray(k(t))) == pytest.approx(s(t), rel=2e-6, abs=1e-7)
    assert type(lk.to_keras(s, native=False)).__name__ == "KerasSchedule"
    assert type(lk.to_keras(s)) is lk.KerasSchedule  # exact by default


@pytest.mark.parametrize("s", COMPOSED + NATIVE, ids=lambda s: type(s).__name__)
def test_keras_schedule_round_trips_through_keras_serialization(s):
    keras, lk = _keras()
    k = lk.to_keras(s, native=False)
    assert isinstance(k, keras.optimizers.schedules.LearningRateSchedule)
    assert isinstance(k, lk.KerasSchedule) and k.schedule is s
    form = keras.optimizers.schedules.serialize(k)
    assert form["registered_name"] == "lrkit>KerasSchedule"
    assert form["config"] == {"schedule": lrkit.serialize(s)}
    back = keras.optimizers.schedules.deserialize(json.loads(json.dumps(form)))
    assert back == k and back.schedule == s
    assert lk.from_keras(k) is s
    assert lk.from_keras(form) == s
    assert lk.to_keras(k) is k  # already a Keras schedule


def test_to_keras_and_from_keras_refuse_what_they_cannot_convert():
    keras, lk = _keras()
    with pytest.raises(TypeError, match="lrkit schedule"):
        lk.to_keras(lambda step: 0.1)
    with pytest.raises(TypeError, match="native=1"):
        lk.to_keras(NATIVE[0], native=1)
    with pytest.raises(TypeError, match="schedule"):
        lk.KerasSchedule(0.1)

    class Mine(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.1

        def get_config(self):
            return {}

    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'Mine'"):
        lk.from_keras(Mine())
    with pytest.raises(TypeError, match="from_keras takes"):
        lk.from_keras(object())


def test_from_keras_reads_optimizers_constants_and_tf_keras_2():
    keras, lk = _keras()
    s = NATIVE[4]
    assert lk.from_keras(keras.optimizers.Adam(learning_rate=lk.to_keras(s, native=True))) == s
    assert lk.from_keras(keras.optimizers.SGD(learning_rate=0.25)) == lrkit.Constant(0.25)
    lso = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(lk.to_keras(COMPOSED[0])))
    assert lk.from_keras(lso) == COMPOSED[0]
    assert lk.from_keras(0.5) == lrkit.Constant(0.5)
    tf_keras = require("tf_keras")
    old = tf_keras.optimizers.schedules.PolynomialDecay(0.1, 100, 0.01, power=0.5)
    assert lk.from_keras(old) == lrkit.PolynomialDecay(0.1, 100, 0.01, power=0.5)


# -- the TensorFlow computation ----------------------------------------------------------
@pytest.mark.parametrize("s", COMPOSED + NATIVE, ids=lambda s: type(s).__name__)
def test_tensorflow_eager_graph_and_xla_give_lrkits_values(s):
    tf = require("tensorflow")
    np = require("numpy")
    keras, lk = _keras()
    k = lk.to_keras(s, native=False)
    steps = np.asarray(STEPS, np.int64)
    want = _f32([s(int(t)) for t in steps])
    eager = np.asarray(k(tf.constant(steps)))
    graph = tf.function(k)(tf.constant(steps)).numpy()
    xla = tf.function(k, jit_compile=True)(tf.constant(steps)).numpy()
    step_variable = keras.Variable(7, dtype="int64")  # as optimizer.iterations
    for got in (eager, graph, xla):
        assert got.dtype == np.float32
        np.testing.assert_array_max_ulp(got, want, maxulp=1)
    assert float(k(step_variable)) == pytest.approx(s(7), rel=1e-7)


@pytest.mark.parametrize(
    ("s", "steps"), HARD, ids=["staircase", "restarts", "restarts-t_mul-1.5", "piecewise"]
)
def test_tensorflow_keeps_lrkits_exactness_where_keras_slips(s, steps):
    tf = require("tensorflow")
    np = require("numpy")
    _, lk = _keras()
    k = lk.to_keras(s, native=False)
    got = tf.function(k, jit_compile=True)(tf.constant(steps, tf.int64)).numpy()
    np.testing.assert_array_max_ulp(got, _f32([s(t) for t in steps]), maxulp=1)


# -- model.fit ---------------------------------------------------------------------------
def _probe(keras, learning_rate, jit_compile="auto"):
    """A model whose weight grows by exactly the learning rate at every step (SGD on MAE
    with a target far above), so the weights show the rate the compiled step used."""
    model = keras.Sequential(
        [
            keras.Input((1,)),
            keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate), loss="mae", jit_compile=jit_compile
    )
    return model


def _data():
    np = require("numpy")
    return np.ones((16, 1), np.float32), np.full((16, 1), 1000.0, np.float32)


def _recorder(keras, out):
    np = require("numpy")

    class Recorder(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            opt = self.model.optimizer
            out.append(
                (
                    int(opt.iterations.numpy()),
                    float(np.asarray(keras.ops.convert_to_numpy(opt.learning_rate))),
                )
            )

        def on_train_batch_end(self, batch, logs=None):
            out.append(float(self.model.layers[0].kernel.numpy()[0, 0]))

    return Recorder()


def _replay(rates):
    np = require("numpy")
    w, out = np.float32(0), []
    for r in rates:
        w = np.float32(w + np.float32(r))
        out.append(float(w))
    return out


@pytest.mark.parametrize("jit_compile", [True, False], ids=["xla", "graph"])
def test_model_fit_uses_the_schedule_in_the_compiled_step(jit_compile):
    keras, lk = _keras()
    s = COMPOSED[0]
    model = _probe(keras, lk.to_keras(s), jit_compile)
    seen = []
    model.fit(
        *_data(),
        batch_size=4,
        epochs=3,
        shuffle=False,
        verbose=0,
        callbacks=[_recorder(keras, seen)],
    )
    weights = [v for v in seen if isinstance(v, float)]
    assert weights == _replay(_f32([s(t) for t in range(12)]))  # bit for bit
    assert [v for v in seen if isinstance(v, tuple)] == [(t, float(_f32(s(t)))) for t in range(12)]


def _fit_records(keras, model, **kwargs):
    seen = []
    callbacks = [*kwargs.pop("callbacks", []), _recorder(keras, seen)]
    model.fit(*_data(), batch_size=4, shuffle=False, verbose=0, callbacks=callbacks, **kwargs)
    return seen


@pytest.mark.parametrize("native", [False, True], ids=["adapter", "native"])
def test_backup_and_restore_resumes_bit_for_bit(tmp_path, native):
    keras, lk = _keras()
    s = COMPOSED[0] if not native else NATIVE[4]
    full = _fit_records(keras, _probe(keras, lk.to_keras(s, native=native)), epochs=4)

    class Crash(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("killed")

    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    head = []
    with pytest.raises(RuntimeError, match="killed"):
        model = _probe(keras, lk.to_keras(s, native=native))
        model.fit(
            *_data(),
            batch_size=4,
            shuffle=False,
            verbose=0,
            epochs=4,
            callbacks=[backup, _recorder(keras, head), Crash()],
        )
    fresh = _probe(keras, lk.to_keras(s, native=native))  # a new process would build this
    tail = _fit_records(
        keras,
        fresh,
        epochs=4,
        callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))],
    )
    assert head + tail == full
    assert len(full) == 32


def test_saved_and_reloaded_model_resumes_bit_for_bit(tmp_path):
    keras, lk = _keras()
    s = COMPOSED[1]
    full = _fit_records(keras, _probe(keras, lk.to_keras(s)), epochs=4)
    model = _probe(keras, lk.to_keras(s))
    head = _fit_records(keras, model, epochs=2)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.optimizer._learning_rate == lk.to_keras(s)
    tail = _fit_records(keras, loaded, initial_epoch=2, epochs=4)
    assert head + tail == full
    assert lk.read_keras_file(path) == s


# -- .keras files --------------------------------------------------------------------------
def _saved(tmp_path, keras, optimizer, name="m.keras"):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    if optimizer is not None:
        model.compile(optimizer=optimizer, loss="mse")
    path = tmp_path / name
    model.save(str(path))
    return path


def test_read_keras_file_reads_every_kind_of_learning_rate(tmp_path):
    keras, lk = _keras()
    cases = [
        (keras.optimizers.Adam(lk.to_keras(NATIVE[5], native=True)), NATIVE[5]),
        (keras.optimizers.SGD(lk.to_keras(COMPOSED[2])), COMPOSED[2]),
        (keras.optimizers.SGD(0.25), lrkit.Constant(0.25)),
        (
            keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(lk.to_keras(COMPOSED[0]))),
            COMPOSED[0],
        ),
        ("adam", lrkit.Constant(float(_f32(0.001)))),  # saved as Adam's float32 default
    ]
    for i, (optimizer, want) in enumerate(cases):
        assert lk.read_keras_file(_saved(tmp_path, keras, optimizer, f"{i}.keras")) == want


def test_read_keras_file_needs_no_keras(tmp_path):
    keras, lk = _keras()
    path = _saved(tmp_path, keras, keras.optimizers.SGD(lk.to_keras(COMPOSED[0])))
    code = (
        "import sys, lrkit.keras\n"
        f"s = lrkit.keras.read_keras_file({str(path)!r})\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('keras', 'tensorflow', 'jax', 'torch', 'numpy')]\n"
        "print(repr(s)); print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [repr(COMPOSED[0]), "[]"]


def test_read_keras_file_refuses_bad_files_safely(tmp_path, monkeypatch):
    keras, lk = _keras()
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(ValueError, match="not a zip"):
        lk.read_keras_file(tmp_path / "text.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as z:
        z.writestr("metadata.json", "{}")
    with pytest.raises(ValueError, match=r"no config\.json"):
        lk.read_keras_file(tmp_path / "empty.keras")
    with pytest.raises(ValueError, match="without an optimizer"):
        lk.read_keras_file(_saved(tmp_path, keras, None))
    big = _saved(tmp_path, keras, "sgd", "big.keras")
    with pytest.raises(ValueError, match="at most 100 are read"):
        lk.read_keras_file(big, max_bytes=100)

    def config_file(name, config):
        with zipfile.ZipFile(tmp_path / name, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("config.json", config)
        return tmp_path / name

    # a header that lies about the size: reading stops at max_bytes anyway
    bomb = config_file("bomb.keras", " " * 5000 + "{}")
    with zipfile.ZipFile(bomb) as z:
        assert z.getinfo("config.json").file_size == 5002
    with pytest.raises(ValueError, match="5002 bytes"):
        lk.read_keras_file(bomb, max_bytes=1000)
    with pytest.raises(ValueError, match="not valid JSON"):
        lk.read_keras_file(config_file("bad.keras", "{"))
    # a class named in the file is looked up in lrkit's registry, never imported
    imported = []
    monkeypatch.setattr("importlib.import_module", lambda *a, **k: imported.append(a))
    evil = {
        "compile_config": {
            "optimizer": {
                "class_name": "SGD",
                "config": {
                    "learning_rate": {
                        "module": "os",
                        "class_name": "system",
                        "config": {"command": "x"},
                    }
                },
            }
        }
    }
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'system'"):
        lk.read_keras_file(config_file("evil.keras", json.dumps(evil)))
    assert imported == []
    with pytest.raises(ValueError, match="max_bytes"):
        lk.read_keras_file(big, max_bytes=0)
    with pytest.raises(FileNotFoundError):
        lk.read_keras_file(tmp_path / "missing.keras")


def test_keras_schedule_registers_when_keras_comes_first():
    require("keras")
    code = (
        "import os; os.environ['KERAS_BACKEND'] = 'numpy'\n"
        "import keras, lrkit.keras\n"
        "from keras.src.saving import object_registration as r\n"
        "print('lrkit>KerasSchedule' in r.GLOBAL_CUSTOM_OBJECTS)\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["True"]
