r"""``keras.optimizers.schedules``, computed by lrkit: change the import, keep the rest.

.. code-block:: python

    from lrkit.keras import schedules          # was: from keras.optimizers import schedules

    lr = schedules.CosineDecay(1e-3, decay_steps=10_000, warmup_target=1e-2, warmup_steps=500)
    model.compile(optimizer=keras.optimizers.AdamW(lr), loss="mse")

Every class has Keras's name, arguments, defaults, attributes and ``get_config``
keys, and is a real Keras ``LearningRateSchedule`` (any Keras 3 optimizer takes it,
on the TensorFlow, JAX and PyTorch backends). Each holds the lrkit schedule of the
same name (its ``schedule`` attribute) and returns lrkit's values:

* called by an optimizer (with ``optimizer.iterations``) or with any tensor or
  ``keras.Variable``, a backend tensor of ``keras.backend.floatx()``, computed by
  lrkit's formula on the backend's ops (float64 on TensorFlow, also under
  XLA; the backend's default float and integers on JAX and PyTorch);
* called with a Python number, lrkit's exact Python ``float``.

Bad arguments are refused when the schedule is built, in Keras's words. Each
class is registered with Keras as ``"lrkit>ClassName"``, so
:func:`serialize`, :func:`deserialize`, ``keras.saving.serialize_keras_object``,
``deserialize_keras_object`` and ``.keras`` files round-trip it once this module is
imported. A machine without lrkit cannot load such a file: save a portable one with
``lrkit.keras.to_keras(schedule, native=True)`` (Keras's own class, Keras's values).

This module imports Keras.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import keras

from lrkit.core.base import LearningRateSchedule as _LrkitBase
from lrkit.keras import _call_in_keras, _keras_schedule_class
from lrkit.keras._steps import unconverted
from lrkit.schedules import cosine as _cosine
from lrkit.schedules import cosine_restarts as _restarts
from lrkit.schedules import exponential as _exponential
from lrkit.schedules import inverse_time as _inverse_time
from lrkit.schedules import piecewise as _piecewise
from lrkit.schedules import polynomial as _polynomial

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]

#: Keras's base class itself: subclass it for your own schedules, as in Keras
LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule

#: the package the classes are registered under in Keras ("lrkit>CosineDecay", ...)
PACKAGE = "lrkit"

_KerasSchedule: Any = _keras_schedule_class()


class _Exact(_KerasSchedule):
    """A Keras schedule class of Keras's name and config, computed by an lrkit class."""

    #: the lrkit class computed
    _lrkit: ClassVar[type[_LrkitBase]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Keras's attributes (read-only): the lrkit schedule's, by its config keys
        for _, attr in cls._lrkit._config_attrs:
            setattr(cls, attr, property(_getter(attr), _setter(attr)))

    @unconverted
    def __call__(self, step: Any) -> Any:
        if isinstance(step, numbers.Real):
            return self.schedule(step)
        return _call_in_keras(self.schedule, step)

    def get_config(self) -> dict[str, Any]:
        return self.schedule.get_config()

    def __repr__(self) -> str:
        return repr(self.schedule)


def _getter(attr: str) -> Any:
    def get(self: Any) -> Any:
        return getattr(self.schedule, attr)

    return get


def _setter(attr: str) -> Any:
    def refuse(self: Any, value: Any) -> None:
        name = type(self).__name__
        raise AttributeError(
            f"{name} is immutable; build a new schedule instead "
            f"(e.g. {name}.from_config({{**s.get_config(), {attr.lstrip('_')!r}: ...}}))."
        )

    return refuse


def _registered(cls: type) -> Any:
    return keras.saving.register_keras_serializable(package=PACKAGE, name=cls.__name__)(cls)


@_registered
class ExponentialDecay(_Exact):
    r"""``keras.optimizers.schedules.ExponentialDecay``, computed by
    :class:`lrkit.ExponentialDecay`:

    .. math::

        \eta(t) = \eta_0 \, r^{\,p}, \qquad
        p = \lfloor t / T \rfloor \text{ (staircase), else } t / T

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        decay_rate: number >= 0 (:math:`r`).
        staircase: bool. Decay at whole multiples of ``decay_steps`` only.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> from lrkit.keras import schedules
    >>> s = schedules.ExponentialDecay(1.0, 16777217, 0.5, staircase=True)
    >>> s(16777216), s.decay_rate      # Keras's float32 step gives 0.5
    (1.0, 0.5)
    """

    _lrkit = _exponential.ExponentialDecay

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        super().__init__(
            self._lrkit(initial_learning_rate, decay_steps, decay_rate, staircase, name)
        )


@_registered
class PiecewiseConstantDecay(_Exact):
    r"""``keras.optimizers.schedules.PiecewiseConstantDecay``, computed by
    :class:`lrkit.PiecewiseConstantDecay`:

    .. math::

        \eta(t) = v_i \quad\text{for}\quad b_{i-1} < t \le b_i,
        \qquad b_{-1} = -\infty,\ b_n = +\infty

    Args:
        boundaries: strictly increasing finite numbers.
        values: finite numbers, one more than ``boundaries``.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> from lrkit.keras import schedules
    >>> s = schedules.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> s(100), s(101), s(201)
    (1.0, 0.5, 0.1)
    """

    _lrkit = _piecewise.PiecewiseConstantDecay

    def __init__(
        self,
        boundaries: Sequence[int | float],
        values: Sequence[float],
        name: str = "PiecewiseConstant",
    ) -> None:
        super().__init__(self._lrkit(boundaries, values, name))


@_registered
class PolynomialDecay(_Exact):
    r"""``keras.optimizers.schedules.PolynomialDecay``, computed by
    :class:`lrkit.PolynomialDecay`:

    .. math::

        \eta(t) = (\eta_0 - \eta_{end}) \left(\frac{D - t'}{D}\right)^{k} + \eta_{end}

    with :math:`t' = \min(t, T)`, :math:`D = T`, or with ``cycle``
    :math:`t' = t`, :math:`D = T \max(1, \lceil t / T \rceil)`.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        end_learning_rate: float, finite (:math:`\eta_{end}`).
        power: number >= 0 (:math:`k`).
        cycle: bool. Restart the decay after each multiple of ``decay_steps``.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> from lrkit.keras import schedules
    >>> schedules.PolynomialDecay(1.0, 100, 0.0, power=2.0)(50)
    0.25
    """

    _lrkit = _polynomial.PolynomialDecay

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        super().__init__(
            self._lrkit(initial_learning_rate, decay_steps, end_learning_rate, power, cycle, name)
        )


@_registered
class InverseTimeDecay(_Exact):
    r"""``keras.optimizers.schedules.InverseTimeDecay``, computed by
    :class:`lrkit.InverseTimeDecay`:

    .. math::

        \eta(t) = \frac{\eta_0}{1 + r\,p}, \qquad
        p = \lfloor t / T \rfloor \text{ (staircase), else } t / T

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        decay_rate: number >= 0 (:math:`r`).
        staircase: bool. Decay at whole multiples of ``decay_steps`` only.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> from lrkit.keras import schedules
    >>> schedules.InverseTimeDecay(0.1, 10, 0.5)(20)
    0.05
    """

    _lrkit = _inverse_time.InverseTimeDecay

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        super().__init__(
            self._lrkit(initial_learning_rate, decay_steps, decay_rate, staircase, name)
        )


@_registered
class CosineDecay(_Exact):
    r"""``keras.optimizers.schedules.CosineDecay``, computed by
    :class:`lrkit.CosineDecay`:

    .. math::

        \eta(t) = \begin{cases}
            \eta_0 + (\eta_w - \eta_0)\, t / W & t < W \\
            \eta_w \left((1-\alpha)\,\frac{1 + \cos(\pi \min(t - W, T) / T)}{2} + \alpha\right)
            & t \ge W
        \end{cases}

    with :math:`\eta_w = \eta_0` and :math:`W = 0` without ``warmup_target``.

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        decay_steps: number > 0 (:math:`T`).
        alpha: float, finite. The final rate as a fraction of the decay's start.
        name: str. Kept for Keras compatibility; ``None`` means the default.
        warmup_target: float or None (:math:`\eta_w`).
        warmup_steps: number >= 0 (:math:`W`).

    >>> from lrkit.keras import schedules
    >>> s = schedules.CosineDecay(0.0, 100, warmup_target=1.0, warmup_steps=10)
    >>> s(5), s(10), s(110)
    (0.5, 1.0, 0.0)
    """

    _lrkit = _cosine.CosineDecay

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int | float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int | float = 0,
    ) -> None:
        super().__init__(
            self._lrkit(
                initial_learning_rate, decay_steps, alpha, name, warmup_target, warmup_steps
            )
        )


