"""Keras 3: lrkit schedules for an optimizer's other hyperparameters (weight decay, betas, ...).

Keras schedules only an optimizer's ``learning_rate`` (a ``LearningRateSchedule`` or a
callable, called with ``optimizer.iterations``); every other hyperparameter
(``weight_decay``, ``beta_1``, ``momentum``, ``epsilon``, ...) is read as it is, a
number, inside ``update_step``. :class:`ScheduleParams` wraps an optimizer and, at each
update, inside the compiled train step, computes each scheduled hyperparameter from
its lrkit schedule at ``optimizer.iterations`` (the step Keras gives the learning-rate
schedule: ``i`` at the ``i``-th update, from 0), hands the inner optimizer that tensor
for the update, and puts the configured value back. No Python callback runs per batch:
the schedule is part of the traced step on the TensorFlow (``tf.function``, XLA), JAX
(``jax.jit``) and PyTorch backends. The wrapper is registered with Keras as
``"lrkit>ScheduleParams"``, so a model compiled with it saves and loads with its
schedules (import ``lrkit.keras.params`` before ``keras.saving.load_model``, or pass
``custom_objects=lrkit.keras.params.custom_objects()``).

Importing this module imports Keras.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import keras

from lrkit.core.base import LearningRateSchedule
from lrkit.core.serialization import deserialize, serialize
from lrkit.keras import to_keras

__all__ = ["MODES", "ScheduleParams", "custom_objects"]

#: ``"absolute"``: the schedule is the value; ``"relative"``: it multiplies the configured one
MODES = ("absolute", "relative")
#: what :class:`ScheduleParams` does not schedule, and why
_REFUSED = {
    "learning_rate": "give the optimizer `learning_rate=lrkit.keras.to_keras(schedule)`",
    "iterations": "it is the step",
}


@keras.saving.register_keras_serializable(package="lrkit", name="ScheduleParams")
class ScheduleParams(keras.optimizers.Optimizer):
    r"""A Keras optimizer whose hyperparameters are lrkit schedules of the step.

    ``ScheduleParams(keras.optimizers.AdamW(...), {"weight_decay": w, "beta_1": b})``
    updates as the inner optimizer does, with, at its ``i``-th update,

    .. math::

        h_k = s_k(i) \quad\text{(absolute)} \qquad\text{or}\qquad
        h_k = h_k^{(0)}\, s_k(i) \quad\text{(relative)}

    for each scheduled hyperparameter :math:`k`, :math:`h_k^{(0)}` being its configured
    value and :math:`i` = ``optimizer.iterations`` before the update (as Keras steps a
    learning-rate schedule). The value is lrkit's exact one, computed in float64 on the
    backend inside the train step and cast to ``keras.backend.floatx()`` (on JAX without
    ``jax_enable_x64``, which has no float64, it is computed in float32: within a few
    float32 ulps). The learning
    rate stays the inner optimizer's (give it ``lrkit.keras.to_keras(schedule)``).

    Args:
        optimizer: a Keras 3 optimizer (``keras.optimizers.Optimizer``).
        schedules: a dict from hyperparameter names (attributes of ``optimizer``
            holding a number, e.g. ``"weight_decay"``, ``"beta_1"``, ``"momentum"``)
            to lrkit schedules. A hyperparameter configured as ``None`` (e.g.
            ``weight_decay=None``) can be scheduled in ``"absolute"`` mode.
        mode: ``"absolute"`` (default) or ``"relative"``, for every key; or a dict
            from keys to modes (a key not in it is ``"absolute"``).
        name: str or None: the wrapper's name (default: ``"schedule_params"``).

    Its config holds the inner optimizer's (with the configured values), the
    schedules in :func:`lrkit.serialize`'s form, and the modes.

    >>> import keras, lrkit
    >>> opt = ScheduleParams(keras.optimizers.AdamW(1e-3),
    ...                      {"weight_decay": lrkit.Linear(0.0, 0.05, 1000)})
    >>> opt.schedules["weight_decay"](500), opt.inner_optimizer.weight_decay
    (0.025, 0.004)
    """

    def __init__(
        self,
        optimizer: Any,
        schedules: Mapping[str, Any],
        mode: str | Mapping[str, str] = "absolute",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise ValueError(
                "ScheduleParams takes no base optimizer arguments: set them on the inner "
                f"optimizer. Received: {sorted(kwargs)}."
            )
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "Argument `optimizer` must be a Keras 3 optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}."
            )
        super().__init__(learning_rate=0.0, name=name or "schedule_params")
        checked = _schedules(optimizer, schedules)
        modes = _modes(mode, set(checked))
        for key, m in modes.items():
            if m == "relative" and getattr(optimizer, key) is None:
                raise ValueError(
                    f"Argument `mode` makes {key!r} relative, but the optimizer's {key} is "
                    f"None: there is no value to scale. Received: mode={mode!r}."
                )
        self.inner_optimizer = optimizer
        self._schedule_map = checked
        self._modes = modes
        # the configured values, put back after every update (and saved in the config)
        self._configured = {key: getattr(optimizer, key) for key in checked}
        self._keras = {key: to_keras(s, native=False) for key, s in checked.items()}

    # -- what is scheduled ---------------------------------------------------------------
    @property
    def schedules(self) -> dict[str, Any]:
        """The lrkit schedule of each scheduled hyperparameter (a new dict)."""
        return dict(self._schedule_map)

    @property
    def modes(self) -> dict[str, str]:
        """The mode of each scheduled hyperparameter (a new dict)."""
        return dict(self._modes)

    def values(self, step: Any) -> dict[str, Any]:
        """Each scheduled hyperparameter's value at ``step`` (a tensor of the backend).

        This is what the inner optimizer is given at its update number ``step``.
        """
        floatx = keras.backend.floatx()
        step = _wide(step)
        out = {}
        for key, schedule in self._keras.items():
            value = schedule(step)
            if self._modes[key] == "relative":
                value = keras.ops.multiply(value, keras.ops.cast(self._configured[key], floatx))
            out[key] = value
        return out

    # -- the optimizer ---------------------------------------------------------------------
    def build(self, var_list: Any) -> None:
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self) -> list[Any]:
        return self._variables + self.inner_optimizer.variables

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        if not getattr(self, "built", False):
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        inner = self.inner_optimizer
        values = self.values(inner.iterations)
        try:
            for key, value in values.items():
                setattr(inner, key, value)
            inner.apply(grads, trainable_variables)
        finally:
            for key, value in self._configured.items():
                setattr(inner, key, value)

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        # the base class sets its own (unused) rate while it is built
        if "inner_optimizer" in self.__dict__:
            self.inner_optimizer.learning_rate = learning_rate
        else:
            keras.optimizers.Optimizer.learning_rate.fset(self, learning_rate)

    @property
    def iterations(self) -> Any:
        return self.inner_optimizer.iterations

    def scale_loss(self, loss: Any) -> Any:
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list: Any) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    # -- config ----------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "optimizer": keras.saving.serialize_keras_object(self.inner_optimizer),
            "schedules": {k: serialize(s) for k, s in self._schedule_map.items()},
            "mode": dict(self._modes),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        config = dict(config)
        inner = keras.saving.deserialize_keras_object(
            config.pop("optimizer"), custom_objects=custom_objects
        )
        schedules = {k: deserialize(v) for k, v in dict(config.pop("schedules")).items()}
        return cls(inner, schedules, **config)


def _wide(step: Any) -> Any:
    """The step as float64 where the backend computes in float64 (PyTorch; JAX with x64),
    so that lrkit's array path computes in float64 there too (TensorFlow always does)."""
    backend = keras.backend.backend()
    if backend == "torch":
        return keras.ops.cast(step, "float64")
    if backend == "jax":
        import jax

        if jax.config.read("jax_enable_x64"):
            return keras.ops.cast(step, "float64")
    return step


