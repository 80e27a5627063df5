"""The `directory:` section (where people come from besides this file) and `sso:` (OpenID Connect for the web
admin and the dashboards)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from bot import constants
from bot.config.fields import StrictModel

SOURCE_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,23}$")
DirectoryKind = Literal["ldap", "feishu", "dingtalk", "slack"]
# The roles a directory can give (people: roles of the file, less engineer): pm makes a project's member its PM.
DirectoryRole = Literal["admin", "pmo", "approver", "pm", "member"]


class LdapAttributes(StrictModel):
    """Which attribute holds what (Active Directory: sAMAccountName, mail, employeeID, displayName, department,
    manager, memberOf)."""

    account: str = "uid"
    email: str = "mail"
    employee_id: str = "employeeNumber"
    name: str = "cn"
    department: str = "departmentNumber"
    manager: str = "manager"  # a DN
    groups: str = "memberOf"  # DNs of the person's groups (the role rules' `groups:`)


class DirectorySourceConfig(StrictModel):
    name: str
    kind: DirectoryKind
    # ldap only: the server, the account it is read as (a read-only one), where and what to search.
    url: str | None = Field(default=None, max_length=300)  # ldap://host:389 or ldaps://host:636
    bind_dn: str | None = Field(default=None, max_length=300)
    password: SecretStr | None = None  # write ${LDAP_PASSWORD}: a secret does not belong in the file
    base: str | None = Field(default=None, max_length=300)
    filter: str = Field(default="(objectClass=inetOrgPerson)", max_length=1000)
    # Entries per page of a paged search (RFC 2696); Active Directory caps a search at 1,000 (MaxPageSize).
    page_size: int = Field(default=constants.DIRECTORY_PAGE_SIZE, ge=1, le=1000)
    attributes: LdapAttributes = LdapAttributes()
    disabled_filter: str | None = Field(default=None, max_length=1000)  # e.g. AD's disabled-account bit, see README
    # feishu/dingtalk: the department the listing starts at (default: the root, 0 on Feishu, 1 on DingTalk).
    root_department: str | None = Field(default=None, max_length=64)
    timeout_s: float = Field(default=constants.DIRECTORY_TIMEOUT_S, gt=0, le=300)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SOURCE_NAME_RE.match(value):
            raise ValueError("a directory source's name is 1-24 lower-case letters, digits, - or _, like corp-ldap")
        return value

    @model_validator(mode="after")
    def _ldap_complete(self) -> DirectorySourceConfig:
        if self.kind == "ldap":
            if not self.url or not self.url.startswith(("ldap://", "ldaps://")):
                raise ValueError("an ldap source needs url: ldap://host:389 or ldaps://host:636")
            if not self.base:
                raise ValueError("an ldap source needs base: the DN people are searched under")
            if bool(self.bind_dn) != bool(self.password):
                raise ValueError("an ldap source needs both bind_dn and password (or neither, to bind anonymously)")
        elif self.url or self.bind_dn or self.base:
            raise ValueError(f"url, bind_dn and base are for ldap sources; a {self.kind} source uses the app's "
                             "credentials from the environment")
        return self


Named = Annotated[str, Field(min_length=1, max_length=300)]


class RoleRule(StrictModel):
    """Who has a role: members of these groups (LDAP DNs), of these departments (names), these people (e-mail or
    employee id), or (approver) anyone who is someone's manager."""

    groups: tuple[Named, ...] = ()
    departments: tuple[Named, ...] = ()
    people: tuple[Named, ...] = ()
    managers: bool = False

    @model_validator(mode="after")
    def _someone(self) -> RoleRule:
        if not (self.groups or self.departments or self.people or self.managers):
            raise ValueError("a role rule names groups, departments, people or managers: true (else nobody has it)")
        return self


class DirectoryConfig(StrictModel):
    sources: tuple[DirectorySourceConfig, ...] = ()
    roles: dict[DirectoryRole, RoleRule] = Field(default_factory=dict)
    sync_every_h: float | None = Field(default=24.0, gt=0, le=24 * 7)  # the clock's full sync; null: on demand only
    # A run that would deactivate more than this share of the directory's people stops instead (a wrong filter,
    # an emptied OU): `pmsbot directory sync --force` goes ahead.
    max_leavers_share: float = Field(default=constants.DIRECTORY_MAX_LEAVERS_SHARE, gt=0, le=1)

    @model_validator(mode="after")
    def _names(self) -> DirectoryConfig:
        names = [s.name for s in self.sources]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"duplicate directory source name '{name}'")
        return self


class SsoConfig(StrictModel):
    """OpenID Connect: the provider's issuer (its discovery document is issuer + /.well-known/openid-configuration)
    and this app's client registration there."""

    issuer: str = Field(min_length=8, max_length=300)
    client_id: str = Field(min_length=1, max_length=300)
    client_secret: SecretStr | None = None  # ${OIDC_CLIENT_SECRET}; a public client uses PKCE alone
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    # The id_token claim that names the person, matched to their e-mail or employee id (never a display name).
    claim: str = Field(default="email", max_length=64)
    match: Literal["email", "employee_id"] = "email"
    # Which roles reach which pages: admin pages need admin; every dashboard needs admin or pmo.
    token_login: bool = True  # the shared PMSBOT_ADMIN_TOKEN as an audited break-glass login at /admin/login?break_glass=1

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("issuer must be an https URL (http only for 127.0.0.1 or localhost)")
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "openid" not in value:
            raise ValueError("scopes must include openid")
        return value
