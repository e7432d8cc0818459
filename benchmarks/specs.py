"""The schedules measured, each with its hand-written baselines and its peers.

Every case is one schedule, built four ways:

* ``lrkit``: the lrkit schedule;
* ``object``: a hand-written callable object, a small class whose ``__call__``
  computes the same formula (Keras's) with :mod:`math`, written for speed
  (conditional expressions rather than ``min``/``max``, which cost a call each):
  the floor for an API of callable objects;
* ``function``: the same formula as a bare function, its constants in a closure;
* ``numpy``: the same formula as a hand-written NumPy expression of an array of
  steps (both branches of a warmup evaluated, as a NumPy expression does);

and, where they have an equivalent, as the peers' schedules (built only when the peer
is installed). The hand-written baselines are checked against lrkit's values before
anything is timed, so that every ratio compares the same function.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lrkit

LR = 0.1
T = 10_000  # decay steps
W = 1_000  # warmup steps
ALPHA = 0.01


def geometric(n: int, ratio: float) -> list[float]:
    return [LR * ratio**i for i in range(n)]


PW10 = ([1_000 * (i + 1) for i in range(10)], geometric(11, 0.8))
PW1000 = ([10 * (i + 1) for i in range(1_000)], geometric(1_001, 0.995))


@dataclass
class Spec:
    """One schedule: its builders, and the steps it is called at."""

    name: str
    lrkit: Callable[[], Any]
    obj: Callable[[], Callable[[int], float]]
    function: Callable[[], Callable[[int], float]]
    numpy: Callable[[Any], Callable[[Any], Any]]
    #: the scalar calls are made at 101 steps spread over [0, horizon]
    horizon: int = 12_000
    #: name -> builder of the peer's schedule (a callable of the step); each builder
    #: imports its library, and raises ImportError when it is not installed
    peers: dict[str, Callable[[], Callable[[Any], Any]]] = field(default_factory=dict)

    def steps(self) -> list[int]:
        # an odd offset keeps the steps off restart and piecewise boundaries, where
        # Keras's floating formula may round to the neighbouring period
        return [i * self.horizon // 100 + 3 for i in range(101)]


# -- peers ------------------------------------------------------------------------------
def _keras() -> Any:
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras.optimizers.schedules


def _optax() -> Any:
    import optax

    return optax


def _torch_optimizer() -> Any:
    import torch

    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)


def _transformers() -> Any:
    import transformers.optimization as tro

    return tro


def timm_module(module: str) -> Any:
    """``timm.scheduler.<module>``, imported under a stub package that skips
    ``timm/__init__`` (which imports torchvision), as the tests do."""
    import importlib
    import importlib.util
    import pathlib
    import sys
    import types

    if "timm" not in sys.modules or not hasattr(sys.modules["timm"], "__path__"):
        spec = importlib.util.find_spec("timm")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("timm is not installed")
        root = pathlib.Path(next(iter(spec.submodule_search_locations)))
        for name, path in (("timm", root), ("timm.scheduler", root / "scheduler")):
            if name not in sys.modules:
                stub = types.ModuleType(name)
                stub.__path__ = [str(path)]
                sys.modules[name] = stub
    return importlib.import_module(f"timm.scheduler.{module}")


def _timm(module: str, cls: str, **kwargs: Any) -> Callable[[int], Any]:
    scheduler = getattr(timm_module(module), cls)(_torch_optimizer(), t_in_epochs=False, **kwargs)
    return scheduler._get_lr  # timm's closed form at a step (a list, one rate per group)


def _lrsched() -> Any:
    import lrsched

    return lrsched


# -- the cases ----------------------------------------------------------------------------
def _exponential(staircase: bool) -> Spec:
    rate, period = 0.96, 1_000

    class Exponential:
        def __init__(self, lr: float, decay_steps: int, decay_rate: float) -> None:
            self.lr, self.decay_steps, self.decay_rate = lr, decay_steps, decay_rate

        def __call__(self, step: int) -> float:
            if staircase:
                return self.lr * self.decay_rate ** (step // self.decay_steps)
            return self.lr * self.decay_rate ** (step / self.decay_steps)

    def function() -> Callable[[int], float]:
        lr = LR
        if staircase:

            def f(step: int) -> float:
                return lr * rate ** (step // period)
        else:

            def f(step: int) -> float:
                return lr * rate ** (step / period)

        return f

    def numpy(np: Any) -> Callable[[Any], Any]:
        if staircase:
            return lambda s: LR * np.power(rate, s // period)
        return lambda s: LR * np.power(rate, s / period)

    lrs = _lrsched
    peers = {
        "keras": lambda: _keras().ExponentialDecay(LR, period, rate, staircase=staircase),
        "optax": lambda: _optax().exponential_decay(LR, period, rate, staircase=staircase),
    }
    if staircase:
        peers["timm"] = lambda: _timm("step_lr", "StepLRScheduler", decay_t=period, decay_rate=rate)
        peers["lrsched"] = lambda: lrs().step_decay(base_lr=LR, drop=rate, step_size=period)
    else:
        peers["lrsched"] = lambda: lrs().exponential(base_lr=LR, gamma=rate ** (1 / period))
    return Spec(
        "ExponentialDecay" + ("(staircase)" if staircase else ""),
        lambda: lrkit.ExponentialDecay(LR, period, rate, staircase=staircase),
        lambda: Exponential(LR, period, rate),
        function,
        numpy,
        peers=peers,
    )


def _piecewise(table: tuple[list[int], list[float]]) -> Spec:
    boundaries, values = table
    ratio = values[1] / values[0]

    class Piecewise:
        def __init__(self, boundaries: list[int], values: list[float]) -> None:
            self.boundaries, self.values = boundaries, values

        def __call__(self, step: int) -> float:
            return self.values[bisect.bisect_left(self.boundaries, step)]

    def function() -> Callable[[int], float]:
        b, v, search = boundaries, values, bisect.bisect_left

        def f(step: int) -> float:
            return v[search(b, step)]

        return f

    def numpy(np: Any) -> Callable[[Any], Any]:
        b, v = np.asarray(boundaries), np.asarray(values)
        return lambda s: np.take(v, np.searchsorted(b, s, side="left"))

    return Spec(
        f"PiecewiseConstantDecay({len(boundaries)})",
        lambda: lrkit.PiecewiseConstantDecay(boundaries, values),
        lambda: Piecewise(boundaries, values),
        function,
        numpy,
        horizon=boundaries[-1] + boundaries[0],
        peers={
            "keras": lambda: _keras().PiecewiseConstantDecay(boundaries, values),
            # optax and lrsched apply a boundary from the step itself (Keras: after it)
            "optax": lambda: _optax().piecewise_constant_schedule(
                LR, {b + 1: ratio for b in boundaries}
            ),
            "lrsched": lambda: _lrsched().multi_step(
                base_lr=LR, milestones=[b + 1 for b in boundaries], gamma=ratio
            ),
        },
    )


def _polynomial() -> Spec:
    end, power = 1e-4, 2.0

    class Polynomial:
        def __init__(self, lr: float, decay_steps: int, end: float, power: float) -> None:
            self.lr, self.decay_steps, self.end, self.power = lr, decay_steps, end, power

        def __call__(self, step: int) -> float:
            t = step if step < self.decay_steps else self.decay_steps
            return (self.lr - self.end) * (1 - t / self.decay_steps) ** self.power + self.end

    def function() -> Callable[[int], float]:
        lr = LR

        def f(step: int) -> float:
            t = step if step < T else T
            return (lr - end) * (1 - t / T) ** power + end

        return f

    def numpy(np: Any) -> Callable[[Any], Any]:
        return lambda s: (LR - end) * (1 - np.minimum(s, T) / T) ** power + end

    def transformers() -> Callable[[int], float]:
        sched = _transformers().get_polynomial_decay_schedule_with_warmup(
            _torch_optimizer(), 0, T, lr_end=end, power=power
        )
        return sched.lr_lambdas[0]

    return Spec(
        "PolynomialDecay",
        lambda: lrkit.PolynomialDecay(LR, T, end, power=power),
        lambda: Polynomial(LR, T, end, power),
        function,
        numpy,
        peers={
            "keras": lambda: _keras().PolynomialDecay(LR, T, end, power=power),
            "optax": lambda: _optax().polynomial_schedule(LR, end, power, T),
            "transformers": transformers,
            "timm": lambda: _timm(
                "poly_lr", "PolyLRScheduler", t_initial=T, power=power, lr_min=end
            ),
            "lrsched": lambda: _lrsched().polynomial(
                base_lr=LR, end_lr=end, total_steps=T, power=power
            ),
        },
    )


def _inverse_time() -> Spec:
    rate, period = 0.5, 1_000

    class InverseTime:
        def __init__(self, lr: float, decay_steps: int, decay_rate: float) -> None:
            self.lr, self.decay_steps, self.decay_rate = lr, decay_steps, decay_rate

        def __call__(self, step: int) -> float:
            return self.lr / (1 + self.decay_rate * step / self.decay_steps)

    def function() -> Callable[[int], float]:
        lr = LR

        def f(step: int) -> float:
            return lr / (1 + rate * step / period)

        return f

    return Spec(
        "InverseTimeDecay",
        lambda: lrkit.InverseTimeDecay(LR, period, rate),
        lambda: InverseTime(LR, period, rate),
        function,
        lambda np: lambda s: LR / (1 + rate * s / period),
        peers={"keras": lambda: _keras().InverseTimeDecay(LR, period, rate)},
    )


class _CosineObject:
    """Keras's CosineDecay (with its linear warmup), hand-written."""

    def __init__(
        self,
        lr: float,
        decay_steps: int,
        alpha: float,
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        self.lr, self.decay_steps, self.alpha = lr, decay_steps, alpha
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            peak = self.lr
        elif step < self.warmup_steps:
            return self.lr + (self.warmup_target - self.lr) * (step / self.warmup_steps)
        else:
            peak, step = self.warmup_target, step - self.warmup_steps
        t = step if step < self.decay_steps else self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * t / self.decay_steps))
        return peak * ((1.0 - self.alpha) * cosine + self.alpha)


