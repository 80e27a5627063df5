"""Photos sent with a report: from each platform fake (Slack, Feishu, DingTalk, each with the auth it requires) to an
attachment of the issue in a real Redmine, and to the built-in store's task page; hostile files answered clearly."""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.config import Settings, load_config
from bot.files import checked
from bot.pms.base import PMSError
from bot.pms.local import LocalPMS
from bot.records import Attachment, FileRefused
from bot.runtime import Runtime
from bot.store import task_files
from bot.store.workspace import SqlWorkspace
from tests.conftest import running_clock
from tests.fakes import dingtalk as fake_dingtalk
from tests.fakes import feishu as fake_feishu
from tests.fakes import slack as fake_slack
from tests.fakes.dingtalk import FakeDingTalk
from tests.fakes.feishu import FakeFeishu
from tests.fakes.slack import FakeSlack
from tests.pms_backends import JiraBackend, ZentaoBackend
from tests.redmine_server import RedmineServer
from tests.waiting import eventually

Client = TestClient  # type: ignore[type-arg]
SLACK_BOB, FEISHU_BOB, DINGTALK_BOB = "U01BOB", "ou_bob", "manager4021"
SLACK_DM, FEISHU_CHAT, DINGTALK_CHAT = "D01BOB", "oc_bobp2p", "cidP2Pbob"
MAX_BYTES = 64 * 1024  # PMSBOT_ATTACHMENT_MAX_BYTES in these tests


def png(width: int = 2) -> bytes:
    """A real (tiny) PNG: signature, IHDR, IDAT, IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(width))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, width, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200) + b"\xff\xd9"


@dataclass
class World:
    rt: Runtime
    client: Client
    slack: FakeSlack
    feishu: FakeFeishu
    dingtalk: FakeDingTalk
    redmine: httpx.AsyncClient  # as Redmine's admin, to read what was attached
    identifier: str

    async def issue(self, subject: str) -> int:
        r = await self.redmine.post("/issues.json", json={"issue": {"project_id": self.identifier,
                                                                     "tracker_id": 2, "subject": subject}})
        assert r.status_code == 201, r.text
        return int(r.json()["issue"]["id"])

    async def local_task(self, title: str) -> str:
        """A task of the built-in store's project LOC, assigned to bob."""
        async with self.rt.db.write() as s:
            person = await SqlWorkspace(s, default_locale="en").person("bob")
            assert person is not None
            task = await LocalPMS(s, clock=self.rt.clock).create_task("LOC", title, assignee=person, due=None,
                                                                      by=person)
        return task.key

    async def attachments(self, issue_id: int) -> list[dict[str, Any]]:
        r = await self.redmine.get(f"/issues/{issue_id}.json", params={"include": "attachments,journals"})
        return list(r.json()["issue"].get("attachments") or [])

    async def slack_says(self, text: str, files: list[dict[str, Any]], *, replies: int = 2) -> str:
        """The message in; the answers out (the report's and the files', each its own message)."""
        before = len(self.slack.messages(SLACK_DM))
        event = fake_slack.file_share_event(text, files, user=SLACK_BOB, channel=SLACK_DM)
        body = fake_slack.event_callback(event)
        r = await self.client.post("/slack/events", data=body, headers={
            "Content-Type": "application/json", **fake_slack.sign(body)})
        assert r.status == 200

        async def answered() -> bool:
            return len(self.slack.messages(SLACK_DM)) >= before + replies
        await eventually(answered, what="slack answer")
        return "\n".join(p.text for p in self.slack.messages(SLACK_DM)[before:])


