"""lrkit.keras.ScheduleParams: weight decay and beta_1 scheduled inside model.fit on
the TensorFlow (in this process), JAX and PyTorch backends (subprocesses: KERAS_BACKEND is
fixed when Keras is imported). This file is also their script:
``python test_params_keras.py BACKEND OUT_DIR``.

Each run trains a small model with ``model.fit`` (compiled: tf.function, jax.jit) and
compares its weights with the same Keras optimizer stepped eagerly, its hyperparameters set
by hand before each step to the float32 rounding of the schedules' values; then saves,
reloads and resumes.
"""

import json
import os
import sys

import pytest

from conftest import require
from keras_backends import run_per_backend

BACKENDS = ("jax", "torch")
STEPS = 12  # 3 epochs of 4 batches


def _schedules():
    import lrkit

    return {
        # relative: the configured weight_decay (0.1) times 0 .. 5
        "weight_decay": lrkit.Linear(0.0, 5.0, STEPS),
        "beta_1": lrkit.Cyclic(0.01, 0.1, step_size_up=3).momentum(0.8, 0.95),
    }


def _scenario(out_dir: str) -> dict:
    import keras
    import numpy as np

    import lrkit.keras.params

    schedules = _schedules()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x @ np.float32([[1.0], [-2.0], [0.5]])).astype("float32")

    def model():
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])

    def inner():
        return keras.optimizers.AdamW(0.05, weight_decay=0.1)

    def scheduled():
        m = model()
        opt = lrkit.keras.ScheduleParams(inner(), schedules, mode={"weight_decay": "relative"})
        # XLA on TensorFlow (CPU's "auto" would not), jax.jit on JAX
        m.compile(optimizer=opt, loss="mse", jit_compile=keras.backend.backend() != "torch")
        return m

    def weights(m):
        return [np.asarray(keras.ops.convert_to_numpy(w)).tolist() for w in m.weights]

    def fit(m, **kw):
        m.fit(x, y, batch_size=4, shuffle=False, verbose=0, **kw)

    m = scheduled()
    fit(m, epochs=3)
    opt = m.optimizer
    full = weights(m)
    # the exact values, each cast to float32, at steps as tensors
    values = {
        k: [
            float(keras.ops.convert_to_numpy(opt.values(keras.ops.convert_to_tensor(t))[k]))
            for t in range(STEPS)
        ]
        for k in schedules
    }
    # by hand: the same optimizer eagerly, its hyperparameters set before each step
    ref = model()
    by_hand = inner()
    ref.compile(optimizer=by_hand, loss="mse", run_eagerly=True)
    for t in range(STEPS):
        by_hand.weight_decay = float(np.float32(0.1 * schedules["weight_decay"](t)))
        by_hand.beta_1 = float(np.float32(schedules["beta_1"](t)))
        ref.train_on_batch(x[4 * (t % 4) : 4 * (t % 4) + 4], y[4 * (t % 4) : 4 * (t % 4) + 4])
    # and without the schedules, to see that they matter
    plain = model()
    plain.compile(optimizer=inner(), loss="mse")
    fit(plain, epochs=3)

    # save after 2 epochs, load, resume
    m2 = scheduled()
    fit(m2, epochs=2)
    path = os.path.join(out_dir, "model.keras")
    m2.save(path)
    loaded = keras.saving.load_model(path)
    fit(loaded, initial_epoch=2, epochs=3)
    return {
        "backend": keras.backend.backend(),
        "jit": bool(m.jit_compile),
        "iterations": int(keras.ops.convert_to_numpy(opt.iterations)),
        "configured_after": [opt.inner_optimizer.weight_decay, opt.inner_optimizer.beta_1],
        "values": values,
        "full": full,
        "by_hand": weights(ref),
        "plain": weights(plain),
        "resumed": weights(loaded),
        "loaded_class": type(loaded.optimizer).__name__,
        "loaded_schedules": {k: repr(s) for k, s in loaded.optimizer.schedules.items()},
        "loaded_modes": loaded.optimizer.modes,
        "loaded_iterations": int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)),
    }


