"""Messages in traditional characters and replies with quoted lines (commands/script.py, commands/parse.py): read
as simplified, the person's own words given back as typed, and quoted lines not read (issue 20)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from commands import model
from commands.evaluation import declared_projects, outcome
from commands.keys import tags_as_words
from commands.parse import parse
from commands.script import _converter, as_typed, simplified

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(("text", "want"), [
    ("核准 8203", model.Approve(approval_id=8203)),
    ("不核准 8225，報價超出預算", model.Reject(approval_id=8225, reason="報價超出預算")),
    ("備註 MPL-13 廠商禮拜三會再嚟睇", model.Comment(task="MPL-13", text="廠商禮拜三會再嚟睇")),
    ("重新打開 BES-16，屏幕又黑咗", model.Reopen(task="BES-16", note="屏幕又黑咗")),
    ("RWT-17 進度 25%，工時 1小時半", model.Report(task="RWT-17", percent=25, hours=Decimal("1.5"))),
    ("RWT-2 flushing 做咗 2.5 個鐘", model.Report(task="RWT-2", note="flushing 做咗", hours=Decimal("2.5"))),
    ("TYS-15 卡住了 等料件", model.Block(task="TYS-15", reason="等料件")),
])
def test_traditional_characters_are_read_and_the_words_kept_as_typed(text: str, want: object) -> None:
    assert parse(text, today=TODAY) == want


def test_a_question_quotes_the_words_as_typed() -> None:
    got = parse("BES-1 到 30%，BES-2 做咗幾個", today=TODAY)
    assert isinstance(got, model.ParseError) and got.code == "unclear_count" and got.params["value"] == "做咗幾個"


def test_simplified_text_and_text_without_chinese_are_left_alone() -> None:
    _converter.cache_clear()
    assert simplified("A-3 80% done, 2h") == "A-3 80% done, 2h" and _converter.cache_info().currsize == 0  # not loaded
    assert simplified("A-3 80% done, 2h") == "A-3 80% done, 2h"
    assert simplified("进度 80%") == "进度 80%"
    assert simplified("進度 80%，還沒完成") == "进度 80%，还没完成"


def test_as_typed_gives_back_only_what_the_read_text_holds() -> None:
    read, typed = "A-3 厂商到了", "A-3 廠商到了"
    assert as_typed(model.Unblock(task="A-3", note="厂商到了"), read, typed) == model.Unblock(task="A-3", note="廠商到了")
    assert as_typed(model.Unblock(task="A-3", note="别的"), read, typed) == model.Unblock(task="A-3", note="别的")
    several = model.Several(items=(model.Start(task="A-3", note="厂商到了"), model.Start(task="A-4")))
    assert as_typed(several, read, typed).items[0] == model.Start(task="A-3", note="廠商到了")
    # lengths differ (a word rewritten into a longer one): nothing is mapped back
    assert as_typed(model.Unblock(task="A-3", note="厂商"), "A-3 厂商了", "A-3 廠商") == model.Unblock(task="A-3", note="厂商")


@pytest.mark.parametrize(("text", "want"), [
    ("> SCR-5 80%\n收到👍 辛苦", "none"),  # someone else's report, acknowledged
    ("> ABS-15 60%\nmy bad, that should read 75%", model.Correct(percent=75)),
    (">> A-3 80%\n> A-4 done\nok", "none"),
    ("> A-3 80%", model.Report(task="A-3", percent=80)),  # nothing but the quote: read as it is
])
def test_lines_quoted_at_the_start_of_a_reply_are_not_read(text: str, want: object) -> None:
    got = parse(text, today=TODAY)
    if want == "none":
        assert not isinstance(got, (model.Report, model.Done, model.Correct, model.Several, model.Confirm)), got
    else:
        assert got == want


def test_an_answer_under_a_quoted_question_is_offered_for_the_quoted_task() -> None:
    got = parse("> CDL-9 到哪了？\n到百分之六十，液压缸明早装", today=TODAY)
    assert isinstance(got, model.Confirm) and got.reason == "unplaced_key"
    assert got.items == (model.Report(task="CDL-9", percent=60, note="液压缸明早装"),)


PROJECTS = frozenset({"API", "CTF"})


@pytest.mark.parametrize(("text", "want"), [
    ("CTF-21 TK-7 清罐 60% 了", model.Report(task="CTF-21", percent=60, note="TK-7 清罐 了")),
    ("CTF-10 waiting on permit PTW-5521, 40% done",
     model.Several(items=(model.Report(task="CTF-10", percent=40), model.Block(task="CTF-10", reason="waiting on permit PTW-5521, done")))),
    ("API-8 進度 60%，FT-118 標定", model.Report(task="API-8", percent=60, note="FT-118 標定")),
    ("API-10 PT-2031 装完了", model.Confirm(items=(model.Done(task="API-10", note="PT-2031"),), reason="suggested",
                                         text="API-10 PT-2031 装完了")),  # the transmitter's, or the task's?
    ("PTW-4471 批下来了", model.Unblock(task="PTW-4471", note="批下来了")),  # no task named: refused by name when written
])
def test_a_tag_beside_a_task_is_a_word_of_its_report(text: str, want: object) -> None:
    assert parse(text, today=TODAY, projects=PROJECTS) == want


def test_tags_as_words_keeps_lengths_and_gives_each_tag_back() -> None:
    read, words = tags_as_words("CTF-1 FT-118 FT-119 FT-118 done", PROJECTS)
    assert len(read) == len("CTF-1 FT-118 FT-119 FT-118 done") and "FT-1" not in read
    assert words == {"FTxbbi": "FT-118", "FTxbbj": "FT-119"}
    assert tags_as_words("FT-118 done", PROJECTS) == ("FT-118 done", {})  # no task named: left as typed
    assert tags_as_words("FT-118 CTF-1 done", None) == ("FT-118 CTF-1 done", {})


def test_a_corpus_may_declare_its_projects_and_a_write_on_no_project_is_refused() -> None:
    assert declared_projects("# holdout\n# Projects: RFT API, wwp\n- text: x\n") == frozenset({"RFT", "API", "WWP"})
    assert declared_projects("# holdout\n- text: x\n") is None
    assert outcome(model.Unblock(task="PTW-4471"), PROJECTS) == "none"
    assert outcome(model.Unblock(task="CTF-3"), PROJECTS) == ("unblock CTF-3",)
