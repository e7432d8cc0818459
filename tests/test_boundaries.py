"""Phase boundaries and horizons (`lrkit.boundaries`): every built-in class answers its
own (`_boundaries`, `_horizon`), asserted against exact arithmetic written here and
against a scan of the schedule's own values for jumps and kinks."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

import pytest

import lrkit
import lrkit.registry
from lrkit.boundaries import MAX_BOUNDARIES, boundaries, horizon
from lrkit.core.base import LearningRateSchedule
from lrkit.model_garden import (
    CosineDecayWithOffset,
    DirectPowerDecay,
    ExponentialDecayWithOffset,
    LinearWarmup,
    PiecewiseConstantDecayWithOffset,
    PolynomialDecayWithOffset,
    PolynomialWarmUp,
    PowerAndLinearDecay,
    PowerDecayWithOffset,
    StepCosineDecayWithOffset,
)

#: every class lrkit registers itself (not a user's, registered by another test)
BUILTIN = {
    name: cls
    for name, cls in lrkit.registry.known().items()
    if ">" not in name and cls.__module__.startswith("lrkit.")
}


@dataclass
class Case:
    schedule: Any
    last: int | float
    expected: list[tuple[Any, str]]
    end: int | float | None
    #: scan steps lo..hi of the schedule's values for jumps and kinks (None: no scan)
    scan: tuple[int, int] | None = None
    #: every jump or kink the scan finds is claimed (False where lrkit marks none, why below)
    complete: bool = True
    #: claimed steps where the value goes on unchanged (a phase starts with the same rate)
    quiet: tuple[Any, ...] = ()
    #: the rate is constant from the horizon on (the shape has played out there)
    flat: bool = False

    def __repr__(self) -> str:
        return repr(self.schedule)


C = lrkit
E = lrkit.ExponentialDecay
PCD = lrkit.PiecewiseConstantDecay

# Expected values: each step written as the arithmetic that places it.
CASES = [
    # -- Keras's six -------------------------------------------------------------------
    Case(C.Constant(0.5), 100, [], None, scan=(0, 100)),
    Case(C.CosineDecay(1.0, 100), 500, [(100, "decay end")], 100, scan=(0, 300), flat=True),
    Case(
        C.CosineDecay(0.0, 100, warmup_target=1.0, warmup_steps=20),
        500,
        [(20, "warmup end"), (20 + 100, "decay end")],
        20 + 100,
        scan=(0, 300),
        flat=True,
    ),
    # no warmup target: Keras ignores warmup_steps
    Case(C.CosineDecay(1.0, 100, warmup_steps=20), 500, [(100, "decay end")], 100),
    Case(C.CosineDecay(1.0, 100.5), 500, [(100.5, "decay end")], 100.5, scan=(0, 200)),
    Case(
        C.CosineDecayRestarts(1.0, 40, t_mul=1.0, alpha=0.1),
        130,
        [(40, "restart"), (80, "restart"), (120, "restart")],
        4 * 40 - 1,
        scan=(0, 130),
    ),
    Case(
        C.CosineDecayRestarts(1.0, 20, t_mul=2.0, m_mul=0.5),
        200,
        [(20, "restart"), (20 + 40, "restart"), (20 + 40 + 80, "restart")],
        20 + 40 + 80 - 1,
        scan=(0, 200),
    ),
    Case(E(1.0, 10, 0.5), 500, [], 10 * 10, scan=(0, 300)),
    # the staircase's floors are jumps, not marked: the Keras decays have no boundaries
    Case(E(1.0, 10, 0.5, staircase=True), 100, [], 10 * 10, scan=(0, 100), complete=False),
    Case(C.InverseTimeDecay(1.0, 10, 0.5), 500, [], 10 * 10, scan=(0, 300)),
    Case(
        C.InverseTimeDecay(1.0, 10, 0.5, staircase=True),
        100,
        [],
        10 * 10,
        scan=(0, 100),
        complete=False,
    ),
    Case(C.PolynomialDecay(1.0, 100, 0.0, power=2.0), 500, [(100, "decay end")], 100, (0, 300)),
    Case(
        C.PolynomialDecay(1.0, 50, 0.0, cycle=True),
        160,
        [(50, "restart"), (100, "restart"), (150, "restart")],
        3 * 50,
        scan=(0, 160),
    ),
    Case(
        PCD([10, 20.5], [3.0, 2.0, 1.0]),
        100,
        [(10, "boundary"), (20.5, "boundary")],
        math.ceil(20.5 * 1.2),
        scan=(0, 100),
        flat=True,
    ),
    Case(PCD([], [1.0]), 100, [], None, scan=(0, 100)),
    # -- lrkit's families ----------------------------------------------------------------
    Case(
        C.Cosine(1.0, 100, alpha=0.1, cycles=3, warmup_steps=7),
        300,
        # cycle k starts where 3 e >= 100 k: e = ceil(100 k / 3) after the warmup
        [(7, "warmup end"), (7 + 34, "restart"), (7 + 67, "restart"), (7 + 100, "decay end")],
        7 + 100,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.Cosine(1.0, 200, warmup_steps=20, exponent=0.5),
        500,
        [(20, "warmup end"), (220, "decay end")],
        220,
        scan=(0, 400),
        flat=True,
    ),
    Case(
        C.CosineCycles(1.0, 50, cycle_limit=None, cycle_decay=0.5),
        180,
        [(50, "restart"), (100, "restart"), (150, "restart")],
        4 * 50 - 1,
        scan=(0, 180),
    ),
    Case(
        C.CosineCycles(1.0, 40, cycle_mul=2.0, cycle_limit=2, warmup_steps=10, warmup_prefix=True),
        500,
        [(10, "warmup end"), (10 + 40, "restart"), (10 + 40 + 80, "decay end")],
        10 + 40 + 80,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        # without warmup_prefix the cycles run on the global step
        C.CosineCycles(1.0, 40, cycle_limit=2, warmup_steps=10),
        500,
        [(10, "warmup end"), (40, "restart"), (80, "decay end")],
        80,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.Tanh(1.0, 1000, cycle_limit=2),
        2500,
        [(1000, "restart"), (2000, "decay end")],
        2000,
        scan=(0, 2500),
        flat=True,
    ),
    Case(
        C.Tanh(1.0, 100, cycle_mul=2.0, cycle_limit=2, warmup_steps=10),
        500,
        [(10, "warmup end"), (100, "restart"), (100 + 200, "decay end")],
        300,
        scan=(0, 400),
        flat=True,
    ),
    Case(
        # the momentum of a one-cycle turns where its rate does
        C.OneCycle(1.0, 100, pct_start=0.3).momentum(0.85, 0.95),
        200,
        [(29, "peak"), (99, "decay end")],
        99,
        scan=(0, 120),
        flat=True,
    ),
    Case(
        # a linear cooldown from step 60 of a warmed-up constant, over 30 steps
        C.Cooldown(C.Warmup(C.Constant(1.0), 10), 60, 30, shape="linear"),
        200,
        [(10, "warmup end"), (60, "decay start"), (90, "decay end")],
        90,
        scan=(0, 150),
        flat=True,
    ),
    Case(
        # milestones in epochs (3 and 5) at the steps of those epochs, 10 steps each
        C.Epochwise(C.MultiStep(1.0, [3, 5], gamma=0.5), 10, granularity="epoch"),
        100,
        [(30, "milestone"), (50, "milestone")],
        60,
        scan=(0, 100),
    ),
    Case(
        C.Epochwise(C.CosineDecay(1.0, 4), 10, granularity="step"),
        100,
        [(40, "decay end")],
        40,
        scan=(0, 100),
        flat=True,
    ),
    Case(
        C.PolyCycles(1.0, 100, power=2.0, k_decay=0.5, cycle_limit=2, warmup_steps=10),
        500,
        [(10, "warmup end"), (100, "restart"), (200, "decay end")],
        200,
        scan=(0, 400),
        flat=True,
    ),
    Case(
        # torch's CosineAnnealingLR: down to the minimum at T, back up to the peak at 2T
        # (one smooth cosine: its turning points show no kink)
        C.CosineAnnealing(1.0, 25, 0.1),
        110,
        [(25, "decay end"), (50, "restart"), (75, "decay end"), (100, "restart")],
        4 * 25,
        scan=(0, 110),
        quiet=(25, 50, 75, 100),
    ),
    Case(
        C.Cyclic(0.1, 1.0, step_size_up=20, step_size_down=10, mode="triangular2"),
        100,
        # a cycle every 20 + 10 steps, peaking 20 steps into it
        [(20, "peak"), (30, "cycle"), (50, "peak"), (60, "cycle"), (80, "peak"), (90, "cycle")],
        2 * (20 + 10),
        scan=(0, 100),
    ),
    Case(
        C.Cyclic(0.1, 1.0, 10, 0),  # no way down: the rate drops at each cycle's start
        35,
        [(10, "cycle"), (20, "cycle"), (30, "cycle")],
        2 * 10,
        scan=(0, 35),
    ),
    Case(
        C.Cyclic(0.1, 1.0, 20, mode="exp_range", gamma=0.99),
        90,
        [(20, "peak"), (40, "cycle"), (60, "peak"), (80, "cycle")],
        2 * (20 + 20),
        scan=(0, 90),
    ),
    Case(C.InverseSqrt(1.0, warmup_steps=100), 2000, [(100, "warmup end")], 10 * 100, (0, 800)),
    Case(C.InverseSqrt(1.0, timescale=10), 100, [], None, scan=(0, 100)),
    Case(
        C.Linear(1.0, 0.0, 40, transition_begin=10),
        100,
        [(10, "decay start"), (10 + 40, "decay end")],
        10 + 40,
        scan=(0, 100),
        flat=True,
    ),
    Case(C.Linear(0.0, 1.0, 40), 100, [(40, "warmup end")], 40, scan=(0, 100), flat=True),
    Case(C.Linear(0.0, 1.0, 0, transition_begin=25), 100, [(25, "warmup end")], 25, (0, 100)),
    Case(
        C.Polynomial(1.0, 100, warmup_steps=20),
        300,
        [(20, "warmup end"), (20 + 100, "decay end")],
        20 + 100,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        # optax's transition_begin: a "warmup" from the rate to itself holds it
        C.Polynomial(1.0, 100, power=2.0, warmup_steps=20, warmup_learning_rate=1.0),
        300,
        [(20, "decay start"), (20 + 100, "decay end")],
        20 + 100,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.PiecewiseLinear([(0, 0.0), (10, 1.0), (110, 0.1)]),
        300,
        [(10, "boundary"), (110, "boundary")],
        110,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.PiecewiseLinear([(0, 1.0), (50, 1.0), (50, 0.5), (100, 0.0)]),  # a jump at 50
        300,
        [(50, "boundary"), (100, "boundary")],
        100,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.PiecewiseLinear([(20, 1.0), (60, 0.5), (200, 0.0)], interpolation="cosine"),
        300,
        [(20, "boundary"), (60, "boundary"), (200, "boundary")],
        200,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.OneCycle(1.0, 100, pct_start=0.3, div_factor=10.0, final_div_factor=10.0),
        300,
        # torch: the peak at pct_start * T - 1, the end at T - 1
        [(30 - 1, "peak"), (100 - 1, "decay end")],
        100 - 1,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.OneCycle(1.0, 11, pct_start=0.5, anneal_strategy="linear", div_factor=4.0),
        30,
        [(0.5 * 11 - 1, "peak"), (11 - 1, "decay end")],  # a peak between steps 4 and 5
        11 - 1,
        scan=(0, 30),
        flat=True,
    ),
    Case(
        C.OneCycle(
            1.0,
            100,
            pct_start=0.25,
            three_phase=True,
            pct_final=0.75,
            anneal_strategy="linear",
            convention="optax",
        ),
        300,
        # optax: floor(pct * T), the end at T
        [(25, "peak"), (75, "phase end"), (100, "decay end")],
        100,
        scan=(0, 300),
        flat=True,
    ),
    # the peak at 0 * 100 - 1 = -1: step 0 is on the way down already
    Case(C.OneCycle(1.0, 100, pct_start=0.0), 300, [(100 - 1, "decay end")], 100 - 1, (0, 300)),
    Case(
        C.Step(1.0, 30, 0.5),
        100,
        [(30, "step"), (60, "step"), (90, "step")],
        10 * 30,
        scan=(0, 100),
    ),
    Case(
        C.Step(1.0, 30, 0.5, warmup_steps=5),  # timm's warmup_prefix: steps after the warmup
        100,
        [(5, "warmup end"), (5 + 30, "step"), (5 + 60, "step"), (5 + 90, "step")],
        5 + 10 * 30,
        scan=(0, 100),
    ),
    Case(
        C.Step(1.0, 30, 0.5, warmup_steps=5, warmup_prefix=False),
        100,
        [(5, "warmup end"), (30, "step"), (60, "step"), (90, "step")],
        5 + 10 * 30,
        scan=(0, 100),
    ),
    Case(
        C.MultiStep(1.0, [30, 80, 30], 0.5),
        200,
        [(30, "milestone"), (80, "milestone")],
        math.ceil(80 * 1.2),
        scan=(0, 200),
        flat=True,
    ),
    Case(
        C.MultiStep(1.0, [30, 80], 0.5, warmup_steps=10),
        200,
        [(10, "warmup end"), (10 + 30, "milestone"), (10 + 80, "milestone")],
        10 + math.ceil(80 * 1.2),
        scan=(0, 200),
        flat=True,
    ),
    Case(C.MultiStep(1.0, [], warmup_steps=10), 200, [(10, "warmup end")], 10 * 10, (0, 200)),
    Case(
        C.WarmupStableDecay(1.0, total_steps=100, warmup_fraction=0.07, decay_steps=0),
        300,
        [(7, "warmup end"), (100, "decay end")],  # no decay: the rate drops at the end
        100,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.WarmupStableDecay(1.0, stable_steps=50, decay_steps=30, decay_shape="1-sqrt"),
        300,
        [(50, "decay start"), (50 + 30, "decay end")],
        50 + 30,
        scan=(0, 300),
        flat=True,
    ),
    # -- compositions --------------------------------------------------------------------
    Case(C.Warmup(E(1.0, 10, 0.5), 4), 100, [(4, "warmup end")], 4 + 10 * 10, (0, 100)),
    Case(
        C.Warmup(C.CosineDecayRestarts(0.1, 100), 50),
        400,
        [(50, "warmup end"), (50 + 100, "restart"), (50 + 300, "restart")],
        50 + 700 - 1,
        scan=(0, 400),
    ),
    Case(
        C.Warmup(PCD([10], [1.0, 0.5]), 5, step_mode="global"),
        100,
        [(5, "warmup end"), (10, "boundary")],
        math.ceil(10 * 1.2),
        scan=(0, 100),
    ),
    Case(
        C.Warmup(C.Constant(1.0), 10, step_mode="global"),
        100,
        [(10, "warmup end")],
        math.ceil(10 * 1.2),
        scan=(0, 100),
        flat=True,
    ),
    Case(
        C.Join([C.Constant(1.0), C.CosineDecay(1.0, 50)], [100]),
        1000,
        [(100, "join"), (100 + 50, "decay end")],
        100 + 50,
        scan=(0, 300),
        quiet=(100,),  # the cosine starts at the constant's rate
        flat=True,
    ),
    Case(
        C.Join([C.CosineDecay(1.0, 500), C.CosineDecay(1.0, 50)], [100], step_mode="global"),
        1000,
        [(100, "join")],
        math.ceil(100 * 1.2),
        scan=(0, 300),
        flat=True,
    ),
    Case(
        C.Offset(PCD([10], [1.0, 0.5]), 100),
        200,
        [(100, "offset"), (100 + 10, "boundary")],
        100 + math.ceil(10 * 1.2),
        scan=(0, 200),
        quiet=(100,),  # the first value holds before the offset and after it
        flat=True,
    ),
    Case(C.Scale(C.CosineDecay(1.0, 50), 0.5), 100, [(50, "decay end")], 50, (0, 100)),
    Case(
        0.5 * C.CosineDecay(1.0, 50) + PCD([20], [0.0, 0.1]),
        100,
        [(20, "boundary"), (50, "decay end")],
        50,
        scan=(0, 100),
        flat=True,
    ),
    Case(
        C.Constant(0.1) * C.Step(1.0, 25, 0.5),
        80,
        [(25, "step"), (50, "step"), (75, "step")],
        10 * 25,
        scan=(0, 80),
    ),
    Case(C.Clamp(C.CosineDecay(1.0, 50), max_value=2.0), 100, [(50, "decay end")], 50, (0, 100)),
    # -- Model Garden --------------------------------------------------------------------
    Case(
        ExponentialDecayWithOffset(50, initial_learning_rate=1.0, decay_steps=20, decay_rate=0.5),
        400,
        [(50, "offset")],
        50 + 10 * 20,
        scan=(0, 400),
    ),
    Case(
        PiecewiseConstantDecayWithOffset(100, boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
        200,
        [(100, "offset"), (100 + 10, "boundary"), (100 + 20, "boundary")],
        100 + math.ceil(20 * 1.2),
        scan=(0, 200),
        quiet=(100,),
        flat=True,
    ),
    Case(
        # a negative offset starts part-way: the boundary at 5 is gone, 30 is at 20
        PiecewiseConstantDecayWithOffset(-10, boundaries=[5, 30], values=[1.0, 0.5, 0.1]),
        200,
        [(30 - 10, "boundary")],
        math.ceil(30 * 1.2) - 10,
        scan=(0, 200),
        flat=True,
    ),
    Case(
        PolynomialDecayWithOffset(
            10, initial_learning_rate=1.0, decay_steps=100, end_learning_rate=0.0
        ),
        300,
        [(10, "offset"), (10 + 100, "decay end")],
        10 + 100,
        scan=(0, 300),
        flat=True,
    ),
    Case(
        CosineDecayWithOffset(
            100, initial_learning_rate=0.0, decay_steps=200, warmup_target=1.0, warmup_steps=20
        ),
        500,
        [(100, "offset"), (100 + 20, "warmup end"), (100 + 20 + 200, "decay end")],
        100 + 20 + 200,
        scan=(0, 500),
        flat=True,
    ),
    # (step 0 has the rate of step 1: that one-step hold is not marked; scanned from 3)
    Case(DirectPowerDecay(1.0, power=-0.5), 100, [], None, scan=(3, 100)),
    Case(
        PowerAndLinearDecay(
            1.0, total_decay_steps=200, power=-0.5, linear_decay_fraction=0.25, offset=20
        ),
        400,
        # the ramp: the last 200 * 0.25 = 50 steps of the decay
        [(20, "offset"), (20 + 200 - 50, "decay start"), (20 + 200, "decay end")],
        20 + 200,
        scan=(0, 400),
        flat=True,
    ),
    Case(
        PowerAndLinearDecay(1.0, total_decay_steps=200, power=-0.5, linear_decay_fraction=0.0),
        400,
        [],
        200,
        scan=(3, 400),
    ),
    Case(
        PowerDecayWithOffset(1.0, power=-0.5, offset=10, pre_offset_learning_rate=1.0),
        100,
        [(10, "offset")],
        None,
        scan=(0, 100),
    ),
    Case(
        StepCosineDecayWithOffset([0, 100, 300], [1.0, 0.5, 0.1]),
        500,
        [(100, "boundary"), (300, "boundary")],
        math.ceil(300 * 1.2),
        scan=(0, 500),
        flat=True,
    ),
    Case(
        StepCosineDecayWithOffset([20, 120], [1.0, 0.2], offset=30),
        500,
        [(30, "offset"), (30 + 20, "boundary"), (30 + 120, "boundary")],
        30 + math.ceil(120 * 1.2),
        scan=(0, 500),
        quiet=(30,),  # the first value holds until the first level starts
        flat=True,
    ),
    Case(
        LinearWarmup(E(1.0, 10, 0.5), warmup_steps=10, warmup_learning_rate=0.0),
        200,
        [(10, "warmup end")],
        10 * 10,  # the decay runs on the global step: ten of its periods from step 0
        scan=(0, 200),
    ),
    Case(LinearWarmup(0.1, 4, 0.0), 100, [(4, "warmup end")], math.ceil(4 * 1.2), (0, 100)),
    Case(
        PolynomialWarmUp(PCD([50], [1.0, 0.5]), warmup_steps=20, power=2.0),
        200,
        [(20, "warmup end"), (50, "boundary")],
        math.ceil(50 * 1.2),
        scan=(0, 200),
        flat=True,
    ),
]


def test_every_builtin_class_has_cases():
    """A new class without boundaries, or without cases here, fails."""
    covered = {type(case.schedule).__name__ for case in CASES}
    assert sorted(set(BUILTIN) - covered) == []


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_builtin_class_answers_itself(name):
    """`_boundaries` and `_horizon` are the class's own, from its own module."""
    cls = BUILTIN[name]
    for method in ("_boundaries", "_horizon"):
        own = getattr(cls, method)
        assert own is not getattr(LearningRateSchedule, method), (name, method)
        assert own.__module__ == cls.__module__, (name, method, own.__module__)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_boundaries_and_horizon_are_exact(case):
    got = boundaries(case.schedule, case.last)
    assert got == case.expected
    # integers where the schedule's logic is integer (no 100.0 for 100)
    assert [type(b) for b, _ in got] == [type(b) for b, _ in case.expected]
    assert horizon(case.schedule) == case.end
    assert type(horizon(case.schedule)) is type(case.end)


