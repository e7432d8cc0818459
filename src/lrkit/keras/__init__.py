"""Keras 3: lrkit schedules in Keras optimizers, Keras schedules in lrkit, and ``.keras`` files.

* :mod:`lrkit.keras.schedules` is ``keras.optimizers.schedules`` computed by lrkit:
  ``from lrkit.keras import schedules`` gives Keras's six classes (real Keras
  ``LearningRateSchedule`` subclasses, registered as ``"lrkit>CosineDecay"``, ...)
  with lrkit's values.
* :func:`to_keras` gives a schedule any Keras 3 optimizer accepts, on the
  TensorFlow, JAX and PyTorch backends, inside ``model.fit``: by default a
  :class:`KerasSchedule` computing lrkit's values, registered with
  ``keras.saving.register_keras_serializable`` as ``"lrkit>KerasSchedule"``; with
  ``native=True`` Keras's own class where one exists (a ``.keras`` file then loads
  without lrkit, and Keras computes it).
* :func:`from_keras` goes the other way, by the serialized form.
* :func:`read_keras_file` reads the schedule of a saved model's optimizer from its
  ``config.json``, without Keras and without building the model.

Importing this module does not import Keras (so :func:`read_keras_file` works
without it): Keras is imported by the first call that needs it, which also
registers :class:`KerasSchedule`. If Keras is already imported when this module is,
:class:`KerasSchedule` and :mod:`lrkit.keras.schedules` are registered at once, so
``import keras; import lrkit.keras; keras.saving.load_model(path)`` loads a model
that uses them; in any other order pass ``custom_objects=lrkit.keras.custom_objects()``
to ``load_model``.

Inside Keras the step is the optimizer's ``iterations`` variable, which every lrkit
schedule accepts as it accepts any array (see :mod:`lrkit.keras._steps`): on the JAX
and PyTorch backends lrkit's array path runs on the backend's own array (so under
``jax.jit`` too); on TensorFlow the same formula runs on TensorFlow ops, in float64
(the step too: exact for steps below 2**53), in eager mode, in ``tf.function`` graphs
and under XLA (``model.fit`` compiles with XLA by default): no ``py_function``, no
host round trip. The result is cast to ``keras.backend.floatx()``.

An lrkit schedule given to a Keras optimizer as it is (not through
:func:`to_keras`) is taken by Keras for a function of no arguments: the first step
raises a ``TypeError`` that names the fix.
"""

from __future__ import annotations

import numbers
import os
import struct
import sys
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

from lrkit.core.base import LearningRateSchedule
from lrkit.core.registry import KERAS_MODULE, serial_info
from lrkit.core.serialization import deserialize, serialize
from lrkit.io import limits as _io_limits
from lrkit.schedules.constant import Constant

__all__ = [
    "MAX_CONFIG_BYTES",
    "KerasSchedule",  # defined on first use: it subclasses a Keras class
    "PlateauCallback",  # (as KerasSchedule)
    "PlateauSchedule",  # (as KerasSchedule)
    "ScheduleParams",  # (as KerasSchedule)
    "custom_objects",
    "from_keras",
    "read_keras_file",
    "schedules",  # a module that imports Keras: imported on first use
    "to_keras",
]

#: the largest ``config.json`` :func:`read_keras_file` reads (bytes, uncompressed):
#: ``lrkit.io.limits.MAX_FILE_BYTES``, the limit of every file lrkit reads
MAX_CONFIG_BYTES = _io_limits.MAX_FILE_BYTES
#: the name :class:`KerasSchedule` is registered under in Keras
REGISTERED_NAME = "lrkit>KerasSchedule"

_CLASS: type | None = None


