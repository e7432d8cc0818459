"""The schedules beyond Keras against exact references (mpmath, 40 digits).

Each reference below is written from the formula in the class's docstring, directly
and independently of lrkit's code: phase and cycle logic in exact rationals
(``Fraction``), the values in mpmath. Seeded generated configs are evaluated at steps
around every phase boundary, at random steps, and at steps past 2**45 (integer logic
must stay exact); lrkit's float64 result must be within 1e-12 of the schedule's scale
(the largest |rate| it takes).

The tests are in ``tests/schedules/test_<family>.py``, one file per family; this module
keeps what they share: the references, the generators and ``check_matches_exact_reference``.
"""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest

import lrkit
from conftest import require

REL = 1e-12
SEED = 20250501
CONFIGS = 12


@pytest.fixture(scope="module")
def mp():
    mpmath = require("mpmath")
    mpmath.mp.dps = 40
    return mpmath


def F(x: Any) -> Fraction:
    return Fraction(x)


def M(mp, x: Any):
    """An mpmath number from an int, float, Fraction or mpf."""
    if isinstance(x, Fraction):
        return mp.mpf(x.numerator) / x.denominator
    return mp.mpf(x)


def lerp(mp, a, b, num, den):
    return M(mp, a) + (M(mp, b) - M(mp, a)) * M(mp, F(num) / F(den))


# -- references -------------------------------------------------------------------------------


def ref_linear(mp, kw, t):
    i, e, steps, begin = (
        kw["initial_learning_rate"],
        kw["end_learning_rate"],
        kw["transition_steps"],
        kw.get("transition_begin", 0),
    )
    if t < begin:
        return M(mp, i)
    if steps == 0 or t >= begin + steps:
        return M(mp, e)
    return lerp(mp, i, e, F(t) - F(begin), steps)


def ref_polynomial(mp, kw, t):
    peak, d = kw["initial_learning_rate"], kw["decay_steps"]
    end, p, w = kw.get("end_learning_rate", 0.0), kw.get("power", 1.0), kw.get("warmup_steps", 0)
    if t < w:
        return lerp(mp, kw.get("warmup_learning_rate", 0.0), peak, t, w)
    e = min(F(t) - F(w), F(d))
    return (M(mp, peak) - end) * M(mp, 1 - e / F(d)) ** M(mp, p) + end


def _interp(mp, points, cosine, t):
    xs = [F(x) for x, _ in points]
    if t < xs[0]:
        return M(mp, points[0][1])
    if t >= xs[-1]:
        return M(mp, points[-1][1])
    k = max(i for i in range(len(xs)) if xs[i] <= t)
    (xa, ya), (xb, yb) = points[k], points[k + 1]
    u = M(mp, (F(t) - F(xa)) / (F(xb) - F(xa)))
    if cosine:
        return M(mp, yb) + (M(mp, ya) - yb) * (1 + mp.cos(mp.pi * u)) / 2
    return M(mp, ya) + (M(mp, yb) - ya) * u


def ref_piecewise_linear(mp, kw, t):
    return _interp(mp, kw["knots"], kw.get("interpolation", "linear") == "cosine", t)


def ref_inverse_sqrt(mp, kw, t):
    peak, w = kw["initial_learning_rate"], kw.get("warmup_steps", 0)
    tau = kw.get("timescale") or w or 10_000
    if t < w:
        return lerp(mp, kw.get("warmup_learning_rate", 0.0), peak, t, w)
    return peak * mp.sqrt(M(mp, F(tau) / (F(t) - w + F(tau))))