def _second_differences(s: Any, lo: int, hi: int) -> dict[int, float]:
    """``s(t + 1) - 2 s(t) + s(t - 1)`` for ``t`` in ``lo - 2 .. hi + 2`` (0 outside the
    steps >= 0), in exact Python numbers (float64 rates)."""
    ys = {t: s(t) for t in range(max(lo - 3, 0), hi + 4)}
    return {
        t: ys[t + 1] - 2 * ys[t] + ys[t - 1]
        for t in range(max(lo - 2, 1), hi + 3)
        if t - 1 in ys and t + 1 in ys
    }


TOL = 1e-9  # far above float64 rounding of rates near 1, far below any jump or kink here


def _kinks(d2: dict[int, float], lo: int, hi: int) -> set[int]:
    """Where the curve jumps or bends: a second difference that stands out from those
    two steps on either side (a smooth curve's change slowly)."""
    out = set()
    for t in range(lo + 1, hi):
        around = [abs(d2[u]) for u in (t - 2, t + 2) if u in d2]
        if t in d2 and around and abs(d2[t]) > TOL and abs(d2[t]) > 4 * max(around):
            out.add(t)
    return out


def _curvature_changes(d2: dict[int, float], b: int) -> bool:
    """Whether the curve bends one way just before ``b`` and another just after (a
    smooth join of two pieces, as a cosine's end into a constant): two second
    differences on each side, alike within a side, different across."""
    sides = [[d2.get(b - 2), d2.get(b - 1)], [d2.get(b + 1), d2.get(b + 2)]]
    if any(x is None for side in sides for x in side):
        return False
    left, right = sides
    scale = max(abs(x) for x in (*left, *right))
    alike = all(max(side) - min(side) <= 0.25 * scale for side in sides)
    return scale > TOL and alike and abs(sum(left) - sum(right)) / 2 > 0.5 * scale


