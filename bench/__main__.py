"""`make bench`: every row of issue 21's table in one run, each module in a process of its own, then one table.

    python -m bench [--quick] [--json bench-results.json] [--postgres URL] [--only NAME ...] [--timeout-s 1800]

(`make bench` runs it; `make bench BENCH_ARGS=--quick` for the smoke run.)

Each module in MODULES runs as `python -m bench.<name> --results FILE ...` (alone: no two benchmarks share the
machine) and appends its rows there (bench/table.py). Printed at the end: one table (row, measured, peer, ratio,
goal, met), and written as JSON with a description of the machine (`machine()`). A module that fails, times out,
does not accept --results yet, or gives no row is a line of the table saying so (met: no), never left out; the
exit status is 1 when any row is missed or missing. --quick is a smoke run (each module's small sizes): its
figures say the harness works, not how fast pmsbot is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.table import Result, machine, read_results

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = "PMSBOT_BENCH_PG"  # a PostgreSQL database the benchmarks may wipe


@dataclass(frozen=True, kw_only=True)
class Module:
    name: str  # runs as `python -m bench.<name>`
    rows: tuple[str, ...]  # the rows of issue 21's table it answers (named in the table when it gives none)
    args: tuple[str, ...] = ()
    quick: tuple[str, ...] = ("--quick",)  # its smoke-run options
    target: str = ""  # another module to run instead of bench.<name> (the tests' fakes)

    @property
    def runs(self) -> str:
        return self.target or f"bench.{self.name}"


# The one list of what `make bench` runs, in order. Each takes --results PATH; PostgreSQL, where a module has
# rows for it, comes from $PMSBOT_BENCH_PG (set by --postgres).
MODULES: tuple[Module, ...] = (
    Module(name="acks", rows=("`pmsbot run` (single process, SQLite): signed Slack slash commands, vs bolt",
                              "idle system: ack -> reply", "`run` under sustained load"),
           quick=("--seconds", "4", "--rounds", "2", "--open-seconds", "2", "--idle", "5")),
    Module(name="slack", rows=("`pmsbot web` intake alone", "Slack fan-out with shipped defaults")),
    Module(name="workers", rows=("PostgreSQL, 1 -> 2 worker processes, write commands",),
           quick=("--events", "60", "--rounds", "2")),
    Module(name="clock", rows=("clock: 10,000 people, one 09:00 standup", "clock: 2,500 people x 4 standups",
                               "clock: 10,000 reminders")),
    Module(name="pms_scan", rows=("Zentao change scan",), args=("--no-redmine",)),
    Module(name="feishu", rows=("Feishu fan-out with shipped defaults",)),
    Module(name="dingtalk", rows=("DingTalk fan-out with shipped defaults",)),
    Module(name="startup", rows=("any `pmsbot` command with 10,000 people in the YAML", "`pmsbot --help`"),
           quick=("--people", "1000", "--rounds", "1")),
    Module(name="memory", rows=("idle RSS of `web`",), quick=("--rounds", "1")),
    Module(name="hooks", rows=("webhook intake (not in issue 21's table)",)),
)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    module: str
    results: list[Result]
    status: str  # "ok", or why it gave no (or not all its) rows
    seconds: float


def command(module: Module, results: Path, *, quick: bool) -> list[str]:
    return [sys.executable, "-m", module.runs, "--results", str(results), *module.args,
            *(module.quick if quick else ())]


def run_module(module: Module, *, quick: bool, timeout_s: float, tmp: Path) -> Outcome:
    results = tmp / f"{module.name}.json"
    argv = command(module, results, quick=quick)
    print(f"\n== python -m {' '.join(argv[2:])}", flush=True)
    start = time.perf_counter()
    try:
        # What it prints goes straight through (the detail behind its rows); stderr is kept to say why it failed.
        done = subprocess.run(argv, cwd=ROOT, timeout=timeout_s, stderr=subprocess.PIPE, text=True, check=False)
    except subprocess.TimeoutExpired:
        return Outcome(module=module.name, results=read_results(results), status=f"timed out after {timeout_s:g} s",
                       seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    sys.stderr.write(done.stderr[-4000:])
    rows = read_results(results)
    if done.returncode == 2 and "unrecognized arguments" in done.stderr and "--results" in done.stderr:
        status = "skipped: it does not accept --results (yet)"
    elif done.returncode == 1 and "No module named" in done.stderr:
        status = "skipped: no such module (yet)"
    elif done.returncode != 0:
        last = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:] or ["(no message)"]
        status = f"failed (exit {done.returncode}): {last[0][:200]}"
    elif not rows:
        status = "gave no rows"
    else:
        status = "ok"
    return Outcome(module=module.name, results=rows, status=status, seconds=seconds)


def missing(module: Module, outcome: Outcome) -> list[Result]:
    """What stands in the table for rows a module did not give: never left out."""
    if outcome.status == "ok":
        return []
    if not outcome.results:
        return [Result(row=row, measured=f"NOT MEASURED: bench.{module.name} {outcome.status}", peer="-",
                       ratio=None, goal="-", met=False) for row in module.rows]
    return [Result(row=f"bench.{module.name}", measured=f"INCOMPLETE: {outcome.status}", peer="-", ratio=None,
                   goal="-", met=False)]


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list[tuple[str, Result]]) -> str:
    """The rows as a Markdown table (readable as printed, and pasted as is into the README)."""
    lines = ["| row | measured | peer | ratio | goal | met |", "|---|---|---|---|---|---|"]
    for _, r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:g}x"
        lines.append(f"| {cell(r.row)} | {cell(r.measured)} | {cell(r.peer)} | {ratio} | {cell(r.goal)} | "
                     f"{'yes' if r.met else '**NO**'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smoke run of every module (small sizes)")
    parser.add_argument("--json", default="bench-results.json", help="where the table goes as JSON")
    parser.add_argument("--postgres", default=os.environ.get(PG_ENV, ""),
                        help=f"a PostgreSQL database the benchmarks may wipe (default ${PG_ENV}; without it, rows "
                             "on PostgreSQL are those of each module's own default, or none)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only these modules (e.g. clock slack)")
    parser.add_argument("--timeout-s", type=float, default=1800.0, help="per module")
    args = parser.parse_args(argv)
    modules = [m for m in MODULES if not args.only or m.name in args.only]
    unknown = set(args.only or ()) - {m.name for m in MODULES}
    if unknown:
        parser.error(f"no such module: {', '.join(sorted(unknown))} (modules: {', '.join(m.name for m in MODULES)})")
    if args.postgres:
        os.environ[PG_ENV] = args.postgres  # for the modules' PostgreSQL rows (their processes inherit it)
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    rows: list[tuple[str, Result]] = []
    with tempfile.TemporaryDirectory(prefix="pmsbot-bench.") as tmp:
        for module in modules:
            outcome = run_module(module, quick=args.quick, timeout_s=args.timeout_s, tmp=Path(tmp))
            outcomes.append(outcome)
            rows += [(module.name, r) for r in outcome.results]
            rows += [(module.name, r) for r in missing(module, outcome)]
    described = machine()
    load = described.get("load_avg_1m")
    print(f"\n== make bench{' --quick (a smoke run: not figures to quote)' if args.quick else ''}: "
          f"{described.get('cpu') or 'unknown CPU'}, {described.get('cores')} cores, {described.get('platform')}, "
          f"Python {described.get('python')}, load {'?' if load is None else f'{load:.2f}'} at the end; "
          f"{time.perf_counter() - started:.0f} s in all\n")
    print(table(rows))
    missed = [r.row for _, r in rows if not r.met]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} rows meet their goal"
          + (f"; not met: {'; '.join(missed)}" if missed else ""))
    Path(args.json).write_text(json.dumps({
        "machine": described, "quick": args.quick, "command": " ".join(["python -m bench", *(argv or sys.argv[1:])]),
        "modules": [{"module": o.module, "status": o.status, "seconds": round(o.seconds, 1)} for o in outcomes],
        "rows": [{"module": name, **asdict(r)} for name, r in rows]}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written to {args.json}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
