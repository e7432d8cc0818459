"""Soak: every schedule over 10**8 steps on NumPy, in chunks of 10**6 steps.

For each schedule, chunks of 10**6 int64 steps are evaluated one after another:

* the contiguous steps ``[0, 10**6)``, where the phases (warmups, decays, restarts,
  boundaries) of these configs happen, first and again last;
* in between, strided chunks ``offset + 100 * [0, 10**6)``, each spanning the whole
  range ``[0, 10**8)``: by default four of them (offsets 1, 29, 58, 97, so 4 % of the
  steps below 10**8); with ``LRKIT_SOAK=full`` all 100 offsets, so that every step
  below 10**8 is evaluated.

Each chunk must hold finite float64 values, agree with the Python-number path at
sampled steps (to 1e-12 of the schedule's scale), and be non-increasing where the
schedule promises it (a decay after its warmup). Memory must stay flat: the
tracemalloc peak of a chunk is within a few percent of the first chunk of its kind
(the last contiguous chunk peaks as the first did; every strided chunk as the first
strided one), and nothing is kept between chunks. The soak is bounded by the work it
does (a fixed number of chunks), never by a clock: speed is the benchmarks' business.

The default run takes about 20 s; ``LRKIT_SOAK=full`` a few minutes.
"""

from __future__ import annotations

import gc
import math
import os
import random
import tracemalloc
from typing import Any

import pytest

import lrkit
from conftest import require
from lrkit import model_garden as mg

TOTAL = 10**8
CHUNK = 10**6
STRIDE = TOTAL // CHUNK  # 100: a strided chunk spans the whole range
FULL = os.environ.get("LRKIT_SOAK", "") == "full"
OFFSETS = list(range(STRIDE)) if FULL else [1, 29, 58, 97]


def _schedules() -> list[tuple[str, Any, int | None]]:
    """``(id, schedule, monotone_from)``: non-increasing from that step on, or None."""
    X = lrkit
    cos = X.CosineDecay(0.1, 500_000, alpha=0.01)
    return [
        ("exponential", X.ExponentialDecay(0.1, 10_000, 0.96), 0),
        ("exponential-staircase", X.ExponentialDecay(0.1, 10_000, 0.5, staircase=True), 0),
        ("inverse-time", X.InverseTimeDecay(0.1, 1000, 0.5), 0),
        (
            "piecewise",
            X.PiecewiseConstantDecay([1000, 50_000, 3 * 10**7], [0.1, 0.05, 0.01, 0.001]),
            0,
        ),
        ("polynomial", X.PolynomialDecay(0.1, 800_000, 1e-4, power=0.5), 0),
        ("polynomial-cycle", X.PolynomialDecay(0.1, 300_000, 1e-4, cycle=True), None),
        ("cosine", cos, 0),
        (
            "cosine-warmup",
            X.CosineDecay(0.0, 500_000, warmup_target=0.1, warmup_steps=10_000),
            10_000,
        ),
        ("restarts", X.CosineDecayRestarts(0.1, 1000, t_mul=2.0, m_mul=0.9), None),
        ("restarts-t1", X.CosineDecayRestarts(0.1, 7919, t_mul=1.0, alpha=0.1), None),
        ("constant", X.Constant(0.1), 0),
        ("linear", X.Linear(0.1, 0.0, 700_000, transition_begin=1000), 0),
        ("polynomial-warmup", X.Polynomial(0.1, 900_000, power=2.0, warmup_steps=5000), 5000),
        ("piecewise-linear", X.PiecewiseLinear([(0, 0.0), (1000, 0.1), (10**7, 0.001)]), 1000),
        ("inverse-sqrt", X.InverseSqrt(0.1, warmup_steps=4000), 4000),
        (
            "wsd",
            X.WarmupStableDecay(0.1, total_steps=900_000, warmup_fraction=0.01, decay_fraction=0.2),
            9000,
        ),
        ("one-cycle", X.OneCycle(0.1, 800_000), None),
        ("cyclic", X.Cyclic(0.01, 0.1, step_size_up=2000, mode="triangular2"), None),
        ("cyclical-momentum", X.OneCycle(0.1, 800_000, three_phase=True).momentum(), None),
        ("cosine-waves", X.Cosine(0.1, 900_000, waves=1.0, cycles=3, warmup_steps=100), None),
        (
            "cosine-cycles",
            X.CosineCycles(0.1, 10_000, cycle_mul=2.0, cycle_decay=0.7, cycle_limit=None),
            None,
        ),
        ("tanh", X.Tanh(0.1, 10_000, cycle_mul=1.5, cycle_limit=None), None),
        (
            "poly-cycles",
            X.PolyCycles(0.1, 10_000, power=2.0, cycle_mul=2.0, cycle_limit=None, k_decay=2.0),
            None,
        ),
        ("cosine-annealing", X.CosineAnnealing(0.1, 300_000, min_learning_rate=1e-4), None),
        ("step", X.Step(0.1, 10_000, gamma=0.9), 0),
        ("multistep", X.MultiStep(0.1, [1000, 10**6, 5 * 10**7], gamma=0.1), 0),
        ("warmup", X.Warmup(cos, 10_000), 10_000),
        ("join", X.Join([X.Linear(0.0, 0.1, 1000), cos], [1000]), 1000),
        ("offset", X.Offset(cos, 250_000), 0),
        ("clamp", X.Clamp(X.ExponentialDecay(0.1, 1000, 0.5), min_value=1e-5), 0),
        ("sum-product", 0.5 * cos + cos * X.Linear(1.0, 0.5, 10**6), 0),
        (
            "mg-cosine",
            mg.CosineDecayWithOffset(offset=1000, initial_learning_rate=0.1, decay_steps=500_000),
            0,
        ),
        (
            "mg-exponential",
            mg.ExponentialDecayWithOffset(
                offset=1000, initial_learning_rate=0.1, decay_steps=10_000, decay_rate=0.9
            ),
            0,
        ),
        (
            "mg-piecewise",
            mg.PiecewiseConstantDecayWithOffset(
                offset=10, boundaries=[1000, 10**6], values=[0.1, 0.01, 0.001]
            ),
            0,
        ),
        (
            "mg-polynomial",
            mg.PolynomialDecayWithOffset(offset=10, initial_learning_rate=0.1, decay_steps=10**6),
            0,
        ),
        ("cooldown", lrkit.Cooldown(lrkit.CosineDecay(0.1, 10**6), 500_000, 200_000), 0),
        (
            "epochwise",
            lrkit.Epochwise(lrkit.CosineDecay(0.1, 90), 10_000, granularity="step"),
            0,
        ),
        ("mg-power", mg.DirectPowerDecay(0.1, power=-0.5), 0),
        ("mg-power-linear", mg.PowerAndLinearDecay(0.1, 10**6, power=-0.5), 0),
        (
            "mg-power-offset",
            mg.PowerDecayWithOffset(0.1, power=-0.5, offset=1000, pre_offset_learning_rate=0.1),
            0,
        ),
        ("mg-step-cosine", mg.StepCosineDecayWithOffset([0, 10_000, 10**6], [0.1, 0.01, 0.001]), 0),
        (
            "mg-linear-warmup",
            mg.LinearWarmup(
                mg.CosineDecayWithOffset(offset=0, initial_learning_rate=0.1, decay_steps=10**6),
                1000,
                0.0,
            ),
            1000,
        ),
        (
            "mg-polynomial-warmup",
            mg.PolynomialWarmUp(
                mg.CosineDecayWithOffset(offset=0, initial_learning_rate=0.1, decay_steps=10**6),
                1000,
            ),
            1000,
        ),
    ]


