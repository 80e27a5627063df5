"""From the directories' listings and who pmsbot knows, what one sync changes: people to create, update,
deactivate and reactivate, accounts to bind, and the conflicts it will not guess about.

One person across directories is the same e-mail (without case) or the same employee id, never the same name.
An entry whose e-mail and employee id point at two different people, two people sharing an e-mail, two accounts
of one directory claiming one person: listed as conflicts, and left alone. Someone is a leaver when every
directory that knew them was read completely this run and none lists them as active; people of the
configuration file are never deactivated by a directory, and the file's values win over the directory's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from bot.config.identity import DirectoryConfig
from bot.directory.base import Entry, Listing

FIELDS = ("name", "email", "employee_id", "department", "manager_id", "roles")
_ID_CHARS = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass(frozen=True, kw_only=True)
class Known:
    """A person as stored, with what the directory may change."""

    id: str
    name: str
    email: str | None = None
    employee_id: str | None = None
    department: str | None = None
    manager_id: str | None = None
    roles: tuple[str, ...] = ()
    active: bool = True
    accounts: tuple[tuple[str, str], ...] = ()  # (platform, account) bound by a directory
    linked: tuple[tuple[str, str], ...] = ()  # accounts bound otherwise (the file, a link, an e-mail match)
    pinned: frozenset[str] = frozenset()  # fields the configuration file sets: the file wins


@dataclass(frozen=True, kw_only=True)
class Change:
    id: str
    values: dict[str, object]  # FIELDS that differ (all of them for a new person)
    before: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Plan:
    create: tuple[Change, ...] = ()
    update: tuple[Change, ...] = ()
    deactivate: tuple[str, ...] = ()
    reactivate: tuple[str, ...] = ()
    bind: tuple[tuple[str, str, str], ...] = ()  # (platform, account, person id)
    conflicts: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # directories read partly or not at all
    managers: dict[str, str] = field(default_factory=dict)  # leaver -> their manager, for their approvals
    blocked: str | None = None  # why nothing is applied (too many leavers)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.deactivate or self.reactivate or self.bind)


def _key_email(value: str | None) -> str | None:
    return value.strip().casefold() if value and "@" in value else None


class _Groups:
    """Union-find over the entries of all listings: one group per person, joined by e-mail or employee id."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def _keys(platform: str, e: Entry) -> list[str]:
    keys = [f"a:{platform}:{e.account}"]
    if (email := _key_email(e.email)) is not None:
        keys.append(f"e:{email}")
    if e.employee_id:
        keys.append(f"n:{e.employee_id}")
    return keys


def plan(known: Iterable[Known], listings: list[Listing], config: DirectoryConfig, *, force: bool = False) -> Plan:
    people = {k.id: k for k in known}
    by_key: dict[str, set[str]] = {}
    for k in people.values():
        mail = _key_email(k.email)
        for key in ([f"e:{mail}"] if mail else []) + ([f"n:{k.employee_id}"] if k.employee_id else []):
            by_key.setdefault(key, set()).add(k.id)
        for platform, account in (*k.accounts, *k.linked):
            by_key.setdefault(f"a:{platform}:{account}", set()).add(k.id)
    groups = _Groups()
    members: list[tuple[str, Entry]] = [(li.platform, e) for li in listings for e in li.entries]
    for platform, e in members:
        first, *rest = _keys(platform, e)
        for key in rest:
            groups.join(first, key)
    grouped: dict[str, list[tuple[str, Entry]]] = {}
    for platform, e in members:
        grouped.setdefault(groups.find(_keys(platform, e)[0]), []).append((platform, e))
    conflicts: list[str] = []
    taken = set(people)
    resolved: dict[str, tuple[str, list[tuple[str, Entry]]]] = {}  # group -> (person id, entries)
    account_person: dict[tuple[str, str], str] = {}
    for root, entries in grouped.items():
        problem = _inconsistent(entries)
        matched = set().union(*(by_key.get(k, set()) for p, e in entries for k in _keys(p, e)))
        if problem is None and len(matched) > 1:
            problem = f"matches {len(matched)} people ({', '.join(sorted(matched))})"
        if problem is not None:
            conflicts.append(f"{_describe(entries)}: {problem}; left alone")
            continue
        person_id = next(iter(matched)) if matched else _new_id(entries, taken)
        taken.add(person_id)
        resolved[root] = (person_id, entries)
        account_person.update({(p, e.account): person_id for p, e in entries})
    return _changes(people, resolved, account_person, listings, config, conflicts, force)


def _inconsistent(entries: list[tuple[str, Entry]]) -> str | None:
    ids = {e.employee_id for _, e in entries if e.employee_id}
    if len(ids) > 1:
        return f"one e-mail, several employee ids ({', '.join(sorted(ids))})"
    emails = {m for _, e in entries if (m := _key_email(e.email))}
    if len(emails) > 1:
        return f"one employee id, several e-mails ({', '.join(sorted(emails))})"
    platforms = [p for p, _ in entries]
    if len(platforms) != len(set(platforms)):
        return "several accounts of one directory"
    return None


