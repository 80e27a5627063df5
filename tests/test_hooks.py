"""The integration hub end to end with the shipped examples (examples/integrations.yaml): a signed MES payload
updates the PMS and tells the chat, ERP budget figures become metrics, an ERP purchase request is approved in
chat and the decision reaches the ERP's callback (retried while it is down), HR staffing creates a task; and
every way a delivery can be wrong is refused with its reason, nothing applied."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update
from sqlmodel import col

from bot.app import build_app
from bot.clocks import SYSTEM_CLOCK
from bot.config import ChannelConfig, Config, ProjectConfig, Settings, SourceAuthConfig, load_config
from bot.pms.local import LocalPMS
from bot.records import Person
from bot.runtime import Runtime
from bot.say import drain, say
from bot.store import console as feed
from bot.store.metrics import latest_metrics
from bot.store.models import InboxRow, OutboxRow
from notifiers.callback import callback_signature
from tests.conftest import running_clock

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MES_SECRET, ERP_TOKEN = "mes-secret-0123456789", "erp-token-0123456789"
HR_SECRET, CB_SECRET = "hr-secret-0123456789", "callback-secret-0123456789"
SECRETS = {"MES_SECRET": MES_SECRET, "ERP_TOKEN": ERP_TOKEN, "HR_SECRET": HR_SECRET, "ERP_CALLBACK_SECRET": CB_SECRET}


def mes_headers(body: bytes, *, secret: str = MES_SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(at if at is not None else SYSTEM_CLOCK.timestamp()))
    sig = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-MES-Timestamp": stamp, "X-MES-Signature": f"sha256={sig}", "Content-Type": "application/json"}


def hr_headers(body: bytes) -> dict[str, str]:
    sig = base64.b64encode(hmac.new(HR_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return {"X-HR-Signature": sig}


def payload(name: str) -> bytes:
    return (EXAMPLES / "payloads" / name).read_bytes()


class Receiver:
    """The ERP's callback endpoint: answers with the statuses it is told to, records what it got."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.got: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        return web.Response(status=self.answers.pop(0) if self.answers else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    r = Receiver()
    app = web.Application()
    app.router.add_post("/erp/approvals", r.handle)
    async with TestServer(app) as server:
        yield r, str(server.make_url("/erp/approvals"))


def example_config(tmp_path: Path, callback_url: str, **env: str) -> Config:
    config = load_config(EXAMPLES / "integrations.yaml", env={
        **SECRETS, "ERP_CALLBACK_URL": callback_url, "ERP_EXPORT_DIR": str(tmp_path / "exports"), **env})
    # The project's chat is the console's, so the test can read what it was told.
    pump = config.projects[0].model_copy(update={"channels": (ChannelConfig(platform="console", id="alice"),)})
    other = ProjectConfig(key="MILL", name="磨机", department="生产部", members=("alice",), approvers=("carol",))
    return config.model_copy(update={"projects": (pump, other)})


@pytest.fixture
async def rt(tmp_path: Path, receiver: tuple[Receiver, str]) -> AsyncIterator[Runtime]:
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"),
                      example_config(tmp_path, receiver[1]), console=True, clock=running_clock())
    await runtime.open()
    async with runtime.db.write() as s:
        pms = LocalPMS(s, clock=runtime.clock)
        alice = Person(id="alice", name="李娜", locale="zh")
        for title in ("水泵安装", "电缆敷设", "控制柜调试", "验收"):
            await pms.create_task("PUMP", title, assignee=None, due=None, by=alice)
        await pms.create_task("MILL", "磨机检修", assignee=None, due=None, by=alice)
    yield runtime
    await runtime.close()


@pytest.fixture
async def client(rt: Runtime) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build_app(rt))) as c:
        yield c


async def task(rt: Runtime, key: str) -> Any:
    async with rt.db.write() as s:
        return await LocalPMS(s, clock=rt.clock).get_task(key)


async def texts(rt: Runtime, person: str) -> list[str]:
    return [m["text"] for m in await feed.feed(rt.db, person) if m["direction"] == "out"]


async def failed(rt: Runtime) -> list[str]:
    async with rt.db.read() as s:
        rows = await s.execute(select(col(InboxRow.error)).where(col(InboxRow.state) == "failed"))
        return [str(e) for e in rows.scalars().all()]


