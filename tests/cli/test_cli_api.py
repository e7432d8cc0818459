"""The Python side of the CLI: `lrkit.plotting.values` / `plot` (the boundaries and
horizons the plots mark are tested in test_boundaries.py)."""

from __future__ import annotations

import pytest

import lrkit
from conftest import require
from lrkit.boundaries import horizon

# -- values ------------------------------------------------------------------------------


def test_values_is_a_float64_array_matching_python_calls():
    np = require("numpy")
    from lrkit.plotting import values

    s = lrkit.Warmup(lrkit.CosineDecayRestarts(0.1, 100, t_mul=2.0, m_mul=0.5), 10)
    out = values(s, 1000)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (1000,)
    assert out.tolist() == [s(t) for t in range(1000)]  # exact: the same float64 values
    grid = values(s, np.array([[0, 5], [10, 2**40]], dtype=np.int64))
    assert grid.shape == (2, 2) and grid[1, 0] == s(10) and grid[1, 1] == s(2**40)
    assert values(s, [2.5]).tolist() == [s(2.5)]
    assert values(s, 0).shape == (0,)


def test_values_calls_a_keras_style_schedule_step_by_step():
    require("numpy")
    from lrkit.plotting import values

    class Halving(lrkit.LearningRateSchedule):  # takes one Python number at a time
        def __call__(self, step):
            return 1.0 / 2 ** int(step // 10)

    assert values(Halving(), [0, 10, 25]).tolist() == [1.0, 0.5, 0.25]
    assert values(lambda t: t * 0.5, 3).tolist() == [0.0, 0.5, 1.0]
    joined = lrkit.Join([Halving(), lrkit.Constant(0.1)], [20])
    assert values(joined, [0, 19, 20]).tolist() == [1.0, 0.5, 0.1]


@pytest.mark.parametrize(
    ("steps", "error"),
    [(-1, ValueError), ([0, -3], ValueError), (True, TypeError), (["a"], TypeError)],
)
def test_values_refuses_bad_steps(steps, error):
    require("numpy")
    from lrkit.plotting import values

    with pytest.raises(error):
        values(lrkit.Constant(0.1), steps)


def test_sample_steps_keeps_boundaries_sharp():
    require("numpy")
    from lrkit.plotting import sample_steps

    assert sample_steps(10).tolist() == list(range(11))
    steps = sample_steps(10**9, [(123_456_789, "restart")], points=101).tolist()
    assert {123_456_788, 123_456_789, 123_456_790} <= set(steps)
    assert steps[0] == 0 and steps[-1] == 10**9 and steps == sorted(set(steps))


# -- plot ------------------------------------------------------------------------------------


def test_plot_draws_the_curve_and_marks_phases():
    require("matplotlib")
    from matplotlib.figure import Figure

    from lrkit.plotting import plot, values

    s = lrkit.CosineDecay(0.0, 1000, warmup_target=0.1, warmup_steps=100)
    ax = Figure().add_subplot()
    assert plot(s, ax=ax) is ax
    curve, *marks = ax.lines
    xs = curve.get_xdata()
    assert xs[0] == 0 and xs[-1] == horizon(s) == 1100
    assert curve.get_ydata().tolist() == values(s, xs).tolist()
    assert curve.get_label() == repr(s)
    assert [m.get_xdata()[0] for m in marks] == [100, 1100]
    assert all(m.get_linestyle() == ":" and m.get_color() == curve.get_color() for m in marks)
    # steps as a count, as explicit steps; no marks; a log axis; line options pass through
    ax = Figure().add_subplot()
    plot(s, 50, ax, show_boundaries=False, log_y=True, color="red", label="warm")
    (line,) = ax.lines
    assert line.get_xdata().tolist() == list(range(50)) and line.get_color() == "red"
    assert ax.get_yscale() == "log" and line.get_label() == "warm"
    ax = Figure().add_subplot()
    plot(s, [0, 100, 600], ax)
    assert ax.lines[0].get_ydata().tolist() == [s(0), s(100), s(600)]


def test_plot_uses_pyplot_without_axes():
    require("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lrkit.plotting import plot

    plt.figure()
    try:
        ax = plot(lrkit.ExponentialDecay(0.1, 10, 0.5))
        assert ax is plt.gca() and ax.lines[0].get_xdata()[-1] == 100
    finally:
        plt.close("all")


def test_figure_overlays_with_a_legend():
    require("matplotlib")
    from lrkit.plotting import figure

    fig = figure([("a", lrkit.Constant(0.1)), ("b", lrkit.PiecewiseConstantDecay([5], [1.0, 2.0]))])
    ax = fig.axes[0]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a", "b"]
    assert ax.get_xlim() == (0, 6)  # the piecewise boundary, and a fifth again


def test_the_schedule_methods_delegate_when_added():
    """`schedule.values(steps)` and `schedule.plot(...)`: checked once base.py has them
    (the functions they delegate to are tested above either way)."""
    require("numpy")
    s = lrkit.ExponentialDecay(1.0, 1, 0.5)
    if hasattr(lrkit.LearningRateSchedule, "values"):
        assert s.values(3).tolist() == [1.0, 0.5, 0.25]
    if hasattr(lrkit.LearningRateSchedule, "plot"):
        require("matplotlib")
        from matplotlib.figure import Figure

        ax = Figure().add_subplot()
        assert s.plot(steps=4, ax=ax) is ax and ax.lines[0].get_ydata().tolist()[-1] == 0.125
