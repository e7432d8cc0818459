"""lrkit.torch under DistributedDataParallel (gloo, two processes on 127.0.0.1).

Every rank sees the same rates at every step, and a run checkpointed at step k,
killed, and resumed from the checkpoint reproduces the uninterrupted run's rates
(and parameters) bit for bit.

This file is also the launcher: ``python test_adapter_torch_ddp.py OUT_DIR`` runs the
uninterrupted, the killed and the resumed run, two ranks each.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require

STEPS = 16
SAVE_AT = 6  # checkpoint after this many steps
KILL_AT = 9  # the interrupted run dies (SIGKILL) after this many steps


@pytest.mark.xfail(
    reason="known flaky here: a forked gloo rank sometimes hangs in init_process_group "
    "(seen on the 2-core CI machine; under investigation), so the run is killed",
    strict=False,
)
def test_ddp_ranks_agree_and_a_killed_run_resumes_bit_for_bit(tmp_path):
    require("torch")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, __file__, str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    codes = json.loads(proc.stdout.strip().splitlines()[-1])
    assert codes == {"full": [0, 0], "killed": [-signal.SIGKILL] * 2, "resumed": [0, 0]}

    full, killed, resumed = (
        [json.loads((tmp_path / f"{name}-rank{r}.json").read_text()) for r in (0, 1)]
        for name in ("full", "killed", "resumed")
    )
    expected = [[s(i) for s in _schedules()] for i in range(STEPS)]
    for rank in (0, 1):
        assert full[rank]["lrs"] == expected  # every rank, every step, exactly
        assert killed[rank]["lrs"] == expected[:KILL_AT]
        assert resumed[rank]["start"] == SAVE_AT
        assert resumed[rank]["lrs"] == expected[SAVE_AT:]  # bit for bit after the kill
        assert resumed[rank]["params"] == full[rank]["params"]
    assert full[0]["params"] == full[1]["params"]  # DDP kept the replicas equal


def _schedules():
    import lrkit

    warm = lrkit.Warmup(lrkit.CosineDecayRestarts(0.5, 4, t_mul=2.0, m_mul=0.5), 3)
    return [warm, lrkit.PiecewiseConstantDecay([5, 10], [0.2, 0.1, 0.05])]


def _launch(out_dir: str) -> None:
    """Runs the three two-rank runs, forking the ranks from this (single-threaded) process
    so that the slow imports (DDP imports torch._dynamo) happen once."""
    import multiprocessing

    import torch
    import torch._dynamo
    import torch.distributed  # noqa: F401

    import lrkit.torch  # noqa: F401

    ctx = multiprocessing.get_context("fork")
    codes = {}
    ckpt = os.path.join(out_dir, "ckpt.pt")
    runs = {"full": {}, "killed": {"save": ckpt, "kill_at": KILL_AT}, "resumed": {"resume": ckpt}}
    for name, options in runs.items():
        with socket.socket() as sock:  # a free port
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        procs = [
            ctx.Process(target=_worker,
                        args=(rank, port, os.path.join(out_dir, f"{name}-rank{rank}.json")),
                        kwargs=options)
            for rank in (0, 1)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=60)  # generous: a loaded 2-core machine is slow to start gloo
            if p.exitcode is None:
                p.kill()
                p.join()
        codes[name] = [p.exitcode for p in procs]
    print(json.dumps(codes))


def _worker(rank, port, out, save=None, kill_at=None, resume=None):
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    import lrkit.torch

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    ddp = DistributedDataParallel(model)
    opt = torch.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}], lr=1.0,
                          momentum=0.9)
    start = 0
    if resume:
        ckpt = torch.load(resume, weights_only=True)
        model.load_state_dict(ckpt["model"])
        # the two ranks restore in different orders: the rates must not care
        if rank == 0:
            opt.load_state_dict(ckpt["optimizer"])
            sched = lrkit.torch.ScheduleLR(opt, _schedules())
            sched.load_state_dict(ckpt["scheduler"])
        else:
            sched = lrkit.torch.ScheduleLR(opt, _schedules())
            sched.load_state_dict(ckpt["scheduler"])
            opt.load_state_dict(ckpt["optimizer"])
        start = ckpt["step"]
    else:
        sched = lrkit.torch.ScheduleLR(opt, _schedules())

    def dump(lrs):
        params = [p.detach().flatten().tolist() for p in model.parameters()]
        Path(out).write_text(json.dumps({"start": start, "lrs": lrs, "params": params}))

    lrs = []
    for step in range(start, STEPS):
        lrs.append([g["lr"] for g in opt.param_groups])
        g = torch.Generator().manual_seed(1000 * step + rank)  # each rank its own data
        x, y = torch.randn(8, 4, generator=g), torch.randn(8, 1, generator=g)
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(x), y).backward()
        opt.step()
        sched.step()
        done = step + 1
        if save and done == SAVE_AT:
            if rank == 0:
                torch.save({"step": done, "model": model.state_dict(),
                            "optimizer": opt.state_dict(), "scheduler": sched.state_dict()},
                           save)
            dist.barrier()
        if kill_at and done == kill_at:
            dump(lrs)
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, as a real crash
    dump(lrs)
    dist.destroy_process_group()


if __name__ == "__main__":
    _launch(sys.argv[1])
