"""Parity with real Keras 3 (``keras.optimizers.schedules``).

* values: generated configs of every schedule, compared step by step with Keras's
  float32 result, within a tolerance that Keras's float32 arithmetic justifies;
* the documented places where Keras is wrong and lrkit right (both values asserted);
* the serialized form, both ways, including tf.keras 2 configs and optimizer configs;
* constructor signatures and the attributes Keras sets.

The tests of one family are in ``tests/schedules/test_<family>.py``; this module keeps
the shared tables and checks (``check_<test>``, run there on the family's cases) and the
tests that span families.
"""

from __future__ import annotations

import bisect
import inspect
import json
import math
import random
from typing import Any

import pytest

import lrkit

CLASSES = (
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
)

SEED = 20240607
#: every generated step is below this: exact in float32, away from Keras's large-step bugs
MAX_STEP = 2**20
CONFIGS_PER_CLASS = 40

# Tolerance. Keras computes every schedule in float32, the dtype of
# `initial_learning_rate` (a Python float), with unit roundoff u = 2**-24 ~ 6e-8.
# The generated steps (< 2**20) and step counts (integers, or multiples of 1/4) are exact
# in float32, as are the generated `t_mul`s, so a float32 quotient step / T is within u of
# the true one and, when T is a whole or quarter number, never rounds across an integer:
# `floor`/`ceil` (staircase, cycle, t_mul=1 restarts) then give the exact period. What is
# left is rounding in Keras's few float32 operations; each is a few u relative to the
# largest magnitude it handles, which is at most `scale`, the largest |rate| the schedule
# can take. The operations that amplify an input error are bounded by the generators:
#   * ExponentialDecay, r**p with r rounded to float32 (relative u) and p within u:
#     relative error ~ u p (1 + |ln r|) of x = eta0 r**p. Decaying (r <= 0.99), p is
#     ln(x / eta0) / ln r, so the absolute error is below u eta0 (1 + 1 / |ln r|) / e
#     <= 40 u eta0; growing, the steps are capped at p <= 50 and |p ln r| <= 20;
#   * PolynomialDecay, (1 - p)**k: error k u x**(k - 1) for x >= 1/T; k < 1 only with
#     T <= 10**4 and no cycle, so at most 0.5 * 6e-8 * 100 = 3e-6;
#   * cos(pi f) in CosineDecay: slope <= pi/2 and f = step / T is within a few u;
#   * CosineDecayRestarts's float32 log formula for the period index, which is right
#     except within about one step of a restart boundary (those steps are skipped here
#     and tested below by name).
# So |keras - exact| stays below ~3e-6 * scale (measured on this sweep: at most 2e-6, from
# ExponentialDecay; 1e-7 .. 8e-7 for the others); the check allows 1e-5 * scale.
#
# One more float32 loss is Keras's own and is added on top (`_restart_slack`): in
# CosineDecayRestarts, Keras takes the position in period i as (F - S_i) / t_mul**i, with
# F = step / first_decay_steps rounded to float32 (error u F) and
# S_i = (1 - t_mul**i) / (1 - t_mul) (error ~3u t_mul**i / |1 - t_mul|); for t_mul = 1,
# S_i = floor(F). The position is then off by up to u (F + 3 / |1 - t_mul|) / t_mul**i
# (u F for t_mul = 1), and the rate by pi/2 * scale times that. For t_mul >= 1.25 this is
# below 2e-6 * scale, inside the 1e-5; it matters for t_mul = 1 with many periods (u F is
# 2e-2 at F = 3e5) and for t_mul < 1, whose periods get short. The allowance is twice
# this estimate.
REL_TOL = 1e-5
U32 = 2.0**-24


# -- generated configs -------------------------------------------------------------------


def _rate(rng: random.Random) -> float:
    """A positive float learning rate, 1e-4 .. 3, with a few digits."""
    return float(f"{10 ** rng.uniform(-4, 0.5):.6g}")


def _frac(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 4)


def _period(rng: random.Random, hi: int = 100_000) -> int | float:
    """A step count, log-uniform: mostly an int, else a whole float or a number of quarters."""
    n = int(10 ** rng.uniform(0, math.log10(hi)))
    kind = rng.random()
    if kind < 0.15:
        return float(n)
    if kind < 0.3:
        return n + rng.choice((0.25, 0.5, 0.75))
    return n


