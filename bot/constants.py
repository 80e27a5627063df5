"""Tunables in one place. Units are in the names."""

from decimal import Decimal
from typing import Final

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8080
DEFAULT_CONFIG_PATH: Final = "pmsbot.yaml"
DEFAULT_DATABASE_URL: Final = "sqlite+aiosqlite:///./pmsbot.db"
DEFAULT_LOCALE: Final = "zh"
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
LOCALES: Final = ("zh", "en")

# Inbox: group commit and claiming.
INBOX_BATCH_MAX: Final = 256  # events written in one transaction at most
INBOX_GATHER_TURNS: Final = 8  # event-loop turns a commit waits while each turn brings more events
INBOX_GATHER_MAX_S: Final = 0.002  # and at most this long (a turn of a busy loop can take milliseconds)
INBOX_LEASE_S: Final = 30.0  # a claimed event is retried by another worker after this (crash recovery time)
INBOX_MAX_ATTEMPTS: Final = 5  # then the event is parked as failed
INBOX_HANDOFF_MAX: Final = 128  # events handed to this process's worker in memory; the rest wait in the table
WORKER_POLL_S: Final = 0.5  # how often a worker looks for work written by other processes
WORKER_BATCH: Final = 32
# A worker sharing its process with the intake lets the acks waiting for their commit go first, at most this long
# before each event (so a steady stream of acks slows the work down but cannot stop it).
WORKER_ACKS_FIRST_MAX_S: Final = 0.05
WORKER_ACKS_QUIET_S: Final = 0.002  # and until no event came in for this long (requests back to back)
# PostgreSQL: a process that stores work for others NOTIFYs; workers LISTEN (polling stays the fallback).
INBOX_CHANNEL: Final = "pmsbot_inbox"  # events stored unclaimed
OUTBOX_CHANNEL: Final = "pmsbot_outbox"  # messages stored unclaimed
LISTEN_RETRY_S: Final = 5.0  # pause before a broken LISTEN connection is opened again (polls meanwhile)
WORKER_RESTART_S: Final = 1.0  # pause before a crashed worker loop starts again
GRACEFUL_STOP_S: Final = 10.0  # how long shutdown waits for the item in hand

# Outbox: delivery, retries and dead letters.
OUTBOX_LEASE_S: Final = 30.0
OUTBOX_MAX_ATTEMPTS: Final = 8
OUTBOX_BACKOFF_BASE_S: Final = 1.0
OUTBOX_BACKOFF_MAX_S: Final = 300.0
OUTBOX_BATCH: Final = 100  # a multiple of DingTalk's 20 people per batchSend: a wave fills whole batches
OUTBOX_HANDOFF_MAX: Final = 256  # replies handed to this process's delivery in memory
DELIVERY_WARM_MAX_S: Final = 2.0  # a starting delivery gets its senders' tokens first, waiting at most this long
# A conversation's messages claimed together and sent one after the other: one claim and one commit for the run
# instead of one each per message (a busy channel's replies). Sending stops this long after the run began, well
# inside OUTBOX_LEASE_S (a lease run out would let another sender take a message again).
OUTBOX_RUN: Final = 20
OUTBOX_RUN_MAX_S: Final = 10.0

# Clock.
CLOCK_BEAT_S: Final = 5.0  # how often the active clock looks at the time, and a standby tries to take over
CLOCK_CATCH_UP_S: Final = 24 * 3600  # after downtime, missed minutes older than this are not run
CALENDAR_WARNING_AT: Final = (9, 0)  # local (hour, minute) the admins hear of calendars without 调休
CALENDAR_WARNING_FROM_MONTH: Final = 11  # the coming year's 调休 are asked for from November on

# Garbage collection in long-running roles (bot/memory.py): generation thresholds.
GC_THRESHOLDS: Final = (20_000, 50, 100)

# Web.
MAX_BODY_BYTES: Final = 1024 * 1024
# A console message or a card click (Feishu, DingTalk) waits this long for its answer, so it can be answered in
# place; later answers arrive as messages of their own. A Slack slash command never waits (its response_url).
ANSWER_IN_PLACE_BUDGET_S: Final = 2.0
CONSOLE_FEED_LIMIT: Final = 200

# Audit.
AUDIT_GENESIS_HASH: Final = "0" * 64
AUDIT_PG_LOCK_KEY: Final = 0x706D73626F74  # "pmsbot": serialises chain appends on PostgreSQL

