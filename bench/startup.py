"""Benchmark: how long a `pmsbot` command takes to start, with 10,000 people in the YAML, against peers run in the
same rounds.

    python -m bench.startup [--people 10000] [--rounds 5] [--postgres URL] [--results PATH]

Every contender is a fresh process running a real command; the rounds alternate them (the order rotates each
round) and the rows report medians and spreads (min-max):
- `pmsbot --help`, against a bare `python -c pass` (the interpreter's own start).
- start-up: `pmsbot clock --once` at a minute when nothing is due (it starts, opens the database, applies the
  configuration, runs the minute and stops), with 10,000 people in the YAML, on a fresh database (everyone is
  written) and on a restart (the same file again). Peers in the same rounds: parsing the same file with PyYAML's
  libyaml loader and nothing else (`python -c 'import yaml; yaml.load(..., CSafeLoader)'`: the floor for reading
  the file at all), and the same command with a one-person YAML (what the people add to start-up).
SQLite always; PostgreSQL with --postgres or PMSBOT_BENCH_PG (a database the benchmark may wipe), where the
database is brought to the schema by `pmsbot db upgrade` before the timed start, as a deployment does.
A restart skips the apply (the same configuration, and a database whose triggers counted no change to people or
projects since it was last applied) and the YAML parse (the data parsed from a file with the same sha256 is read
from the database; README: Configuration); a fresh database pays both, once.
Goals (issue 21): start < 2 s with 10,000 people; `--help` < 0.5 s. The machine may be shared: the ratios to the
peers travel, the absolute seconds are this machine's at this moment.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.table import Result, add_results

ROOT = Path(__file__).resolve().parent.parent
QUIET_MINUTE = "2026-03-01T03:17:00+08:00"  # a Sunday night: nothing is due, the command only starts and stops
START_ROW = "any `pmsbot` command with 10,000 people in the YAML"
HELP_ROW = "`pmsbot --help`"
START_GOAL_S = 2.0
HELP_GOAL_S = 0.5


def people_config(people: int) -> dict[str, Any]:
    ids = [f"p{i:05d}" for i in range(people)]
    return {
        "people": [{"id": pid, "name": f"Person {pid}", "locale": "zh" if i % 2 else "en",
                    "identities": {"slack": f"U{i:07d}"}} for i, pid in enumerate(ids)],
        "projects": [{"key": "WAVE", "name": "wave", "members": ids}],
        "standups": [{"name": "wave0", "project": "WAVE", "members": ids, "at": "09:00", "deadline": "10:00"}],
    }


def pmsbot() -> list[str]:
    """The command users run: the installed `pmsbot` script beside this interpreter, else the module."""
    script = Path(sys.executable).parent / "pmsbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def compile_bytecode() -> None:
    """What `pip install` and the image do: the product's modules compiled once (untimed). Without it, a machine
    with PYTHONDONTWRITEBYTECODE set (as CI and dev shells often have) compiles ~180 modules at every start,
    which no installed pmsbot does."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "bot", "commands", "notifiers"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run; its CPU seconds are kept beside it (a shared machine stretches the wall time)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_LOG.append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
    return wall


CPU_LOG: list[tuple[float, float]] = []


def cpu_of(walls: list[float]) -> list[float]:
    cpu = dict(CPU_LOG)
    return [cpu[w] for w in walls]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def with_cpu(walls: list[float]) -> str:
    return f"{spread(walls)}, CPU {statistics.median(cpu_of(walls)):.2f} s"


