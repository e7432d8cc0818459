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
import sys
from pathlib import Path

import ddp
from conftest import require

STEPS = 16
SAVE_AT = 6  # checkpoint after this many steps
KILL_AT = 9  # the interrupted run dies (SIGKILL) after this many steps


def test_ddp_ranks_agree_and_a_killed_run_resumes_bit_for_bit(tmp_path):
    require("torch")
    codes, stderr = ddp.run_launcher(__file__, str(tmp_path))
    expected_codes = {"full": [0, 0], "killed": [-signal.SIGKILL] * 2, "resumed": [0, 0]}
    assert codes == expected_codes, stderr[-5000:]  # the ranks' own errors

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
    ckpt = os.path.join(out_dir, "ckpt.pt")
    runs = {
        "full": [],
        "killed": ["--save", ckpt, "--kill-at", str(KILL_AT)],
        "resumed": ["--resume", ckpt],
    }
    ddp.launch(__file__, out_dir, runs)


def _worker(rank, store, out, save=None, kill_at=None, resume=None):
    dist = ddp.join(rank, store)
    import torch
    from torch.nn.parallel import DistributedDataParallel

    import lrkit.torch

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    replicas = DistributedDataParallel(model)
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
            dump(lrs)
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, as a real crash
    dump(lrs)
    ddp.leave()


def _main(argv):
    if len(argv) == 1:
        _launch(argv[0])
        return
    a = ddp.worker_args(argv)
    _worker(a.rank, a.store, a.out, save=a.save, kill_at=a.kill_at, resume=a.resume)


if __name__ == "__main__":
    _main(sys.argv[1:])
