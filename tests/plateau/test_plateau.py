"""`lrkit.Plateau`: PyTorch's ReduceLROnPlateau decisions around any schedule.

The reference is the real ``torch.optim.lr_scheduler.ReduceLROnPlateau`` on an optimizer
whose base rate is 1.0 (so that its rate is the multiplier), fed the same metrics.
"""

from __future__ import annotations

import json
import math
import pickle
import random

import pytest

import lrkit
from conftest import require

NAN, INF = math.nan, math.inf


def _configs(rng: random.Random, n: int):
    for _ in range(n):
        yield {
            "mode": rng.choice(["min", "max"]),
            "factor": rng.choice([0.1, 0.5, 0.3, 0.9, 0.99]),
            "patience": rng.choice([0, 1, 2, 3, 5]),
            "threshold": rng.choice([0.0, 1e-4, 0.01, 0.1, 1.0]),
            "threshold_mode": rng.choice(["rel", "abs"]),
            "cooldown": rng.choice([0, 0, 1, 2, 4]),
            "min_scale": rng.choice([0.0, 0.0, 1e-3, 0.05, 0.2]),
            "eps": rng.choice([1e-8, 0.0, 1e-3, 0.05]),
        }


def _metrics(rng: random.Random, n: int) -> list[float]:
    """Metrics with plateaus, ties, improvements by tiny and large amounts, and the odd
    NaN or infinity (a diverged loss)."""
    out, x = [], rng.uniform(-2, 5)
    for _ in range(n):
        r = rng.random()
        if r < 0.3:
            pass  # a tie: a plateau
        elif r < 0.55:
            x -= rng.choice([1e-6, 1e-3, 0.01, 0.5]) * (abs(x) + 1)
        elif r < 0.8:
            x += rng.choice([1e-6, 1e-3, 0.01, 0.5]) * (abs(x) + 1)
        out.append(x)
        if rng.random() < 0.03:
            out.append(rng.choice([NAN, INF, -INF]) if rng.random() < 0.3 else NAN)
    return out


def test_the_multiplier_is_pytorchs_rate_over_its_base_rate_after_every_report():
    torch = require("torch")
    rng = random.Random(20261204)
    checked = 0
    for config in _configs(rng, 300):
        metrics = _metrics(rng, rng.randrange(1, 60))
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        ref = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, **{("min_lr" if k == "min_scale" else k): val for k, val in config.items()}
        )
        p = lrkit.Plateau(lrkit.Constant(1.0), **config)
        for i, m in enumerate(metrics):
            ref.step(m)
            p.report(m, step=i)
            assert p.scale == opt.param_groups[0]["lr"], (config, metrics[: i + 1])
            assert p.bad_reports == ref.num_bad_epochs and p.cooldown_left == ref.cooldown_counter
            assert p.best == ref.best or (math.isnan(p.best) and math.isnan(ref.best))
            checked += 1
    assert checked > 3000