# The buttons pmsbot puts on messages: what a click may ask for, on every platform.
BUTTON_ACTIONS: Final = ("approve", "reject", "ack", "snooze", "apply")
# The buttons on a list of tasks (`tasks`, `search`): open the task's status, or get its report page. Their value
# is a task key; DingTalk robots show the list without them (its decision links carry approval numbers only).
TASK_BUTTONS: Final = ("open", "report")
TASK_BUTTON_VALUE: Final = r"[A-Z][A-Z0-9]{0,9}-[0-9]{1,9}"

NO_RULE_MATCHED: Final = "no rule matched"  # kept on a source's delivery that asked for nothing

# What `rollout:` may switch on for some projects or departments only.
FEATURES: Final = ("subscriptions", "risk_alerts", "standups")

# Callbacks to other systems (sources' `callback:`): an outbox "platform" of its own.
CALLBACK_PLATFORM: Final = "callback"
# The platforms' approval engines (bot/jobs/engines.py): a linked instance with no result event for this long is
# asked for its status by the clock (the fallback for an event that never came).
ENGINE_POLL_AFTER_S: Final = 15 * 60.0
# An instance whose creation keeps failing for a while (an outage, throttling) for this long is given up: the
# request is marked failed there and its requester told, as for a refusal (it stays with our own chain).
ENGINE_CREATE_GIVE_UP_S: Final = 60 * 60.0
CALLBACK_MAX_ATTEMPTS: Final = 60  # with backoff up to 5 min: a receiver down for hours still gets it
CALLBACK_TIMEOUT_S: Final = 10.0

# Sizes of things people type.
MAX_TITLE_CHARS: Final = 200  # task titles, approval subjects, subscription filters (column sizes)
MAX_NOTE_CHARS: Final = 1000  # notes, reasons, comments, standup answers
MAX_NAME_CHARS: Final = 100  # PMS user names

# Undo and correction of a person's last write through chat (commands/handlers/undo.py).
UNDO_WINDOW_S: Final = 30 * 60  # "撤销" / "undo" / "不对，是60%" reach a write this long after it was made

# Pacing to platforms' rate limits (notifiers/pacing.py).
RATE_HEADROOM: Final = 0.95  # pace at this share of a published rate
RATE_JITTER_S: Final = 0.1  # arrivals may crowd by this much: a bucket keeps this long's worth of its burst back
WINDOW_MARGIN_S: Final = 1.0  # "N a minute": the N+1st goes this long after a full minute, not at it
PACING_ANSWER_POLL_S: Final = 0.02  # a window full of unanswered calls is looked at again this often
PACING_MAX_LOCAL_WAIT_S: Final = 5.0  # a longer turn goes back to the outbox (no attempt spent): inside its lease

# Platform accounts (bot/platforms/people.py).
PEOPLE_MISS_RETRY_S: Final = 300.0  # an account matched to nobody is looked up again after this
PEOPLE_LOCALE_CACHE_S: Final = 300.0  # a person's language, for words said while acknowledging
PEOPLE_CACHE_MAX: Final = 50_000  # entries in each per-account cache before it starts over

# Slack.
SLACK_USERS_INFO_TIMEOUT_S: Final = 1.0  # the email lookup of an unknown user, inside the 3 s ack
# chat.postMessage is "special" tier: "1 message per second to a specific channel" with short bursts, and "limits
# governing your app's relationship with the entire workspace above that, limiting posting to several hundred
# messages per minute. Generous burst behavior is also granted." (docs.slack.dev/reference/methods/chat.postMessage;
# "Rate limit windows are per minute", docs.slack.dev/apis/web-api/rate-limits). "Several hundred" read low: 300.
SLACK_CHANNEL_RATE_PER_S: Final = 1.0  # chat.postMessage: about one message per second per channel...
SLACK_CHANNEL_BURST: Final = 3  # ...with short bursts
SLACK_WORKSPACE_PER_MINUTE: Final = 300  # chat.postMessage across the workspace, in any minute (a burst is fine)
SLACK_UPDATE_PER_MINUTE: Final = 50  # chat.update is Tier 3: "50+ per minute" per workspace
SLACK_EPHEMERAL_PER_MINUTE: Final = 100  # chat.postEphemeral is Tier 4: "100+ per minute"
SLACK_HTTP_TIMEOUT_S: Final = 10.0
SLACK_SOCKET_RETRY_MIN_S: Final = 1.0  # Socket Mode's first connection: retried with backoff from this...
SLACK_SOCKET_RETRY_MAX_S: Final = 60.0  # ...up to this
SLACK_DM_CACHE_MAX: Final = 10_000  # user id -> DM channel id

