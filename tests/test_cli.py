"""The `pmsbot` command line, run in-process as an operator would type it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.cli.parser import build_parser
from bot.clocks import SYSTEM_CLOCK


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "pmsbot-demo.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--seed-only"]) == 0
    return db


def say(capsys: pytest.CaptureFixture[str], person: str, text: str, *, refused: bool = False) -> str:
    """What `pmsbot say` printed; its exit code must say whether the bot refused (1) or did it (0)."""
    capsys.readouterr()
    assert main(["say", "--as", person, text]) == (1 if refused else 0)
    return capsys.readouterr().out


def test_help_lists_the_contract() -> None:
    text = build_parser().format_help()
    for cmd in ("run", "web", "worker", "clock", "schedules", "demo", "say", "db", "check", "audit", "sla"):
        assert cmd in text


def test_help_answers_without_loading_the_product() -> None:
    """`pmsbot --help` (and a usage error) must not wait for the database layer, the web server and the rest to
    import: measured 2.5 s before, 0.1 s after. Checked by what is imported, which does not depend on the machine."""
    import subprocess
    import sys

    heavy = ("sqlalchemy", "sqlmodel", "aiohttp", "pydantic", "jinja2", "httpx", "apscheduler", "holidays")
    probe = ("import sys\nfrom bot.cli.main import main\n"
             "for argv in (['--help'], ['hooks', '--help'], ['no-such-command']):\n"
             "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
             f"print(sorted({{m.split('.')[0] for m, mod in sys.modules.items() if mod}} & {set(heavy)!r}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_say_conversation_in_each_language(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "Created PUMP-9 Replace inlet valve · to do 0% · 王波" in say(capsys, "alice", "new PUMP Replace inlet valve @bob")
    assert "泵站改造：总进度" in say(capsys, "bob", "status PUMP")
    assert "PUMP-9 Replace inlet valve" in say(capsys, "bob", "我的任务")
    assert "更换阀门" in say(capsys, "bob", "report PUMP-3 60% 更换阀门")
    assert "60% → 80%，工时 +3h" in say(capsys, "bob", "PUMP-3 完成80% 3h")
    out = say(capsys, "bob", "申请 PUMP 备件采购 12000")
    assert "已提交申请 #2「备件采购」（¥12,000.00）" in out
    assert "不能审批自己提交的申请 #2" in say(capsys, "bob", "approve 2", refused=True)
    assert "not an approver of #2" in say(capsys, "alice", "approve 2", refused=True)
    assert "你已同意 #2" in say(capsys, "carol", "approve 2")
    assert "我不认识「blah」" in say(capsys, "bob", "blah blah", refused=True)  # an unknown command is refused: exit 1
    assert "I don't know 'blah'" in say(capsys, "alice", "blah blah", refused=True)
    assert "Commands" in say(capsys, "alice", "help")  # asked for: exit 0


def test_say_unknown_person_is_an_error(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["say", "--as", "nobody", "help"]) == 1
    assert "unknown person 'nobody'" in capsys.readouterr().err
    assert main(["say", "--as", "bob", "--platform", "slack", "help"]) == 1
    assert "not enabled" in capsys.readouterr().err


def test_audit_verify_detects_tampering(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    say(capsys, "bob", "PUMP-4 70%")
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "audit chain ok" in capsys.readouterr().out
    with sqlite3.connect(demo_db) as conn:
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = 2")
    assert main(["audit", "verify"]) == 1
    assert "BROKEN at row 2" in capsys.readouterr().out


def test_db_upgrade_and_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    cfg = tmp_path / "pmsbot.yaml"
    cfg.write_text("projects:\n  - {key: AB, name: x, pms: jira}\n", encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(cfg))
    assert main(["check"]) == 1  # schema missing is reported; jira has no connector yet
    out = capsys.readouterr().out
    assert "`pmsbot run` upgrades it" in out and "FAIL project AB: pms jira" in out
    assert main(["db", "upgrade"]) == 0
    assert "schema empty ->" in capsys.readouterr().out
    cfg.write_text("projects:\n  - {key: AB, name: x}\n", encoding="utf-8")
    assert main(["check"]) == 0
    assert "schema up to date" in capsys.readouterr().out
    cfg.write_text("projects:\n  - {key: AB, nme: x}\n", encoding="utf-8")
    assert main(["check"]) == 1
    assert f"{cfg}:2: projects[0].nme: unknown key 'nme'; did you mean 'name'?" in capsys.readouterr().out


def test_bad_database_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    assert main(["db", "upgrade"]) == 1
    assert "must be sqlite or postgresql" in capsys.readouterr().err


def test_bad_config_stops_run_with_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "pmsbot.yaml"
    cfg.write_text("locale: zh\ntimezone: Mars/Base\n", encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(cfg))
    assert main(["run"]) == 1
    assert f"{cfg}:2: timezone: unknown timezone 'Mars/Base'" in capsys.readouterr().err


def test_clock_once_and_schedules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from bot.demo.seed import DEMO_CONFIG

    monkeypatch.setenv("PMSBOT_CONFIG", str(DEMO_CONFIG))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'pmsbot.db'}")
    assert main(["schedules"]) == 1, "the schedules are the database's: there is none yet"
    assert "no database at" in capsys.readouterr().err and not (tmp_path / "pmsbot.db").exists()
    assert main(["clock", "--once", "--at", "2026-12-01T09:30:00"]) == 1
    assert "timezone offset" in capsys.readouterr().err
    assert main(["clock", "--once", "--at", "yesterday"]) == 1
    assert "not an ISO time" in capsys.readouterr().err
    assert main(["clock", "--once", "--at", "2026-12-01T09:30:00+08:00"]) == 0
    capsys.readouterr()
    assert main(["schedules"]) == 0
    assert "pump-daily" in capsys.readouterr().out
    # The database, not the file, is what the clock runs: a file without standups does not hide them.
    empty = tmp_path / "empty.yaml"
    empty.write_text("locale: en\n", encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(empty))
    assert main(["schedules"]) == 0
    assert "pump-daily" in capsys.readouterr().out


def test_demo_reset_starts_over_with_database_url(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    say(capsys, "bob", "PUMP-4 99%")
    assert main(["demo", "--reset", "--seed-only"]) == 0
    assert "demo organisation seeded" in capsys.readouterr().out
    assert "40%" in say(capsys, "bob", "status PUMP-4")


def test_audit_anchors_catch_an_emptied_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "pmsbot.yaml"
    cfg.write_text("people:\n  - {id: bob, name: Bob}\nprojects:\n  - {key: AB, name: x, members: [bob]}\n",
                   encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(cfg))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    monkeypatch.setenv("PMSBOT_AUDIT_KEY", "an-audit-key-of-at-least-32-chars!!")
    say(capsys, "bob", "new AB first task")
    assert main(["audit", "anchor"]) == 0
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["audit", "verify", "--anchors", str(anchors)]) == 0
    assert "1 anchors found" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "a.db") as conn:
        conn.execute("DELETE FROM audit")
    assert main(["audit", "verify"]) == 0, "an empty chain is a valid chain..."
    assert main(["audit", "verify", "--anchors", str(anchors)]) == 1, "...but not the one anchored"
    assert "table emptied" in capsys.readouterr().out


def test_link_survives_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "pmsbot.yaml"
    cfg.write_text("people:\n  - {id: bob, name: Bob, pms_user: bob}\n  - {id: ada, name: Ada, roles: [admin]}\n"
                   "projects:\n  - {key: AB, name: x, members: [bob]}\n", encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(cfg))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'l.db'}")

    def pms_user() -> tuple[str, str | None]:
        with sqlite3.connect(tmp_path / "l.db") as conn:
            return conn.execute("SELECT pms_user, pms_user_claim FROM person WHERE id = 'bob'").fetchone()

    assert "bob.jira" in say(capsys, "bob", "link bob.jira")
    say(capsys, "bob", "help")  # another start applies the configuration again
    assert pms_user() == ("bob", "bob.jira"), "a claim, not a link: writes still go as the configured user"
    assert "bob.jira" in say(capsys, "ada", "link approve bob")
    say(capsys, "bob", "help")
    assert pms_user() == ("bob.jira", None), "confirmed by an admin, it stays over the file's"
    capsys.readouterr()
    assert main(["check"]) == 0 and "unconfirmed" not in capsys.readouterr().out


def test_unreachable_database_is_one_clear_line(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:9/x")
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pmsbot: database postgresql+asyncpg://nobody:***@127.0.0.1:9/x: ")
    assert "Traceback" not in err and "secret" not in err and len(err.strip().splitlines()) == 1


def test_check_fails_on_a_postgres_database_without_schema(
    pg_database: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import asyncio

    from tests.conftest import _reset_pg, need

    need(pg_database is not None, "PostgreSQL on 127.0.0.1:5432 is not reachable")
    assert pg_database is not None
    asyncio.run(_reset_pg(pg_database))
    monkeypatch.setenv("DATABASE_URL", pg_database)
    monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
    assert main(["check"]) == 1
    assert "run `pmsbot db upgrade`" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert main(["check"]) == 0


def test_operator_mistakes_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PMSBOT_CONFIG", str(tmp_path / "missing.yaml"))
    assert main(["check"]) == 1
    assert "missing.yaml, which does not exist" in capsys.readouterr().err
    monkeypatch.delenv("PMSBOT_CONFIG")
    with pytest.raises(SystemExit) as exit_:
        main(["--log-level", "verbose", "check"])
    assert exit_.value.code == 2 and "log level 'verbose'" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    assert main(["demo", "--reset", "--seed-only"]) == 1
    assert "only deletes a file named pmsbot-demo.db" in capsys.readouterr().err


def test_a_busy_port_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["web", "--port", str(port)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"pmsbot: port {port} on 127.0.0.1 is already in use (another pmsbot?): stop that process, " \
           "or choose another port with --port or PORT" in err
    assert not any("Traceback" in line or "CancelledError" in line for line in err)


def test_clock_once_sends_each_prompt_once(demo_db: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from bot.demo.seed import DEMO_CONFIG

    # Standups only: the demo's approval reminders would depend on when the test runs.
    cfg = demo_db.parent / "standups.yaml"
    cfg.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace("remind_after_h: 4", "remind_after_h: null")
                   .replace("escalate_after_h: 24", "escalate_after_h: null"), encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(cfg))
    capsys.readouterr()
    assert main(["clock", "--once", "--at", "2026-12-01T09:30:00+08:00"]) == 0
    assert "3 scheduled messages sent" in capsys.readouterr().out
    assert main(["clock", "--once", "--at", "2026-12-01T01:30:00Z"]) == 0  # the same instant in UTC
    assert "0 scheduled messages sent" in capsys.readouterr().out
    with sqlite3.connect(demo_db) as conn:
        bodies = [json.loads(b)["text"] for (b,) in
                  conn.execute("SELECT body FROM console_message WHERE person_id = 'bob' AND direction = 'out'")]
    assert sum("站会（2026-12-01）" in b for b in bodies) == 1, "delivered to bob's console, once"
    assert main(["schedules"]) == 0
    out = capsys.readouterr().out
    assert "standup:pump-daily\tPUMP\tbob\tAsia/Shanghai\tnext: " in out


def test_sla_prints_success_rate_per_connector(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio
    from datetime import UTC, timedelta

    from bot.calls import Calls
    from bot.store.db import Database
    from bot.store.metrics import add_calls

    async def record() -> None:
        db = Database(f"sqlite+aiosqlite:///{demo_db}")
        try:
            now = SYSTEM_CLOCK.now().astimezone(UTC).replace(second=0, microsecond=0)
            await add_calls(db, now - timedelta(minutes=5), {"slack": Calls(ok=995, failed=5, latency_ms=120_000),
                                                             "feishu": Calls(ok=97, failed=3, latency_ms=9_000)})
            await add_calls(db, now - timedelta(hours=30), {"dingtalk": Calls(ok=1, failed=9)})  # outside 24 h
        finally:
            await db.dispose()
    asyncio.run(record())
    capsys.readouterr()
    assert main(["sla"]) == 0
    out = capsys.readouterr().out
    assert "feishu\t100\t97\t3\t97.00 %\t90  below 99 %" in out
    assert "slack\t1000\t995\t5\t99.50 %\t120\n" in out + "\n" and "dingtalk" not in out
    assert main(["sla", "--hours", "48"]) == 0
    assert "dingtalk\t10\t1\t9\t10.00 %" in capsys.readouterr().out
    assert main(["sla", "--hours", "-1"]) == 1


def test_check_reaches_each_pms_with_our_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from tests.fakes.process import serving

    config = tmp_path / "pmsbot.yaml"
    config.write_text("projects:\n  - {key: PUMP, name: Pump, pms: jira, pms_project: PMS}\n"
                      "  - {key: MILL, name: Mill, pms: redmine, pms_project: mill}\n", encoding="utf-8")
    monkeypatch.setenv("PMSBOT_CONFIG", str(config))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    with serving("tests.fakes.jira") as port:
        monkeypatch.setenv("JIRA_URL", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("JIRA_EMAIL", "bot@example.com")
        monkeypatch.setenv("JIRA_API_TOKEN", "jira-api-token")
        assert main(["check"]) == 1  # MILL's Redmine has no settings
        out = capsys.readouterr().out
        assert "ok   jira: Jira Cloud as" in out and "ok   project PUMP: pms jira" in out
        assert "FAIL project MILL: pms redmine needs its settings (REDMINE_URL and REDMINE_API_KEY)" in out
        monkeypatch.setenv("JIRA_API_TOKEN", "revoked-token")
        assert main(["check"]) == 1
        out = capsys.readouterr().out
        assert "FAIL jira: Jira auth" in out and "revoked-token" not in out


def test_a_busy_port_is_one_line_from_the_real_process(tmp_path: Path) -> None:
    """Run as an operator runs it (logging to stderr, as configured by main): one line, which port and what to do."""
    import os
    import socket
    import subprocess
    import sys

    cfg = tmp_path / "pmsbot.yaml"
    cfg.write_text("people:\n  - {id: bob, name: Bob}\n", encoding="utf-8")
    environ = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PMSBOT_CONFIG": str(cfg),
               "PMSBOT_CONSOLE": "1", "PYTHONPATH": str(Path(__file__).parents[1])}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "bot.cli", "run", "--port", str(port)], env=environ,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [f"pmsbot: port {port} on 127.0.0.1 is already in use (another pmsbot?): "
                                        "stop that process, or choose another port with --port or PORT"]


def test_run_with_nothing_configured_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    monkeypatch.chdir(tmp_path)
    for name in ("PMSBOT_CONFIG", "PMSBOT_CONSOLE", "DATABASE_URL", "SLACK_BOT_TOKEN", "FEISHU_APP_ID",
                 "DINGTALK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    with socket.socket() as busy:  # so that it stops right after saying it
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["run", "--port", str(busy.getsockname()[1])]) == 1
    err = capsys.readouterr().err
    assert "nothing is configured yet" in err
    assert "no chat platform: set SLACK_BOT_TOKEN" in err and "PMSBOT_CONSOLE=1" in err
    assert "no people or projects: pmsbot.yaml does not exist" in err


def test_check_changes_nothing_and_says_what_is_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
    monkeypatch.delenv("PMSBOT_CONSOLE", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert list(tmp_path.iterdir()) == [], "a check creates no database (nor anything else)"
    assert "no file yet" in out and "WARN no chat platform enabled" in out
    assert "platforms enabled: console" not in out, "the console is off unless PMSBOT_CONSOLE=1"
    monkeypatch.setenv("PMSBOT_CONSOLE", "1")
    assert main(["check"]) == 0
    assert "ok   platforms enabled: console" in capsys.readouterr().out
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")
    assert main(["check"]) == 1
    assert f"the folder {tmp_path / 'no' / 'such'} does not exist" in capsys.readouterr().out


def test_check_names_an_unreachable_database_in_words(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("PMSBOT_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:9/x")
    assert main(["check"]) == 1
    line = next(x for x in capsys.readouterr().out.splitlines() if "database" in x)
    assert line == ("FAIL database postgresql+asyncpg://nobody:***@127.0.0.1:9/x: connection refused: is the server "
                    "running, and at this host and port?")


def test_every_option_has_one_line_of_help_and_the_readme_lists_them() -> None:
    from bot.cli.parser import commands_table, options_of

    parser = build_parser()
    undocumented = [a.dest for a in options_of(parser) if not a.help]
    assert undocumented == []
    assert all("\n" not in (a.help or "") for a in options_of(parser))
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert commands_table() in readme, "README's command table is `python -m bot.cli.parser`'s output: paste it"
    assert "0 done, 1 refused or failed" in readme and "0 done, 1 refused or failed" in parser.format_help()


def test_log_format_json_and_quiet_libraries(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = ("import logging\nfrom bot import logs\nlogs.configure('INFO', 'json')\n"
             "logging.getLogger('apscheduler.executors.default').info('Running job x (trigger: interval)')\n"
             "logging.getLogger('pmsbot').info('started with token=abcdef0123456789')\n"
             "logging.getLogger('pmsbot').debug('not at INFO')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).parents[1], check=True)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO" and entry["logger"] == "pmsbot" and entry["time"].endswith("+00:00")
    assert entry["message"] == "started with token=[redacted]"
    with pytest.raises(SystemExit) as exit_:
        main(["--log-format", "xml", "check"])
    assert exit_.value.code == 2


def test_wording_a_newcomer_met(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 23's wording bugs: a non-member asking for a dashboard was told they "cannot change its tasks", and
    `comment` was answered with "did you mean done"."""
    out = say(capsys, "erin", "dashboard PUMP", refused=True)
    assert "The dashboard of project PUMP is for its members" in out and "change its tasks" not in out
    # `comment` is a verb since issue 24: the comment is written, never taken for "done".
    out = say(capsys, "alice", "comment PUMP-1 looks fine")
    assert "PUMP-1" in out and "looks fine" in out and "`done" not in out
    assert "PUMP-1" in say(capsys, "bob", "评论 PUMP-1 不错")
    out = say(capsys, "alice", "remark PUMP-1 looks fine", refused=True)  # not a command: answered with help, exit 1
    assert "`done" not in out
