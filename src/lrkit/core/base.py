"""`LearningRateSchedule`: the base class, and how a call reaches the formula."""

from __future__ import annotations

import functools
import math
import numbers
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast, runtime_checkable

from lrkit.core.ops import Ops
from lrkit.core.registry import _OWN
from lrkit.core.scalar import SCALAR

if TYPE_CHECKING:
    from lrkit.core.arrays import ArrayOps


@runtime_checkable
class Schedule(Protocol):
    """Anything that maps a step to a learning rate."""

    def __call__(self, step: Any) -> Any: ...


class LearningRateSchedule:
    """The learning rate schedule base class, as ``keras.optimizers.schedules``'.

    A schedule is an immutable, pure function of the step: calling it with the
    optimizer's global step gives the learning rate, and its config is all its state.

    * ``schedule(step)`` with a Python ``int``/``float`` or NumPy scalar returns a
      Python ``float``, computed in float64 (integer logic in exact integers).
    * ``schedule(steps)`` with an array (NumPy, JAX, PyTorch, or any library that
      ``array-api-compat`` knows) returns an array of that library, on the same
      device, of the step's floating dtype or the library's default float. A
      TensorFlow tensor (eager, in ``tf.function``, under XLA) gives a TensorFlow
      tensor (float64 for integer steps, as NumPy), and a ``keras.Variable`` (such as
      ``optimizer.iterations``) is read as its backend's array (see
      :data:`STEP_LIBRARIES`).

    To write your own schedule, subclass it as in Keras: implement ``__call__`` and,
    to save it, ``get_config`` (see :func:`lrkit.register_serializable`).

    A negative step is refused (``ValueError``) for Python numbers and NumPy arrays.
    JAX, PyTorch and TensorFlow arrays are not inspected (that would cost a device round
    trip and is impossible under ``jax.jit``): there a negative step counts as step 0.
    """

    # config key -> attribute name, in the order ``get_config`` writes them
    _config_attrs: ClassVar[tuple[tuple[str, str], ...]] = ()
    # config keys whose values are schedules (or lists of schedules): ``get_config``
    # writes them nested, in ``serialize``'s form, and ``from_config`` reads them back
    _schedule_keys: ClassVar[frozenset[str]] = frozenset()
    # the arguments that are lengths (a step count, or one in epochs or as a fraction of
    # the run: see :mod:`lrkit.core.units`); "name[]" for each item of a list, "name[][0]"
    # for the first item of each item
    _length_args: ClassVar[tuple[str, ...]] = ()
    # arguments that default to the run's (None: from `bind`), e.g. "steps_per_epoch"
    _run_args: ClassVar[tuple[str, ...]] = ()
    # whether this is an unbound schedule (lrkit.core.units.Unbound)
    _unbound: ClassVar[bool] = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # a length in epochs or a fraction of the run, or an unbound schedule inside,
        # makes the schedule an `Unbound` one (`__init__` is then not run)
        if cls._run_args or (
            (args or kwargs)
            and (cls._length_args or cls._schedule_keys)
            and any(map(_maybe_unbound, (*args, *kwargs.values())))
        ):
            from lrkit.core.units import unbound

            out = unbound(cls, args, kwargs)
            if out is not None:
                return out
        return object.__new__(cls)

    def bind(self, total_steps: Any = None, steps_per_epoch: Any = None) -> Any:
        """This schedule for a run of ``total_steps`` steps, ``steps_per_epoch`` per epoch.

        A schedule whose lengths are all step counts is already bound: it is returned
        as it is (the arguments are checked). An unbound one (a length in epochs or as a
        fraction of the run) is built with them: see :mod:`lrkit.core.units`.

        Args:
            total_steps: int > 0, a length in epochs (``"90ep"``), or None.
            steps_per_epoch: int > 0 or None.

        >>> import lrkit
        >>> s = lrkit.ExponentialDecay(1.0, decay_steps="2ep", decay_rate=0.5)
        >>> s.bind(steps_per_epoch=100)(200)
        0.5
        """
        from lrkit.core.units import run

        run(total_steps, steps_per_epoch)
        return self

    def __call__(self, step: Any = None) -> Any:
        """The learning rate at ``step``.

        (``step`` is required; its default exists so that a Keras optimizer given the
        schedule itself, which calls it without a step, gets an error naming the fix.)

        The instance's ``_call`` computes it: the method below, or, for lrkit's own
        (immutable) classes after their first call, the formula recorded as one
        straight-line function of the step with the checks of ``_call`` written in
        (see :mod:`lrkit.core.fastpath`): same operations, same results, less overhead.
        (``__call__`` stays a plain method, which ``torch.compile`` traces.) A
        subclass that defines ``__call__`` (Keras's way) replaces all this.
        """
        return self._call(step)

    def _call(self, step: Any) -> Any:
        if type(step) is int and step >= 0:
            try:
                out = self._scalar(step)
            except OverflowError:
                raise _overflow(self, step) from None
            if out - out == 0.0:  # finite: inf - inf and nan - nan are nan
                return out
            raise _overflow(self, step)
        return self._call_other(step)

    # -- the formula ---------------------------------------------------------------
    def _compute(self, xp: Ops, step: Any) -> Any:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def _scalar(self, step: Any) -> float:
        """The formula at a Python-number step, as a float.

        For lrkit's own (immutable) classes, the first call records the formula (see
        :mod:`lrkit.core.fastpath`) and installs, on the instance, the recorded
        ``_scalar`` and ``_call``. A user's subclass is computed as it is.
        """
        if self._recorded or type(self) not in _OWN or not self._frozen:
            return float(self._compute(SCALAR, step))
        from lrkit.core.fastpath import Untraceable, straight_call

        # (the not-recordable mark first: a failing recording is not retried)
        object.__setattr__(self, "_recorded", True)
        try:
            call, formula = straight_call(
                self._compute,
                self._call_other,
                functools.partial(_overflow, self),
                type(self).__name__,
                finite=self._always_finite(),
            )
        except Untraceable:
            return float(self._compute(SCALAR, step))
        object.__setattr__(self, "_recorded", False)
        object.__setattr__(self, "_scalar", formula)
        object.__setattr__(self, "_call", call)
        return formula(step)

    # whether `_scalar` tried to record the formula and could not (or is recording it)
    _recorded: ClassVar[bool] = False

    def _always_finite(self) -> bool:
        """Whether this config makes the rate a finite float at every step >= 0 (a
        bounded formula), so that a recorded Python-number call need not check its
        result for overflow. ``False`` (checked) unless a class proves it.

        >>> LearningRateSchedule()._always_finite()
        False
        """
        return False

    def _call_other(self, step: Any) -> Any:
        if isinstance(step, numbers.Real) and not isinstance(step, bool):
            s = _scalar_step(step)
            try:
                out = self._scalar(s)
            except OverflowError:
                raise _overflow(self, step) from None
            if out - out == 0.0:
                return out
            raise _overflow(self, step)
        if isinstance(step, bool):
            raise TypeError(
                f"A step must be a number or an array, not bool. Received: step={step!r}."
            )
        ops, arr = _array_step(step)
        return ops.finish(self._compute(ops, arr), tuple(arr.shape))

    # -- config ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a flat JSON-safe dict (Keras's keys)."""
        if not self._config_attrs:
            raise NotImplementedError(
                f"Learning rate schedule '{type(self).__name__}' must override "
                "`get_config()` in order to be serializable."
            )
        return {key: _plain(getattr(self, attr)) for key, attr in self._config_attrs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Instantiates a schedule from the output of :meth:`get_config`."""
        if cls._schedule_keys:
            from lrkit.core.serialization import nested

            config = {k: nested(v) if k in cls._schedule_keys else v for k, v in config.items()}
        return cls(**config)

    # -- phases: where a plot marks boundaries, and how long it is -----------------------
    def _boundaries(self, last_step: int | float) -> list[tuple[Any, str]]:
        """The phase boundaries in ``(0, last_step]``: sorted ``(step, label)`` pairs.

        The protocol :func:`lrkit.boundaries.boundaries` asks (and so ``lrkit plot``,
        which marks them and samples the curve on both sides of each). A step is
        where a phase starts or ends: a warmup's end (``"warmup end"``), a restart
        (``"restart"``), a piecewise boundary (``"boundary"``), ... Exact integers
        where the schedule's logic is integer; only steps ``<= last_step`` are
        generated (``last_step`` may be ``math.inf``), at most
        :data:`lrkit.boundaries.MAX_BOUNDARIES` of them. Every lrkit class defines
        its own; this default has none (and :func:`lrkit.boundaries.boundaries`
        guesses from the config of a class that defines neither method).

        Args:
            last_step: number >= 0, the last step of interest.

        >>> class Halving(LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.5 ** (step // 100)
        ...     def _boundaries(self, last_step):
        ...         return [(k * 100, "step") for k in range(1, int(last_step // 100) + 1)]
        >>> import lrkit.boundaries
        >>> lrkit.boundaries.boundaries(Halving(), 250)
        [(100, 'step'), (200, 'step')]
        """
        return []

    def _horizon(self) -> int | float | None:
        """The step where the schedule's shape has played out (the end of its last
        phase; a few periods of an endless periodic one), or ``None`` when it has no
        natural end: the default length of a plot (:func:`lrkit.boundaries.horizon`).
        This default is ``None``.

        >>> LearningRateSchedule()._horizon() is None
        True
        """
        return None

    # -- looking at a schedule (NumPy / matplotlib, imported on first use) -------------
    def values(self, steps: Any) -> Any:
        """The learning rates at ``steps`` as a float64 NumPy array: an int ``n`` for steps
        ``0 .. n - 1``, or a sequence or array of steps (see :func:`lrkit.plotting.values`).

        ``PiecewiseConstantDecay`` (and Model Garden's piecewise classes) keep Keras's
        ``values`` list under this name; :meth:`learning_rates` is the same method
        under a name every schedule has.
        """
        from lrkit.plotting import values

        return values(self, steps)

    def learning_rates(self, steps: Any) -> Any:
        """Same as :meth:`values`, on every schedule."""
        from lrkit.plotting import values

        return values(self, steps)

    def plot(self, steps: Any = None, ax: Any = None, **kwargs: Any) -> Any:
        """Draws the schedule on a matplotlib ``Axes`` and returns it
        (see :func:`lrkit.plotting.plot`)."""
        from lrkit.plotting import plot

        return plot(self, steps, ax, **kwargs)

    # -- arithmetic: builds `Scale`, `Sum` and `Product` schedules --------------------
    def __add__(self, other: Any) -> Any:
        from lrkit.compose.arithmetic import add

        return add(self, other)

    def __radd__(self, other: Any) -> Any:
        from lrkit.compose.arithmetic import add

        return add(other, self)

    def __sub__(self, other: Any) -> Any:
        from lrkit.compose.arithmetic import add

        return add(self, -other)

    def __rsub__(self, other: Any) -> Any:
        from lrkit.compose.arithmetic import add

        return add(other, -self)

    def __neg__(self) -> Any:
        from lrkit.compose.arithmetic import multiply

        return multiply(self, -1.0)

    def __mul__(self, other: Any) -> Any:
        from lrkit.compose.arithmetic import multiply

        return multiply(self, other)

    def __rmul__(self, other: Any) -> Any:
        from lrkit.compose.arithmetic import multiply

        return multiply(other, self)

    # -- value semantics -------------------------------------------------------------
    # Read as an attribute (the class's False until `_freeze`), never through
    # `self.__dict__`: touching `__dict__` makes CPython (3.11+) materialize the
    # instance dict, which slows every later attribute read by about 3x.
    _frozen: ClassVar[bool] = False

    def _freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(
                f"{type(self).__name__} is immutable; build a new schedule instead "
                f"(e.g. {type(self).__name__}.from_config({{**s.get_config(), {name!r}: ...}}))."
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if self._frozen:
            raise AttributeError(f"{type(self).__name__} is immutable.")
        object.__delattr__(self, name)

    def _has_config(self) -> bool:
        return (
            bool(self._config_attrs) or type(self).get_config is not LearningRateSchedule.get_config
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        if not self._has_config():
            return self is other
        return bool(self.get_config() == other.get_config())

    def __hash__(self) -> int:
        if not self._has_config():
            return id(self)
        return hash((type(self), _hashable(self.get_config())))

    def __reduce__(self) -> Any:
        if not self._has_config():
            return object.__reduce__(self)
        return (_rebuild, (type(self), self.get_config()))

    def __repr__(self) -> str:
        if not self._has_config():
            return object.__repr__(self)
        if self._config_attrs:
            config = {k: _shown(getattr(self, attr)) for k, attr in self._config_attrs}
        else:
            config = self.get_config()
        defaults = _defaults(cast(Any, type(self)))
        parts = [
            f"{k}={v!r}" for k, v in config.items() if not (k in defaults and _same(defaults[k], v))
        ]
        return f"{type(self).__name__}({', '.join(parts)})"


def _maybe_unbound(value: Any) -> bool:
    """Whether an argument may hold a length in epochs or a fraction of the run, or an
    unbound schedule (a quick look: lrkit.core.units decides)."""
    if type(value) is str:
        return value.endswith("%") or value.rstrip().endswith("ep")
    if isinstance(value, (list, tuple)):
        return any(map(_maybe_unbound, value))
    return getattr(value, "_lrkit_length", False) or getattr(value, "_unbound", False) is True


def _rebuild(cls: Any, config: dict[str, Any]) -> Any:
    return cls.from_config(config)


@functools.cache
def _defaults(cls: Any) -> dict[str, Any]:
    import inspect  # here: `import lrkit` stays fast (inspect costs ~10 ms to import)

    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return {}
    return {
        name: p.default for name, p in params.items() if p.default is not inspect.Parameter.empty
    }


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def evaluate(schedule: Any, xp: Ops, step: Any) -> Any:
    """``schedule`` at ``step`` inside another schedule's formula.

    lrkit's own schedules share the caller's namespace (no re-dispatch, no
    re-validation); a user's subclass with a ``_compute`` gets the namespace too,
    and any other callable, such as a user's Keras-style schedule, is simply called
    with the step.
    """
    return formula(schedule)(xp, step)


def formula(schedule: Any) -> Any:
    """:func:`evaluate` for one ``schedule``, resolved once: a function ``(xp, step)``.

    A composition looks it up at construction, so that its calls pay no dispatch:
    an lrkit schedule's bound ``_compute``. Anything else (a user's subclass, any
    callable) goes through ``xp.opaque``, so that a recorded formula calls it as it
    is at every call (it may change) instead of copying what it did once.
    """
    if type(schedule) in _OWN:
        return schedule._compute
    if isinstance(schedule, LearningRateSchedule) and (
        type(schedule)._compute is not LearningRateSchedule._compute
    ):
        return functools.partial(_opaque, schedule._compute)
    return functools.partial(_opaque, functools.partial(_called, schedule))


def _opaque(inner: Any, xp: Ops, step: Any) -> Any:
    return xp.opaque(inner, step)


def _called(schedule: Any, xp: Ops, step: Any) -> Any:
    return schedule(step)


def _shown(value: Any) -> Any:
    return [_shown(v) for v in value] if isinstance(value, tuple) else value


def _plain(value: Any) -> Any:
    if isinstance(value, LearningRateSchedule):
        from lrkit.core.serialization import serialize

        return serialize(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _hashable(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def _scalar_step(step: Any) -> int | float:
    if isinstance(step, numbers.Integral):
        s: int | float = int(step)
    else:
        f = float(step)
        if not math.isfinite(f):
            raise ValueError(f"A step must be finite. Received: step={step!r}.")
        s = int(f) if f.is_integer() else f
    if s < 0:
        raise ValueError(f"A step must be >= 0. Received: step={step!r}.")
    return s


def _array_step(step: Any) -> tuple[ArrayOps, Any]:
    import array_api_compat

    from lrkit.core.arrays import ArrayOps  # (here: `import lrkit` does not load it)

    try:
        xp = array_api_compat.array_namespace(step)
    except TypeError:
        xp = None
    if xp is None:  # (outside the handler: its error is not chained to this one)
        xp, step = step_namespace(step)
    ops = ArrayOps(xp, step)
    step = ops.prepare(step)
    if array_api_compat.is_numpy_array(step):
        if xp.isdtype(step.dtype, "real floating") and not bool(xp.all(xp.isfinite(step))):
            raise ValueError("A step must be finite. Received: an array holding NaN or inf.")
        if step.size and (low := xp.min(step)) < 0:  # (one pass, no array of booleans)
            raise ValueError(f"A step must be >= 0. Received: an array holding {low}.")
    else:
        step = ops.wrap(ops.nonnegative(step))
    ops.step = step
    return ops, step


#: Steps of libraries that ``array-api-compat`` does not know: the top-level module of
#: the step's type -> ``"module:function"``, imported at the first such step. The
#: function takes the step and returns ``(namespace, array)``: the step as an array of
#: a namespace with the operations :class:`ArrayOps` uses. TensorFlow tensors and
#: ``keras.Variable`` (``optimizer.iterations``) are read by :mod:`lrkit.keras._steps`.
STEP_LIBRARIES: dict[str, str] = {
    "tensorflow": "lrkit.keras._steps:tensorflow_step",
    "keras": "lrkit.keras._steps:keras_step",
}


def step_namespace(step: Any) -> tuple[Any, Any]:
    """``(namespace, array)`` for a step of a library in :data:`STEP_LIBRARIES`.

    >>> step_namespace("5")
    Traceback (most recent call last):
    ...
    TypeError: A step must be a number or an array (NumPy, JAX, PyTorch, ...). \
Received: step of type str.
    """
    target = STEP_LIBRARIES.get(type(step).__module__.partition(".")[0])
    if target is None:
        hint = ""
        if step is None:  # what a Keras optimizer passes a callable that is not its schedule
            hint = (
                " A Keras optimizer calls a learning rate that is not a Keras "
                "LearningRateSchedule without a step: give it "
                "`lrkit.keras.to_keras(schedule)`, or build the schedule with "
                "`from lrkit.keras import schedules`."
            )
        raise TypeError(
            "A step must be a number or an array (NumPy, JAX, PyTorch, ...). "
            f"Received: step of type {type(step).__name__}.{hint}"
        )
    import importlib

    module, _, name = target.partition(":")
    found: tuple[Any, Any] = getattr(importlib.import_module(module), name)(step)
    return found


def _overflow(schedule: Any, step: Any) -> OverflowError:
    return OverflowError(
        f"{type(schedule).__name__} overflows float64 at step={step!r}: the learning "
        "rate there is beyond 1.8e308 in magnitude."
    )
