"""A logged run's metrics, replayed through a :class:`lrkit.Plateau`: the rate it would have had.

The command line's ``--metrics`` (``lrkit plot SPEC --metrics log.csv``, ``lrkit show``)
reads a CSV file of evaluations, one row each: a ``step`` column and a metric column
(``--metric NAME``; by default the only other column), reports each row to a plateau
around the schedule, and shows :meth:`lrkit.Plateau.replay`.

>>> import io, lrkit
>>> log = io.StringIO("step,val_loss\\n100,1.0\\n200,1.0\\n300,1.0\\n")
>>> p = replay_log(lrkit.Constant(0.1), log, patience=1, factor=0.5)
>>> p.reductions, p.replay()(299), p.replay()(300)
(((300, 0.5),), 0.1, 0.05)
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterator
from typing import IO, Any

from lrkit.core import validate as v
from lrkit.plateau import Plateau

#: the largest metrics file read (bytes) and the most rows
MAX_BYTES = 16 * 1024 * 1024
MAX_ROWS = 1_000_000


def read_metrics(
    source: str | os.PathLike[str] | IO[str], column: str | None = None
) -> list[tuple[int | float, float]]:
    """``[(step, metric), ...]`` from a CSV file with a header row.

    Args:
        source: a path, or an open text file.
        column: the metric's column; ``None``: the only column besides ``step``.

    A metric may be ``nan`` or ``inf`` (a diverged run); a step must be a number >= 0,
    and the steps must not go back. Errors name the row.
    """
    if isinstance(source, (str, os.PathLike)):
        size = os.path.getsize(source)
        if size > MAX_BYTES:
            raise ValueError(f"{os.fspath(source)}: {size} bytes, more than {MAX_BYTES}.")
        with open(source, newline="", encoding="utf-8") as f:
            return _rows(f, column)
    return _rows(source, column)


def _rows(f: IO[str], column: str | None) -> list[tuple[int | float, float]]:
    text = f.read(MAX_BYTES + 1)
    if len(text) > MAX_BYTES:
        raise ValueError(f"A metrics file of more than {MAX_BYTES} bytes.")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValueError("A metrics file needs a header row, e.g. 'step,val_loss'.")
    names = [h.strip() for h in header]
    if "step" not in names:
        raise ValueError(f"A metrics file needs a 'step' column. Its columns: {names}.")
    others = [n for n in names if n != "step"]
    if column is None:
        if len(others) != 1:
            raise ValueError(f"Say which column is the metric (--metric). Its columns: {names}.")
        column = others[0]
    if column not in names:
        raise ValueError(f"No column {column!r} in the metrics file. Its columns: {names}.")
    at, where = names.index("step"), names.index(column)
    out: list[tuple[int | float, float]] = []
    for line, row in _numbered(reader):
        if not row or all(not c.strip() for c in row):
            continue
        if len(out) >= MAX_ROWS:
            raise ValueError(f"A metrics file of more than {MAX_ROWS} rows.")
        if len(row) != len(names):
            raise ValueError(f"Row {line} has {len(row)} fields; the header has {len(names)}.")
        step = _number(row[at], f"Row {line}: step")
        if not (math.isfinite(step) and step >= 0):
            raise ValueError(f"Row {line}: a step must be a finite number >= 0. Received: {step}.")
        if out and step < out[-1][0]:
            raise ValueError(f"Row {line}: the steps go back ({out[-1][0]} then {step}).")
        out.append((v.as_exact(step), _number(row[where], f"Row {line}: {column}")))
    return out


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    yield from enumerate(reader, start=2)


def _number(text: str, what: str) -> float:
    try:
        x = float(text.strip())
    except ValueError:
        raise ValueError(f"{what} must be a number. Received: {text.strip()!r}.") from None
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def replay_log(
    schedule: Any,
    source: str | os.PathLike[str] | IO[str],
    column: str | None = None,
    **plateau: Any,
) -> Plateau:
    """A :class:`lrkit.Plateau` (``plateau`` its arguments) around ``schedule``, fed every
    row of the metrics file at its step."""
    p = Plateau(schedule, **plateau)
    for step, metric in read_metrics(source, column):
        p.report(metric, step=step)
    return p