# Linking a platform account to a person in chat (`link <name>`, then `link <code>`).
LINK_CODE_DIGITS: Final = 6
LINK_CODE_TTL_S: Final = 600.0
LINK_CODE_MAX_ATTEMPTS: Final = 5  # wrong codes, then the code is void
LINK_CODE_RESEND_S: Final = 60.0  # a new code for the same account at most this often
LINK_CODES_PER_HOUR_ACCOUNT: Final = 3  # codes one chat account may ask for in an hour (a voided code counts)
LINK_CODES_PER_HOUR_PERSON: Final = 5  # codes sent to one person in an hour, whoever asks

# Feishu / Lark.
FEISHU_DEFAULT_API_BASE: Final = "https://open.feishu.cn"  # Lark: https://open.larksuite.com
FEISHU_MAX_SKEW_S: Final = 300.0  # a signed event older or newer than this is refused (replay window)
FEISHU_TOKEN_REFRESH_BEFORE_S: Final = 600.0  # a tenant token is renewed this long before it expires
# Sending a message: "5 QPS per user and 5 QPS per group" and per app "1000 次/分钟、50 次/秒"
# (open.feishu.cn/document/server-docs/im-v1/message/create; frequency-control: "请求速率达到任意上限都会触发限流").
FEISHU_CHAT_RATE_PER_S: Final = 5.0  # sends per chat or per user...
FEISHU_CHAT_BURST: Final = 5
FEISHU_APP_RATE_PER_S: Final = 50.0  # ...and per app: 50 a second...
FEISHU_APP_BURST: Final = 50
FEISHU_APP_PER_MINUTE: Final = 1000  # ...and 1000 in any minute ("1000次/分&50次/秒": either one throttles)
FEISHU_HTTP_TIMEOUT_S: Final = 10.0
FEISHU_BATCH_WINDOW_S: Final = 0.05  # identical prompts gather this long into one batch_send...
FEISHU_BATCH_MAX: Final = 200  # ...of at most this many people
FEISHU_CONTACT_TIMEOUT_S: Final = 1.0  # the email lookup of an unknown account, inside the 3 s answer
FEISHU_CARD_MAX_BYTES: Final = 30_000  # a card's JSON, Feishu's limit
FEISHU_WS_DEAD_AFTER_PINGS: Final = 3  # a long connection silent for this many ping intervals is reopened
FEISHU_WS_MAX_PARTS_BYTES: Final = 1024 * 1024  # an event split over several frames, at most

