"""Field language: a step of the task named before its percent, hours said once for each listed task, capital keys
spoken with a space (issue 20)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commands.field import understand
from commands.model import Confirm, Done, ParseError, Report, Several


@pytest.mark.parametrize(("text", "task", "percent"), [
    ("PV-9 inverter wiring is 40% done", "PV-9", 40),
    ("ERP-3 testing 进度 45%，明天继续", "ERP-3", 45),
    ("A-3 data migration 60% through", "A-3", 60),
    ("A-3 done about half", "A-3", 50),
])
def test_a_step_before_a_percent_with_a_progress_word_is_the_tasks_progress(text: str, task: str, percent: int) -> None:
    result = understand(text)
    assert isinstance(result, Report) and (result.task, result.percent) == (task, percent)


@pytest.mark.parametrize("text", ["A-3 phase 2 50% complete", "A-3 rack 2 50% complete", "A-3 3层 50% 完成",
                                  "A-3 vendor says 50% done", "A-3 should be 80% done by friday",
                                  "A-3 supplier is 50% done with the order", "A-3 crew A 50% through, crew B not started",
                                  "A-3 UAT 60%", "A-3 done nearly half", "A-3 about three quarters"])
def test_a_part_or_an_unlabelled_figure_is_asked_not_written(text: str) -> None:
    result = understand(text)
    assert not isinstance(result, (Report, Done, Several)), result


def test_hours_said_once_for_each_task_are_each_tasks() -> None:
    result = understand("A-3 完成，A-4 到40%，各3小时")
    assert isinstance(result, Several)
    assert [(x.task, x.hours) for x in result.items if isinstance(x, (Report, Done))] == [
        ("A-3", Decimal(3)), ("A-4", Decimal(3))]
    total = understand("A-3 done, A-4 at 40%, 3h total")
    assert isinstance(total, ParseError)  # one total over two tasks: asked


@pytest.mark.parametrize(("text", "expected"), [
    ("PUMP 4 done period", Done(task="PUMP-4", note=".")),
    ("VFD 3 eighty percent period", Report(task="VFD-3", percent=80, note=".")),
])
def test_a_capital_key_spoken_with_a_space(text: str, expected: object) -> None:
    assert understand(text) == expected


@pytest.mark.parametrize("text", ["PM 4 done", "FLOOR 3 DONE", "ROOM 4 finished", "ELV 12 3 hours", "HVAC 2 h done", "room 4 done"])
def test_capitals_that_are_words_or_a_spelled_h_d_one_are_no_key(text: str) -> None:
    result = understand(text)
    assert not isinstance(result, (Report, Done, Several)), result


@pytest.mark.parametrize("text", ["A-3 finished except the labels", "A-3 完成了，除了标签", "A-3 almost 好了"])
def test_completion_with_something_left_or_hedged_is_asked(text: str) -> None:
    assert isinstance(understand(text), Confirm)


def test_a_question_closed_by_its_mark_leaves_the_next_tasks_report_alone() -> None:
    assert understand("A-3 完成了吗？A-4 我这边完成了") == Done(task="A-4", note="我这边")
    assert isinstance(understand("A-3 50% A-4 ?"), Confirm | ParseError)  # a bare "?" is a doubt on the message


def test_a_check_mark_alone_is_asked() -> None:
    result = understand("A-3 ✅")
    assert isinstance(result, ParseError) and result.code == "unclear_done"
