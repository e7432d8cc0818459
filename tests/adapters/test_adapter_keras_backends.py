"""lrkit.keras on the JAX and PyTorch backends of Keras 3, in subprocesses (KERAS_BACKEND is
fixed when Keras is imported); both run at once. This file is also their script:
``python test_adapter_keras_backends.py BACKEND NATIVE_FILE OUT_DIR``.

Each subprocess first loads a ``.keras`` file saved (here, on TensorFlow) with a native
schedule from ``to_keras``, without importing lrkit; then trains with a KerasSchedule in
``model.fit`` (jitted on JAX), saves, reloads and resumes.
"""

import json
import os
import sys

import pytest

from conftest import require
from keras_backends import run_per_backend

BACKENDS = ("jax", "torch")


def _schedules():
    """(the schedule trained with, the native one): lrkit is imported only here, so that
    the subprocess can load a file before importing lrkit."""
    import lrkit

    return (
        lrkit.Warmup(lrkit.CosineDecay(0.1, 20), 5),
        lrkit.CosineDecay(0.0, 100, warmup_target=1.0, warmup_steps=10),
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    keras = require("keras")  # TensorFlow, in this process
    require("jax")
    require("torch")
    import lrkit.keras

    _, native = _schedules()
    tmp = tmp_path_factory.mktemp("keras_backends")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.SGD(lrkit.keras.to_keras(native, native=True)), loss="mse"
    )
    native_file = str(tmp / "native.keras")
    model.save(native_file)
    for backend in BACKENDS:
        (tmp / backend).mkdir()
    texts = run_per_backend(
        BACKENDS, lambda b: [sys.executable, __file__, b, native_file, str(tmp / b)], timeout=150
    )
    return {b: json.loads(text.strip().splitlines()[-1]) for b, text in texts.items()}


@pytest.mark.parametrize("backend", BACKENDS)
def test_native_file_loads_without_lrkit(runs, backend):
    out = runs[backend]["native"]
    assert out == {
        "class": "CosineDecay",
        "lrkit_imported": False,
        "config": _schedules()[1].get_config(),
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_with_keras_schedule_and_resume(runs, backend):
    np = require("numpy")
    schedule, _ = _schedules()
    out = runs[backend]
    assert out["backend"] == backend
    assert out["jit"] == (backend == "jax")
    host = np.float32([schedule(t) for t in range(16)])
    # the rates the compiled train step used, read off the weights (each step adds the rate)
    np.testing.assert_allclose(np.diff([0.0, *out["weights"]]), host, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(out["rates"], host, rtol=3e-7)
    assert out["head"] + out["tail"] == out["rates"]  # resumed from a reloaded model, exactly
    assert out["resumed_weight"] == out["weights"][-1]
    assert out["loaded_schedule"] == repr(schedule)


def _main(backend: str, native_file: str, out_dir: str) -> None:
    import keras

    loaded = keras.saving.load_model(native_file)  # a native schedule: no lrkit needed
    native = {
        "class": type(loaded.optimizer._learning_rate).__name__,
        "lrkit_imported": any(m.split(".")[0] == "lrkit" for m in sys.modules),
        "config": loaded.optimizer._learning_rate.get_config(),
    }
    import numpy as np

    import lrkit.keras

    assert keras.backend.backend() == backend
    schedule, _ = _schedules()

    def probe():
        model = keras.Sequential(
            [
                keras.Input((1,)),
                keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
            ]
        )
        opt = keras.optimizers.SGD(lrkit.keras.to_keras(schedule))
        model.compile(optimizer=opt, loss="mae")
        return model

    x, y = np.ones((16, 1), np.float32), np.full((16, 1), 1000.0, np.float32)

    def fit(model, **kwargs):
        rates, weights = [], []

        class Recorder(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                lr = self.model.optimizer.learning_rate
                rates.append(float(keras.ops.convert_to_numpy(lr)))

            def on_train_batch_end(self, batch, logs=None):
                kernel = keras.ops.convert_to_numpy(self.model.layers[0].kernel)
                weights.append(float(kernel[0, 0]))

        model.fit(x, y, batch_size=4, shuffle=False, verbose=0, callbacks=[Recorder()], **kwargs)
        return rates, weights

    model = probe()
    rates, weights = fit(model, epochs=4)
    jit = bool(model.jit_compile)
    model = probe()
    head, _ = fit(model, epochs=2)
    path = os.path.join(out_dir, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    tail, tail_weights = fit(loaded, initial_epoch=2, epochs=4)
    print(
        json.dumps(
            {
                "native": native,
                "backend": backend,
                "jit": jit,
                "rates": rates,
                "weights": weights,
                "head": head,
                "tail": tail,
                "resumed_weight": tail_weights[-1],
                "loaded_schedule": repr(lrkit.keras.from_keras(loaded.optimizer)),
            }
        )
    )


if __name__ == "__main__":
    _main(*sys.argv[1:])