@pytest.fixture
async def world(redmine: RedmineServer, tmp_path: Path) -> AsyncIterator[World]:
    admin = httpx.AsyncClient(base_url=redmine.url, headers={"X-Redmine-API-Key": redmine.api_key}, timeout=30)
    identifier = f"att-{uuid.uuid4().hex[:10]}"
    r = await admin.post("/projects.json", json={"project": {
        "name": identifier, "identifier": identifier, "enabled_module_names": ["issue_tracking"],
        "tracker_ids": [1, 2, 3]}})
    assert r.status_code == 201, r.text
    config = tmp_path / "pmsbot.yaml"
    config.write_text(yaml.safe_dump({
        "locale": "en", "timezone": "UTC",
        "people": [{"id": "bob", "name": "Bob Wang", "locale": "en", "roles": ["engineer"],
                    "identities": {"slack": SLACK_BOB, "feishu": FEISHU_BOB, "dingtalk": DINGTALK_BOB}},
                   {"id": "erin", "name": "Erin Zhao", "locale": "zh", "identities": {"slack": "U01ERIN"}}],
        "projects": [{"key": "PUMP", "name": "Pump", "pms": "redmine", "pms_project": identifier,
                      "members": ["bob", "erin"]},
                     {"key": "LOC", "name": "Built-in", "pms": "local", "members": ["bob"]}]}), encoding="utf-8")
    slack, feishu, dingtalk = FakeSlack(), FakeFeishu(), FakeDingTalk()
    for server in (slack, feishu, dingtalk):
        await server.start()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'a.db'}", pmsbot_config=str(config),
        pmsbot_attachment_max_bytes=MAX_BYTES, redmine_url=redmine.url,
        redmine_api_key=redmine.api_key,  # type: ignore[arg-type]
        slack_bot_token=slack.bot_token, slack_signing_secret=fake_slack.SIGNING_SECRET,  # type: ignore[arg-type]
        slack_api_url=slack.api_url, feishu_app_id=fake_feishu.APP_ID,
        feishu_app_secret=fake_feishu.APP_SECRET,  # type: ignore[arg-type]
        feishu_encrypt_key=fake_feishu.ENCRYPT_KEY, feishu_api_base=feishu.base,  # type: ignore[arg-type]
        dingtalk_client_id=fake_dingtalk.CLIENT_ID, dingtalk_client_secret=fake_dingtalk.CLIENT_SECRET,  # type: ignore[arg-type]
        dingtalk_api_base=dingtalk.base, dingtalk_oapi_base=dingtalk.base)
    rt = Runtime(settings, load_config(config), console=True, clock=running_clock())
    await rt.open()
    rt.start(("worker",))
    async with TestClient(TestServer(build_app(rt))) as client:
        yield World(rt, client, slack, feishu, dingtalk, admin, identifier)
    await rt.close()
    for server in (slack, feishu, dingtalk):
        await server.stop()
    await admin.aclose()


async def test_a_photo_sent_with_a_report_on_each_platform_arrives_in_redmine(world: World) -> None:
    w = world
    # Slack: a direct message with a shared file, read with the bot token from url_private_download.
    first = await w.issue("Replace the valve")
    text = await w.slack_says(f"PUMP-{first} 60% valve replaced", [w.slack.add_file("valve.jpg", JPEG)])
    assert "Attached valve.jpg" in text and "60%" in text, text
    assert w.slack.file_reads == 1

    # Feishu: a post with words and an image, read from the message's resources with the tenant token.
    second = await w.issue("Paint the housing")
    event = fake_feishu.image_message_event(sender=FEISHU_BOB, chat=FEISHU_CHAT, image_key="img_v3_housing01",
                                            text=f"PUMP-{second} 70%")
    w.feishu.resources[(event["message"]["message_id"], "img_v3_housing01")] = (png(), "image/png")
    body, headers = fake_feishu.signed(fake_feishu.envelope("im.message.receive_v1", event))
    assert (await w.client.post("/feishu/events", data=body, headers=headers)).status == 200

    # DingTalk: a rich-text robot message with a picture, read by its downloadCode through a temporary link.
    third = await w.issue("Seal the pipe")
    code = "dlcode" + uuid.uuid4().hex
    w.dingtalk.files[code] = (JPEG, "image/jpeg")
    body, headers = fake_dingtalk.signed(fake_dingtalk.picture_message(
        sender=DINGTALK_BOB, conversation=DINGTALK_CHAT, download_code=code, text=f"PUMP-{third} 80%"))
    assert (await w.client.post("/dingtalk/events", data=body, headers=headers)).status == 200

    # Waited for on the platforms' side (the answers), not by polling Redmine, which is slow to ask.
    async def answered() -> bool:
        return (any("Attached" in m.text for m in w.feishu.messages(FEISHU_CHAT))
                and any("Attached" in m.text for m in w.dingtalk.messages()))
    await eventually(answered, timeout_s=30, what="feishu and dingtalk answers")
    got = {n: await w.attachments(n) for n in (first, second, third)}
    assert [(a["filename"], a["filesize"], a["content_type"]) for a in got[first]] == \
        [("valve.jpg", len(JPEG), "image/jpeg")]  # once each: nothing attached twice
    assert [(a["filename"], a["filesize"]) for a in got[second]] == [("img_v3_housing01.png", len(png()))]
    assert [(a["filename"], a["filesize"]) for a in got[third]] == [("picture.jpg", len(JPEG))]
    assert w.feishu.resource_reads == 1 and w.dingtalk.file_reads == 1
    assert "Attached img_v3_housing01.png" in w.feishu.messages(FEISHU_CHAT)[-1].text
    assert any("Attached picture.jpg" in m.text for m in w.dingtalk.messages())


