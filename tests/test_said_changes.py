"""Task changes said in field words (commands/said_changes.py), decisions said number first, and a rejection whose
only "reason" is a courtesy (issue 20): what each reads as, what stays a report, and what is asked."""

from __future__ import annotations

from datetime import date

import pytest

from commands import model
from commands.errors import err
from commands.field_spoken import mandarin
from commands.model import Approve, Reject, Report
from commands.natural_dates import natural_date
from commands.parse import parse

TODAY = date(2026, 6, 15)  # a Monday


@pytest.mark.parametrize(("text", "want"), [
    ("WTB-13 优先级调高", model.SetPriority(task="WTB-13", priority="higher")),
    ("PAH-22 优先级 调低", model.SetPriority(task="PAH-22", priority="lower")),
    ("HSG-13 bump priority to urgent", model.SetPriority(task="HSG-13", priority="urgent")),
    ("set PRP-25 priority urgent", model.SetPriority(task="PRP-25", priority="urgent")),
    ("A-3 priority 调成 high", model.SetPriority(task="A-3", priority="high")),
    ("priority A-3 higher", model.SetPriority(task="A-3", priority="higher")),
    ("A-3 priority 调成 xyz", err("bad_priority", "priority", value="xyz")),  # named as a change: the verb's refusal
    ("CPJ-22 改期到下周四", model.SetDue(task="CPJ-22", when="下周四", due=date(2026, 6, 25))),
    ("OTF-22 due date move to Jan 15", model.SetDue(task="OTF-22", when="Jan 15", due=date(2027, 1, 15))),
    ("DCU-21 push the due date to march 20", model.SetDue(task="DCU-21", when="march 20", due=date(2027, 3, 20))),
    ("push HMC-18 deadline to Dec 18", model.SetDue(task="HMC-18", when="Dec 18", due=date(2026, 12, 18))),
    ("把 SPA-24 的截止日期改到下周三", model.SetDue(task="SPA-24", when="下周三", due=date(2026, 6, 24))),
    ("TVF-25 close 掉，scope 取消了", model.Close(task="TVF-25", note="scope 取消了")),
    ("FTG-12 关了吧 重复的", model.Close(task="FTG-12", note="重复的")),
    ("BSC-28 close it", model.Close(task="BSC-28")),
    ("CRM-18 can be closed, CRM-17 covers it", model.Close(task="CRM-18", note="CRM-17 covers it")),
    ("WTF-13 重新打开，滤板又漏了", model.Reopen(task="WTF-13", note="滤板又漏了")),
    ("ZAN-20 reopen", model.Reopen(task="ZAN-20")),
    ("HFD-24 reassign 给 小陈", model.Assign(task="HFD-24", to="小陈")),
    ("SSE22 交给小陈吧。", model.Assign(task="SSE-22", to="小陈")),  # voice input dropped the dash
])
def test_a_task_change_said_key_first_is_the_verbs(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want


@pytest.mark.parametrize("text", [
    "A-3 close to 80%",  # "close to" is a hedge: asked about the 80
    "A-3 延期到货了",  # the delivery was late: no date to set
    "A-3 给王波打电话了",  # a call, not a hand-over
    "A-3 关闭阀门后压力50",  # the valve, not the task
    "A-3 close, A-4 at 50%",  # a figure after it may be another task's report: no close read from it
])
def test_words_of_change_that_are_not_a_task_change(text: str) -> None:
    assert not isinstance(parse(text, today=TODAY), (model.SetPriority, model.SetDue, model.Close, model.Reopen, model.Assign))


@pytest.mark.parametrize(("text", "want"), [
    ("5821 驳回，单价太高了", Reject(approval_id=5821, reason="单价太高了")),
    ("6088 reject，预算超了 12%", Reject(approval_id=6088, reason="预算超了 12%")),
    ("#5830 我不同意", err("missing_argument", "reject", arg="reason")),  # the requester is owed a reason: asked
    ("6030 不同意", err("missing_argument", "reject", arg="reason")),
    ("reject 5822 pls", err("missing_argument", "reject", arg="reason")),  # a courtesy is no reason
    ("驳回 6095 pls", err("missing_argument", "reject", arg="reason")),
    ("reject 12 too expensive pls", Reject(approval_id=12, reason="too expensive pls")),
    ("5871 我同意，按合同价执行", Approve(approval_id=5871, comment="按合同价执行")),
    ("ok 5840 go ahead 👍", Approve(approval_id=5840, comment="go ahead 👍")),
])
def test_decisions_said_number_first_and_reasons(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want


@pytest.mark.parametrize("text", ["ok 3 more to go", "ok 12 thanks", "50 rejected", "ok 3 go ahead and pour"])
def test_a_number_beside_ok_or_rejected_is_no_decision(text: str) -> None:
    assert not isinstance(parse(text, today=TODAY), (Approve, Reject))


@pytest.mark.parametrize(("text", "want"), [
    ("CRM-6 进度到了四分之三", Report(task="CRM-6", percent=75, note="进度到了")),  # "到了" of progress is no arrival
    ("HLM-19 progress reached 85", Report(task="HLM-19", percent=85)),
])
def test_progress_reached(text: str, want: Report) -> None:
    assert parse(text, today=TODAY) == want


@pytest.mark.parametrize(("text", "want"), [
    ("6210 crane 租赁 我 approve 了，price 合理", Approve(approval_id=6210, comment="price 合理")),
    ("6235 我 reject 了，因为 quote 没 VAT", Reject(approval_id=6235, reason="因为 quote 没 VAT")),
    ("6230 declined — duplicate of 6229", Reject(approval_id=6230, reason="duplicate of 6229")),
    ("6152 驳回一下 pls", err("missing_argument", "reject", arg="reason")),
])
def test_a_decision_with_words_between_the_number_and_the_verb(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want


@pytest.mark.parametrize("text", ["2024 年的方案 我同意", "500 块 我 approved", "#17 我先不批，等老板回来再说",
                                  "#59 先别 approve，等我确认", "5677 的采购单 如果价格不变 就同意"])
def test_a_number_that_is_no_approval_or_a_decision_not_taken(text: str) -> None:
    assert not isinstance(parse(text, today=TODAY), (Approve, Reject))


@pytest.mark.parametrize(("said", "meant"), [
    ("RBO-8 开咗工", "RBO-8 开了工"), ("BEJ-9 卡喺审批", "BEJ-9 卡在审批"), ("打错了，系 75% 唔系 57%", "打错了，是 75% 不是 57%"),
    ("HKS-22 交俾阿杰", "HKS-22 交给阿杰"), ("唔啱", "不对"), ("A-3 系统 80%", "A-3 系统 80%"),  # 系统 is a system
])
def test_cantonese_function_words_are_read_as_mandarin(said: str, meant: str) -> None:
    assert mandarin(said) == meant


@pytest.mark.parametrize(("when", "today", "due"), [
    ("月底", date(2026, 6, 15), date(2026, 6, 30)), ("本月底", date(2026, 2, 3), date(2026, 2, 28)),
    ("月底前", date(2028, 2, 3), date(2028, 2, 29)), ("下个月底", date(2026, 12, 5), date(2027, 1, 31)),
    ("end of the month", date(2026, 4, 30), date(2026, 4, 30)), ("end of next month", date(2026, 1, 31), date(2026, 2, 28)),
    ("EOM", date(2026, 6, 15), date(2026, 6, 30)), ("年底", date(2026, 6, 15), date(2026, 12, 31)),
    ("by end of the year", date(2026, 6, 15), date(2026, 12, 31)),
    ("the 28th", date(2026, 6, 15), date(2026, 6, 28)), ("28号", date(2027, 2, 3), date(2027, 2, 28)),
    ("3rd", date(2026, 6, 1), date(2026, 6, 3)),
])
def test_month_and_year_ends_and_days_of_the_month_are_due_dates(when: str, today: date, due: date) -> None:
    assert natural_date(when, today) == due
    assert parse(f"due A-3 {when}", today=today) == model.SetDue(task="A-3", when=when, due=due)


@pytest.mark.parametrize("when", ["end", "下个月", "本月", "month", "end of", "the 31st"])
def test_a_month_without_its_end_is_no_date(when: str) -> None:
    assert natural_date(when, TODAY) is None


@pytest.mark.parametrize(("text", "want"), [
    ("同意 #52，驳回 #53 太贵了", model.Several(items=(Approve(approval_id=52), Reject(approval_id=53, reason="太贵了")))),
    ("approve 6351 and 6352 pls", model.Several(items=(Approve(approval_id=6351), Approve(approval_id=6352, comment="pls")))),
    ("reject 9 too expensive, approve 8", model.Several(items=(Reject(approval_id=9, reason="too expensive"), Approve(approval_id=8)))),
    ("reject 5 and 6 too pricey", model.Several(items=(Reject(approval_id=5, reason="too pricey"), Reject(approval_id=6, reason="too pricey")))),
    ("approve 8 and reject 9", err("missing_argument", "reject", arg="reason")),  # all or none: the second needs its reason
    ("reject 9, approve 8", err("missing_argument", "reject", arg="reason")),
    ("approve 12, 3 drawings checked", Approve(approval_id=12, comment="3 drawings checked")),  # a count, no second decision
    ("approve 12, thanks 3 times", Approve(approval_id=12, comment="thanks 3 times")),
])
def test_several_decisions_in_one_message_are_each_taken_or_none(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want


@pytest.mark.parametrize(("text", "want"), [
    ("Status update: A-3 is at 70%. Budget burn 58%, SPI 0.94", Report(task="A-3", percent=70, note=". Budget burn 58%, SPI 0.94")),
    ("Update on A-3: 40%", Report(task="A-3", percent=40)),
    ("进展汇报：A-3 进度 60%", Report(task="A-3", percent=60)),
    ("A-3 50% complete, 14 defects open, 3 of which are severe", Report(task="A-3", percent=50,
                                                                       note="complete, 14 defects open, 3 of which are severe")),
    ("status PUMP-3", model.Status(target="PUMP-3")),  # the verb itself is untouched
])
def test_a_report_heading_is_not_the_status_verb_and_a_relative_which_is_no_question(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want


@pytest.mark.parametrize(("text", "want"), [
    ("Closing A-3 as a duplicate of A-2.", model.Close(task="A-3", note="a duplicate of A-2")),
    ("A-3 与 A-2 重复，关闭 A-3。", model.Close(task="A-3", note="A-3 与 A-2 重复")),
    ("A-3 截止日期调整至下周五。", model.SetDue(task="A-3", when="下周五", due=date(2026, 6, 26))),
    ("A-3 优先级提高为紧急。", model.SetPriority(task="A-3", priority="urgent")),
    ("Please move the due date for A-3 to 30 June.", model.SetDue(task="A-3", when="30 June.", due=date(2026, 6, 30))),
    ("Raise the priority of A-3 to high, the client is escalating.", model.SetPriority(task="A-3", priority="high")),
    ("A-3 改由王建国负责，原负责人已调往T2项目。", model.Assign(task="A-3", to="王建国")),
    ("add a note to A-3: landlord wants quiet hours", model.Comment(task="A-3", text="landlord wants quiet hours")),  # not `new`
])
def test_task_changes_in_a_formal_report(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want


@pytest.mark.parametrize(("text", "want"), [
    ("6250 同意；6251 驳回，规格不符", model.Several(items=(Approve(approval_id=6250), Reject(approval_id=6251, reason="规格不符")))),
    ("收到。9607 同意，请财务科办理", Approve(approval_id=9607, comment="请财务科办理")),
    ("已阅，同意。#9608", Approve(approval_id=9608)),
    ("ok, 5 guys on site tomorrow", err("unknown_command", None, word="ok", suggestion="approve")),  # no decision, no write
])
def test_decisions_said_number_first_one_after_another_and_after_an_acknowledgement(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want
