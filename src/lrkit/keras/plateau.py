r"""Keras 3: reduce on plateau around any schedule, computed in the compiled train step.

:class:`PlateauSchedule` is a Keras ``LearningRateSchedule`` whose rate is
``schedule(optimizer.iterations) * scale``, with lrkit's exact values for the schedule
(as :class:`lrkit.keras.KerasSchedule`) and the multiplier ``scale`` a non-trainable
``keras.Variable``; :class:`PlateauCallback` reports the monitored metric at the end of
each epoch to the schedule's :class:`lrkit.Plateau` and sets the variable. The
plateau's whole state is in the schedule's config, so a model saved (also by
``ModelCheckpoint`` during training) and loaded resumes it.

On TensorFlow the compiled step reads the variable at every step; on JAX, whose
compiled step takes as state only the model's and the optimizer's own variables, the
callback has the train function compiled again after each reduction (reductions are
rare); on PyTorch the step runs eagerly.

.. code-block:: python

    schedule = lrkit.keras.PlateauSchedule(
        lrkit.Plateau(lrkit.Warmup(lrkit.CosineDecay(1e-3, 9000), 1000), patience=3))
    model.compile(optimizer=keras.optimizers.AdamW(schedule), loss="mse")
    model.fit(x, y, validation_split=0.1, callbacks=[lrkit.keras.PlateauCallback()])

The schedule on its own (the callback calls ``report`` with the epoch's metric and the
optimizer's step):

>>> import lrkit, lrkit.keras
>>> s = lrkit.keras.PlateauSchedule(lrkit.Plateau(lrkit.Constant(0.1), patience=0))
>>> round(float(s(0)), 6), s.report(1.0, 0), s.report(1.0, 5), round(float(s(5)), 6)
(0.1, False, True, 0.01)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrkit.plateau import Plateau

#: the names the two classes are registered under in Keras
REGISTERED_NAMES = ("lrkit>PlateauSchedule", "lrkit>PlateauCallback")

_CLASSES: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name in ("PlateauSchedule", "PlateauCallback"):
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _classes() -> dict[str, type]:
    """Defines and registers the two classes (once); imports Keras."""
    if _CLASSES:
        return _CLASSES
    import keras

    from lrkit.keras import _call_in_keras

    class PlateauSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """A Keras schedule: an lrkit schedule times a reduce-on-plateau multiplier.

        Args:
            plateau: an :class:`lrkit.Plateau` (its schedule serializable, to save).

        Its config is ``{"plateau": plateau.get_config(), "state":
        plateau.state_dict()}``.
        """

        def __init__(self, plateau: Any, state: Mapping[str, Any] | None = None) -> None:
            if isinstance(plateau, Mapping):
                plateau = Plateau.from_config(plateau)
            if not isinstance(plateau, Plateau):
                raise TypeError(
                    "Argument `plateau` must be an lrkit.Plateau or its config. "
                    f"Received: plateau of type {type(plateau).__name__}."
                )
            if state is not None:
                plateau.load_state_dict(state)
            self.plateau = plateau
            self.scale = keras.Variable(
                plateau.scale, dtype="float32", trainable=False, name="plateau_scale"
            )

        def __call__(self, step: Any) -> Any:
            rate = _call_in_keras(self.plateau.schedule, step)
            return rate * keras.ops.cast(self.scale, rate.dtype)

        def report(self, metric: Any, step: Any) -> bool:
            """Reports the metric at ``step`` to the plateau and sets the multiplier."""
            changed = bool(self.plateau.report(metric, step=step))
            if changed:
                self.scale.assign(self.plateau.scale)
            return changed

        def get_config(self) -> dict[str, Any]:
            return {"plateau": self.plateau.get_config(), "state": self.plateau.state_dict()}

        @classmethod
        def from_config(cls, config: dict[str, Any]) -> Any:
            return cls(**config)

    class PlateauCallback(keras.callbacks.Callback):
        """Reports a monitored metric to the model's :class:`PlateauSchedule` each epoch.

        Args:
            monitor: the name of the metric in the epoch's logs (``"val_loss"``).
            schedule: the :class:`PlateauSchedule`; by default the optimizer's.

        A missing metric is an error that names the metrics there are.
        """

        def __init__(self, monitor: str = "val_loss", schedule: Any = None) -> None:
            super().__init__()
            if not isinstance(monitor, str):
                raise TypeError(f"Argument `monitor` must be a str. Received: {monitor!r}.")
            self.monitor = monitor
            self.schedule = schedule

        def _schedule(self) -> Any:
            schedule = self.schedule
            if schedule is None:
                schedule = getattr(self.model.optimizer, "_learning_rate", None)
            if not isinstance(schedule, PlateauSchedule):
                raise TypeError(
                    "PlateauCallback needs the optimizer's learning rate to be an "
                    "lrkit.keras.PlateauSchedule (or schedule=...). "
                    f"Received: {type(schedule).__name__}."
                )
            return schedule

        def on_train_begin(self, logs: Any = None) -> None:
            self._schedule()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            logs = logs or {}
            if self.monitor not in logs:
                raise KeyError(
                    f"PlateauCallback monitors {self.monitor!r}, which this epoch's logs "
                    f"do not hold; they hold {sorted(logs)}."
                )
            step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
            if self._schedule().report(float(logs[self.monitor]), step) and (
                keras.backend.backend() == "jax"
            ):
                # JAX's compiled step holds the multiplier as a constant: compile it again
                self.model.make_train_function(force=True)

        def get_config(self) -> dict[str, Any]:
            return {"monitor": self.monitor}

    for cls, registered in zip((PlateauSchedule, PlateauCallback), REGISTERED_NAMES, strict=True):
        cls.__module__ = __name__
        cls.__qualname__ = cls.__name__
        package, _, name = registered.partition(">")
        _CLASSES[cls.__name__] = keras.saving.register_keras_serializable(
            package=package, name=name
        )(cls)
    return _CLASSES
