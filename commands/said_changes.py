"""A task change said in field words rather than as its verb: the key first ("A-3 优先级调高", "A-3 close 掉，重复了",
"A-3 重新打开", "A-3 reassign 给 小陈", "A-3 改期到下周四"), or the key inside the phrase ("把 A-3 的截止日期改到下周三",
"push A-3 deadline to Dec 18"). Each is rewritten to the verb's own form and read by the verb, so the value is
checked the same way; a phrase the verb cannot read is no change (a report may still be meant: "A-3 延期到货了")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from commands.grammar import Args
from commands.keys import TASK_KEY_ANY
from commands.model import Command, ParseError
from commands.task_arguments import NOT_NAME_END, PRIORITY_DOWN, PRIORITY_UP, priority_step
from commands.verbs import match_verb

_KEY = r"(?P<key>[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}|[A-Za-z]{2,6}[0-9]{1,6}(?![0-9]))"  # voice input drops the dash
_LEAD = r"(?:(?:set|pls|please|plz|把|请|麻烦(?:把)?)\s*)?"
_OF = r"\s*(?:这个|那个|的|'s)?\s*"
_POLITE = r"(?:\s*(?:吧|一下|了|掉|it|this one|this|pls|please|plz|thanks|thx|谢谢|[!！]))*"
# What follows a change as its reason; one with a figure besides task keys is no change (_FIGURE).
_REASON = r"(?:\s*(?:[,，;；。.]|\s)\s*(?P<why>[^%％]*?))?\s*[.。!！]?"
_NAME = r"@?(?P<who>[\u4e00-\u9fff]{2,4}?|[A-Za-z][A-Za-z0-9._\-]{0,31})"
_PRIORITY = r"(?:priority|prio|优先级|优先(?=[,，。\s]|$))"
_DUE = r"(?:due date|due|deadline|截止日期|截止时间|截止日|截止|交期|完工日期)"
_MOVE = r"(?:改期|延期|推迟|顺延|延后|提前|调整|改|推|延|挪|move[ds]?|moved|push(?:ed)?(?: back| out)?|change[ds]?|set|extend(?:ed)?)"
_TO = r"(?:到|至|为|成|to|->|→|[:：=])"
_SET_TO = r"(?:调成|调为|调到|改成|改为|改到|设为|设成|(?:提高|提升|调整|降低)(?:为|到|至)|升为|降为|提到|升到|降到|调(?![高低])|to|->|→|[:：=])"


@dataclass(frozen=True)
class _Form:
    verb: str  # the verb word the phrase is rewritten to
    pattern: re.Pattern[str]
    sure: bool  # the phrase names the change: the verb's refusal ("'高一点' is not a priority") is the answer


def _form(verb: str, body: str, *, sure: bool = False) -> _Form:
    return _Form(verb, re.compile(body, re.IGNORECASE), sure)


_FORMS = (
    _form("priority", rf"{_LEAD}{_KEY}{_OF}{_PRIORITY}\s*(?:is\s*)?{_SET_TO}?\s*(?P<value>{PRIORITY_UP}|{PRIORITY_DOWN}|[^\s,，;；。.]+){_POLITE}{_REASON}",
          sure=True),
    _form("priority", rf"{_LEAD}{_KEY}\s*(?P<value>{PRIORITY_UP}|{PRIORITY_DOWN}|set|change)\s*(?:the\s*|its\s*)?{_PRIORITY}"
                      rf"(?:\s*{_TO}\s*(?P<to>[^\s,，;；。.]+))?{_POLITE}{_REASON}", sure=True),
    _form("priority", rf"{_LEAD}{_KEY}\s*(?:pls|please)?\s*(?P<value>bump(?:ed)?|raise|set|change|move|drop|lower)\s*(?:it\s*)?"
                      rf"(?:up\s*|down\s*)?to\s*(?P<to>[A-Za-z]+|[\u4e00-\u9fff]{{1,2}})\s*{_PRIORITY}{_POLITE}{_REASON}", sure=True),
    _form("due", rf"{_LEAD}{_KEY}{_OF}{_DUE}\s*(?:is\s*)?{_MOVE}?\s*{_TO}\s*(?P<when>.+)", sure=True),
    _form("due", rf"{_LEAD}{_KEY}\s*{_MOVE}\s*(?:the\s*|its\s*)?{_DUE}\s*(?:back\s*|out\s*)?{_TO}\s*(?P<when>.+)", sure=True),
    _form("due", rf"(?:push|move|change|set|extend)\s+{_KEY}{_OF}{_DUE}\s*(?:back\s*|out\s*)?{_TO}\s*(?P<when>.+)", sure=True),
    _form("due", rf"{_LEAD}{_KEY}\s*(?:改期|延期|推迟|顺延|延后)\s*(?:到|至)\s*(?P<when>.+)"),
    _form("due", rf"{_LEAD}{_KEY}\s*(?:due(?: date)?|deadline)\s+(?P<when>.+?)\s*(?:pls|please|plz)[.!！]*"),  # a remark, unless asked
    _form("priority", rf"(?:bump|raise|set|move|drop|lower)\s+{_KEY}\s+(?:up\s+|down\s+)?to\s+(?P<value>[A-Za-z]+)\s+{_PRIORITY}[.!！]*"),
    _form("priority", rf"{_LEAD}{_KEY}\s*(?:改成|调成|设为|改为|设成)\s*(?P<value>紧急|最高|urgent|highest){_POLITE}{_REASON}"),
    _form("priority", rf"{_LEAD}{_KEY}\s*(?:提到|调到|改成|设为|降到)\s*(?P<value>最高|最低|高|低|紧急)\s*{_PRIORITY}{_POLITE}{_REASON}"),
    _form("priority", rf"{_LEAD}{_KEY}\s*(?:this one\s*)?(?:pls\s*|please\s*)?make it (?P<value>urgent|high|low|normal){_POLITE}{_REASON}"),
    _form("assign", rf"hand\s+{_KEY}\s+over\s+to\s+{_NAME}\s*(?:pls|please|thanks)?(?:\s*[,，;；]\s*[^%％0-9]*)?[.!！]*"),
    _form("due", rf"{_LEAD}{_KEY}\s*(?:改到|推到|延到)\s*(?P<when>.+?)\s*(?:交|交付|完成|完工)(?:吧|了)?[.。!！]*"),
    _form("priority", rf"(?:bump|raise|set|change)\s+{_KEY}(?:'s)?\s+{_PRIORITY}\s+to\s+(?P<value>[A-Za-z]+){_POLITE}{_REASON}"),
    _form("comment", rf"(?:add\s+an?\s+)?(?:note|comment|remark)\s+(?:on|for|to)\s+{_KEY}\s*[:：]\s*(?P<text>.+)"),
    _form("due", rf"(?:please\s+|pls\s+)?(?:move|change|push|set|extend)\s+the\s+{_DUE}\s+(?:for|of|on)\s+{_KEY}\s+(?:back\s+|out\s+)?to\s+(?P<when>.+)",
          sure=True),
    _form("priority", rf"(?:please\s+|pls\s+)?(?:raise|lower|set|change|bump|drop)\s+the\s+{_PRIORITY}\s+(?:of|for|on)\s+{_KEY}\s+to\s+"
                      rf"(?P<value>[A-Za-z]+){_POLITE}{_REASON}", sure=True),
    _form("close", rf"(?P<why>[^,，;；]{{2,40}})[,，;；]\s*(?:关闭|关掉|close)\s*{_KEY}\s*[.。!！]?"),  # "…重复，关闭 A-3。"
    _form("close", rf"{_LEAD}{_KEY}\s*(?P<why>(?:(?:跟|和|与)\s*[A-Za-z][A-Za-z0-9]{{0,9}}-[0-9]+\s*)?(?:重复|建重|重建|建重复)了?|(?:a\s+)?dup(?:licate|e)?(?:\s+of\s+[^,，;；]{{1,30}})?|作废了?)\s*[,，;；]?\s*"
                   rf"(?:关闭|关掉|关了吧|clos(?:e|ed|ing)(?:\s+it|\s*掉吧?)?)\s*吧?\s*[.。!！]?"),  # "KEY 重复了 关闭", "KEY duplicate, closing"
    _form("close", rf"closing\s+{_KEY}(?![A-Za-z0-9-])\s*(?:[:：,，—–-]|\s+as\b|\s+because\b)?{_REASON}"),
    _form("assign", rf"{_LEAD}{_KEY}\s*改由\s*{_NAME}\s*(?:来)?\s*(?:负责|跟进|接手)(?:\s*[,，;；]\s*(?:[^%％0-9]|(?<=[A-Za-z])[0-9])*)?[.。!！]?"),
    _form("close", rf"{_LEAD}{_KEY}\s*(?:(?:这个|那个)(?:任务|单)?|这单|那单)?\s*(?:(?:can|could|should|pls|please|to)\s+be\s+closed|can\s+close|close(?!\s*to\b)"
                   rf"(?![A-Za-z-])|关闭|关掉|关了吧|可以关了|可以关闭|cancel(?:led)? (?:this|the) (?:task|one)){_POLITE}{_REASON}"),
    _form("reopen", rf"{_LEAD}{_KEY}\s*(?P<why>[^,，;；0-9%％]{{2,30}}?)(?:[,，;；]\s*|\s+)(?:重新\s*(?:打开|open)|重开|re-?open(?:ed)?)(?![A-Za-z])\s*(?:一下|下|吧|pls|please)?\s*[.。!！]?"),  # "KEY 回归又挂了，reopen 一下"
    _form("reopen", rf"{_LEAD}{_KEY}\s*(?:(?:这个|那个)(?:任务|单)?)?\s*(?:得|要|需要|需|应该|可以)?\s*(?:重新\s*(?:打开|open)|重开|re-?open(?:ed)?)(?![A-Za-z]){_POLITE}{_REASON}"),
    _form("assign", rf"(?:give|hand|pass)\s+{_KEY}\s+(?:over\s+)?to\s+{_NAME}\s*[.。!！]?"),  # "give A-3 to bob"
    _form("due", rf"{_LEAD}{_KEY}\s+due\s+(?:by\s+|on\s+)?(?P<when>(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*|tomorrow|tmrw?|[0-9]{{1,2}}[/.-][0-9]{{1,2}})\s*[.!]?"),
    _form("due", rf"{_LEAD}{_KEY}\s*(?:改期|延期|推迟|顺延|延后)\s*(?:到|至)\s*(?P<when>[^\s,，。;；]+)(?:\s*[,，]?\s*[^0-9%％]{{0,30}})?"),  # "KEY 改期到下周四 客户要审计"
    _form("comment", rf"note\s+(?:on\s+|for\s+)?{_KEY}\s*[:：,，-]?\s*(?P<text>[^%％]{{3,}})"),  # "note A-3 ladder left in the hall"
    _form("assign", rf"{_LEAD}{_KEY}\s*(?:re-?assign(?:ed)?|assign(?:ed)?|hand ?over|转派|改派|指派|转给|交给)\s*(?:给|to)?\s*{_NAME}"
                    r"(?:\s*(?:吧|来跟|跟进|跟|负责|follow(?: up)?|pls|please|thanks))*\s*(?:[,，;；]\s*[^%％0-9]*)?[.。!！]?"),
)
_FIGURE = re.compile(r"(?<![A-Za-z0-9-])[0-9](?![0-9]*\s*(?:号|楼|层|栋|排|列|#|日|月|th|st|nd|rd|的))")  # a reason with a figure may be a report of another task ("A-3 close, A-4 at 50")


def _value(form: _Form, m: re.Match[str]) -> str | None:
    if form.verb == "priority":
        value = (m.group("to") if "to" in m.re.groupindex and m.group("to") else m.group("value")).lower()
        if value in ("set", "change"):
            return None  # "A-3 set priority" with no value: nothing to set it to
        return priority_step(value) or value
    if form.verb == "due":
        return re.sub(r"\s*(?:pls|please|plz|thanks)[.!！]*$", "", m.group("when"), flags=re.IGNORECASE)
    if form.verb == "assign":
        return None if NOT_NAME_END.search(m.group("who")) else m.group("who")
    if form.verb == "comment":
        return m.group("text")
    return (m.groupdict().get("why") or "").strip()


# A word every form holds: most messages are reports, and one search spares them the forms (bench/workers.py).
_ANY_CHANGE_WORD = re.compile(r"priority|prio|优先|due|deadline|截止|交期|完工日期|改期|延期|推迟|顺延|延后|改到|推到|延到|close|closing|cancel|关|"
                              r"open|重新|重开|assign|转派|改派|指派|转给|交给|hand|give|pass|note|comment|remark|make it|改成|改为|调成|设为|设成|提到|调到|降到|改由",
                              re.IGNORECASE)


def said_change(s: str, *, today: date) -> Command | ParseError | None:
    """The task change `s` says in field words, or None."""
    if not _ANY_CHANGE_WORD.search(s):
        return None
    for form in _FORMS:
        m = form.pattern.fullmatch(s.strip())
        if m is None:
            continue
        value = _value(form, m)
        if value is None or _FIGURE.search(TASK_KEY_ANY.sub("", m.groupdict().get("why") or "")):
            continue
        key = m.group("key")
        key = key if "-" in key else re.sub(r"(?<=[A-Za-z])(?=[0-9])", "-", key, count=1)
        matched = match_verb(f"{form.verb} {key} {value}".strip())
        if matched is None:
            continue
        verb, word, rest = matched
        result = verb.parse(Args(rest=rest, word=word, today=today))
        if not isinstance(result, ParseError) or form.sure:
            return result
    return None
