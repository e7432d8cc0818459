"""`lrkit plot`, run as a user runs it: PNG/SVG/PDF files opened and looked at, and
the terminal plot drawn at a forced terminal size."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import require

BLUE = (0x1F, 0x77, 0xB4)  # matplotlib's first colour: the first curve
ORANGE = (0xFF, 0x7F, 0x0E)  # its second
BRAILLE = range(0x2801, 0x2900)


def run(*args, columns=None, lines=None, **env):
    full = {**os.environ, **env}
    full.pop("NO_COLOR", None)
    if columns:
        full["COLUMNS"], full["LINES"] = str(columns), str(lines)
    return subprocess.run(
        [sys.executable, "-m", "lrkit", *args], capture_output=True, text=True, env=full
    )


def ok(*args, **kw):
    out = run(*args, **kw)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    return out.stdout


def pixels_of(rgb, color, tol=40):
    """How many pixels of the RGB(A) image in [0, 1] are within ``tol`` of ``color``."""
    np = require("numpy")
    target = np.asarray(color) / 255.0
    return int((np.abs(rgb[..., :3] - target).max(axis=-1) < tol / 255.0).sum())


# -- files -----------------------------------------------------------------------------------


def test_png_holds_the_curve(tmp_path):
    require("matplotlib")
    image = require("matplotlib.image")
    path = tmp_path / "curve.png"
    out = ok(
        "plot", "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)", "-o", str(path)
    )
    assert out == ""  # with -o, nothing in the terminal
    rgb = image.imread(str(path))
    assert rgb.shape[:2] == (400, 800)
    assert (rgb[..., :3] < 0.9).any(axis=-1).mean() > 0.01  # not blank
    assert pixels_of(rgb, BLUE) > 500  # the curve, in the first colour
    assert pixels_of(rgb, ORANGE) == 0  # and only one curve


def test_png_curve_has_the_schedule_shape(tmp_path):
    """An exponential decay: the curve's pixels are high on the left, low on the right."""
    require("matplotlib")
    image = require("matplotlib.image")
    np = require("numpy")
    path = tmp_path / "exp.png"
    ok("plot", "ExponentialDecay(1.0, 100, 0.5)", "-o", str(path))
    rgb = image.imread(str(path))
    blue = np.abs(rgb[..., :3] - np.asarray(BLUE) / 255).max(axis=-1) < 0.15
    cols = np.nonzero(blue.any(axis=0))[0]
    left, right = cols.min(), cols.max()
    top_left = np.nonzero(blue[:, left])[0].mean()
    top_right = np.nonzero(blue[:, right])[0].mean()
    assert right - left > 500  # it spans the plot
    assert top_left < top_right - 150  # rows grow downwards: it falls


def test_several_schedules_are_overlaid_with_a_legend(tmp_path):
    """Two curves, one from an expression and one from a file: both colours drawn."""
    require("matplotlib")
    image = require("matplotlib.image")
    import lrkit

    spec = tmp_path / "staircase.json"
    spec.write_text(json.dumps(lrkit.serialize(lrkit.ExponentialDecay(0.1, 1000, 0.5, True))))
    path = tmp_path / "two.png"
    ok("plot", "ExponentialDecay(0.1, 1000, 0.5)", str(spec), "-o", str(path), "--title", "Decay")
    rgb = image.imread(str(path))
    assert pixels_of(rgb, BLUE) > 300 and pixels_of(rgb, ORANGE) > 300


@pytest.mark.parametrize("ext", ["svg", "pdf"])
def test_svg_and_pdf(tmp_path, ext):
    require("matplotlib")
    path = tmp_path / f"curve.{ext}"
    ok(
        "plot",
        "PolynomialDecay(0.1, 1000, power=2.0)",
        "-o",
        str(path),
        "--log-y",
        "--steps",
        "2_000",
    )
    data = path.read_bytes()
    if ext == "svg":
        assert data.lstrip().startswith(b"<?xml") and b"<svg" in data and b"<path" in data
    else:
        assert data.startswith(b"%PDF-") and len(data) > 2000


# -- the terminal ------------------------------------------------------------------------


def _plot_rows(text):
    """The plot's rows (those with the y axis), with the label and axis cut off."""
    rows = [line for line in text.splitlines() if "┤" in line or "│" in line]
    cut = rows[0].index("┤") + 1
    return [row[cut:] for row in rows]