@pytest.mark.parametrize(
    ("mode", "metrics", "scales"),
    [
        # a loss that stops improving: two bad reports beyond patience=1, then cooldown
        ("min", [1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [1, 1, 1, 0.5, 0.5, 0.25, 0.25]),
        # NaN and +inf count as no improvement; -inf would be a best no loss beats
        ("min", [1.0, NAN, INF, 0.9, NAN, NAN], [1, 1, 0.5, 0.5, 0.5, 0.25]),
        ("max", [0.1, 0.2, NAN, -INF, 0.3], [1, 1, 1, 0.5, 0.5]),
    ],
)
def test_worked_examples(mode, metrics, scales):
    # factor 0.5, patience 1: the multiplier halves at the second report in a row that
    # does not improve (each halving exact in binary)
    p = lrkit.Plateau(lrkit.Constant(0.1), mode=mode, factor=0.5, patience=1)
    got = []
    for i, m in enumerate(metrics):
        p.report(m, step=10 * i)
        got.append(p.scale)
    assert got == scales


def test_a_reduction_holds_from_its_step_on_and_replay_reproduces_the_run():
    np = require("numpy")
    rng = random.Random(7)
    base = lrkit.Warmup(lrkit.CosineDecay(0.1, 900), 100)
    for config in _configs(rng, 40):
        p = lrkit.Plateau(base, **config)
        step = 0
        for m in _metrics(rng, 30):
            step += rng.choice([0, 1, 7, 25])
            p.report(m, step=step)
        replay = p.replay()
        steps = np.arange(step + 50)
        expected = [base(int(t)) * p.scale_at(int(t)) for t in steps]
        assert [replay(int(t)) for t in steps] == expected
        assert [p(int(t)) for t in steps] == expected
        assert p(steps).tolist() == pytest.approx(expected, rel=1e-15, abs=0)
        # a pure, serializable schedule: the same after a JSON round trip
        again = lrkit.deserialize(json.loads(json.dumps(lrkit.serialize(replay))))
        assert again == replay and [again(int(t)) for t in steps] == expected
        for n, s in p.reductions:
            assert p.scale_at(n) == s and (n == 0 or p.scale_at(n - 1) > s)


def test_state_dict_resumes_bit_for_bit_and_is_plain():
    rng = random.Random(11)
    for config in _configs(rng, 30):
        metrics = _metrics(rng, 40)
        whole = lrkit.Plateau(lrkit.CosineDecay(1.0, 1000), **config)
        half = lrkit.Plateau(lrkit.CosineDecay(1.0, 1000), **config)
        cut = len(metrics) // 2
        for i, m in enumerate(metrics):
            whole.report(m, step=3 * i)
        for i, m in enumerate(metrics[:cut]):
            half.report(m, step=3 * i)
        saved = json.loads(json.dumps(half.state_dict()))  # plain values
        resumed = lrkit.Plateau.from_config(half.get_config())
        resumed.load_state_dict(saved)
        for i, m in enumerate(metrics[cut:], start=cut):
            resumed.report(m, step=3 * i)
        assert resumed.state_dict() == whole.state_dict() or (
            math.isnan(whole.best) and math.isnan(resumed.best)
        )
        assert [resumed(t) for t in range(0, 3 * len(metrics), 5)] == [
            whole(t) for t in range(0, 3 * len(metrics), 5)
        ]
        assert pickle.loads(pickle.dumps(whole.state_dict())) == whole.state_dict() or math.isnan(
            whole.best
        )


def test_without_a_step_the_k_th_report_reduces_from_step_k():
    p = lrkit.Plateau(lrkit.Constant(1.0), factor=0.5, patience=0)
    for loss in [1.0, 1.0, 1.0]:  # epochs 0, 1, 2 evaluated; the 2nd and 3rd are bad
        p.report(loss)
    assert p.reductions == ((2, 0.5), (3, 0.25))
    assert [p(epoch) for epoch in range(5)] == [1.0, 1.0, 0.5, 0.25, 0.25]


def test_two_reductions_at_one_step_keep_the_last():
    p = lrkit.Plateau(lrkit.Constant(1.0), factor=0.5, patience=0)
    for loss in [1.0, 2.0, 2.0]:
        p.report(loss, step=4)
    assert p.reductions == ((4, 0.25),) and p(3) == 1.0 and p(4) == 0.25


def test_the_floor_and_eps():
    p = lrkit.Plateau(lrkit.Constant(1.0), factor=0.1, patience=0, min_scale=0.05)
    for i in range(5):
        p.report(1.0, step=i)
    assert p.scale == 0.05 and p.reductions == ((1, 0.1), (2, 0.05))
    # a fall of no more than eps is not made
    q = lrkit.Plateau(lrkit.Constant(1.0), factor=0.5, patience=0, eps=0.3)
    for i in range(4):
        q.report(1.0, step=i)
    assert q.scale == 0.5


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"mode": "minimum"}, ValueError, "`mode` must be one of"),
        ({"threshold_mode": "relative"}, ValueError, "`threshold_mode` must be one of"),
        ({"factor": 1.0}, ValueError, "`factor` must be < 1. Received: factor=1.0"),
        ({"factor": 0}, ValueError, "`factor` must be > 0. Received: factor=0"),
        ({"factor": 1.5}, ValueError, "factor=1.5"),
        ({"patience": -1}, ValueError, "`patience` must be >= 0. Received: patience=-1"),
        ({"patience": 2.5}, TypeError, "`patience` must be an int"),
        ({"cooldown": -2}, ValueError, "`cooldown` must be >= 0. Received: cooldown=-2"),
        ({"min_scale": 2.0}, ValueError, "`min_scale` must be <= 1"),
        ({"eps": -1e-8}, ValueError, "`eps` must be >= 0"),
        ({"threshold": math.nan}, ValueError, "`threshold` must be finite"),
    ],
)
def test_bad_arguments_are_refused_at_construction(kwargs, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(")):
        lrkit.Plateau(lrkit.Constant(0.1), **kwargs)


def test_bad_metrics_and_steps_are_refused():
    np = require("numpy")
    p = lrkit.Plateau(lrkit.Constant(0.1))
    for bad in ["0.5", None, True, [1.0, 2.0], np.array([1.0, 2.0])]:
        with pytest.raises(TypeError, match="`metric`"):
            p.report(bad)
    assert p.reports == 0  # nothing counted
    p.report(np.float32(0.5), step=3)
    p.report(np.array(0.4), step=4)
    with pytest.raises(ValueError, match="`step` must be >= 0"):
        p.report(0.3, step=-1)
    with pytest.raises(TypeError, match="`schedule`"):
        lrkit.Plateau(0.1)
    q = lrkit.Plateau(lrkit.Constant(0.1), patience=0)
    q.report(1.0, step=10)
    q.report(1.0, step=10)
    with pytest.raises(ValueError, match="must not go back"):
        q.report(1.0, step=9)


def test_a_torch_scalar_metric():
    torch = require("torch")
    p = lrkit.Plateau(lrkit.Constant(0.1), patience=0)
    p.report(torch.tensor(1.0), step=0)
    p.report(torch.tensor([2.0]), step=1)
    assert p.scale == 0.1 and p.best == 1.0


def test_the_transition_runs_under_jax_jit():
    jax = require("jax")
    jnp = jax.numpy
    from lrkit.plateau import transition

    config = lrkit.Plateau(lrkit.Constant(1.0), factor=0.5, patience=1, cooldown=1)._config()
    ref = lrkit.Plateau(lrkit.Constant(1.0), **config)

    @jax.jit
    def step(state, metric):
        return transition(config, state, metric, where=jnp.where, maximum=jnp.maximum)

    state = {
        "scale": jnp.float32(1.0),
        "best": jnp.float32(jnp.inf),
        "bad_reports": jnp.int32(0),
        "cooldown_left": jnp.int32(0),
    }
    for i, m in enumerate([1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, jnp.nan, 0.3]):
        state = step(state, jnp.float32(m))
        ref.report(float(m), step=i)
        assert float(state["scale"]) == ref.scale
        assert int(state["bad_reports"]) == ref.bad_reports
