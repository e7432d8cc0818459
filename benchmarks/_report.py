"""The results: cases (timings of several contenders against a baseline), targets,
the printed table and the JSON file."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from benchmarks._timing import Timing


@dataclass
class Case:
    """One measurement: contenders timed side by side, in seconds per ``unit``."""

    group: str
    name: str
    unit: str
    baseline: str
    timings: dict[str, Timing] = field(default_factory=dict)
    #: other figures (memory ratios, op counts...), by name
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def ratio(self, impl: str, to: str | None = None, median: bool = False) -> float:
        a, b = self.timings[impl], self.timings[to or self.baseline]
        return (a.median / b.median) if median else (a.min / b.min)

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "name": self.name,
            "unit": self.unit,
            "baseline": self.baseline,
            "timings": {k: t.as_dict() for k, t in self.timings.items()},
            "ratios": {k: self.ratio(k) for k in self.timings},
            "ratios_median": {k: self.ratio(k, median=True) for k in self.timings},
            "metrics": self.metrics,
            "notes": self.notes,
        }


@dataclass
class Target:
    group: str
    case: str
    what: str
    value: float
    limit: float
    #: "ratio" (at most ``limit`` times), "ms", "s", or "ops" (absolute)
    kind: str = "ratio"

    @property
    def met(self) -> bool:
        # as shown, to 2 decimals: a memory peak of 3.0001x the result (a few hundred
        # bytes of Python objects beside three arrays) meets "at most 3x"
        return round(self.value, 2) <= self.limit

    def shown(self) -> str:
        if self.kind == "ratio":
            return f"{self.value:.2f}x (target <= {self.limit:g}x)"
        return f"{self.value:.3g} {self.kind} (target <= {self.limit:g} {self.kind})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "case": self.case,
            "what": self.what,
            "value": self.value,
            "limit": self.limit,
            "kind": self.kind,
            "met": self.met,
        }


@dataclass
class Report:
    machine: dict[str, Any]
    mode: str
    cases: list[Case] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    #: contenders not measured, with the reason (a peer not installed...)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def add(self, case: Case) -> Case:
        self.cases.append(case)
        return case

    def target(
        self, case: Case, what: str, value: float, limit: float, kind: str = "ratio"
    ) -> None:
        self.targets.append(Target(case.group, case.name, what, value, limit, kind))

    def skip(self, group: str, case: str, contender: str, reason: str) -> None:
        # one line of plain text (Keras's messages hold newlines and terminal escapes)
        reason = re.sub(r"\x1b\[[0-9;]*m|\[[0-9;]*m", "", reason).strip().splitlines()[0]
        self.skipped.append(
            {"group": group, "case": case, "contender": contender, "reason": reason}
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "mode": self.mode,
            "cases": [c.as_dict() for c in self.cases],
            "targets": [t.as_dict() for t in self.targets],
            "skipped": self.skipped,
        }

    def write_json(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.as_dict(), f, indent=1)
            f.write("\n")

    # -- the printed table ---------------------------------------------------------------
    def table(self) -> str:
        lines = [f"lrkit benchmarks ({self.mode})"]
        lines += [f"  {k}: {v}" for k, v in self.machine.items()]
        group = None
        for case in self.cases:
            if case.group != group:
                group = case.group
                lines += [
                    "",
                    f"== {group} ==",
                    f"{'case':34} {'contender':22} {'time':>11} {'ratio':>7} {'median':>7}",
                ]
            title = f"{case.name} [{case.unit}; ratio to {case.baseline}]"
            lines.append(title)
            for impl, t in case.timings.items():
                lines.append(
                    f"{'':34} {impl:22} {_time(t.min):>11} "
                    f"{case.ratio(impl):>6.2f}x {case.ratio(impl, median=True):>6.2f}x"
                )
            for k, v in case.metrics.items():
                lines.append(f"{'':34} {k}: {v:.4g}")
            for note in case.notes:
                lines.append(f"{'':34} note: {note}")
        if self.skipped:
            lines += ["", "== not measured =="]
            lines += [
                f"{s['group']}/{s['case']}: {s['contender']}: {s['reason']}" for s in self.skipped
            ]
        lines += ["", "== targets =="]
        for t in self.targets:
            mark = "met   " if t.met else "MISSED"
            lines.append(f"{mark} {t.group}/{t.case}: {t.what}: {t.shown()}")
        met = sum(t.met for t in self.targets)
        lines.append(f"{met} of {len(self.targets)} targets met")
        return "\n".join(lines)

    def markdown(self) -> str:
        """Markdown tables for docs/performance.md: per group, each case a row with its
        baseline's time and every contender's ratio to it (min over repeats)."""
        out: list[str] = []
        groups: dict[str, list[Case]] = {}
        for case in self.cases:
            groups.setdefault(case.group, []).append(case)
        for group, cases in groups.items():
            contenders: list[str] = []
            for case in cases:
                contenders += [k for k in case.timings if k not in contenders]
            out += [
                "",
                f"### {group}",
                "",
                "| case | baseline: time | " + " | ".join(contenders) + " |",
                "|---|---|" + "---:|" * len(contenders),
            ]
            notes: list[str] = []
            for case in cases:
                cells = [_ratio(case.ratio(k)) if k in case.timings else "" for k in contenders]
                base = f"{case.baseline}: {_time(case.timings[case.baseline].min)}"
                out.append(f"| {case.name} ({case.unit}) | {base} | " + " | ".join(cells) + " |")
                notes += [f"{case.name}: {k}: {v:.4g}" for k, v in case.metrics.items()]
                notes += [f"{case.name}: {n}" for n in case.notes]
            if notes:
                out += [""] + [f"- {n}" for n in notes]
        out += ["", "### targets", "", "| | target | measured |", "|---|---|---|"]
        for t in self.targets:
            out.append(
                f"| {'met' if t.met else '**missed**'} | {t.group}/{t.case}: {t.what} | "
                f"{t.shown()} |"
            )
        return "\n".join(out)


def _ratio(r: float) -> str:
    return f"{r:,.0f}x" if r >= 100 else f"{r:.2f}x"


def _time(seconds: float) -> str:
    if not math.isfinite(seconds):
        return str(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"