def test_terminal_plot_fits_the_terminal():
    text = ok(
        "plot",
        "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)",
        "--terminal",
        columns=72,
        lines=20,
    )
    lines = text.splitlines()
    assert len(lines) <= 20
    assert max(map(len, lines)) <= 72
    assert "\x1b[" not in text  # not a tty: no colour
    assert any(ord(ch) in BRAILLE for ch in text)
    assert "┊" in text and "phase boundary" in text  # the warmup's end
    assert "CosineDecay(0.1, 10000, warmup_target=1.0, warmup_steps=500)" in text
    assert "10000" in text  # the step axis
    # a bigger terminal gives a bigger plot
    big = ok("plot", "CosineDecay(0.1, 10000)", "--terminal", columns=120, lines=40)
    assert 30 < len(big.splitlines()) <= 40 and max(map(len, big.splitlines())) > 100


def test_terminal_plot_is_the_curve():
    """ExponentialDecay(1.0, ...) starts at the top left and ends at the bottom right."""
    text = ok("plot", "ExponentialDecay(1.0, 100, 0.01)", "--terminal", columns=60, lines=16)
    rows = _plot_rows(text)
    assert rows[0][0] != " "  # step 0: the top row, first column
    assert rows[0].rstrip()[-1:] != "" and len(rows[0].rstrip()) < 10
    assert len(rows[-1].rstrip()) == max(len(r) for r in rows)  # the end: the bottom row
    assert "1 ┤" in text.splitlines()[0]


def test_terminal_plot_of_two_schedules_without_colour_uses_markers():
    text = ok("plot", "Constant(0.5)", "Constant(1.0)", "--steps", "100", columns=60, lines=14)
    rows = _plot_rows(text)
    first = rows[0].strip()
    last = rows[-1].strip()
    assert set(first) == {"×"} and set(last) == {"•"}  # the second curve on top
    assert "•• Constant(0.5)" in text and "×× Constant(1.0)" in text


def test_terminal_plot_colour_and_log_scale():
    text = ok(
        "plot",
        "ExponentialDecay(1.0, 10, 0.1)",
        "--steps",
        "50",
        "--log-y",
        "--color",
        "always",
        columns=60,
        lines=14,
    )
    assert "\x1b[38;5;32m" in text  # the first curve's colour
    labels = [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]
    assert "1" in labels and "1e-5" in labels  # powers of ten: the log scale


def test_terminal_plot_with_a_file_and_terminal(tmp_path):
    require("matplotlib")
    path = tmp_path / "both.png"
    text = ok("plot", "Constant(0.1)", "-o", str(path), "--terminal", columns=60, lines=12)
    assert path.exists() and any(ord(ch) in BRAILLE for ch in text)


def test_terminal_plot_loads_no_numpy_or_matplotlib():
    code = (
        "import io, contextlib, json, sys\nfrom lrkit.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['plot', 'CosineDecayRestarts(0.1, 100)', 'Warmup(Constant(0.1), 10)'])\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout.splitlines()[-1])
    assert not [m for m in mods if m.split(".")[0] in ("numpy", "matplotlib")]


# -- mistakes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["plot", "Foo(1)"], "unknown schedule 'Foo'"),
        (["plot", "CosineDecay(0.1)"], "usage: CosineDecay(initial_learning_rate, decay_steps"),
        (["plot", "CosineDecay"], "needs its arguments, e.g. CosineDecay(initial_learning_rate"),
        (["plot", "CosineDecay(0.1, 10)", "-o", "curve.gif"], "use one of: .png, .svg, .pdf"),
        (["plot", "CosineDecay(0.1, 10)", "-o", "/no/such/dir/c.png"], "no such directory"),
        (["plot", "CosineDecay(0.1, 10)", "--steps", "0"], "--steps must be > 0"),
        (["plot", "CosineDecay(0.1, 10)", "--steps", "ten"], "--steps takes whole steps"),
        (["plot", "ExponentialDecay(1.0, 1, 10.0)", "--steps", "400"], "overflows float64"),
        (["plot", "Constant(-1.0)", "--log-y"], "no positive learning rate"),
        (["plot", "Constant(0.1)", "--color", "pink"], "invalid choice: 'pink'"),
        (["plot"], "the following arguments are required: SPEC"),
        ([], "commands: plot, show, inspect, convert, list"),
        (["draw"], "invalid choice: 'draw'"),
    ],
)
def test_errors_are_one_line_with_status_2(args, words):
    out = run(*args, columns=60, lines=14)
    assert out.returncode == 2, out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrkit: error: "), out.stderr
    assert words in lines[0]
    assert "Traceback" not in out.stderr


