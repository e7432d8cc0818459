"""Timing and memory helpers: interleaved repeats, min and median, tracemalloc peaks.

Other processes share the machine, so every comparison is made inside one process,
with the contenders timed in turn within each repeat (the order rotating from one
repeat to the next): a burst of load then slows all of them, not one. The minimum
over repeats is the figure least disturbed by load; the median is reported too.
"""

from __future__ import annotations

import gc
import statistics
import time
import timeit
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Timing:
    """Seconds per unit of work (one call, one step, one process...)."""

    min: float
    median: float
    samples: int

    def as_dict(self) -> dict[str, float | int]:
        return {"min_s": self.min, "median_s": self.median, "samples": self.samples}


@dataclass
class Settings:
    quick: bool
    #: repetitions of each interleaved measurement
    repeat: int
    #: seconds one measurement of a fast callable should last (sets its loop count)
    budget: float
    #: steps in the NumPy arrays
    n_array: int
    #: subprocess launches per start-up case
    launches: int


def loop_timer(fn: Callable[[Any], Any], steps: Sequence[Any]) -> Callable[[int], float]:
    """A timer of ``for t in steps: fn(t)``: called with a loop count, returns seconds.

    The loop runs in code compiled by :mod:`timeit`, with ``fn`` and ``steps`` in local
    variables, so the overhead per step is one iteration of a ``for`` loop.
    """
    timer = timeit.Timer(
        "for t in steps: fn(t)",
        setup="fn = _fn; steps = _steps",
        globals={"_fn": fn, "_steps": list(steps)},
    )
    return timer.timeit


def call_timer(fn: Callable[[], Any]) -> Callable[[int], float]:
    """A timer of ``fn()``: called with a loop count, returns seconds."""
    timer = timeit.Timer("fn()", setup="fn = _fn", globals={"_fn": fn})
    return timer.timeit


def compare(
    timers: dict[str, Callable[[int], float]],
    settings: Settings,
    per_unit: dict[str, int] | int = 1,
    budget: float | None = None,
) -> dict[str, Timing]:
    """Interleaved timings of several contenders, in seconds per unit.

    ``timers[name](number)`` runs the contender's work ``number`` times and returns the
    elapsed seconds; one run is ``per_unit`` units (e.g. the steps of a loop). Each
    contender's loop count is set once, so that one measurement lasts about ``budget``.
    """
    budget = settings.budget if budget is None else budget
    counts = {}
    for name, timer in timers.items():
        timer(1)  # warm up (imports, caches, first-call compilation)
        elapsed = timer(1)
        counts[name] = max(1, min(1_000_000, round(budget / max(elapsed, 1e-9))))
    units = {k: (per_unit if isinstance(per_unit, int) else per_unit[k]) for k in timers}
    samples: dict[str, list[float]] = {k: [] for k in timers}
    names = list(timers)
    for r in range(settings.repeat):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            n = counts[name]
            samples[name].append(timers[name](n) / (n * units[name]))
    return {k: Timing(min(v), statistics.median(v), len(v)) for k, v in samples.items()}


def wall(fn: Callable[[], Any]) -> float:
    """Seconds one call of ``fn`` takes (garbage collection paused)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def peak_memory(fn: Callable[[], Any]) -> tuple[int, int]:
    """``(peak, result)``: the most memory allocated at once during ``fn()`` beyond
    what was allocated before (the result included), and the result's size in bytes.

    NumPy reports its array buffers to :mod:`tracemalloc`, so the peak counts every
    temporary array of the computation. (Garbage collection is paused: it could only
    lower the figure, and a full collection costs a tenth of a second once TensorFlow,
    JAX and PyTorch are loaded.)
    """
    enabled = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
        if enabled:
            gc.enable()
    size = int(getattr(out, "nbytes", 0))
    del out
    return peak, size