SCHEDULES = _schedules()


def test_every_class_soaks():
    def classes(s: Any) -> set[str]:
        out = {type(s).__name__}
        for c in (
            getattr(s, "schedule", None),
            getattr(s, "after_warmup_lr_sched", None),
            *getattr(s, "schedules", ()),
        ):
            if isinstance(c, lrkit.LearningRateSchedule):
                out |= classes(c)
        return out

    covered = set().union(*(classes(s) for _, s, _ in SCHEDULES))
    assert covered == {k for k in lrkit.registry.known() if ">" not in k}


def _chunks(np: Any):
    yield "contiguous", np.arange(0, CHUNK, dtype=np.int64)
    for offset in OFFSETS:
        yield "strided", np.arange(offset, TOTAL, STRIDE, dtype=np.int64)
    yield "contiguous", np.arange(0, CHUNK, dtype=np.int64)


def _check_chunk(
    np: Any,
    schedule: Any,
    label: str,
    steps: Any,
    monotone_from: int | None,
    scale: float,
    rng: random.Random,
) -> None:
    """One chunk's values: finite float64, equal to Python's, non-increasing if promised
    (every temporary is freed on return)."""
    out = schedule(steps)
    assert out.dtype == np.float64 and out.shape == steps.shape, label
    finite = np.isfinite(out)
    assert finite.all(), f"{label}: not finite at step {steps[~finite][0]}"
    if monotone_from is not None:
        tail = out[steps >= monotone_from]
        rises = np.flatnonzero(np.diff(tail) > 0)
        if rises.size:
            at = steps[steps >= monotone_from][rises[0]]
            raise AssertionError(f"{label}: rises after step {at}")
    for i in rng.sample(range(len(steps)), 3):
        t = int(steps[i])
        assert abs(float(out[i]) - schedule(t)) <= 1e-12 * scale, (label, t)


@pytest.mark.parametrize(
    ("schedule", "monotone_from"), [pytest.param(s, m, id=i) for i, s, m in SCHEDULES]
)
def test_soak(schedule, monotone_from):
    np = require("numpy")
    rng = random.Random(repr(schedule))
    scale = max(abs(schedule(t)) for t in (0, 1, 1000, 10**4, 10**5, 10**6, TOTAL - 1)) or 1.0
    peaks: dict[str, list[int]] = {"contiguous": [], "strided": []}
    leftovers: list[int] = []
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        for label, steps in _chunks(np):
            tracemalloc.reset_peak()
            _check_chunk(np, schedule, label, steps, monotone_from, scale, rng)
            peaks[label].append(tracemalloc.get_traced_memory()[1])
            del steps
            gc.collect()
            leftovers.append(tracemalloc.get_traced_memory()[0] - baseline)
    finally:
        tracemalloc.stop()
    # flat memory: a chunk peaks where the first of its kind did (a chunk is 8 MB of
    # steps and 8 MB of rates; its temporaries are freed when it returns) ...
    for kind, seen in peaks.items():
        assert max(seen) <= seen[0] * 1.05 + 2**20, (kind, [p / 2**20 for p in seen])
    # ... and nothing stays behind
    assert max(leftovers) - leftovers[0] <= 2**20, [x / 2**20 for x in leftovers]
    assert not math.isnan(scale)
