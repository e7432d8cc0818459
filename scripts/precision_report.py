#!/usr/bin/env python
"""The precision report: how far each schedule's value is from the exact one.

Every schedule lrkit has (the six Keras schedules, the twelve beyond Keras, every
composition and every Model Garden class, each at least once) is evaluated at
sampled steps up to 2**40: its phase boundaries and the steps on each side of them,
the powers of two, and seeded random steps (log-uniform). Each value is compared
with an exact reference, written from the documented formulas and independent of
lrkit's code: phase logic in exact rationals (``fractions``), the rest in mpmath at
50 digits (the Keras six: tests/reference.py; the twelve: tests/test_modern_exact.py;
compositions and Model Garden: below, built on those).

The error of a value is ``|value - exact| / scale``, ``scale`` the largest |exact|
rate over the sampled steps (the convention of the test suite and docs/backends.md:
a rate that has decayed to 1e-30 is not held to 1e-12 of itself). The report also
gives lrkit's largest pointwise relative error ``|value - exact| / |exact|``.

Measured:

* lrkit: Python numbers (float64), NumPy int64 steps (float64 out), NumPy float32
  steps (float32 out; steps above 2**24 are not all float32 numbers, so that column
  is split at 2**24);
* Keras 3 (``keras.optimizers.schedules``, float32), optax (float32, int32 steps: up
  to 2**31 - 1) and PyTorch (``torch.optim.lr_scheduler``, stepped one step at a time
  over a real optimizer: up to a few ten thousand steps) where they have the schedule,
  compared with the exact value of the same schedule.

lrkit's float64 figures must be at most 1e-12: the script exits with status 1
otherwise. ``--quick`` measures lrkit only, on fewer steps (seconds; the test suite
runs it). Without ``--output`` the full run writes docs/precision.md.

    python scripts/precision_report.py            # everything, writes docs/precision.md
    python scripts/precision_report.py --quick    # lrkit only, prints the table
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "src"))
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import mpmath  # noqa: E402

import lrkit  # noqa: E402
import reference as R  # noqa: E402  (tests/reference.py: the Keras six)
from lrkit import model_garden as mg  # noqa: E402
from lrkit.boundaries import boundaries  # noqa: E402

mpmath.mp.dps = 50
#: lrkit's float64 values must be within this of the exact ones (relative to the scale)
BOUND = 1e-12
TOP = 2**40
F32_EXACT = 2**24
I32_MAX = 2**31 - 1
SEED = 20250601


def _modern() -> dict[str, Callable[..., Any]]:
    import test_modern_exact as m  # tests/test_modern_exact.py: the twelve beyond Keras

    return {name: ref for name, (_, ref) in m.CLASSES.items()}


MODERN = _modern()


# -- exact references ------------------------------------------------------------------------------


def E(x: Any) -> Fraction:
    return R.exact(x)


def M(x: Any) -> Any:
    """An mpf of the global 50-digit context."""
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    return mpmath.mpf(x)


KERAS_BASE = {
    "CosineDecayWithOffset": "CosineDecay",
    "ExponentialDecayWithOffset": "ExponentialDecay",
    "PiecewiseConstantDecayWithOffset": "PiecewiseConstantDecay",
    "PolynomialDecayWithOffset": "PolynomialDecay",
}


def exact(s: Any, kw: dict[str, Any] | None, t: Any) -> Any:
    """The exact rate of schedule ``s`` (built with keyword arguments ``kw``) at ``t``."""
    name = type(s).__name__
    c = s.get_config()
    t = Fraction(t)
    if name in R.REFERENCES:
        return M(R.value(name, c, t))
    if name in MODERN:
        if kw is None:  # the config, with None meaning "the default"
            kw = {k: v for k, v in c.items() if v is not None and k != "name"}
        return M(MODERN[name](mpmath, kw, t))
    if name == "CyclicalMomentum":
        return _exact_momentum(s, t)
    if name == "Constant":
        return M(E(c["learning_rate"]))
    if name == "Scale":
        return M(E(c["factor"])) * exact(s.schedule, None, t)
    if name == "Sum":
        return mpmath.fsum(exact(x, None, t) for x in s.schedules)
    if name == "Product":
        return mpmath.fprod(exact(x, None, t) for x in s.schedules)
    if name == "Offset":
        return exact(s.schedule, None, max(t - E(c["offset"]), Fraction(0)))
    if name == "Clamp":
        v = exact(s.schedule, None, t)
        if c["min_value"] is not None:
            v = max(v, M(E(c["min_value"])))
        if c["max_value"] is not None:
            v = min(v, M(E(c["max_value"])))
        return v
    if name == "Join":
        starts = [Fraction(0), *(E(b) for b in c["boundaries"])]
        i = max(k for k, b in enumerate(starts) if b <= t)
        local = t - starts[i] if c["step_mode"] == "local" else t
        return exact(s.schedules[i], None, local)
    if name == "Warmup":
        w = E(c["warmup_steps"])
        local = c["step_mode"] == "local"
        if w == 0 or t >= w:
            return exact(s.schedule, None, t - w if local else t)
        peak = exact(s.schedule, None, 0 if local else w)
        x = M(t / w)
        f = {
            "linear": x,
            "polynomial": x ** M(E(c["power"])),
            "cosine": (1 - mpmath.cos(mpmath.pi * x)) / 2,
        }[c["shape"]]
        start = M(E(c["initial_learning_rate"]))
        return start + (peak - start) * f
    if name == "Cooldown":
        start, length = E(c["start"]), E(c["length"])
        if t < start:
            return exact(s.schedule, None, t)
        peak, final = exact(s.schedule, None, start), M(E(c["final"]))
        x = M(min(t - start, length) / length)
        h = {
            "linear": 1 - x,
            "cosine": (1 + mpmath.cos(mpmath.pi * x)) / 2,
            "1-sqrt": 1 - mpmath.sqrt(x),
        }[c["shape"]]
        return final + (peak - final) * h
    if name == "Epochwise":
        e = E(c["steps_per_epoch"])
        epoch = t // e if c["granularity"] == "epoch" else t / e
        return exact(s.schedule, None, Fraction(epoch))
    if name in KERAS_BASE:
        u = max(t - E(c["offset"]), Fraction(0))
        keras = {k: v for k, v in c.items() if k != "offset"}
        return M(R.value(KERAS_BASE[name], keras, u))
    if name == "DirectPowerDecay":
        return M(E(c["initial_learning_rate"])) * M(max(t, Fraction(1))) ** M(E(c["power"]))
    if name == "PowerAndLinearDecay":
        u = max(t - E(c["offset"]), Fraction(0))
        lr = M(E(c["initial_learning_rate"])) * M(max(u, Fraction(1))) ** M(E(c["power"]))
        ramp = E(c["total_decay_steps"] * c["linear_decay_fraction"])  # float64, as both
        if ramp > 0:
            lr = max(M(0), lr * M(min(Fraction(1), (E(c["total_decay_steps"]) - u) / ramp)))
        return lr
    if name == "PowerDecayWithOffset":
        pre, off = M(E(c["pre_offset_learning_rate"])), E(c["offset"])
        if t <= off:
            return pre
        eta0 = M(E(c["initial_learning_rate"]))
        return min(eta0 * M(max(t - off, Fraction(1))) ** M(E(c["power"])), pre)
    if name == "StepCosineDecayWithOffset":
        u = max(t - E(c["offset"]), Fraction(0))
        b = [E(x) for x in c["boundaries"]]
        v = [M(E(x)) for x in c["values"]]
        if u < b[0]:
            return v[0]
        if u >= b[-1]:
            return v[-1]
        i = max(j for j in range(len(b)) if b[j] <= u)
        x = M((u - b[i]) / (b[i + 1] - b[i]))
        return v[i + 1] + (v[i] - v[i + 1]) * (1 + mpmath.cos(mpmath.pi * x)) / 2
    if name in ("LinearWarmup", "PolynomialWarmUp"):
        w = E(c["warmup_steps"])
        after = s.after_warmup_lr_sched
        if t >= w:
            return exact(after, None, t) if not isinstance(after, (int, float)) else M(after)
        peak = exact(after, None, w) if not isinstance(after, (int, float)) else M(after)
        if name == "LinearWarmup":
            start = M(E(c["warmup_learning_rate"]))
            return start + M(t / w) * (peak - start)
        return peak * M(max(t, Fraction(1)) / w) ** M(E(c["power"]))
    raise KeyError(f"no exact reference for {name}")


def _exact_momentum(s: Any, t: Fraction) -> Any:
    """A CyclicalMomentum: the rate's phase shape (from the rate's exact value) carried
    over to the momenta."""
    rate, c = s.schedule, s.get_config()
    lo, hi = M(E(c["base_momentum"])), M(E(c["max_momentum"]))
    r = exact(rate, None, t)
    if type(rate).__name__ == "Cyclic":
        rc = rate.get_config()
        base = M(E(rc["base_learning_rate"]))
        wave = (r - base) / (M(E(rc["max_learning_rate"])) - base)
        return hi - (hi - lo) * wave
    # OneCycle: the fraction of its phase the rate has gone, in the momenta's phase
    xs = [E(x) for x, _ in rate.points]
    ys = [M(E(y)) for _, y in rate.points]
    peak = max(range(len(ys)), key=lambda k: ys[k])
    ms = [lo if k == peak else hi for k in range(len(ys))]
    if t <= xs[0]:
        return ms[0]
    if t >= xs[-1]:
        return ms[-1]
    k = max(j for j in range(len(xs) - 1) if xs[j] <= t)
    f = (r - ys[k]) / (ys[k + 1] - ys[k])
    return ms[k] + (ms[k + 1] - ms[k]) * f


# -- the schedules measured ----------------------------------------------------------------------


@dataclass
class Case:
    label: str
    schedule: Any
    kw: dict[str, Any] | None = None
    keras: bool = False
    #: optax: a function returning the optax schedule
    optax: Callable[[Any], Any] | None = None
    #: PyTorch: (make(optimizer) -> scheduler, lr, how many steps to run)
    torch: tuple[Callable[[Any, Any], Any], float, int] | None = None
    results: dict[str, Any] = field(default_factory=dict)


def modern(name: str, **kw: Any) -> tuple[Any, dict[str, Any]]:
    return getattr(lrkit, name)(**kw), kw


def cases() -> list[Case]:
    X = lrkit
    out: list[Case] = []

    def add(label: str, schedule: Any, kw: dict[str, Any] | None = None, **frameworks: Any):
        out.append(Case(label, schedule, kw, **frameworks))

    # the six Keras schedules
    add(
        "ExponentialDecay",
        X.ExponentialDecay(0.1, 1000, 0.96),
        keras=True,
        optax=lambda o: o.exponential_decay(0.1, 1000, 0.96),
    )
    add(
        "ExponentialDecay (staircase)",
        X.ExponentialDecay(0.1, 1000, 0.96, staircase=True),
        keras=True,
        optax=lambda o: o.exponential_decay(0.1, 1000, 0.96, staircase=True),
    )
    add(
        "ExponentialDecay (per step)",
        X.ExponentialDecay(0.1, 1, 0.9995),
        keras=True,
        torch=(lambda S, o: S.ExponentialLR(o, 0.9995), 0.1, 20_000),
    )
    add("InverseTimeDecay", X.InverseTimeDecay(0.1, 1000, 0.5), keras=True)
    add(
        "InverseTimeDecay (staircase)",
        X.InverseTimeDecay(0.1, 1000, 0.5, staircase=True),
        keras=True,
    )
    add(
        "PiecewiseConstantDecay",
        X.PiecewiseConstantDecay([1000, 5000, 100_000, 2**33 + 0.5], [1.0, 0.5, 0.1, 0.01, 0.001]),
        keras=True,
    )
    add(
        "PolynomialDecay (power 0.5)",
        X.PolynomialDecay(0.1, 10_000, 0.001, power=0.5),
        keras=True,
        optax=lambda o: o.polynomial_schedule(0.1, 0.001, 0.5, 10_000),
    )
    add(
        "PolynomialDecay (cycle)",
        X.PolynomialDecay(1.0, 1000, 0.0, power=2.0, cycle=True),
        keras=True,
    )
    add(
        "CosineDecay",
        X.CosineDecay(0.1, 10_000, alpha=0.01),
        keras=True,
        optax=lambda o: o.cosine_decay_schedule(0.1, 10_000, alpha=0.01),
        torch=(lambda S, o: S.CosineAnnealingLR(o, 10_000, eta_min=0.001), 0.1, 10_001),
    )
    add(
        "CosineDecay (warmup)",
        X.CosineDecay(0.0, 10_000, alpha=0.1, warmup_target=1.0, warmup_steps=1000),
        keras=True,
    )
    add(
        "CosineDecayRestarts (t_mul 2)",
        X.CosineDecayRestarts(0.1, 1000, alpha=0.01),
        keras=True,
        torch=(lambda S, o: S.CosineAnnealingWarmRestarts(o, 1000, 2, eta_min=0.001), 0.1, 20_000),
    )
    add(
        "CosineDecayRestarts (t_mul 1.5, m_mul 0.9)",
        X.CosineDecayRestarts(0.1, 1000, t_mul=1.5, m_mul=0.9),
        keras=True,
    )
    # the twelve beyond Keras
    s, kw = modern(
        "Linear",
        initial_learning_rate=0.0,
        end_learning_rate=1e-3,
        transition_steps=500,
        transition_begin=100,
    )
    add("Linear", s, kw, optax=lambda o: o.linear_schedule(0.0, 1e-3, 500, 100))
    s, kw = modern(
        "Linear", initial_learning_rate=0.003, end_learning_rate=0.3, transition_steps=1000
    )
    add(
        "Linear (torch LinearLR)",
        s,
        kw,
        torch=(lambda S, o: S.LinearLR(o, 0.01, 1.0, 1000), 0.3, 2000),
    )
    s, kw = modern(
        "Polynomial",
        initial_learning_rate=1e-3,
        decay_steps=90_000,
        end_learning_rate=1e-7,
        power=2.0,
        warmup_steps=10_000,
    )
    add("Polynomial", s, kw)
    s, kw = modern("PiecewiseLinear", knots=[(0, 0.0), (100, 1.0), (100, 0.5), (10**6, 0.01)])
    add("PiecewiseLinear", s, kw)
    s, kw = modern("InverseSqrt", initial_learning_rate=1e-3, warmup_steps=4000)
    add("InverseSqrt", s, kw)
    s, kw = modern(
        "WarmupStableDecay",
        initial_learning_rate=3e-4,
        total_steps=100_000,
        warmup_fraction=0.05,
        decay_fraction=0.2,
        decay_shape="1-sqrt",
        alpha=0.1,
    )
    add("WarmupStableDecay", s, kw)
    s, kw = modern("OneCycle", max_learning_rate=0.1, total_steps=10_000)
    add(
        "OneCycle (torch)",
        s,
        kw,
        torch=(
            lambda S, o: S.OneCycleLR(o, 0.1, total_steps=10_000, cycle_momentum=False),
            0.1,
            10_000,
        ),
    )
    s, kw = modern("OneCycle", max_learning_rate=0.1, total_steps=10_000, convention="optax")
    add("OneCycle (optax)", s, kw, optax=lambda o: o.cosine_onecycle_schedule(10_000, 0.1))
    add(
        "CyclicalMomentum (OneCycle)",
        X.OneCycle(0.1, 10_000, three_phase=True).momentum(0.85, 0.95),
    )
    add(
        "CyclicalMomentum (Cyclic)",
        X.Cyclic(1e-3, 6e-3, 2000, mode="triangular2").momentum(0.8, 0.9),
    )
    s, kw = modern("Cyclic", base_learning_rate=1e-3, max_learning_rate=6e-3, step_size_up=2000)
    add(
        "Cyclic",
        s,
        kw,
        torch=(
            lambda S, o: S.CyclicLR(o, 1e-3, 6e-3, step_size_up=2000, cycle_momentum=False),
            1e-3,
            20_000,
        ),
    )
    s, kw = modern(
        "Cosine", initial_learning_rate=1e-3, decay_steps=9000, alpha=0.1, warmup_steps=1000
    )
    add("Cosine", s, kw)
    s, kw = modern(
        "CosineCycles",
        initial_learning_rate=0.1,
        cycle_steps=1000,
        min_learning_rate=1e-5,
        cycle_mul=2.0,
        cycle_decay=0.5,
        cycle_limit=6,
        warmup_steps=100,
    )
    add("CosineCycles", s, kw)
    s, kw = modern(
        "Tanh",
        initial_learning_rate=0.1,
        cycle_steps=1000,
        cycle_mul=1.5,
        cycle_limit=5,
        warmup_steps=100,
    )
    add("Tanh", s, kw)
    s, kw = modern(
        "PolyCycles",
        initial_learning_rate=0.1,
        cycle_steps=1000,
        power=2.0,
        min_learning_rate=1e-5,
        cycle_mul=2.0,
        cycle_limit=6,
        k_decay=2.0,
        warmup_steps=100,
    )
    add("PolyCycles", s, kw)
    s, kw = modern(
        "CosineAnnealing", initial_learning_rate=0.1, decay_steps=1000, min_learning_rate=1e-4
    )
    add(
        "CosineAnnealing",
        s,
        kw,
        torch=(lambda S, o: S.CosineAnnealingLR(o, 1000, 1e-4), 0.1, 5000),
    )
    s, kw = modern("Step", initial_learning_rate=0.1, step_size=30, gamma=0.5)
    add("Step", s, kw, torch=(lambda S, o: S.StepLR(o, 30, 0.5), 0.1, 2000))
    s, kw = modern("MultiStep", initial_learning_rate=0.1, milestones=[30, 80, 10_000], gamma=0.1)
    add(
        "MultiStep",
        s,
        kw,
        torch=(lambda S, o: S.MultiStepLR(o, [30, 80, 10_000], 0.1), 0.1, 12_000),
    )
    # compositions
    cos = X.CosineDecay(0.1, 10_000)
    add(
        "Warmup (linear, local)",
        X.Warmup(cos, 1000),
        optax=lambda o: o.join_schedules(
            [o.linear_schedule(0.0, 0.1, 1000), o.cosine_decay_schedule(0.1, 10_000)], [1000]
        ),
    )
    add("Warmup (cosine, global)", X.Warmup(cos, 1000, 0.01, shape="cosine", step_mode="global"))
    add("Warmup (polynomial)", X.Warmup(cos, 1000, shape="polynomial", power=2.0))
    add("Join", X.Join([X.Linear(0.0, 0.1, 1000), cos, X.Constant(1e-4)], [1000, 11_000]))
    add("Offset", X.Offset(cos, 500))
    add("Cooldown (1-sqrt)", X.Cooldown(cos, 6000, 3000, shape="1-sqrt", final=1e-4))
    add("Cooldown (cosine)", X.Cooldown(cos, 6000, 3000, shape="cosine"))
    add("Epochwise (step)", X.Epochwise(X.CosineDecay(0.1, 90), 125, granularity="step"))
    add("Epochwise (epoch)", X.Epochwise(X.CosineDecay(0.1, 90), 125, granularity="epoch"))
    add("Clamp", X.Clamp(X.ExponentialDecay(0.1, 1000, 0.5), min_value=1e-4))
    add("Scale, Sum", 0.5 * cos + X.Constant(0.01))
    add("Product", cos * X.Linear(1.0, 0.0, 20_000))
    add("Constant", X.Constant(0.1))
    # Model Garden
    add(
        "CosineDecayWithOffset",
        mg.CosineDecayWithOffset(
            offset=1000, initial_learning_rate=0.1, decay_steps=10_000, alpha=0.01
        ),
    )
    add(
        "ExponentialDecayWithOffset",
        mg.ExponentialDecayWithOffset(
            offset=1000, initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.9
        ),
    )
    add(
        "PiecewiseConstantDecayWithOffset",
        mg.PiecewiseConstantDecayWithOffset(
            offset=1000, boundaries=[1000, 5000], values=[0.1, 0.01, 0.001]
        ),
    )
    add(
        "PolynomialDecayWithOffset",
        mg.PolynomialDecayWithOffset(
            offset=1000, initial_learning_rate=0.1, decay_steps=10_000, power=0.5
        ),
    )
    add("DirectPowerDecay", mg.DirectPowerDecay(0.1, power=-0.5))
    add(
        "PowerAndLinearDecay",
        mg.PowerAndLinearDecay(0.1, 100_000, power=-0.5, linear_decay_fraction=0.1),
    )
    add(
        "PowerDecayWithOffset",
        mg.PowerDecayWithOffset(0.1, power=-0.5, offset=1000, pre_offset_learning_rate=1.0),
    )
    add(
        "StepCosineDecayWithOffset",
        mg.StepCosineDecayWithOffset([0, 10_000, 50_000], [0.1, 0.01, 0.001], offset=100),
    )
    after = mg.CosineDecayWithOffset(offset=0, initial_learning_rate=0.1, decay_steps=10_000)
    add("LinearWarmup", mg.LinearWarmup(after, 1000, 0.0))
    add("PolynomialWarmUp", mg.PolynomialWarmUp(after, 1000, power=2.0))
    return out


def _classes(schedule: Any) -> set[str]:
    out = {type(schedule).__name__}
    for child in (
        getattr(schedule, "schedule", None),
        getattr(schedule, "after_warmup_lr_sched", None),
        *getattr(schedule, "schedules", ()),
    ):
        if isinstance(child, lrkit.LearningRateSchedule):
            out |= _classes(child)
    return out


# -- steps ---------------------------------------------------------------------------------------


def sample_steps(case: Case, quick: bool) -> list[int]:
    rng = random.Random(f"{SEED}-{case.label}")
    marks = [b for b, _ in boundaries(case.schedule, TOP)][: 12 if quick else 250]
    steps = {0, 1, 2, 3}
    for b in marks:
        base = math.floor(b)
        steps.update(x for x in (base - 1, base, base + 1, base + 2) if 0 <= x <= TOP)
    steps.update(2**k for k in range(0, 41, 4 if quick else 1))
    steps.update(2**k - 1 for k in range(1, 41, 8 if quick else 3))
    n_random = 6 if quick else 120
    steps.update(int(2 ** rng.uniform(0, 40)) for _ in range(n_random))
    steps.update(rng.randrange(0, 20_000) for _ in range(n_random // 2))
    return sorted(steps)


# -- measuring -----------------------------------------------------------------------------------


def errors(
    values: list[float | None],
    refs: list[Any],
    scale: Any,
    steps: list[int],
    upto: int | None = None,
) -> tuple[float, int | None] | None:
    """The largest |value - exact| / scale over the steps <= ``upto`` (and its step)."""
    worst, at = 0.0, None
    seen = False
    for v, e, t in zip(values, refs, steps, strict=True):
        if v is None or (upto is not None and t > upto):
            continue
        seen = True
        if not math.isfinite(v):
            return math.inf, t
        err = float(abs(M(v) - e) / scale) if scale else float(abs(M(v) - e))
        if err > worst:
            worst, at = err, t
    return (worst, at) if seen else None


def pointwise(values: list[float], refs: list[Any]) -> float:
    worst = 0.0
    for v, e in zip(values, refs, strict=True):
        if e != 0 and abs(e) > 1e-290:
            worst = max(worst, float(abs(M(v) - e) / abs(e)))
    return worst


def measure_lrkit(case: Case, steps: list[int], refs: list[Any], scale: Any) -> None:
    import numpy as np

    s = case.schedule
    r = case.results
    python = [s(t) for t in steps]
    r["python"] = errors(python, refs, scale, steps)
    r["pointwise"] = pointwise(python, refs)
    r["numpy64"] = errors(
        [float(x) for x in s(np.asarray(steps, dtype=np.int64))], refs, scale, steps
    )
    f32 = s(np.asarray(steps, dtype=np.float32))
    assert f32.dtype == np.float32
    values = [float(x) for x in f32]
    r["numpy32_low"] = errors(values, refs, scale, steps, upto=F32_EXACT)
    r["numpy32"] = errors(values, refs, scale, steps)


def measure_keras(case: Case, steps: list[int], refs: list[Any], scale: Any) -> None:
    import keras

    k = keras.optimizers.schedules.deserialize(lrkit.serialize(case.schedule))
    values = []
    for t in steps:
        values.append(
            float(keras.ops.convert_to_numpy(k(keras.ops.convert_to_tensor(t, dtype="int64"))))
        )
    case.results["keras_low"] = errors(values, refs, scale, steps, upto=F32_EXACT)
    case.results["keras"] = errors(values, refs, scale, steps)


def measure_optax(case: Case, steps: list[int], refs: list[Any], scale: Any) -> None:
    import jax
    import optax

    fn = case.optax(optax)  # type: ignore[misc]
    ok = [t for t in steps if t <= I32_MAX]
    out = jax.jit(jax.vmap(fn))(jax.numpy.asarray(ok, dtype=jax.numpy.int32))
    got = dict(zip(ok, (float(x) for x in out.tolist()), strict=True))
    values = [got.get(t) for t in steps]
    case.results["optax_low"] = errors(values, refs, scale, steps, upto=F32_EXACT)
    case.results["optax"] = errors(values, refs, scale, steps)


def measure_torch(case: Case, steps: list[int], refs: list[Any], scale: Any) -> None:
    import torch

    make, lr, n = case.torch  # type: ignore[misc]
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=lr)
    wanted = {t for t in steps if t < n}
    got: dict[int, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make(torch.optim.lr_scheduler, opt)
        for t in range(n):
            if t in wanted:
                got[t] = float(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
    values = [got.get(t) for t in steps]
    case.results["torch"] = errors(values, refs, scale, steps)
    case.results["torch_steps"] = n


def run(quick: bool, frameworks: bool, log: Any) -> list[Case]:
    todo = cases()
    covered = set().union(*(_classes(c.schedule) for c in todo))
    missing = set(k for k in lrkit.registry.known() if ">" not in k) - covered
    assert not missing, f"no case for {sorted(missing)}"
    available = {}
    if frameworks:
        for name in ("keras", "optax", "torch"):
            try:
                __import__(name)
                available[name] = True
            except ImportError:
                print(f"{name} is not installed: its column is left out", file=log)
    for case in todo:
        start = time.perf_counter()
        steps = sample_steps(case, quick)
        refs = [exact(case.schedule, case.kw, t) for t in steps]
        scale = max(abs(e) for e in refs)
        measure_lrkit(case, steps, refs, scale)
        if available.get("keras") and case.keras:
            measure_keras(case, steps, refs, scale)
        if available.get("optax") and case.optax:
            measure_optax(case, steps, refs, scale)
        if available.get("torch") and case.torch:
            measure_torch(case, steps, refs, scale)
        case.results["steps"] = len(steps)
        print(f"{case.label}: {len(steps)} steps, {time.perf_counter() - start:.1f} s", file=log)
    return todo


# -- the report ----------------------------------------------------------------------------------


def cell(result: Any) -> str:
    if result is None:
        return ""
    err = result[0]
    if err == 0:
        return "0"
    if not math.isfinite(err):
        return "inf"
    return f"{err:.1e}"


COLUMNS = [
    ("python", "lrkit Python float"),
    ("numpy64", "lrkit NumPy float64"),
    ("numpy32_low", "lrkit NumPy float32, t ≤ 2^24"),
    ("numpy32", "lrkit NumPy float32, all t"),
    ("keras_low", "Keras 3 (float32), t ≤ 2^24"),
    ("keras", "Keras 3, all t"),
    ("optax", "optax (float32, t < 2^31)"),
    ("torch", "PyTorch (stepped)"),
]


def table(done: list[Case]) -> str:
    used = [(k, title) for k, title in COLUMNS if any(k in c.results for c in done)]
    lines = [
        "| schedule | " + " | ".join(t for _, t in used) + " | lrkit pointwise |",
        "|---|" + "---:|" * (len(used) + 1),
    ]
    for c in done:
        cells = [cell(c.results.get(k)) for k, _ in used]
        lines.append(f"| {c.label} | " + " | ".join(cells) + f" | {c.results['pointwise']:.1e} |")
    return "\n".join(lines)


def summary(done: list[Case]) -> dict[str, Any]:
    def worst(key: str) -> float | None:
        found = [c.results[key][0] for c in done if c.results.get(key)]
        return max(found) if found else None

    return {k: worst(k) for k, _ in COLUMNS} | {
        "pointwise": max(c.results["pointwise"] for c in done),
        "cases": len(done),
        "steps": sum(c.results["steps"] for c in done),
    }


def spread(done: list[Case], key: str) -> str:
    """``median m, largest x (schedule)`` of a column, over the schedules it measures."""
    found = sorted((c.results[key][0], c.label) for c in done if c.results.get(key))
    if not found:
        return "n/a"
    median = found[len(found) // 2][0]
    top, label = found[-1]
    return f"median {median:.1e}, largest {top:.1e} ({label})"


def document(done: list[Case], quick: bool) -> str:
    s = summary(done)
    torch_steps = sorted({c.results["torch_steps"] for c in done if "torch_steps" in c.results})
    fmt = lambda x: "n/a" if x is None else f"{x:.1e}"  # noqa: E731
    notes = []
    if s["keras"] is not None:
        notes.append(
            "* Keras 3 computes in float32 and casts the step to float32. Steps up to 2^24:\n"
            f"  {spread(done, 'keras_low')}; all steps: {spread(done, 'keras')}. Its\n"
            "  `CosineDecayRestarts` finds the period with a float32 `log`, which puts some\n"
            "  steps in the wrong period (see [differences.md](differences.md))."
        )
    if s["optax"] is not None:
        notes.append(
            "* optax computes in float32 with int32 steps (JAX's defaults), so only steps\n"
            f"  below 2^31 are compared: {spread(done, 'optax')}."
        )
    if s["torch"] is not None:
        notes.append(
            "* PyTorch's schedulers are stateful: they are stepped over a real optimizer, up\n"
            f"  to {', '.join(map(str, torch_steps))} steps, and compared there. They compute\n"
            "  in float64, several recursively (each rate from the previous one), which adds\n"
            f"  about one ulp per step: {spread(done, 'torch')}."
        )
    frameworks = "\n".join(notes) + ("\n" if notes else "")
    return f"""# Precision