def _near(b: Any) -> set[int]:
    """The steps a change at ``b`` shows in: two on either side."""
    return set(range(math.floor(b) - 2, math.ceil(b) + 3))


SCANNED = [case for case in CASES if case.scan is not None]


@pytest.mark.parametrize("case", SCANNED, ids=repr)
def test_boundaries_are_where_the_values_change(case):
    """Each claimed boundary is where the schedule's values jump, bend or change
    curvature; each jump or bend the values show is claimed."""
    lo, hi = case.scan
    s = case.schedule
    d2 = _second_differences(s, lo, hi)
    kinks = _kinks(d2, lo, hi)
    claimed = [b for b, _ in boundaries(s, hi + 2) if lo < b < hi]
    for b in claimed:
        if b in case.quiet:
            assert not kinks & _near(b), (b, "quiet, yet the values change")
            continue
        assert kinks & _near(b) or _curvature_changes(d2, math.floor(b)), (b, "no change")
    if case.complete:
        unclaimed = {t for t in kinks if not any(t in _near(b) for b in claimed)}
        assert unclaimed == set()
    else:
        assert kinks  # the reason it is exempt: jumps that are not marked


@pytest.mark.parametrize("case", [c for c in CASES if c.flat], ids=repr)
def test_the_shape_has_played_out_at_the_horizon(case):
    s, h = case.schedule, case.end
    assert all(s(h + k) == s(h) for k in (1, 2, 7, 100, 10**6))