@_registered
class CosineDecayRestarts(_Exact):
    r"""``keras.optimizers.schedules.CosineDecayRestarts`` (SGDR), computed by
    :class:`lrkit.CosineDecayRestarts`: in period :math:`i`, which starts at
    :math:`B_i = T_0 (m_t^i - 1)/(m_t - 1)` and lasts :math:`T_i = T_0 m_t^i`,

    .. math::

        \eta(t) = \eta_0 \left((1-\alpha)\, m_m^{\,i}\,
                   \frac{1 + \cos(\pi (t - B_i) / T_i)}{2} + \alpha\right)

    the period being found in a table of exact starts (never by a logarithm).

    Args:
        initial_learning_rate: float, finite (:math:`\eta_0`).
        first_decay_steps: number > 0 (:math:`T_0`).
        t_mul: number > 0 (:math:`m_t`). Each period is ``t_mul`` times the last.
        m_mul: number >= 0 (:math:`m_m`). Each peak is ``m_mul`` times the last.
        alpha: float, finite. The final rate as a fraction of the peak.
        name: str. Kept for Keras compatibility; ``None`` means the default.

    >>> from lrkit.keras import schedules
    >>> s = schedules.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    >>> s(10), s(81910)      # restarts (Keras's float32 log gives 0.0 at 81910)
    (0.5, 0.0001220703125)
    """

    _lrkit = _restarts.CosineDecayRestarts

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int | float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        super().__init__(
            self._lrkit(initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha, name)
        )