async def test_hostile_files_are_refused_clearly_and_the_report_stands(world: World) -> None:
    w = world  # on the built-in store: the checks are the worker's, whichever PMS takes the file
    key = await w.local_task("Check the motor")
    files = [w.slack.add_file("motor.jpg", b"MZ\x90\x00 this is a program, not a photo", "image/jpeg"),
             w.slack.add_file("../../etc/passwd.png", png()),
             w.slack.add_file("empty.jpg", b""),
             w.slack.add_file("huge.jpg", JPEG[:4] + bytes(MAX_BYTES)),
             {**w.slack.add_file("liar.jpg", JPEG[:4] + bytes(MAX_BYTES)), "size": 100}]  # declares less
    text = await w.slack_says(f"{key} 40% motor checked", files)
    assert "40%" in text, text  # the report itself was written
    assert "motor.jpg was not attached: only JPEG, PNG, WebP and GIF pictures and PDF" in text, text
    assert "empty.jpg was not attached: the file is empty" in text, text
    assert "huge.jpg was not attached: it is larger than 0.0625 MB" in text, text
    assert "liar.jpg was not attached: it is larger than 0.0625 MB" in text, text  # stopped at the limit
    assert "Attached passwd.png" in text, text
    assert [f.name for f in await task_files.files_of(w.rt.db, key)] == ["passwd.png"]  # the path stripped
    assert w.slack.file_reads == 4  # huge.jpg declared its size and was never fetched

    # A photo alone, or with words that are no report: not attached anywhere, and nothing fetched for it.
    text = await w.slack_says("", [w.slack.add_file("site.jpg", JPEG)], replies=1)
    assert "site.jpg: not attached. Send a photo or file in the same message as its report" in text, text
    text = await w.slack_says("how is it going", [w.slack.add_file("site2.jpg", JPEG)])
    assert "site2.jpg: not attached" in text, text
    # A file entry pointing off Slack's file host is dropped on arrival: our token goes nowhere else.
    forged = {**w.slack.add_file("x.jpg", JPEG), "url_private_download": "https://evil.example/steal.jpg",
              "url_private": "https://evil.example/steal.jpg"}
    text = await w.slack_says(f"{key} 50%", [forged], replies=1)
    assert "50%" in text and "Attached" not in text
    assert w.slack.file_reads == 4
    assert [f.name for f in await task_files.files_of(w.rt.db, key)] == ["passwd.png"]