def _describe(entries: list[tuple[str, Entry]]) -> str:
    return " + ".join(f"{p} {e.account} ({e.email or e.employee_id or 'no e-mail'})" for p, e in entries)


def id_base(e: Entry) -> str:
    """The id a new person from this entry gets, before a number makes it unique."""
    base = (e.email.split("@")[0] if e.email else None) or e.employee_id or e.account
    return _ID_CHARS.sub("-", base).strip("-.")[:56] or "person"


def keys_of(platform: str, e: Entry) -> tuple[str | None, str | None, tuple[str, str]]:
    """What matches an entry to a known person: (e-mail as compared, employee id, (platform, account))."""
    return _key_email(e.email), e.employee_id, (platform, e.account)


def _new_id(entries: list[tuple[str, Entry]], taken: set[str]) -> str:
    base = id_base(entries[0][1])
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _roles(entries: list[tuple[str, Entry]], config: DirectoryConfig, is_manager: bool) -> tuple[str, ...]:
    roles = {"member"}
    for role, rule in config.roles.items():
        for _, e in entries:
            if ((rule.managers and is_manager) or set(e.groups) & set(rule.groups)
                    or (e.department is not None and e.department in rule.departments)
                    or (_key_email(e.email) or "") in {_key_email(p) for p in rule.people}
                    or (e.employee_id is not None and e.employee_id in rule.people)):
                roles.add(role)
    return tuple(sorted(roles))


def _changes(people: dict[str, Known], resolved: dict[str, tuple[str, list[tuple[str, Entry]]]],
             account_person: dict[tuple[str, str], str], listings: list[Listing], config: DirectoryConfig,
             conflicts: list[str], force: bool) -> Plan:
    managers_of: dict[str, str] = {}
    for person_id, entries in resolved.values():
        for platform, e in entries:
            boss = account_person.get((platform, e.manager)) if e.manager else None
            if boss is not None and boss != person_id:
                managers_of.setdefault(person_id, boss)
    bosses = set(managers_of.values())
    read = {li.platform for li in listings}
    create: list[Change] = []
    update: list[Change] = []
    bind: list[tuple[str, str, str]] = []
    reactivate: list[str] = []
    deactivate: list[str] = []
    for person_id, entries in resolved.values():
        e = entries[0][1]
        values: dict[str, object] = {
            "name": e.name, "email": next((x.email for _, x in entries if x.email), None),
            "employee_id": next((x.employee_id for _, x in entries if x.employee_id), None),
            "department": next((x.department for _, x in entries if x.department), None),
            "manager_id": managers_of.get(person_id), "roles": _roles(entries, config, person_id in bosses)}
        active = any(x.active for _, x in entries)
        k = people.get(person_id)
        if k is None:
            if active:
                create.append(Change(id=person_id, values=values))
                bind += [(p, x.account, person_id) for p, x in entries]
            continue
        bind += [(p, x.account, person_id) for p, x in entries if (p, x.account) not in (*k.accounts, *k.linked)]
        differ = {f: v for f, v in values.items() if f not in k.pinned and v is not None and getattr(k, f) != v}
        if differ:
            update.append(Change(id=person_id, values=differ, before={f: getattr(k, f) for f in differ}))
        if active and not k.active:
            reactivate.append(person_id)
        elif not active and k.active and all(a[0] in read for a in k.accounts):  # no directory unread knows them
            (conflicts.append(f"{person_id} is in the configuration file but inactive in {entries[0][0]}; kept")
             if k.pinned else deactivate.append(person_id))
    listed = set(account_person)
    complete = {li.platform for li in listings if li.complete}
    matched = {pid for pid, _ in resolved.values()}
    for k in people.values():
        mine = [a for a in k.accounts if a[0] in read]
        if (not k.active or k.id in matched or not mine or any(a not in listed and a[0] not in complete for a in mine)
                or any(a[0] not in read for a in k.accounts)):
            continue
        if k.pinned:
            conflicts.append(f"{k.id} is in the configuration file but gone from {', '.join(p for p, _ in mine)}; kept")
        else:
            deactivate.append(k.id)
    directory_people = sum(1 for k in people.values() if k.accounts) or 1
    blocked = None
    if not force and len(deactivate) > max(1, config.max_leavers_share * directory_people):
        blocked = (f"{len(deactivate)} of {directory_people} people would be deactivated, more than "
                   f"{config.max_leavers_share:.0%}: check the sources (a wrong filter or base?), or sync with --force")
    leavers = {pid: boss for pid in deactivate if (boss := managers_of.get(pid) or people[pid].manager_id)}
    return Plan(create=tuple(create), update=tuple(update), deactivate=tuple(deactivate),
                reactivate=tuple(reactivate), bind=tuple(dict.fromkeys(bind)), conflicts=tuple(conflicts),
                problems=tuple(f"{li.source}: {p}" for li in listings for p in li.problems),
                managers=leavers, blocked=blocked)


def without_blocked(p: Plan) -> Plan:
    """What a blocked plan still applies: nothing."""
    return replace(p, create=(), update=(), deactivate=(), reactivate=(), bind=())
