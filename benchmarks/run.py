"""Runs every benchmark case in one process; prints the table, writes it as JSON.

    python -m benchmarks [--quick] [--json out.json] [--groups scalar,numpy,...]
    python -m benchmarks --device cuda    # PyTorch (and JAX) on a GPU: benchmarks/gpu.py
    python benchmarks/run.py ...

``--quick``: few repetitions and small arrays (well under a minute; run by CI
through tests/test_benchmarks.py). Without it: the full measurement (several
minutes) documented in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/run.py`: make `benchmarks` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
#: whether JAX_PLATFORMS=cpu is this module's default (a GPU run lets JAX find its GPU)
_JAX_CPU_DEFAULT = "JAX_PLATFORMS" not in os.environ
os.environ.setdefault("JAX_PLATFORMS", "cpu")

from benchmarks._report import Report
from benchmarks._timing import Settings

GROUPS = ("startup", "scalar", "numpy", "jax", "torch")


def settings(quick: bool) -> Settings:
    if quick:
        return Settings(quick=True, repeat=3, budget=0.004, n_array=100_000, launches=3)
    return Settings(quick=False, repeat=7, budget=0.05, n_array=10_000_000, launches=15)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for module in (
        "lrkit",
        "numpy",
        "jax",
        "optax",
        "torch",
        "keras",
        "tensorflow",
        "transformers",
        "timm",
        "lrsched",
    ):
        info[module] = _version(module)
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(module: str) -> str | None:
    from importlib import metadata

    dist = {"timm": "timm", "tensorflow": "tensorflow-cpu"}.get(module, module)
    for name in (dist, module):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="few repetitions, small arrays")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--markdown", metavar="PATH", help="write the ratios as Markdown tables")
    parser.add_argument(
        "--groups", default=",".join(GROUPS), help=f"comma-separated subset of {','.join(GROUPS)}"
    )
    parser.add_argument(
        "--cases",
        metavar="TEXT",
        help="only the schedules whose name contains one of these "
        "comma-separated texts (a partial run, for development)",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="lrkit and the hand-written baselines only"
    )
    parser.add_argument(
        "--device",
        metavar="DEVICE",
        help="only PyTorch on this device (cuda, cuda:1, cpu) against hand-written torch: "
        "benchmarks/gpu.py",
    )
    args = parser.parse_args(argv)
    if args.no_peers:
        os.environ["LRKIT_BENCH_NO_PEERS"] = "1"
    if args.cases:
        os.environ["LRKIT_BENCH_CASES"] = args.cases
    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown groups: {', '.join(unknown)}")
    conf = settings(args.quick)
    report = Report(machine(), "quick" if args.quick else "full")
    start = time.perf_counter()
    if args.device is not None:
        reason = _no_device(args.device)
        if reason:
            print(f"python -m benchmarks --device {args.device}: skipped: {reason}")
            return 0
        if args.device.startswith("cuda") and _JAX_CPU_DEFAULT:
            os.environ.pop("JAX_PLATFORMS", None)  # JAX on its GPU too
        from benchmarks import gpu

        report.machine["device"] = args.device
        gpu.run(report, conf, args.device)
        groups = []
    for group in GROUPS:
        if group not in groups:
            continue
        t0 = time.perf_counter()
        module = __import__(f"benchmarks.{_MODULES[group]}", fromlist=["run"])
        module.run(report, conf)
        print(f"[{group}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    report.machine["seconds"] = round(time.perf_counter() - start, 1)
    print(report.table())
    if args.json:
        report.write_json(args.json)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(report.markdown() + "\n")
    return 0


def _no_device(device: str) -> str | None:
    """Why PyTorch cannot run on ``device`` here (None if it can)."""
    try:
        import torch
    except ImportError as exc:
        return f"PyTorch is not installed ({exc})"
    if device.startswith("cuda") and not torch.cuda.is_available():
        return "no CUDA device (torch.cuda.is_available() is False)"
    try:
        torch.empty(1, device=device)
    except (RuntimeError, ValueError) as exc:
        return f"device {device!r} is not usable: {str(exc).splitlines()[0]}"
    return None


_MODULES = {
    "startup": "startup",
    "scalar": "scalar",
    "numpy": "arrays",
    "jax": "jax_cases",
    "torch": "torch_cases",
}


if __name__ == "__main__":
    raise SystemExit(main())