def _ceil_fraction(frac, total):
    x = Fraction(str(frac)) * total
    return -(-x.numerator // x.denominator)


def ref_wsd(mp, kw, t):
    peak = M(mp, kw["initial_learning_rate"])
    total = kw.get("total_steps")
    w = kw.get("warmup_steps")
    if w is None:
        w = _ceil_fraction(kw["warmup_fraction"], total) if kw.get("warmup_fraction") else 0
    d = kw.get("decay_steps")
    if d is None:
        d = _ceil_fraction(kw["decay_fraction"], total)
    s = kw.get("stable_steps")
    if s is None:
        s = total - w - d
    lo = peak * kw.get("alpha", 0.0)
    start = kw.get("warmup_learning_rate")
    start = lo if start is None else M(mp, start)
    if t < w:
        x = M(mp, F(t) / w)
        g = {"linear": x, "cosine": (1 - mp.cos(mp.pi * x)) / 2, "1-sqrt": 1 - mp.sqrt(1 - x)}[
            kw.get("warmup_shape", "linear")
        ]
        return start + (peak - start) * g
    if t < w + s:
        return peak
    if t < w + s + d:
        x = M(mp, (F(t) - w - s) / d)
        c = kw.get("waves", 0.5)
        h = {
            "linear": 1 - x,
            "cosine": (1 + mp.cos(2 * mp.pi * c * x)) / 2,
            "1-sqrt": 1 - mp.sqrt(x),
        }[kw.get("decay_shape", "cosine")]
        return lo + (peak - lo) * h
    return lo


def ref_one_cycle(mp, kw, t):
    top, total = M(mp, kw["max_learning_rate"]), kw["total_steps"]
    pct = Fraction(str(kw.get("pct_start", 0.3)))
    initial = top / kw.get("div_factor", 25.0)
    lowest = initial / kw.get("final_div_factor", 1e4)
    if kw.get("convention", "torch") == "torch":
        peak, end = pct * total - 1, total - 1
        second = (
            2 * peak
            if kw.get("pct_final") is None
            else (Fraction(str(kw["pct_final"])) * total - 1)
        )
    else:
        peak, end = Fraction(int(pct * total)), total
        second = (
            2 * peak
            if kw.get("pct_final") is None
            else Fraction(int(Fraction(str(kw["pct_final"])) * total))
        )
    points = ([(0, initial)] if peak > 0 else []) + [(peak, top)]
    if kw.get("three_phase"):
        points.append((second, initial))
    points.append((end, lowest))
    return _interp(mp, points, kw.get("anneal_strategy", "cos") == "cos", t)


def ref_cyclic(mp, kw, t):
    up = F(kw.get("step_size_up", 2000))
    down = F(kw["step_size_down"]) if kw.get("step_size_down") is not None else up
    q = F(t) // (up + down)
    r = F(t) - q * (up + down)
    s = r / up if r <= up else (up + down - r) / down
    amp = {
        "triangular": M(mp, 1),
        "triangular2": M(mp, 2) ** -int(q),
        "exp_range": M(mp, kw.get("gamma", 1.0)) ** t,
    }[kw.get("mode", "triangular")]
    base = M(mp, kw["base_learning_rate"])
    return base + (M(mp, kw["max_learning_rate"]) - base) * M(mp, s) * amp


def ref_cosine(mp, kw, t):
    peak, d = M(mp, kw["initial_learning_rate"]), F(kw["decay_steps"])
    w = kw.get("warmup_steps", 0)
    if t < w:
        return lerp(mp, kw.get("warmup_learning_rate", 0.0), peak, t, w)
    n = kw.get("cycles", 1)
    e = min(F(t) - w, d)
    x = Fraction(1) if e == d else (n * e % d) / d
    f = (1 + mp.cos(2 * mp.pi * kw.get("waves", 0.5) * M(mp, x))) / 2
    alpha = kw.get("alpha", 0.0)
    return peak * ((1 - alpha) * f ** M(mp, kw.get("exponent", 1.0)) + alpha)


def _timm(mp, kw, t, shape):
    base, lo = M(mp, kw["initial_learning_rate"]), M(mp, kw.get("min_learning_rate", 0.0))
    w, prefix = kw.get("warmup_steps", 0), kw.get("warmup_prefix", False)

    def after(t):
        t0, m, limit = kw["cycle_steps"], kw.get("cycle_mul", 1.0), kw.get("cycle_limit", 1)
        whole = isinstance(t0, int) and float(m).is_integer()

        def start(i):  # the documented starts: exact, or float64 values of the closed form
            if m == 1:
                return F(t0) * i
            if whole:
                return F(t0 * (int(m) ** i - 1) // (int(m) - 1))
            return F(t0 * (float(m) ** i - 1.0) / (float(m) - 1.0))

        if m == 1:
            i = int(F(t) // F(t0))
        else:
            i = 0
            while start(i + 1) <= t:
                i += 1
        if limit is not None and i >= limit:
            return lo
        length = F(t0) * int(m) ** i if m == 1 or whole else F(t0 * float(m) ** i)
        peak = base * M(mp, kw.get("cycle_decay", 1.0)) ** i
        return lo + (peak - lo) * shape(M(mp, (F(t) - start(i)) / length))

    if t < w:
        target = base if prefix or kw["_kind"] == "cosine" else after(w)
        return lerp(mp, kw.get("warmup_learning_rate", 0.0), target, t, w)
    return after(t - w if prefix else t)


def ref_cosine_cycles(mp, kw, t):
    k = M(mp, kw.get("k_decay", 1.0))
    return _timm(mp, dict(kw, _kind="cosine"), t, lambda x: (1 + mp.cos(mp.pi * x**k)) / 2)


def ref_tanh(mp, kw, t):
    lb, ub = M(mp, kw.get("lb", -7.0)), M(mp, kw.get("ub", 3.0))
    return _timm(mp, dict(kw, _kind="tanh"), t, lambda x: (1 - mp.tanh(lb * (1 - x) + ub * x)) / 2)


def ref_poly_cycles(mp, kw, t):
    k, p = M(mp, kw.get("k_decay", 1.0)), M(mp, kw.get("power", 0.5))
    return _timm(mp, dict(kw, _kind="cosine"), t, lambda x: (1 - x**k) ** p)


def ref_cosine_annealing(mp, kw, t):
    hi, lo = M(mp, kw["initial_learning_rate"]), M(mp, kw.get("min_learning_rate", 0.0))
    return lo + (hi - lo) * (1 + mp.cos(mp.pi * M(mp, F(t) / F(kw["decay_steps"])))) / 2


def _warm(mp, kw, t, after):
    w = kw.get("warmup_steps", 0)
    if t < w:
        return lerp(mp, kw.get("warmup_learning_rate", 0.0), kw["initial_learning_rate"], t, w)
    return after(t - w if kw.get("warmup_prefix", True) else t)


def ref_step(mp, kw, t):
    eta0, gamma = M(mp, kw["initial_learning_rate"]), M(mp, kw.get("gamma", 0.1))
    return _warm(mp, kw, t, lambda t: eta0 * gamma ** int(F(t) // F(kw["step_size"])))


def ref_multistep(mp, kw, t):
    eta0, gamma = M(mp, kw["initial_learning_rate"]), M(mp, kw.get("gamma", 0.1))
    return _warm(mp, kw, t, lambda t: eta0 * gamma ** sum(m <= t for m in kw["milestones"]))


# -- generated configs ---------------------------------------------------------------------------


def _rate(rng):
    return float(f"{10 ** rng.uniform(-4, 0.3):.5g}")


def _steps(rng, hi=3000):
    n = int(10 ** rng.uniform(0, 3.5))
    return min(n, hi) if rng.random() < 0.8 else n + 0.5


def gen_linear(rng):
    return dict(
        initial_learning_rate=_rate(rng),
        end_learning_rate=_rate(rng),
        transition_steps=rng.choice([0, _steps(rng)]),
        transition_begin=rng.choice([0, 0, _steps(rng)]),
    )


def gen_polynomial(rng):
    return dict(
        initial_learning_rate=_rate(rng),
        decay_steps=_steps(rng),
        end_learning_rate=rng.choice([0.0, 1e-5]),
        power=rng.choice([1.0, 2.0, 0.5, 3.3]),
        warmup_steps=rng.choice([0, 10, 250]),
        warmup_learning_rate=rng.choice([0.0, 1e-5]),
    )


def gen_piecewise_linear(rng):
    n = rng.randint(1, 6)
    xs = sorted(rng.sample(range(0, 5000), n))
    if rng.random() < 0.3:
        xs = [x + 0.5 for x in xs]
    if n > 2 and rng.random() < 0.5:
        xs[2] = xs[1]  # a jump
    return dict(knots=[(x, _rate(rng)) for x in xs], interpolation=rng.choice(["linear", "cosine"]))


def gen_inverse_sqrt(rng):
    return dict(
        initial_learning_rate=_rate(rng),
        warmup_steps=rng.choice([0, 1, 100, 4000]),
        timescale=rng.choice([None, 7, 10_000]),
    )


def gen_wsd(rng):
    total = rng.randint(10, 5000)
    kw: dict = dict(
        initial_learning_rate=_rate(rng),
        total_steps=total,
        warmup_shape=rng.choice(["linear", "cosine", "1-sqrt"]),
        decay_shape=rng.choice(["linear", "cosine", "1-sqrt"]),
        alpha=rng.choice([0.0, 0.1]),
        waves=rng.choice([0.5, 0.5, 1.0]),
    )
    if rng.random() < 0.5:
        kw["warmup_fraction"] = rng.choice([0.0, 0.01, 0.07, 0.1])
        kw["decay_fraction"] = rng.choice([0.1, 0.2, 0.33])
    else:
        kw["warmup_steps"] = rng.randint(0, total // 4)
        kw["decay_steps"] = rng.randint(0, total // 2)
    if rng.random() < 0.3:
        kw["warmup_learning_rate"] = 0.0
    return kw


def gen_one_cycle(rng):
    convention = rng.choice(["torch", "optax"])
    kw: dict = dict(
        max_learning_rate=_rate(rng),
        total_steps=rng.randint(5, 5000),
        pct_start=rng.choice([0.3, 0.25, 0.29, 0.1]),
        anneal_strategy=rng.choice(["cos", "linear"]),
        div_factor=rng.choice([25.0, 10.0]),
        final_div_factor=rng.choice([1e4, 5.0]),
        convention=convention,
    )
    if rng.random() < 0.4:
        kw["three_phase"] = True
        kw["pct_final"] = rng.choice([None, 0.85])
    try:
        lrkit.OneCycle(**kw)
    except ValueError:  # too few steps for the phases
        kw["total_steps"] = 1000
    return kw


def gen_cyclic(rng):
    return dict(
        base_learning_rate=_rate(rng),
        max_learning_rate=_rate(rng),
        step_size_up=rng.choice([1, 7, 2000, 2.5]),
        step_size_down=rng.choice([None, 0, 3, 1500]),
        mode=rng.choice(["triangular", "triangular2", "exp_range"]),
        gamma=rng.choice([1.0, 0.999, 0.9999]),
    )


def gen_cosine(rng):
    return dict(
        initial_learning_rate=_rate(rng),
        decay_steps=_steps(rng),
        alpha=rng.choice([0.0, 0.1]),
        exponent=rng.choice([1.0, 1.0, 2.0, 0.5]),
        waves=rng.choice([0.5, 0.5, 1.0, 0.25]),
        cycles=rng.choice([1, 1, 3, 4]),
        warmup_steps=rng.choice([0, 1, 100]),
        warmup_learning_rate=rng.choice([0.0, 1e-5]),
    )


def _gen_cycles(rng):
    kw: dict = dict(
        initial_learning_rate=_rate(rng),
        cycle_steps=rng.choice([1, 10, 300, 12.5]),
        min_learning_rate=rng.choice([0.0, 1e-5]),
        cycle_mul=rng.choice([1.0, 2.0, 3.0, 1.5]),
        cycle_decay=rng.choice([1.0, 0.5]),
        cycle_limit=rng.choice([1, 3, 10, None]),
        warmup_steps=rng.choice([0, 5, 200]),
        warmup_learning_rate=rng.choice([0.0, 1e-5]),
        warmup_prefix=rng.random() < 0.5,
    )
    return kw


def gen_cosine_cycles(rng):
    return dict(_gen_cycles(rng), k_decay=rng.choice([1.0, 2.0, 0.5]))


def gen_tanh(rng):
    return dict(_gen_cycles(rng), **rng.choice([{}, {"lb": -3.0, "ub": 5.0}]))


def gen_poly_cycles(rng):
    return dict(
        _gen_cycles(rng), k_decay=rng.choice([1.0, 2.0, 0.5]), power=rng.choice([0.5, 1.0, 2.0])
    )


def gen_cosine_annealing(rng):
    return dict(
        initial_learning_rate=_rate(rng),
        decay_steps=rng.choice([1, 7, 300, 12.5]),
        min_learning_rate=rng.choice([0.0, 1e-5, 0.5]),
    )


def gen_step(rng):
    return dict(
        initial_learning_rate=_rate(rng),
        step_size=rng.choice([1, 30, 2.5, 1000]),
        gamma=rng.choice([0.1, 0.5, 0.97]),
        warmup_steps=rng.choice([0, 10]),
        warmup_prefix=rng.random() < 0.5,
    )


def gen_multistep(rng):
    return dict(
        initial_learning_rate=_rate(rng),
        milestones=sorted(rng.sample(range(0, 5000), rng.randint(0, 5))),
        gamma=rng.choice([0.1, 0.5]),
        warmup_steps=rng.choice([0, 10]),
        warmup_prefix=rng.random() < 0.5,
    )


CLASSES = {
    "Linear": (gen_linear, ref_linear),
    "Polynomial": (gen_polynomial, ref_polynomial),
    "PiecewiseLinear": (gen_piecewise_linear, ref_piecewise_linear),
    "InverseSqrt": (gen_inverse_sqrt, ref_inverse_sqrt),
    "WarmupStableDecay": (gen_wsd, ref_wsd),
    "OneCycle": (gen_one_cycle, ref_one_cycle),
    "Cyclic": (gen_cyclic, ref_cyclic),
    "Cosine": (gen_cosine, ref_cosine),
    "CosineCycles": (gen_cosine_cycles, ref_cosine_cycles),
    "Tanh": (gen_tanh, ref_tanh),
    "Step": (gen_step, ref_step),
    "MultiStep": (gen_multistep, ref_multistep),
    "PolyCycles": (gen_poly_cycles, ref_poly_cycles),
    "CosineAnnealing": (gen_cosine_annealing, ref_cosine_annealing),
}


def _landmarks(schedule) -> list[float]:
    """Steps where the schedule changes regime, from its config."""
    c = schedule.get_config()
    marks = [
        c.get(k)
        for k in ("transition_begin", "warmup_steps", "total_steps", "step_size", "step_size_up")
    ]
    if "knots" in c:
        marks += [x for x, _ in c["knots"]]
    if "milestones" in c:
        marks += c["milestones"]
    if isinstance(schedule, lrkit.WarmupStableDecay):
        w, s, d = schedule.phases
        marks += [w, w + s, w + s + d]
    if isinstance(schedule, lrkit.OneCycle):
        marks += [x for x, _ in schedule.points]
    if isinstance(schedule, (lrkit.Cosine, lrkit.Polynomial, lrkit.Linear)):
        w = c.get("warmup_steps") or c.get("transition_begin") or 0
        d = c.get("decay_steps") or c.get("transition_steps") or 0
        n = c.get("cycles", 1)
        marks += [w + d * k / n for k in range(n + 1)]
    if isinstance(schedule, lrkit.CosineAnnealing):
        marks += [c["decay_steps"] * k for k in (1, 2, 3, 9)]
    if isinstance(schedule, (lrkit.CosineCycles, lrkit.Tanh, lrkit.PolyCycles)):
        t0, m, w = c["cycle_steps"], c["cycle_mul"], c["warmup_steps"]
        start = 0
        for i in range(8):
            start += t0 * m**i
            marks += [start, start + w]
    if isinstance(schedule, lrkit.Cyclic):
        up = c["step_size_up"]
        down = up if c["step_size_down"] is None else c["step_size_down"]
        marks += [k * (up + down) for k in (1, 2, 5)] + [up + down + up]
    return [m for m in marks if isinstance(m, (int, float))]


def _cases():
    rng = random.Random(SEED)
    out = []
    for name, (gen, _) in CLASSES.items():
        for i in range(CONFIGS):
            kw = gen(rng)
            out.append(pytest.param(name, kw, id=f"{name}-{i}"))
    return out


def check_matches_exact_reference(mp, name, kw):
    ref = CLASSES[name][1]
    schedule = getattr(lrkit, name)(**kw)
    rng = random.Random(repr(kw))
    steps = set(range(4))
    for mark in _landmarks(schedule):
        base = int(mark)
        steps.update(s for s in (base - 1, base, base + 1, base + 2) if s >= 0)
    steps.update(rng.randrange(20_000) for _ in range(25))
    big = 2**45 + rng.randrange(1000)
    if name not in ("Cyclic",) or kw.get("mode") != "exp_range":
        steps.add(big)
    steps = sorted(steps)
    exact = [ref(mp, kw, s) for s in steps]
    scale = max(float(abs(e)) for e in exact) or 1.0
    if name == "Cyclic":
        scale = max(abs(kw["base_learning_rate"]), abs(kw["max_learning_rate"]))
    bad = [
        (s, float(e), schedule(s))
        for s, e in zip(steps, exact, strict=True)
        if not abs(schedule(s) - e) <= REL * scale
    ]
    assert not bad, f"{schedule!r}: (step, exact, lrkit) {bad[:5]} of {len(bad)}"