def _gen_exponential(rng: random.Random) -> tuple[dict[str, Any], int]:
    decay_steps = _period(rng)
    kind = rng.random()
    if kind < 0.1:
        decay_rate = 1.0
    elif kind < 0.25:
        decay_rate = _frac(rng, 1.01, 1.5)  # growth
    else:
        decay_rate = _frac(rng, 0.05, 0.99)
    kw = dict(
        initial_learning_rate=_rate(rng),
        decay_steps=decay_steps,
        decay_rate=decay_rate,
        staircase=rng.random() < 0.5,
    )
    hi = MAX_STEP
    if decay_rate > 1:  # keep p <= 50 and |p ln r| <= 20 (see the tolerance)
        hi = min(hi, int(50 * decay_steps), int(20 * decay_steps / math.log(decay_rate)))
    return kw, hi


def _gen_piecewise(rng: random.Random) -> tuple[dict[str, Any], int]:
    n = rng.randint(1, 6)
    bounds = sorted(rng.sample(range(1, MAX_STEP - 2), n))
    if rng.random() < 0.3:  # whole and half floats: exact in float32
        bounds = [b + rng.choice((0.0, 0.5)) for b in bounds]
    values = [_rate(rng) for _ in range(n + 1)]
    return dict(boundaries=bounds, values=values), MAX_STEP


def _gen_polynomial(rng: random.Random) -> tuple[dict[str, Any], int]:
    cycle = rng.random() < 0.5
    decay_steps = _period(rng)
    if not cycle and rng.random() < 0.3:
        decay_steps = rng.randint(1, 10_000)
        power = _frac(rng, 0.5, 1.0)
    else:
        power = rng.choice((1.0, 2.0, _frac(rng, 1.0, 3.0)))
    end = rng.choice((0.0, 0.0001, _rate(rng)))
    kw = dict(
        initial_learning_rate=_rate(rng),
        decay_steps=decay_steps,
        end_learning_rate=end,
        power=power,
        cycle=cycle,
    )
    return kw, MAX_STEP


def _gen_inverse_time(rng: random.Random) -> tuple[dict[str, Any], int]:
    kw = dict(
        initial_learning_rate=_rate(rng),
        decay_steps=_period(rng),
        decay_rate=rng.choice((0.0, 1.0, _frac(rng, 0.01, 3.0), _frac(rng, 0.01, 3.0))),
        staircase=rng.random() < 0.5,
    )
    return kw, MAX_STEP


def _gen_cosine(rng: random.Random) -> tuple[dict[str, Any], int]:
    kw: dict[str, Any] = dict(
        initial_learning_rate=_rate(rng),
        decay_steps=_period(rng),
        alpha=rng.choice((0.0, _frac(rng, 0.0, 0.5))),
    )
    if rng.random() < 0.5:
        kw["warmup_target"] = _rate(rng)
        kw["warmup_steps"] = rng.choice((0, rng.randint(1, 5000), _period(rng, 5000)))
        if rng.random() < 0.2:
            kw["initial_learning_rate"] = 0.0
    return kw, MAX_STEP


def _gen_restarts(rng: random.Random) -> tuple[dict[str, Any], int]:
    t_mul = rng.choice((1.0, 1.0, 1.25, 1.5, 2.0, 2.0, 3.0, 0.75, 0.5))  # float32-exact
    first = int(10 ** rng.uniform(0, 3.7))
    if t_mul < 1:  # shrinking periods: start long enough to leave steps to test
        first = rng.randint(50, 5000)
    if t_mul == 1.0 and rng.random() < 0.3:
        first = float(first)
    kw = dict(
        initial_learning_rate=_rate(rng),
        first_decay_steps=first,
        t_mul=t_mul,
        m_mul=rng.choice((1.0, _frac(rng, 0.3, 1.0))),
        alpha=rng.choice((0.0, _frac(rng, 0.0, 0.3))),
    )
    hi = MAX_STEP
    if t_mul < 1:  # the periods end at first / (1 - t_mul); Keras gives NaN from there
        hi = min(hi, int(first / (1 - t_mul)))
    return kw, hi