def rounds_of(contenders: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each round runs every contender once; the order rotates so that none always goes first."""
    names = list(contenders)
    found: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            found[name].append(contenders[name]())
    return found


def help_row(rounds: int) -> Result:
    env = dict(os.environ)
    found = rounds_of({"help": lambda: timed([*pmsbot(), "--help"], env),
                       "python": lambda: timed([sys.executable, "-c", "pass"], env)}, rounds)
    mine, peer = statistics.median(found["help"]), statistics.median(found["python"])
    print(f"pmsbot --help {with_cpu(found['help'])} | python -c pass {with_cpu(found['python'])} | {mine / peer:.1f}x")
    return Result(row=HELP_ROW, measured=f"`pmsbot --help` {with_cpu(found['help'])}",
                  peer=f"`python -c pass` {with_cpu(found['python'])}", ratio=mine / peer,
                  goal=f"< {HELP_GOAL_S:g} s", met=mine < HELP_GOAL_S,
                  figures={"help_s": found["help"], "python_s": found["python"], "help_cpu_s": cpu_of(found["help"]),
                           "python_cpu_s": cpu_of(found["python"])})


def start_rows(backend: str, fresh_url: Callable[[str], str], people: int, rounds: int, tmp: Path) -> list[Result]:
    """Per round, each of the two YAML files starts on a database of its own: once fresh, once restarted."""
    big, small = tmp / "big.yaml", tmp / "small.yaml"
    big.write_text(json.dumps(people_config(people), indent=1), encoding="utf-8")  # JSON is YAML
    small.write_text(json.dumps(people_config(1), indent=1), encoding="utf-8")
    clock = [*pmsbot(), "clock", "--once", "--at", QUIET_MINUTE]
    env = {**os.environ, "PMSBOT_LOG_LEVEL": "WARNING"}
    state: dict[str, str] = {}
    fresh_dbs = itertools.count()

    def start(yaml_path: Path, again: bool) -> float:
        key = yaml_path.stem
        if not again:  # a database of its own each time (len(state) stopped growing after round 1: "fresh" reused one)
            state[key] = fresh_url(f"{key}{next(fresh_dbs)}")
        return timed(clock, {**env, "DATABASE_URL": state[key], "PMSBOT_CONFIG": str(yaml_path)})

    load = f"import yaml; yaml.load(open({str(big)!r}, encoding='utf-8'), Loader=yaml.CSafeLoader)"
    found: dict[str, list[float]] = {"big fresh": [], "big restart": [], "small fresh": [], "small restart": [],
                                     "yaml": []}
    for r in range(rounds):
        order = ["big", "small", "yaml"]
        for name in order[r % 3:] + order[:r % 3]:
            if name == "yaml":
                found["yaml"].append(timed([sys.executable, "-c", load], env))
                continue
            path = big if name == "big" else small
            found[f"{name} fresh"].append(start(path, again=False))
            found[f"{name} restart"].append(start(path, again=True))
    yaml_s = statistics.median(found["yaml"])
    rows = []
    for label in ("fresh", "restart"):
        mine, one = found[f"big {label}"], found[f"small {label}"]
        what = "a fresh database" if label == "fresh" else "a restart (the same file again)"
        ratio = statistics.median(mine) / yaml_s
        cpu_ratio = statistics.median(cpu_of(mine)) / statistics.median(cpu_of(found["yaml"]))
        print(f"[{backend}] clock --once, {people:,} people, {what}: {with_cpu(mine)} | yaml.load CSafeLoader "
              f"{with_cpu(found['yaml'])} ({ratio:.1f}x, CPU {cpu_ratio:.1f}x) | same, 1 person {with_cpu(one)} "
              f"({statistics.median(mine) / statistics.median(one):.1f}x)")
        rows.append(Result(
            row=START_ROW, measured=f"[{backend}] `pmsbot clock --once`, {label}: {with_cpu(mine)}",
            peer=f"yaml.load(CSafeLoader) of the file {with_cpu(found['yaml'])}; same command with 1 person "
                 f"{with_cpu(one)}",
            ratio=ratio, goal=f"< {START_GOAL_S:g} s", met=statistics.median(mine) < START_GOAL_S,
            figures={"backend": backend, "database": label, "people": people, "pmsbot_s": mine,
                     "one_person_s": one, "yaml_load_s": found["yaml"], "pmsbot_cpu_s": cpu_of(mine),
                     "one_person_cpu_s": cpu_of(one), "yaml_load_cpu_s": cpu_of(found["yaml"])}))
    return rows


def sqlite_urls(tmp: Path) -> Callable[[str], str]:
    return lambda tag: f"sqlite:///{tmp / f'start-{tag}.db'}"


def postgres_urls(url: str) -> Callable[[str], str]:
    """A wiped database brought to the schema (untimed), as `pmsbot db upgrade` does before a deployment starts."""
    plain = url.replace("+asyncpg", "")

    def fresh(_tag: str) -> str:
        asyncio.run(_wipe(plain))
        subprocess.run([*pmsbot(), "db", "upgrade"], env={**os.environ, "DATABASE_URL": plain}, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        return plain
    return fresh


async def _wipe(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--people", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--postgres", default=os.environ.get("PMSBOT_BENCH_PG", ""),
                   help="a database the benchmark may wipe, e.g. postgresql://postgres@127.0.0.1:5432/pmsbot_bench")
    p.add_argument("--results", default=None, help="append the rows to this JSON file (make bench's table)")
    args = p.parse_args()
    compile_bytecode()
    results = [help_row(max(args.rounds, 5))]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        results += start_rows("sqlite", sqlite_urls(tmp), args.people, args.rounds, tmp)
        if args.postgres:
            results += start_rows("postgresql", postgres_urls(args.postgres), args.people, args.rounds, tmp)
    print(f"{args.rounds} rounds, order rotating; median (min-max). Goals: start < {START_GOAL_S:g} s, "
          f"--help < {HELP_GOAL_S:g} s")
    for r in results:
        print(f"  {'met' if r.met else 'MISSED':>6}  {r.measured}  | peer {r.peer}")
    add_results(args.results, results)


if __name__ == "__main__":
    main()