# -- the defects this design fixes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (C.Step(0.1, 100), [(100, "step"), (200, "step"), (300, "step")]),
        (C.OneCycle(0.1, 300), [(0.3 * 300 - 1, "peak"), (300 - 1, "decay end")]),
        (C.Cyclic(0.01, 0.1, 100), [(100, "peak"), (200, "cycle"), (300, "peak")]),
        (C.Linear(0.1, 0.0, 200, transition_begin=50), [(50, "decay start"), (250, "decay end")]),
        (C.PiecewiseLinear([(0, 0.0), (100, 0.1), (400, 0.0)]), [(100, "boundary")]),
        (C.Tanh(0.1, 100, cycle_limit=3), [(100, "restart"), (200, "restart"), (300, "decay end")]),
        (C.CosineCycles(0.1, 150, cycle_limit=2), [(150, "restart"), (300, "decay end")]),
        (C.Cosine(0.1, 450, cycles=3), [(150, "restart"), (300, "restart")]),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, LearningRateSchedule) else "",
)
def test_classes_that_had_no_boundary_marked_have_them(schedule, expected):
    assert boundaries(schedule, 300) == expected


def test_wsd_marks_its_decay_start_and_end():
    s = C.WarmupStableDecay(0.1, total_steps=1000, warmup_steps=100, decay_fraction=0.2)
    # the decay: ceil(0.2 * 1000) = 200 steps, so it starts at 1000 - 200
    assert boundaries(s, 1000) == [(100, "warmup end"), (800, "decay start"), (1000, "decay end")]
    assert horizon(s) == 1000