# DingTalk.
DINGTALK_DEFAULT_API_BASE: Final = "https://api.dingtalk.com"  # international: https://api.dingtalk.io
DINGTALK_DEFAULT_OAPI_BASE: Final = "https://oapi.dingtalk.com"  # session webhooks and the custom robot live here
DINGTALK_MAX_SKEW_S: Final = 3600.0  # a callback's timestamp may differ from ours by this much (DingTalk's rule)
DINGTALK_TOKEN_REFRESH_BEFORE_S: Final = 300.0  # an access token is renewed this long before it expires
DINGTALK_SESSION_MARGIN_S: Final = 60.0  # a session webhook this close to expiry is not used any more
# OpenAPI calls per app per API in a second, the standard edition's QPS ("每秒调用次数不能超过20次", open.dingtalk.com/
# document/development/how-to-process-api-throttling-on-the-dingtalk-server): counted in any second, from each call's
# turn until its answer, for every API of the app together (narrower than per API)...
DINGTALK_APP_PER_SECOND: Final = 20
DINGTALK_CHAT_RATE_PER_S: Final = 5.0  # ...and our own per-chat pace, so one busy group does not starve the rest
DINGTALK_CHAT_BURST: Final = 5
# The custom group robot (open.dingtalk.com/document/robots/custom-robot-access): "每个机器人每分钟最多发送20条消息
# 到群里，如果超过20条，会限流10分钟" -- counted here in any minute, which keeps to a fixed-minute count too.
DINGTALK_ROBOT_PER_MINUTE: Final = 20
DINGTALK_THROTTLED_RETRY_S: Final = 2.0  # a throttled call waits this long when DingTalk gives no hint
DINGTALK_BATCH_MAX: Final = 20  # userIds per oToMessages/batchSend
DINGTALK_BATCH_WINDOW_S: Final = 0.05  # identical prompts gather this long into one batchSend
DINGTALK_MSG_PARAM_MAX_BYTES: Final = 15_000  # msgParam of a robot message, DingTalk's limit
DINGTALK_MARKDOWN_MAX_BYTES: Final = 12_000  # a message's markdown as JSON: room for title and buttons in msgParam
DINGTALK_HTTP_TIMEOUT_S: Final = 10.0
DINGTALK_USER_LOOKUP_TIMEOUT_S: Final = 1.0  # the email lookup of an unknown account, on the ack path
DINGTALK_LINK_TTL_S: Final = 12 * 3600.0  # a decision link (approvals without the card API) expires
DINGTALK_STREAM_TICKET_TIMEOUT_S: Final = 10.0  # opening a stream connection (the ticket itself lives 90 s)
DINGTALK_STREAM_DEAD_AFTER_S: Final = 180.0  # a stream silent this long (DingTalk pings every ~60 s) is reopened
DINGTALK_STREAM_RETRY_MIN_S: Final = 1.0  # reconnects back off from this...
DINGTALK_STREAM_RETRY_MAX_S: Final = 60.0  # ...up to this, with jitter
DINGTALK_STREAM_HEALTHY_AFTER_S: Final = 30.0  # a connection up this long starts the backoff over when it drops
DINGTALK_STREAM_PING_S: Final = 60.0  # our WebSocket ping, as the SDK's keepalive
DINGTALK_STREAM_INFLIGHT_MAX: Final = 100  # callbacks handled at once (the SDK's cap too)
# The encrypted HTTP event push (事件订阅): a push whose timestamp is further from our clock than this is refused
# (DingTalk names no window; the robot callback's hour, so a push DingTalk retries later is still taken), and its body
# is at most this big (an address-book event names at most a few hundred ids).
DINGTALK_EVENT_MAX_SKEW_S: Final = 3600.0
DINGTALK_EVENT_MAX_BYTES: Final = 256 * 1024

# PMS connectors (bot/pms/).
PMS_TIMEOUT_S: Final = 10.0  # one HTTP call to a PMS; past it the command is queued for when it answers
PMS_CONNECT_TIMEOUT_S: Final = 5.0
PMS_MAX_CONNECTIONS: Final = 10  # per PMS and process
PMS_RETRY_INLINE_MAX_S: Final = 5.0  # a 429 asking to wait longer than this queues the command instead
PMS_RETRY_INLINE_TIMES: Final = 2
PMS_PAGE_SIZE: Final = 100  # Jira's and Redmine's page cap
PMS_CACHE_TTL_S: Final = 300.0  # users, statuses, transitions, fields
PMS_SCAN_MAX_TASKS: Final = 5000  # a risk scan reads at most this many open tasks of one project
PMS_SCAN_RETRY_S: Final = 60.0  # a risk scan whose PMS did not answer tries again after this
PMS_SUMMARY_MAX_TASKS: Final = 50_000  # a project summary counts at most this many tasks
PMS_WAIT_PREFIX: Final = "waiting for its PMS: "  # an inbox event's error while it waits (not a failed try)
PMS_QUEUE_MAX_H: Final = 24.0  # a command waiting for its PMS gives up after this long
PMS_QUEUE_BACKOFF_MAX_S: Final = 300.0
PMS_ALERT_EVERY_S: Final = 3600.0  # admins hear of refused credentials at most this often per PMS
PMS_DIGEST_AFTER: Final = 5  # more changes than this for one channel within the window become one digest
PMS_DIGEST_QUIET_S: Final = 5.0  # a chat's changes go out once none has come for this long...
PMS_DIGEST_MAX_WAIT_S: Final = 60.0  # ...or once the oldest has waited this long, during a long burst
PMS_DIGEST_LIST_MAX: Final = 10  # tasks named in a digest; the rest are counted
REDMINE_POLL_EVERY_MIN: Final = 2
PMS_POLL_MAX_ISSUES: Final = 2000  # changed issues one poll reads at most (the rest at the next)
PMS_POLL_OVERLAP_S: Final = 300  # each poll reads again this far behind its cursor (late commits, paging shifts)
MAX_REASON_CHARS: Final = 1000  # a rejection reason or approval comment from a button or form
HOOK_PLATFORM_PREFIX: Final = "hook:"  # inbox platform of a source's deliveries: "hook:<name>"
MAX_AMOUNT: Final = Decimal(10) ** 12  # the largest money amount or metric value accepted (chat, rules, files)

