"""NumPy: one call on ``np.arange(n)`` (int64), against a hand-written NumPy expression.

Targets: at most 1.5x the hand-written expression's time; the peak memory allocated
during the call (tracemalloc, the result included) at most 3x the result; the
piecewise schedule with 1,000 boundaries a sorted search, within 1.5x of a bare
``searchsorted`` + ``take``, and costing O(log b) per step (compared with 10
boundaries). Peers, each on its own array type (Keras: a TensorFlow tensor,
computed in float32; optax: a JAX array, float32): where a peer's cost grows with the
number of boundaries, it is measured on fewer steps and scaled to ``n`` (noted).
"""

from __future__ import annotations

from typing import Any

from benchmarks._report import Case, Report
from benchmarks._timing import Settings, call_timer, compare, peak_memory, wall
from benchmarks.specs import Spec, all_specs

TIME_TARGET = 1.5
MEMORY_TARGET = 3.0
#: a peer call predicted to take longer than this is measured on fewer steps
PEER_SECONDS = 2.0
PEER_SECONDS_QUICK = 0.1


def _peer_arrays(peer: str, n: int) -> Any:
    if peer == "keras":
        import tensorflow as tf

        return tf.range(n, dtype=tf.int64)
    if peer == "optax":
        import jax.numpy as jnp

        return jnp.arange(n)
    return None


def _block(x: Any) -> Any:
    ready = getattr(x, "block_until_ready", None)
    return ready() if ready is not None else x


def _peer_timer(
    spec: Spec, peer: str, n: int, report: Report, limit: float
) -> tuple[Any, int] | None:
    """A timer of the peer on ``n`` steps (or fewer, if it would be too slow), and the
    number of steps it is timed on."""
    try:
        sched = spec.peers[peer]()
        small = _peer_arrays(peer, max(n // 1000, 100))
        if small is None:
            return None
        once = wall(lambda: _block(sched(small)))
        once = min(once, wall(lambda: _block(sched(small))))
    except ImportError as exc:
        report.skip("numpy", spec.name, peer, f"not installed ({exc})")
        return None
    except Exception as exc:  # a schedule that is not elementwise in that library
        report.skip(
            "numpy",
            spec.name,
            peer,
            f"fails on an array of steps: {type(exc).__name__}: {str(exc)[:80]}",
        )
        return None
    predicted = once * n / max(n // 1000, 100)
    m = n if predicted <= limit else max(1000, int(n * limit / predicted))
    arr = _peer_arrays(peer, m)
    return call_timer(lambda: _block(sched(arr))), m


def run(report: Report, settings: Settings) -> None:
    import numpy as np

    n = settings.n_array
    steps = np.arange(n, dtype=np.int64)
    times: dict[str, float] = {}
    for spec in all_specs():
        ours, hand = spec.lrkit(), spec.numpy(np)
        a, b = ours(steps), hand(steps)
        close = np.isclose(a, b, rtol=1e-9, atol=1e-15)
        if close.mean() < 0.9999:  # Keras's restart index (a logarithm) misses a few steps
            raise AssertionError(
                f"{spec.name}: the NumPy baseline differs from lrkit "
                f"at {np.count_nonzero(~close)} of {n} steps"
            )
        del a, b
        timers = {
            "lrkit": call_timer(lambda s=ours: s(steps)),
            "hand-written NumPy": call_timer(lambda h=hand: h(steps)),
        }
        scaled: dict[str, int] = {}
        for peer in ("keras", "optax"):
            if peer in spec.peers:
                got = _peer_timer(
                    spec, peer, n, report, PEER_SECONDS_QUICK if settings.quick else PEER_SECONDS
                )
                if got is not None:
                    timers[peer], scaled[peer] = got
        timings = compare(timers, settings, per_unit=1, budget=0.0)
        case = Case("numpy", spec.name, f"{n:,} steps", "hand-written NumPy", timings)
        for peer, m in scaled.items():
            if m != n:
                t = case.timings[peer]
                t.min, t.median = t.min * n / m, t.median * n / m
                case.notes.append(f"{peer}: measured on {m:,} steps, scaled to {n:,}")
        ours_peak, size = peak_memory(lambda s=ours: s(steps))
        hand_peak, _ = peak_memory(lambda h=hand: h(steps))
        case.metrics["lrkit peak memory / result"] = ours_peak / size
        case.metrics["hand-written peak memory / result"] = hand_peak / size
        report.add(case)
        report.target(case, "lrkit / hand-written NumPy", case.ratio("lrkit"), TIME_TARGET)
        report.target(
            case, "lrkit peak memory / result", ours_peak / size, MEMORY_TARGET, kind="x result"
        )
        times[spec.name] = case.timings["lrkit"].min
    # O(n log b): a hundred times the boundaries costs about log(1000)/log(10) = 3x
    if "PiecewiseConstantDecay(10)" in times and "PiecewiseConstantDecay(1000)" in times:
        pw10, pw1000 = times["PiecewiseConstantDecay(10)"], times["PiecewiseConstantDecay(1000)"]
        case = next(
            c
            for c in report.cases
            if c.group == "numpy" and c.name == "PiecewiseConstantDecay(1000)"
        )
        case.metrics["lrkit time, 1000 / 10 boundaries"] = pw1000 / pw10
