"""``lrkit show`` / ``lrkit plot`` with ``--metrics``: the rate a logged run would have had
with a plateau around the schedule."""

from __future__ import annotations

import contextlib
import io
import json
import math

import pytest

import lrkit
from lrkit.cli import main
from lrkit.plateau_log import read_metrics

SPEC = "Warmup(CosineDecay(0.1, 900), 100)"
LOG = "step,val_loss\n100,1.0\n200,0.9\n300,0.9\n400,nan\n500,0.9\n600,0.8\n700,0.8\n800,0.8\n"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def test_show_replays_the_log_through_a_plateau(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    status, out, err = cli(
        "show", SPEC, "--metrics", str(log), "--plateau", "factor=0.5, patience=1",
        "--every", "50", "--steps", "900", "--format", "json",
    )  # fmt: skip
    assert status == 0, err
    got = json.loads(out)
    # the same plateau, fed the same rows by hand
    p = lrkit.Plateau(lrkit.Warmup(lrkit.CosineDecay(0.1, 900), 100), factor=0.5, patience=1)
    for step, loss in [(100, 1.0), (200, 0.9), (300, 0.9), (400, math.nan), (500, 0.9)]:
        p.report(loss, step=step)
    for step, loss in [(600, 0.8), (700, 0.8), (800, 0.8)]:
        p.report(loss, step=step)
    assert p.reductions == ((400, 0.5), (800, 0.25))
    assert got["learning_rate"] == [p(t) for t in range(0, 901, 50)]


def test_plot_marks_the_reductions(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    png = tmp_path / "p.png"
    status, _, err = cli("plot", SPEC, "--metrics", str(log), "--plateau", "factor=0.5, patience=1",
                         "-o", str(png))  # fmt: skip
    assert status == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    replay = lrkit.plateau_log.replay_log(
        lrkit.Warmup(lrkit.CosineDecay(0.1, 900), 100), str(log), factor=0.5, patience=1
    ).replay()
    assert [b for b, _ in lrkit.boundaries.boundaries(replay, 1000)] == [100, 400, 800, 1000]


@pytest.mark.parametrize(
    ("text", "args", "words"),
    [
        ("loss\n0.5\n", (), "needs a 'step' column"),
        ("step,a,b\n1,0.5,0.4\n", (), "Say which column is the metric"),
        ("step,a,b\n1,0.5,0.4\n", ("--metric", "c"), "No column 'c'"),
        ("step,loss\n10,0.5\n5,0.4\n", (), "Row 3: the steps go back"),
        ("step,loss\n10,low\n", (), "Row 2: loss must be a number"),
        ("step,loss\n-1,0.5\n", (), "Row 2: a step must be a finite number >= 0"),
        ("step,loss\n10,0.5\n", ("--plateau", "factor=2"), "`factor` must be < 1"),
        ("step,loss\n10,0.5\n", ("--plateau", "__import__('os')"), "--plateau takes keyword"),
        ("step,loss\n10,0.5\n", ("--plateau", "f=len"), "--plateau takes keyword"),
    ],
)
def test_mistakes_are_one_line_errors(tmp_path, text, args, words):
    log = tmp_path / "log.csv"
    log.write_text(text)
    status, _, err = cli("show", SPEC, "--metrics", str(log), *args)
    assert status == 2 and words in err and err.count("\n") == 1, err


def test_options_without_metrics_and_a_missing_file(tmp_path):
    status, _, err = cli("show", SPEC, "--plateau", "factor=0.5")
    assert status == 2 and "need --metrics FILE" in err
    status, _, err = cli("show", SPEC, "--metrics", str(tmp_path / "none.csv"))
    assert status == 2 and "cannot read" in err


def test_read_metrics_takes_inf_and_nan():
    rows = read_metrics(io.StringIO("step,loss\n0,inf\n5,nan\n7.5,0.25\n"))
    assert rows[0] == (0, math.inf) and math.isnan(rows[1][1]) and rows[2] == (7.5, 0.25)
