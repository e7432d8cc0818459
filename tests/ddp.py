"""Two-process gloo runs on 127.0.0.1 for the DDP tests.

A test file is its own launcher: run as ``python FILE OUT_DIR`` it calls :func:`launch`,
which starts each named run as two fresh interpreters (``python FILE --rank R --store S
--out O ...``; no fork: a forked gloo rank can inherit a lock held by a thread of the
parent). The ranks meet through a file store (no port is picked and released before a
rank binds it) and bind gloo to the loopback interface only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any


def run_launcher(
    script: str, out_dir: str, timeout: float = 900
) -> tuple[dict[str, list[int]], str]:
    """Runs ``script``'s launcher in a fresh interpreter: the exit codes of each run's
    ranks, and what the ranks wrote to stderr (their own errors)."""
    proc = subprocess.run(
        [sys.executable, script, out_dir], capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def launch(script: str, out_dir: str, runs: Mapping[str, Sequence[str]]) -> None:
    """Runs each of ``runs`` (name -> extra options) as two ranks, one run after another,
    and prints the ranks' exit codes as one JSON line."""
    codes = {}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": loopback()}
    for name, options in runs.items():
        store = os.path.join(out_dir, f"{name}.store")
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    script,
                    "--rank",
                    str(rank),
                    "--store",
                    store,
                    "--out",
                    os.path.join(out_dir, f"{name}-rank{rank}.json"),
                    *options,
                ],
                env=env,
                stdin=subprocess.DEVNULL,
            )
            for rank in (0, 1)
        ]
        for p in procs:
            try:
                p.wait(timeout=180)  # generous: a loaded 2-core machine is slow to import torch
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        codes[name] = [p.returncode for p in procs]
    print(json.dumps(codes))


def loopback() -> str:
    """The name of the loopback interface (gloo binds to it: 127.0.0.1 only)."""
    import socket

    for _, name in socket.if_nameindex():
        if name.startswith("lo"):
            return name
    return "lo"


def worker_args(argv: Sequence[str]) -> argparse.Namespace:
    """A rank's options: ``--rank``, ``--store``, ``--out``, ``--save``, ``--kill-at``,
    ``--resume``."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--save")
    parser.add_argument("--kill-at", type=int)
    parser.add_argument("--resume")
    return parser.parse_args(argv)


def join(rank: int, store: str) -> Any:
    """Joins the two-rank gloo process group; returns ``torch.distributed``."""
    import datetime

    import torch
    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"file://{store}",
        rank=rank,
        world_size=2,
        timeout=datetime.timedelta(seconds=120),
    )
    return dist


def leave() -> None:
    """Leaves the process group and the process, once every rank is done.

    Both ranks are done with every collective before either tears its group down, and
    there is no interpreter teardown after it: gloo's threads can abort a process at
    exit ("terminate called without an active exception"), after all the work is written.
    """
    import torch.distributed as dist

    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