def __getattr__(name: str) -> Any:
    if name == "KerasSchedule":
        return _keras_schedule_class()
    if name == "schedules":  # (imports Keras)
        import importlib

        return importlib.import_module(f"{__name__}.schedules")
    if name in ("PlateauSchedule", "PlateauCallback"):  # (imports Keras)
        from lrkit.keras.plateau import _classes

        return _classes()[name]
    if name == "ScheduleParams":  # (imports Keras)
        from lrkit.keras.params import ScheduleParams

        return ScheduleParams
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _keras_schedule_class() -> type:
    """Defines and registers ``KerasSchedule`` (once); imports Keras."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    import keras

    from lrkit.keras._steps import unconverted

    class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
        """A Keras ``LearningRateSchedule`` that computes an lrkit schedule.

        Args:
            schedule: an lrkit schedule, or its serialized form.

        Its config is ``{"schedule": lrkit.serialize(schedule)}``: saving needs a
        serializable schedule (lrkit's, or one registered with
        ``@lrkit.register_serializable``), loading needs lrkit.
        """

        def __init__(self, schedule: Any) -> None:
            if isinstance(schedule, Mapping):
                schedule = deserialize(schedule)
            if not isinstance(schedule, LearningRateSchedule):
                raise TypeError(
                    "Argument `schedule` must be an lrkit schedule or its serialized form. "
                    f"Received: schedule={schedule!r}."
                )
            self.schedule = schedule

        @unconverted
        def __call__(self, step: Any) -> Any:
            return _call_in_keras(self.schedule, step)

        def get_config(self) -> dict[str, Any]:
            return {"schedule": serialize(self.schedule)}

        @classmethod
        def from_config(cls, config: dict[str, Any]) -> Any:
            return cls(**config)

        def __eq__(self, other: object) -> bool:
            if type(other) is not type(self):
                return NotImplemented
            return bool(self.schedule == other.schedule)

        def __hash__(self) -> int:
            return hash((type(self), self.schedule))

        def __repr__(self) -> str:
            return f"KerasSchedule({self.schedule!r})"

    KerasSchedule.__module__ = __name__
    KerasSchedule.__qualname__ = "KerasSchedule"
    package, _, name = REGISTERED_NAME.partition(">")
    _CLASS = keras.saving.register_keras_serializable(package=package, name=name)(KerasSchedule)
    return _CLASS


def custom_objects() -> dict[str, type]:
    """Every Keras class of lrkit's by its registered name, for ``keras.saving.load_model``:
    ``"lrkit>KerasSchedule"``, the classes of :mod:`lrkit.keras.schedules`
    (``"lrkit>CosineDecay"``, ...), ``"lrkit>PlateauSchedule"``,
    ``"lrkit>PlateauCallback"`` and ``"lrkit>ScheduleParams"``; imports Keras."""
    from lrkit.keras import plateau, schedules
    from lrkit.keras.params import ScheduleParams

    found = {REGISTERED_NAME: _keras_schedule_class()}
    for name, cls in schedules.CLASSES.items():
        found[f"{schedules.PACKAGE}>{name}"] = cls
    for registered in plateau.REGISTERED_NAMES:
        found[registered] = plateau._classes()[registered.partition(">")[2]]
    found["lrkit>ScheduleParams"] = ScheduleParams
    return found


# -- lrkit -> Keras --------------------------------------------------------------------
def to_keras(schedule: Any, *, native: bool = False) -> Any:
    """A Keras 3 ``LearningRateSchedule`` for an lrkit schedule.

    Args:
        schedule: an lrkit schedule, or a Keras schedule (returned as it is, but for
            a :class:`KerasSchedule` with ``native=True``).
        native: bool. With ``False`` (default), lrkit computes the rate: the result
            is a :class:`KerasSchedule`, which any Keras optimizer takes and which
            saves in ``.keras`` files (loading needs lrkit). With ``True``, a
            schedule Keras has (``ExponentialDecay``, ``PiecewiseConstantDecay``,
            ``PolynomialDecay``, ``InverseTimeDecay``, ``CosineDecay``,
            ``CosineDecayRestarts``) becomes Keras's own class, built from the same
            config: a ``.keras`` file saved with it loads without lrkit, and Keras
            computes it (in float32, with the differences listed in lrkit's
            docs/differences.md); any other (compositions, ``Constant``, your own)
            is still a :class:`KerasSchedule`.

    :mod:`lrkit.keras.schedules` has the six Keras classes themselves, computed by
    lrkit.

    >>> import keras, lrkit, lrkit.keras
    >>> k = lrkit.keras.to_keras(lrkit.CosineDecay(0.1, 1000))
    >>> k
    KerasSchedule(CosineDecay(initial_learning_rate=0.1, decay_steps=1000))
    >>> isinstance(k, keras.optimizers.schedules.LearningRateSchedule)
    True
    >>> n = lrkit.keras.to_keras(lrkit.CosineDecay(0.1, 1000), native=True)
    >>> isinstance(n, keras.optimizers.schedules.CosineDecay)
    True
    """
    if not isinstance(native, bool):
        raise TypeError(f"Argument `native` must be a bool. Received: native={native!r}.")
    import keras

    cls = _keras_schedule_class()
    if isinstance(schedule, cls):
        if not native:
            return schedule
        schedule = schedule.schedule  # type: ignore[attr-defined]
    elif isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return schedule
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(
            "Argument `schedule` must be an lrkit schedule. "
            f"Received: schedule={schedule!r} of type {type(schedule).__name__}."
        )
    if native:
        keras_cls = _native_class(keras, schedule)
        if keras_cls is not None:
            return keras_cls.from_config(schedule.get_config())
    return cls(schedule)


def _native_class(keras: Any, schedule: LearningRateSchedule) -> Any:
    kind = type(schedule)
    if not kind.__module__.startswith("lrkit."):
        return None
    try:
        module, class_name, registered = serial_info(kind)
    except ValueError:
        return None
    if module != KERAS_MODULE or registered is not None:
        return None
    return getattr(keras.optimizers.schedules, class_name, None)


def _call_in_keras(schedule: Any, step: Any) -> Any:
    """``schedule(step)`` as a Keras schedule returns it: a backend tensor of
    ``keras.backend.floatx()``."""
    import keras

    step = keras.ops.convert_to_tensor(step)
    return keras.ops.cast(schedule(step), keras.backend.floatx())


def _tf_namespace() -> Any:
    """The TensorFlow namespace lrkit's formulas run on (see :mod:`lrkit.keras._steps`)."""
    from lrkit.keras._steps import tensorflow_namespace

    return tensorflow_namespace()