How far each schedule's values are from the exact ones, for lrkit and for the
libraries that have the same schedule. Generated by `python scripts/precision_report.py`
(this file is its output{" of a `--quick` run" if quick else ""}); the test suite runs
`--quick` and checks lrkit's float64 bound.

**Method.** Every schedule is evaluated at {s["steps"]} sampled steps in all
({s["cases"]} schedules): its phase boundaries and the steps on each side of them, every
power of two up to 2^40 (and some 2^k - 1), and seeded random steps, log-uniform up to
2^40. Each value is compared with an exact reference written from the documented
formula, independently of lrkit's code: discrete logic (staircases, cycles, restarts,
piecewise intervals) in exact rationals, everything else in mpmath at 50 digits
(tests/reference.py for the six Keras schedules, tests/test_modern_exact.py for the
twelve beyond Keras, compositions and Model Garden's classes built on those in the
script). A cell is the largest error **relative to the schedule's scale**,
`|value - exact| / max|exact|`, the convention of the test suite and of
[backends.md](backends.md); the last column is lrkit's largest pointwise relative
error `|value - exact| / |exact|` (Python floats).

* lrkit's Python floats and NumPy float64 (int64 steps): at most
  **{fmt(max(x for x in (s["python"], s["numpy64"]) if x is not None))}** everywhere, against
  the bound of 1e-12 that the script enforces (it exits non-zero above it). Pointwise,
  at most {fmt(s["pointwise"])}.
