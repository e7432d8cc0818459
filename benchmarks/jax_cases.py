"""JAX: a jitted SGD train step with an lrkit schedule against the same step with the
equivalent optax schedule (``optax.sgd(schedule)``, which calls it with optax's int32
step count inside the compiled step).

Targets: the step runs within 1.1x of optax's, and compiles (trace, lower and compile
a fresh ``jax.jit``) within 1.2x. The piecewise schedule's compiled program must not
grow with the number of boundaries: the HLO instructions of ``jax.jit(schedule)`` on
a scalar int32 step are counted for 10 and for 1,000 boundaries.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from benchmarks._report import Case, Report
from benchmarks._timing import Settings, Timing, call_timer, compare
from benchmarks.specs import PW10, PW1000, Spec, all_specs

RUN_TARGET = 1.1
COMPILE_TARGET = 1.2
#: the cases with an optax equivalent
CASES = (
    "ExponentialDecay",
    "PiecewiseConstantDecay(10)",
    "PiecewiseConstantDecay(1000)",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecay(warmup_target)",
    "Warmup(CosineDecay)",
)
#: train steps per timed unit (the step's result is awaited once per unit)
STEPS_PER_UNIT = 20


def _problem(jax: Any, jnp: Any) -> tuple[Any, Any, Any]:
    """A linear model, 128 inputs x 10 outputs, on a batch of 64: a small step, so that
    the schedule's share of it is visible."""
    kx, kw, ky = jax.random.split(jax.random.PRNGKey(0), 3)
    x = jax.random.normal(kx, (64, 128))
    y = jax.random.normal(ky, (64, 10))
    params = {"w": 0.01 * jax.random.normal(kw, (128, 10)), "b": jnp.zeros(10)}
    return x, y, params


def _train_step(jax: Any, optax: Any, schedule: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """A fresh (never traced) SGD train step and its optimizer."""
    opt = optax.sgd(schedule)

    def loss(params: Any) -> Any:
        return ((x @ params["w"] + params["b"] - y) ** 2).mean()

    def step(params: Any, state: Any) -> Any:
        grads = jax.grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    return step, opt


def _compile(
    jax: Any, optax: Any, schedule: Any, x: Any, y: Any, params: Any
) -> tuple[float, Any, Any]:
    """Seconds to trace, lower and compile a fresh train step; the compiled step; and
    the optimizer's initial state."""
    step, opt = _train_step(jax, optax, schedule, x, y)
    state = opt.init(params)
    start = time.perf_counter()
    compiled = jax.jit(step).lower(params, state).compile()
    return time.perf_counter() - start, compiled, state


def hlo_ops(jax: Any, jnp: Any, schedule: Callable[[Any], Any]) -> tuple[int, int]:
    """``(instructions, characters)`` of the optimized HLO of ``jax.jit(schedule)`` on
    a scalar int32 step (large constants are printed as ``{...}``)."""
    text = jax.jit(schedule).lower(jnp.int32(0)).compile().as_text()
    ops = [ln for ln in text.splitlines() if re.match(r"\s*(ROOT\s+)?%?[\w.\-]+\s*=\s", ln)]
    return len(ops), len(text)


def _optax_of(spec: Spec) -> Callable[[], Any] | None:
    return spec.peers.get("optax")


def run(report: Report, settings: Settings) -> None:
    try:
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError as exc:
        report.skip("jax", "*", "jax, optax", f"not installed ({exc})")
        return
    x, y, params = _problem(jax, jnp)
    jax.jit(lambda a: a + 1)(1.0)  # JAX's first compilation in a process costs more
    specs = {s.name: s for s in all_specs()}
    for name in CASES:
        if name not in specs:
            continue
        spec = specs[name]
        build = _optax_of(spec)
        if build is None:
            continue
        ours, theirs = spec.lrkit(), build()
        steps: dict[str, Any] = {}
        samples: dict[str, list[float]] = {"lrkit": [], "optax": []}
        for who, schedule in (("lrkit", ours), ("optax", theirs)):
            seconds, compiled, state = _compile(jax, optax, schedule, x, y, params)
            samples[who].append(seconds)
            steps[who] = (compiled, *compiled(params, state))

        def timer_of(who: str, steps: dict[str, Any] = steps) -> Callable[[int], float]:
            jitted, p0, s0 = steps[who]

            def unit() -> None:
                p, s = p0, s0
                for _ in range(STEPS_PER_UNIT):
                    p, s = jitted(p, s)
                jax.block_until_ready(p)

            return call_timer(unit)

        run_t = compare(
            {"lrkit": timer_of("lrkit"), "optax": timer_of("optax")},
            settings,
            per_unit=STEPS_PER_UNIT,
        )
        case = report.add(Case("jax", f"train step: {name}", "step", "optax", run_t))
        report.target(case, "lrkit / optax, jitted train step", case.ratio("lrkit"), RUN_TARGET)

        for r in range(0 if settings.quick else settings.repeat - 3):  # more compiles
            for who, schedule in (("lrkit", ours), ("optax", theirs))[:: -1 if r % 2 else 1]:
                samples[who].append(_compile(jax, optax, schedule, x, y, params)[0])
        comp = {k: Timing(min(v), sorted(v)[len(v) // 2], len(v)) for k, v in samples.items()}
        case = report.add(Case("jax", f"compile: {name}", "compile", "optax", comp))
        report.target(
            case, "lrkit / optax, trace + lower + compile", case.ratio("lrkit"), COMPILE_TARGET
        )

    # the piecewise program's size (and its compile time), 10 vs 1,000 boundaries
    import lrkit

    timings: dict[str, Timing] = {}
    metrics: dict[str, float] = {}
    for b, v in (PW10, PW1000):
        scales = {t + 1: v[i + 1] / v[i] for i, t in enumerate(b)}
        for who, build in (
            ("lrkit", lambda b=b, v=v: lrkit.PiecewiseConstantDecay(b, v)),
            ("optax", lambda v=v, sc=scales: optax.piecewise_constant_schedule(v[0], sc)),
        ):
            seconds = []
            for _ in range(1 if settings.quick else settings.repeat - 2):
                start = time.perf_counter()
                ops, chars = hlo_ops(jax, jnp, build())
                seconds.append(time.perf_counter() - start)
            timings[f"{who}, {len(b)} boundaries"] = Timing(
                min(seconds), sorted(seconds)[len(seconds) // 2], len(seconds)
            )
            metrics[f"{who} HLO instructions, {len(b)} boundaries"] = ops
            metrics[f"{who} HLO characters, {len(b)} boundaries"] = chars
    case = report.add(
        Case(
            "jax program",
            "PiecewiseConstantDecay: jit(schedule)",
            "compile",
            "lrkit, 10 boundaries",
            timings,
            metrics,
        )
    )
    ours10 = metrics["lrkit HLO instructions, 10 boundaries"]
    ours1000 = metrics["lrkit HLO instructions, 1000 boundaries"]
    report.target(
        case, "lrkit HLO instructions, 1000 boundaries / 10 boundaries", ours1000 / ours10, 1.0
    )