# The optional language model (bot/language_model.py): asked only where the field language's rules would ask.
LLM_TIMEOUT_S: Final = 5.0  # default bound on one suggestion, the whole call (PMSBOT_LLM_TIMEOUT_S)
LLM_TIMEOUT_MAX_S: Final = 20.0  # a person waits; and well inside INBOX_LEASE_S, which is not renewed during the call
LLM_MAX_ANSWER_BYTES: Final = 64 * 1024  # an answer larger than this is cut off and ignored
LLM_MAX_TOKENS: Final = 400  # the completion asked for: a few writes of JSON
LLM_MAX_WRITES: Final = 10  # writes one suggestion may hold
LLM_MAX_KEYS: Final = 20  # task keys of a message sent as candidates; a message naming more is not sent
LLM_RETRY_AFTER_DEFAULT_S: Final = 30.0  # a 429 without Retry-After: not asked again before this
LLM_RETRY_AFTER_MAX_S: Final = 600.0  # the longest a 429 keeps the model unasked

# Everyday chat (issue 24): muting a subscription, answering a standup late, listing.
MUTE_MAX_S: Final = 30 * 24 * 3600  # `mute PUMP 90d` is refused: a month at most, so no chat is lost for good
MUTE_DAY_ENDS_AT: Final = "09:00"  # `静音 PUMP 到明天`: until this hour of that day, in the person's timezone
LATE_ANSWER_MAX_DAYS: Final = 7  # `standup late 12-01 …` may answer for a day at most this far back
MY_ANSWERS_MAX: Final = 10  # `standup mine` lists this many of the person's last answers
STANDUP_HISTORY_DAYS: Final = 14  # the standup history page shows this many days back (?days= up to 90)
STANDUP_HISTORY_MAX_DAYS: Final = 90

# Files sent in chat with a report (bot/files.py, notifiers/downloads.py), attached to the task in its PMS.
ATTACHMENT_MAX_BYTES: Final = 10 * 1024 * 1024  # default of PMSBOT_ATTACHMENT_MAX_BYTES: one file, refused above
ATTACHMENT_MAX_BYTES_CEILING: Final = 50 * 1024 * 1024  # the most PMSBOT_ATTACHMENT_MAX_BYTES may be (held in memory)
ATTACHMENTS_PER_MESSAGE: Final = 5  # files of one message taken; the rest are answered as too many
ATTACHMENT_DOWNLOAD_TIMEOUT_S: Final = 30.0  # one file's whole download from its platform
ATTACHMENT_NAME_MAX_CHARS: Final = 120  # a file name as stored and sent on (cut, keeping its extension)
ATTACHMENT_TYPES: Final = ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf")

# Directory sync (bot/directory/) and single sign-on (bot/web/sso.py).
DIRECTORY_PAGE_SIZE: Final = 500  # LDAP paged search; Active Directory's MaxPageSize is 1,000
DIRECTORY_TIMEOUT_S: Final = 30.0  # one directory call
DIRECTORY_MAX_LEAVERS_SHARE: Final = 0.2  # a run deactivating more than this share of people stops (--force)
DIRECTORY_RETRIES: Final = 5  # a throttled (429) or failing page is asked again this many times...
DIRECTORY_RETRY_MAX_S: Final = 60.0  # ...waiting what the platform says, at most this long each time
DIRECTORY_ACCOUNT_PLATFORM: Final = "dir:"  # identity platform of a source without chat ("dir:<source name>")
SSO_FLOW_TTL_S: Final = 600  # from leaving for the provider to coming back with a code
SSO_LEEWAY_S: Final = 60  # clock skew allowed on an id_token's exp/iat
SSO_HTTP_TIMEOUT_S: Final = 10.0  # the provider's discovery, keys and token endpoints
SSO_JWKS_TTL_S: Final = 3600.0  # keys are read again after this, or at once for a key id not seen (rotation)
