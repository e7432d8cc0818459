"""Python scalar calls: ``s(step)`` with an ``int``, against hand-written Python.

Targets: lrkit at most 1.5x the hand-written callable object for every case, and a
warmup + cosine composition at most 1.3x the plain cosine.
"""

from __future__ import annotations

import math
from typing import Any

from benchmarks._report import Case, Report
from benchmarks._timing import Settings, compare, loop_timer, wall
from benchmarks.specs import Spec, all_specs

OBJECT_TARGET = 1.5
COMPOSITION_TARGET = 1.3


def check_same(name: str, ours: Any, theirs: Any, steps: list[int], rel: float = 1e-9) -> None:
    """The baseline computes the same function as lrkit at ``steps``."""
    for t in steps:
        a, b = ours(t), float(theirs(t))
        if not math.isclose(a, b, rel_tol=rel, abs_tol=1e-15):
            raise AssertionError(
                f"{name}: the baseline differs from lrkit at step {t}: {b!r} != {a!r}"
            )


def _fewer(fn: Any, steps: list[int], budget: float) -> list[int]:
    """``steps``, thinned out evenly (to 5 at least) so that one loop over them lasts
    about ``budget``: an eager Keras or optax call takes 1,000 times a Python one."""
    fn(steps[0])  # warm up
    once = wall(lambda: fn(steps[len(steps) // 2]))
    stride = max(1, min(len(steps) // 5, math.ceil(once * len(steps) / budget)))
    return steps[::stride]


def run(report: Report, settings: Settings) -> None:
    specs = all_specs()
    by_name: dict[str, Spec] = {s.name: s for s in specs}
    for spec in specs:
        steps = spec.steps()
        ours, obj, fn = spec.lrkit(), spec.obj(), spec.function()
        check_same(spec.name, ours, obj, steps)
        check_same(spec.name, ours, fn, steps)
        timers = {
            "lrkit": loop_timer(ours, steps),
            "hand-written object": loop_timer(obj, steps),
            "bare function": loop_timer(fn, steps),
        }
        units = dict.fromkeys(timers, len(steps))
        for peer, build in spec.peers.items():
            try:
                sched = build()  # a callable of an int step (timm's gives a list)
            except ImportError as exc:
                report.skip("scalar", spec.name, peer, f"not installed ({exc})")
                continue
            few = _fewer(sched, steps, settings.budget)
            timers[peer], units[peer] = loop_timer(sched, few), len(few)
        timings = compare(timers, settings, per_unit=units)
        case = report.add(Case("scalar", spec.name, "call", "hand-written object", timings))
        report.target(case, "lrkit / hand-written object", case.ratio("lrkit"), OBJECT_TARGET)

    # composition: the warmup must not multiply the cost of the cosine it wraps
    needed = ("CosineDecay", "Warmup(CosineDecay)", "CosineDecay(warmup_target)")
    if not all(n in by_name for n in needed):
        return
    cosine = by_name["CosineDecay"]
    steps = by_name["Warmup(CosineDecay)"].steps()
    timers = {
        "CosineDecay": loop_timer(cosine.lrkit(), steps),
        "Warmup(CosineDecay)": loop_timer(by_name["Warmup(CosineDecay)"].lrkit(), steps),
        "CosineDecay(warmup_target)": loop_timer(
            by_name["CosineDecay(warmup_target)"].lrkit(), steps
        ),
    }
    case = report.add(
        Case(
            "scalar composition",
            "lrkit",
            "call",
            "CosineDecay",
            compare(timers, settings, per_unit=len(steps)),
        )
    )
    for name in ("Warmup(CosineDecay)", "CosineDecay(warmup_target)"):
        report.target(case, f"{name} / CosineDecay", case.ratio(name), COMPOSITION_TARGET)
