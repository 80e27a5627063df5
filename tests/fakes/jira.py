"""A fake Jira on 127.0.0.1: Jira Cloud (REST v3) or Jira Data Center (REST v2), the calls pmsbot's connector makes.

It checks what it receives the way Jira does (Basic email:api_token on Cloud, Bearer PAT on DC; ADF bodies on v3,
plain strings on v2; the worklog `started` format; fields that are not on the edit screen; transitions that are not
available from the issue's status), answers in Jira's shapes (checked against Atlassian's OpenAPI document in
tests/test_fake_jira.py, trimmed copy in tests/fakes/jira_openapi.json), pages Cloud searches with
`nextPageToken` (no `total`) and DC searches with `startAt`/`total`, parses a JQL subset, answers 410 on the removed
`/rest/api/3/search`, limits bursts and per-issue writes with 429s, and sends admin webhooks signed with
`X-Hub-Signature`. Every request is recorded.
Sources: ../shared/research/pms-apis.md §1 (Atlassian's spec, rate-limiting and webhook pages, jira.js, issue
threads quoting Jira's error messages).

JQL subset (keywords case-insensitive, values bare or quoted): clauses `field op value` combined with AND, OR, NOT
and parentheses, then an optional `ORDER BY field [ASC|DESC], …`.
  fields: project, assignee, reporter, status, statusCategory, key (issuekey, issue, id), priority, fixVersion,
          resolution (`Unresolved` = EMPTY), issuetype (type), labels, summary (~ only), created, updated,
          resolutiondate (resolved), duedate (due), customfield_10050 (cf[10050], "Progress %")
  operators: = != in (…) not in (…) is [not] EMPTY|NULL, and > >= < <= on dates, numbers, priority and key
  values: currentUser(); dates "yyyy-MM-dd HH:mm", "yyyy/MM/dd HH:mm", "yyyy-MM-dd", "yyyy/MM/dd", periods "-1d",
          "-4w 2d", now(), startOfDay(), endOfDay(), startOfWeek(), endOfWeek(), startOfMonth(), endOfMonth()
  `!=` and `not in` never match an empty field, as in Jira.
  ORDER BY: key, id, rank, created, updated, duedate, resolutiondate, priority, status, summary, assignee,
          issuetype, project, customfield_10050; an empty value sorts after every other value (last ascending,
          first descending). Without ORDER BY: creation order.
"""

from __future__ import annotations

import asyncio
import base64
import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
import math
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import aiohttp
from aiohttp import web

from tests.fakes.server import CountsRequests, Failures, FakeServer

EMAIL = "bot@example.com"
API_TOKEN = "jira-api-token"
PAT = "jira-pat"
OAUTH_CLIENT_ID = "pmsbot-3lo"
OAUTH_CLIENT_SECRET = "pmsbot-3lo-secret"
CLOUD_ID = "1324a887-45db-1bf4-1e99-ef0ff456d421"
BOT_ACCOUNT_ID = "bot"
PROGRESS_FIELD = "customfield_10050"
PROGRESS_FIELD_NAME = "Progress %"
# Jira Cloud's documented per-issue write limits: 20 writes per 2 s and 100 per 30 s (pms-apis.md §1.5).
JIRA_PER_ISSUE_WRITE_LIMITS: tuple[tuple[int, float], ...] = ((20, 2.0), (100, 30.0))
SEARCH_MAX_RESULTS = 100
ORDER_BY_MAX_FIELDS = 7  # search/jql: "orderBy clause can contain a maximum of 7 fields"

NOT_AUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
ISSUE_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
UNBOUNDED_JQL = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
SEARCH_REMOVED = ("The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
                  "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046")
NOT_ADF = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
BAD_PAGE_TOKEN = "The provided next page token is invalid or expired."


# ---- the workflow every project shares ------------------------------------------------------------------------
@dataclass(frozen=True)
class StatusCategory:
    id: int
    key: str
    name: str
    color: str


@dataclass(frozen=True)
class Status:
    id: str
    name: str
    category: StatusCategory


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str  # status name


CATEGORIES = {
    "new": StatusCategory(2, "new", "To Do", "blue-gray"),
    "indeterminate": StatusCategory(4, "indeterminate", "In Progress", "yellow"),
    "done": StatusCategory(3, "done", "Done", "green"),
}
STATUSES = {
    "To Do": Status("10000", "To Do", CATEGORIES["new"]),
    "In Progress": Status("3", "In Progress", CATEGORIES["indeterminate"]),
    "Blocked": Status("10002", "Blocked", CATEGORIES["indeterminate"]),
    "Done": Status("10001", "Done", CATEGORIES["done"]),
}
_DONE = Transition("31", "Done", "Done")  # one transition to Done, available from every open status
WORKFLOW: dict[str, tuple[Transition, ...]] = {
    "To Do": (Transition("11", "Start Progress", "In Progress"), _DONE),
    "In Progress": (Transition("21", "Stop Progress", "To Do"), Transition("41", "Block", "Blocked"), _DONE),
    "Blocked": (Transition("51", "Unblock", "In Progress"), _DONE),
    "Done": (Transition("61", "Reopen", "To Do"),),
}
PRIORITIES = {"Highest": "1", "High": "2", "Medium": "3", "Low": "4", "Lowest": "5"}  # name -> id
ISSUE_TYPES = {"Epic": "10000", "Task": "10001", "Bug": "10002", "Story": "10003"}
RESOLUTIONS = {"Done": "10000", "Won't Do": "10001", "Duplicate": "10002", "Cannot Reproduce": "10003"}


def _weight(priority: str) -> int:
    """Highest 5 … Lowest 1: `priority > Medium` and ORDER BY priority DESC put the higher ones first."""
    return 6 - int(PRIORITIES[priority])


# ---- small formats --------------------------------------------------------------------------------------------
def jira_time(moment: datetime) -> str:
    """Jira's timestamp format: 2026-11-30T10:00:00.000+0000 (the fake's users all live in UTC)."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}+0000"


_STARTED_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}")


def parse_started(text: Any) -> datetime | None:
    """A worklog's `started`: exactly yyyy-MM-dd'T'HH:mm:ss.SSSZ (e.g. 2021-01-17T12:34:00.000+0000), else None."""
    if not isinstance(text, str) or not _STARTED_RE.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None


_DURATION_UNITS = {"w": 5 * 8 * 3600, "d": 8 * 3600, "h": 3600, "m": 60}  # Jira's time tracking: 8 h days, 5 d weeks
_DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([wdhm])\s*")


def parse_duration(text: Any) -> int | None:
    """Jira time-tracking durations: "3h", "1d 2h 30m", "2w" (a day is 8 h, a week 5 d); None when not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    total, pos = 0.0, 0
    while pos < len(text):
        m = _DURATION_RE.match(text, pos)
        if m is None:
            return None
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return int(total)


def format_duration(seconds: int) -> str:
    """As Jira writes time tracking: 36000 -> "1d 2h" (8 h days, 5 d weeks)."""
    if seconds <= 0:
        return "0m"
    parts = []
    for unit, size in _DURATION_UNITS.items():
        n, seconds = divmod(seconds, size)
        if n:
            parts.append(f"{n}{unit}")
    return " ".join(parts) or "0m"


def sign_webhook(body: bytes, secret: str) -> str:
    """The X-Hub-Signature header Jira puts on an admin webhook saved with a secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---- Atlassian Document Format ----------------------------------------------------------------------------------
_ADF_BLOCK = {"paragraph", "heading", "bulletList", "orderedList", "codeBlock", "blockquote", "rule", "panel"}
_ADF_INLINE = {"text", "hardBreak", "mention", "emoji", "inlineCard"}
_ADF_MARKS = {"strong", "em", "code", "strike", "underline", "link", "textColor", "subsup"}
_ADF_KEYS = {"type", "content", "attrs", "marks", "text"}
_ADF_CHILDREN: dict[str, set[str]] = {
    "paragraph": _ADF_INLINE, "heading": _ADF_INLINE, "codeBlock": {"text"},
    "bulletList": {"listItem"}, "orderedList": {"listItem"},
    "listItem": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "blockquote": {"paragraph", "bulletList", "orderedList", "codeBlock"},
    "panel": {"paragraph", "heading", "bulletList", "orderedList"},
}
_ADF_NEEDS_CONTENT = {"bulletList", "orderedList", "listItem", "blockquote", "panel"}


def adf_error(doc: Any) -> str | None:
    """Why `doc` is not an ADF document of the node types pmsbot writes, or None when it is one."""
    if not isinstance(doc, dict):
        return f"not an object: {type(doc).__name__}"
    if doc.get("type") != "doc" or doc.get("version") != 1:
        return "the root must be {'type': 'doc', 'version': 1, …}"
    if set(doc) - {"type", "version", "content"}:
        return f"unknown keys on doc: {sorted(set(doc) - {'type', 'version', 'content'})}"
    content = doc.get("content")
    if not isinstance(content, list):
        return "doc.content must be a list"
    for i, node in enumerate(content):
        if (err := _adf_node(node, _ADF_BLOCK, f"content[{i}]")) is not None:
            return err
    return None


def _adf_node(node: Any, allowed: set[str], where: str) -> str | None:
    if not isinstance(node, dict):
        return f"{where}: a node must be an object"
    kind = node.get("type")
    if kind not in allowed:
        return f"{where}: node type {kind!r} is not allowed here"
    if set(node) - _ADF_KEYS:
        return f"{where}: unknown keys {sorted(set(node) - _ADF_KEYS)}"
    attrs = node.get("attrs", {})
    if not isinstance(attrs, dict):
        return f"{where}: attrs must be an object"
    if "marks" in node and kind != "text":
        return f"{where}: only text nodes carry marks"
    if kind == "text":
        text = node.get("text")
        if not isinstance(text, str) or not text:
            return f"{where}: text must be a non-empty string"
        if "content" in node:
            return f"{where}: text nodes have no content"
        marks = node.get("marks", [])
        if not isinstance(marks, list):
            return f"{where}: marks must be a list"
        for mark in marks:
            if not isinstance(mark, dict) or mark.get("type") not in _ADF_MARKS:
                return f"{where}: unknown mark {mark!r}"
            if mark["type"] == "link" and not isinstance(mark.get("attrs", {}).get("href"), str):
                return f"{where}: a link mark needs attrs.href"
        return None
    if kind == "mention" and not isinstance(attrs.get("id"), str):
        return f"{where}: a mention needs attrs.id"
    if kind == "emoji" and not isinstance(attrs.get("shortName"), str):
        return f"{where}: an emoji needs attrs.shortName"
    if kind == "inlineCard" and not isinstance(attrs.get("url"), str):
        return f"{where}: an inlineCard needs attrs.url"
    if kind == "heading" and attrs.get("level") not in (1, 2, 3, 4, 5, 6):
        return f"{where}: a heading needs attrs.level 1..6"
    if kind == "panel" and attrs.get("panelType") not in ("info", "note", "warning", "success", "error"):
        return f"{where}: a panel needs attrs.panelType"
    if kind == "codeBlock" and not isinstance(attrs.get("language", ""), str):
        return f"{where}: codeBlock attrs.language must be a string"
    children = _ADF_CHILDREN.get(kind)
    content = node.get("content")
    if children is None:  # leaves: rule, hardBreak, mention, emoji, inlineCard
        if content is not None:
            return f"{where}: {kind} has no content"
        return None
    if content is None:
        content = []
    if not isinstance(content, list):
        return f"{where}: content must be a list"
    if kind in _ADF_NEEDS_CONTENT and not content:
        return f"{where}: {kind} needs content"
    for i, child in enumerate(content):
        if kind == "codeBlock" and isinstance(child, dict) and "marks" in child:
            return f"{where}.content[{i}]: text in a codeBlock has no marks"
        if (err := _adf_node(child, children, f"{where}.content[{i}]")) is not None:
            return err
    return None