def test_cosine_cycles_horizon_is_where_the_decay_ends():
    assert horizon(C.Cosine(0.1, 9000, cycles=3)) == 9000  # not 3 * 9000
    assert boundaries(C.Cosine(0.1, 9000, cycles=3), 27000) == [
        (3000, "restart"),
        (6000, "restart"),
        (9000, "decay end"),
    ]


def test_timm_cycles_horizon_is_where_the_cycles_end():
    s = C.CosineCycles(0.1, 1000, cycle_mul=2, cycle_limit=3)
    assert horizon(s) == 1000 + 2000 + 4000  # not 3 * 1000
    assert boundaries(s, 10**4) == [(1000, "restart"), (3000, "restart"), (7000, "decay end")]


@pytest.mark.parametrize(
    "schedule",
    [
        C.Step(0.1, 1),
        C.Cyclic(0.0, 1.0, 1, 1),
        C.CosineDecayRestarts(0.1, 1, t_mul=1.0),
        C.CosineCycles(0.1, 1, cycle_limit=None),
        C.PolynomialDecay(0.1, 1, cycle=True),
        C.Cosine(0.1, 10**9, cycles=10**9),
        C.Warmup(C.Step(0.1, 1), 5),
        C.Join([C.Step(0.1, 1), C.Step(0.1, 1)], [10**8]),
    ],
    ids=repr,
)
def test_generation_stops_at_max_boundaries(schedule):
    """A boundary every step up to 10**9 (or 10**12): the first MAX_BOUNDARIES only,
    generated without a loop over the steps (this would not return otherwise)."""
    for last in (10**9, 10**12, math.inf):
        got = boundaries(schedule, last)
        assert len(got) == MAX_BOUNDARIES
        assert [b for b, _ in got] == sorted({b for b, _ in got})
        assert got[-1][0] <= 2 * MAX_BOUNDARIES + 5


