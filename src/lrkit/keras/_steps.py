"""Steps of TensorFlow and Keras: the namespace lrkit's formulas run on for them.

:func:`lrkit.core.base.step_namespace` hands a step that ``array-api-compat`` does
not know to the function registered for its library (see
:data:`lrkit.core.base.STEP_LIBRARIES`):

* :func:`tensorflow_step` for a TensorFlow tensor or variable: the formula runs on
  TensorFlow ops (eagerly, in a ``tf.function`` graph and under XLA), in float64 for
  integer steps (exact below 2**53), in the step's dtype for float steps;
* :func:`keras_step` for a ``keras.Variable`` (such as ``optimizer.iterations``):
  its value as the backend's own array (TensorFlow, JAX, PyTorch or NumPy), which
  then goes the same way as that array would.

Nothing here is imported until such a step is met.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_TF_NAMESPACE: Any = None


def unconverted(fn: F) -> F:
    """``fn`` marked for TensorFlow's AutoGraph as not to be converted (where TensorFlow
    is loaded): under ``tf.function`` lrkit's Python runs as it is, building the graph
    from TensorFlow ops, instead of being rewritten (with warnings) by AutoGraph."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return fn
    marked: F = tf.autograph.experimental.do_not_convert(fn)
    return marked


def tensorflow_step(step: Any) -> tuple[Any, Any]:
    """``(namespace, tensor)`` for a TensorFlow tensor or variable ``step``.

    An integer step is cast to float64 (exact below 2**53, where lrkit's integer
    logic is exact): TensorFlow compares and combines tensors only of one dtype, and
    formulas compare steps with Python numbers of either kind.

    >>> import tensorflow as tf
    >>> xp, t = tensorflow_step(tf.Variable([1, 2]))
    >>> type(t).__name__, t.dtype.name
    ('EagerTensor', 'float64')
    """
    import tensorflow as tf

    step = tf.convert_to_tensor(step)
    if step.dtype.is_integer:
        step = tf.cast(step, tf.float64)
    return tensorflow_namespace(), step


def keras_step(step: Any) -> tuple[Any, Any]:
    """``(namespace, array)`` for a ``keras.Variable`` ``step``: its value as the
    backend's own array, in that array's namespace.

    >>> import keras
    >>> xp, value = keras_step(keras.Variable(3))
    >>> int(value)
    3
    """
    import array_api_compat
    import keras

    value = step.value if isinstance(step, keras.Variable) else keras.ops.convert_to_tensor(step)
    if type(value).__module__.partition(".")[0] == "tensorflow":
        return tensorflow_step(value)
    try:
        return array_api_compat.array_namespace(value), value
    except TypeError:
        raise TypeError(
            "A Keras step must have a value (a backend tensor). "
            f"Received: step of type {type(step).__name__}."
        ) from None


def tensorflow_namespace() -> Any:
    """The part of the array API that lrkit's formulas use, on TensorFlow ops.

    Its default dtypes are float64 and int64, as NumPy's (:func:`tensorflow_step`
    gives it integer steps as float64). ``searchsorted`` counts comparisons (tables
    are short), which XLA compiles.

    >>> import tensorflow as tf
    >>> xp = tensorflow_namespace()
    >>> xp.searchsorted(tf.constant([10, 20]), tf.constant([5, 10, 25]), side="right").numpy()
    array([0, 1, 2], dtype=int32)
    """
    global _TF_NAMESPACE
    if _TF_NAMESPACE is not None:
        return _TF_NAMESPACE
    import tensorflow as tf

    class _Info:
        @staticmethod
        def default_dtypes(device: Any = None) -> dict[str, Any]:
            return {"real floating": tf.float64, "integral": tf.int64, "indexing": tf.int64}

    _DEFAULTS = {bool: tf.bool, int: tf.int64, float: tf.float64}

    class _Bits(NamedTuple):
        bits: int

    class _TF:
        float32 = tf.float32
        float64 = tf.float64
        int32 = tf.int32
        int64 = tf.int64
        bool = tf.bool
        floor_divide = staticmethod(tf.math.floordiv)
        remainder = staticmethod(tf.math.floormod)
        exp = staticmethod(tf.exp)
        log = staticmethod(tf.math.log)
        sqrt = staticmethod(tf.sqrt)
        sin = staticmethod(tf.sin)
        cos = staticmethod(tf.cos)
        tanh = staticmethod(tf.tanh)
        where = staticmethod(tf.where)
        pow = staticmethod(tf.pow)
        minimum = staticmethod(tf.minimum)
        maximum = staticmethod(tf.maximum)
        reshape = staticmethod(tf.reshape)
        broadcast_to = staticmethod(tf.broadcast_to)
        zeros_like = staticmethod(tf.zeros_like)
        take = staticmethod(tf.gather)

        @staticmethod
        def __array_namespace_info__() -> Any:
            return _Info()

        @staticmethod
        def isdtype(dtype: Any, kind: str) -> builtins.bool:  # (`bool` is tf.bool here)
            if kind == "integral":
                return bool(dtype.is_integer)
            if kind == "real floating":
                return bool(dtype.is_floating)
            raise ValueError(f"unsupported dtype kind {kind!r}")

        @staticmethod
        def asarray(x: Any, dtype: Any = None, device: Any = None) -> Any:
            if dtype is None and type(x) in _DEFAULTS:  # Python numbers: as NumPy's
                dtype = _DEFAULTS[type(x)]
            return tf.convert_to_tensor(x, dtype=dtype)

        @staticmethod
        def astype(x: Any, dtype: Any) -> Any:
            return tf.cast(x, dtype)

        @staticmethod
        def iinfo(dtype: Any) -> Any:
            return dtype  # a tf.DType has .min and .max

        @staticmethod
        def finfo(dtype: Any) -> Any:
            return _Bits(dtype.size * 8)

        @staticmethod
        def searchsorted(table: Any, x: Any, side: str = "left") -> Any:
            t, v = table[None, :], x[:, None]
            below = t <= v if side == "right" else t < v
            return tf.reduce_sum(tf.cast(below, tf.int32), axis=-1)

    _TF_NAMESPACE = _TF()
    return _TF_NAMESPACE
