"""Train a linear regression with optax and an lrkit schedule, under jax.jit.

    python examples/jax_optax_train.py

An lrkit schedule is an optax schedule as it is: optax calls it with the optimizer's int32
step count inside jit, and lrkit computes it with jax.numpy (integer logic in int32).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optax

import lrkit

STEPS = 300
SCHEDULE = lrkit.Warmup(lrkit.CosineDecay(0.05, STEPS - 30, alpha=0.05), warmup_steps=30)

rng = np.random.default_rng(0)
X = jnp.asarray(rng.normal(size=(512, 4)), jnp.float32)
Y = X @ jnp.asarray([2.0, -1.0, 0.5, 3.0]) + 1.0


def loss_fn(params, x, y):
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


# inject_hyperparams exposes the rate in the optimizer state (optional: optax.adam(SCHEDULE)
# works the same)
optimizer = optax.inject_hyperparams(optax.adam)(learning_rate=SCHEDULE)
params = {"w": jnp.zeros(4), "b": jnp.zeros(())}
state = optimizer.init(params)


@jax.jit
def train_step(params, state):
    loss, grads = jax.value_and_grad(loss_fn)(params, X, Y)
    updates, state = optimizer.update(grads, state, params)
    return optax.apply_updates(params, updates), state, loss


for step in range(STEPS):
    params, state, loss = train_step(params, state)
    rate = float(state.hyperparams["learning_rate"])  # the rate update `step` used
    assert abs(rate - SCHEDULE(step)) <= 1e-6 * SCHEDULE(step) + 1e-12
    if step % 50 == 0 or step == STEPS - 1:
        print(f"step {step:4d}  lr {rate:.6f}  loss {float(loss):.5f}")

assert float(loss) < 1e-3, float(loss)
print("ok: w =", np.round(np.asarray(params["w"]), 3), " b =", round(float(params["b"]), 3))