async def test_mes_progress_updates_the_task_once(rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    body = payload("mes-work-order.json")
    r = await client.post("/hooks/mes", data=body, headers=mes_headers(body))
    assert r.status == 200 and (await r.json()) == {"ok": True, "duplicate": False}
    await drain(rt)
    t = await task(rt, "PUMP-1")
    assert (t.percent, t.status) == (65, "in_progress")
    r = await client.post("/hooks/mes", data=body, headers=mes_headers(body))  # the MES sends it again
    assert (await r.json())["duplicate"] is True
    await drain(rt)
    async with rt.db.read() as s:
        from bot.store.models import ProgressRow
        notes = (await s.execute(select(col(ProgressRow.note)).where(col(ProgressRow.task_key) == "PUMP-1",
                                                                       col(ProgressRow.kind) == "report"))).all()
    assert [n for (n,) in notes] == ["MES 工单 WO-7781：装配线 2 完成 26/40"]


async def test_mes_completion_finishes_the_task_and_tells_the_chat(rt: Runtime,
                                                                  client: TestClient) -> None:  # type: ignore[type-arg]
    body = payload("mes-completed.json")
    assert (await client.post("/hooks/mes", data=body, headers=mes_headers(body))).status == 200
    await drain(rt)
    assert (await task(rt, "PUMP-1")).status == "done"
    assert any("工单 WO-7781 已完工（PUMP-1）" in t for t in await texts(rt, "alice"))


async def test_deliveries_that_are_not_the_sources_are_refused(rt: Runtime,
                                                              client: TestClient) -> None:  # type: ignore[type-arg]
    body = payload("mes-work-order.json")
    cases: list[tuple[bytes, dict[str, str], int, str]] = [
        (body, mes_headers(body, secret="wrong"), 401, "X-MES-Signature"),
        (body, {**mes_headers(body), "X-MES-Timestamp": str(int(rt.clock.timestamp()) + 7)}, 401, "X-MES-Signature"),
        (body, mes_headers(body, at=rt.clock.timestamp() - 3600), 401, "window"),
        (body, {"X-MES-Signature": mes_headers(body)["X-MES-Signature"]}, 401, "X-MES-Timestamp"),
        (b"not json", mes_headers(b"not json"), 400, "not valid JSON"),
        (b"[1, 2]", mes_headers(b"[1, 2]"), 400, "JSON object"),
        (b"[" * 100_000, mes_headers(b"[" * 100_000), 400, "JSON"),
    ]
    for data, headers, status, reason in cases:
        r = await client.post("/hooks/mes", data=data, headers=headers)
        assert r.status == status, (data[:20], headers)
        assert reason in (await r.json())["error"]
    big = b'{"x": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    r = await client.post("/hooks/mes", data=io.BytesIO(big), headers=mes_headers(big))
    assert r.status == 413
    r = await client.post("/hooks/erp", data=payload("erp-budget.json"), headers={"Authorization": "Bearer nope"})
    assert r.status == 401
    r = await client.post("/hooks/nobody", data=b"{}")
    assert r.status == 404
    assert await rt.inbox.pending_count() == 0


async def test_a_rule_that_reads_a_missing_field_rejects_the_payload_with_the_reason(
        rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    body = json.dumps({"event_id": "x-1", "type": "work_order.progress", "progress": 50}).encode()
    assert (await client.post("/hooks/mes", data=body, headers=mes_headers(body))).status == 200  # stored
    await drain(rt)
    [reason] = await failed(rt)
    assert "rule 'work order progress'" in reason and "'task'" in reason
    body = json.dumps({"event_id": "x-2", "type": "work_order.progress", "task": "PUMP-2", "progress": "lots",
                       "order_no": "W", "station": "S", "qty": 1, "qty_done": 1}).encode()
    await client.post("/hooks/mes", data=body, headers=mes_headers(body))
    await drain(rt)
    assert any("percent 'lots' is not a number" in r for r in await failed(rt))
    assert (await task(rt, "PUMP-2")).percent == 0


async def test_the_sandbox_refuses_templates_that_reach_for_python(tmp_path: Path,
                                                                   receiver: tuple[Receiver, str]) -> None:
    from bot.config import SourceConfig
    from bot.mapping.rules import RuleError, RuleSet

    for template in ("{{ payload.__class__.__mro__[1].__subclasses__() }}", "{{ cycler.__init__.__globals__ }}",
                     "{{ payload.items.__self__ }}", "{{ ''.__class__ }}", "{{ range(10**9) | list }}",
                     "{{ 'a' * payload.a * 10**9 }}", "{{ 2 ** (10 ** 6) }}", "{{ '%0*d' % (10**9, 1) }}",
                     "{{ 'x' | center(10**9) }}", '{{ "{:>400000000}".format("x") }}', '{{ "%400000000s" | format("x") }}',
                     "{{ '%400000000s' % 'x' }}", "{{ '{0:{1}}'.format('x', 10**9) }}",
                     # loops: cut off by the output budget, or (printing nothing) by the step budget
                     "{% for i in 'x' * 9999 %}{% for j in 'y' * 9999 %}{% endfor %}{% endfor %}",
                     "{% for i in 'x' * 9999 %}{% for j in 'y' * 9999 %}.{% endfor %}{% endfor %}"):
        rules = RuleSet(SourceConfig.model_validate({"name": "evil", "auth": {"token": ERP_TOKEN}, "rules": [
            {"name": "r", "do": [{"comment": {"task": "PUMP-1", "text": template}}]}]}))
        started = SYSTEM_CLOCK.monotonic()
        with pytest.raises(RuleError) as err:
            rules.plan({"payload": {"a": 1}})
        assert "sandbox" in str(err.value) or "undefined" in str(err.value).lower(), template
        assert SYSTEM_CLOCK.monotonic() - started < 1.0, f"refused within a second: {template}"


async def test_erp_budget_figures_become_metrics(rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    r = await client.post("/hooks/erp", data=payload("erp-budget.json"), headers={"Authorization": f"Bearer {ERP_TOKEN}"})
    assert r.status == 200
    await drain(rt)
    async with rt.db.read() as s:
        assert await latest_metrics(s, "PUMP", ("budget", "budget_spent")) == {
            "budget": Decimal("480000.00"), "budget_spent": Decimal("412000.00")}


async def test_an_erp_purchase_request_is_decided_in_chat_and_the_decision_reaches_the_erp(
        rt: Runtime, client: TestClient, receiver: tuple[Receiver, str]) -> None:  # type: ignore[type-arg]
    got, _ = receiver
    r = await client.post("/hooks/erp", data=payload("erp-purchase.json"),
                          headers={"Authorization": f"Bearer {ERP_TOKEN}"})
    assert r.status == 200
    await drain(rt)
    card = next(t for t in await texts(rt, "carol") if "PR-2026-0457" in t)
    approval_id = card.split("#", 1)[1].split(" ", 1)[0]
    got.answers = [503, 500] + [502] * 10  # the ERP is down for a dozen tries (more than a chat message gets)
    await say(rt, "carol", f"同意 {approval_id} 预算内")
    for _ in range(12):  # each failed try waits its backoff: make it due now, as time would
        async with rt.db.write() as s:
            await s.execute(update(OutboxRow).where(col(OutboxRow.platform) == "callback",
                                                    col(OutboxRow.state) == "pending")
                            .values(available_at=rt.clock.now()))
        await drain(rt)
    assert len(got.got) == 13
    headers, body = got.got[-1]
    decision = json.loads(body)
    assert (decision["ref"], decision["state"], decision["decided_by"], decision["amount"]) == (
        "PR-2026-0457", "approved", "carol", "48,000.00")
    assert headers["X-Pmsbot-Signature"] == callback_signature(CB_SECRET, headers["X-Pmsbot-Timestamp"], body)
    assert len({h["X-Pmsbot-Delivery"] for h, _ in got.got}) == 1  # the same delivery id on every try


async def test_erp_only_from_its_allowed_addresses(tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
    config = example_config(tmp_path, receiver[1])
    erp = config.sources[1].model_copy(update={"auth": SourceAuthConfig.model_validate(
        {"token": ERP_TOKEN, "allow_ips": ["10.0.0.0/8"]})})
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'ip.db'}"),
                      config.model_copy(update={"sources": (config.sources[0], erp)}), console=True, clock=running_clock())
    await runtime.open()
    try:
        async with TestClient(TestServer(build_app(runtime))) as c:
            r = await c.post("/hooks/erp", data=payload("erp-budget.json"),
                             headers={"Authorization": f"Bearer {ERP_TOKEN}"})
            assert r.status == 403 and "allow_ips" in (await r.json())["error"]
    finally:
        await runtime.close()


async def test_hr_staffing_creates_an_onboarding_task_within_its_rollout(
        rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    body = payload("hr-staffing.json")
    assert (await client.post("/hooks/hr", data=body, headers=hr_headers(body))).status == 200
    await drain(rt)
    t = await task(rt, "PUMP-5")
    assert (t.title, t.assignee, str(t.due)) == ("入场准备：赵敏（电气工程师）", "alice", "2026-12-07")
    assert any("赵敏 将于 2026-12-07 以电气工程师身份加入" in m for m in await texts(rt, "alice"))
    other = json.loads(body) | {"project_code": "MILL"}  # 生产部 is not in HR's rollout yet
    raw = json.dumps(other, ensure_ascii=False).encode()
    assert (await client.post("/hooks/hr", data=raw, headers=hr_headers(raw))).status == 200
    await drain(rt)
    assert any("project MILL is not in source hr's rollout" in r for r in await failed(rt))


def test_hooks_test_shows_what_a_payload_would_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    monkeypatch.setenv("PMSBOT_CONFIG", str(EXAMPLES / "integrations.yaml"))
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["db", "upgrade"]) == 0
    assert main(["hooks", "test", "mes", str(EXAMPLES / "payloads" / "mes-work-order.json")]) == 1
    out = capsys.readouterr().out
    assert "rules matched: work order progress" in out and "update_task(task='PUMP-1', percent='65'" in out
    # A database no `pmsbot run` has started yet knows no project: the dry run says so, changing nothing.
    assert "would be rejected: there is no project 'PUMP'" in out and "nothing was changed" in out

    async def started_once() -> None:  # what `pmsbot run` does first: the file's people and projects
        from bot.store.db import Database
        from bot.store.sync import apply_config

        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
        await apply_config(db, load_config(EXAMPLES / "integrations.yaml", env=SECRETS), now=SYSTEM_CLOCK.now())
        await db.dispose()
    import asyncio

    asyncio.run(started_once())
    assert main(["hooks", "test", "mes", str(EXAMPLES / "payloads" / "mes-work-order.json")]) == 1
    assert "would be rejected: there is no task PUMP-1" in capsys.readouterr().out
    assert main(["hooks", "test", "erp", str(EXAMPLES / "payloads" / "erp-budget.json")]) == 0
    out = capsys.readouterr().out
    assert "metric(project='PUMP', name='budget', value='480000.00')" in out
    assert main(["hooks", "test", "nope", str(EXAMPLES / "payloads" / "erp-budget.json")]) == 1
    assert "no source 'nope'" in capsys.readouterr().out
    assert main(["hooks", "failed"]) == 0
    assert "no rejected deliveries" in capsys.readouterr().out

    async def a_rejected_delivery() -> int:
        from bot.store.db import Database

        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
        async with db.write() as s:
            row = InboxRow(platform="hook:mes", event_id="key:x-9", payload={"kind": "hook", "text": "{}"},
                           state="failed", attempts=1, error="rejected: rule 'r' update_task.task: no task",
                           available_at=SYSTEM_CLOCK.now(), received_at=SYSTEM_CLOCK.now())
            s.add(row)
            await s.flush()
            assert row.id is not None
            row_id = row.id
        await db.dispose()
        return row_id
    row_id = asyncio.run(a_rejected_delivery())
    assert main(["hooks", "failed", "--source", "mes"]) == 0
    assert "rejected: rule 'r' update_task.task: no task" in capsys.readouterr().out
    assert main(["hooks", "replay", str(row_id)]) == 0
    assert "queued again" in capsys.readouterr().out
    assert main(["hooks", "replay", str(row_id)]) == 1  # once: it is pending now, not rejected
    assert "is not a rejected delivery" in capsys.readouterr().out


async def test_a_corrected_resend_of_a_rejected_delivery_is_applied(rt: Runtime,
                                                                   client: TestClient) -> None:  # type: ignore[type-arg]
    wrong = json.dumps({"event_id": "fix-1", "type": "work_order.progress", "progress": 30}).encode()
    await client.post("/hooks/mes", data=wrong, headers=mes_headers(wrong))
    await drain(rt)
    assert len(await failed(rt)) == 1
    fixed = json.dumps({"event_id": "fix-1", "type": "work_order.progress", "task": "PUMP-3", "progress": 30,
                        "order_no": "W-9", "station": "L1", "qty": 10, "qty_done": 3}).encode()
    r = await client.post("/hooks/mes", data=fixed, headers=mes_headers(fixed))
    assert (await r.json()) == {"ok": True, "duplicate": False, "requeued": True}
    await drain(rt)
    assert (await task(rt, "PUMP-3")).percent == 30 and await failed(rt) == []
    again = await client.post("/hooks/mes", data=fixed, headers=mes_headers(fixed))
    assert (await again.json())["duplicate"] is True  # applied now: a plain duplicate



async def test_a_resend_with_text_no_database_takes_is_requeued_not_a_500(rt: Runtime,
                                                                         client: TestClient) -> None:  # type: ignore[type-arg]
    """Found by `make fuzz`: a delivery whose dedupe key holds a lone surrogate (valid JSON: "\\ud800") is stored
    with the key made storable; its resend looked for the key as it came, and the database refused it (a 500)."""
    odd = b'{"event_id": "\\ud800-1", "type": "work_order.progress", "progress": 30}'
    await client.post("/hooks/mes", data=odd, headers=mes_headers(odd))
    await drain(rt)
    assert len(await failed(rt)) == 1
    r = await client.post("/hooks/mes", data=odd, headers=mes_headers(odd))
    assert r.status == 200 and (await r.json())["requeued"] is True


async def test_malformed_keys_and_headers_are_refused(rt: Runtime, client: TestClient) -> None:  # type: ignore[type-arg]
    for body in (json.dumps({"event_id": None, "type": "x"}).encode(), json.dumps({"type": "x"}).encode()):
        r = await client.post("/hooks/mes", data=body, headers=mes_headers(body))
        assert r.status == 400 and "dedupe key" in (await r.json())["error"], body
    nul = b'{"event_id": "n-1", "type": "x", "note": "a\\u0000b"}'
    r = await client.post("/hooks/mes", data=nul, headers=mes_headers(nul))
    assert r.status == 400 and "NUL" in (await r.json())["error"]
    body = payload("mes-work-order.json")
    r = await client.post("/hooks/mes", data=body, headers={**mes_headers(body), "X-MES-Timestamp": "²"})
    assert r.status == 401
    assert await rt.inbox.pending_count() == 0


def test_config_refuses_weak_secrets_bad_templates_and_unknown_departments(tmp_path: Path) -> None:
    from bot.config import ConfigError, parse_config

    base = ("projects: [{key: PUMP, name: P, department: 工程部}]\nsources:\n  - name: s\n    auth: {token: %s}\n"
            "    rollout: {departments: [%s]}\n    rules: [{name: r, when: \"%s\", do: [{comment: {task: PUMP-1, "
            "text: \"%s\"}}]}]\n")
    for args, message in ((("short", "工程部", "true", "x"), "at least 16 characters"),
                          (("a" * 20, "工程", "true", "x"), "unknown department '工程'"),
                          (("a" * 20, "工程部", "payload.x ==", "x"), "expression syntax error"),
                          (("a" * 20, "工程部", "true", "{{ x "), "template syntax error")):
        with pytest.raises(ConfigError) as err:
            parse_config(base % args, name="p.yaml", env={})
        assert message in str(err.value), (args, str(err.value))
    assert parse_config(base % ("a" * 20, "工程部", "true", "x"), name="p.yaml", env={}).sources[0].name == "s"


async def test_a_source_drives_a_remote_pms_and_a_refused_move_writes_nothing(
        tmp_path: Path, receiver: tuple[Receiver, str]) -> None:
    from tests.fakes.jira import FakeJira

    jira = FakeJira()
    await jira.start()
    jira.add_project("PUMP", "Pump")
    for title in ("a", "b"):
        jira.add_issue("PUMP", title)
    config = example_config(tmp_path, receiver[1])
    pump = config.projects[0].model_copy(update={"pms": "jira", "pms_project": "PUMP"})
    config = config.model_copy(update={"projects": (pump, config.projects[1]), "connectors": config.connectors.model_copy(
        update={"jira": config.connectors.jira.model_copy(update={"progress_field": "customfield_10050"})})})
    runtime = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'remote.db'}", jira_url=jira.url,
                               jira_email=jira.email, jira_api_token=jira.api_token),  # type: ignore[arg-type]
                      config, console=True, clock=running_clock())
    await runtime.open()
    try:
        async with TestClient(TestServer(build_app(runtime))) as c:
            body = payload("mes-work-order.json")
            assert (await c.post("/hooks/mes", data=body, headers=mes_headers(body))).status == 200
            await drain(runtime)
            assert jira.issue("PUMP-1")["customfield_10050"] == 65
            jira.permit_transitions(None, False)
            done = payload("mes-completed.json")
            assert (await c.post("/hooks/mes", data=done, headers=mes_headers(done))).status == 200
            await drain(runtime)
        assert any("transition_not_allowed" in r for r in await failed(runtime))
        assert jira.issue("PUMP-1")["status"] == "In Progress"
        assert not [m for m in jira.comments("PUMP-1") if "已完工" in str(m)]  # the refused move wrote nothing
    finally:
        await runtime.close()
        await jira.stop()
