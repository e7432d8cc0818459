"""lrkit.torch.PlateauLR under DistributedDataParallel (gloo, two processes on 127.0.0.1).

Each rank measures its own metric. With ``sync="mean"`` both ranks take the decisions of
one plateau fed the mean metric; with ``sync="rank0"``, those of rank 0's metric. A run
checkpointed after a reduction, killed, and resumed from its checkpoint reproduces the
uninterrupted run's rates bit for bit.

This file is also the launcher: ``python test_plateau_ddp.py OUT_DIR``.
"""

import json
import os
import signal
import sys
from pathlib import Path

import ddp
from conftest import require

STEPS = 40
EVERY = 4  # an evaluation every 4 steps
SAVE_AT = 24  # checkpoint after this many steps (after the first reduction)
KILL_AT = 30  # the interrupted run dies (SIGKILL) after this many steps
# the mean metric improves, then plateaus; the two ranks' metrics disagree on that
MEAN = [1.0, 0.8, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5]


def _metric(rank: int, k: int) -> float:
    """Rank ``rank``'s metric at evaluation ``k``: the mean, with rank 0 improving
    steadily and rank 1 making up the difference."""
    wobble = 0.125 * (k + 1)
    return MEAN[k] - wobble if rank == 0 else MEAN[k] + wobble


def _plateau():
    import lrkit

    return lrkit.Plateau(lrkit.Warmup(lrkit.Constant(0.5), 4), factor=0.5, patience=1)


def _expected(metrics):
    p = _plateau()
    for k, m in enumerate(metrics):
        p.report(m, step=EVERY * (k + 1))
    return p, [p(t) for t in range(STEPS)]


def test_ranks_take_one_decision_and_a_killed_run_resumes_bit_for_bit(tmp_path):
    require("torch")
    codes, stderr = ddp.run_launcher(__file__, str(tmp_path))
    expected_codes = {
        "mean": [0, 0],
        "rank0": [0, 0],
        "killed": [-signal.SIGKILL] * 2,
        "resumed": [0, 0],
    }
    assert codes == expected_codes, stderr[-5000:]  # the ranks' own errors
    runs = {
        name: [json.loads((tmp_path / f"{name}-rank{r}.json").read_text()) for r in (0, 1)]
        for name in expected_codes
    }
    n = STEPS // EVERY
    mean_plateau, mean_rates = _expected([(_metric(0, k) + _metric(1, k)) / 2 for k in range(n)])
    rank0_plateau, rank0_rates = _expected([_metric(0, k) for k in range(n)])
    assert mean_plateau.reductions != rank0_plateau.reductions  # the choice matters
    assert mean_plateau.reductions[0][0] <= SAVE_AT
    for rank in (0, 1):
        assert runs["mean"][rank]["lrs"] == mean_rates
        assert runs["rank0"][rank]["lrs"] == rank0_rates
        assert runs["killed"][rank]["lrs"] == mean_rates[:KILL_AT]
        assert runs["resumed"][rank]["start"] == SAVE_AT
        assert runs["resumed"][rank]["lrs"] == mean_rates[SAVE_AT:]  # bit for bit
        assert runs["resumed"][rank]["reductions"] == [list(r) for r in mean_plateau.reductions]
    # without a sync choice, two processes refuse to report
    assert "say how their metrics agree" in runs["mean"][0]["unsynced"]


def _launch(out_dir: str) -> None:
    ckpt = os.path.join(out_dir, "ckpt.pt")
    runs = {
        "mean": ["--sync", "mean"],
        "rank0": ["--sync", "rank0"],
        "killed": ["--sync", "mean", "--save", ckpt, "--kill-at", str(KILL_AT)],
        "resumed": ["--sync", "mean", "--resume", ckpt],
    }
    ddp.launch(__file__, out_dir, runs)


def _worker(a):
    dist = ddp.join(a.rank, a.store)
    import torch

    import lrkit.torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    sched = lrkit.torch.PlateauLR(opt, _plateau(), sync=a.sync)
    start, unsynced = 0, ""
    if a.resume:
        ckpt = torch.load(a.resume, weights_only=True)
        sched.load_state_dict(ckpt["scheduler"])
        start = ckpt["step"]
    else:
        try:
            lrkit.torch.PlateauLR(opt, _plateau()).report(1.0)
        except ValueError as e:
            unsynced = str(e)
        sched.step(0)  # (the refused scheduler set step 0's rate: set it back)

    def dump(lrs):
        Path(a.out).write_text(
            json.dumps(
                {
                    "start": start,
                    "lrs": lrs,
                    "unsynced": unsynced,
                    "reductions": [list(r) for r in sched.plateau.reductions],
                }
            )
        )

    lrs = []
    for step in range(start, STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        done = step + 1
        if done % EVERY == 0:
            sched.report(_metric(a.rank, done // EVERY - 1))
        if a.save and done == SAVE_AT:
            if a.rank == 0:
                torch.save({"step": done, "scheduler": sched.state_dict()}, a.save)
            dist.barrier()
        if a.kill_at and done == a.kill_at:
            dump(lrs)
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, as a real crash
    dump(lrs)
    ddp.leave()


def _main(argv):
    if len(argv) == 1:
        _launch(argv[0])
        return
    sync = argv.index("--sync")
    a = ddp.worker_args(argv[:sync] + argv[sync + 2 :])
    a.sync = argv[sync + 1]
    _worker(a)


if __name__ == "__main__":
    _main(sys.argv[1:])