def test_overflow_in_a_file_plot(tmp_path):
    require("matplotlib")
    path = tmp_path / "x.png"
    out = run("plot", "ExponentialDecay(1.0, 1, 10.0)", "--steps", "400", "-o", str(path))
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "lrkit: error: ExponentialDecay is not finite at step=309" in out.stderr
    assert not path.exists()


def test_log_y_of_a_curve_that_reaches_zero_draws_the_positive_part():
    text = ok("plot", "CosineDecay(0.1, 10)", "--log-y", columns=60, lines=14)
    assert any(ord(ch) in BRAILLE for ch in text)


def test_terminal_too_small():
    out = run("plot", "Constant(0.1)", columns=10, lines=4)
    assert out.returncode == 2 and "too small" in out.stderr


# -- phase boundaries --------------------------------------------------------------------

#: schedules whose phases a plot once did not mark (or marked in part)
PHASED = [
    "Step(0.1, 10_000)",
    "OneCycle(0.1, 100_000)",
    "OneCycle(0.1, 100_000, three_phase=True, anneal_strategy='linear')",
    "Cyclic(0.01, 0.1, 20_000)",
    "Linear(0.1, 0.0, 50_000, transition_begin=20_000)",
    "PiecewiseLinear([(0, 0.0), (10_000, 0.1), (90_000, 0.01)])",
    "Tanh(0.1, 30_000, cycle_limit=3)",
    "CosineCycles(0.1, 10_000, cycle_mul=2, cycle_limit=3)",
    "Cosine(0.1, 90_000, cycles=3)",
    "WarmupStableDecay(0.1, total_steps=100_000, warmup_steps=10_000, decay_fraction=0.2)",
]


@pytest.mark.parametrize("spec", PHASED)
def test_file_plot_marks_every_phase_and_samples_both_sides(spec):
    """Each boundary a dotted line, and the curve drawn from the steps on both sides of
    it (a long plot is drawn from a sample of its steps)."""
    require("matplotlib")
    from lrkit.boundaries import boundaries, horizon
    from lrkit.plotting import figure, values
    from lrkit.spec import parse_spec

    s = parse_spec(spec)
    last = horizon(s)
    marks = boundaries(s, last)
    assert len(marks) >= 2
    ax = figure([(spec, s)]).axes[0]
    curve, *lines = ax.lines
    assert ax.get_xlim() == (0, last)  # the default length: the horizon
    assert [line.get_xdata()[0] for line in lines] == [b for b, _ in marks]
    xs = set(curve.get_xdata().tolist())
    assert len(xs) < last  # sampled
    for b, _ in marks:
        assert {x for x in (int(b) - 1, int(b), int(b) + 1) if 0 <= x <= last} <= xs
    assert curve.get_ydata().tolist() == values(s, curve.get_xdata()).tolist()


def _boundary_columns(text):
    rows = _plot_rows(text)
    return {i for row in rows for i, ch in enumerate(row) if ch == "┊"}


@pytest.mark.parametrize(
    ("spec", "count"),
    [
        ("Step(0.1, 100)", 10),  # ten steps: 100, 200, ..., 1000 (the horizon)
        ("OneCycle(0.1, 1000, three_phase=True)", 3),  # the peak, the second phase's end, the end
        ("WarmupStableDecay(0.1, 1000, 100, decay_fraction=0.2)", 3),
        # a restart's jump fills its column, over the mark: the end is seen
        ("Cosine(0.1, 9000, cycles=3)", 1),
        ("CosineCycles(0.1, 1000, cycle_mul=2, cycle_limit=3)", 1),
    ],
)
def test_terminal_plot_marks_every_phase(spec, count):
    text = ok("plot", spec, columns=100, lines=20)
    assert len(_boundary_columns(text)) == count and "phase boundary" in text


def test_terminal_plot_draws_a_short_dip_at_a_boundary():
    """A dip over steps 501..508 of a plot of 600 drawn with 40 dot columns of 15 steps:
    inside the column of steps 495..509, whose ends miss it. The steps on both sides
    of each boundary are evaluated too, so the dip is drawn."""
    from lrkit import termplot
    from lrkit.boundaries import boundaries
    from lrkit.spec import parse_spec

    s = parse_spec("PiecewiseConstantDecay([500, 508], [1.0, 0.0, 0.5])")
    marked = termplot._sample(termplot.Series("dip", s, boundaries(s, 600)), 600, 40)
    assert marked[33] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.5]  # steps 495, 499..501, 507..509
    bare = termplot._sample(termplot.Series("dip", s), 600, 40)
    assert bare[33] == [1.0, 0.5] and 0.0 not in {y for col in bare for y in col}
