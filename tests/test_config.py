"""Configuration: the ARCHITECTURE.md core is accepted as written; mistakes name file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, Settings, load_config, parse_config

CORE = """\
locale: zh                      # default reply language: zh | en
timezone: Asia/Shanghai
people:
  - id: bob                     # stable id, used by `pmsbot say --as bob`
    name: 王波
    locale: zh
    roles: [engineer]           # pm | engineer | approver | admin
    identities: {slack: U01BOB, feishu: ou_bob, dingtalk: "manager4021"}
    pms_user: bob               # the person's user in the project's PMS
  - id: alice
    name: Alice
  - id: carol
    name: 刘芳
projects:
  - key: PUMP
    name: 泵站改造
    pms: local                  # local | jira | redmine | zentao
    pms_project: pump           # the project's id or key in that PMS (not needed for local)
    members: [alice, bob]
    approvers: [carol]
    channels: [{platform: slack, id: C01PUMP}, {platform: feishu, id: oc_pump}]
standups:
  - name: pump-daily
    project: PUMP               # summary goes to the project's channels unless report_to says otherwise
    members: [alice, bob]
    at: "09:30"                 # local time of each member (their timezone, else this one)
    timezone: Asia/Shanghai
    days: workdays              # workdays | mon-fri | a list of weekdays
    calendar: CN                # holidays and adjusted workdays; any country code; none
    deadline: "10:30"
