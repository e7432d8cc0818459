"""lrkit.torch.ScheduleParams under DistributedDataParallel (gloo, two processes on
127.0.0.1): rate and momentum (OneCycle and its CyclicalMomentum) on every rank at every
step, and a run checkpointed at step k, killed, and resumed reproduces the uninterrupted
run bit for bit.

This file is also the launcher: ``python test_params_torch_ddp.py OUT_DIR``.
"""

import json
import os
import signal
import sys
from pathlib import Path

import ddp
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
    codes, stderr = ddp.run_launcher(__file__, str(tmp_path))
    assert codes == {"full": [0, 0], "killed": [-signal.SIGKILL] * 2, "resumed": [0, 0]}, stderr[
        -5000:
    ]
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
    ckpt = os.path.join(out_dir, "ckpt.pt")
    runs = {
        "full": [],
        "killed": ["--save", ckpt, "--kill-at", str(KILL_AT)],
        "resumed": ["--resume", ckpt],
    }
    ddp.launch(__file__, out_dir, runs)


def _worker(rank: int, store: str, out: str, save=None, kill_at=None, resume=None) -> None:
    dist = ddp.join(rank, store)
    import torch
    from torch.nn.parallel import DistributedDataParallel

    import lrkit.torch

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    replicas = DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    start = 0
    if resume:
        saved = torch.load(resume, weights_only=True)
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
        torch.nn.functional.mse_loss(replicas(x), y).backward()
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
            dump(seen)
            os.kill(os.getpid(), signal.SIGKILL)
    dump(seen)
    ddp.leave()


if __name__ == "__main__":
    argv = sys.argv[1:]
    if len(argv) == 1:
        _launch(argv[0])
    else:
        a = ddp.worker_args(argv)
        _worker(a.rank, a.store, a.out, save=a.save, kill_at=a.kill_at, resume=a.resume)