def _cosine_function(lr: float, warmup_target: float | None) -> Callable[[int], float]:
    cos, pi, a = math.cos, math.pi, ALPHA
    if warmup_target is None:

        def f(step: int) -> float:
            t = step if step < T else T
            return lr * ((1.0 - a) * (0.5 * (1.0 + cos(pi * t / T))) + a)

        return f
    target = warmup_target

    def g(step: int) -> float:
        if step < W:
            return lr + (target - lr) * (step / W)
        t = step - W
        t = t if t < T else T
        return target * ((1.0 - a) * (0.5 * (1.0 + cos(pi * t / T))) + a)

    return g


def _cosine_numpy(np: Any, lr: float, warmup_target: float | None) -> Callable[[Any], Any]:
    def decayed(s: Any, peak: float) -> Any:
        return peak * ((1.0 - ALPHA) * (0.5 * (1.0 + np.cos(np.pi * np.minimum(s, T) / T))) + ALPHA)

    if warmup_target is None:
        return lambda s: decayed(s, lr)
    target = warmup_target
    return lambda s: np.where(
        s < W, lr + (target - lr) * (s / W), decayed(np.maximum(s - W, 0), target)
    )


def _cosine_peers(warmup: bool) -> dict[str, Callable[[], Callable[[Any], Any]]]:
    w = W if warmup else 0

    def transformers() -> Callable[[int], float]:
        sched = _transformers().get_cosine_with_min_lr_schedule_with_warmup(
            _torch_optimizer(), w, w + T, min_lr_rate=ALPHA
        )
        return sched.lr_lambdas[0]

    def lrsched() -> Callable[[int], float]:
        lrs = _lrsched()
        s = lrs.cosine(base_lr=LR, min_lr=ALPHA * LR, total_steps=T)
        return lrs.with_warmup(s, warmup_steps=W, start_lr=0.0) if warmup else s

    if warmup:
        keras = lambda: _keras().CosineDecay(
            0.0,
            T,
            ALPHA,
            warmup_target=LR,  # noqa: E731
            warmup_steps=W,
        )
        optax = lambda: _optax().warmup_cosine_decay_schedule(  # noqa: E731
            0.0, LR, W, W + T, end_value=ALPHA * LR
        )
        timm = lambda: _timm(
            "cosine_lr",
            "CosineLRScheduler",
            t_initial=T,  # noqa: E731
            lr_min=ALPHA * LR,
            warmup_t=W,
            warmup_lr_init=0.0,
            warmup_prefix=True,
        )
    else:
        keras = lambda: _keras().CosineDecay(LR, T, ALPHA)  # noqa: E731
        optax = lambda: _optax().cosine_decay_schedule(LR, T, ALPHA)  # noqa: E731
        timm = lambda: _timm(
            "cosine_lr",
            "CosineLRScheduler",  # noqa: E731
            t_initial=T,
            lr_min=ALPHA * LR,
        )
    return {
        "keras": keras,
        "optax": optax,
        "transformers": transformers,
        "timm": timm,
        "lrsched": lrsched,
    }