def _check(out: dict, backend: str) -> None:
    np = require("numpy")
    schedules = _schedules()
    assert out["backend"] == backend
    assert out["jit"] == (backend != "torch")  # compiled by XLA (TF) and jax.jit
    assert out["iterations"] == STEPS
    # the configured values are back after every update (and are what is saved)
    assert out["configured_after"] == [0.1, 0.9]
    # inside the step: the float32 rounding of lrkit's exact value (float64 on TensorFlow
    # and PyTorch; JAX without x64 has no float64 and computes in float32: a few ulps)
    exact = {
        "weight_decay": [
            np.float32(np.float32(schedules["weight_decay"](t)) * np.float32(0.1))
            for t in range(STEPS)
        ],
        "beta_1": [np.float32(schedules["beta_1"](t)) for t in range(STEPS)],
    }
    for key, want in exact.items():
        if backend == "jax":
            np.testing.assert_allclose(out["values"][key], want, rtol=3e-7, atol=0)
        else:
            assert out["values"][key] == [float(v) for v in want]
    for a, b in zip(out["full"], out["by_hand"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    gap = max(
        float(np.max(np.abs(np.subtract(a, b))))
        for a, b in zip(out["full"], out["plain"], strict=True)
    )
    assert gap > 1e-3  # without the schedules, other weights
    assert out["resumed"] == out["full"]  # resumed from a reloaded model, exactly
    assert out["loaded_class"] == "ScheduleParams" and out["loaded_iterations"] == STEPS
    assert out["loaded_schedules"] == {k: repr(s) for k, s in schedules.items()}
    assert out["loaded_modes"] == {"beta_1": "absolute", "weight_decay": "relative"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    require("keras")
    require("jax")
    require("torch")
    tmp = tmp_path_factory.mktemp("keras_params")
    for backend in BACKENDS:
        (tmp / backend).mkdir()
    texts = run_per_backend(
        BACKENDS, lambda b: [sys.executable, __file__, b, str(tmp / b)], timeout=300
    )
    return {b: json.loads(text.strip().splitlines()[-1]) for b, text in texts.items()}


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_schedules_weight_decay_and_beta_1(runs, backend):
    _check(runs[backend], backend)


def test_fit_schedules_weight_decay_and_beta_1_tensorflow(tmp_path):
    keras = require("keras")
    require("tensorflow")
    assert keras.backend.backend() == "tensorflow"
    _check(_scenario(str(tmp_path)), "tensorflow")


def test_bad_arguments_are_clear_at_construction():
    keras = require("keras")
    import lrkit
    import lrkit.keras.params

    SP = lrkit.keras.ScheduleParams
    s = lrkit.Constant(0.5)
    adam = keras.optimizers.Adam(1e-3)
    with pytest.raises(ValueError, match=r"schedules\['momentum'\].*\(Adam\) does not have"):
        SP(adam, {"momentum": s})
    with pytest.raises(TypeError, match=r"'amsgrad'.*False, not a number"):
        SP(adam, {"amsgrad": s})
    with pytest.raises(ValueError, match=r"to_keras"):
        SP(adam, {"learning_rate": s})
    with pytest.raises(TypeError, match=r"must be an lrkit schedule"):
        SP(adam, {"beta_1": lambda step: 0.9})
    with pytest.raises(TypeError, match="non-empty dict"):
        SP(adam, {})
    with pytest.raises(TypeError, match="Keras 3 optimizer"):
        SP(object(), {"beta_1": s})
    with pytest.raises(ValueError, match=r"weight_decay is None"):
        SP(keras.optimizers.SGD(0.1), {"weight_decay": s}, mode="relative")
    with pytest.raises(ValueError, match=r"mode\['beta_1'\]"):
        SP(adam, {"beta_1": s}, mode={"beta_1": "linear"})
    # weight_decay=None can be scheduled absolutely: the schedule gives it
    sgd = keras.optimizers.SGD(0.1)
    opt = SP(sgd, {"weight_decay": s})
    assert opt.schedules == {"weight_decay": s} and sgd.weight_decay is None


if __name__ == "__main__":
    backend, out_dir = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    print(json.dumps(_scenario(out_dir)))