def test_only_boundaries_up_to_last_step():
    s = C.Step(0.1, 1)
    assert boundaries(s, 10) == [(k, "step") for k in range(1, 11)]
    assert boundaries(s, 10.5) == [(k, "step") for k in range(1, 11)]
    assert boundaries(s, 0) == []
    assert boundaries(C.CosineDecayRestarts(0.1, 10, t_mul=2.0), 29) == [(10, "restart")]


def test_restart_steps_are_the_formula_s():
    """Each restart claimed is the first step of a period: the full peak (the restart
    table's exact integers, not a float logarithm's)."""
    s = C.CosineDecayRestarts(1.0, 3, t_mul=3.0, m_mul=0.5)
    got = boundaries(s, 10**15)
    # B_i = 3 (3**i - 1) / 2
    assert [b for b, _ in got] == [3 * (3**i - 1) // 2 for i in range(1, len(got) + 1)]
    for i, (b, _) in enumerate(got[:30], start=1):
        assert s(b) == 0.5**i and s(b - 1) < s(b)  # the peak, after the period's end


# -- moved here: the boundaries and horizons the CLI's plots mark --------------------------


@pytest.mark.parametrize(
    ("schedule", "last", "expected", "end"),
    [
        (lrkit.Constant(0.1), 100, [], None),
        (lrkit.ExponentialDecay(0.1, 100, 0.5, staircase=True), 1000, [], 1000),
        (lrkit.CosineDecay(0.1, 1000), 5000, [(1000, "decay end")], 1000),
        (lrkit.CosineDecay(0.1, 1000, warmup_steps=100), 5000, [(1000, "decay end")], 1000),
        (lrkit.PolynomialDecay(0.1, 100), 1000, [(100, "decay end")], 100),
        (
            lrkit.PolynomialDecay(0.1, 100, cycle=True),
            250,
            [(100, "restart"), (200, "restart")],
            300,
        ),
        (
            lrkit.PiecewiseConstantDecay([10, 20.5], [3.0, 2.0, 1.0]),
            100,
            [(10, "boundary"), (20.5, "boundary")],
            25,
        ),
        (
            lrkit.CosineDecayRestarts(0.1, 10, t_mul=1.0),
            35,
            [(10, "restart"), (20, "restart"), (30, "restart")],
            39,
        ),
        (
            lrkit.CosineDecayRestarts(0.1, 10, t_mul=2.0),
            100,
            [(10, "restart"), (30, "restart"), (70, "restart")],
            69,
        ),
        (
            lrkit.CosineDecayRestarts(0.1, 10, t_mul=0.5),
            100,
            [(10, "restart"), (15, "restart"), (17.5, "restart")],
            None,
        ),
        (
            lrkit.Offset(lrkit.PiecewiseConstantDecay([10], [1.0, 0.5]), 100),
            200,
            [(100, "offset"), (110, "boundary")],
            112,
        ),
        (
            lrkit.Warmup(lrkit.PiecewiseConstantDecay([10], [1.0, 0.5]), 5, step_mode="global"),
            100,
            [(5, "warmup end"), (10, "boundary")],
            12,
        ),
        (
            lrkit.Join([lrkit.Constant(1.0), lrkit.CosineDecay(1.0, 50)], [100]),
            1000,
            [(100, "join"), (150, "decay end")],
            150,
        ),
        (
            lrkit.Join(
                [lrkit.CosineDecay(1.0, 500), lrkit.CosineDecay(1.0, 50)], [100], step_mode="global"
            ),
            1000,
            [(100, "join")],
            120,
        ),
        (
            0.5 * lrkit.CosineDecay(1.0, 50) + lrkit.PiecewiseConstantDecay([20], [0.0, 0.1]),
            100,
            [(20, "boundary"), (50, "decay end")],
            50,
        ),
        (lrkit.Clamp(lrkit.CosineDecay(1.0, 50), min_value=0.1), 100, [(50, "decay end")], 50),
    ],
)
def test_boundaries_and_horizon(schedule, last, expected, end):
    got = boundaries(schedule, last)
    assert [(b, label) for b, label in got[: len(expected)]] == expected
    assert len(got) == len(expected) or isinstance(schedule, lrkit.CosineDecayRestarts)
    h = horizon(schedule)
    if end is None:
        assert h is None or isinstance(schedule, lrkit.CosineDecayRestarts)
    else:
        assert h == end


def test_t_mul_below_one_ends_its_restarts():
    s = lrkit.CosineDecayRestarts(1.0, 10, t_mul=0.5)
    got = boundaries(s, 100)
    assert got[-1][1] == "end of restarts" and 19.9 < got[-1][0] <= 20
    assert 20 <= horizon(s) <= 23


def test_a_schedule_of_your_own_answers_the_protocol():
    class Phased(lrkit.LearningRateSchedule):
        def __call__(self, step):
            return 0.1

        def _boundaries(self, last_step):
            return [(300, "late"), (50, "early"), (50, "again"), (10**9, "beyond")]

        def _horizon(self):
            return 400

    assert boundaries(Phased(), 1000) == [(50, "early"), (300, "late")]
    assert horizon(Phased()) == 400
    assert boundaries(lrkit.Warmup(Phased(), 10), 1000)[:2] == [(10, "warmup end"), (60, "early")]
    assert boundaries(lambda t: 0.1, 100) == [] and horizon(lambda t: 0.1) is None


def test_unknown_schedules_get_a_guess_from_their_config():
    class KerasStyle(lrkit.LearningRateSchedule):
        def __init__(self, warmup_steps, decay_steps, boundaries):
            self.warmup_steps, self.decay_steps, self.boundaries = (
                warmup_steps,
                decay_steps,
                boundaries,
            )

        def __call__(self, step):
            return 0.1

        def get_config(self):
            return {
                "warmup_steps": self.warmup_steps,
                "decay_steps": self.decay_steps,
                "boundaries": self.boundaries,
            }

    s = KerasStyle(100, 1000, [400, 800])
    assert boundaries(s, 2000) == [(100, "warmup end"), (400, "boundary"), (800, "boundary")]
    assert horizon(s) == 1100
    # inside a composition, the guess is shifted as the class's own would be
    assert boundaries(lrkit.Offset(s, 10), 2000)[:2] == [(10, "offset"), (110, "warmup end")]


def test_many_boundaries_are_capped():
    got = boundaries(lrkit.CosineDecayRestarts(0.1, 1, t_mul=1.0), 10**12)
    assert len(got) == MAX_BOUNDARIES and got[0] == (1, "restart")


def test_a_class_of_your_own_defining_nothing_has_the_defaults():
    class Plain(lrkit.LearningRateSchedule):
        def __call__(self, step):
            return 0.1

    assert Plain()._boundaries(100) == [] and Plain()._horizon() is None
    assert boundaries(Plain(), 100) == [] and horizon(Plain()) is None
    assert inspect.getdoc(LearningRateSchedule._boundaries).startswith("The phase boundaries")