_GENERATORS = {
    "ExponentialDecay": _gen_exponential,
    "PiecewiseConstantDecay": _gen_piecewise,
    "PolynomialDecay": _gen_polynomial,
    "InverseTimeDecay": _gen_inverse_time,
    "CosineDecay": _gen_cosine,
    "CosineDecayRestarts": _gen_restarts,
}


def _restart_starts(kw: dict[str, Any], hi: int) -> list[float]:
    """The restart steps B_i = T0 (m**i - 1) / (m - 1) up to ``hi`` (float64), m != 1."""
    t0, m = kw["first_decay_steps"], kw["t_mul"]
    out, i = [0.0], 1
    while True:
        b = t0 * (m**i - 1) / (m - 1)
        if b >= hi + 2 or b <= out[-1] or i > 400:
            return out
        out.append(b)
        i += 1


def _landmarks(name: str, kw: dict[str, Any], hi: int) -> list[float]:
    """Steps where a schedule changes regime: period ends, boundaries, warmup end."""
    if name == "PiecewiseConstantDecay":
        return list(kw["boundaries"])
    if name == "CosineDecayRestarts":
        if kw["t_mul"] == 1:
            return [kw["first_decay_steps"] * i for i in (1, 2, 3, 7, 100, 1000)]
        return _restart_starts(kw, hi)[:40]
    if name == "CosineDecay":
        w = kw.get("warmup_steps", 0) if kw.get("warmup_target") is not None else 0
        return [w, w + kw["decay_steps"]]
    t = kw["decay_steps"]
    return [t * i for i in (1, 2, 3, 7)] + [t * int(hi / t / 2)]