# -- Keras -> lrkit --------------------------------------------------------------------
def from_keras(obj: Any) -> LearningRateSchedule:
    """The lrkit schedule of a Keras schedule, optimizer or serialized form.

    Args:
        obj: a Keras 3 (or tf.keras 2) ``LearningRateSchedule``; a
            :class:`KerasSchedule` (its lrkit schedule); a Keras optimizer (its
            learning rate: a schedule, or a constant as :class:`lrkit.Constant`);
            a serialized schedule or optimizer (a dict); or a number. Keras keeps a
            constant rate in a float32 variable: ``SGD(learning_rate=0.01)`` gives
            ``Constant(0.009999999776482582)``.

    The conversion goes by the serialized form and lrkit's registry: a class lrkit
    does not know is a ``ValueError``, and nothing is imported or evaluated.

    >>> import keras, lrkit.keras
    >>> lrkit.keras.from_keras(keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.5))
    ExponentialDecay(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.5)
    >>> lrkit.keras.from_keras(keras.optimizers.SGD(learning_rate=0.25))
    Constant(learning_rate=0.25)
    """
    if isinstance(obj, LearningRateSchedule):
        return obj
    if _CLASS is not None and isinstance(obj, _CLASS):
        return obj.schedule  # type: ignore[attr-defined]
    if isinstance(obj, numbers.Real) and not isinstance(obj, bool):
        return Constant(float(obj))
    if isinstance(obj, Mapping):
        if _is_optimizer_config(obj):
            return _from_optimizer_config(obj)
        return _from_serialized(obj)
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(obj, keras.optimizers.Optimizer):
        return _from_optimizer_config(keras.optimizers.serialize(obj))
    if keras is not None and isinstance(obj, keras.optimizers.schedules.LearningRateSchedule):
        return _from_serialized(keras.optimizers.schedules.serialize(obj))
    get_config = getattr(obj, "get_config", None)
    if callable(get_config) and not isinstance(obj, type):  # e.g. a tf.keras 2 schedule
        config = get_config()
        if (
            isinstance(config, Mapping)
            and "learning_rate" in config
            and hasattr(obj, "apply_gradients")
        ):
            return _from_optimizer_config({"config": dict(config)})
        return _from_serialized({"class_name": type(obj).__name__, "config": config})
    raise TypeError(
        "from_keras takes a Keras schedule or optimizer, a serialized one (a dict) or a "
        f"number. Received: {obj!r} of type {type(obj).__name__}."
    )


def _from_serialized(config: Mapping[str, Any]) -> LearningRateSchedule:
    from lrkit.io.json_config import keras_schedule

    return keras_schedule(config)


def _is_optimizer_config(config: Mapping[str, Any]) -> bool:
    inner = config.get("config")
    return isinstance(inner, Mapping) and any(
        key in inner for key in ("learning_rate", "lr", "inner_optimizer")
    )


def _from_optimizer_config(config: Any, depth: int = 0) -> LearningRateSchedule:
    from lrkit.io.json_config import optimizer_rate

    return optimizer_rate(config).schedule


# -- .keras files ----------------------------------------------------------------------
def read_keras_file(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_CONFIG_BYTES
) -> LearningRateSchedule:
    """The learning-rate schedule of the optimizer saved in a ``.keras`` file.

    Reads the archive's ``config.json`` only (at most ``max_bytes`` of it,
    whatever its header claims), parses it as JSON and looks the schedule up in
    lrkit's registry: no Keras, no model building, no code from the file is run.
    A constant learning rate is returned as :class:`lrkit.Constant`.

    Raises:
        ValueError: not a ``.keras`` archive, no or too large a ``config.json``, a
            model saved without an optimizer, or a schedule lrkit does not know.
        OSError: the file cannot be read.
    """
    from lrkit.core import validate as _validate
    from lrkit.io import keras_file

    max_bytes = _validate.positive_int("max_bytes", max_bytes)
    name = os.fspath(path)
    config = keras_file.read_model_config(name, max_bytes)  # OSError: cannot be read
    optimizer = keras_file.compiled_optimizer(config, name)
    try:
        return _from_optimizer_config(optimizer)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{name}: {exc}") from None
    except _validate.CONSTRUCTION_ERRORS as exc:  # e.g. an int learning rate beyond float64
        raise _validate.construction_error(name, exc) from exc


class _NotKeras(ValueError):
    """A zip archive that is not a readable ``.keras`` file."""


# what `zipfile` raises on a damaged archive: bad headers, offsets, versions, compressed data
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    zlib.error,
    struct.error,
)


def _config_json(file: Any, name: str, max_bytes: int) -> bytes:
    """The bytes of ``config.json`` in the ``.keras`` file ``name``: at most ``max_bytes``."""
    from lrkit.io import keras_file

    return keras_file.config_json_bytes(name, max_bytes)


if "keras" in sys.modules:  # Keras is already loaded: register KerasSchedule now
    _keras_schedule_class()
    import importlib

    importlib.import_module(f"{__name__}.schedules")  # and the classes of Keras's names
