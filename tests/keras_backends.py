"""Runs a command once per Keras backend, all at once, each in a fresh interpreter.

``KERAS_BACKEND`` is fixed when Keras is imported, so a test that needs the TensorFlow, JAX
and PyTorch backends runs each in a subprocess of its own.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def run_per_backend(
    backends: Sequence[str],
    command: Callable[[str], list[str]],
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Any = None,
    check: bool = True,
) -> dict[str, str]:
    """The output (stdout and stderr) of ``command(backend)`` for each backend, run side by
    side with ``KERAS_BACKEND`` set and ``env`` added; with ``check``, each must exit 0."""
    procs = {
        backend: subprocess.Popen(
            command(backend),
            cwd=cwd,
            env={
                **os.environ,
                "KERAS_BACKEND": backend,
                "TF_CPP_MIN_LOG_LEVEL": "3",
                **(env or {}),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for backend in backends
    }
    out = {}
    for backend, proc in procs.items():
        try:
            text, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        assert proc.returncode == 0 or not check, text
        out[backend] = text
    return out
