"""`lrkit.optax`: optax's schedule functions under their own names, against the real optax.

The comparison runs optax in float64 (``JAX_ENABLE_X64=1``, in a subprocess so that
the rest of the test session keeps JAX's float32 default), uncompiled, on every step
from 0 to past the end of each generated configuration (so every boundary, the steps
next to it, the inside and beyond the end), a few far steps and a few fractional
steps. Both sides compute the same closed forms in float64, arranged a little
differently (lrkit's lines and cosines are measured from the nearer end, its exponent
is split into whole periods and a fraction): they agree to 1e-12 of the scale (the
largest magnitude of a rate involved), with the power's amplification near its zero
(``p x**(p - 1)`` at the smallest nonzero ``x`` reached) for a power below 1.

Inside ``optax.inject_hyperparams(optax.adam)`` under ``jax.jit`` (int32 counts, float32
rates), the rate the optimizer records agrees with lrkit's float64 value to float32's
precision: a handful of float32 roundings, each at most 2**-24 of the scale.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from fractions import Fraction
from typing import Any

import pytest

import lrkit
import lrkit.optax as lo
from conftest import require

REL = 1e-12
U32 = 2.0**-24

# -- a schedule as data: {"fn": name, "args": [...], "kwargs": {...}, "side": ...} ----------


def call(fn: str, *args: Any, side: str | None = None, **kwargs: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"fn": fn, "args": list(args), "kwargs": kwargs}
    if side:
        node["side"] = side
    return node


BUILD = r"""
def build(node, module, other):
    if isinstance(node, list):
        return [build(x, module, other) for x in node]
    if isinstance(node, dict) and "fn" in node:
        mod = {"optax": other, "lrkit": lrkit.optax}.get(node.get("side"), module)
        args = [build(a, module, other) for a in node["args"]]
        kwargs = {k: build(x, module, other) for k, x in node["kwargs"].items()}
        return getattr(mod, node["fn"])(*args, **kwargs)
    if isinstance(node, dict):
        return {(int(k) if k.lstrip("-").isdigit() else float(k)) if node.get("__keys") else k:
                build(x, module, other) for k, x in node.items() if k != "__keys"}
    return node
"""

SCRIPT = (
    r"""
import json, sys
import jax, jax.numpy as jnp, optax
import lrkit.optax
assert jax.config.jax_enable_x64
"""
    + BUILD
    + r"""
out = []
for case in json.load(sys.stdin):
    fn = build(case["tree"], optax, optax)
    row = {}
    for key, dtype in (("steps", jnp.int64), ("fsteps", jnp.float64)):
        steps = jnp.asarray(case[key], dtype=dtype)
        vals = jax.vmap(fn)(steps) if case[key] else jnp.zeros(0)
        row[key] = [float(x) for x in jnp.broadcast_to(jnp.asarray(vals), steps.shape).tolist()]
    if case.get("mixed"):
        mixed = build(case["mixed"], lrkit.optax, optax)
        row["mixed"] = [float(mixed(t)) for t in case["steps"]]
    out.append(row)