def _cosine() -> Spec:
    return Spec(
        "CosineDecay",
        lambda: lrkit.CosineDecay(LR, T, ALPHA),
        lambda: _CosineObject(LR, T, ALPHA),
        lambda: _cosine_function(LR, None),
        lambda np: _cosine_numpy(np, LR, None),
        peers=_cosine_peers(False),
    )


def _cosine_warmup() -> Spec:
    return Spec(
        "CosineDecay(warmup_target)",
        lambda: lrkit.CosineDecay(0.0, T, ALPHA, warmup_target=LR, warmup_steps=W),
        lambda: _CosineObject(0.0, T, ALPHA, warmup_target=LR, warmup_steps=W),
        lambda: _cosine_function(0.0, LR),
        lambda np: _cosine_numpy(np, 0.0, LR),
        peers=_cosine_peers(True),
    )


def _warmup_cosine() -> Spec:
    return Spec(
        "Warmup(CosineDecay)",
        lambda: lrkit.Warmup(lrkit.CosineDecay(LR, T, ALPHA), W),
        lambda: _CosineObject(0.0, T, ALPHA, warmup_target=LR, warmup_steps=W),
        lambda: _cosine_function(0.0, LR),
        lambda np: _cosine_numpy(np, 0.0, LR),
        peers=_cosine_peers(True),
    )