#: the classes of this module, by class name (what a config names)
CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule: Any) -> dict[str, Any]:
    """``keras.optimizers.schedules.serialize``: a schedule as a JSON-safe dict.

    Args:
        learning_rate_schedule: a Keras ``LearningRateSchedule`` (this module's, or any).

    >>> from lrkit.keras import schedules
    >>> form = schedules.serialize(schedules.InverseTimeDecay(0.1, 10, 0.5))
    >>> form["module"], form["class_name"], form["registered_name"]
    ('lrkit.keras.schedules', 'InverseTimeDecay', 'lrkit>InverseTimeDecay')
    """
    out: dict[str, Any] = keras.saving.serialize_keras_object(learning_rate_schedule)
    return out


def deserialize(config: Mapping[str, Any] | str, custom_objects: Any = None) -> Any:
    """``keras.optimizers.schedules.deserialize``, building this module's classes.

    A config of one of Keras's six schedules (Keras 3's form, tf.keras 2's
    ``{"class_name", "config"}`` or a bare name) gives the class of that name here;
    one saved from this module too; anything else goes to Keras as in
    ``keras.optimizers.schedules.deserialize`` (registered classes, ``custom_objects``).

    Args:
        config: dict or str. A serialized schedule.
        custom_objects: dict or None. Names of your own classes, as in Keras.

    >>> from lrkit.keras import schedules
    >>> schedules.deserialize({"module": "keras.optimizers.schedules",
    ...     "class_name": "CosineDecay", "registered_name": None,
    ...     "config": {"initial_learning_rate": 0.1, "decay_steps": 1000}})
    CosineDecay(initial_learning_rate=0.1, decay_steps=1000)
    """
    return keras.saving.deserialize_keras_object(
        config, custom_objects=custom_objects, module_objects=CLASSES
    )
