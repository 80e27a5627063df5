"""Subscription filters: which PMS changes a subscribed chat hears about.

    subscribe PUMP                                  every change
    subscribe PUMP event:transitioned,commented     only these kinds
    subscribe PUMP assignee:me priority:High,Highest status:blocked
    subscribe PUMP jql: labels = field AND priority >= High      (Jira projects: the rest is JQL)

Keys (zh aliases in brackets): event [事件], assignee [负责人], priority [优先级], status [状态], jql.
Values are comma-separated; `:` `=` `：` all separate key and value. Terms are ANDed, values within a term ORed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EVENTS = ("created", "updated", "commented", "transitioned", "assigned", "worklog", "deleted")
_KEYS = {"event": "event", "events": "event", "type": "event", "事件": "event",
         "assignee": "assignee", "who": "assignee", "负责人": "assignee",
         "priority": "priority", "优先级": "priority", "status": "status", "状态": "status", "jql": "jql"}
_TERM_RE = re.compile(r"^([^\s:=：]+)\s*[:=：]\s*(.*)$", re.S)


class FilterError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class ChangeFilter:
    events: frozenset[str] = frozenset()
    assignees: frozenset[str] = frozenset()  # person ids or PMS user names, casefolded
    priorities: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()  # neutral statuses or the PMS's names, casefolded
    jql: str | None = None

    def matches(self, *, event: str, assignee: str | None, priority: str | None, status: str,
                status_name: str | None = None) -> bool:
        """Everything but the JQL, which only Jira can evaluate."""
        if self.events and event not in self.events:
            return False
        if self.assignees and (assignee or "").casefold() not in self.assignees:
            return False
        if self.priorities and (priority or "").casefold() not in self.priorities:
            return False
        return not self.statuses or status in self.statuses or (status_name or "").casefold() in self.statuses


def parse_filter(text: str, *, me: str | None = None) -> ChangeFilter:
    """The filter in `text`; FilterError with a reason a person can act on."""
    text = text.strip()
    jql: str | None = None
    match = re.search(r"(?:^|\s)jql\s*[:=：]\s*", text, re.I)
    if match:
        jql = text[match.end():].strip()
        text = text[:match.start()]
        if not jql:
            raise FilterError("jql: needs a query after it")
    found: dict[str, set[str]] = {}
    for term in text.split():
        m = _TERM_RE.match(term)
        if not m:
            raise FilterError(f"'{term}' is not key:value (keys: event, assignee, priority, status, jql)")
        key = _KEYS.get(m.group(1).casefold())
        if key is None or key == "jql":
            raise FilterError(f"unknown key '{m.group(1)}' (keys: event, assignee, priority, status, jql)")
        values = {v.strip().casefold() for v in m.group(2).split(",") if v.strip()}
        if not values:
            raise FilterError(f"'{m.group(1)}' needs a value")
        if key == "assignee" and me is not None:
            values = {me.casefold() if v in ("me", "我") else v for v in values}
        if key == "event" and (unknown := values - set(EVENTS)):
            raise FilterError(f"unknown event '{sorted(unknown)[0]}' (events: {', '.join(EVENTS)})")
        found.setdefault(key, set()).update(values)
    return ChangeFilter(events=frozenset(found.get("event", ())), assignees=frozenset(found.get("assignee", ())),
                        priorities=frozenset(found.get("priority", ())), statuses=frozenset(found.get("status", ())),
                        jql=jql)