* lrkit's NumPy float32 (float32 steps), for steps up to 2^24, where every integer
  step is a float32 number: {spread(done, "numpy32_low")}. Above 2^24 a
  float32 step is rounded (to a multiple of 2 up to 2^25, of 4 up to 2^26, ...), so a
  schedule whose value depends on the exact step there (a cycle, a restart, a
  boundary) can be off by its whole range: all steps, {spread(done, "numpy32")}.
  Use integer steps (or float64) for long runs;
  lrkit's integer steps keep the phase logic exact. The largest float32 figures below
  2^24 are a parameter's float32 rounding amplified by the formula: `0.9995**t` with
  `0.9995` rounded to float32 is off by about `t` times that rounding (Keras alike).
{frameworks}
An empty cell: the library has no such schedule (or no equivalent with the same
semantics).

{table(done)}
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="lrkit only, fewer steps (seconds)")
    p.add_argument("--no-frameworks", action="store_true", help="leave Keras, optax, torch out")
    p.add_argument(
        "--output",
        help="write the markdown here (default: docs/precision.md for "
        "a full run, standard output for --quick)",
    )
    p.add_argument("--json", help="also write the figures as JSON here")
    args = p.parse_args(argv)
    log = sys.stderr
    done = run(args.quick, not (args.quick or args.no_frameworks), log)
    text = document(done, args.quick)
    output = args.output or (None if args.quick else os.path.join(ROOT, "docs", "precision.md"))
    if output and output != "-":
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {output}", file=log)
    else:
        sys.stdout.write(text)
    s = summary(done)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"summary": s, "cases": {c.label: c.results for c in done}}, f, indent=1)
    bad = [
        (c.label, k, c.results[k][0], c.results[k][1])
        for c in done
        for k in ("python", "numpy64")
        if c.results[k][0] > BOUND
    ]
    if bad:
        for label, key, err, step in bad:
            print(f"FAIL {label} ({key}): error {err:.2e} > {BOUND} at step {step}", file=log)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