def _restarts() -> Spec:
    first, t_mul = 1_000, 2.0

    class Restarts:
        """Keras's CosineDecayRestarts formula (the period found by a logarithm)."""

        def __init__(self, lr: float, first_decay_steps: int, t_mul: float) -> None:
            self.lr, self.first, self.t_mul = lr, first_decay_steps, t_mul

        def __call__(self, step: int) -> float:
            frac = step / self.first
            i = math.floor(math.log(1.0 - frac * (1.0 - self.t_mul)) / math.log(self.t_mul))
            sum_r = (1.0 - self.t_mul**i) / (1.0 - self.t_mul)
            frac = (frac - sum_r) / self.t_mul**i
            return self.lr * (0.5 * (1.0 + math.cos(math.pi * frac)))

    def function() -> Callable[[int], float]:
        lr, log, floor, cos, pi = LR, math.log, math.floor, math.cos, math.pi
        log_m = log(t_mul)

        def f(step: int) -> float:
            frac = step / first
            i = floor(log(1.0 - frac * (1.0 - t_mul)) / log_m)
            mi = t_mul**i
            frac = (frac - (1.0 - mi) / (1.0 - t_mul)) / mi
            return lr * (0.5 * (1.0 + cos(pi * frac)))

        return f

    def numpy(np: Any) -> Callable[[Any], Any]:
        def f(s: Any) -> Any:
            frac = s / first
            i = np.floor(np.log(1.0 - frac * (1.0 - t_mul)) / math.log(t_mul))
            mi = t_mul**i
            frac = (frac - (1.0 - mi) / (1.0 - t_mul)) / mi
            return LR * (0.5 * (1.0 + np.cos(np.pi * frac)))

        return f

    return Spec(
        "CosineDecayRestarts",
        lambda: lrkit.CosineDecayRestarts(LR, first, t_mul=t_mul, m_mul=1.0, alpha=0.0),
        lambda: Restarts(LR, first, t_mul),
        function,
        numpy,
        horizon=70_000,
        peers={
            "keras": lambda: _keras().CosineDecayRestarts(LR, first, t_mul=t_mul, m_mul=1.0),
            "timm": lambda: _timm(
                "cosine_lr",
                "CosineLRScheduler",
                t_initial=first,
                cycle_mul=t_mul,
                cycle_limit=100,
                lr_min=0.0,
            ),
            "lrsched": lambda: _lrsched().cosine_restarts(
                base_lr=LR, min_lr=0.0, period=first, t_mult=int(t_mul)
            ),
        },
    )


def all_specs() -> list[Spec]:
    """Every case (or those ``--cases`` selects)."""
    import os

    chosen = [c for c in os.environ.get("LRKIT_BENCH_CASES", "").split(",") if c]
    specs = [s for s in _specs() if not chosen or any(c in s.name for c in chosen)]
    if os.environ.get("LRKIT_BENCH_NO_PEERS"):
        for s in specs:
            s.peers = {}
    return specs


def _specs() -> list[Spec]:
    return [
        _exponential(False),
        _exponential(True),
        _piecewise(PW10),
        _piecewise(PW1000),
        _polynomial(),
        _inverse_time(),
        _cosine(),
        _cosine_warmup(),
        _warmup_cosine(),
        _restarts(),
    ]


#: the names of the cases, in order
NAMES = tuple(s.name for s in _specs())