"""


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, name="pmsbot.yaml", env=env or {})
    return [str(p) for p in err.value.problems]


def test_architecture_core_is_accepted_as_written() -> None:
    cfg = parse_config(CORE, name="pmsbot.yaml", env={})
    bob = cfg.people[0]
    assert bob.identities == {"slack": "U01BOB", "feishu": "ou_bob", "dingtalk": "manager4021"}
    assert cfg.projects[0].approvers == ("carol",)
    assert cfg.projects[0].channels[1].id == "oc_pump"
    assert cfg.standups[0].deadline == "10:30" and cfg.standups[0].calendar == "CN"


def test_the_demo_config_is_valid_and_documents_every_section() -> None:
    from bot.demo.seed import demo_config

    cfg = demo_config()
    assert {p.id for p in cfg.people} >= {"alice", "bob", "carol", "dave"}
    assert cfg.projects[0].key == "PUMP" and cfg.standups


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    members: [alice, bob]\n    approvers", "    memebers: [alice, bob]\n    approvers",
         "pmsbot.yaml:19: projects[0].memebers: unknown key 'memebers'; did you mean 'members'?"),
        ("approvers: [carol]", "approvers: [carl]",
         "pmsbot.yaml:20: projects[0].approvers[0]: unknown person 'carl'; did you mean 'carol'?"),
        ("  - key: PUMP", "  - key: pump", "pmsbot.yaml:15: projects[0].key: a project key is 2-10 upper-case"),
        ("timezone: Asia/Shanghai\npeople", "timezone: Asia/Shang\npeople",
         "pmsbot.yaml:2: timezone: unknown timezone 'Asia/Shang'"),
        ("    pms: local ", "    pms: trello ", "pmsbot.yaml:17: projects[0].pms: Input should be 'local'"),
        ('    at: "09:30"', '    at: "9.30"', "pmsbot.yaml:26: standups[0].at: '9.30' is not a time: write HH:MM"),
        ("    roles: [engineer]", "    roles: [enginer]", "pmsbot.yaml:7: people[0].roles[0]: Input should be"),
        ("    project: PUMP ", "    project: PUMPX ", "pmsbot.yaml:24: standups[0].project: unknown project 'PUMPX'"),
        ("  - id: alice\n", "  - id: bob\n", "pmsbot.yaml:10: people[1].id: duplicate id 'bob'"),
        ("locale: zh ", "locale: fr ", "pmsbot.yaml:1: locale: Input should be 'zh' or 'en'"),
        ('    deadline: "10:30"', '    deadline: "09:00"',
         "pmsbot.yaml:30: standups[0].deadline: the deadline 09:00 must be after the start 09:30"),
        ("    members: [alice, bob]\n    at:", "    members: []\n    at:",
         "pmsbot.yaml:25: standups[0].members: a standup needs at least one member"),
        ("    calendar: CN ", "    calendar: XX ", "pmsbot.yaml:29: standups[0].calendar: unknown calendar 'XX'"),
        ("    pms: local ", "    pms: local\n    read: department\n", "pmsbot.yaml:15: projects[0]: read: department needs the project's department"),
        ("    days: workdays ", "    days: weekdays ", "pmsbot.yaml:28: standups[0].days: days must be workdays"),
        ('    at: "09:30"', "    at: 9:30", 'pmsbot.yaml:26: standups[0].at: write the time in quotes, like "09:30"'),
    ],
)
def test_mistakes_name_file_line_and_key(old: str, new: str, expected: str) -> None:
    assert old in CORE
    found = problems(CORE.replace(old, new, 1))
    assert any(p.startswith(expected) for p in found), found


def test_environment_interpolation() -> None:
    text = CORE.replace("pms_user: bob ", "pms_user: ${BOB_USER} ").replace("name: Alice", "name: ${ALICE:-Alice L}")
    cfg = parse_config(text, name="x.yaml", env={"BOB_USER": "bob.wang"})
    assert cfg.people[0].pms_user == "bob.wang" and cfg.people[1].name == "Alice L"
    assert problems(text) == [
        "pmsbot.yaml:9: people[0].pms_user: environment variable BOB_USER is not set "
        "(write ${BOB_USER:-default} for a default)"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("people: [\n", "pmsbot.yaml:2: (top level): not valid YAML"),
        ("- just\n- a list\n", "pmsbot.yaml:1: (top level): the file must hold a mapping of keys"),
        ("people: 5\n", "pmsbot.yaml:1: people: Input should be a valid"),
        ("people:\n  - name: x\n", "pmsbot.yaml:2: people[0].id: Field required"),
        ("projects:\n  - key: AB\n    name: x\n    members: [ghost]\n", "unknown person 'ghost'"),
        ("!!python/object:os.system ls\n", "not valid YAML"),
    ],
)
def test_malformed_files(text: str, expected: str) -> None:
    assert any(expected in p for p in problems(text)), problems(text)


def test_missing_file_means_built_in_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.yaml", env={}) == Config()


def test_unreadable_encoding_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("people:\n  - id: bob\n    name: 王波\n".encode("gbk"))
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(path) in str(err.value) and "cannot read" in str(err.value)


def test_settings_read_environment_and_hide_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    monkeypatch.setenv("PORT", "9090")
    settings = Settings()
    assert settings.port == 9090 and settings.enabled_platforms() == ("console", "slack")
    for secret in ("xoxb-secret-value", "signing-secret-value"):
        assert secret not in repr(settings) and secret not in str(settings.model_dump())


@pytest.mark.parametrize(("env", "problem"), [
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "neither SLACK_SIGNING_SECRET"),
    ({"SLACK_SIGNING_SECRET": "s"}, "needs SLACK_BOT_TOKEN"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "ftp://x"}, "http(s) URL"),
    ({"FEISHU_APP_ID": "cli_1"}, "both FEISHU_APP_ID and FEISHU_APP_SECRET"),
    ({"FEISHU_APP_ID": "cli_1", "FEISHU_APP_SECRET": "s"}, "FEISHU_VERIFICATION_TOKEN or FEISHU_ENCRYPT_KEY"),
    ({"FEISHU_APP_ID": "cli_1", "FEISHU_APP_SECRET": "s", "FEISHU_ENCRYPT_KEY": "k", "FEISHU_API_BASE": "open.feishu.cn"},
     "FEISHU_API_BASE must be an http(s) URL"),
])
def test_incomplete_platform_settings_are_refused(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                  problem: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValueError, match=re.escape(problem)):
        Settings()


def test_an_identity_belongs_to_one_person() -> None:
    text = CORE.replace("  - id: alice\n    name: Alice\n", "  - id: alice\n    name: Alice\n    identities: {slack: U01BOB}\n")
    assert problems(text) == ["pmsbot.yaml:12: people[1].identities.slack: slack id 'U01BOB' already belongs to 'bob'"]


def test_values_longer_than_their_columns_are_config_errors() -> None:
    found = problems(CORE.replace("pms_user: bob ", f"pms_user: {'b' * 101} "))
    assert found and found[0].startswith("pmsbot.yaml:9: people[0].pms_user: String should have at most 100")


def test_control_characters_are_refused() -> None:
    assert problems(CORE.replace("name: 王波", 'name: "王\\0波"')) == [
        "pmsbot.yaml:5: people[0].name: contains a control character (only tab and newline are allowed)"
    ]
    assert problems(CORE.replace("pms_user: bob ", "pms_user: ${EVIL} "), env={"EVIL": "a\x1bb"})[0].startswith(
        "pmsbot.yaml:9: people[0].pms_user: contains a control character")


def test_calendar_extras_are_dates() -> None:
    cfg = parse_config(CORE + "calendars:\n  CN: {extra_workdays: [2027-02-20], extra_holidays: [2026-12-31]}\n",
                       name="pmsbot.yaml", env={})
    from datetime import date

    cal = cfg.work_calendar("CN")
    assert cal.is_workday(date(2027, 2, 20)) and not cal.is_workday(date(2026, 12, 31))
    assert any("calendars.CN.extra_workdays[0]" in p
               for p in problems(CORE + "calendars:\n  CN: {extra_workdays: [2027-02-30]}\n"))


TOKEN = "a-token-of-20-chars!"
SOURCE = """\
sources:
  - name: erp
    auth: {token: a-token-of-20-chars!}
    rules:
      - name: r
        do:
          - comment: {task: x, text: y}
