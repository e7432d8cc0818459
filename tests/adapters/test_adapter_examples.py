"""The examples in examples/ run (as subprocesses, all three at once) and finish with "ok"."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# each example, the frameworks it needs, and the environment it runs in
RUNS = {
    "torch_train.py": (("torch",), {}),
    "jax_optax_train.py": (("jax", "optax"), {}),
    "keras_train.py": (("keras", "jax"), {"KERAS_BACKEND": "jax"}),
    "torch_one_cycle_momentum.py": (("torch",), {}),
    "optax_weight_decay.py": (("jax", "optax"), {}),
}


@pytest.fixture(scope="module")
def outputs():
    for needs, _ in RUNS.values():
        for module in needs:
            require(module)
    procs = {}
    for name, (_, env) in RUNS.items():
        full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
        procs[name] = subprocess.Popen(
            [sys.executable, str(EXAMPLES / name)],
            env=full_env,
            cwd=EXAMPLES.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    out = {}
    for name, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=150)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        out[name] = (proc.returncode, stdout, stderr)
    return out


@pytest.mark.parametrize("name", sorted(RUNS))
def test_example_runs(outputs, name):
    code, stdout, stderr = outputs[name]
    assert code == 0, stdout + stderr
    assert stdout.strip().splitlines()[-1].startswith("ok"), stdout