async def test_on_the_built_in_store_the_photo_shows_on_the_task_page(world: World) -> None:
    w = world
    key = await w.local_task("Fix the gate")
    photo = png(3)
    text = await w.slack_says(f"{key} 50% gate fixed", [w.slack.add_file("gate.png", photo)])
    assert "Attached gate.png" in text and key in text, text
    stored = await task_files.files_of(w.rt.db, key)
    assert [(f.name, f.content_type, f.size_bytes) for f in stored] == [("gate.png", "image/png", len(photo))]
    links = w.rt.dispatcher.links
    assert links is not None
    page = await w.client.get(links.field(key, "bob").removeprefix(w.rt.settings.pmsbot_public_url or ""))
    html = await page.text()
    assert page.status == 200 and "gate.png" in html and 'id="files"' in html
    url = html.split('id="files"')[1].split('href="')[1].split('"')[0]
    served = await w.client.get(url)
    assert served.status == 200 and served.headers["Content-Type"] == "image/png" and await served.read() == photo
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    altered = await w.client.get(url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB"))
    assert altered.status == 404


@pytest.mark.parametrize("event", [
    {"msgtype": "picture", "content": {"downloadCode": "../../../etc"}},
    {"msgtype": "picture", "content": "not an object"},
    {"msgtype": "richText", "content": {"richText": [{"type": "picture"}, "junk", {"text": "PUMP-1 5%"}]}},
    {"msgtype": "file", "content": {"downloadCode": 42}},
])
def test_malformed_dingtalk_pictures_carry_no_file(event: dict[str, Any]) -> None:
    from bot.platforms.dingtalk import message_files
    assert message_files(event) == ()


@pytest.mark.parametrize("message", [
    {"message_id": "om_1", "message_type": "image", "content": '{"image_key": "img_../../x"}'},
    {"message_id": "../om_1", "message_type": "image", "content": '{"image_key": "img_ok"}'},
    {"message_id": "om_1", "message_type": "image", "content": "[1, 2]"},
    {"message_id": "om_1", "message_type": "post", "content": '{"content": [["x", {"tag": "img"}]]}'},
    {"message_id": "om_1", "message_type": "audio", "content": '{"file_key": "file_x"}'},
])
def test_malformed_feishu_resources_carry_no_file(message: dict[str, Any]) -> None:
    from bot.platforms.feishu import message_files
    assert message_files(message) == ()


def test_slack_files_only_from_slacks_file_host() -> None:
    from bot.platforms.slack_checks import shared_files
    good = {"name": "a.jpg", "size": 3, "url_private_download": "https://files.slack.com/files-pri/T-F/download/a.jpg"}
    assert [f.ref for f in shared_files([good], None)] == [good["url_private_download"]]
    for bad in ("http://files.slack.com/x", "https://files.slack.com.evil.example/x", "https://evil.example/x",
                "file:///etc/passwd"):
        assert shared_files([{**good, "url_private_download": bad, "url_private": bad}], None) == ()
    assert shared_files("not a list", None) == () and shared_files([1, None, "x"], None) == ()


@pytest.mark.parametrize("flavor", ["jira_cloud", "jira_dc"])
async def test_jira_takes_the_file_as_a_multipart_attachment(flavor: str) -> None:
    backend = await JiraBackend.open(flavor)
    try:
        key = await backend.seed("Replace the valve")
        photo = png()
        await backend.pms.attach(key, Attachment(name="valve.png", content_type="image/png", data=photo), by=backend.bob)
        [stored] = backend.fake.attachments[key]
        assert (stored["filename"], stored["mimeType"], stored["data"]) == ("valve.png", "image/png", photo)
        backend.fake.attachment_max_bytes = 10
        with pytest.raises(PMSError) as refused:  # Jira's 413 is a clear refusal, not a retry
            await backend.pms.attach(key, Attachment(name="b.png", content_type="image/png", data=photo),
                                     by=backend.bob)
        assert refused.value.code == "pms_refused" and "size limit" in refused.value.params["reason"]
    finally:
        await backend.close()


async def test_zentao_says_its_api_takes_no_files() -> None:
    backend = await ZentaoBackend.open()
    try:
        key = await backend.seed("Replace the valve")
        with pytest.raises(PMSError) as refused:
            await backend.pms.attach(key, Attachment(name="a.png", content_type="image/png", data=png()),
                                     by=backend.bob)
        assert refused.value.code == "attach_not_supported" and refused.value.params["task"] == key
    finally:
        await backend.close()


@pytest.mark.parametrize("data,name,expected", [
    (JPEG, "photo.JPEG", ("photo.jpg", "image/jpeg")),
    (png(), "scan", ("scan.png", "image/png")),
    (b"GIF89a" + bytes(20), "a.gif", ("a.gif", "image/gif")),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20), "w.webp", ("w.webp", "image/webp")),
    (b"%PDF-1.7\n%...", "report.pdf", ("report.pdf", "application/pdf")),
    (JPEG, "../../../etc/cron.d/x.jpg", ("x.jpg", "image/jpeg")),
    (JPEG, "..\\..\\win.ini", ("win.ini.jpg", "image/jpeg")),
    (png(), "invoice.pdf.exe", ("invoice.pdf.exe.png", "image/png")),
    (JPEG, "\x00\x1b[31m.jpg", ("_[31m.jpg", "image/jpeg")),
    (JPEG, "...", ("file.jpg", "image/jpeg")),
])
def test_the_type_is_read_from_the_bytes_and_the_name_made_safe(data: bytes, name: str,
                                                                 expected: tuple[str, str]) -> None:
    got = checked(name, data, max_bytes=MAX_BYTES)
    assert isinstance(got, Attachment) and (got.name, got.content_type) == expected