def _steps(rng: random.Random, name: str, kw: dict[str, Any], hi: int, n_random: int) -> list[int]:
    steps = set(range(min(6, hi)))
    for mark in _landmarks(name, kw, hi):
        base = math.floor(mark)
        steps.update(base + d for d in (-2, -1, 0, 1, 2))
    steps.update(rng.randrange(hi) for _ in range(n_random // 2))
    steps.update(int(10 ** rng.uniform(0, math.log10(hi))) for _ in range(n_random // 2))
    steps = {s for s in steps if 0 <= s < hi}
    if name == "CosineDecayRestarts" and kw["t_mul"] != 1:
        # Keras's float32 log formula puts steps within one of a restart in the wrong
        # period (tested by name below); keep the sweep away from them.
        starts = _restart_starts(kw, hi)
        steps = {s for s in steps if all(abs(s - b) > 1 for b in starts)}
    return sorted(steps)


def _restart_slack(kw: dict[str, Any], step: int) -> float:
    """Keras's float32 error in CosineDecayRestarts at ``step``, relative to the scale."""
    t0, m = kw["first_decay_steps"], kw["t_mul"]
    f = step / t0
    if m == 1:
        return math.pi / 2 * 2 * U32 * f
    i = bisect.bisect_right(_restart_starts(kw, step + 1), step) - 1
    return math.pi / 2 * 2 * U32 * (f + 3 / abs(1 - m)) / m**i


def _tolerances(name: str, kw: dict[str, Any], steps: list[int], scale: float) -> list[float]:
    if name != "CosineDecayRestarts":
        return [REL_TOL * scale] * len(steps)
    return [(REL_TOL + _restart_slack(kw, s)) * scale for s in steps]


def _scale(name: str, kw: dict[str, Any], steps: list[int]) -> float:
    """The largest |rate| the schedule takes (over ``steps`` for a growing one)."""
    if name == "PiecewiseConstantDecay":
        return max(abs(v) for v in kw["values"])
    eta0 = abs(kw["initial_learning_rate"])
    if name == "ExponentialDecay":
        return eta0 * max(1.0, kw["decay_rate"] ** (max(steps) / kw["decay_steps"]))
    if name == "PolynomialDecay":
        return max(eta0, abs(kw["end_learning_rate"]))
    if name == "CosineDecay":
        return max(eta0, abs(kw.get("warmup_target") or 0.0))
    return eta0  # InverseTimeDecay, CosineDecayRestarts (m_mul <= 1, 0 <= alpha < 1)


def _cases() -> list[Any]:
    rng = random.Random(SEED)
    cases = []
    for name in CLASSES:
        for i in range(CONFIGS_PER_CLASS):
            kw, hi = _GENERATORS[name](rng)
            # Keras's CosineDecay with a warmup target uses ops.cond: one call per step
            scalar = name == "CosineDecay" and kw.get("warmup_target") is not None
            steps = _steps(rng, name, kw, hi, n_random=16 if scalar else 120)
            cases.append(pytest.param(name, kw, steps, scalar, id=f"{name}-{i}"))
    return cases


# -- helpers (the `keras` and `ks` fixtures are conftest.py's) --------------------------------


def _keras_values(keras: Any, sched: Any, steps: list[int], scalar: bool) -> list[float]:
    if scalar:
        return [float(keras.ops.convert_to_numpy(sched(s))) for s in steps]
    out = sched(keras.ops.convert_to_tensor(steps, dtype="int64"))
    values = keras.ops.convert_to_numpy(out).tolist()
    assert len(values) == len(steps)
    return [float(v) for v in values]


def _assert_close(
    name: str,
    kw: dict[str, Any],
    steps: list[int],
    theirs: list[float],
    ours: list[float],
    tols: list[float],
) -> None:
    bad = [
        (s, k, o, abs(k - o), tol)
        for s, k, o, tol in zip(steps, theirs, ours, tols, strict=True)
        if not abs(k - o) <= tol  # also catches NaN
    ]
    assert not bad, (
        f"{name}(**{kw}) differs from Keras by more than the tolerance at {len(bad)} of "
        f"{len(steps)} steps; (step, keras, lrkit, diff, tolerance): {bad[:5]}"
    )


# -- 1. values -----------------------------------------------------------------------------


def check_values_match_keras(keras, ks, name, kw, steps, scalar):
    ours = getattr(lrkit, name)(**kw)
    theirs = getattr(ks, name)(**kw)
    assert len(steps) > 20
    tols = _tolerances(name, kw, steps, _scale(name, kw, steps))
    our_values = [ours(s) for s in steps]
    assert all(type(v) is float and math.isfinite(v) for v in our_values)
    _assert_close(name, kw, steps, _keras_values(keras, theirs, steps, scalar), our_values, tols)


def test_generated_sweep_covers_every_option():
    """The seeded generator hits every class, both staircase/cycle settings, warmup..."""
    seen: set[str] = set()
    for p in _cases():
        name, kw, _, scalar = p.values
        seen.add(name)
        for flag in ("staircase", "cycle"):
            if flag in kw:
                seen.add(f"{name}.{flag}={kw[flag]}")
        if name == "CosineDecay":
            seen.add(f"warmup={scalar}")
            if scalar and kw["warmup_steps"] == 0:
                seen.add("warmup_steps=0")
        if name == "CosineDecayRestarts":
            seen.add(f"t_mul={kw['t_mul']}")
            seen.add(f"m_mul<1={kw['m_mul'] < 1}")
        if name == "ExponentialDecay" and kw["decay_rate"] > 1:
            seen.add("growth")
        if name == "PiecewiseConstantDecay" and isinstance(kw["boundaries"][0], float):
            seen.add("float boundaries")
        if name == "PolynomialDecay" and kw["power"] < 1:
            seen.add("power<1")
        if any(
            isinstance(kw.get(k), float) and not kw[k].is_integer()
            for k in ("decay_steps", "warmup_steps")
        ):
            seen.add(f"{name}.fractional steps")
    expected = set(CLASSES) | {
        "ExponentialDecay.staircase=True",
        "ExponentialDecay.staircase=False",
        "InverseTimeDecay.staircase=True",
        "InverseTimeDecay.staircase=False",
        "PolynomialDecay.cycle=True",
        "PolynomialDecay.cycle=False",
        "warmup=True",
        "warmup=False",
        "warmup_steps=0",
        "t_mul=1.0",
        "t_mul=2.0",
        "t_mul=1.25",
        "t_mul=0.75",
        "m_mul<1=True",
        "m_mul<1=False",
        "growth",
        "float boundaries",
        "power<1",
        "ExponentialDecay.fractional steps",
        "CosineDecay.fractional steps",
    }
    assert expected <= seen, sorted(expected - seen)


def test_keras_takes_a_vector_of_steps_where_used(keras, ks):
    """Every class the sweep calls with a vector gives Keras's per-step values."""
    steps = [0, 3, 10, 17, 40, 99]
    for name, kw in [
        (
            "ExponentialDecay",
            dict(initial_learning_rate=0.5, decay_steps=7, decay_rate=0.8, staircase=True),
        ),
        ("PiecewiseConstantDecay", dict(boundaries=[3, 17], values=[0.3, 0.2, 0.1])),
        ("PolynomialDecay", dict(initial_learning_rate=0.5, decay_steps=7, cycle=True)),
        ("InverseTimeDecay", dict(initial_learning_rate=0.5, decay_steps=7, decay_rate=0.3)),
        ("CosineDecay", dict(initial_learning_rate=0.5, decay_steps=70, alpha=0.1)),
        ("CosineDecayRestarts", dict(initial_learning_rate=0.5, first_decay_steps=7)),
        ("CosineDecayRestarts", dict(initial_learning_rate=0.5, first_decay_steps=7, t_mul=1.0)),
    ]:
        k = getattr(ks, name)(**kw)
        assert _keras_values(keras, k, steps, False) == _keras_values(keras, k, steps, True)


# -- 2. where Keras is wrong and lrkit right -------------------------------------------------


# -- 3. serialization ------------------------------------------------------------------------

SERIAL_CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=1000, decay_rate=0.96)),
    (
        "ExponentialDecay",
        dict(
            initial_learning_rate=0.01,
            decay_steps=250.5,
            decay_rate=0.5,
            staircase=True,
            name="exp_lr",
        ),
    ),
    ("PiecewiseConstantDecay", dict(boundaries=[100, 200], values=[1.0, 0.5, 0.1])),
    (
        "PiecewiseConstantDecay",
        dict(boundaries=[10.5, 1000], values=[0.3, 0.2, 0.001], name="steps"),
    ),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=10000)),
    (
        "PolynomialDecay",
        dict(
            initial_learning_rate=0.5,
            decay_steps=300.0,
            end_learning_rate=0.001,
            power=0.5,
            cycle=True,
            name="poly",
        ),
    ),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5)),
    (
        "InverseTimeDecay",
        dict(
            initial_learning_rate=1.0, decay_steps=7.25, decay_rate=2.0, staircase=True, name="inv"
        ),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=1000)),
    (
        "CosineDecay",
        dict(
            initial_learning_rate=0.0,
            decay_steps=500,
            alpha=0.1,
            name="cos",
            warmup_target=0.2,
            warmup_steps=50,
        ),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.3, decay_steps=500.0, warmup_target=0.5)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=100)),
    (
        "CosineDecayRestarts",
        dict(
            initial_learning_rate=0.2,
            first_decay_steps=30,
            t_mul=1.0,
            m_mul=0.5,
            alpha=0.05,
            name="sgdr",
        ),
    ),
    (
        "CosineDecayRestarts",
        dict(initial_learning_rate=0.2, first_decay_steps=30.0, t_mul=1.5, m_mul=0.9),
    ),
]
SERIAL_IDS = [f"{name}-{i}" for i, (name, _) in enumerate(SERIAL_CONFIGS)]
#: steps where serialized round trips are checked for values (away from restarts)
CHECK_STEPS = [0, 1, 7, 49, 60, 101, 150, 199, 205, 333, 777, 5000, 12345]


