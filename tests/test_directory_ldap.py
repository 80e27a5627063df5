"""Directory sync against a real OpenLDAP (tests/ldap_server.py): 450 people past a 200-entry size limit by
paged search, managers from DNs, roles from groups and departments, disabled accounts and deleted entries
deactivated, renames updated, a second run changes nothing; a wrong password changes nothing."""

from __future__ import annotations

from pathlib import Path

import ldap3
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.config import Config, Settings
from bot.config.identity import DirectoryConfig, DirectorySourceConfig, LdapAttributes, RoleRule
from bot.directory.base import DirectoryError
from bot.directory.ldap import LdapDirectory
from bot.runtime import Runtime
from bot.store.models import PersonRow
from tests.conftest import running_clock
from tests.ldap_server import ADMIN_DN, ADMIN_PW, PEOPLE, READER_DN, READER_PW, SIZE_LIMIT, USERS, Slapd


def source(slapd: Slapd, password: str = READER_PW) -> DirectorySourceConfig:
    return DirectorySourceConfig(name="corp", kind="ldap", url=slapd.url, bind_dn=READER_DN,
                                 password=SecretStr(password), base=PEOPLE, page_size=100,
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


async def test_ldap_sync_pages_past_the_limit_and_follows_changes(slapd: Slapd, tmp_path: Path) -> None:
    config = Config(directory=DirectoryConfig(sources=(source(slapd),), roles={
        "admin": RoleRule(groups=("pmsbot-admins",)), "pmo": RoleRule(departments=("Finance",)),
        "approver": RoleRule(managers=True)}))
    rt = Runtime(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'ldap.db'}"), config, console=True,
                 clock=running_clock())
    await rt.open()
    lines: list[str] = []
    admin = ldap3.Connection(ldap3.Server(slapd.url), user=ADMIN_DN, password=ADMIN_PW, auto_bind=True)
    try:
        first = await rt.directory_sync.sync(progress=lines.append, actor="test")
        assert len(first.plan.create) == USERS and not first.plan.conflicts and first.applied
        assert any("200 entries" in line for line in lines)  # read in pages of 100
        async with rt.db.read() as s:
            people = {p.id: p for p in (await s.execute(select(PersonRow))).scalars().all()}
        u1, u20 = people["u1"], people["u20"]
        assert u1.roles == ["admin", "approver", "member"] and u20.roles == ["member", "pmo"]
        assert u20.manager_id == "u6" and u20.employee_id == "E20" and u20.email == "u20@corp.example"
        assert (await rt.directory_sync.sync(progress=lines.append, actor="test")).plan.empty
        assert admin.modify(f"uid=u30,{PEOPLE}", {"cn": [(ldap3.MODIFY_REPLACE, ["Renamed Thirty"])]})
        assert admin.modify(f"uid=u31,{PEOPLE}", {"employeeType": [(ldap3.MODIFY_ADD, ["disabled"])]})
        assert admin.delete(f"uid=u32,{PEOPLE}")
        changed = await rt.directory_sync.sync(progress=lines.append, actor="test")
        assert [c.id for c in changed.plan.update] == ["u30"] and sorted(changed.plan.deactivate) == ["u31", "u32"]
        assert (await rt.directory_sync.sync(progress=lines.append, actor="test")).plan.empty
    finally:  # as it was, for a rerun in the same session (u32 stays deleted: no test reads it)
        admin.modify(f"uid=u30,{PEOPLE}", {"cn": [(ldap3.MODIFY_REPLACE, ["User 30"])]})
        admin.modify(f"uid=u31,{PEOPLE}", {"employeeType": [(ldap3.MODIFY_DELETE, ["disabled"])]})
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
