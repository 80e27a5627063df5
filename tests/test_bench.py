"""`make bench` (bench/__main__.py): each module in its own process, one table, the JSON with the machine; a module
that fails or cannot give its rows is a row that says so, never left out. Fake modules stand in for the benchmarks."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from bench import __main__ as bench_main
from bench.table import Result, add_results, read_results

FAKES = {
    "fakebench_ok": """
        import argparse
        from bench.table import Result, add_results
        p = argparse.ArgumentParser()
        p.add_argument("--results")
        p.add_argument("--quick", action="store_true")
        args = p.parse_args()
        print("the detail behind the rows")
        add_results(args.results, [
            Result(row="fast thing", measured="2 s" + (" (quick)" if args.quick else ""), peer="bolt 1 s",
                   ratio=2.0, goal="<= 3x", met=True, figures={"runs_s": [2.0]}),
            Result(row="slow thing", measured="9 s", peer="-", ratio=None, goal="< 8 s", met=False)])
    """,
    "fakebench_boom": """
        import argparse, sys
        p = argparse.ArgumentParser()
        p.add_argument("--results")
        p.parse_args()
        print("starting", flush=True)
        raise RuntimeError("the fake service did not start")
    """,
    "fakebench_old": """
        import argparse
        p = argparse.ArgumentParser()
        p.add_argument("--rounds", type=int, default=3)
        p.parse_args()
    """,
}


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, source in FAKES.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return tmp_path


def modules(*names: str) -> tuple[bench_main.Module, ...]:
    rows = {"fakebench_ok": ("fast thing", "slow thing"), "fakebench_boom": ("booming row",),
            "fakebench_old": ("old row one", "old row two")}
    return tuple(bench_main.Module(name=n, target=n, rows=rows[n]) for n in names)


def test_one_table_and_the_json_with_every_row_and_each_failure_reported(
        fakes: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(bench_main, "MODULES", modules("fakebench_ok", "fakebench_boom", "fakebench_old"))
    out = fakes / "results.json"
    assert bench_main.main(["--json", str(out)]) == 1, "a row missed or missing fails the run"
    printed = capfd.readouterr().out
    table = printed[printed.index("| row |"):]
    lines = [line for line in table.splitlines() if line.startswith("| ")]
    assert lines[0] == "| row | measured | peer | ratio | goal | met |"
    assert "| fast thing | 2 s | bolt 1 s | 2x | <= 3x | yes |" in lines
    assert "| slow thing | 9 s | - | - | < 8 s | **NO** |" in lines
    boom = next(line for line in lines if line.startswith("| booming row |"))
    assert "NOT MEASURED" in boom and "failed (exit 1)" in boom and "the fake service did not start" in boom
    old = [line for line in lines if line.startswith("| old row")]
    assert len(old) == 2 and all("does not accept --results" in line and "**NO**" in line for line in old)
    assert "the detail behind the rows" in printed, "a module's own output goes through"
    assert "2 of 5 rows meet their goal" not in printed and "1 of 5 rows meet their goal" in printed

    written = json.loads(out.read_text(encoding="utf-8"))
    assert {"platform", "python", "cores", "cpu", "load_avg_1m"} <= set(written["machine"])
    assert [m["status"].split(" ")[0] for m in written["modules"]] == ["ok", "failed", "skipped:"]
    by_row = {r["row"]: r for r in written["rows"]}
    assert by_row["fast thing"]["figures"] == {"runs_s": [2.0]} and by_row["fast thing"]["module"] == "fakebench_ok"
    assert by_row["booming row"]["met"] is False and by_row["old row two"]["module"] == "fakebench_old"
    assert written["quick"] is False


def test_quick_passes_each_modules_smoke_options_and_all_met_exits_zero(
        fakes: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    ok = bench_main.Module(name="fakebench_ok", target="fakebench_ok", rows=("fast thing",))
    monkeypatch.setattr(bench_main, "MODULES", (ok,))
    out = fakes / "quick.json"
    assert bench_main.main(["--quick", "--json", str(out)]) == 1, "the slow thing still misses its goal"
    assert "| fast thing | 2 s (quick) |" in capfd.readouterr().out
    assert json.loads(out.read_text(encoding="utf-8"))["quick"] is True
    with pytest.raises(SystemExit):
        bench_main.main(["--only", "nosuch", "--json", str(out)])


def test_every_module_listed_exists_and_takes_results_and_quick() -> None:
    """The list of modules is the one place `make bench` is defined: each is a file of bench/ whose parser knows
    --results."""
    bench = Path(bench_main.__file__).parent
    for module in bench_main.MODULES:
        path = bench / f"{module.name}.py"
        source = path.read_text(encoding="utf-8")
        assert '"--results"' in source, module.name
        for option in module.quick:
            if option.startswith("--"):
                assert f'"{option}"' in source, (module.name, option)


def test_results_append_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    add_results(None, [Result(row="x", measured="1", peer="-", ratio=None, goal="-", met=True)])  # nothing to do
    assert not path.exists()
    for n in (1, 2):
        add_results(path, [Result(row=f"r{n}", measured="m", peer="p", ratio=1.5, goal="g", met=n == 1)])
    assert [(r.row, r.met) for r in read_results(path)] == [("r1", True), ("r2", False)]


def test_no_benchmark_listens_on_a_fixed_port() -> None:
    """Two runs (or any other program) never collide: every server a benchmark starts is on a port the OS handed
    out (bench.common.server / free_port), none on a number written in the code."""
    bench = Path(bench_main.__file__).parent
    fixed = [f"{path.name}: {line.strip()}" for path in sorted(bench.glob("*.py")) if path.name != "common.py"
             for line in path.read_text(encoding="utf-8").splitlines()
             if re.search(r"(?i)port\b.*\b\d[\d_]{3,}\b", line) or '"--port", str(' in line]
    assert fixed == []


def test_a_server_whose_port_was_taken_meanwhile_starts_on_another(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    import socket
    import urllib.error
    import urllib.request

    from bench import common

    held = socket.socket()
    held.bind((common.HOST, 0))
    held.listen()  # another program took the port between our asking and the server's listening
    taken = held.getsockname()[1]
    handed = iter([taken])
    real = common.free_port
    monkeypatch.setattr(common, "free_port", lambda: next(handed, None) or real())
    try:
        with common.server("bench.hooks", "--serve", "bare", "--db", str(tmp_path / "unused.db")) as (line, _, port):
            assert line == "ready" and port != taken
            with pytest.raises(urllib.error.HTTPError) as refused:  # the bench's own server: it checks signatures
                urllib.request.urlopen(urllib.request.Request(f"http://{common.HOST}:{port}/hooks/mes", data=b"{}"),
                                       timeout=10)
            assert refused.value.code == 401
            refused.value.close()
    finally:
        held.close()


async def test_the_reply_sink_answers_for_the_keys_asked_only() -> None:
    """The `run` row's sink: asked which replies arrived, it answers for those keys alone (the whole map, tens of
    thousands after the closed loop, kept its loop busy while a reply waited to be stamped: the idle row timed it)."""
    from aiohttp.test_utils import TestClient, TestServer

    from bench.acks import sink_app

    async with TestClient(TestServer(sink_app())) as client:
        for key in ("k1", "k2", "k3"):
            assert (await client.post(f"/response/{key}", data=b"{}")).status == 200
        answer = await (await client.post("/_stats", json=["k2", "k9"])).json()
    assert list(answer) == ["k2"] and isinstance(answer["k2"], float)
