"""Each verb's arguments, for the verbs beside progress (commands/progress.py) and standups
(commands/standup_arguments.py): one function per verb, from the words after it to its command record."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from bot.text import has_secret
from commands.dates import date_at
from commands.errors import err, missing
from commands.field_words import QUESTION_END
from commands.grammar import Args
from commands.keys import (
    ANY_KEY_AT,
    PROJECT_KEY_AT,
    TASK_KEY_AT,
    approval_id,
    key_at_start,
    number_at,
    project_arg,
    task_arg,
)
from commands.model import (
    AdminLink,
    AlertAction,
    Apply,
    Approvals,
    Approve,
    Command,
    Correct,
    DashboardLink,
    Delegate,
    FieldLink,
    Link,
    LinkDecision,
    LinkJira,
    LinkSecret,
    MyTasks,
    New,
    ParseError,
    Reject,
    Request,
    Risks,
    Several,
    Status,
    Subscribe,
)
from commands.numbers import AMOUNT_GLUED, HOURS_MAX, amount, cn_number, find_hours, percent_forms, round_int
from commands.text import EDGE_PUNCT, blank, clean, first_token, remove_spans

# ---------------------------------------------------------------------------------------------------------
# Tasks and projects


def status(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("status", "target")
    found = key_at_start(ANY_KEY_AT, args.rest)
    if found is None:
        return err("bad_task_key", "status", value=first_token(args.rest))
    target, milestone = found
    return Status(target=target, milestone=milestone or None)


_MY_REST = re.compile(r"(?:open |current )?(?:tasks?|issues?|tickets?|work|stuff|list|todos?|任务|待办|工作|单子)?\s*(?:pls|please|thanks)?\s*[?？!！.。]*",
                      re.IGNORECASE)


def my(args: Args) -> Command | ParseError:
    if not _MY_REST.fullmatch(args.rest.strip()):
        return err("unknown_command", None, word=args.word, suggestion="my")  # "my bad, wrong figure": no list asked for
    return MyTasks()


_DUE_MARKER = re.compile(
    r"(?:(?<![A-Za-z])(?:due|deadline)(?![A-Za-z])|截止(?:日期|时间)?|截至|到期(?:日)?) ?(?:到|于|是|为)? ?:? ?(?=[0-9])",
    re.IGNORECASE,
)
_DUE_SUFFIX = re.compile(r"之?前")
_ASSIGNEE = re.compile(r"(?<![A-Za-z0-9._%+\-])@([^\s@,;:]{1,64})")


def new(args: Args) -> Command | ParseError:
    found = key_at_start(PROJECT_KEY_AT, args.rest)
    if found is None:
        return missing("new", "project")
    project, s = found
    spans: list[tuple[int, int]] = []
    due: date | None = None
    marker = _DUE_MARKER.search(s)
    if marker is not None:
        hit = date_at(s, marker.end(), args.today)
        if hit is None or hit.value is None:
            value = s[marker.end() : hit.end] if hit is not None else first_token(s[marker.end() :])
            return err("bad_date", "new", value=value)
        due = hit.value
        suffix = _DUE_SUFFIX.match(s, hit.end)
        spans.append((marker.start(), suffix.end() if suffix else hit.end))
    assignee: str | None = None
    at = _ASSIGNEE.search(blank(s, spans))
    if at is not None:
        assignee = at.group(1)
        spans.append(at.span())
    title = remove_spans(s, spans)
    if not title:
        return missing("new", "title")
    return New(project=project, title=title, due=due, assignee=assignee)


def risks(args: Args) -> Command | ParseError:
    if not args.rest:
        return Risks()
    found = project_arg(args.rest, "risks")
    return found if isinstance(found, ParseError) else Risks(project=found[0])


def ack(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("ack", "alert")
    found = number_at(args.rest, "ack", "bad_alert_id")
    return found if isinstance(found, ParseError) else AlertAction(alert_id=found[0], action="ack")


def snooze(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("snooze", "alert")
    found = number_at(args.rest, "snooze", "bad_alert_id")
    return found if isinstance(found, ParseError) else AlertAction(alert_id=found[0], action="snooze")


# ---------------------------------------------------------------------------------------------------------
# Approvals


_CASUAL_APPROVE = ("ok", "lgtm")
_NUMBERED = re.compile(r"第\s*([0-9]{1,9}|[一二两三四五六七八九十百]{1,5})\s*[号個个]?\s*(?:申请|审批|单)?"
                       r"|([0-9]{1,9}|[一二两三四五六七八九十百]{1,5})\s*号\s*(?:申请|审批|单)")  # "批准第 7 号申请", "批准三十一号申请"
_EXPLICIT_APPROVE = re.compile(r"(?:approve|同意|批准)\s*#?([0-9]{1,9})[^\w#]*$", re.IGNORECASE)  # a 👍 or "!" after
_THUMBS_UP = "\U0001f44d\u2705\u2714\U0001f44c"  # 👍 ✅ ✔ 👌: a yes said with a sign
_ID_ALONE = re.compile(rf"[0-9]{{1,9}}\s*(?:[,;.!，；。！].*|[{_THUMBS_UP}\ufe0f\s]*(?:go ahead|thanks|pls)?)?", re.IGNORECASE)
_NOT_NOW_AFTER = re.compile(r"\s*(?:之前|以前|前(?![面边])|之后|以后|后再|(?:before|after|once|when|if|until|till|provided|assuming|"
                            r"as long as|subject to|on condition)(?![A-Za-z]))",
                            re.IGNORECASE)
_MORE_IDS = re.compile(r"(?:\s*(?:,|、|和|及|&|and)?\s*#?[0-9]{1,9})+")


def approve(args: Args) -> Command | ParseError:
    explicit = _EXPLICIT_APPROVE.search(args.rest) if args.word in _CASUAL_APPROVE else None
    if explicit is not None:  # "ok 可以 approve 31"
        return Approve(approval_id=int(explicit.group(1)))
    numbered = _NUMBERED.fullmatch(args.rest)
    number = cn_number(numbered.group(1) or numbered.group(2)) if numbered is not None else None
    if number is not None:  # "批准第 7 号申请", "批准三十一号申请"
        return Approve(approval_id=number)
    if args.word == "approved" and not (args.rest.startswith("#") or _ID_ALONE.fullmatch(args.rest)):
        return err("unknown_command", None, word=args.word, suggestion="approve")  # "approved 3 drawings": a report
    arg = approval_id(args.rest, "approve")
    if isinstance(arg, ParseError) and args.word in _CASUAL_APPROVE and args.rest:
        return err("unknown_command", None, word=args.word, suggestion="approve")  # "ok so …" is not an approval
    if isinstance(arg, ParseError):
        return arg
    if re.match(r"\s*(?:[楼层号个点天台栋间米件次条套批]|(?:floors?|rooms?|units?|items?|pcs|hours?|days?|weeks?|people|of)(?![A-Za-z]))",
                arg[1], re.IGNORECASE):
        return err("unknown_command", None, word=args.word, suggestion="approve")  # "同意 3 楼的方案": no approval's number
    if _NOT_NOW_AFTER.match(arg[1]):
        return err("conditional_approval", "approve", id=str(arg[0]))  # "approve 7 before the call": not yet
    if arg[1].startswith("的") or QUESTION_END.search(arg[1]):
        return err("question", "approve")  # "approve 9 的时候要写什么" asks how, it does not approve
    more = _MORE_IDS.fullmatch(arg[1])
    if more is not None:  # "同意 15 和 16", "approve 21 22": each its own decision
        ids = [arg[0], *(int(n) for n in re.findall(r"[0-9]+", arg[1]))]
        return Several(items=tuple(Approve(approval_id=n) for n in dict.fromkeys(ids)))
    if args.word == "ok" and arg[1] and not args.rest.startswith("#") and not _GO_AHEAD.fullmatch(arg[1]) and not (
            arg[0] >= 100 and _THUMBS.fullmatch(arg[1])):  # "OK 6415 👍": an approval's number, and a thumbs up
        # "ok 3 more to go" is chatter: "ok" approves only as "ok 12" alone, or "ok #12 …".
        return err("unknown_command", None, word=args.word, suggestion="approve")
    return Approve(approval_id=arg[0], comment=arg[1])


def reject(args: Args) -> Command | ParseError:
    arg = approval_id(args.rest, "reject")
    if isinstance(arg, ParseError):
        return arg
    if not _COURTESY.sub("", arg[1]).strip(EDGE_PUNCT + "!！.。~"):
        return missing("reject", "reason")  # "reject 12 pls": a reason is owed to the requester, not a courtesy
    return Reject(approval_id=arg[0], reason=arg[1])


# After "ok 12": words that make it a decision ("ok 31 go ahead"), not chatter ("ok 3 more to go").
_GO_AHEAD = re.compile(r"[\s!！,，.。]*(?:(?<![A-Za-z])(?:go ahead|approved?|lgtm)(?![A-Za-z])|同意|批准|通过)"
                       rf"(?:[\s!！,，.。]|(?<![A-Za-z])(?:pls|please|thanks)(?![A-Za-z])|[{_THUMBS_UP}\ufe0f])*",
                       re.IGNORECASE)
_THUMBS = re.compile(rf"[\s!！]*[{_THUMBS_UP}][\ufe0f\s!！]*")
_COURTESY = re.compile(r"(?<![A-Za-z])(?:pls|plz|please|thanks|thx|ty|sorry|asap|now|later|for now)(?![A-Za-z])|谢谢|辛苦了?|麻烦了|回头|以后|再说|吧|哈|啊|了|一下|先|掉|"
                       r"[\u2600-\u27bf\U0001f300-\U0001faff]", re.IGNORECASE)
_DELEGATE_TO = re.compile(r"(?:to|给|交给|->|→)\s*", re.IGNORECASE)


def delegate(args: Args) -> Command | ParseError:
    arg = approval_id(args.rest, "delegate")
    if isinstance(arg, ParseError):
        return arg
    to = _DELEGATE_TO.sub("", arg[1], count=1) if _DELEGATE_TO.match(arg[1]) else arg[1]
    to = clean(to)
    if not to:
        return missing("delegate", "person")
    return Delegate(approval_id=arg[0], to=to)


_DECIDED_AFTER = re.compile(r"(?:单|单号|编号|号)?\s*#?([0-9]{1,9})\s*号?\s*[,:]?\s*(?:(?P<yes>同意|通过|批准|approved?|ok)|(?P<no>驳回|不同意|拒绝|rejected?))"
                            r"(?:掉|了|一下)?(?:\s*[,;.:!，；。]\s*(?P<why>.*))?", re.IGNORECASE)


def approvals(args: Args) -> Command | ParseError:
    decided = _DECIDED_AFTER.fullmatch(args.rest)
    if decided is not None and decided.group("yes"):  # "审批 15 同意", "审批 15 同意，按合同价执行"
        return Approve(approval_id=int(decided.group(1)), comment=clean(decided.group("why") or ""))
    if decided is not None and decided.group("why") and not QUESTION_END.search(decided.group("why")):
        return Reject(approval_id=int(decided.group(1)), reason=clean(decided.group("why")))  # "审批 15 驳回，缺明细"
    return Approvals()


def request(args: Args) -> Command | ParseError:
    found = key_at_start(PROJECT_KEY_AT, args.rest)
    if found is None:
        return missing("request", "project")
    project, s = found
    words = s.split(" ") if s else []
    money: Decimal | None = None
    currency = None
    if words:
        currency = "USD" if "$" in words[-1] else None  # a dollar amount is not read as yuan
        parsed = amount(words[-1], "request")
        if parsed is None:
            glued = AMOUNT_GLUED.search(words[-1])
            if glued is not None:
                parsed = amount(glued.group(0), "request")
                if isinstance(parsed, Decimal):
                    words[-1] = words[-1][: glued.start()]
        elif isinstance(parsed, Decimal):
            words.pop()
        if isinstance(parsed, ParseError):
            return parsed
        money = parsed
    subject = clean(" ".join(words))
    if not subject:
        return missing("request", "subject")
    return Request(project=project, subject=subject, amount=money, currency=currency if money is not None else None)


def apply(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("apply", "id")
    found = number_at(args.rest, "apply", "bad_proposal_id")
    return found if isinstance(found, ParseError) else Apply(proposal_id=found[0])


# ---------------------------------------------------------------------------------------------------------
# Undo and correction of the person's last write (the field language's own words for them are progress.py's)


def correct(args: Args) -> Command | ParseError:
    """`correct 60%`, `更正 3h`, `correct 55% 2h`, `correct PUMP-4 2h`: the right value of the person's last write
    (on that task, when one is named)."""
    named = key_at_start(TASK_KEY_AT, args.rest)
    task, rest = named if named is not None else (None, args.rest)
    args = Args(rest=rest, word=args.word, today=args.today)
    forms = percent_forms(args.rest)
    pct, hrs = (forms[0] if forms else None), find_hours(args.rest)
    if pct is None and hrs is None:
        return missing("correct", "percent")
    percent: int | None = None
    hours: Decimal | None = None
    if pct is not None:
        if pct.value is None:
            return err("bad_percent", "correct", value=pct.raw)
        if not Decimal(0) <= pct.value <= Decimal(100):
            return err("percent_out_of_range", "correct", value=pct.raw)
        percent = round_int(pct.value)
    if hrs is not None:
        if hrs.value is None or not Decimal(0) < hrs.value <= HOURS_MAX:
            return err("bad_hours", "correct", value=hrs.raw)
        hours = hrs.value
    return Correct(percent=percent, hours=hours, task=task)


# ---------------------------------------------------------------------------------------------------------
# Accounts, subscriptions and web links


_LINK_DECISION = re.compile(r"(?i)^(approve|confirm|deny|refuse|确认|批准|同意|拒绝|驳回)\s+(\S+)$")


def link(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("link", "user")
    if has_secret(args.rest):
        return LinkSecret()
    if args.rest.strip().casefold() == "jira":
        return LinkJira()
    m = _LINK_DECISION.match(args.rest)
    if m is not None:
        return LinkDecision(person=m.group(2), accept=m.group(1).lower() in ("approve", "confirm", "确认", "批准", "同意"))
    return Link(pms_user=args.rest)


def subscribe(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("subscribe", "project")
    found = project_arg(args.rest, "subscribe")
    return found if isinstance(found, ParseError) else Subscribe(project=found[0], filter=found[1])


def field(args: Args) -> Command | ParseError:
    found = task_arg(args.rest, "field")
    return found if isinstance(found, ParseError) else FieldLink(task=found[0])


def dashboard(args: Args) -> Command | ParseError:
    if not args.rest:
        return missing("dashboard", "project")
    found = project_arg(args.rest, "dashboard")
    return found if isinstance(found, ParseError) else DashboardLink(project=found[0])


def admin(args: Args) -> Command | ParseError:
    return AdminLink()
