"""Train a tiny Keras 3 model with an lrkit schedule, save it, and read the schedule back.

    KERAS_BACKEND=jax python examples/keras_train.py     # or tensorflow, or torch

`lrkit.keras.to_keras` gives a registered `KerasSchedule` that computes lrkit's formula
inside `model.fit` on every backend (`native=True` gives Keras's own class where Keras has
one, so that a saved model loads without lrkit); `from lrkit.keras import schedules` has
Keras's schedule classes themselves, computed by lrkit.
"""

import os
import tempfile

import keras
import numpy as np

import lrkit
import lrkit.keras

EPOCHS, BATCHES = 6, 8
# a composition Keras has no class for: warmup, then exponential decay, floored at 1e-4
SCHEDULE = lrkit.Clamp(
    lrkit.Warmup(lrkit.ExponentialDecay(0.05, 10, 0.8), warmup_steps=8), min_value=1e-4
)

rng = np.random.default_rng(0)
x = rng.normal(size=(32 * BATCHES, 4)).astype("float32")
y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]]) + 0.3).astype("float32")

model = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)]
)
model.compile(optimizer=keras.optimizers.Adam(lrkit.keras.to_keras(SCHEDULE)), loss="mse")


class ShowRate(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        step = int(keras.ops.convert_to_numpy(optimizer.iterations))
        print(f"epoch {epoch}  step {step:3d}  lr {rate:.6f}  loss {logs['loss']:.4f}")
        assert abs(rate - SCHEDULE(step)) <= 1e-6 * SCHEDULE(step)


print("backend:", keras.backend.backend())
history = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0, callbacks=[ShowRate()])
assert history.history["loss"][-1] < history.history["loss"][0]

path = os.path.join(tempfile.mkdtemp(), "model.keras")
model.save(path)
# the schedule of a saved model, without building it (and without Keras)
print("saved schedule:", lrkit.keras.read_keras_file(path))
assert lrkit.keras.read_keras_file(path) == SCHEDULE
# a full reload: the optimizer comes back with its step and its schedule
reloaded = keras.saving.load_model(path)
assert lrkit.keras.from_keras(reloaded.optimizer) == SCHEDULE
assert int(keras.ops.convert_to_numpy(reloaded.optimizer.iterations)) == EPOCHS * BATCHES
print("ok")
