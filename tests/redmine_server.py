"""Session fixture `redmine`: a real Redmine 5 (Debian package, SQLite, puma) started by tests/services/redmine.sh.

The script runs once per test session (once per xdist worker); its JSON line becomes a `RedmineServer`.
When it cannot start (not installed and not root, or the script fails), every test using the fixture is
skipped locally and fails under CI=true (`tests.conftest.need`); pytest caches a session fixture's
failure, so the script is not retried for each test.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import need

SCRIPT = Path(__file__).resolve().parent / "services" / "redmine.sh"
SCRIPT_NAME = "tests/services/redmine.sh"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 60.0
STDERR_TAIL_LINES = 25


@dataclass(frozen=True)
class RedmineServer:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    api_key: str  # admin
    user_api_key: str  # non-admin "field1" (Field One), member of no project
    site_field_id: int  # issue custom field "Site" (string, all trackers, filterable)
    activity_id: int  # time-entry activity "Development", active
    pid: int  # puma
    dir: Path  # holds the SQLite database and puma.log; removed at session end


def _text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def _stop(workdir: Path) -> subprocess.CompletedProcess[str]:
    return _run("stop", "--dir", str(workdir), timeout=STOP_TIMEOUT_S)


def _stop_quietly(workdir: Path) -> None:
    """Best-effort clean-up after a failed start (the script's own trap has usually done it already)."""
    with suppress(OSError, subprocess.TimeoutExpired):
        _stop(workdir)


def _parse(stdout: str) -> RedmineServer:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("no JSON line on stdout")
    data = json.loads(lines[-1])
    return RedmineServer(
        url=str(data["url"]).rstrip("/"),
        api_key=str(data["api_key"]),
        user_api_key=str(data["user_api_key"]),
        site_field_id=int(data["site_field_id"]),
        activity_id=int(data["activity_id"]),
        pid=int(data["pid"]),
        dir=Path(data["dir"]),
    )


@contextmanager
def _per_test_timeout_paused() -> Iterator[None]:
    """pytest-timeout (signal method) counts fixture set-up in the first test's 120 s; the once-per-session
    start (possibly with an apt-get install on CI) is bounded by its own START_TIMEOUT_S instead."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    remaining, interval = signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        yield
    finally:
        if remaining > 0:
            signal.setitimer(signal.ITIMER_REAL, remaining, interval)


def _start(workdir: Path) -> tuple[RedmineServer | None, str]:
    """Start the server with its state in `workdir`: (server, "") or (None, reason); never leaves one running."""
    try:
        with _per_test_timeout_paused():
            done = _run("start", "--dir", str(workdir), timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        _stop_quietly(workdir)
        return None, (f"{SCRIPT_NAME} start did not finish within {START_TIMEOUT_S:.0f}s; stderr tail:\n"
                      f"{_tail(_text(exc.stderr))}")
    except OSError as exc:
        return None, f"{SCRIPT_NAME} could not be run: {exc}"
    if done.returncode != 0:
        return None, f"{SCRIPT_NAME} start exited {done.returncode}; stderr tail:\n{_tail(done.stderr)}"
    try:
        return _parse(done.stdout), ""
    except (ValueError, KeyError, TypeError) as exc:
        _stop_quietly(workdir)
        return None, (f"{SCRIPT_NAME} start printed no usable JSON ({exc}): {done.stdout!r}; stderr tail:\n"
                      f"{_tail(done.stderr)}")


@pytest.fixture(scope="session")
def redmine() -> Iterator[RedmineServer]:
    """A throwaway Redmine on 127.0.0.1 with the REST API on, default data (en) and the seeded user/field."""
    workdir = Path(tempfile.mkdtemp(prefix="pmsbot-redmine-"))
    server, reason = _start(workdir)
    if server is None:
        shutil.rmtree(workdir, ignore_errors=True)
        need(False, f"Redmine test server unavailable: {reason}")
    assert server is not None
    try:
        yield server
    finally:
        stopped = _stop(workdir)
        if stopped.returncode != 0:
            raise RuntimeError(f"{SCRIPT_NAME} stop --dir {workdir} exited {stopped.returncode}:\n"
                               f"{_tail(stopped.stderr)}")
