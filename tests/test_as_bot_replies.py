"""Issue 25: "the bot account is the fallback, shown as such". Every chat verb that writes to a PMS with per-person
writes answers, when a write went as the bot account (the person linked no account of their own there), with a line
that says so in the person's language; a linked person's writes carry them as author in the fake Jira's records, and
their answers have no such line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp.test_utils import TestClient

from bot.pms.jira import JiraClient
from bot.runtime import Runtime
from bot.say import say
from notifiers.render import Renderer
from tests.fakes.jira import BOT_ACCOUNT_ID, FakeJira
from tests.test_jira_people import ALICE_ID, chat, migrated_file  # noqa: F401  (the chat world and its database)

# Every verb that writes to the PMS, in an order the fake's workflow allows, on one task ({key}).
# (The due date is relative: a fixed one would be refused once it has passed — the date canary runs this later.)
VERBS = ["start {key}", "report {key} 30% pump out", "block {key} waiting for seals", "unblock {key}",
         "comment {key} seals ordered", "due {key} next friday", "priority {key} high", "report {key} 60% 1h half way",
         "undo", "report {key} 50% 1h half way", "correct {key} 70%", "assign {key} {other}", "done {key} 2h fitted",
         "reopen {key} still leaks", "close {key} fixed"]
BOT_LINE = "Written in Jira by the bot account"
WORLD = tuple[Runtime, FakeJira, TestClient[Any, Any]]


async def _run(rt: Runtime, who: str, key: str, other: str) -> list[tuple[str, str]]:
    """(command, its answer) per verb; each must have been done (no refusal)."""
    answers = []
    for verb in VERBS:
        said = await say(rt, who, verb.format(key=key, other=other))
        assert said and not said[0].text.startswith("⚠️"), (verb, said[0].text if said else None)
        answers.append((verb, said[0].text))
    return answers


@pytest.mark.parametrize("chat", ["dc", "cloud"], indirect=True)
async def test_every_write_of_an_unlinked_person_says_it_went_as_the_bot_account(
        migrated_file: Path, chat: WORLD) -> None:  # noqa: F811
    rt, fake, _ = chat
    answers = await _run(rt, "bob", "PUMP-1", "alice")
    assert [verb for verb, text in answers if BOT_LINE not in text] == []
    assert fake.writes and {author for _, _, author in fake.writes} == {BOT_ACCOUNT_ID}
    # Reads say nothing of the sort: only an answer to a write carries the line.
    assert BOT_LINE not in (await say(rt, "bob", "status PUMP-1"))[0].text


@pytest.mark.parametrize("chat", ["dc", "cloud"], indirect=True)
async def test_every_write_of_a_linked_person_is_theirs_and_says_nothing_of_the_bot(
        migrated_file: Path, chat: WORLD) -> None:  # noqa: F811
    rt, fake, _ = chat
    jira = cast(JiraClient, rt.remotes["jira"])
    assert jira.people is not None
    if fake.flavor == "dc":
        await jira.people.link_pat("alice", fake.add_pat(ALICE_ID))
    else:
        callback = "https://pmsbot.example.com/link/jira/callback"
        await jira.people.link_code("alice", fake.authorize(ALICE_ID, callback), callback)
    fake.add_issue("PUMP", "Replace the seals", assignee=ALICE_ID)
    answers = await _run(rt, "alice", "PUMP-2", "bob")
    assert [verb for verb, text in answers if "bot account" in text] == []
    assert len(fake.writes) >= len(VERBS) and {author for _, _, author in fake.writes} == {ALICE_ID}
    authors = {c["author"].get("accountId", c["author"].get("name")) for c in fake.comments("PUMP-2")}
    assert authors and authors <= {ALICE_ID, "alice"}  # Data Center names users, Cloud gives account ids


@pytest.mark.parametrize("kind,data", [
    ("progress_reported", {"before": 10, "hours": None, "note": ""}), ("task_done", {}),
    ("task_blocked", {"reason": "x"}), ("task_unblocked", {"reason": None}), ("task_started", {"already": False}),
    ("task_changed", {"what": "comment", "text": "x"}), ("task_created", {}),
    ("write_undone", {"percent": None, "status": None, "hours_removed": None, "hours_kept": None,
                      "percent_wanted": None, "pms": "Jira"}),
    ("write_corrected", {"percent": 5, "from_percent": 1, "hours": None}),
    ("files_attached", {"attached": [{"name": "a.jpg", "kb": 3, "task": "PUMP-1"}], "refused": []})])
@pytest.mark.parametrize("connector,zh,en", [
    ("jira", "此次以机器人账号写入 Jira", "send `link jira`"),
    ("teambition", "此次以机器人账号写入 Teambition", "`link <your Teambition user id>`"),
    ("redmine", "此次以机器人账号写入 Redmine", "`link <your Redmine user>`")])
def test_each_writing_reply_says_so_in_both_languages(kind: str, data: dict[str, Any], connector: str, zh: str,
                                                      en: str) -> None:
    r = Renderer()
    task = {"key": "PUMP-1", "title": "Pump", "status": "in_progress", "percent": 40, "assignee": None, "due": None}
    note = {"connector": connector, "pms": connector.title()}
    for locale, line in (("zh", zh), ("en", en)):
        plain = r.render(platform="console", locale=locale, kind=kind, data={"task": task, **data}, actions=[])
        said = r.render(platform="console", locale=locale, kind=kind, data={"task": task, **data, "as_bot": note},
                        actions=[])
        assert line not in plain.text and line in said.text and said.text.startswith(plain.text)
