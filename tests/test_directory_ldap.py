"""Directory sync against a real OpenLDAP (tests/ldap_server.py): 5,000 people past a 1,000-entry size limit (Active
Directory's MaxPageSize) by paged search, in seconds a run; managers from DNs, roles from groups and departments,
disabled accounts and deleted entries deactivated, renames updated, a second run changes nothing; a wrong password
changes nothing."""

from __future__ import annotations

import time
from pathlib import Path

import ldap3
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.config import Config, Settings
from bot.config.identity import DirectoryConfig, DirectorySourceConfig, LdapAttributes, RoleRule
from bot.directory.base import DirectoryError
from bot.directory.ldap import LdapDirectory
from bot.jobs.directory import Outcome
from bot.runtime import Runtime
from bot.store.models import PersonRow
from tests.conftest import running_clock
from tests.ldap_server import ADMIN_DN, ADMIN_PW, PEOPLE, READER_DN, READER_PW, SIZE_LIMIT, USERS, Slapd


def source(slapd: Slapd, password: str = READER_PW) -> DirectorySourceConfig:
    return DirectorySourceConfig(name="corp", kind="ldap", url=slapd.url, bind_dn=READER_DN,
                                 password=SecretStr(password), base=PEOPLE, page_size=1000,
                                 attributes=LdapAttributes(groups="businessCategory"),
                                 disabled_filter="(employeeType=disabled)")


def test_a_plain_search_is_capped_as_active_directory_caps_it(slapd: Slapd) -> None:
    conn = ldap3.Connection(ldap3.Server(slapd.url), user=READER_DN, password=READER_PW, auto_bind=True,
                            raise_exceptions=True)
    try:
        conn.search(PEOPLE, "(objectClass=inetOrgPerson)", attributes=["uid"])
        assert conn.result["description"] == "sizeLimitExceeded" and len(conn.entries) == SIZE_LIMIT < USERS
    finally:
        conn.unbind()


async def test_ldap_sync_of_5000_pages_past_the_limit_and_follows_changes(slapd: Slapd, tmp_path: Path) -> None:
    config = Config(directory=DirectoryConfig(sources=(source(slapd),), roles={
        "admin": RoleRule(groups=("pmsbot-admins",)), "pmo": RoleRule(departments=("Finance",)),
        "approver": RoleRule(managers=True)}))
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'ldap.db'}"), config, console=True,
                 clock=running_clock())
    await rt.open()
    lines: list[str] = []
    took: list[float] = []

    async def timed() -> Outcome:
        started = time.monotonic()
        outcome = await rt.directory_sync.sync(progress=lines.append, actor="test")
        took.append(time.monotonic() - started)
        print(f"ldap: {USERS} people in {took[-1]:.2f} s")
        return outcome

    renamed, disabled, deleted = range(30, 80), range(100, 125), range(200, 225)
    admin = ldap3.Connection(ldap3.Server(slapd.url), user=ADMIN_DN, password=ADMIN_PW, auto_bind=True)
    try:
        first = await timed()
        assert len(first.plan.create) == USERS and not first.plan.conflicts and first.applied
        pages = [line for line in lines if line.endswith(" entries")]
        assert pages[:USERS // SIZE_LIMIT] == [f"corp: {n * SIZE_LIMIT} entries" for n in range(1, USERS // SIZE_LIMIT + 1)]
        async with rt.db.read() as s:
            people = {p.id: p for p in (await s.execute(select(PersonRow))).scalars().all()}
        u1, u20 = people["u1"], people["u20"]
        assert u1.roles == ["admin", "approver", "member"] and u20.roles == ["member", "pmo"]
        assert u20.manager_id == "u6" and u20.employee_id == "E20" and u20.email == "u20@corp.example"
        assert (await timed()).plan.empty
        for i in renamed:
            assert admin.modify(f"uid=u{i},{PEOPLE}", {"cn": [(ldap3.MODIFY_REPLACE, [f"Renamed {i}"])]})
        for i in disabled:
            assert admin.modify(f"uid=u{i},{PEOPLE}", {"employeeType": [(ldap3.MODIFY_ADD, ["disabled"])]})
        for i in deleted:
            assert admin.delete(f"uid=u{i},{PEOPLE}")
        changed = await timed()
        assert sorted(c.id for c in changed.plan.update) == sorted(f"u{i}" for i in renamed)
        assert sorted(changed.plan.deactivate) == sorted(f"u{i}" for i in (*disabled, *deleted))
        assert (await timed()).plan.empty
        assert max(took) < 60, took  # seconds each on a quiet machine
    finally:  # as it was, for a rerun in the same session (the deleted stay deleted: no other test reads them)
        for i in renamed:
            admin.modify(f"uid=u{i},{PEOPLE}", {"cn": [(ldap3.MODIFY_REPLACE, [f"User {i}"])]})
        for i in disabled:
            admin.modify(f"uid=u{i},{PEOPLE}", {"employeeType": [(ldap3.MODIFY_DELETE, ["disabled"])]})
        admin.unbind()
        await rt.close()


async def test_a_wrong_password_is_a_clear_error(slapd: Slapd) -> None:
    with pytest.raises(DirectoryError, match="InvalidCredentials"):
        await LdapDirectory(source(slapd, password="wrong")).listing(lambda line: None)


async def test_check_binds_to_each_ldap_source(slapd: Slapd, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.directory import check

    good, bad = source(slapd), source(slapd, password="wrong").model_copy(update={"name": "bad"})
    config = Config(directory=DirectoryConfig(sources=(good, bad)))
    assert await check(Settings(), config) == 1
    out = capsys.readouterr().out
    assert f"ok   directory corp (ldap): bound to {slapd.url}" in out and "FAIL directory bad:" in out
    assert "reader-secret" not in out and "wrong" not in out.replace("FAIL", "")  # no password in the output