def _pair(ks: Any, name: str, kw: dict[str, Any]) -> tuple[Any, Any]:
    return getattr(lrkit, name)(**kw), getattr(ks, name)(**kw)


def _check_values(keras: Any, ours: Any, theirs: Any) -> None:
    name = type(ours).__name__
    config = ours.get_config()
    steps = CHECK_STEPS
    if name == "CosineDecayRestarts" and config["t_mul"] != 1:
        starts = _restart_starts(config, MAX_STEP)
        steps = [s for s in steps if all(abs(s - b) > 1 for b in starts)]
    if name == "PiecewiseConstantDecay":
        scale = max(abs(v) for v in config["values"])
    else:
        scale = max(
            abs(config["initial_learning_rate"]),
            abs(config.get("warmup_target") or 0.0),
            abs(config.get("end_learning_rate", 0.0)),
        )
    scalar = name == "CosineDecay" and config["warmup_target"] is not None
    _assert_close(
        name,
        config,
        steps,
        _keras_values(keras, theirs, steps, scalar),
        [ours(s) for s in steps],
        _tolerances(name, config, steps, scale),
    )


def check_serialize_equals_keras(ks, name, kw):
    ours, theirs = _pair(ks, name, kw)
    mine = lrkit.serialize(ours)
    expected = ks.serialize(theirs)
    assert mine == expected
    assert list(mine) == list(expected)
    assert list(mine["config"]) == list(expected["config"])
    assert set(mine) == {"module", "class_name", "config", "registered_name"}
    assert mine["module"] == "keras.optimizers.schedules"
    assert mine["class_name"] == name
    assert mine["registered_name"] is None
    # same JSON text: same key order and the same int/float types
    assert json.dumps(mine) == json.dumps(expected)
    assert json.loads(json.dumps(mine)) == mine
    assert ours.get_config() == theirs.get_config()


