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
import subprocess
import sys
from pathlib import Path

from conftest import require

STEPS = 16
SAVE_AT = 6  # checkpoint after this many steps
KILL_AT = 9  # the interrupted run dies (SIGKILL) after this many steps


def test_ddp_ranks_agree_and_a_killed_run_resumes_bit_for_bit(tmp_path):
    require("torch")
    proc = subprocess.run(
        [sys.executable, __file__, str(tmp_path)], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    codes = json.loads(proc.stdout.strip().splitlines()[-1])
    expected_codes = {"full": [0, 0], "killed": [-signal.SIGKILL] * 2, "resumed": [0, 0]}
    assert codes == expected_codes, proc.stderr[-5000:]  # the ranks' own errors

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
    """Runs the three two-rank runs. Each rank is a fresh interpreter (no fork: a forked
    gloo rank can inherit a lock held by a thread of the parent), and the ranks meet
    through a file store, so no port is picked and released before a rank binds it."""
    codes = {}
    ckpt = os.path.join(out_dir, "ckpt.pt")
    runs = {
        "full": [],
        "killed": ["--save", ckpt, "--kill-at", str(KILL_AT)],
        "resumed": ["--resume", ckpt],
    }
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": _loopback()}
    for name, options in runs.items():
        store = os.path.join(out_dir, f"{name}.store")
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
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


def _loopback() -> str:
    """The name of the loopback interface (gloo binds to it: 127.0.0.1 only)."""
    import socket

    for _, name in socket.if_nameindex():
        if name.startswith("lo"):
            return name
    return "lo"


def _worker(rank, store, out, save=None, kill_at=None, resume=None):
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
    opt = torch.optim.SGD(
        [{"params": [model.weight]}, {"params": [model.bias]}], lr=1.0, momentum=0.9
    )
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
                torch.save(
                    {
                        "step": done,
                        "model": model.state_dict(),
                        "optimizer": opt.state_dict(),
                        "scheduler": sched.state_dict(),
                    },
                    save,
                )
            dist.barrier()
        if kill_at and done == kill_at:
            dump(lrs)
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, as a real crash
    dump(lrs)
    # Both ranks done with every collective before either tears its process group down,
    # and no interpreter teardown after it: gloo's threads can abort a process at exit
    # ("terminate called without an active exception"), after all the work is written.
    dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _main(argv):
    import argparse

    if len(argv) == 1:
        _launch(argv[0])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--save")
    parser.add_argument("--kill-at", type=int)
    parser.add_argument("--resume")
    a = parser.parse_args(argv)
    _worker(a.rank, a.store, a.out, save=a.save, kill_at=a.kill_at, resume=a.resume)


if __name__ == "__main__":
    _main(sys.argv[1:])
