"""The command language's table of verbs: each verb's English and Chinese words, its argument parser, and the
command records it builds. Adding a verb is a row here, its parser, its handler, and its help text."""

from __future__ import annotations

import difflib
import re

from commands import arguments, progress, reach_arguments, standup_arguments, task_arguments
from commands.corrections import correction
from commands.errors import err
from commands.field_words import QUESTION_WORDS
from commands.grammar import Args, Verb
from commands.model import (
    AdminLink,
    AlertAction,
    Apply,
    Approvals,
    Approve,
    Assign,
    Block,
    Close,
    Command,
    Comment,
    Confirm,
    Correct,
    DashboardLink,
    Delegate,
    Done,
    FieldLink,
    Help,
    LeaveAction,
    Link,
    LinkDecision,
    LinkJira,
    LinkSecret,
    Mute,
    MyTasks,
    New,
    ParseError,
    Reject,
    Reopen,
    Report,
    Request,
    Risks,
    Search,
    SetDue,
    SetPriority,
    Several,
    Standup,
    StandupSchedule,
    Start,
    Status,
    Subscribe,
    Subscriptions,
    Tasks,
    Unblock,
    Undo,
    Unsubscribe,
)
from commands.text import EDGE_PUNCT


def _help(args: Args) -> Command | ParseError:
    if not args.rest:
        return Help()
    return Help(topic=_WORD_TO_VERB.get(args.rest.lower(), args.rest))


def _undo(args: Args) -> Command | ParseError:
    if QUESTION_WORDS.search(args.rest):
        return err("question", "undo")  # "undo 是干嘛的" asks about the verb
    return correction(f"{args.word} {args.rest}") or Undo()


TABLE: tuple[Verb, ...] = (
    Verb(name="help", en=("help", "h", "?"), zh=("帮助", "帮忙"), parse=_help, builds=(Help,)),
    Verb(name="status", en=("status", "st"), zh=("状态", "进度", "查询"), parse=arguments.status,
         builds=(Status,), task_first=True),
    Verb(name="my", en=("my", "mine", "my tasks"), zh=("我的", "我的任务", "我的待办"), parse=arguments.my,
         builds=(MyTasks,)),
    Verb(name="report", en=("report", "r"), zh=("汇报", "报告", "上报"), parse=progress.report,
         builds=(Report, Done, Block, Unblock, Start, Status, Confirm), task_first=True),
    Verb(name="done", en=("done", "finish", "complete", "finished", "completed"), zh=("完成", "已完成"), parse=progress.done,
         builds=(Done,), task_first=True),
    Verb(name="block", en=("block", "blocked"), zh=("阻塞", "卡住", "受阻"), parse=progress.block,
         builds=(Block,), task_first=True),
    Verb(name="unblock", en=("unblock", "unblocked"), zh=("解除阻塞", "解除"), parse=progress.unblock,
         builds=(Unblock,), task_first=True),
    Verb(name="start", en=("start", "started"), zh=("开始", "开工"), parse=progress.start, builds=(Start,),
         task_first=True),
    Verb(name="undo", en=("undo",), zh=("撤销", "撤回"), parse=_undo, builds=(Undo, Correct)),
    Verb(name="approve", en=("approve", "ok", "lgtm", "approved", "approving"), zh=("同意", "批准", "通过", "核准"), parse=arguments.approve,
         builds=(Approve, Several)),
    Verb(name="reject", en=("reject", "deny", "decline", "rejecting"), zh=("驳回", "拒绝", "不同意", "不核准"), parse=arguments.reject,
         builds=(Reject,)),
    Verb(name="approvals", en=("approvals", "pending"), zh=("待审批", "审批", "我的审批"),
         parse=arguments.approvals, builds=(Approvals,)),
    Verb(name="delegate", en=("delegate", "forward"), zh=("转交", "委托", "转审"), parse=arguments.delegate,
         builds=(Delegate,)),
    Verb(name="ack", en=("ack", "acknowledge"), zh=("知悉", "已知悉"), parse=arguments.ack,
         builds=(AlertAction,)),
    Verb(name="snooze", en=("snooze",), zh=("稍后", "稍后提醒"), parse=arguments.snooze, builds=(AlertAction,)),
    Verb(name="apply", en=("apply",), zh=("确认更新", "应用"), parse=arguments.apply, builds=(Apply,)),
    Verb(name="risks", en=("risks", "risk"), zh=("风险",), parse=arguments.risks, builds=(Risks,)),
    Verb(name="standup", en=("standup",), zh=("站会", "日报", standup_arguments.AWAY_WORD),
         parse=standup_arguments.standup, builds=(Standup, StandupSchedule, LeaveAction)),
    Verb(name="link", en=("link", "bind"), zh=("绑定",), parse=arguments.link,
         builds=(Link, LinkDecision, LinkSecret, LinkJira)),
    Verb(name="subscribe", en=("subscribe", "sub"), zh=("订阅",), parse=arguments.subscribe,
         builds=(Subscribe,)),
    Verb(name="new", en=("new", "create", "add"), zh=("新建", "创建", "新任务"), parse=arguments.new,
         builds=(New,)),
    Verb(name="request", en=("request", "req"), zh=("申请",), parse=arguments.request, builds=(Request,)),
    Verb(name="field", en=("field",), zh=("现场", "现场汇报"), parse=arguments.field, builds=(FieldLink,)),
    Verb(name="dashboard", en=("dashboard",), zh=("看板", "仪表盘"), parse=arguments.dashboard,
         builds=(DashboardLink,)),
    Verb(name="admin", en=("admin",), zh=("管理", "管理后台"), parse=arguments.admin, builds=(AdminLink,)),
    Verb(name="correct", en=("correct",), zh=("更正",), parse=arguments.correct, builds=(Correct,)),
    Verb(name="subscriptions", en=("subscriptions", "subs"), zh=("订阅列表", "我的订阅"),
         parse=reach_arguments.subscriptions, builds=(Subscriptions,)),
    Verb(name="unsubscribe", en=("unsubscribe", "unsub"), zh=("取消订阅", "退订"),
         parse=reach_arguments.unsubscribe, builds=(Unsubscribe,)),
    Verb(name="mute", en=("mute",), zh=("静音", "免打扰"), parse=reach_arguments.mute, builds=(Mute,)),
    Verb(name="unmute", en=("unmute",), zh=("取消静音", "解除静音"), parse=reach_arguments.unmute, builds=(Mute,)),
    Verb(name="leave", en=("leave", "leaves"), zh=(reach_arguments.CANCEL_LEAVE_WORD, "假期", "我的请假"),
         parse=reach_arguments.leave, builds=(LeaveAction, Standup)),
    Verb(name="tasks", en=("tasks", "list"), zh=("任务列表", "查任务"), parse=task_arguments.tasks, builds=(Tasks,)),
    Verb(name="search", en=("search", "find"), zh=("搜索", "查找"), parse=task_arguments.search, builds=(Search,)),
    Verb(name="assign", en=("assign", "reassign"), zh=("指派", "分配", "转派"), parse=task_arguments.assign,
         builds=(Assign,), task_first=True),
    Verb(name="comment", en=("comment",), zh=("备注", "评论"), parse=task_arguments.comment, builds=(Comment,),
         task_first=True),
    Verb(name="due", en=("due", "deadline"), zh=("截止", "改期"), parse=task_arguments.due, builds=(SetDue,),
         task_first=True),
    Verb(name="priority", en=("priority", "prio"), zh=("优先级",), parse=task_arguments.priority,
         builds=(SetPriority,), task_first=True),
    Verb(name="close", en=("close",), zh=("关闭",), parse=task_arguments.close, builds=(Close,), task_first=True),
    Verb(name="reopen", en=("reopen",), zh=("重新打开", "重开"), parse=task_arguments.reopen, builds=(Reopen,),
         task_first=True),
)