json.dump(out, sys.stdout)
"""
)

namespace: dict[str, Any] = {"lrkit": lrkit}
exec(BUILD, namespace)  # the same builder, for lrkit's side
build = namespace["build"]


def keyed(d: dict[Any, float]) -> dict[str, Any]:
    """A ``{step: scale}`` dict as JSON (string keys, marked to be read back as numbers)."""
    return {"__keys": True, **{repr(k): s for k, s in d.items()}}


def run_optax(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    require("optax")
    env = {
        **os.environ,
        "JAX_ENABLE_X64": "1",
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)


# -- generated configurations ----------------------------------------------------------------

R = random.Random(20261204)
#: steps per configuration: one array shape for every case, so that JAX's uncompiled
#: operations are compiled once for all of them
N_STEPS, N_FRACTIONAL = 400, 10


def rate() -> float:
    return R.choice([1.0, 0.1, 1e-3, 0.5, 2.0, -0.25, R.uniform(1e-4, 2.0), R.uniform(1e-4, 2.0)])


def count() -> int | float:
    return R.choice([1, 2, 7, 10, 37, 100, 10.0, 12.5, R.randint(1, 150), R.randint(1, 150)])


def begin() -> int | float:
    return R.choice([0, 0, 3, 2.5, 20.0, R.randint(0, 50)])


def scales(n_max: int = 4, zero: bool = True) -> dict[int, float]:
    keys = R.sample(range(0 if zero else 1, 120), R.randint(0, n_max))
    return {k: R.choice([0.1, 0.5, 1.0, 2.0, 0.0, R.uniform(0.0, 2.0)]) for k in keys}


def horizon(tree: dict[str, Any]) -> int:
    """A step past the end of every phase of the configuration."""
    numbers = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, val in x.items():
                if k == "__keys":
                    continue
                if x.get("__keys"):
                    numbers.append(float(k))
                walk(val)
        elif isinstance(x, list):
            for y in x:
                walk(y)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            numbers.append(abs(x))

    walk(tree)
    return int(min(sum(n for n in numbers if n >= 1), N_STEPS - 10)) + 10


def configs() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    n = 12
    for _ in range(n):
        out.append(call("constant_schedule", rate()))
        out.append(call("linear_schedule", rate(), rate(), count(), begin()))
        power = R.choice([1, 2, 0.5, 3.7, 0, R.uniform(0.1, 4.0)])
        out.append(call("polynomial_schedule", rate(), rate(), power, count(), begin()))
        decay_rate = R.choice([0.5, 0.9, 0.99, 1.5, 1.0, R.uniform(0.1, 0.99)])
        init = abs(rate()) or 1.0
        end = R.choice([None, None, init * 0.3, init * 2.0, init])
        out.append(
            call(
                "exponential_decay",
                init,
                count(),
                decay_rate,
                transition_begin=begin(),
                staircase=R.random() < 0.5,
                end_value=end,
            )
        )
        out.append(call("piecewise_constant_schedule", rate(), keyed(scales())))
        kind = R.choice(["linear", "cosine"])
        out.append(call("piecewise_interpolate_schedule", kind, rate(), keyed(scales())))
        alpha = R.choice([0.0, 0.1, -0.1, R.uniform(0.0, 1.0)])
        exponent = R.choice([1.0, 2.0, 0.5, R.uniform(0.2, 3.0)])
        out.append(call("cosine_decay_schedule", rate(), count(), alpha, exponent))
        warm = R.choice([0, 1, 10, 2.5, R.randint(0, 60)])
        peak = R.choice([rate(), rate(), 0.0])
        end = 0.0 if peak == 0 else R.choice([0.0, peak * 0.1, R.uniform(0, 1)])
        total = warm + R.choice([1, 50, R.randint(1, 150)])
        out.append(call("warmup_cosine_decay_schedule", rate(), peak, warm, total, end, exponent))
        out.append(call("warmup_constant_schedule", rate(), rate(), R.choice([1, 10, 2.5, 60])))
        out.append(
            call(
                "warmup_exponential_decay_schedule",
                rate(),
                init,
                R.choice([0, 1, 10, R.randint(0, 40)]),
                count(),
                decay_rate,
                begin(),
                R.random() < 0.5,
                end,
            )
        )
        cycles = []
        for _ in range(R.randint(1, 3)):
            w = R.choice([0, 5, R.randint(0, 30)])
            cycles.append(
                {
                    "init_value": rate(),
                    "peak_value": abs(rate()) or 1.0,
                    "warmup_steps": w,
                    "decay_steps": w + R.randint(1, 60),
                    "end_value": R.choice([0.0, 1e-3]),
                }
            )
        out.append(call("sgdr_schedule", cycles))
        steps = R.randint(2, 200)
        div, final = R.choice([25.0, 10.0, 4.0]), R.choice([1e4, 100.0, 10.0])
        pct = R.choice([0.3, 0.25, 0.1, R.uniform(0.05, 0.6)])
        out.append(call("cosine_onecycle_schedule", steps, rate(), pct, div, final))
        pct_final = R.choice([0.85, 0.9, R.uniform(0.65, 0.95)])
        out.append(call("linear_onecycle_schedule", steps, rate(), pct, pct_final, div, final))
        children = [
            call("linear_schedule", rate(), rate(), count(), side=R.choice(["optax", "lrkit"])),
            call("cosine_decay_schedule", rate(), count(), side=R.choice(["optax", "lrkit"])),
            call("exponential_decay", 1.0, count(), 0.7, side=R.choice(["optax", "lrkit"])),
        ]
        k = R.randint(1, 3)
        bounds = sorted(R.sample(range(1, 150), k - 1))
        out.append(call("join_schedules", children[:k], bounds))
    return out


def onecycle_as_optax(tree: dict[str, Any]) -> bool:
    """Whether optax's ``int(pct * T)`` peak is lrkit's exact one (see the test below)."""
    ours = build(tree, lo, None)
    steps, pct = tree["args"][0], tree["args"][2]
    points = [x for x, _ in ours.points]
    wanted = [int(pct * steps)]
    if tree["fn"] == "linear_onecycle_schedule":
        wanted.append(int(tree["args"][3] * steps))
    return points[1 : 1 + len(wanted)] == wanted or (points[0] == 0 == wanted[0])


def cases() -> list[dict[str, Any]]:
    out = []
    for tree in configs():
        if tree["fn"].endswith("onecycle_schedule"):
            try:
                if not onecycle_as_optax(tree):
                    continue
            except ValueError:  # a configuration lrkit refuses (tested below)
                continue
        end = horizon(tree)
        far = [] if "exponential" in tree["fn"] else [10**6, 2**31 - 1, 2**40]
        steps = [*range(min(end, N_STEPS - len(far))), *far]
        steps += [steps[-1]] * (N_STEPS - len(steps))
        fsteps = [0.5, end - 0.5, *(round(R.uniform(0, end), 3) for _ in range(N_FRACTIONAL - 2))]
        case = {"tree": tree, "steps": steps, "fsteps": fsteps}
        if tree["fn"] == "join_schedules":  # optax's join of optax children vs lrkit's of both
            case["mixed"] = tree
            plain = [{k: x for k, x in c.items() if k != "side"} for c in tree["args"][0]]
            case["tree"] = {**tree, "args": [plain, tree["args"][1]]}
        out.append(case)
    return out


CASES = cases()


@pytest.fixture(scope="module")
def optax_values():
    return run_optax(CASES)


def amplification(tree: dict[str, Any], end: int) -> float:
    """``p x**(p - 1)`` at the smallest nonzero ``x`` a power ``p < 1`` meets."""
    fn, args = tree["fn"], tree["args"]
    if fn == "polynomial_schedule" and 0 < args[2] < 1:
        return args[2] * (1 / max(args[3], 1)) ** (args[2] - 1)
    if fn in ("cosine_decay_schedule", "warmup_cosine_decay_schedule"):
        p = args[3] if fn == "cosine_decay_schedule" else args[5]
        length = args[1] if fn == "cosine_decay_schedule" else args[3] - args[2]
        if p < 1:
            smallest = math.sin(math.pi / (2 * max(length, 1))) ** 2 / 4
            return p * smallest ** (p - 1)
    return 1.0


def compare(name: str, ours: list[float], theirs: list[float], steps: list[Any], tol: float):
    bad = [
        (t, a, b)
        for t, a, b in zip(steps, theirs, ours, strict=True)
        if not (abs(a - b) <= tol or (math.isnan(a) and math.isnan(b)))
    ]
    assert not bad, f"{name}: (step, optax, lrkit) {bad[:5]} of {len(bad)}"


@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: CASES[i]["tree"]["fn"])
def test_values_match_optax(optax_values, index):
    case, theirs = CASES[index], optax_values[index]
    ours_schedule = build(case["tree"], lo, None)
    assert isinstance(ours_schedule, lrkit.LearningRateSchedule)
    name = repr(case["tree"])[:300]
    scale = max([1e-300, *(abs(x) for x in theirs["steps"] + theirs["fsteps"] if math.isfinite(x))])
    tol = REL * scale * amplification(case["tree"], len(case["steps"]))
    for key in ("steps", "fsteps"):
        ours = [ours_schedule(t) for t in case[key]]
        compare(name, ours, theirs[key], case[key], tol)
    if "mixed" in theirs:  # lrkit's join of optax and lrkit children, computed in float64
        compare(name + " (mixed children)", theirs["mixed"], theirs["steps"], case["steps"], tol)


def test_every_function_is_generated():
    assert {c["tree"]["fn"] for c in CASES} == set(lo.FUNCTIONS)
    # every public name is a schedule function, or reduce on plateau's transformation
    assert set(lo.FUNCTIONS) == set(lo.__all__) - {"PlateauState", "scale_by_plateau"}


def test_same_signatures_as_optax():
    import inspect

    optax = require("optax")
    for name in lo.FUNCTIONS:
        theirs = inspect.signature(getattr(optax, name)).parameters
        ours = inspect.signature(getattr(lo, name)).parameters
        assert list(ours) == list(theirs), name
        for p in theirs:
            assert ours[p].default == theirs[p].default, (name, p)
            assert ours[p].kind == theirs[p].kind, (name, p)


# -- inside an optimizer, compiled ----------------------------------------------------------


def test_inject_hyperparams_adam_under_jit():
    optax = require("optax")
    jax = require("jax")
    jnp = jax.numpy
    schedules = [
        lo.warmup_cosine_decay_schedule(0.0, 1e-3, 10, 60, 1e-5),
        lo.join_schedules(
            [optax.linear_schedule(0.0, 1e-3, 5), lo.exponential_decay(1e-3, 7, 0.5)], [5]
        ),
        lo.piecewise_constant_schedule(1e-3, {10: 0.5, 20: 0.1}),
        lo.linear_onecycle_schedule(50, 1e-3),
    ]
    for schedule in schedules:
        opt = optax.inject_hyperparams(optax.adam)(learning_rate=schedule)
        params = {"w": jnp.ones(3)}
        state = opt.init(params)

        @jax.jit
        def step(state, params=params, opt=opt):
            _updates, state = opt.update({"w": jnp.ones(3)}, state, params)
            return state

        rates = []
        for _ in range(70):
            rates.append(float(state.hyperparams["learning_rate"]))
            state = step(state)
        assert state.count.dtype == jnp.int32
        # the rate recorded after update k is the schedule at count k - 1 (and at 0 first)
        ours = [schedule(max(t - 1, 0)) for t in range(70)]
        scale = max(abs(x) for x in ours)
        bad = [
            (t, a, b)
            for t, (a, b) in enumerate(zip(rates, ours, strict=True))
            if abs(a - b) > 16 * U32 * scale
        ]
        assert not bad, f"{schedule!r}: {bad[:5]}"


# -- bad arguments, refused at construction in optax's names --------------------------------

BAD = [
    ("constant_schedule", (None,), {}, TypeError, "value"),
    ("linear_schedule", (1.0, 0.0, -1), {}, ValueError, "transition_steps"),
    ("linear_schedule", (1.0, 0.0, 10, -5), {}, ValueError, "transition_begin"),
    ("linear_schedule", ("1", 0.0, 10), {}, TypeError, "init_value"),
    ("polynomial_schedule", (1.0, 0.0, 2, -3), {}, ValueError, "transition_steps"),
    ("polynomial_schedule", (1.0, 0.0, 2, 10, -1), {}, ValueError, "transition_begin"),
    ("polynomial_schedule", (1.0, 0.0, -2, 10), {}, ValueError, "power"),
    ("polynomial_schedule", (1.0, math.inf, 2, 10), {}, ValueError, "end_value"),
    ("exponential_decay", (1.0, 0, 0.5), {}, ValueError, "transition_steps"),
    ("exponential_decay", (1.0, -10, 0.5), {}, ValueError, "transition_steps"),
    ("exponential_decay", (1.0, 10, 0.0), {}, ValueError, "decay_rate"),
    ("exponential_decay", (1.0, 10, -0.5), {}, ValueError, "decay_rate"),
    ("exponential_decay", (1.0, 10, 0.5, -3), {}, ValueError, "transition_begin"),
    ("exponential_decay", (1.0, 10, 0.5), {"staircase": 1}, TypeError, "staircase"),
    ("exponential_decay", (1.0, 10, 0.5), {"end_value": "x"}, TypeError, "end_value"),
    ("piecewise_constant_schedule", (1.0, {10: -0.5}), {}, ValueError, "boundaries_and_scales"),
    ("piecewise_constant_schedule", (1.0, {-10: 0.5}), {}, ValueError, "boundaries_and_scales"),
    ("piecewise_constant_schedule", (1.0, [10, 0.5]), {}, TypeError, "boundaries_and_scales"),
    ("piecewise_interpolate_schedule", ("cos", 1.0), {}, ValueError, "interpolate_type"),
    (
        "piecewise_interpolate_schedule",
        ("linear", 1.0, {5: -1.0}),
        {},
        ValueError,
        "boundaries_and_scales",
    ),
    ("piecewise_interpolate_schedule", ("linear", None), {}, TypeError, "init_value"),
    ("cosine_decay_schedule", (1.0, 0), {}, ValueError, "decay_steps"),
    ("cosine_decay_schedule", (1.0, 10, 0.0, 0.0), {}, ValueError, "exponent"),
    ("cosine_decay_schedule", (1.0, 10, 0.0, -1.0), {}, ValueError, "exponent"),
    ("cosine_decay_schedule", (1.0, 10, math.nan), {}, ValueError, "alpha"),
    ("warmup_cosine_decay_schedule", (0.0, 1.0, 100, 100), {}, ValueError, "decay_steps"),
    ("warmup_cosine_decay_schedule", (0.0, 1.0, 100, 50), {}, ValueError, "warmup_steps"),
    ("warmup_cosine_decay_schedule", (0.0, 1.0, -5, 50), {}, ValueError, "warmup_steps"),
    ("warmup_cosine_decay_schedule", (0.0, 1.0, 5, 50, 0.0, 0.0), {}, ValueError, "exponent"),
    ("warmup_cosine_decay_schedule", (0.0, "1", 5, 50), {}, TypeError, "peak_value"),
    ("warmup_constant_schedule", (0.0, 1.0, -1), {}, ValueError, "warmup_steps"),
    ("warmup_exponential_decay_schedule", (0.0, 1.0, -1, 10, 0.5), {}, ValueError, "warmup_steps"),
    (
        "warmup_exponential_decay_schedule",
        (0.0, 1.0, 5, 0, 0.5),
        {},
        ValueError,
        "transition_steps",
    ),
    ("warmup_exponential_decay_schedule", (0.0, 1.0, 5, 10, 0), {}, ValueError, "decay_rate"),
    ("warmup_exponential_decay_schedule", (0.0, None, 5, 10, 0.5), {}, TypeError, "peak_value"),
    ("sgdr_schedule", ([],), {}, ValueError, "cosine_kwargs"),
    ("sgdr_schedule", ([{"init_value": 0.0}],), {}, TypeError, "cosine_kwargs[0]"),
    ("sgdr_schedule", ([1.0],), {}, TypeError, "cosine_kwargs[0]"),
    (
        "sgdr_schedule",
        (
            [
                {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 10},
                {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 5},
            ],
        ),
        {},
        ValueError,
        "cosine_kwargs[1]",
    ),
    ("cosine_onecycle_schedule", (0, 1.0), {}, ValueError, "transition_steps"),
    ("cosine_onecycle_schedule", (100.5, 1.0), {}, ValueError, "transition_steps"),
    ("cosine_onecycle_schedule", (100, None), {}, TypeError, "peak_value"),
    ("cosine_onecycle_schedule", (100, 1.0, 1.0), {}, ValueError, "pct_start"),
    ("cosine_onecycle_schedule", (100, 1.0, 1.5), {}, ValueError, "pct_start"),
    ("cosine_onecycle_schedule", (100, 1.0, 0.3, 0.0), {}, ValueError, "div_factor"),
    ("cosine_onecycle_schedule", (100, 1.0, 0.3, 25.0, -1.0), {}, ValueError, "final_div_factor"),
    ("linear_onecycle_schedule", (-5, 1.0), {}, ValueError, "transition_steps"),
    ("linear_onecycle_schedule", (100, 1.0, 0.3, 0.3), {}, ValueError, "pct_final"),
    ("linear_onecycle_schedule", (100, 1.0, 0.5, 0.3), {}, ValueError, "pct_final"),
    ("linear_onecycle_schedule", (100, 1.0, 0.3, 1.0), {}, ValueError, "transition_steps"),
    ("linear_onecycle_schedule", (100, 1.0, 0.3, 0.85, 0.0), {}, ValueError, "div_factor"),
    ("join_schedules", ([lrkit.Constant(1.0)], [5]), {}, ValueError, "boundaries"),
    ("join_schedules", ([lrkit.Constant(1.0)] * 3, [10, 5]), {}, ValueError, "boundaries"),
    ("join_schedules", ([lrkit.Constant(1.0)] * 2, [-1]), {}, ValueError, "boundaries"),
    ("join_schedules", ([1.0, lrkit.Constant(1.0)], [5]), {}, TypeError, "schedules[0]"),
    ("join_schedules", (lrkit.Constant(1.0), [5]), {}, TypeError, "schedules"),
    ("join_schedules", ([lrkit.Constant(1.0)] * 2, 5), {}, TypeError, "boundaries"),
]


@pytest.mark.parametrize(("fn", "args", "kwargs", "exc", "arg"), BAD, ids=lambda x: str(x)[:40])
def test_bad_arguments_name_optax_argument(fn, args, kwargs, exc, arg):
    with pytest.raises(exc, match=f"`{arg}`".replace("[", r"\[").replace("]", r"\]")):
        getattr(lo, fn)(*args, **kwargs)


# -- where optax is wrong: its real behaviour, and lrkit's -----------------------------------


def optax32(fn, steps, jit=False):
    jax = require("jax")
    call = jax.vmap(fn)
    out = (jax.jit(call) if jit else call)(jax.numpy.asarray(steps))
    return [float(x) for x in out.tolist()]


def test_optax_falls_back_to_a_constant_where_lrkit_refuses():
    optax = require("optax")
    # a negative transition, or a zero decay rate, only logs and holds init_value
    assert optax32(optax.linear_schedule(1.0, 0.0, -10), [0, 5, 50]) == [1.0, 1.0, 1.0]
    assert optax32(optax.exponential_decay(1.0, 0, 0.5), [0, 50]) == [1.0, 1.0]
    assert optax32(optax.exponential_decay(1.0, 10, 0.0), [0, 50]) == [1.0, 1.0]
    for bad in ((1.0, 0.0, -10), (1.0, 0.0, 10, -5)):
        with pytest.raises(ValueError):
            lo.linear_schedule(*bad)
    # a negative transition_begin is clamped to 0
    assert optax32(optax.linear_schedule(1.0, 0.0, 10, -5), [0, 5]) == [1.0, 0.5]
    # a negative warmup shifts the decay: its step 0 is the decay's step 5
    shifted = optax.warmup_cosine_decay_schedule(0.0, 1.0, -5, 15)
    assert optax32(shifted, [0])[0] < 0.9
    with pytest.raises(ValueError, match="`warmup_steps`"):
        lo.warmup_cosine_decay_schedule(0.0, 1.0, -5, 15)


def test_zero_step_warmup_reaches_the_peak():
    optax = require("optax")
    assert optax32(optax.warmup_constant_schedule(0.1, 1.0, 0), [0, 100]) == pytest.approx(
        [0.1, 0.1]
    )
    s = lo.warmup_constant_schedule(0.1, 1.0, 0)
    assert (s(0), s(100)) == (1.0, 1.0)
    assert (
        lo.linear_schedule(1.0, 0.5, 0, 2)(1) == 1.0
        and lo.linear_schedule(1.0, 0.5, 0, 2)(2) == 0.5
    )
    assert lo.polynomial_schedule(1.0, 0.5, 3, 0)(0) == 0.5


def test_warmup_cosine_with_zero_peak_ends_at_end_value():
    optax = require("optax")
    theirs = optax32(optax.warmup_cosine_decay_schedule(0.5, 0.0, 10, 110, end_value=0.1), [110])
    assert theirs == [0.0]  # optax: end_value ignored
    s = lo.warmup_cosine_decay_schedule(0.5, 0.0, 10, 110, end_value=0.1)
    # exact: the warmup from 0.5 down to 0, then (0 - 0.1) (1 + cos(pi u))/2 + 0.1
    assert (s(0), s(5), s(10), s(110), s(500)) == (0.5, 0.25, 0.0, 0.1, 0.1)
    assert s(60) == pytest.approx(0.05, abs=1e-15)
    assert lo.warmup_cosine_decay_schedule(0.5, 0.0, 0, 100, end_value=0.1)(0) == 0.0


def test_float32_transition_goes_past_its_end_under_jit():
    optax = require("optax")
    # XLA computes count / 60 as count * (1 / 60) = 1.0000001 in float32
    theirs = optax32(optax.linear_schedule(1.0, 0.0, 60), [60, 61], jit=True)
    assert theirs[0] < 0.0  # a negative learning rate
    jax = require("jax")
    ours = jax.jit(lo.linear_schedule(1.0, 0.0, 60))(jax.numpy.arange(62))
    assert float(ours[60]) == 0.0 and float(ours[61]) == 0.0
    end = optax32(optax.linear_schedule(1.0, 0.5, 60), [65], jit=True)[0]
    assert end != 0.5
    assert float(jax.jit(lo.linear_schedule(1.0, 0.5, 60))(jax.numpy.asarray(65))) == 0.5


def test_interpolation_over_less_than_a_step():
    optax = require("optax")
    # optax divides by max(b1 - b0, 1): between 2 and 2.5 it goes a quarter of the way per
    # quarter step and then jumps
    theirs = optax32(
        optax.piecewise_interpolate_schedule("linear", 1.0, {2: 0.5, 2.5: 0.5}), [2.0, 2.25, 2.5]
    )
    assert theirs == [0.5, 0.4375, 0.25]
    s = lo.piecewise_interpolate_schedule("linear", 1.0, {2: 0.5, 2.5: 0.5})
    assert (s(2), s(2.25), s(2.5)) == (0.5, 0.375, 0.25)


def test_onecycle_points_collide_in_optax():
    optax = require("optax")
    # pct_final * T == pct_start * T: optax's dict keeps the last scale only, a schedule that
    # never reaches the peak
    theirs = optax32(optax.linear_onecycle_schedule(100, 1.0, 0.3, 0.3), list(range(0, 101, 10)))
    assert max(theirs) < 0.05
    with pytest.raises(ValueError, match="`pct_final`"):
        lo.linear_onecycle_schedule(100, 1.0, 0.3, 0.3)


def test_onecycle_fraction_is_exact():
    optax = require("optax")
    theirs = optax32(optax.cosine_onecycle_schedule(100, 1.0, 0.29), list(range(101)))
    assert max(range(101), key=lambda t: theirs[t]) == 28  # int(0.29 * 100) = 28
    ours = lo.cosine_onecycle_schedule(100, 1.0, 0.29)
    assert ours(29) == 1.0 and ours.points[1][0] == int(Fraction(29, 100) * 100)


def test_join_length_mismatch_is_silent_in_optax():
    optax = require("optax")
    # zip drops the schedule without a boundary
    j = optax.join_schedules([optax.constant_schedule(1.0), optax.constant_schedule(2.0)], [])
    assert optax32(j, [0, 100]) == [1.0, 1.0]
    with pytest.raises(ValueError, match="`boundaries`"):
        lo.join_schedules([lrkit.Constant(1.0), lrkit.Constant(2.0)], [])


def test_schedules_are_lrkit_schedules_that_serialize():
    s = lo.sgdr_schedule(
        [{"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 50}] * 2
    )
    assert lrkit.deserialize(lrkit.serialize(s)) == s
    assert lo.exponential_decay(1.0, 10, 0.5, 5, True, 0.1) == lrkit.Clamp(
        lrkit.Offset(lrkit.ExponentialDecay(1.0, 10, 0.5, staircase=True), 5), min_value=0.1
    )


def test_zero_d_arrays_are_numbers():
    np = require("numpy")
    s = lo.linear_schedule(np.float32(1.0), np.asarray(0.0), np.int64(10))
    assert s == lrkit.Linear(1.0, 0.0, 10)
