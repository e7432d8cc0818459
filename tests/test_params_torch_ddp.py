"""lrkit.torch.ScheduleParams under DistributedDataParallel (gloo, two processes on
127.0.0.1): rate and momentum (OneCycle and its CyclicalMomentum) on every rank at every
step, and a run checkpointed at step k, killed, and resumed reproduces the uninterrupted
run bit for bit.

This file is also the launcher: ``python test_params_torch_ddp.py OUT_DIR``.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from conftest import require

STEPS = 16
SAVE_AT = 6
KILL_AT = 9


def _params():
    import lrkit

    one = lrkit.OneCycle(0.5, STEPS, pct_start=0.25, three_phase=True)
    return {"lr": one, "momentum": one.momentum(0.85, 0.95)}


def test_ddp_ranks_agree_and_a_killed_run_resumes_bit_for_bit(tmp_path):
    require("torch")
    proc = subprocess.run(
        [sys.executable, __file__, str(tmp_path)], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    codes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert codes == {"full": [0, 0], "killed": [-signal.SIGKILL] * 2, "resumed": [0, 0]}, (
        proc.stderr[-5000:]
    )
    full, killed, resumed = (
        [json.loads((tmp_path / f"{name}-rank{r}.json").read_text()) for r in (0, 1)]
        for name in ("full", "killed", "resumed")
    )
    params = _params()
    expected = [[params["lr"](i), params["momentum"](i)] for i in range(STEPS)]
    for rank in (0, 1):
        assert full[rank]["seen"] == expected  # every rank, every step, exactly
        assert killed[rank]["seen"] == expected[:KILL_AT]
        assert resumed[rank]["start"] == SAVE_AT
        assert resumed[rank]["seen"] == expected[SAVE_AT:]
        assert resumed[rank]["weights"] == full[rank]["weights"]
    assert full[0]["weights"] == full[1]["weights"]


def _launch(out_dir: str) -> None:
    """Each rank a fresh interpreter; the ranks meet through a file store."""
    from test_adapter_torch_ddp import _loopback

    ckpt = os.path.join(out_dir, "ckpt.pt")
    runs = {"full": [], "killed": [ckpt, str(KILL_AT)], "resumed": [ckpt, "resume"]}
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": _loopback()}
    codes = {}
    for name, options in runs.items():
        store = os.path.join(out_dir, f"{name}.store")
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    str(rank),
                    store,
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
                p.wait(timeout=180)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        codes[name] = [p.returncode for p in procs]
    print(json.dumps(codes))


def _worker(rank: int, store: str, out: str, ckpt=None, when=None) -> None:
    import datetime

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    import lrkit.torch

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"file://{store}",
        rank=rank,
        world_size=2,
        timeout=datetime.timedelta(seconds=120),
    )
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    ddp = DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    start = 0
    if when == "resume":
        saved = torch.load(ckpt, weights_only=True)
        model.load_state_dict(saved["model"])
        if rank == 0:  # the ranks restore in different orders: the values must not care
            opt.load_state_dict(saved["optimizer"])
            sched = lrkit.torch.ScheduleParams(opt, _params())
            sched.load_state_dict(saved["scheduler"])
        else:
            sched = lrkit.torch.ScheduleParams(opt, _params())
            sched.load_state_dict(saved["scheduler"])
            opt.load_state_dict(saved["optimizer"])
        start = saved["step"]
    else:
        sched = lrkit.torch.ScheduleParams(opt, _params())
    kill_at = int(when) if when not in (None, "resume") else None

    def dump(seen):
        weights = [p.detach().flatten().tolist() for p in model.parameters()]
        Path(out).write_text(json.dumps({"start": start, "seen": seen, "weights": weights}))

    seen = []
    for step in range(start, STEPS):
        g = opt.param_groups[0]
        seen.append([g["lr"], g["momentum"]])
        gen = torch.Generator().manual_seed(1000 * step + rank)
        x, y = torch.randn(8, 4, generator=gen), torch.randn(8, 1, generator=gen)
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(x), y).backward()
        opt.step()
        sched.step()
        done = step + 1
        if kill_at and done == SAVE_AT:
            if rank == 0:
                torch.save(
                    {
                        "step": done,
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(),
                    },
                    ckpt,
                )
            dist.barrier()
        if kill_at and done == kill_at:
            dump(seen)
            os.kill(os.getpid(), signal.SIGKILL)
    dump(seen)
    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    args = sys.argv[1:]
    if len(args) == 1:
        _launch(args[0])
    else:
        _worker(int(args[0]), *args[1:])