def custom_objects() -> dict[str, type]:
    """lrkit's Keras classes by registered name (:func:`lrkit.keras.custom_objects`), for
    ``keras.saving.load_model``.

    >>> custom_objects()["lrkit>ScheduleParams"] is ScheduleParams
    True
    """
    import lrkit.keras

    return lrkit.keras.custom_objects()


def _schedules(optimizer: Any, schedules: Any) -> dict[str, Any]:
    if not isinstance(schedules, Mapping) or not schedules:
        raise TypeError(
            "Argument `schedules` must be a non-empty dict from hyperparameter names to "
            f"lrkit schedules. Received: schedules={schedules!r}."
        )
    out: dict[str, Any] = {}
    kind = type(optimizer).__name__
    for key, schedule in schedules.items():
        if not isinstance(key, str):
            raise TypeError(f"Argument `schedules` must have str keys. Received: key {key!r}.")
        name = f"schedules[{key!r}]"
        if key in _REFUSED:
            raise ValueError(f"Argument `{name}` is not scheduled here: {_REFUSED[key]}.")
        if key.startswith("_") or not hasattr(optimizer, key):
            raise ValueError(
                f"Argument `{name}` names {key!r}, which the optimizer ({kind}) does not "
                "have as a hyperparameter."
            )
        value = getattr(optimizer, key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise TypeError(
                f"Argument `{name}` names {key!r}, which the optimizer ({kind}) holds as "
                f"{value!r}, not a number: it cannot be scheduled."
            )
        if not isinstance(schedule, LearningRateSchedule):
            raise TypeError(
                f"Argument `{name}` must be an lrkit schedule. Received: {name}={schedule!r}."
            )
        out[key] = schedule
    return out


def _modes(mode: Any, keys: set[str]) -> dict[str, str]:
    if isinstance(mode, Mapping):
        unknown = sorted(map(str, set(mode) - keys))
        if unknown:
            raise ValueError(
                f"Argument `mode` names keys that are not scheduled: {unknown}. "
                f"Received: mode={dict(mode)!r}."
            )
        for k, m in mode.items():
            if m not in MODES:
                raise ValueError(f"Argument `mode[{k!r}]` must be one of {MODES}. Received: {m!r}.")
        return {k: str(mode.get(k, "absolute")) for k in sorted(keys)}
    if mode not in MODES:
        raise ValueError(f"Argument `mode` must be one of {MODES}. Received: mode={mode!r}.")
    return {k: str(mode) for k in sorted(keys)}
