"""`lrkit.optax.scale_by_plateau`: the plateau's decisions inside a jitted optax step."""

from __future__ import annotations

import random

import pytest

from conftest import require
from test_plateau import _configs, _metrics


def test_decisions_under_jit_are_the_plateaus_in_64_bit_mode():
    jax = require("jax")
    optax = require("optax")
    import lrkit.optax

    rng = random.Random(5)
    with jax.enable_x64(True):
        jnp = jax.numpy
        for config in _configs(rng, 25):
            tx = lrkit.optax.scale_by_plateau(**config)
            ref = lrkit.Plateau(lrkit.Constant(1.0), **config)
            params = {"w": jnp.zeros(3)}
            state = tx.init(params)
            step = jax.jit(lambda g, s, v, tx=tx: tx.update(g, s, value=v))
            for i, m in enumerate(_metrics(rng, 30)):
                updates, state = step({"w": jnp.ones(3)}, state, m)
                ref.report(m, step=i)
                assert float(state.scale) == ref.scale, (config, i)
                assert updates["w"].tolist() == [ref.scale] * 3
                assert int(state.bad_reports) == ref.bad_reports
    assert isinstance(tx, optax.GradientTransformationExtraArgs)


def test_a_train_step_with_a_schedule_reports_only_at_evaluations():
    jax = require("jax")
    optax = require("optax")
    import lrkit.optax

    jnp = jax.numpy
    schedule = lrkit.Warmup(lrkit.CosineDecay(0.1, 90), 10)
    tx = optax.chain(optax.sgd(schedule), lrkit.optax.scale_by_plateau(factor=0.5, patience=1))
    params = jnp.zeros(())
    state = tx.init(params)

    @jax.jit
    def train_step(params, state, count, loss):
        # gradient 1.0: the update is -rate; evaluated every 5 updates
        updates, state = tx.update(jnp.ones(()), state, params, value=loss, report=count % 5 == 4)
        return optax.apply_updates(params, updates), state, -updates

    losses = [1.0, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4]
    ref = lrkit.Plateau(schedule, factor=0.5, patience=1)
    rates = []
    for count in range(40):
        loss = losses[count // 5]
        params, state, rate = train_step(params, state, count, loss)
        if count % 5 == 4:
            ref.report(loss, step=count)
        rates.append(float(rate))
    assert len(ref.reductions) == 2
    # optax's sgd gives the schedule's float32 rate at its count (within float32's
    # bound of docs/backends.md), and the multiplier holds from the report on
    assert rates == pytest.approx([ref(t) for t in range(40)], rel=4e-7, abs=0)
