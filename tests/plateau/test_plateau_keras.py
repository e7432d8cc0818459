"""lrkit.keras.PlateauSchedule and PlateauCallback in ``model.fit`` on the TensorFlow, JAX
and PyTorch backends of Keras 3, each in a subprocess (KERAS_BACKEND is fixed when Keras is
imported). This file is also their script: ``python test_plateau_keras.py BACKEND OUT``.

The model is one weight ``w`` with gradient 1 at every step (``mae`` against a far target),
trained with SGD, so each step moves ``w`` by minus that step's rate: ``w`` after an epoch
tells the rates the compiled train step used. The monitored metric is set per epoch by a
callback before the plateau's, so that the reductions are known.
"""

import json
import os
import subprocess
import sys

import pytest

import lrkit
from conftest import require

BACKENDS = ("tensorflow", "jax", "torch")
STEPS_PER_EPOCH = 4
SCORES = [1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8]  # one per epoch
SAVE_AFTER = 5  # epochs: the model is saved, loaded and trained on


def _plateau():
    return lrkit.Plateau(lrkit.Warmup(lrkit.CosineDecay(0.5, 40), 4), factor=0.5, patience=1)


def _expected():
    """w after each epoch: minus the sum of the float32 rates so far."""
    p = _plateau()
    rates = []
    for epoch, score in enumerate(SCORES):
        rates.append([p(t) for t in range(epoch * STEPS_PER_EPOCH, (epoch + 1) * STEPS_PER_EPOCH)])
        p.report(score, step=(epoch + 1) * STEPS_PER_EPOCH)
    return p, rates


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_reduces_on_plateau_and_a_saved_model_resumes(backend, tmp_path):
    require("keras")
    require({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend])
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, __file__, backend, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    got = json.loads((tmp_path / "out.json").read_text())
    plateau, rates = _expected()
    assert len(plateau.reductions) == 2
    w, total = [], 0.0
    for epoch_rates in rates:
        total -= sum(epoch_rates)
        w.append(total)
    # float32 weights and rates: within a few float32 ulps of the sums
    assert got["full"] == pytest.approx(w, rel=1e-6)
    assert got["resumed"] == got["full"][SAVE_AFTER:]  # bit for bit after the reload
    assert got["reductions"] == [list(r) for r in plateau.reductions]
    assert got["state_after_load"]["reductions"] == [
        list(r) for r in plateau.reductions if r[0] <= SAVE_AFTER * STEPS_PER_EPOCH
    ]


def _run(out_dir):
    import keras
    import numpy as np

    import lrkit.keras as kp

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["score"] = SCORES[epoch]

    class Weight(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(float(keras.ops.convert_to_numpy(self.model.weights[0])[0, 0]))

    x = np.ones((STEPS_PER_EPOCH, 1), dtype="float32")
    y = np.full((STEPS_PER_EPOCH, 1), -1e6, dtype="float32")

    def model():
        m = keras.Sequential(
            [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
        )
        m.compile(optimizer=keras.optimizers.SGD(kp.PlateauSchedule(_plateau())), loss="mae")
        return m

    def fit(m, epochs, initial_epoch=0):
        weight = Weight()
        m.fit(
            x,
            y,
            batch_size=1,
            epochs=epochs,
            initial_epoch=initial_epoch,
            shuffle=False,
            verbose=0,
            callbacks=[Score(), kp.PlateauCallback(monitor="score"), weight],
        )
        return weight.seen

    full_model = model()
    full = fit(full_model, len(SCORES))
    head = model()
    fit(head, SAVE_AFTER)
    path = os.path.join(out_dir, "m.keras")
    head.save(path)
    loaded = keras.saving.load_model(path)
    schedule = loaded.optimizer._learning_rate
    state = schedule.plateau.state_dict()
    resumed = fit(loaded, len(SCORES), initial_epoch=SAVE_AFTER)
    result = {
        "full": full,
        "resumed": resumed,
        "reductions": [list(r) for r in full_model.optimizer._learning_rate.plateau.reductions],
        "state_after_load": state,
    }
    with open(os.path.join(out_dir, "out.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    _run(sys.argv[2])