VERBS: dict[str, tuple[str, ...]] = {verb.name: verb.words for verb in TABLE}

_BY_WORD: dict[str, Verb] = {word: verb for verb in TABLE for word in verb.words}
_WORD_TO_VERB: dict[str, str] = {word: verb.name for word, verb in _BY_WORD.items()}
# Longest first so "我的任务" wins over "我的" and "my tasks" over "my".
_WORDS_LONGEST_FIRST: tuple[str, ...] = tuple(sorted(_BY_WORD, key=len, reverse=True))
_LONGEST_WORD = len(_WORDS_LONGEST_FIRST[0])
_ASCII_WORD_BOUNDARY = re.compile(r"$|[^A-Za-z0-9_\-]")


def match_verb(s: str) -> tuple[Verb, str, str] | None:
    """(the verb, the word it was called by, the rest). Chinese words need no space after them ("汇报PUMP-3")."""
    head = s[:_LONGEST_WORD].lower()
    for word in _WORDS_LONGEST_FIRST:
        if not head.startswith(word):
            continue
        n = len(word)
        if word.isascii() and word[-1].isalnum() and not _ASCII_WORD_BOUNDARY.match(s, n):
            continue
        if _HEADING.match(s, n):
            return None  # "Status:" / "进度：" over a list of lines: a heading of a report, not the verb
        return _BY_WORD[word], word, s[n:].strip(EDGE_PUNCT)
    return None


_HEADING = re.compile(r"\s*[:：]\s*(?:[-•*·]|[0-9]{1,2}[.)、])\s")  # lines arrive joined by spaces
_LEADING_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


# Words people type for something a verb does, which spelling alone would match to the wrong verb ("note" is
# near "done"): a note on a task is a comment.
MEANT = {"note": "comment", "remark": "comment", "批注": "comment"}


def suggest(word: str, *, cutoff: float = 0.6) -> str:
    """The verb nearest to an unknown word ("reprot" -> "report"), or "". A word mixing scripts is tried by its
    leading Chinese part too. A higher `cutoff` names only a plain misspelling ("repotr", not "handing")."""
    if word.lower() in MEANT:
        return MEANT[word.lower()]
    candidates = [word.lower()]
    lead = _LEADING_NON_ASCII.match(word)
    if lead is not None and lead.group(0) != word:
        candidates.append(lead.group(0))
    for candidate in candidates:
        close = difflib.get_close_matches(candidate, list(_BY_WORD), n=1, cutoff=cutoff)
        if close:
            return _WORD_TO_VERB[close[0]]
    return ""