def check_keras_deserializes_ours(keras, ks, name, kw):
    ours = getattr(lrkit, name)(**kw)
    for form in (lrkit.serialize(ours), json.loads(json.dumps(lrkit.serialize(ours)))):
        theirs = ks.deserialize(form)
        assert type(theirs) is getattr(ks, name)
        assert theirs.get_config() == ours.get_config()
        _check_values(keras, ours, theirs)


def check_we_deserialize_keras(keras, ks, name, kw):
    ours, theirs = _pair(ks, name, kw)
    for form in (ks.serialize(theirs), json.loads(json.dumps(ks.serialize(theirs)))):
        loaded = lrkit.deserialize(form)
        assert type(loaded) is getattr(lrkit, name)
        assert loaded == ours
        assert loaded.get_config() == theirs.get_config()
        _check_values(keras, loaded, theirs)


def check_we_deserialize_tf_keras_2_form(keras, ks, name, kw):
    # tf.keras 2 wrote {"class_name": ..., "config": {...}}, with name None by default
    config = {**getattr(lrkit, name)(**kw).get_config(), "name": None}
    legacy = {"class_name": name, "config": config}
    loaded = lrkit.deserialize(json.loads(json.dumps(legacy)))
    default_name = inspect.signature(getattr(ks, name).__init__).parameters["name"].default
    plain = {k: v for k, v in kw.items() if k != "name"}
    assert loaded == getattr(lrkit, name)(**plain)
    assert loaded.name == default_name
    _check_values(keras, loaded, getattr(ks, name)(**plain))


def check_we_read_the_schedule_in_a_keras_optimizer_config(keras, ks, name, kw):
    ours, theirs = _pair(ks, name, kw)
    opt_config = keras.optimizers.SGD(learning_rate=theirs).get_config()
    for config in (opt_config, json.loads(json.dumps(opt_config))):
        assert lrkit.deserialize(config["learning_rate"]) == ours
    # and a Keras optimizer takes our serialized schedule back
    rebuilt = keras.optimizers.SGD.from_config(
        {**opt_config, "learning_rate": lrkit.serialize(ours)}
    )
    assert rebuilt.get_config()["learning_rate"] == lrkit.serialize(ours)


# -- 4. signatures and attributes ------------------------------------------------------------


def _params(cls: type) -> list[tuple[str, Any, Any]]:
    return [
        (p.name, p.kind, p.default) for p in inspect.signature(cls.__init__).parameters.values()
    ]


def check_signature_equals_keras(ks, name):
    ours, theirs = _params(getattr(lrkit, name)), _params(getattr(ks, name))
    assert [p[0] for p in ours] == [p[0] for p in theirs]
    assert ours == theirs
    for (_, _, mine), (_, _, keras_default) in zip(ours, theirs, strict=True):
        assert type(mine) is type(keras_default)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def check_attributes_keras_sets_exist_with_equal_values(ks, name, kw):
    ours, theirs = _pair(ks, name, kw)
    attrs = vars(theirs)
    assert "name" in attrs
    for attr, value in attrs.items():
        assert hasattr(ours, attr), f"{name} has no attribute {attr!r}"
        # lrkit keeps sequences as tuples (its schedules are immutable); compare as lists
        mine = _plain(getattr(ours, attr))
        assert mine == value, (attr, mine, value)
        assert type(mine) is type(value), (attr, mine, value)
