"""Start-up: new interpreters, timed from launch to exit (the median of several).

Targets: ``import lrkit`` adds at most 30 ms to a bare interpreter (``python -c pass``),
and ``lrkit show SPEC`` returns within 0.3 s. ``import keras`` is shown for scale.

The interpreters run with their bytecode cached, as in an installed package (pip
compiles it at install time; an editable install writes it at the first import): for
lrkit's commands the cache goes to a temporary ``PYTHONPYCACHEPREFIX``, filled by one
launch of each command before the timed ones, so the benchmark writes nothing into
the source tree and works under ``PYTHONDONTWRITEBYTECODE=1``. (Without any bytecode,
every module is compiled from source at every start: for lrkit's 40 modules about
25 ms more here.) ``import keras`` runs in the unchanged environment, with the
bytecode pip compiled when it installed Keras and TensorFlow.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks._report import Case, Report
from benchmarks._timing import Settings, Timing

IMPORT_TARGET_MS = 30.0
SHOW_TARGET_S = 0.3
SPEC = "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)"


def _lrkit_command() -> list[str]:
    """The ``lrkit`` console script next to this interpreter, else ``python -m lrkit``."""
    script = os.path.join(os.path.dirname(sys.executable), "lrkit")
    if os.path.exists(script):
        return [script]
    found = shutil.which("lrkit")
    return [found] if found else [sys.executable, "-m", "lrkit"]


def _launch(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def run(report: Report, settings: Settings) -> None:
    with tempfile.TemporaryDirectory(prefix="lrkit-bench-pycache-") as cache:
        _run(report, settings, cache)


def _run(report: Report, settings: Settings, cache: str) -> None:
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
    installed = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    py = sys.executable
    commands = {
        "python -c pass": [py, "-c", "pass"],
        "python -c 'import lrkit'": [py, "-c", "import lrkit"],
        "lrkit show SPEC": [*_lrkit_command(), "show", SPEC, "--at", "0,250,500,5000,10500"],
        "python -c 'import keras'": [py, "-c", "import keras"],
    }
    slow = {"python -c 'import keras'"}  # a few seconds: launched fewer times
    envs = {k: installed if k in slow else env for k in commands}
    samples: dict[str, list[float]] = {k: [] for k in commands}
    for name, cmd in commands.items():  # fill the bytecode and file-system caches
        if name not in slow or not settings.quick:
            _launch(cmd, envs[name])
    for r in range(settings.launches):
        for name, cmd in commands.items():
            if name in slow and r >= max(1, settings.launches // 5):
                continue
            samples[name].append(_launch(cmd, envs[name]))
    timings = {k: Timing(min(v), statistics.median(v), len(v)) for k, v in samples.items()}
    case = report.add(Case("startup", "new interpreter", "process", "python -c pass", timings))
    base = timings["python -c pass"].median
    added = (timings["python -c 'import lrkit'"].median - base) * 1e3
    case.metrics["import lrkit adds (ms, medians)"] = added
    case.metrics["lrkit show SPEC (s, median)"] = timings["lrkit show SPEC"].median
    case.metrics["lrkit show SPEC (s, slowest)"] = max(samples["lrkit show SPEC"])
    report.target(case, "import lrkit adds (median)", added, IMPORT_TARGET_MS, kind="ms")
    report.target(
        case, "lrkit show SPEC (median)", timings["lrkit show SPEC"].median, SHOW_TARGET_S, kind="s"
    )
