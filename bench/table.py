"""One row of `make bench`'s table, and how a benchmark module hands its rows to it.

Every benchmark module that belongs in the table accepts `--results PATH` and, when given, appends its rows there
as JSON (`add_results`). `python -m bench` (`make bench`) runs the modules one after another, each in its own
process, then prints one table of the rows with their peers, ratios and goals, and writes it as JSON together with
a description of the machine. A row says what was measured, against which peer in the same run, the achieved rate
where a rate was the target, and whether the goal of issue 21's table is met.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Result:
    row: str  # the issue table's row, e.g. "pmsbot run: signed Slack slash commands"
    measured: str  # what pmsbot did, with spreads, e.g. "2,410 req/s (2,300-2,500); ack p99 31 ms at 199.8/s achieved"
    peer: str  # the peer measured in the same run, e.g. "slack-bolt 2,820 req/s (2,700-2,900)"
    ratio: float | None  # pmsbot / peer, in the sense the goal uses (None where the goal is absolute)
    goal: str  # e.g. ">= 0.8x bolt, ack p99 <= 50 ms at 200/s, 0 lost"
    met: bool
    figures: dict[str, Any] = field(default_factory=dict)  # the raw numbers, for the JSON


def add_results(path: Path | str | None, results: list[Result]) -> None:
    """Append rows to the file `python -m bench` reads (nothing when the module runs on its own)."""
    if path is None:
        return
    target = Path(path)
    rows = json.loads(target.read_text(encoding="utf-8")) if target.exists() else []
    rows.extend(asdict(r) for r in results)
    target.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def read_results(path: Path) -> list[Result]:
    if not path.exists():
        return []
    return [Result(**row) for row in json.loads(path.read_text(encoding="utf-8"))]


def machine() -> dict[str, Any]:
    """What the figures were measured on (the ratios are what travels; absolute numbers are this machine's)."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), "")
    return {"platform": platform.platform(), "python": platform.python_version(), "cores": os.cpu_count(),
            "cpu": model, "load_avg_1m": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
