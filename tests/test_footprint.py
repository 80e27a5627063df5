"""What a process loads is what its role uses: an idle `pmsbot web` with only Slack configured keeps the chat
language, the spreadsheet writer, the single sign-on client, the QR encoder, the Microsoft Project XML reader and
the SDKs of unconfigured PMSs out, and builds none of the worker's and the clock's parts (the dispatcher, the
delivery, the jobs, the PMS and directory clients, httpx, jinja2) (issue 21: idle RSS), and a worker loads the language at start, not on its first
command. Checked by the modules imported, which does not depend on the machine (bench/memory.py measures the RSS
itself). What is deferred is still loaded where it is used: the route tests load it (test_field's QR image,
test_mspdi_project_files' plan files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, json, sys
from bot.store import migrate
from bot.store.db import Database

async def main(roles):
    db = Database(sys.argv[1])  # the schema first, as `pmsbot db upgrade` lays it (Alembic is not the role's)
    await migrate.upgrade(db)
    await db.dispose()
    before = set(sys.modules)
    # What the role's own modules import counts too (a part imported at the top of bot.runtime or bot.app is
    # loaded whether or not the role builds it).
    from bot.config import Config, Settings
    from bot.runtime import Runtime

    settings = Settings(database_url=sys.argv[1], slack_bot_token="xoxb-1", slack_signing_secret="s3cret")
    config = Config.model_validate({
        "people": [{"id": "ann", "name": "Ann", "identities": {"slack": "U1"}}],
        "projects": [{"key": "PUMP", "name": "Pump", "members": ["ann"]}],
        "standups": [{"name": "daily", "project": "PUMP", "members": ["ann"], "at": "09:00", "deadline": "10:00"}]})
    rt = Runtime(settings, config)
    await rt.open()
    if "web" in roles:
        from bot.app import build_app
        build_app(rt)
    rt.start(roles)
    await rt.close()
    print(json.dumps(sorted({m for m in sys.modules if m not in before or m.startswith(("commands.", "openpyxl", "jwt"))})))

asyncio.run(main(tuple(sys.argv[2].split(","))))
"""

NOT_IN_WEB = ("commands.parse", "commands.handlers", "commands.field_words", "cn2an", "openpyxl", "jwt",
              "cryptography", "authlib", "joserfc", "click", "rich", "pygments", "bot.web.oidc", "bot.dispatch.chat",
              # a QR code (segno) when a field page's QR image is asked for; the Microsoft Project XML reader
              # (defusedxml, ElementTree) when a file source delivers a plan
              "segno", "bot.mapping.mspdi", "defusedxml", "xml.etree",
              # the language model's client, unless PMSBOT_LLM_URL is set
              "bot.language_model", "commands.model",
              # traditional characters' tables (commands/script.py): the parser's, on its first Chinese message
              "opencc",
              # the worker's and the clock's parts: the dispatcher, the delivery and its senders, the clock and its
              # jobs, the PMS clients (made by the first page that reads a remote project), the directory clients
              "bot.dispatch", "notifiers.delivery", "notifiers.registry", "bot.clock", "bot.changes",
              "bot.jobs.base", "bot.jobs.standups", "bot.jobs.calendar", "bot.jobs.polls", "bot.pms.registry",
              "bot.pms.jira", "bot.pms.redmine", "bot.pms.zentao", "bot.pms.teambition", "bot.pms.http",
              "bot.directory.registry", "bot.directory.paged", "bot.mapping",
              # an HTTP client nothing of an idle Slack web process uses; templates, until a page or message is
              # rendered (a hook source's rules and a configuration's templates load them too)
              "httpx", "jinja2")


def loaded(tmp_path: Path, roles: str) -> set[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / f'{roles}.db'}"
    out = subprocess.run([sys.executable, "-c", PROBE, url, roles], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_an_idle_web_process_loads_only_what_serving_web_uses(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "web")
    assert "bot.platforms.slack" in modules, "the probe built the Slack adapter"
    found = sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in NOT_IN_WEB))
    assert found == [], f"an idle web process imported {found}"


def test_a_worker_loads_the_language_at_start(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "worker")
    assert {"commands.parse", "commands.handlers", "bot.dispatch.chat"} <= modules
    assert "opencc" not in modules  # OpenCC's tables wait for the first message with a Chinese character


METRICS_PROBE = """
import sys
import bot.app
from prometheus_client import generate_latest
print(generate_latest().decode())
print("bot.dispatch.worker" in sys.modules, "notifiers.delivery" in sys.modules)
"""


def test_a_web_process_names_the_workers_series_without_loading_the_worker() -> None:
    """/metrics of every role names the same families (a web process's dispatch and delivery series at zero)."""
    out = subprocess.run([sys.executable, "-c", METRICS_PROBE], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    *exposition, loaded_worker = out.strip().splitlines()
    assert loaded_worker == "False False", "the probe should not load the worker's modules"
    families = {line.split()[2] for line in exposition if line.startswith("# TYPE ")}
    assert {"pmsbot_inbox_pending", "pmsbot_commands_total", "pmsbot_dispatch_seconds", "pmsbot_hook_deliveries_total",
            "pmsbot_outbox_sent_total", "pmsbot_outbox_dead_total", "pmsbot_connector_calls_total"} <= families