def adf_text(doc: Any) -> str:
    """The plain text of an ADF document (text nodes, mention texts; hard breaks and blocks as newlines)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                out.append(str(node.get("text", "")))
            elif node.get("type") == "mention":
                out.append(str(node.get("attrs", {}).get("text", "")))
            elif node.get("type") == "hardBreak":
                out.append("\n")
            for child in node.get("content", []) or []:
                walk(child)
            if node.get("type") in _ADF_BLOCK:
                out.append("\n")
    walk(doc)
    return "".join(out).strip()


def adf(text: str) -> dict[str, Any]:
    """A one-paragraph ADF document (one paragraph per line)."""
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")]}


# ---- JQL ---------------------------------------------------------------------------------------------------------
class JqlError(Exception):
    """A JQL problem, with the message Jira answers (400, errorMessages)."""


@dataclass(frozen=True)
class JqlValue:
    text: str
    quoted: bool
    pos: int


@dataclass(frozen=True)
class JqlFunc:
    name: str
    args: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class JqlEmpty:
    pos: int


JqlItem = JqlValue | JqlFunc | JqlEmpty


@dataclass(frozen=True)
class JqlList:
    items: tuple[JqlItem, ...]
    pos: int


@dataclass(frozen=True)
class JqlClause:
    field: str
    op: str  # = != > >= < <= ~ !~ in, not in, is, is not
    operand: JqlItem | JqlList
    pos: int


@dataclass(frozen=True)
class JqlBool:
    kind: Literal["and", "or"]
    parts: tuple[JqlNode, ...]


@dataclass(frozen=True)
class JqlNot:
    part: JqlNode


JqlNode = JqlClause | JqlBool | JqlNot


@dataclass(frozen=True)
class JqlQuery:
    where: JqlNode | None
    order: tuple[tuple[str, bool], ...]  # (field, descending)


@dataclass(frozen=True)
class _Tok:
    kind: Literal["op", "punct", "str", "word"]
    text: str  # as written
    value: str  # unquoted, unescaped
    pos: int


_TOKEN_RE = re.compile(r"""
    (?P<space>\s+)
  | (?P<op>!=|!~|>=|<=|=|>|<|~)
  | (?P<punct>[(),])
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<word>[^\s=!<>~(),"']+)
  | (?P<bad>.)
""", re.VERBOSE | re.DOTALL)
_KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "ASC", "DESC"}
_OPERATORS = ("Expecting operator but got '{}'. The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', "
              "'!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'.")


def _jql_syntax(message: str, pos: int | None) -> JqlError:
    where = f" (line 1, character {pos + 1})" if pos is not None else ""
    return JqlError(f"Error in the JQL Query: {message}{where}")


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        raw = m.group()
        if kind == "space":
            continue
        if kind == "bad":
            if raw in "\"'":
                raise _jql_syntax(f"The quoted string '{text[m.start() + 1:]}' has not been completed.", m.start())
            raise _jql_syntax(f"The character '{raw}' is a reserved JQL character. You must enclose it in a string "
                              "or use the escape '\\u0021' instead.", m.start())
        value = re.sub(r"\\(.)", r"\1", raw[1:-1]) if kind == "str" else raw
        toks.append(_Tok(kind, raw, value, m.start()))  # type: ignore[arg-type]
    return toks


class _JqlParser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self, ahead: int = 0) -> _Tok | None:
        return self.toks[self.i + ahead] if self.i + ahead < len(self.toks) else None

    @staticmethod
    def is_kw(tok: _Tok | None, *words: str) -> bool:
        return tok is not None and tok.kind == "word" and tok.text.upper() in words

    def fail(self, expecting: str, tok: _Tok | None = None) -> JqlError:
        tok = tok if tok is not None else self.peek()
        if tok is None:
            return _jql_syntax(f"{expecting} but got end of query.", None)
        hint = (f" You must surround '{tok.text}' in quotation marks to use it as a value."
                if tok.kind == "word" and tok.text.upper() in _KEYWORDS else "")
        return _jql_syntax(f"{expecting} but got '{tok.text}'.{hint}", tok.pos)

    def parse(self) -> JqlQuery:
        where: JqlNode | None = None
        if self.peek() is not None and not self.is_kw(self.peek(), "ORDER"):
            where = self.parse_or()
        order: list[tuple[str, bool]] = []
        if self.is_kw(self.peek(), "ORDER"):
            self.i += 1
            if not self.is_kw(self.peek(), "BY"):
                raise self.fail("Expecting 'BY'")
            self.i += 1
            while True:
                tok = self.peek()
                if tok is None or tok.kind not in ("word", "str") or (tok.kind == "word" and tok.text.upper() in _KEYWORDS):
                    raise self.fail("Expecting a field name")
                self.i += 1
                desc = False
                if self.is_kw(self.peek(), "ASC", "DESC"):
                    desc = self.toks[self.i].text.upper() == "DESC"
                    self.i += 1
                order.append((tok.value, desc))
                sep = self.peek()
                if sep is not None and sep.kind == "punct" and sep.text == ",":
                    self.i += 1
                    continue
                break
        if self.peek() is not None:
            raise self.fail("Expecting either 'OR' or 'AND'" if not order else "Expecting ','")
        return JqlQuery(where, tuple(order))

    def parse_or(self) -> JqlNode:
        parts = [self.parse_and()]
        while self.is_kw(self.peek(), "OR"):
            self.i += 1
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else JqlBool("or", tuple(parts))

    def parse_and(self) -> JqlNode:
        parts = [self.parse_not()]
        while self.is_kw(self.peek(), "AND"):
            self.i += 1
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else JqlBool("and", tuple(parts))

    def parse_not(self) -> JqlNode:
        tok = self.peek()
        if self.is_kw(tok, "NOT"):
            self.i += 1
            return JqlNot(self.parse_not())
        if tok is not None and tok.kind == "punct" and tok.text == "(":
            self.i += 1
            node = self.parse_or()
            end = self.peek()
            if end is None or end.text != ")" or end.kind != "punct":
                raise self.fail("Expecting ')'")
            self.i += 1
            return node
        return self.parse_clause()

    def parse_clause(self) -> JqlClause:
        tok = self.peek()
        if tok is None or tok.kind not in ("word", "str") or (tok.kind == "word" and tok.text.upper() in _KEYWORDS):
            raise self.fail("Expecting a field name")
        self.i += 1
        op_tok = self.peek()
        if op_tok is None:
            raise self.fail("Expecting operator")
        if op_tok.kind == "op":
            op = op_tok.text
            self.i += 1
        elif self.is_kw(op_tok, "IN"):
            op = "in"
            self.i += 1
        elif self.is_kw(op_tok, "NOT") and self.is_kw(self.peek(1), "IN"):
            op = "not in"
            self.i += 2
        elif self.is_kw(op_tok, "IS"):
            self.i += 1
            op = "is"
            if self.is_kw(self.peek(), "NOT"):
                op = "is not"
                self.i += 1
        else:
            raise _jql_syntax(_OPERATORS.format(op_tok.text), op_tok.pos)
        operand: JqlItem | JqlList
        nxt = self.peek()
        if op in ("in", "not in") and nxt is not None and nxt.kind == "punct" and nxt.text == "(":
            self.i += 1
            items = [self.parse_item()]
            while (sep := self.peek()) is not None and sep.kind == "punct" and sep.text == ",":
                self.i += 1
                items.append(self.parse_item())
            end = self.peek()
            if end is None or end.kind != "punct" or end.text != ")":
                raise self.fail("Expecting ')' or ','")
            self.i += 1
            operand = JqlList(tuple(items), nxt.pos)
        else:
            operand = self.parse_item()
        return JqlClause(tok.value, op, operand, tok.pos)

    def parse_item(self) -> JqlItem:
        tok = self.peek()
        expecting = "Expecting either a value, list or function"
        if tok is None or tok.kind not in ("word", "str"):
            raise self.fail(expecting)
        if self.is_kw(tok, "EMPTY", "NULL"):
            self.i += 1
            return JqlEmpty(tok.pos)
        if tok.kind == "word" and tok.text.upper() in _KEYWORDS:
            raise self.fail(expecting)
        self.i += 1
        nxt = self.peek()
        if tok.kind == "word" and nxt is not None and nxt.kind == "punct" and nxt.text == "(":
            self.i += 1
            args: list[str] = []
            while True:
                arg = self.peek()
                if arg is None:
                    raise self.fail("Expecting ')'")
                if arg.kind == "punct" and arg.text == ")":
                    self.i += 1
                    break
                if arg.kind not in ("word", "str"):
                    raise self.fail("Expecting a function argument")
                args.append(arg.value)
                self.i += 1
                sep = self.peek()
                if sep is not None and sep.kind == "punct" and sep.text == ",":
                    self.i += 1
            return JqlFunc(tok.value, tuple(args), tok.pos)
        return JqlValue(tok.value, tok.kind == "str", tok.pos)


def parse_jql(text: str) -> JqlQuery:
    """Parse a JQL query; JqlError carries Jira's "Error in the JQL Query: …" message."""
    return _JqlParser(text).parse()


_EQ_OPS = frozenset({"=", "!=", "in", "not in", "is", "is not"})
_ORD_OPS = frozenset({">", ">=", "<", "<="})
_TEXT_OPS = frozenset({"~", "!~", "is", "is not"})
Pred = Callable[["_Issue"], bool]


@dataclass(frozen=True)
class _JqlField:
    name: str  # as Jira names it in messages
    get: Callable[[_Issue], tuple[Any, ...]]  # the issue's values; () = EMPTY
    resolve: Callable[[JqlValue | JqlFunc], frozenset[Any] | None]  # None = EMPTY (e.g. resolution = Unresolved)
    ops: frozenset[str]
    cmp: Callable[[Any, Any], int | None] | None = None  # None: incomparable pair (e.g. keys of two projects)


def _cmp(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


# ---- state ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]  # a repeated parameter's values joined by ","
    json: Any  # the parsed body, or None
    status: int


@dataclass
class User:
    account_id: str
    display_name: str
    email: str
    name: str  # Data Center's username (and key)


@dataclass
class Project:
    id: str
    key: str
    name: str


@dataclass
class Version:
    id: str
    project: str
    name: str
    release_date: date | None
    released: bool = False
    archived: bool = False


@dataclass(slots=True)
class _Issue:
    id: str
    key: str
    project: str
    num: int
    summary: str
    status: str
    assignee: str | None  # account id
    reporter: str | None
    duedate: date | None
    original_s: int | None
    spent_s: int
    remaining_s: int | None
    progress: float | None
    fix_versions: list[str]  # version ids
    priority: str
    created: datetime
    updated: datetime
    issuetype: str
    labels: list[str]
    description: Any
    resolution: str | None
    resolved: datetime | None


@dataclass
class _Call:
    method: str
    template: str
    params: dict[str, str]
    request: web.Request
    body: Any
    user: User
    raw: bytes = b""


Handler = Callable[[_Call], web.Response]


def _multipart(raw: bytes, content_type: str) -> list[tuple[str, str, str, bytes]]:
    """(name, filename, Content-Type, bytes) of each part of a multipart/form-data body ([] when malformed)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        return []
    out = []
    for part in message.iter_parts():
        data = part.get_payload(decode=True)
        out.append((str(part.get_param("name", header="content-disposition") or ""),
                    str(part.get_filename() or ""), part.get_content_type(),
                    data if isinstance(data, bytes) else b""))
    return out


def _errors(messages: Sequence[str] = (), errors: dict[str, str] | None = None, *, status: int = 400,
            headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"errorMessages": list(messages), "errors": errors or {}}, status=status,
                             headers=headers)


def _setter(attr: str, value: Any) -> Callable[[_Issue], None]:
    def apply(issue: _Issue) -> None:
        setattr(issue, attr, value)
    return apply


def _paging(query: Mapping[str, str], default_max: int) -> tuple[int, int] | web.Response:
    """startAt and maxResults from a query string, or a 400 when they are not numbers."""
    try:
        return max(0, int(query.get("startAt", 0))), max(0, int(query.get("maxResults", default_max)))
    except ValueError:
        return _errors(["startAt and maxResults must be numbers."])


def _utcnow() -> float:
    return time.time()


# ---- the fake ------------------------------------------------------------------------------------------------------
@dataclass
class FakeJira(FakeServer, CountsRequests):
    client_max_size = 4 * 1024 * 1024

    flavor: Literal["cloud", "dc"] = "cloud"
    email: str = EMAIL
    api_token: str = API_TOKEN
    pat: str = PAT
    burst_per_s: int = 100  # requests per second per (method, path template), then 429 jira-burst-based
    per_issue_write_limits: tuple[tuple[int, float], ...] = ()  # e.g. JIRA_PER_ISSUE_WRITE_LIMITS
    delay_s: float = 0.0  # every answer waits this long (client timeout tests)
    attachment_max_bytes: int = 10 * 1024 * 1024  # the site's attachment size limit (Jira Cloud's is larger)
    clock: Callable[[], float] = _utcnow  # wall-clock seconds: timestamps and rate-limit windows
    # recorded
    requests: list[RecordedRequest] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, why) for every 4xx the fake chose
    webhooks_sent: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)  # (url, headers, body)
    # Per-person credentials: Data Center personal access tokens, and an OAuth 2.0 (3LO) app on Cloud.
    oauth_client_id: str = OAUTH_CLIENT_ID
    oauth_client_secret: str = OAUTH_CLIENT_SECRET
    cloud_id: str = CLOUD_ID
    access_token_ttl_s: int = 3600
    writes: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, account id of the credential)

    def __post_init__(self) -> None:
        self._users: dict[str, User] = {}
        self._projects: dict[str, Project] = {}
        self._versions: dict[str, Version] = {}
        self._issues: dict[str, _Issue] = {}  # key -> issue
        self._by_id: dict[str, _Issue] = {}
        self._numbers: dict[str, itertools.count[int]] = {}
        self._comments: dict[str, list[dict[str, Any]]] = {}  # issue id -> comments as answered
        self._worklogs: dict[str, list[dict[str, Any]]] = {}
        self.deleted_worklogs: list[tuple[str, str]] = []  # (issue key, worklog id) in the order deleted
        self.attachments: dict[str, list[dict[str, Any]]] = {}  # issue key -> attachments as answered, with "data"
        self._ids = itertools.count(10000)
        self._no_transition: set[str | None] = set()
        self._failures: Failures[list[Any]] = Failures()  # [status, path needle, method, matching requests to let through]
        self._webhook_bodies: dict[str, bytes] = {}  # identifier -> the body first sent under it
        self._revoked = False
        self._burst: dict[tuple[str, str], tuple[int, int]] = {}  # (method, template) -> (second, count)
        self._issue_writes: dict[str, deque[float]] = {}
        self._page_tokens: dict[str, tuple[str, int]] = {}  # token -> (jql, offset)
        self._version = 0  # bumped on every change: search results are cached per version
        self._search_cache: tuple[tuple[Any, ...], list[_Issue]] | None = None
        self._detail: str | None = None  # why an ADF value was refused, for `rejected`
        self._routes = self._route_table()
        self._pats: dict[str, str] = {}  # token -> account id
        self._codes: dict[str, tuple[str, str]] = {}  # authorization code -> (account id, redirect_uri)
        self._access: dict[str, tuple[str, float]] = {}  # access token -> (account id, expires at)
        self._refresh: dict[str, str] = {}  # refresh token -> account id (each used once: they rotate)
        self.add_user(BOT_ACCOUNT_ID, "pmsbot", self.email, name="bot")

    # ---- lifecycle ----------------------------------------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    @property
    def url(self) -> str:
        """The site's base URL, no trailing slash (the connector appends /rest/api/3 or /rest/api/2)."""
        return self.base

    @property
    def prefix(self) -> str:
        return "/rest/api/3" if self.flavor == "cloud" else "/rest/api/2"

    @property
    def api_url(self) -> str:
        return self.url + self.prefix

    # ---- seeding (synchronous, before or while serving) -----------------------------------------------------------
    def add_user(self, account_id: str, display_name: str, email: str, *, name: str | None = None) -> None:
        self._users[account_id] = User(account_id, display_name, email, name or account_id)
        self._changed()

    def add_project(self, key: str, name: str) -> str:
        project = Project(str(next(self._ids)), key.upper(), name)
        self._projects[project.key] = project
        self._numbers[project.key] = itertools.count(1)
        self._changed()
        return project.id

    def add_version(self, project: str, name: str, release_date: date | None, *, released: bool = False,
                    archived: bool = False) -> str:
        proj = self._project(project)
        version = Version(str(next(self._ids)), proj.key, name, release_date, released, archived)
        self._versions[version.id] = version
        self._changed()
        return version.id

    def add_issue(self, project: str, summary: str, *, assignee: str | None = None, status: str = "To Do",
                  duedate: date | str | None = None, original_estimate_s: int | None = None, time_spent_s: int = 0,
                  remaining_estimate_s: int | None = None, progress: float | None = None,
                  fix_version: str | None = None, priority: str = "Medium", created: datetime | None = None,
                  updated: datetime | None = None, issuetype: str = "Task", labels: Iterable[str] = (),
                  description: Any = None, reporter: str | None = BOT_ACCOUNT_ID) -> str:
        """Seed an issue (keys PROJECT-1, PROJECT-2, … per project); returns its key."""
        proj = self._project(project)
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}: one of {list(STATUSES)}")
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}")
        if issuetype not in ISSUE_TYPES:
            raise ValueError(f"unknown issue type {issuetype!r}")
        num = next(self._numbers[proj.key])
        now = self._now()
        created = created or now
        if remaining_estimate_s is None and original_estimate_s is not None:
            remaining_estimate_s = max(0, original_estimate_s - time_spent_s)
        issue = _Issue(
            id=str(next(self._ids)), key=f"{proj.key}-{num}", project=proj.key, num=num, summary=summary,
            status=status, assignee=self._seed_user(assignee), reporter=self._seed_user(reporter),
            duedate=date.fromisoformat(duedate) if isinstance(duedate, str) else duedate,
            original_s=original_estimate_s, spent_s=time_spent_s, remaining_s=remaining_estimate_s,
            progress=None if progress is None else float(progress),
            fix_versions=[self._seed_version(proj.key, fix_version)] if fix_version else [],
            priority=priority, created=created, updated=updated or created, issuetype=issuetype,
            labels=list(labels), description=description,
            resolution="Done" if status == "Done" else None, resolved=(updated or created) if status == "Done" else None)
        self._issues[issue.key] = issue
        self._by_id[issue.id] = issue
        self._comments[issue.id] = []
        self._worklogs[issue.id] = []
        self._changed()
        return issue.key

    def add_issues(self, project: str, n: int, *, summary: str = "Issue {i}", **common: Any) -> list[str]:
        """n issues at once (`summary` formatted with i = 1..n); fast enough for thousands."""
        return [self.add_issue(project, summary.format(i=i), **common) for i in range(1, n + 1)]

    def update_issue(self, key: str, **changes: Any) -> None:
        """Change an issue behind the connector's back (as a person in Jira would): the add_issue keywords."""
        issue = self._lookup(key)
        if issue is None:
            raise KeyError(key)
        for name, value in changes.items():
            if name == "status":
                self._set_status(issue, value)
            elif name in ("assignee", "reporter"):
                setattr(issue, name, self._seed_user(value))
            elif name == "duedate":
                issue.duedate = date.fromisoformat(value) if isinstance(value, str) else value
            elif name == "fix_version":
                issue.fix_versions = [self._seed_version(issue.project, value)] if value else []
            elif name == "progress":
                issue.progress = None if value is None else float(value)
            elif name in ("original_estimate_s", "time_spent_s", "remaining_estimate_s"):
                attr = {"original_estimate_s": "original_s", "time_spent_s": "spent_s",
                        "remaining_estimate_s": "remaining_s"}[name]
                setattr(issue, attr, value)
            elif name in ("summary", "priority", "created", "updated", "issuetype", "labels", "description"):
                setattr(issue, name, list(value) if name == "labels" else value)
            else:
                raise TypeError(f"update_issue: unknown change {name!r}")
        if "updated" not in changes:
            issue.updated = self._now()
        self._changed()

    def permit_transitions(self, user_or_none: str | None, allowed: bool) -> None:
        """Give or take the "Transition issues" permission: for one account id, or (None) for everyone.
        Without it GET transitions answers {"transitions": []} and POST answers 400, as Jira does."""
        if allowed:
            self._no_transition.discard(user_or_none)
        else:
            self._no_transition.add(user_or_none)

    # ---- test controls --------------------------------------------------------------------------------------------
    def fail_next(self, n: int = 1, *, status: int = 500, path_contains: str | None = None,
                  method: str | None = None, after: int = 0) -> None:
        """The next n requests (whose path contains `path_contains` and whose method is `method`, or any) answer
        `status` (429 and 503 with Retry-After) after authentication passed; `after` matching requests are let
        through first (to fail, say, the read that follows a write)."""
        for _ in range(n):
            self._failures.add([status, path_contains, method, after])

    def revoke_credentials(self) -> None:
        """Every request answers 401 until restore_credentials() (a revoked API token / PAT)."""
        self._revoked = True

    def restore_credentials(self) -> None:
        self._revoked = False

    def expire_page_tokens(self) -> None:
        """Every nextPageToken handed out so far becomes invalid (Jira's expire after 7 days)."""
        self._page_tokens.clear()

    def issue(self, key: str) -> dict[str, Any]:
        """The stored state of an issue (for asserting what the connector wrote)."""
        issue = self._lookup(key)
        if issue is None:
            raise KeyError(key)
        return {
            "id": issue.id, "key": issue.key, "project": issue.project, "summary": issue.summary,
            "status": issue.status, "assignee": issue.assignee, "reporter": issue.reporter,
            "duedate": issue.duedate.isoformat() if issue.duedate else None, "priority": issue.priority,
            "issuetype": issue.issuetype, "labels": list(issue.labels), "description": issue.description,
            "fixVersions": [self._versions[v].name for v in issue.fix_versions], PROGRESS_FIELD: issue.progress,
            "originalEstimateSeconds": issue.original_s, "timeSpentSeconds": issue.spent_s,
            "remainingEstimateSeconds": issue.remaining_s, "resolution": issue.resolution,
            "created": jira_time(issue.created), "updated": jira_time(issue.updated),
        }

    def comments(self, key: str) -> list[dict[str, Any]]:
        issue = self._lookup(key)
        if issue is None:
            raise KeyError(key)
        return list(self._comments[issue.id])

    def worklogs(self, key: str) -> list[dict[str, Any]]:
        issue = self._lookup(key)
        if issue is None:
            raise KeyError(key)
        return list(self._worklogs[issue.id])

    # ---- webhooks -------------------------------------------------------------------------------------------------
    def webhook_payload(self, *, event: str = "jira:issue_updated", issue_key: str,
                        issue_event_type_name: str = "issue_generic",
                        changelog_items: Sequence[dict[str, Any]] | None = None,
                        comment: dict[str, Any] | str | None = None,
                        user_account_id: str | None = None) -> dict[str, Any]:
        """An admin webhook's JSON: the issue is thin (summary, status, project, assignee, priority, issuetype)."""
        issue = self._lookup(issue_key)
        if issue is None:
            raise KeyError(issue_key)
        actor = self._users[user_account_id or BOT_ACCOUNT_ID]
        payload: dict[str, Any] = {"timestamp": int(self.clock() * 1000), "webhookEvent": event}
        if event.startswith("jira:issue_"):
            payload["issue_event_type_name"] = issue_event_type_name
        payload["user"] = self._user_json(actor, webhook=True)
        payload["issue"] = {
            "id": issue.id, "self": self._self(f"/issue/{issue.id}"), "key": issue.key,
            "fields": self._fields(issue, ["summary", "status", "project", "assignee", "priority", "issuetype"]),
        }
        if changelog_items is not None:
            items = []
            for item in changelog_items:
                entry = {"field": item["field"], "fieldtype": item.get("fieldtype", "jira")}
                if self.flavor == "cloud":
                    entry["fieldId"] = item.get("fieldId", str(item["field"]).lower())
                for k in ("from", "fromString", "to", "toString"):
                    entry[k] = item.get(k)
                items.append(entry)
            payload["changelog"] = {"id": str(next(self._ids)), "items": items}
        if comment is not None:
            if isinstance(comment, str):
                body: Any = adf(comment) if self.flavor == "cloud" else comment
                comment = self._comment_json(issue, str(next(self._ids)), body, actor, None)
            payload["comment"] = comment
        return payload

    async def send_webhook(self, url: str, *, event: str = "jira:issue_updated", issue_key: str,
                           issue_event_type_name: str = "issue_generic",
                           changelog_items: Sequence[dict[str, Any]] | None = None,
                           comment: dict[str, Any] | str | None = None, secret: str | None = None,
                           identifier: str | None = None, retry: int = 0,
                           user_account_id: str | None = None) -> tuple[int, str]:
        """POST an admin webhook as Jira delivers it; returns (status, response text). A retry (the same
        `identifier`) resends the very body of the first delivery, as Jira does."""
        if identifier is not None and identifier in self._webhook_bodies:
            body = self._webhook_bodies[identifier]
        else:
            payload = self.webhook_payload(event=event, issue_key=issue_key,
                                           issue_event_type_name=issue_event_type_name,
                                           changelog_items=changelog_items, comment=comment,
                                           user_account_id=user_account_id)
            body = json.dumps(payload).encode()
            if identifier is not None:
                self._webhook_bodies[identifier] = body
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": identifier or str(uuid.uuid4().int % 10**18),
            "X-Atlassian-Webhook-Flow": "Primary",
        }
        if retry > 0:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        if secret is not None:
            headers["X-Hub-Signature"] = sign_webhook(body, secret)
        self.webhooks_sent.append((url, headers, body))
        async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as resp:
            return resp.status, await resp.text()

    # ---- internals: lookups -----------------------------------------------------------------------------------------
    def _changed(self) -> None:
        self._version += 1

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _project(self, key_or_id: str) -> Project:
        proj = self._projects.get(key_or_id.upper()) or next(
            (p for p in self._projects.values() if p.id == key_or_id), None)
        if proj is None:
            raise KeyError(f"no project {key_or_id!r}: add_project() first")
        return proj

    def _seed_user(self, ref: str | None) -> str | None:
        if ref is None:
            return None
        user = self._find_user(ref)
        if user is None:
            raise KeyError(f"no user {ref!r}: add_user() first")
        return user.account_id

    def _find_user(self, ref: str) -> User | None:
        return self._users.get(ref) or next((u for u in self._users.values() if u.name == ref), None)

    def _seed_version(self, project: str, ref: str) -> str:
        for v in self._versions.values():
            if v.project == project and ref in (v.name, v.id):
                return v.id
        raise KeyError(f"no version {ref!r} in {project}: add_version() first")

    def _lookup(self, key_or_id: str) -> _Issue | None:
        """Jira finds an issue by id, or by key case-insensitively."""
        return self._by_id.get(key_or_id) or self._issues.get(key_or_id.upper())

    def _user_ref(self, user: User) -> str:
        return user.account_id if self.flavor == "cloud" else user.name

    def _self(self, path: str) -> str:
        return self.api_url + path

    def _set_status(self, issue: _Issue, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        issue.status = status
        if status == "Done":
            issue.resolution = issue.resolution or "Done"
            issue.resolved = self._now()
        else:
            issue.resolution, issue.resolved = None, None

    # ---- internals: JSON as Jira writes it ---------------------------------------------------------------------------
    def _user_json(self, user: User | None, *, webhook: bool = False) -> dict[str, Any] | None:
        if user is None:
            return None
        avatars = {size: f"{self.url}/avatar/{user.account_id}?s={size.split('x')[0]}"
                   for size in ("48x48", "24x24", "16x16", "32x32")}
        if self.flavor == "cloud":
            out: dict[str, Any] = {"self": self._self(f"/user?accountId={user.account_id}"),
                                   "accountId": user.account_id, "accountType": "atlassian"}
        else:
            out = {"self": self._self(f"/user?username={user.name}"), "name": user.name, "key": user.name}
        out.update({"emailAddress": user.email, "avatarUrls": avatars, "displayName": user.display_name,
                    "active": True, "timeZone": "UTC"})
        if webhook and self.flavor == "cloud":
            out.pop("emailAddress")  # Cloud webhooks leave the e-mail address out
        return out

    def _status_json(self, name: str) -> dict[str, Any]:
        status = STATUSES[name]
        cat = status.category
        return {
            "self": self._self(f"/status/{status.id}"), "description": "",
            "iconUrl": f"{self.url}/images/icons/statuses/generic.png", "name": status.name, "id": status.id,
            "statusCategory": {"self": self._self(f"/statuscategory/{cat.id}"), "id": cat.id, "key": cat.key,
                               "colorName": cat.color, "name": cat.name},
        }

    def _version_json(self, version: Version) -> dict[str, Any]:
        out: dict[str, Any] = {"self": self._self(f"/version/{version.id}"), "id": version.id,
                               "description": "", "name": version.name, "archived": version.archived,
                               "released": version.released}
        if version.release_date is not None:
            out["releaseDate"] = version.release_date.isoformat()
            out["overdue"] = not version.released and version.release_date < self._now().date()
            out["userReleaseDate"] = f"{version.release_date:%d/%b/%y}"
        out["projectId"] = int(self._projects[version.project].id)
        return out

    def _project_json(self, project: Project, *, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"self": self._self(f"/project/{project.id}"), "id": project.id, "key": project.key,
                               "name": project.name, "projectTypeKey": "software", "simplified": False}
        if full:
            out = {"expand": "description,lead,issueTypes,url,projectKeys,permissions,insight", **out,
                   "description": "", "lead": self._user_json(self._users[BOT_ACCOUNT_ID]),
                   "assigneeType": "UNASSIGNED", "style": "classic", "isPrivate": False,
                   "issueTypes": [self._issuetype_json(t) for t in ISSUE_TYPES],
                   "versions": [self._version_json(v) for v in self._versions.values() if v.project == project.key],
                   "properties": {}}
        return out

    def _issuetype_json(self, name: str) -> dict[str, Any]:
        return {"self": self._self(f"/issuetype/{ISSUE_TYPES[name]}"), "id": ISSUE_TYPES[name], "description": "",
                "iconUrl": f"{self.url}/images/icons/issuetypes/{name.lower()}.png", "name": name,
                "subtask": False, "hierarchyLevel": 1 if name == "Epic" else 0}

    def _timetracking(self, issue: _Issue) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if issue.original_s is not None:
            out["originalEstimate"] = format_duration(issue.original_s)
        if issue.remaining_s is not None:
            out["remainingEstimate"] = format_duration(issue.remaining_s)
        if issue.spent_s:
            out["timeSpent"] = format_duration(issue.spent_s)
        if issue.original_s is not None:
            out["originalEstimateSeconds"] = issue.original_s
        if issue.remaining_s is not None:
            out["remainingEstimateSeconds"] = issue.remaining_s
        if issue.spent_s:
            out["timeSpentSeconds"] = issue.spent_s
        return out

    def _field_value(self, issue: _Issue, fid: str) -> Any:
        if fid == "summary":
            return issue.summary
        if fid == "status":
            return self._status_json(issue.status)
        if fid in ("assignee", "reporter"):
            ref = getattr(issue, fid)
            return self._user_json(self._users[ref]) if ref else None
        if fid == "duedate":
            return issue.duedate.isoformat() if issue.duedate else None
        if fid in ("created", "updated"):
            return jira_time(getattr(issue, fid))
        if fid == "timetracking":
            return self._timetracking(issue)
        if fid == "timeoriginalestimate":
            return issue.original_s
        if fid == "timeestimate":
            return issue.remaining_s
        if fid == "timespent":
            return issue.spent_s or None
        if fid == "progress":
            total = issue.spent_s + (issue.remaining_s or 0)
            out: dict[str, Any] = {"progress": issue.spent_s, "total": total}
            if total:
                out["percent"] = issue.spent_s * 100 // total
            return out
        if fid == "fixVersions":
            return [self._version_json(self._versions[v]) for v in issue.fix_versions]
        if fid == "priority":
            pid = PRIORITIES[issue.priority]
            return {"self": self._self(f"/priority/{pid}"), "iconUrl": f"{self.url}/images/icons/priorities/"
                    f"{issue.priority.lower()}.svg", "name": issue.priority, "id": pid}
        if fid == "project":
            return self._project_json(self._projects[issue.project])
        if fid == "issuetype":
            return self._issuetype_json(issue.issuetype)
        if fid == "labels":
            return list(issue.labels)
        if fid == "description":
            return issue.description
        if fid == "resolution":
            if issue.resolution is None:
                return None
            rid = RESOLUTIONS[issue.resolution]
            return {"self": self._self(f"/resolution/{rid}"), "id": rid, "description": "",
                    "name": issue.resolution}
        if fid == "resolutiondate":
            return jira_time(issue.resolved) if issue.resolved else None
        if fid == PROGRESS_FIELD:
            return issue.progress
        if fid == "comment":
            comments = self._comments[issue.id]
            return {"comments": list(comments), "self": self._self(f"/issue/{issue.id}/comment"),
                    "maxResults": len(comments), "total": len(comments), "startAt": 0}
        if fid == "worklog":
            logs = self._worklogs[issue.id]
            return {"startAt": 0, "maxResults": 20, "total": len(logs), "worklogs": logs[:20]}
        raise KeyError(fid)

    def _fields(self, issue: _Issue, fids: Iterable[str]) -> dict[str, Any]:
        return {fid: self._field_value(issue, fid) for fid in fids}

    def _issue_json(self, issue: _Issue, fids: Sequence[str], expand: set[str], *,
                    names_inline: bool = True, user: User | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": issue.id, "self": self._self(f"/issue/{issue.id}"), "key": issue.key}
        if fids:  # with no field asked for (search/jql's default `id`), an issue is just id, key and self
            out = {"expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
                   **out, "fields": self._fields(issue, fids)}
        if names_inline and "names" in expand:
            out["names"] = {f: FIELDS[f].name for f in fids}
        if names_inline and "schema" in expand:
            out["schema"] = {f: FIELDS[f].schema for f in fids if FIELDS[f].schema}
        if "transitions" in expand:
            out["transitions"] = self._transitions_json(issue, user)
        if "renderedfields" in expand:
            out["renderedFields"] = {f: None for f in fids}
        return out

    def _transitions_json(self, issue: _Issue, user: User | None) -> list[dict[str, Any]]:
        if user is not None and (None in self._no_transition or user.account_id in self._no_transition):
            return []
        return [{"id": t.id, "name": t.name, "to": self._status_json(t.to), "hasScreen": False,
                 "isGlobal": t is _DONE, "isInitial": False, "isAvailable": True, "isConditional": False,
                 "isLooped": False} for t in WORKFLOW[issue.status]]

    def _comment_json(self, issue: _Issue, cid: str, body: Any, author: User,
                      visibility: dict[str, Any] | None) -> dict[str, Any]:
        now = jira_time(self._now())
        out: dict[str, Any] = {"self": self._self(f"/issue/{issue.id}/comment/{cid}"), "id": cid,
                               "author": self._user_json(author), "body": body,
                               "updateAuthor": self._user_json(author), "created": now, "updated": now}
        if visibility is not None:
            out["visibility"] = visibility
        if self.flavor == "cloud":
            out["jsdPublic"] = True
        return out

    @staticmethod
    def _field_selection(values: Sequence[str] | None, default: str) -> list[str]:
        """The fields to answer: a comma list or repeated values; *all, *navigable, -x; unknown names ignored."""
        wanted: list[str] = []
        for value in values if values else [default]:
            wanted.extend(part.strip() for part in value.split(",") if part.strip())
        chosen: set[str] = set()
        for item in wanted:
            if item == "*all":
                chosen |= set(FIELDS)
            elif item == "*navigable":
                chosen |= {f for f, d in FIELDS.items() if d.navigable}
            elif item.startswith("-"):
                continue
            elif item in FIELDS:
                chosen.add(item)
        for item in wanted:
            if item.startswith("-"):
                chosen.discard(item[1:])
        return [f for f in FIELDS if f in chosen]

    # ---- internals: HTTP ---------------------------------------------------------------------------------------------
    def _route_table(self) -> list[tuple[str, re.Pattern[str], str, Handler]]:
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/myself", self._h_myself), ("GET", "/serverInfo", self._h_server_info),
            ("GET", "/field", self._h_fields), ("GET", "/status", self._h_statuses),
            ("GET", "/project/{key}", self._h_project), ("GET", "/project/{key}/versions", self._h_versions),
            ("GET", "/user/search", self._h_user_search),
            ("POST", "/issue", self._h_create_issue),
            ("GET", "/issue/{key}", self._h_get_issue), ("PUT", "/issue/{key}", self._h_edit_issue),
            ("GET", "/issue/{key}/transitions", self._h_get_transitions),
            ("POST", "/issue/{key}/transitions", self._h_do_transition),
            ("GET", "/issue/{key}/comment", self._h_get_comments), ("POST", "/issue/{key}/comment", self._h_add_comment),
            ("GET", "/issue/{key}/worklog", self._h_get_worklogs), ("POST", "/issue/{key}/worklog", self._h_add_worklog),
            ("DELETE", "/issue/{key}/worklog/{id}", self._h_delete_worklog),
            ("POST", "/issue/{key}/attachments", self._h_add_attachments),
        ]
        if self.flavor == "cloud":
            routes += [("GET", "/search/jql", self._h_search_jql), ("POST", "/search/jql", self._h_search_jql),
                       ("GET", "/search", self._h_search_removed), ("POST", "/search", self._h_search_removed)]
        else:
            routes += [("GET", "/search", self._h_search_dc), ("POST", "/search", self._h_search_dc)]
        table = []
        for method, template, handler in routes:
            pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
            table.append((method, pattern, template, handler))
        return table

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        raw = await request.read() if request.can_read_body else b""
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                bad_json = True
        if request.path.startswith("/oauth/token"):
            response = self._oauth(request, body)
        else:
            response = self._answer(request, raw, body, bad_json)
        query = {k: ",".join(request.query.getall(k)) for k in request.query}
        self.requests.append(RecordedRequest(request.method, request.path, query, body, response.status))
        if 400 <= response.status < 500 and response.status not in (401, 429):
            why = response.text or "" if response.body is not None else ""
            self.rejected.append((request.path, f"{why} ({self._detail})" if self._detail else why))
        self._detail = None
        return response

    # ---- per-person credentials -------------------------------------------------------------------------------
    # OAuth 2.0 (3LO), https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/: consent gives a code,
    # POST auth.atlassian.com/oauth/token exchanges it (and refreshes, rotating the refresh token), GET
    # api.atlassian.com/oauth/token/accessible-resources lists the sites, calls go to /ex/jira/{cloudid}/rest/api/3.
    # Both Atlassian hosts are this server. Data Center: a personal access token as `Authorization: Bearer`.
    def add_pat(self, account_id: str) -> str:
        token = secrets.token_urlsafe(24)
        self._pats[token] = account_id
        return token

    def authorize(self, account_id: str, redirect_uri: str) -> str:
        """What the person's consent at auth.atlassian.com/authorize sends back to redirect_uri: a one-time code."""
        code = secrets.token_urlsafe(16)
        self._codes[code] = (account_id, redirect_uri)
        return code

    def revoke_grants(self, account_id: str) -> None:
        self._access = {t: v for t, v in self._access.items() if v[0] != account_id}
        self._refresh = {t: a for t, a in self._refresh.items() if a != account_id}

    def _grant(self, account_id: str) -> web.Response:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self._access[access] = (account_id, self.clock() + self.access_token_ttl_s)
        self._refresh[refresh] = account_id
        return web.json_response({"access_token": access, "expires_in": self.access_token_ttl_s,
                                  "token_type": "Bearer", "refresh_token": refresh,
                                  "scope": "read:jira-work write:jira-work read:jira-user offline_access"})

    def _oauth(self, request: web.Request, body: Any) -> web.Response:
        if request.path == "/oauth/token/accessible-resources" and request.method == "GET":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            held = self._access.get(token)
            if held is None or held[1] <= self.clock():
                return web.json_response({"code": 401, "message": "Unauthorized"}, status=401)
            return web.json_response([{"id": self.cloud_id, "url": self.url, "name": "example", "avatarUrl": "",
                                       "scopes": ["read:jira-work", "write:jira-work"]}])
        if request.path != "/oauth/token" or request.method != "POST" or not isinstance(body, dict):
            return web.json_response({"error": "invalid_request"}, status=400)
        if (body.get("client_id"), body.get("client_secret")) != (self.oauth_client_id, self.oauth_client_secret):
            return web.json_response({"error": "access_denied", "error_description": "Unauthorized"}, status=401)
        if body.get("grant_type") == "authorization_code":
            held_code = self._codes.pop(str(body.get("code")), None)
            if held_code is None or held_code[1] != body.get("redirect_uri"):
                return web.json_response({"error": "invalid_grant",
                                          "error_description": "Invalid authorization code"}, status=403)
            return self._grant(held_code[0])
        if body.get("grant_type") == "refresh_token":
            account = self._refresh.pop(str(body.get("refresh_token")), None)
            if account is None:
                return web.json_response({"error": "invalid_grant",
                                          "error_description": "Unknown or invalid refresh token."}, status=403)
            return self._grant(account)
        return web.json_response({"error": "unsupported_grant_type"}, status=400)

    def _person(self, request: web.Request, header: str) -> User | None:
        token = header.removeprefix("Bearer ")
        if self.flavor == "dc":
            account = self._pats.get(token)
        else:
            held = self._access.get(token)
            gateway = request.path.startswith(f"/ex/jira/{self.cloud_id}/")
            account = held[0] if held is not None and held[1] > self.clock() and gateway else None
        return self._users.get(account) if account else None

    def _auth(self, request: web.Request) -> User | None:
        if self._revoked:
            return None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and (person := self._person(request, header)) is not None:
            return person
        if self.flavor == "cloud":
            if not header.startswith("Basic "):
                return None
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode()
            except (ValueError, UnicodeDecodeError):
                return None
            return self._users[BOT_ACCOUNT_ID] if decoded == f"{self.email}:{self.api_token}" else None
        return self._users[BOT_ACCOUNT_ID] if header == f"Bearer {self.pat}" else None

    def _answer(self, request: web.Request, raw: bytes, body: Any, bad_json: bool) -> web.Response:
        user = self._auth(request)
        if user is None:
            return _errors([NOT_AUTHENTICATED], status=401,
                           headers={"WWW-Authenticate": 'Basic realm="protected-area"' if self.flavor == "cloud"
                                    else 'Bearer realm="Jira"'})
        path = request.path.removeprefix(f"/ex/jira/{self.cloud_id}")
        if not path.startswith(self.prefix + "/"):
            return _errors([f"null for uri: {request.url}"], status=404)
        sub = path[len(self.prefix):]
        matched = [(m, p.match(sub), t, h) for m, p, t, h in self._routes if p.match(sub)]
        if not matched:
            return _errors([f"null for uri: {request.url}"], status=404)
        route = next((r for r in matched if r[0] == request.method), None)
        if route is None:
            return web.Response(status=405, headers={"Allow": ", ".join(sorted({r[0] for r in matched}))})
        method, match, template, handler = route
        assert match is not None
        failure = self._failures.first(lambda f: (f[1] is None or f[1] in path)
                                       and (f[2] is None or f[2] == request.method))
        if failure is not None:
            if failure[3]:  # let this one through
                failure[3] -= 1
            else:
                self._failures.take(lambda f: f is failure)
                return self._injected(failure[0])
        if (limited := self._burst_limited(method, template)) is not None:
            return limited
        params = match.groupdict()
        if method in ("POST", "PUT", "DELETE") and "key" in params and template.startswith("/issue/"):
            issue = self._lookup(params["key"])
            if issue is not None and (limited := self._issue_write_limited(issue.key)) is not None:
                return limited
        if template == "/issue/{key}/attachments":  # multipart, not JSON: checked by its handler
            return handler(_Call(method, template, params, request, None, user, raw))
        if raw and method in ("POST", "PUT"):
            if request.content_type != "application/json":
                return _errors(["Unsupported Media Type: send Content-Type: application/json"], status=415)
            if bad_json:
                return _errors(["Unexpected character in the request body: it is not JSON."])
        answer = handler(_Call(method, template, params, request, body, user))
        if method in ("POST", "PUT", "DELETE") and answer.status < 300:
            self.writes.append((method, sub, user.account_id))
        return answer

    def _injected(self, status: int) -> web.Response:
        if status == 429:
            return self._too_many("jira-burst-based", 1, self.burst_per_s)
        headers = {"Retry-After": "1"} if status == 503 else None
        message = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
                   401: NOT_AUTHENTICATED, 403: "Forbidden", 404: ISSUE_NOT_FOUND}.get(status, "Error")
        return _errors([message], status=status, headers=headers)

    def _too_many(self, reason: str, retry_after: int, limit: int) -> web.Response:
        reset = (self._now() + timedelta(seconds=retry_after)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return web.json_response({"errorMessages": ["Rate limit exceeded."], "errors": {}}, status=429, headers={
            "Retry-After": str(retry_after), "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset, "RateLimit-Reason": reason})

    def _burst_limited(self, method: str, template: str) -> web.Response | None:
        now = self.clock()
        second = int(now)
        key = (method, template)
        window, used = self._burst.get(key, (second, 0))
        if window != second:
            window, used = second, 0
        if used >= self.burst_per_s:
            return self._too_many("jira-burst-based", max(1, math.ceil(second + 1 - now)), self.burst_per_s)
        self._burst[key] = (window, used + 1)
        return None

    def _issue_write_limited(self, key: str) -> web.Response | None:
        if not self.per_issue_write_limits:
            return None
        now = self.clock()
        writes = self._issue_writes.setdefault(key, deque())
        longest = max(w for _, w in self.per_issue_write_limits)
        while writes and now - writes[0] >= longest:
            writes.popleft()
        for limit, window in self.per_issue_write_limits:
            recent = [t for t in writes if now - t < window]
            if len(recent) >= limit:
                wait = recent[-limit] + window - now
                return self._too_many("jira-per-issue-on-write", max(1, math.ceil(wait)), limit)
        writes.append(now)
        return None

    # ---- handlers: read-only resources ----------------------------------------------------------------------------
    def _h_myself(self, c: _Call) -> web.Response:
        out = self._user_json(c.user)
        assert out is not None
        out["locale"] = "en_US"
        return self._json(c, out)

    def _json(self, c: _Call, data: Any, status: int = 200) -> web.Response:
        headers = {"X-AAccountId": c.user.account_id} if self.flavor == "cloud" else None
        return web.json_response(data, status=status, headers=headers)

    def _h_server_info(self, c: _Call) -> web.Response:
        cloud = self.flavor == "cloud"
        version = [1001, 0, 0] if cloud else [9, 12, 15]
        return self._json(c, {
            "baseUrl": self.url, "displayUrl": self.url, "version": ".".join(map(str, version)) + ("-SNAPSHOT" if cloud else ""),
            "versionNumbers": version, "deploymentType": "Cloud" if cloud else "Server", "buildNumber": 100282,
            "buildDate": "2026-11-20T00:00:00.000+0000", "serverTime": jira_time(self._now()),
            "scmInfo": "0123456789abcdef", "serverTitle": "Jira", "serverTimeZone": "UTC"})

    def _h_fields(self, c: _Call) -> web.Response:
        out = []
        for fid, d in FIELDS.items():
            entry: dict[str, Any] = {"id": fid, "key": fid, "name": d.name, "custom": d.custom,
                                     "orderable": d.orderable, "navigable": d.navigable, "searchable": d.searchable,
                                     "clauseNames": list(d.clause_names)}
            if d.schema:
                entry["schema"] = dict(d.schema)
            out.append(entry)
        return self._json(c, out)

    def _h_statuses(self, c: _Call) -> web.Response:
        return self._json(c, [self._status_json(name) for name in STATUSES])

    def _h_project(self, c: _Call) -> web.Response:
        try:
            project = self._project(c.params["key"])
        except KeyError:
            return _errors([f"No project could be found with key '{c.params['key']}'."], status=404)
        return self._json(c, self._project_json(project, full=True))

    def _h_versions(self, c: _Call) -> web.Response:
        try:
            project = self._project(c.params["key"])
        except KeyError:
            return _errors([f"No project could be found with key '{c.params['key']}'."], status=404)
        return self._json(c, [self._version_json(v) for v in self._versions.values() if v.project == project.key])

    def _h_user_search(self, c: _Call) -> web.Response:
        q = c.request.query
        users = list(self._users.values())
        if self.flavor == "cloud":
            if "accountId" in q:
                found = [u for u in users if u.account_id == q["accountId"]]
            elif q.get("query"):
                needle = q["query"].lower()
                found = [u for u in users if needle in u.display_name.lower() or u.email.lower().startswith(needle)]
            else:
                return _errors(["The query parameter 'query' or 'accountId' or 'property' is required."])
        else:
            if not q.get("username"):
                return _errors(["The username query parameter was not provided"])
            needle = q["username"].lower()
            found = [u for u in users if u.name.lower().startswith(needle) or needle in u.display_name.lower()
                     or u.email.lower().startswith(needle)]
        paging = _paging(q, 50)
        if isinstance(paging, web.Response):
            return paging
        start, limit = paging
        return self._json(c, [self._user_json(u) for u in found[start:start + limit]])

    def _h_get_issue(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        fids = self._field_selection(c.request.query.getall("fields", []), "*all")
        expand = {e.strip().lower() for e in c.request.query.get("expand", "").split(",") if e.strip()}
        return self._json(c, self._issue_json(issue, fids, expand, user=c.user))

    def _h_get_transitions(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        transitions = self._transitions_json(issue, c.user)
        if (tid := c.request.query.get("transitionId")) is not None:
            transitions = [t for t in transitions if t["id"] == tid]
        if "transitions.fields" in c.request.query.get("expand", ""):
            for t in transitions:
                t["fields"] = {}
        return self._json(c, {"expand": "transitions", "transitions": transitions})

    def _h_get_comments(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        comments = list(self._comments[issue.id])
        if c.request.query.get("orderBy", "created").startswith("-"):
            comments.reverse()
        paging = _paging(c.request.query, 100)
        if isinstance(paging, web.Response):
            return paging
        start, limit = paging
        return self._json(c, {"startAt": start, "maxResults": limit, "total": len(comments),
                              "comments": comments[start:start + limit]})

    def _h_get_worklogs(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        logs = self._worklogs[issue.id]
        paging = _paging(c.request.query, 5000)
        if isinstance(paging, web.Response):
            return paging
        start, limit = paging
        return self._json(c, {"startAt": start, "maxResults": limit, "total": len(logs),
                              "worklogs": logs[start:start + limit]})

    # ---- handlers: writes -------------------------------------------------------------------------------------------
    def _body_error(self, key: str, value: Any, *, required: bool) -> str | None:
        """Why a rich-text value (comment body, worklog comment, description) is refused for this flavor."""
        if value is None:
            return "Comment body can not be empty!" if required else None
        if self.flavor == "cloud":
            if adf_error(value) is not None:
                return NOT_ADF
            if required and not adf_text(value) and not _has_leaf(value):
                return "Comment body can not be empty!"
            return None
        if not isinstance(value, str):
            return "Can not deserialize instance of java.lang.String out of START_OBJECT token"
        if required and not value.strip():
            return "Comment body can not be empty!"
        return None

    def _rich_text_refused(self, c: _Call, key: str, value: Any, *, required: bool) -> web.Response | None:
        err = self._body_error(key, value, required=required)
        if err is None:
            return None
        self._detail = adf_error(value) if self.flavor == "cloud" and value is not None else None
        if err.startswith("Can not deserialize"):
            return _errors([err])
        return _errors([], {key: err})

    def _h_add_comment(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        if not isinstance(c.body, dict):
            return _errors(["No content to map to Object due to end of input"])
        if (refused := self._rich_text_refused(c, "comment", c.body.get("body"), required=True)) is not None:
            return refused
        comment = self._add_comment(issue, c.body["body"], c.user, c.body.get("visibility"))
        return self._json(c, comment, 201)

    def _add_comment(self, issue: _Issue, body: Any, author: User, visibility: Any) -> dict[str, Any]:
        comment = self._comment_json(issue, str(next(self._ids)), body, author,
                                     visibility if isinstance(visibility, dict) else None)
        self._comments[issue.id].append(comment)
        issue.updated = self._now()
        self._changed()
        return comment

    def _h_add_attachments(self, c: _Call) -> web.Response:
        """addAttachment: multipart/form-data, every part named `file`, and the header X-Atlassian-Token: no-check
        or the XSRF check blocks it (403); 413 past the site's attachment size limit; 200 with the attachments
        (spec: POST /rest/api/3/issue/{issueIdOrKey}/attachments)."""
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        if c.request.headers.get("X-Atlassian-Token") != "no-check":
            return web.Response(status=403, text="XSRF check failed")
        if c.request.content_type != "multipart/form-data":
            return _errors(["the request is not multipart/form-data"], status=415)
        parts = _multipart(c.raw, c.request.headers.get("Content-Type", ""))
        if not parts or any(name != "file" or not filename for name, filename, _, _ in parts):
            return _errors(["Attachments must be sent in parts named 'file', each with a filename"])
        if any(len(data) > self.attachment_max_bytes for _, _, _, data in parts):
            return _errors([f"The file is larger than the attachment size limit of {self.attachment_max_bytes} "
                            "bytes"], status=413)
        made = []
        for _, filename, kind, data in parts:
            aid = str(next(self._ids))
            attachment = {"self": f"{self.api_url}/attachment/{aid}", "id": aid, "filename": filename,
                          "author": self._user_json(c.user), "created": jira_time(self._now()), "size": len(data),
                          "mimeType": kind, "content": f"{self.url}/rest/api/3/attachment/content/{aid}"}
            self.attachments.setdefault(issue.key, []).append({**attachment, "data": data})
            made.append(attachment)
        issue.updated = self._now()
        self._changed()
        return self._json(c, made)

    def _h_add_worklog(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        body = c.body
        if not isinstance(body, dict):
            return _errors(["No content to map to Object due to end of input"])
        errors: dict[str, str] = {}
        started = parse_started(body.get("started"))
        if "started" not in body:
            errors["started"] = "You must specify a valid date/time for the 'Date Started' field."
        elif started is None:
            errors["started"] = ("Invalid date format. Please enter the date in the format "
                                 "\"yyyy-MM-dd'T'HH:mm:ss.SSSZ\", e.g. 2021-01-17T12:34:00.000+0000.")
        seconds: int | None = None
        if "timeSpentSeconds" in body:
            value = body["timeSpentSeconds"]
            if isinstance(value, float) and value.is_integer():  # Jackson reads 5400.0 as a long too
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                seconds = value
            else:
                errors["timeLogged"] = "Time Spent must be a positive number of seconds."
        elif "timeSpent" in body:
            seconds = parse_duration(body["timeSpent"])
            if not seconds:
                errors["timeLogged"] = "Invalid time duration entered."
        else:
            errors["timeLogged"] = "You must indicate the time spent working."
        if (refused := self._rich_text_refused(c, "comment", body.get("comment"), required=False)) is not None:
            return refused
        q = c.request.query
        adjust = q.get("adjustEstimate", "auto")
        new_remaining: int | None = issue.remaining_s
        if adjust not in ("auto", "leave", "new", "manual"):
            errors["adjustEstimate"] = f"Invalid value for adjustEstimate: '{adjust}'."
        elif adjust == "new":
            new_remaining = parse_duration(q.get("newEstimate"))
            if new_remaining is None:
                errors["newEstimate"] = "You must supply a valid new estimate."
        elif adjust == "manual":
            reduce_by = parse_duration(q.get("reduceBy"))
            if reduce_by is None:
                errors["reduceBy"] = "You must supply a valid amount of time to reduce the estimate by."
            elif new_remaining is not None:
                new_remaining = max(0, new_remaining - reduce_by)
        if errors:
            return _errors([], errors)
        assert seconds is not None and started is not None
        if adjust == "auto" and new_remaining is not None:
            new_remaining = max(0, new_remaining - seconds)
        issue.spent_s += seconds
        issue.remaining_s = new_remaining
        now = jira_time(self._now())
        wid = str(next(self._ids))
        worklog: dict[str, Any] = {"self": self._self(f"/issue/{issue.id}/worklog/{wid}"),
                                   "author": self._user_json(c.user), "updateAuthor": self._user_json(c.user)}
        if body.get("comment") is not None:
            worklog["comment"] = body["comment"]
        worklog.update({"created": now, "updated": now, "started": jira_time(started),
                        "timeSpent": format_duration(seconds), "timeSpentSeconds": seconds, "id": wid,
                        "issueId": issue.id})
        self._worklogs[issue.id].append(worklog)
        issue.updated = self._now()
        self._changed()
        return self._json(c, worklog, 201)

    def _h_delete_worklog(self, c: _Call) -> web.Response:
        """DELETE /issue/{key}/worklog/{id}: 204; 404 when the issue or the worklog is not there; adjustEstimate
        auto (the default) gives the entry's time back to the remaining estimate, leave keeps it, new sets it,
        manual adds increaseBy."""
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        logs = self._worklogs[issue.id]
        found = next((w for w in logs if w["id"] == c.params["id"]), None)
        if found is None:
            return _errors([f"Cannot find worklog with id: {c.params['id']}"], status=404)
        q = c.request.query
        adjust, seconds = q.get("adjustEstimate", "auto"), int(found["timeSpentSeconds"])
        remaining = issue.remaining_s
        if adjust == "auto" and remaining is not None:
            remaining += seconds
        elif adjust == "new":
            remaining = parse_duration(q.get("newEstimate"))
            if remaining is None:
                return _errors([], {"newEstimate": "You must supply a valid new estimate."})
        elif adjust == "manual":
            increase = parse_duration(q.get("increaseBy"))
            if increase is None:
                return _errors([], {"increaseBy": "You must supply a valid amount of time to increase the estimate by."})
            remaining = (remaining or 0) + increase
        elif adjust not in ("auto", "leave"):
            return _errors([], {"adjustEstimate": f"Invalid value for adjustEstimate: '{adjust}'."})
        logs.remove(found)
        issue.spent_s = max(0, issue.spent_s - seconds)
        issue.remaining_s = remaining
        issue.updated = self._now()
        self.deleted_worklogs.append((issue.key, str(found["id"])))
        self._changed()
        return web.Response(status=204)

    def _h_do_transition(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        body = c.body
        if not isinstance(body, dict):
            return _errors(["No content to map to Object due to end of input"])
        wanted = body.get("transition")
        tid = wanted.get("id") if isinstance(wanted, dict) else None
        if isinstance(tid, int) and not isinstance(tid, bool):
            tid = str(tid)
        if not isinstance(tid, str):
            return _errors(["Missing 'transition' identifier"])
        available = {t["id"] for t in self._transitions_json(issue, c.user)}
        if tid not in available:
            return _errors([f"Transition id '{tid}' is not valid for this issue."])
        fields = body.get("fields") or {}
        if not isinstance(fields, dict):
            return _errors(["Can not deserialize instance of java.util.LinkedHashMap"])
        if fields:  # no transition of this workflow has a screen
            return _errors([], {f: f"Field '{f}' cannot be set. It is not on the appropriate screen, or unknown."
                                for f in fields})
        comments, err = self._comment_updates(c, body.get("update") or {}, allow_only_comment=True)
        if err is not None:
            return err
        transition = next(t for t in WORKFLOW[issue.status] if t.id == tid)
        self._set_status(issue, transition.to)
        for text in comments:
            self._add_comment(issue, text, c.user, None)
        issue.updated = self._now()
        self._changed()
        return web.Response(status=204)

    def _comment_updates(self, c: _Call, update: Any, *, allow_only_comment: bool
                         ) -> tuple[list[Any], web.Response | None]:
        """The bodies of update.comment[].add, checked; other update keys refused when allow_only_comment."""
        if not isinstance(update, dict):
            return [], _errors(["Can not deserialize instance of java.util.LinkedHashMap"])
        bodies: list[Any] = []
        for name, ops in update.items():
            if name != "comment":
                if allow_only_comment:
                    return [], _errors([], {name: f"Field '{name}' cannot be set. It is not on the appropriate "
                                                  "screen, or unknown."})
                continue
            if not isinstance(ops, list):
                return [], _errors(["Can not deserialize instance of java.util.ArrayList out of START_OBJECT token"])
            for op in ops:
                if not isinstance(op, dict) or set(op) != {"add"} or not isinstance(op["add"], dict):
                    return [], _errors([], {"comment": "Only 'add' is supported for comments here."})
                body = op["add"].get("body")
                if (refused := self._rich_text_refused(c, "comment", body, required=True)) is not None:
                    return [], refused
                bodies.append(body)
        return bodies, None

    _EDITABLE = ("summary", "assignee", "duedate", "priority", "fixVersions", "labels", "description",
                 PROGRESS_FIELD, "timetracking")

    def _check_field(self, issue_project: str | None, name: str, value: Any,
                     apply: list[Callable[[_Issue], None]]) -> str | None:
        """Validate one `fields` value; on success queue its setter in `apply` and return None."""
        if name == "summary":
            if not isinstance(value, str) or not value.strip():
                return "You must specify a summary of the issue."
            if len(value) > 255:
                return "Summary must be less than 255 characters."
            apply.append(_setter("summary", value))
        elif name == "assignee":
            if value is None:
                apply.append(_setter("assignee", None))
                return None
            id_keys = ("accountId", "id") if self.flavor == "cloud" else ("name", "key")
            ref = next((value[k] for k in id_keys if isinstance(value, dict) and isinstance(value.get(k), str)), None)
            user = None
            if ref is not None:
                user = (self._users.get(ref) if self.flavor == "cloud"
                        else next((u for u in self._users.values() if u.name == ref), None))
            if user is None:
                shown = ref if ref is not None else json.dumps(value)
                return f"User '{shown}' does not exist."
            account = user.account_id
            apply.append(_setter("assignee", account))
        elif name == "duedate":
            if value is None:
                apply.append(_setter("duedate", None))
                return None
            try:
                if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                    raise ValueError(value)
                due = date.fromisoformat(value)
            except ValueError:
                return f"Error parsing date string: {value}"
            apply.append(_setter("duedate", due))
        elif name == "priority":
            pname = None
            if isinstance(value, dict):
                pname = value.get("name") if value.get("name") in PRIORITIES else next(
                    (n for n, pid in PRIORITIES.items() if pid == value.get("id")), None)
            if pname is None:
                return "The priority selected is invalid."
            apply.append(_setter("priority", pname))
        elif name == "fixVersions":
            if not isinstance(value, list):
                return "Operation value must be an array"
            version_ids: list[str] = []
            for ref in value:
                vid = None
                if isinstance(ref, dict):
                    vid = next((v.id for v in self._versions.values() if (issue_project is None or
                                v.project == issue_project) and (v.id == ref.get("id") or v.name == ref.get("name"))),
                               None)
                if vid is None:
                    what = ref.get("name") or ref.get("id") if isinstance(ref, dict) else ref
                    return f"Version name '{what}' is not valid"
                version_ids.append(vid)
            apply.append(_setter("fix_versions", version_ids))
        elif name == "labels":
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                return "Operation value must be an array of strings"
            for label in value:
                if " " in label:
                    return f"The label '{label}' contains spaces which is invalid."
            apply.append(_setter("labels", list(value)))
        elif name == "description":
            err = self._body_error("description", value, required=False)
            if err is not None:
                return err
            apply.append(_setter("description", value))
        elif name == PROGRESS_FIELD:
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                return "Operation value must be a number"
            number = None if value is None else float(value)
            apply.append(_setter("progress", number))
        elif name == "timetracking":
            if not isinstance(value, dict) or set(value) - {"originalEstimate", "remainingEstimate"}:
                return "Operation value must be an object with originalEstimate and/or remainingEstimate"
            parsed = {k: parse_duration(v) for k, v in value.items()}
            if any(v is None for v in parsed.values()):
                return "Invalid time duration entered."

            def set_tracking(i: _Issue) -> None:
                if "originalEstimate" in parsed:
                    i.original_s = parsed["originalEstimate"]
                    if "remainingEstimate" not in parsed and i.remaining_s is None:
                        i.remaining_s = parsed["originalEstimate"]
                if "remainingEstimate" in parsed:
                    i.remaining_s = parsed["remainingEstimate"]
            apply.append(set_tracking)
        else:
            return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
        return None

    def _h_edit_issue(self, c: _Call) -> web.Response:
        issue = self._lookup(c.params["key"])
        if issue is None:
            return _errors([ISSUE_NOT_FOUND], status=404)
        body = c.body
        if not isinstance(body, dict):
            return _errors(["No content to map to Object due to end of input"])
        fields = body.get("fields") or {}
        update = body.get("update") or {}
        if not isinstance(fields, dict) or not isinstance(update, dict):
            return _errors(["Can not deserialize instance of java.util.LinkedHashMap"])
        errors: dict[str, str] = {}
        apply: list[Callable[[_Issue], None]] = []
        for name, value in fields.items():
            if name in update:
                errors[name] = f"Field '{name}' cannot be set in both 'fields' and 'update'."
            elif (err := self._check_field(issue.project, name, value, apply)) is not None:
                errors[name] = err
        for name, ops in update.items():
            if name == "comment":
                continue
            if name not in self._EDITABLE or not isinstance(ops, list):
                errors[name] = f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                continue
            for op in ops:
                if not isinstance(op, dict) or len(op) != 1:
                    errors[name] = "Each update operation must be one of set, add, remove."
                    break
                verb, value = next(iter(op.items()))
                if verb == "set":
                    err = self._check_field(issue.project, name, value, apply)
                elif verb in ("add", "remove") and name in ("labels", "fixVersions"):
                    err = self._list_op(issue, name, verb, value, apply)
                else:
                    err = f"Operation '{verb}' is not supported for field '{name}'."
                if err is not None:
                    errors[name] = err
                    break
        comments, refused = self._comment_updates(c, update, allow_only_comment=False)
        if refused is not None:
            return refused
        if errors:
            return _errors([], errors)
        for setter in apply:
            setter(issue)
        for text in comments:
            self._add_comment(issue, text, c.user, None)
        issue.updated = self._now()
        self._changed()
        if c.request.query.get("returnIssue") == "true":
            return self._json(c, self._issue_json(issue, self._field_selection(None, "*all"), set()))
        return web.Response(status=204)

    def _list_op(self, issue: _Issue, name: str, verb: str, value: Any,
                 apply: list[Callable[[_Issue], None]]) -> str | None:
        if name == "labels":
            if not isinstance(value, str) or " " in value:
                return f"The label '{value}' contains spaces which is invalid."

            def label_op(i: _Issue) -> None:
                if verb == "add" and value not in i.labels:
                    i.labels.append(value)
                elif verb == "remove" and value in i.labels:
                    i.labels.remove(value)
            apply.append(label_op)
            return None
        probe: list[Callable[[_Issue], None]] = []
        err = self._check_field(issue.project, "fixVersions", [value], probe)
        if err is not None:
            return err
        vid = next(v.id for v in self._versions.values() if v.project == issue.project and isinstance(value, dict)
                   and (v.id == value.get("id") or v.name == value.get("name")))

        def version_op(i: _Issue) -> None:
            if verb == "add" and vid not in i.fix_versions:
                i.fix_versions.append(vid)
            elif verb == "remove" and vid in i.fix_versions:
                i.fix_versions.remove(vid)
        apply.append(version_op)
        return None

    def _h_create_issue(self, c: _Call) -> web.Response:
        body = c.body
        if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
            return _errors(["No content to map to Object due to end of input"])
        fields = dict(body["fields"])
        errors: dict[str, str] = {}
        project: Project | None = None
        ref = fields.pop("project", None)
        if isinstance(ref, dict):
            with_key = ref.get("key") or ref.get("id")
            if isinstance(with_key, str):
                try:
                    project = self._project(with_key)
                except KeyError:
                    project = None
        if project is None:
            errors["project"] = "Specify a valid project ID or key"
        itype = fields.pop("issuetype", None)
        type_name = None
        if isinstance(itype, dict):
            type_name = itype.get("name") if itype.get("name") in ISSUE_TYPES else next(
                (n for n, tid in ISSUE_TYPES.items() if tid == itype.get("id")), None)
        if itype is None:
            errors["issuetype"] = "Specify an issue type"
        elif type_name is None:
            errors["issuetype"] = "The issue type selected is invalid."
        if "summary" not in fields:
            errors["summary"] = "You must specify a summary of the issue."
        apply: list[Callable[[_Issue], None]] = []
        for name, value in fields.items():
            if (err := self._check_field(project.key if project else None, name, value, apply)) is not None:
                errors[name] = err
        comments, refused = self._comment_updates(c, body.get("update") or {}, allow_only_comment=True)
        if refused is not None:
            return refused
        if errors:
            return _errors([], errors)
        assert project is not None and type_name is not None
        key = self.add_issue(project.key, "", issuetype=type_name, reporter=c.user.account_id)
        issue = self._issues[key]
        for setter in apply:
            setter(issue)
        for text in comments:
            self._add_comment(issue, text, c.user, None)
        self._changed()
        return self._json(c, {"id": issue.id, "key": issue.key, "self": self._self(f"/issue/{issue.id}")}, 201)

    # ---- search -------------------------------------------------------------------------------------------------
    def _h_search_removed(self, c: _Call) -> web.Response:
        return _errors([SEARCH_REMOVED], status=410)

    def _search_params(self, c: _Call, allowed: set[str]) -> dict[str, Any] | web.Response:
        """GET query or POST body, normalised: jql str, maxResults int, fields list[str], expand str, …"""
        if c.method == "GET":
            q = c.request.query
            params: dict[str, Any] = {k: q.get(k) for k in ("jql", "nextPageToken", "expand", "validateQuery")
                                      if k in q}
            for k in ("maxResults", "startAt"):
                if k in q:
                    try:
                        params[k] = int(q[k])
                    except ValueError:
                        return _errors([f"The value '{q[k]}' is not a valid number for '{k}'."])
            if "fields" in q:
                params["fields"] = q.getall("fields")
            return params
        body = c.body
        if not isinstance(body, dict):
            return _errors(["No content to map to Object due to end of input"])
        unknown = set(body) - allowed
        if unknown:
            name = sorted(unknown)[0]
            return _errors([f'Unrecognized field "{name}": not one of {sorted(allowed)}'])
        types: dict[str, Any] = {"jql": str, "nextPageToken": str, "maxResults": int,
                                 "expand": str if self.flavor == "cloud" else (str, list),
                                 "startAt": int, "fields": list, "properties": list, "fieldsByKeys": bool,
                                 "reconcileIssues": list, "validateQuery": str, "failFast": bool}
        for k, v in body.items():
            if not isinstance(v, types[k]) or (types[k] is int and isinstance(v, bool)):
                expected = "a comma-separated string" if k == "expand" else types[k].__name__
                return _errors([f"Can not deserialize the value of '{k}': expected {expected}"])
        if "fields" in body and not all(isinstance(f, str) for f in body["fields"]):
            return _errors(["Can not deserialize the value of 'fields': expected strings"])
        return dict(body)

    def _run(self, query: JqlQuery, user: User) -> list[_Issue]:
        cache_key = (query, user.account_id, self._version, int(self.clock()) // 60)
        if self._search_cache is not None and self._search_cache[0] == cache_key:
            return self._search_cache[1]
        pred = self._compile(query.where, user) if query.where is not None else None
        found = [i for i in self._issues.values() if pred is None or pred(i)]
        for name, desc in reversed(query.order):
            get = self._sort_key(name)

            def key(issue: _Issue, get: Callable[[_Issue], Any] = get) -> tuple[int, Any]:
                value = get(issue)
                return (1, 0) if value is None else (0, value)
            found.sort(key=key, reverse=desc)
        self._search_cache = (cache_key, found)
        return found

    def _h_search_jql(self, c: _Call) -> web.Response:
        allowed = {"jql", "nextPageToken", "maxResults", "fields", "expand", "properties", "fieldsByKeys",
                   "reconcileIssues"}
        params = self._search_params(c, allowed)
        if isinstance(params, web.Response):
            return params
        jql = params.get("jql") or ""
        try:
            query = parse_jql(jql)
            if query.where is None:
                raise JqlError(UNBOUNDED_JQL)
            if len(query.order) > ORDER_BY_MAX_FIELDS:
                raise JqlError(f"The ORDER BY clause can contain at most {ORDER_BY_MAX_FIELDS} fields.")
            found = self._run(query, c.user)
        except JqlError as exc:
            return _errors([str(exc)])
        limit = max(1, min(int(params.get("maxResults", 50)), SEARCH_MAX_RESULTS))
        offset = 0
        if (token := params.get("nextPageToken")) is not None:
            saved = self._page_tokens.get(token)
            if saved is None or saved[0] != jql:
                return _errors([BAD_PAGE_TOKEN])
            offset = saved[1]
        fids = self._field_selection(params.get("fields"), "id")
        expand = {e.strip().lower() for e in str(params.get("expand") or "").split(",") if e.strip()}
        page = found[offset:offset + limit]
        out: dict[str, Any] = {"issues": [self._issue_json(i, fids, expand, names_inline=False, user=c.user)
                                   for i in page]}
        if offset + limit < len(found):
            new_token = secrets.token_urlsafe(24)
            self._page_tokens[new_token] = (jql, offset + limit)
            out["nextPageToken"] = new_token
            out["isLast"] = False
        else:
            out["isLast"] = True
        if "names" in expand:
            out["names"] = {f: FIELDS[f].name for f in fids}
        if "schema" in expand:
            out["schema"] = {f: FIELDS[f].schema for f in fids if FIELDS[f].schema}
        return self._json(c, out)

    def _h_search_dc(self, c: _Call) -> web.Response:
        allowed = {"jql", "startAt", "maxResults", "fields", "expand", "properties", "fieldsByKeys",
                   "validateQuery"}
        params = self._search_params(c, allowed)
        if isinstance(params, web.Response):
            return params
        if isinstance(params.get("expand"), list):
            params["expand"] = ",".join(params["expand"])
        try:
            found = self._run(parse_jql(params.get("jql") or ""), c.user)
        except JqlError as exc:
            return _errors([str(exc)])
        start = max(0, int(params.get("startAt", 0)))
        limit = max(0, min(int(params.get("maxResults", 50)), SEARCH_MAX_RESULTS))
        fids = self._field_selection(params.get("fields"), "*navigable")
        expand = {e.strip().lower() for e in str(params.get("expand") or "").split(",") if e.strip()}
        issues = [self._issue_json(i, fids, expand, user=c.user) for i in found[start:start + limit]]
        return self._json(c, {"expand": "schema,names", "startAt": start, "maxResults": limit,
                              "total": len(found), "issues": issues})

    # ---- JQL evaluation ---------------------------------------------------------------------------------------------
    def _compile(self, node: JqlNode, user: User) -> Pred:
        if isinstance(node, JqlBool):
            preds = [self._compile(p, user) for p in node.parts]
            if node.kind == "and":
                return lambda i: all(p(i) for p in preds)
            return lambda i: any(p(i) for p in preds)
        if isinstance(node, JqlNot):
            inner = self._compile(node.part, user)
            return lambda i: not inner(i)
        return self._clause(node, user)

    def _clause(self, c: JqlClause, user: User) -> Pred:
        spec = self._jql_fields(user).get(c.field.lower())
        if spec is None:
            raise JqlError(f"Field '{c.field}' does not exist or you do not have permission to view it.")
        if c.op not in spec.ops:
            raise JqlError(f"The operator '{c.op}' is not supported by the '{c.field}' field.")
        get = spec.get
        if c.op in ("is", "is not"):
            if not isinstance(c.operand, JqlEmpty):
                raise JqlError(f"The operator '{c.op}' only supports the use of EMPTY or NULL.")
            return (lambda i: not get(i)) if c.op == "is" else (lambda i: bool(get(i)))
        if c.op in ("in", "not in"):
            items = c.operand.items if isinstance(c.operand, JqlList) else (c.operand,)
            wanted: set[Any] = set()
            with_empty = False
            for item in items:
                resolved = None if isinstance(item, JqlEmpty) else spec.resolve(item)
                if resolved is None:
                    with_empty = True
                else:
                    wanted |= resolved
            if c.op == "in":
                return lambda i: any(v in wanted for v in get(i)) or (with_empty and not get(i))
            return lambda i: bool(get(i)) and not any(v in wanted for v in get(i))
        if isinstance(c.operand, JqlList):
            raise JqlError(f"The operator '{c.op}' does not support a list of values for field '{c.field}'.")
        if c.op in ("~", "!~"):
            if not isinstance(c.operand, JqlValue):
                raise JqlError(f"The operator '{c.op}' only supports text values.")
            words = c.operand.text.lower().strip("*").split()

            def has(i: _Issue) -> bool:
                return any(all(w in str(v).lower() for w in words) for v in get(i))
            return has if c.op == "~" else (lambda i: bool(get(i)) and not has(i))
        resolved = None if isinstance(c.operand, JqlEmpty) else spec.resolve(c.operand)
        if c.op in ("=", "!="):
            if resolved is None:
                return (lambda i: not get(i)) if c.op == "=" else (lambda i: bool(get(i)))
            values = resolved
            if c.op == "=":
                return lambda i: any(v in values for v in get(i))
            return lambda i: bool(get(i)) and not any(v in values for v in get(i))
        if resolved is None or len(resolved) != 1 or spec.cmp is None:
            raise JqlError(f"The operator '{c.op}' is not supported by the '{c.field}' field.")
        bound = next(iter(resolved))
        cmp = spec.cmp
        test: Callable[[int], bool] = {">": lambda r: r > 0, ">=": lambda r: r >= 0, "<": lambda r: r < 0,
                                       "<=": lambda r: r <= 0}[c.op]

        def ordered(i: _Issue) -> bool:
            for v in get(i):
                r = cmp(v, bound)
                if r is not None and test(r):
                    return True
            return False
        return ordered

    def _jql_fields(self, user: User) -> dict[str, _JqlField]:
        def bad(field_name: str, item: JqlValue | JqlFunc) -> JqlError:
            if isinstance(item, JqlFunc):
                return JqlError(f"A value provided by the function '{item.name}' is invalid for the field "
                                f"'{field_name}'.")
            return JqlError(f"The value '{item.text}' does not exist for the field '{field_name}'.")

        def no_func(field_name: str, item: JqlValue | JqlFunc) -> str:
            if isinstance(item, JqlFunc):
                raise bad(field_name, item)
            return item.text

        def users(field_name: str) -> Callable[[JqlValue | JqlFunc], frozenset[Any] | None]:
            def resolve(item: JqlValue | JqlFunc) -> frozenset[Any]:
                if isinstance(item, JqlFunc):
                    if item.name.lower() == "currentuser":
                        return frozenset({user.account_id})
                    raise _unknown_function(item)
                if self.flavor == "cloud":
                    found = self._users.get(item.text)
                else:
                    found = next((u for u in self._users.values() if item.text in (u.name, u.account_id)), None)
                if found is None:
                    raise bad(field_name, item)
                return frozenset({found.account_id})
            return resolve

        def project(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func("project", item)
            found = next((p for p in self._projects.values()
                          if text.upper() == p.key or text == p.id or text.lower() == p.name.lower()), None)
            if found is None:
                raise bad("project", item)
            return frozenset({found.key})

        def status(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func("status", item)
            found = next((s.name for s in STATUSES.values() if text.lower() == s.name.lower() or text == s.id), None)
            if found is None:
                raise bad("status", item)
            return frozenset({found})

        def category(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func("statusCategory", item)
            found = next((k for k, cat in CATEGORIES.items()
                          if text.lower() in (cat.key, cat.name.lower()) or text == str(cat.id)), None)
            if found is None:
                raise bad("statusCategory", item)
            return frozenset({found})

        def key(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func("key", item)
            if text.isdigit():
                found = self._by_id.get(text)
            elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*-\d+", text):
                found = self._issues.get(text.upper())
            else:
                raise JqlError(f"The issue key '{text}' for field 'key' is invalid.")
            if found is None:
                raise JqlError(f"An issue with key '{text.upper()}' does not exist for field 'key'.")
            return frozenset({(found.project, found.num)})

        def priority(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func("priority", item)
            found = next((n for n, pid in PRIORITIES.items() if text.lower() == n.lower() or text == pid), None)
            if found is None:
                raise bad("priority", item)
            return frozenset({_weight(found)})

        def version(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func("fixVersion", item)
            found = frozenset(v.id for v in self._versions.values() if text.lower() == v.name.lower() or text == v.id)
            if not found:
                raise bad("fixVersion", item)
            return found

        def resolution(item: JqlValue | JqlFunc) -> frozenset[Any] | None:
            text = no_func("resolution", item)
            if text.lower() == "unresolved":
                return None
            found = next((n for n, rid in RESOLUTIONS.items() if text.lower() == n.lower() or text == rid), None)
            if found is None:
                raise bad("resolution", item)
            return frozenset({found})

        def issuetype(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func("issuetype", item)
            found = next((n for n, tid in ISSUE_TYPES.items() if text.lower() == n.lower() or text == tid), None)
            if found is None:
                raise bad("issuetype", item)
            return frozenset({found})

        def text_value(item: JqlValue | JqlFunc) -> frozenset[Any]:
            return frozenset({no_func("labels", item)})

        def dates(field_name: str) -> Callable[[JqlValue | JqlFunc], frozenset[Any]]:
            def resolve(item: JqlValue | JqlFunc) -> frozenset[Any]:
                return frozenset({self._jql_date(field_name, item)})
            return resolve

        def number(item: JqlValue | JqlFunc) -> frozenset[Any]:
            text = no_func(PROGRESS_FIELD_NAME, item)
            try:
                return frozenset({float(text)})
            except ValueError:
                raise JqlError(f"The value '{text}' is not a valid number for the field "
                               f"'{PROGRESS_FIELD_NAME}'.") from None

        def key_cmp(a: Any, b: Any) -> int | None:
            return None if a[0] != b[0] else _cmp(a[1], b[1])

        def due(i: _Issue) -> tuple[Any, ...]:
            return (datetime(i.duedate.year, i.duedate.month, i.duedate.day, tzinfo=UTC),) if i.duedate else ()

        eq, ordered = _EQ_OPS, _EQ_OPS | _ORD_OPS
        key_field = _JqlField("key", lambda i: ((i.project, i.num),), key,
                              frozenset({"=", "!=", "in", "not in"}) | _ORD_OPS, key_cmp)
        created = _JqlField("created", lambda i: (i.created,), dates("created"), ordered, _cmp)
        updated = _JqlField("updated", lambda i: (i.updated,), dates("updated"), ordered, _cmp)
        resolved = _JqlField("resolutiondate", lambda i: (i.resolved,) if i.resolved else (),
                             dates("resolutiondate"), ordered, _cmp)
        due_field = _JqlField("duedate", due, dates("duedate"), ordered, _cmp)
        progress = _JqlField(PROGRESS_FIELD_NAME, lambda i: (i.progress,) if i.progress is not None else (),
                             number, ordered, _cmp)
        issuetype_field = _JqlField("issuetype", lambda i: (i.issuetype,), issuetype, eq)
        return {
            "project": _JqlField("project", lambda i: (i.project,), project, eq),
            "assignee": _JqlField("assignee", lambda i: (i.assignee,) if i.assignee else (), users("assignee"), eq),
            "reporter": _JqlField("reporter", lambda i: (i.reporter,) if i.reporter else (), users("reporter"), eq),
            "status": _JqlField("status", lambda i: (i.status,), status, eq),
            "statuscategory": _JqlField("statusCategory", lambda i: (STATUSES[i.status].category.key,), category, eq),
            "key": key_field, "issuekey": key_field, "issue": key_field, "id": key_field,
            "priority": _JqlField("priority", lambda i: (_weight(i.priority),), priority, ordered, _cmp),
            "fixversion": _JqlField("fixVersion", lambda i: tuple(i.fix_versions), version, eq),
            "resolution": _JqlField("resolution", lambda i: (i.resolution,) if i.resolution else (), resolution, eq),
            "issuetype": issuetype_field, "type": issuetype_field,
            "labels": _JqlField("labels", lambda i: tuple(i.labels), text_value, eq),
            "summary": _JqlField("summary", lambda i: (i.summary,), text_value, _TEXT_OPS),
            "created": created, "createddate": created, "updated": updated, "updateddate": updated,
            "resolutiondate": resolved, "resolved": resolved, "duedate": due_field, "due": due_field,
            PROGRESS_FIELD: progress, "cf[10050]": progress, PROGRESS_FIELD_NAME.lower(): progress,
        }

    def _jql_date(self, field_name: str, item: JqlValue | JqlFunc) -> datetime:
        now = self._now()
        if isinstance(item, JqlFunc):
            name = item.name.lower()
            day = now.replace(hour=0, minute=0, second=0, microsecond=0)
            week = day - timedelta(days=day.weekday() + 1 if day.weekday() != 6 else 0)  # weeks start on Sunday
            month = day.replace(day=1)
            next_month = (month + timedelta(days=32)).replace(day=1)
            bases = {"now": now, "startofday": day, "endofday": day + timedelta(days=1, microseconds=-1000),
                     "startofweek": week, "endofweek": week + timedelta(days=7, microseconds=-1000),
                     "startofmonth": month, "endofmonth": next_month - timedelta(microseconds=1000)}
            if name not in bases:
                raise _unknown_function(item)
            base = bases[name]
            if item.args:
                shift = _jql_period(item.args[0])
                if shift is None:
                    raise JqlError(f"Date value '{item.args[0]}' for function '{item.name}' is invalid.")
                base += shift
            return base
        text = item.text.strip()
        for fmt in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC)
            except ValueError:
                continue
        shift = _jql_period(text)
        if shift is not None:
            return now + shift
        raise JqlError(f"Date value '{item.text}' for field '{field_name}' is invalid. Valid formats include: "
                       "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format "
                       "e.g. '-5d', '4w 2d'.")

    def _sort_key(self, name: str) -> Callable[[_Issue], Any]:
        keys: dict[str, Callable[[_Issue], Any]] = {
            "key": lambda i: (i.project, i.num), "issuekey": lambda i: (i.project, i.num),
            "id": lambda i: int(i.id), "rank": lambda i: int(i.id),
            "created": lambda i: i.created, "updated": lambda i: i.updated,
            "duedate": lambda i: i.duedate, "due": lambda i: i.duedate,
            "resolutiondate": lambda i: i.resolved, "resolved": lambda i: i.resolved,
            "priority": lambda i: _weight(i.priority), "status": lambda i: list(STATUSES).index(i.status),
            "summary": lambda i: i.summary.lower(), "issuetype": lambda i: i.issuetype,
            "type": lambda i: i.issuetype, "project": lambda i: i.project,
            "assignee": lambda i: self._users[i.assignee].display_name.lower() if i.assignee else None,
            PROGRESS_FIELD: lambda i: i.progress, "cf[10050]": lambda i: i.progress,
            PROGRESS_FIELD_NAME.lower(): lambda i: i.progress,
        }
        get = keys.get(name.lower())
        if get is None:
            if name.lower() in self._jql_fields(self._users[BOT_ACCOUNT_ID]):
                raise JqlError(f"Not able to sort using field '{name}'.")
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
        return get


def _unknown_function(item: JqlFunc) -> JqlError:
    return JqlError(f"Unable to find JQL function '{item.name}({', '.join(item.args)})'.")


_PERIOD_RE = re.compile(r"\s*(\d+)\s*([wdhm])\s*")


def _jql_period(text: str) -> timedelta | None:
    """JQL relative dates: "-1d", "-4w 2d", "+3h", "30m" (calendar weeks and days)."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if not text:
        return None
    units = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
    total, pos = timedelta(), 0
    while pos < len(text):
        m = _PERIOD_RE.match(text, pos)
        if m is None:
            return None
        total += int(m.group(1)) * units[m.group(2)]
        pos = m.end()
    return sign * total


def _has_leaf(doc: Any) -> bool:
    """Whether an ADF document holds anything besides empty paragraphs (a mention, a rule, …)."""
    if isinstance(doc, dict):
        if doc.get("type") in ("mention", "emoji", "inlineCard", "rule", "hardBreak"):
            return True
        return any(_has_leaf(child) for child in doc.get("content", []) or [])
    return False


@dataclass(frozen=True)
class FieldDef:
    name: str
    navigable: bool = True
    orderable: bool = True
    searchable: bool = True
    custom: bool = False
    clause_names: tuple[str, ...] = ()
    schema: dict[str, Any] | None = None


def _system(name: str, kind: str, system: str, *clauses: str, items: str | None = None, navigable: bool = True,
            orderable: bool = True, searchable: bool = True) -> FieldDef:
    schema: dict[str, Any] = {"type": kind, "system": system}
    if items:
        schema["items"] = items
    return FieldDef(name, navigable, orderable, searchable, False, clauses or (system,), schema)


# The fields the fake serves, in the order Jira lists them in an issue; GET /field lists these.
FIELDS: dict[str, FieldDef] = {
    "summary": _system("Summary", "string", "summary"),
    "issuetype": _system("Issue Type", "issuetype", "issuetype", "issuetype", "type"),
    "project": _system("Project", "project", "project", orderable=False),
    "fixVersions": _system("Fix versions", "array", "fixVersions", "fixVersion", items="version"),
    "resolution": _system("Resolution", "resolution", "resolution"),
    "resolutiondate": _system("Resolved", "datetime", "resolutiondate", "resolutiondate", "resolved",
                              orderable=False),
    "priority": _system("Priority", "priority", "priority"),
    "labels": _system("Labels", "array", "labels", items="string"),
    "assignee": _system("Assignee", "user", "assignee"),
    "status": _system("Status", "status", "status", orderable=False),
    "reporter": _system("Reporter", "user", "reporter"),
    "description": _system("Description", "string", "description"),
    "duedate": _system("Due date", "date", "duedate", "due", "duedate"),
    "created": _system("Created", "datetime", "created", "created", "createdDate", orderable=False),
    "updated": _system("Updated", "datetime", "updated", "updated", "updatedDate", orderable=False),
    "timeoriginalestimate": _system("Original estimate", "number", "timeoriginalestimate", "originalEstimate",
                                    "timeoriginalestimate", orderable=False),
    "timeestimate": _system("Remaining Estimate", "number", "timeestimate", "remainingEstimate", "timeestimate",
                            orderable=False),
    "timespent": _system("Time Spent", "number", "timespent", "timespent", orderable=False),
    "progress": _system("Progress", "progress", "progress", "progress", orderable=False),
    "timetracking": _system("Time tracking", "timetracking", "timetracking", navigable=False, searchable=False),
    PROGRESS_FIELD: FieldDef(PROGRESS_FIELD_NAME, True, True, True, True,
                             ("cf[10050]", PROGRESS_FIELD_NAME, f"{PROGRESS_FIELD_NAME}[Number]"),
                             {"type": "number", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float",
                              "customId": 10050}),
    "comment": _system("Comment", "comments-page", "comment", "comment", navigable=False),
    "worklog": _system("Log Work", "array", "worklog", "worklog", items="worklog", navigable=False,
                       searchable=False),
}


if __name__ == "__main__":
    import argparse

    from tests.fakes.process import serve_forever

    parser = argparse.ArgumentParser(description="the fake Jira on 127.0.0.1 (prints its port)")
    parser.add_argument("--flavor", choices=["cloud", "dc"], default="cloud")
    parser.add_argument("--burst", type=int, default=100, help="requests per second per endpoint before 429")
    parser.add_argument("--project", default="PMS", help="seed this project")
    parser.add_argument("--issues", type=int, default=0, help="seed this many issues in it")
    args = parser.parse_args()
    fake = FakeJira(flavor=args.flavor, burst_per_s=args.burst)
    fake.add_project(args.project, args.project.title())
    if args.issues:
        fake.add_issues(args.project, args.issues)
    asyncio.run(serve_forever(fake))