@pytest.mark.parametrize("data,code", [
    (b"", "empty"),
    (b"MZ\x90\x00", "wrong_type"),
    (b"<!DOCTYPE html><html>Sign in to Slack</html>", "wrong_type"),  # a login page is not a photo
    (b"RIFF\x10\x00\x00\x00WAVEfmt ", "wrong_type"),  # RIFF, but audio
    (b"\x89PNG\r\n", "wrong_type"),  # a PNG's signature cut short
    (JPEG[:3] + bytes(MAX_BYTES), "too_big"),
])
def test_files_that_are_not_attached_say_why(data: bytes, code: str) -> None:
    got = checked("x.jpg", data, max_bytes=MAX_BYTES)
    assert isinstance(got, FileRefused) and got.code == code


def test_the_size_limit_setting_is_bounded() -> None:
    with pytest.raises(ValueError, match="PMSBOT_ATTACHMENT_MAX_BYTES"):
        Settings(pmsbot_attachment_max_bytes=0)
    with pytest.raises(ValueError, match="PMSBOT_ATTACHMENT_MAX_BYTES"):
        Settings(pmsbot_attachment_max_bytes=51 * 1024 * 1024)


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_answers_name_each_file_and_reason_in_both_languages(locale: str) -> None:
    from notifiers.render import Renderer
    refused = [{"name": n, "code": c, "params": p} for n, c, p in [
        ("a.exe", "wrong_type", {}), ("b.jpg", "too_big", {"max_mb": "10"}), ("c.jpg", "empty", {}),
        ("d.jpg", "download_failed", {}), ("…", "too_many", {"max": "5"}),
        ("e.jpg", "attach_not_supported", {"pms": "Zentao", "task": "PUMP-3"}),
        ("f.jpg", "pms_refused", {"pms": "Redmine", "reason": "exceeds the maximum allowed file size"})]]
    text = Renderer().render(platform="console", locale=locale, kind="files_attached", data={
        "attached": [{"task": "PUMP-3", "name": "valve.jpg", "kb": 12}], "refused": refused}, actions=[]).text
    assert "{" not in text and "valve.jpg" in text and "PUMP-3" in text
    assert all(r["name"] in text for r in refused) and "Zentao" in text and "10 MB" in text
    assert len(text.strip().splitlines()) == 1 + len(refused)
    alone = Renderer().render(platform="console", locale=locale, kind="files_not_attached",
                              data={"names": ["x.jpg"]}, actions=[]).text
    assert "x.jpg" in alone and "PUMP-12" in alone