"""


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # wrong types
        ("projects:\n  - key: PUMP", "projects: {key: PUMP}\nold:\n  - key: PUMP", "pmsbot.yaml:14: projects: Input should be"),
        ('identities: {slack: U01BOB, feishu: ou_bob, dingtalk: "manager4021"}', "identities: [U01BOB]",
         "pmsbot.yaml:8: people[0].identities: Input should be a valid dictionary"),
        ("standups:\n  - name", "standups: daily\nold:\n  - name", "pmsbot.yaml:22: standups: Input should be a valid tuple"),
        # projects
        ("standups:", "  - key: PUMP\n    name: again\nstandups:", "pmsbot.yaml:22: projects[1].key: duplicate key 'PUMP'"),
        ("    pms: local ", "    task_url: https://pms.example.com/browse\n    pms: local ",
         "pmsbot.yaml:17: projects[0].task_url: task_url must be an http(s) URL containing {key}"),
        ("    pms: local ", "    pms: zentao ", "pmsbot.yaml:15: projects[0]: pms_project must be the Zentao project's id"),
        # rollout
        (None, "rollout:\n  nofeature: {projects: [PUMP]}\n",
         "pmsbot.yaml:32: rollout.nofeature: unknown feature 'nofeature' (features: "),
        (None, "rollout:\n  risk_alerts: {projects: [PUMPX]}\n",
         "pmsbot.yaml:32: rollout.risk_alerts.projects[0]: unknown project 'PUMPX'; did you mean 'PUMP'?"),
        # schedules
        ('    deadline: "10:30"', '    deadline: "10:30"\n    remind_at: "11:00"',
         "pmsbot.yaml:31: standups[0].remind_at: remind_at 11:00 must fall between 09:30 and the deadline"),
        (None, "risk_alerts:\n  - project: PUMPX\n",
         "pmsbot.yaml:32: risk_alerts[0].project: unknown project 'PUMPX'; did you mean 'PUMP'?"),
        (None, "risk_alerts:\n  - project: PUMP\n    rules: {overdue: {days: 3}}\n",
         "pmsbot.yaml:33: risk_alerts[0].rules: rule overdue does not take days (it takes no settings)"),
        # connectors
        (None, "connectors:\n  jira: {progres_field: customfield_10050}\n",
         "pmsbot.yaml:32: connectors.jira.progres_field: unknown key 'progres_field'; did you mean 'progress_field'?"),
        (None, "connectors:\n  zentao: {action_method: GET}\n",
         "pmsbot.yaml:32: connectors.zentao.action_method: Input should be 'POST' or 'PUT'"),
        (None, "connectors:\n  redmine:\n    statuses: {todo: [New], in_progress: [Doing], blocked: [Feedback]}\n",
         "pmsbot.yaml:33: connectors.redmine.statuses.done: Field required"),
        # sources
        (None, SOURCE.replace(f"    auth: {{token: {TOKEN}}}\n", ""),
         "pmsbot.yaml:32: sources[0]: a webhook source needs `auth` (hmac or token)"),
        (None, SOURCE.replace(f"    auth: {{token: {TOKEN}}}\n", "    kind: file\n"),
         "pmsbot.yaml:32: sources[0]: a file source needs `path` (a glob such as /data/erp/*.xlsx)"),
        (None, SOURCE.replace("name: erp", "name: jira"), "pmsbot.yaml:32: sources[0].name: a source name is 1-25"),
        (None, SOURCE.replace(TOKEN, "short"), "pmsbot.yaml:33: sources[0].auth.token: a secret or token must be "
                                               "at least 16 characters"),
        (None, SOURCE.replace("token: " + TOKEN, "allow_ips: [10.0.0.0/8]"),
         "pmsbot.yaml:33: sources[0].auth: a source needs `hmac` or `token` (an IP allow-list alone is not enough)"),
        (None, SOURCE.replace("    rules:", f"    callback: {{url: ftp://x, secret: {TOKEN}}}\n    rules:"),
         "pmsbot.yaml:34: sources[0].callback.url: the callback url must be http(s)"),
        (None, SOURCE.replace("text: y}", "text: y}\n            metric: {project: PUMP, name: b, value: '1'}"),
         "pmsbot.yaml:37: sources[0].rules[0].do[0]: an action is one of update_task, create_task, comment, log_work, "
         "request_approval, metric, notify; this one has comment, metric"),
        (None, SOURCE + SOURCE.removeprefix("sources:\n"), "pmsbot.yaml:38: sources[1].name: duplicate name 'erp'"),
    ],
)
def test_each_section_names_its_mistakes(old: str | None, new: str, expected: str) -> None:
    """Hostile input per section: wrong types, missing or unknown references, rules each section keeps."""
    if old is None:
        text = CORE + new
    else:
        assert old in CORE
        text = CORE.replace(old, new, 1)
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found
