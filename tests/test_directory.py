"""Directory sync against fakes of the Feishu, DingTalk and Slack directories (pagination, throttling, partial
failures): people created, updated, deactivated and reactivated; one person across platforms by e-mail or
employee id, never by name; conflicts listed; the configuration file wins; a leaver's approvals go to their
manager and the PM hears of it; a second run changes nothing; 5,000 people in seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.config import Config, PersonConfig, ProjectConfig, Settings
from bot.config.identity import DirectoryConfig, DirectorySourceConfig, RoleRule
from bot.constants import DIRECTORY_RETRY_MAX_S
from bot.directory.base import Directory, Entry, Sleep
from bot.directory.dingtalk import DingTalkDirectory
from bot.directory.feishu import FeishuDirectory
from bot.directory.slack import SlackDirectory
from bot.dispatch.directory import DirectoryChanges
from bot.jobs.directory import Outcome
from bot.runtime import Runtime
from bot.store import directory as store_directory
from bot.store.models import ApprovalRow, AuditRow, IdentityRow, OutboxRow, PersonRow
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock
from tests.fakes.directories import SLACK_TOKEN, DirectoryFake, Someone, documented_limits
from tests.fakes.server import wait_hint
from tests.waiting import eventually


async def no_wait(seconds: float) -> None:
    return None


def org(fake: DirectoryFake, n: int = 6) -> None:
    fake.departments = {"1": ("Company", None), "2": ("Engineering", "1"), "3": ("Finance", "1"),
                        "4": ("Platform", "2")}
    fake.people = [Someone(n=1, name="Boss", email="boss@corp.cn", employee_id="E1", dept="1", leader=True),
                   Someone(n=2, name="Eng Lead", email="lead@corp.cn", employee_id="E2", dept="2", manager=1,
                           leader=True)]
    fake.people += [Someone(n=i, name=f"Dev {i}", email=f"dev{i}@corp.cn", employee_id=f"E{i}", dept="4", manager=2)
                    for i in range(3, n + 1)]


def sources(*kinds: str) -> DirectoryConfig:
    return DirectoryConfig(sources=tuple(DirectorySourceConfig(name=k, kind=k) for k in kinds),  # type: ignore[arg-type]
                           roles={"admin": RoleRule(people=("boss@corp.cn",)), "approver": RoleRule(managers=True),
                                  "pmo": RoleRule(departments=("Finance",))})


def clients(fake: DirectoryFake, sleep: Sleep = no_wait) -> Callable[[tuple[str, ...]], list[Directory]]:
    def build(names: tuple[str, ...]) -> list[Directory]:
        made: dict[str, Directory] = {
            "feishu": FeishuDirectory("feishu", base_url=fake.base, app_id="cli_dir", app_secret="feishu-secret",
                                      timeout_s=5, sleep=sleep),
            "dingtalk": DingTalkDirectory("dingtalk", api_base=fake.base, oapi_base=fake.base, client_id="ding-dir",
                                          client_secret="dingtalk-secret", timeout_s=5, sleep=sleep),
            "slack": SlackDirectory("slack", api_url=fake.base + "/api/", token=SLACK_TOKEN, timeout_s=5,
                                    sleep=sleep)}
        return [made[n] for n in (names or ("feishu", "dingtalk", "slack")) if n in made]
    return build


@pytest.fixture
def sqlite_url(migrated_sqlite_url: str) -> str:
    return migrated_sqlite_url  # each test on a copy of a database migrated once (migrations take seconds)


@pytest.fixture
async def fake() -> AsyncIterator[DirectoryFake]:
    server = DirectoryFake()
    org(server)
    await server.start()
    yield server
    await server.stop()


async def runtime(url: str, config: Config, fake: DirectoryFake, kinds: tuple[str, ...],
                  sleep: Sleep = no_wait) -> Runtime:
    rt = Runtime(Settings(database_url=url), config, console=True, clock=running_clock())
    await rt.open()
    build = clients(fake, sleep)
    rt.directory_sync.directories = lambda names: build(names or kinds)
    return rt


async def people(rt: Runtime) -> dict[str, PersonRow]:
    async with rt.db.read() as s:
        return {r.id: r for r in (await s.execute(select(PersonRow))).scalars().all()}


async def sync(rt: Runtime, **kwargs: object) -> Outcome:
    return await rt.directory_sync.sync(progress=lambda line: None, actor="test", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["feishu", "dingtalk", "slack"])
async def test_each_directory_creates_updates_deactivates_and_a_second_run_changes_nothing(
        kind: str, fake: DirectoryFake, sqlite_url: str) -> None:
    fake.throttle_every = 2  # every second call is throttled: waited out, nothing lost
    rt = await runtime(sqlite_url, Config(directory=sources(kind)), fake, (kind,))
    try:
        first = await sync(rt)
        assert first.applied and len(first.plan.create) == 6 and not first.plan.conflicts, first.plan
        assert fake.throttled > 0
        found = await people(rt)
        assert {p.email for p in found.values()} == {"boss@corp.cn", "lead@corp.cn"} | {
            f"dev{i}@corp.cn" for i in range(3, 7)}
        dev = found["dev3"]
        assert dev.active and dev.name == "Dev 3"
        if kind != "slack":  # Slack knows no employee ids, departments or managers
            assert dev.employee_id == "E3" and dev.department == "Platform" and dev.manager_id == "lead"
            assert "approver" in found["lead"].roles and "admin" in found["boss"].roles
        assert (await sync(rt)).plan.empty  # idempotent
        fake.people[3].name = "Dev Four"  # dev4 renamed; dev5 leaves (listed as resigned, or gone)
        if kind == "dingtalk":
            fake.people.pop(4)
        else:
            fake.people[4].active = False
        third = await sync(rt)
        assert [c.id for c in third.plan.update] == ["dev4"] and third.plan.deactivate == ("dev5",)
        found = await people(rt)
        assert found["dev4"].name == "Dev Four" and not found["dev5"].active  # deactivated, not deleted
        assert (await sync(rt)).plan.empty
    finally:
        await rt.close()


async def test_a_partial_listing_deactivates_no_one(fake: DirectoryFake, sqlite_url: str) -> None:
    rt = await runtime(sqlite_url, Config(directory=sources("feishu")), fake, ("feishu",))
    try:
        await sync(rt)
        fake.broken = {"4"}  # the Platform department cannot be read: its people are not leavers
        outcome = await sync(rt)
        assert outcome.plan.deactivate == () and any("Platform" in p for p in outcome.plan.problems)
        assert all(p.active for p in (await people(rt)).values())
        fake.broken = set()
        fake.people = fake.people[:2]  # now really gone, and read completely: 4 of 6 is above the 20 % guard
        blocked = await sync(rt)
        assert blocked.plan.blocked and not blocked.applied and "--force" in blocked.plan.blocked
        forced = await sync(rt, force=True)
        assert sorted(forced.plan.deactivate) == ["dev3", "dev4", "dev5", "dev6"]
    finally:
        await rt.close()


async def test_one_person_across_platforms_by_email_or_employee_id_never_by_name(
        fake: DirectoryFake, sqlite_url: str) -> None:
    fake.people.append(Someone(n=50, name="Dev 3", email="other@corp.cn", employee_id="E50", dept="4"))  # same name
    fake.people.append(Someone(n=51, name="Clash", email="dev6@corp.cn", employee_id="E99", dept="3"))  # dev6's mail
    rt = await runtime(sqlite_url, Config(directory=sources("feishu", "dingtalk", "slack")), fake,
                       ("feishu", "dingtalk", "slack"))
    try:
        outcome = await sync(rt)
        found = await people(rt)
        async with rt.db.read() as s:
            ids = {(r.platform, r.external_id): r.person_id for r in (await s.execute(select(IdentityRow))).scalars()}
        assert ids[("feishu", "ou_3")] == ids[("dingtalk", "u3")] == ids[("slack", "U3")] == "dev3"
        assert ids[("feishu", "ou_50")] == "other" != "dev3"  # the same name is another person
        assert "dev6" not in found and not any(k[1] in ("ou_6", "ou_51") for k in ids)  # the clash: left alone
        assert any("dev6@corp.cn" in c and "E6" in c and "E99" in c for c in outcome.plan.conflicts)
        assert (await sync(rt)).plan.empty
    finally:
        await rt.close()


async def test_the_configuration_file_wins_and_its_people_are_never_deactivated(
        fake: DirectoryFake, sqlite_url: str) -> None:
    config = Config(people=(PersonConfig(id="li", name="李雷", email="DEV3@corp.cn", roles=("pm",)),),
                    directory=sources("feishu"))
    rt = await runtime(sqlite_url, config, fake, ("feishu",))
    try:
        await sync(rt)
        li = (await people(rt))["li"]
        assert li.name == "李雷" and li.roles == ["pm"] and li.employee_id == "E3" and li.manager_id == "lead"
        assert "dev3" not in await people(rt)
        fake.people[2].active = False
        outcome = await sync(rt)
        assert outcome.plan.deactivate == () and any("li is in the configuration file" in c
                                                     for c in outcome.plan.conflicts)
    finally:
        await rt.close()


async def test_the_pm_role_comes_from_the_directory_and_makes_a_projects_member_its_pm(
        fake: DirectoryFake, sqlite_url: str) -> None:
    """A person of the file without roles (matched by e-mail) gets pm from the directory's mapping: as a member of
    PUMP, they are its PM (told of a leaver's approvals); the file's roles, where it gives some, still win."""
    rules = {**sources("feishu").roles, "pm": RoleRule(departments=("Engineering",))}
    config = Config(people=(PersonConfig(id="li", name="Li", email="lead@corp.cn"),
                            PersonConfig(id="req", name="Requester"), PersonConfig(id="ops", name="Ops", roles=("pm",))),
                    projects=(ProjectConfig(key="PUMP", name="Pump", members=("li", "req")),),
                    directory=DirectoryConfig(sources=sources("feishu").sources, roles=rules))
    rt = await runtime(sqlite_url, config, fake, ("feishu",))
    try:
        await sync(rt)
        found = await people(rt)
        assert found["li"].roles == ["approver", "member", "pm"] and "pm" not in found["dev3"].roles
        async with rt.db.write() as s:
            approval = await SqlWorkspace(s, default_locale="en").create_approval(
                project="PUMP", requester="req", approvers=("dev3",), subject="Seals", amount=Decimal("800"),
                origin="chat", now=rt.clock.now())
        fake.people[2].active = False
        outcome = await sync(rt)
        assert [(m.approval_id, m.to, m.pms) for m in outcome.reassigned] == [(approval.id, "li", ("li",))]
    finally:
        await rt.close()


async def test_a_leavers_pending_approvals_go_to_their_manager_and_the_pm_is_told(
        fake: DirectoryFake, sqlite_url: str) -> None:
    config = Config(people=(PersonConfig(id="pm", name="PM", roles=("pm",)),
                            PersonConfig(id="req", name="Requester")),
                    projects=(ProjectConfig(key="PUMP", name="Pump", members=("pm", "req")),),
                    directory=sources("feishu"))
    rt = await runtime(sqlite_url, config, fake, ("feishu",))
    try:
        await sync(rt)
        async with rt.db.write() as s:
            approval = await SqlWorkspace(s, default_locale="en").create_approval(
                project="PUMP", requester="req", approvers=("dev3",), subject="New pump", amount=Decimal("48000.00"),
                origin="chat", now=rt.clock.now())
        fake.people[2].active = False
        outcome = await sync(rt)
        assert outcome.plan.deactivate == ("dev3",)
        assert [(m.approval_id, m.leaver, m.to, m.pms) for m in outcome.reassigned] == [
            (approval.id, "dev3", "lead", ("pm",))]
        async with rt.db.read() as s:
            row = await s.get(ApprovalRow, approval.id)
            assert row is not None and row.approvers == ["lead"]
            told = (await s.execute(select(OutboxRow).where(col(OutboxRow.kind) == "approval_reassigned"))).scalars()
            assert sorted(m.target for m in told) == ["lead", "pm"]
            actions = (await s.execute(select(col(AuditRow.action)))).scalars().all()
        assert "approval.reassign" in actions and "directory.deactivate" in actions
        fake.people[2].active = True  # back again: reactivated, the approval stays where it went
        assert (await sync(rt)).plan.reactivate == ("dev3",)
    finally:
        await rt.close()


@pytest.mark.parametrize("kind", ["feishu", "dingtalk", "slack"])
async def test_five_thousand_people_in_seconds(kind: str, fake: DirectoryFake, sqlite_url: str) -> None:
    """5,000 people through each directory's pages at its documented rate limits: created, a second run changes
    nothing, then 100 renamed and 50 leavers (a run after changes changing nothing: the small test above). Each
    run takes seconds here; the fake's clock says what the rate limits alone would cost against the platform."""
    fake.departments = {"1": ("Company", None), **{str(d): (f"Dept {d}", "1") for d in range(2, 52)}}
    fake.people = [Someone(n=i, name=f"P{i}", email=f"p{i}@corp.cn", employee_id=f"E{i}", dept=str(2 + i % 50))
                   for i in range(1, 5001)]
    fake.slack_page_max = 1000  # Slack answers up to the limit asked (200)
    fake.rate_limits = documented_limits()
    rt = await runtime(sqlite_url, Config(directory=sources(kind)), fake, (kind,), sleep=fake.waited)
    took: list[float] = []

    async def timed() -> Outcome:
        started, fake_started = time.monotonic(), fake.now_s
        outcome = await sync(rt)
        took.append(time.monotonic() - started)
        print(f"{kind}: {took[-1]:.2f} s here, {fake.now_s - fake_started:.0f} s of the platform's rate limits")
        return outcome

    try:
        first = await timed()
        assert len(first.plan.create) == 5000 and first.applied and not first.plan.problems, first.plan.problems
        assert fake.throttled > 0 and fake.hinted  # the limits were reached, and waited out: nothing lost
        if kind != "dingtalk":  # the client waited what the platform said (DingTalk says nothing: 1 s, 2 s…)
            assert fake.slept == [min(float(wait_hint(h)), DIRECTORY_RETRY_MAX_S) for h in fake.hinted]
        else:
            assert fake.slept and set(fake.slept) <= {1.0, 2.0, 4.0}
        pages = {"feishu": fake.pages.get("feishu_users"), "dingtalk": fake.pages.get("dingtalk_users"),
                 "slack": fake.pages.get("slack_users")}[kind]
        assert pages == {"feishu": 101, "dingtalk": 51, "slack": 25}[kind]  # 50 / 100 / 200 a page
        found = await people(rt)
        assert len(found) == 5000 and found["p77"].name == "P77" and found["p77"].active
        if kind != "slack":
            assert found["p77"].employee_id == "E77" and found["p77"].department == "Dept 29"
        assert (await timed()).plan.empty  # idempotent at scale
        for p in fake.people[:100]:
            p.name = p.name + " Renamed"
        gone = fake.people[4000:4050]
        if kind == "dingtalk":  # DingTalk lists no one who left
            fake.people = fake.people[:4000] + fake.people[4050:]
        else:
            for p in gone:
                p.active = False
        third = await timed()
        assert sorted(c.id for c in third.plan.update) == sorted(f"p{i}" for i in range(1, 101))
        assert sorted(third.plan.deactivate) == sorted(f"p{p.n}" for p in gone)
        found = await people(rt)
        assert found["p1"].name == "P1 Renamed" and not found["p4001"].active and found["p3999"].active
        if kind == "feishu":  # a change event reads whom it can touch, not all 5,000
            event = Entry(account="ou_5", name="P5 Event", email="P5@corp.cn", employee_id="E5")
            newcomer = Entry(account="ou_9001", name="Other P5", email="p5@elsewhere.cn")
            assert [k.id for k in await store_directory.known(rt.db, rt.config, [("feishu", event)])] == ["p5"]
            assert [k.id for k in await store_directory.known(rt.db, rt.config, [("feishu", newcomer)])] == ["p5"]
            assert [c.id for c in (await rt.directory_sync.one("feishu", event, "test")).plan.update] == ["p5"]
            assert [c.id for c in (await rt.directory_sync.one("feishu", newcomer, "test")).plan.create] == ["p5-2"]
        assert max(took) < 60, took  # seconds each on a quiet machine; minutes would mean a query per person
    finally:
        await rt.close()


async def test_refused_credentials_change_nothing(fake: DirectoryFake, sqlite_url: str) -> None:
    rt = await runtime(sqlite_url, Config(directory=sources("slack")), fake, ("slack",))
    try:
        rt.directory_sync.directories = lambda names: [SlackDirectory("slack", api_url=fake.base + "/api/",
                                                                      token="xoxb-wrong", timeout_s=5)]
        outcome = await sync(rt)
        assert not outcome.applied and outcome.plan.empty and "invalid_auth" in outcome.plan.problems[0]
    finally:
        await rt.close()


async def test_a_feishu_contact_event_updates_that_one_person_through_the_inbox(fake: DirectoryFake, sqlite_url: str) -> None:
    from aiohttp.test_utils import TestClient, TestServer
    from pydantic import SecretStr

    from bot.app import build_app

    settings = Settings(database_url=sqlite_url, feishu_app_id="cli_dir", feishu_app_secret=SecretStr("feishu-secret"),
                        feishu_verification_token=SecretStr("vtoken"), feishu_api_base=fake.base)
    rt = Runtime(settings, Config(directory=sources("feishu")), console=True, clock=running_clock())
    await rt.open()
    rt.directory_sync.directories = lambda names: clients(fake)(("feishu",))
    await sync(rt)
    client = TestClient(TestServer(build_app(rt)))
    await client.start_server()

    def event(kind: str, user: object, token: str = "vtoken") -> dict[str, object]:
        return {"schema": "2.0", "header": {"event_id": f"ev-{kind}", "event_type": kind, "token": token,
                                           "create_time": "1", "app_id": "cli_dir", "tenant_key": "t"},
                "event": {"object": user}}

    try:
        renamed = {"open_id": "ou_3", "name": "Dev Three", "enterprise_email": "dev3@corp.cn", "employee_no": "E3",
                   "leader_user_id": "ou_2", "status": {"is_resigned": False}}
        for _ in range(2):  # a redelivery changes nothing more
            r = await client.post("/feishu/events", json=event("contact.user.updated_v3", renamed))
            assert r.status == 200
        assert (await people(rt))["dev3"].name == "Dev 3"  # acked: in the inbox, for the worker to apply
        assert await rt.dispatcher.run_once() == 1
        assert (await people(rt))["dev3"].name == "Dev Three"
        new = {"open_id": "ou_77", "name": "New Hire", "enterprise_email": "new@corp.cn", "employee_no": "E77"}
        assert (await client.post("/feishu/events", json=event("contact.user.created_v3", new))).status == 200
        assert (await client.post("/feishu/events", json=event("contact.user.deleted_v3", {"open_id": "ou_4",
                                                                                           "name": "Dev 4"}))).status == 200
        assert await rt.dispatcher.run_once() == 2
        found = await people(rt)
        assert found["dev3"].name == "Dev Three" and found["new"].active and not found["dev4"].active
        # Hostile: a wrong token, an object without open_id, an object that is not one: refused, nothing applied.
        r = await client.post("/feishu/events", json=event("contact.user.updated_v3", {**renamed, "name": "X"}, "bad"))
        assert r.status == 401
        for bad in ({"name": "no id"}, "ou_3", None, {"open_id": "../ou_3"}, {"open_id": "ou_3\u0000x"}):
            r = await client.post("/feishu/events", json=event("contact.user.updated_v3", bad))
            assert r.status == 400 and "error" in await r.json()
        assert await rt.dispatcher.run_once() == 0  # nothing of them was kept
        assert (await people(rt))["dev3"].name == "Dev Three"
    finally:
        await client.close()
        await rt.close()


async def test_a_feishu_contact_event_is_acked_before_the_directory_write(fake: DirectoryFake,
                                                                          sqlite_url: str) -> None:
    from aiohttp.test_utils import TestClient, TestServer
    from pydantic import SecretStr

    from bot.app import build_app

    settings = Settings(database_url=sqlite_url, feishu_app_id="cli_dir", feishu_app_secret=SecretStr("feishu-secret"),
                        feishu_verification_token=SecretStr("vtoken"), feishu_api_base=fake.base)
    rt = Runtime(settings, Config(directory=sources("feishu")), console=True, clock=running_clock())
    await rt.open()
    rt.directory_sync.directories = lambda names: clients(fake)(("feishu",))
    await sync(rt)
    gated = Gated(rt.directory_sync)
    rt.dispatcher.directory.changes = gated
    rt.start(("worker",))
    client = TestClient(TestServer(build_app(rt)))
    await client.start_server()
    try:
        body = {"schema": "2.0", "header": {"event_id": "ev-gated", "event_type": "contact.user.updated_v3",
                                            "token": "vtoken", "create_time": "1", "app_id": "cli_dir"},
                "event": {"object": {"open_id": "ou_3", "name": "Dev Three", "enterprise_email": "dev3@corp.cn"}}}
        r = await asyncio.wait_for(client.post("/feishu/events", json=body), 5)
        assert r.status == 200
        await asyncio.wait_for(gated.entered.wait(), 10)  # the worker has it, held at the gate
        assert (await people(rt))["dev3"].name == "Dev 3"  # acked, not yet written
        gated.gate.set()

        async def renamed() -> bool:
            return (await people(rt))["dev3"].name == "Dev Three"
        await eventually(renamed, what="dev3 renamed by the worker")
    finally:
        await client.close()
        await rt.close()


class Gated:
    """Directory sync for change events, held until `gate` opens (`entered`: the worker is inside)."""

    def __init__(self, inner: DirectoryChanges) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def one(self, platform: str, entry: Entry, actor: str) -> object:
        self.entered.set()
        await self.gate.wait()
        return await self.inner.one(platform, entry, actor)

    async def account(self, platform: str, account: str, *, left: bool, actor: str) -> int:
        self.entered.set()
        await self.gate.wait()
        return await self.inner.account(platform, account, left=left, actor=actor)


@pytest.mark.parametrize(("yaml_text", "expected"), [
    ("directory:\n  sources:\n    - {name: corp, kind: ldap}\n", "directory.sources[0]: an ldap source needs url"),
    ("directory:\n  sources:\n    - {name: corp, kind: ldap, url: 'http://x', base: dc=x}\n", "ldap://host:389"),
    ("directory:\n  sources:\n    - {name: Corp!, kind: slack}\n", "lower-case letters"),
    ("directory:\n  sources:\n    - {name: a, kind: slack, url: 'ldap://x'}\n", "are for ldap sources"),
    ("directory:\n  sources:\n    - {name: a, kind: slack}\n    - {name: a, kind: feishu}\n", "duplicate directory"),
    ("directory:\n  sources:\n    - {name: a, kind: ad}\n", "directory.sources[0].kind"),
    ("directory:\n  roles: {boss: {managers: true}}\n", "directory.roles.boss"),
    ("directory:\n  roles:\n    pm: {}\n", "pmsbot.yaml:4: directory.roles.pm: a role rule names groups"),
    ("directory:\n  roles:\n    pm: {departments: ['']}\n", "directory.roles.pm.departments[0]: String should have at least 1"),
    ("directory:\n  sources:\n    - {name: a, kind: ldap, url: 'ldap://h', base: dc=x, page_size: 5000}\n",
     "page_size"),
    ("sso: {issuer: 'http://idp.example.com', client_id: x}\n", "issuer must be an https URL"),
    ("sso: {issuer: 'https://idp.example.com', client_id: x, scopes: [email]}\n", "scopes must include openid"),
    ("sso: {issuer: 'https://idp.example.com', client_id: x, cliend_secret: y}\n", "did you mean 'client_secret'"),
])
def test_bad_directory_and_sso_settings_are_named_with_their_line(yaml_text: str, expected: str) -> None:
    from bot.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as caught:
        parse_config("locale: en\n" + yaml_text, name="pmsbot.yaml", env={})
    problem = str(caught.value)
    assert expected in problem and "pmsbot.yaml:" in problem, problem


async def test_the_cli_prints_what_would_change_then_changes_it(fake: DirectoryFake, sqlite_url: str,
                                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.cli.main import main

    config = tmp_path / "pmsbot.yaml"
    config.write_text("directory:\n  sources:\n    - {name: team, kind: slack}\n", encoding="utf-8")
    for key, value in {"PMSBOT_CONFIG": str(config), "DATABASE_URL": sqlite_url, "SLACK_BOT_TOKEN": SLACK_TOKEN,
                       "SLACK_SIGNING_SECRET": "s" * 32, "SLACK_API_URL": fake.base + "/api/"}.items():
        monkeypatch.setenv(key, value)

    def run(*args: str) -> int:  # the CLI runs its own event loop: in a thread, beside this test's
        return main(["directory", "sync", *args])

    assert await asyncio.to_thread(run, "--dry-run") == 0
    out = capsys.readouterr()
    assert "create dev3: Dev 3 <dev3@corp.cn>" in out.out and "would change: 6 new" in out.out
    assert "team: page 1" in out.err  # progress
    assert await asyncio.to_thread(run) == 0
    assert "changed: 6 new" in capsys.readouterr().out
    assert await asyncio.to_thread(run) == 0
    assert capsys.readouterr().out.strip() == "nothing to change"
    assert await asyncio.to_thread(run, "--source", "nope") == 1
    assert "unknown directory source nope (configured: team)" in capsys.readouterr().err


async def test_sync_on_each_database(fake: DirectoryFake, db_url: str) -> None:
    from bot.store import migrate
    from bot.store.db import Database

    database = Database(db_url)
    await migrate.upgrade(database)
    await database.dispose()
    rt = await runtime(db_url, Config(directory=sources("feishu")), fake, ("feishu",))
    try:
        assert len((await sync(rt)).plan.create) == 6
        assert (await sync(rt)).plan.empty
        fake.people[5].active = False
        assert (await sync(rt)).plan.deactivate == ("dev6",)
        assert not (await people(rt))["dev6"].active
    finally:
        await rt.close()


async def test_the_clock_syncs_once_per_slot(fake: DirectoryFake, sqlite_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    rt = await runtime(sqlite_url, Config(directory=sources("slack")), fake, ("slack",))
    try:
        at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
        assert await rt.directory_sync.run(at, catching_up=False) == 6
        calls = fake.pages["slack_users"]
        assert await rt.directory_sync.run(at + timedelta(minutes=5), catching_up=False) == 0  # same slot
        assert fake.pages["slack_users"] == calls  # not even read again
        fake.people[0].name = "Big Boss"
        assert await rt.directory_sync.run(at + timedelta(hours=24), catching_up=True) == 1  # the next slot
    finally:
        await rt.close()


async def test_a_deactivated_admin_loses_the_admin_pages(fake: DirectoryFake, sqlite_url: str) -> None:
    from bot.store.admin import is_admin

    rt = await runtime(sqlite_url, Config(directory=sources("feishu")), fake, ("feishu",))
    try:
        await sync(rt)
        assert await is_admin(rt.db, "boss")
        fake.people[0].active = False
        assert (await sync(rt)).plan.deactivate == ("boss",)
        assert not await is_admin(rt.db, "boss")
    finally:
        await rt.close()


async def test_one_directory_alone_does_not_deactivate_someone_another_still_knows(
        fake: DirectoryFake, sqlite_url: str) -> None:
    rt = await runtime(sqlite_url, Config(directory=sources("feishu", "slack")), fake, ("feishu", "slack"))
    try:
        await sync(rt)
        fake.people[3].active = False
        assert (await sync(rt, sources=("slack",))).plan.deactivate == ()  # Feishu was not asked
        assert (await sync(rt)).plan.deactivate == ("dev4",)
    finally:
        await rt.close()
