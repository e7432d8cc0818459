"""A weight-decay ramp (and Adam's b1 cycled) with optax, under jax.jit.

    python examples/optax_weight_decay.py

`optax.inject_hyperparams` turns any numeric argument of an optax optimizer into a
schedule of the step: lrkit schedules are optax schedules as they are. At update `t`
(from 0) optax calls each schedule with the count `t`, and `state.hyperparams` then holds
the values that update used.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrkit

STEPS = 300
RATE = lrkit.OneCycle(0.05, STEPS, convention="optax")
B1 = RATE.momentum(base_momentum=0.85, max_momentum=0.95)  # beside the 1cycle rate
WEIGHT_DECAY = lrkit.Warmup(lrkit.Constant(1e-2), warmup_steps=STEPS // 2)  # 0 -> 0.01

rng = np.random.default_rng(0)
X = jnp.asarray(rng.normal(size=(512, 4)), jnp.float32)
Y = X @ jnp.asarray([2.0, -1.0, 0.5, 3.0]) + 1.0

optimizer = optax.inject_hyperparams(optax.adamw)(
    learning_rate=RATE, b1=B1, weight_decay=WEIGHT_DECAY
)
params = {"w": jnp.zeros(4), "b": jnp.zeros(())}
state = optimizer.init(params)


def loss_fn(params, x, y):
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


@jax.jit
def train_step(params, state):
    loss, grads = jax.value_and_grad(loss_fn)(params, X, Y)
    updates, state = optimizer.update(grads, state, params)
    return optax.apply_updates(params, updates), state, loss


for step in range(STEPS):
    params, state, loss = train_step(params, state)
    used = {k: float(v) for k, v in state.hyperparams.items()}  # what update `step` used
    # float32 (optax's hyperparameter dtype here): within 1e-6 of each schedule's peak
    for name, schedule, peak in (
        ("learning_rate", RATE, 0.05),
        ("b1", B1, 0.95),
        ("weight_decay", WEIGHT_DECAY, 1e-2),
    ):
        assert abs(used[name] - schedule(step)) <= 1e-6 * peak, (name, step)
    if step % 50 == 0 or step == STEPS - 1:
        print(
            f"step {step:4d}  lr {used['learning_rate']:.5f}  b1 {used['b1']:.4f}  "
            f"weight_decay {used['weight_decay']:.5f}  loss {float(loss):.5f}"
        )

assert float(loss) < 0.05, float(loss)
print("ok: w =", np.round(np.asarray(params["w"]), 3), " b =", round(float(params["b"]), 3))
