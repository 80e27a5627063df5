"""The platforms' own approval engines, for requests whose chain rule names one (`engine:` under approval_chains).

DingTalk OA (workflow 1.0, with the app's token in x-acs-dingtalk-access-token):
- POST /v1.0/workflow/processInstances {originatorUserId, processCode, formComponentValues: [{name, value}]}
  -> {"instanceId": "…"} (https://open.dingtalk.com/document/orgapp/create-an-approval-instance);
- GET /v1.0/workflow/processInstances?processInstanceId=… -> {"result": {"status": NEW | RUNNING | TERMINATED |
  COMPLETED | CANCELED, "result": "agree" | "refuse" | ""}} (obtains-the-details-of-a-single-approval-instance-pop).
A refusal (4xx: a wrong process code, an originator outside the org) is a PermanentSendError, an outage a
TransientSendError, as for every other call of the app (notifiers/openapi.py).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from notifiers.base import PermanentSendError
from notifiers.openapi import OpenApi

Status = Literal["running", "approved", "rejected"]
FORM_VALUE_MAX_CHARS = 500


class DingTalkOa:
    kind = "dingtalk_oa"

    def __init__(self, api: OpenApi) -> None:
        self._api = api

    async def create(self, *, code: str, originator: str, form_field: str, text: str) -> str:
        body = {"originatorUserId": originator, "processCode": code,
                "formComponentValues": [{"name": form_field, "value": text[:FORM_VALUE_MAX_CHARS]}] if form_field
                else []}
        data = await self._api.call("POST", "/v1.0/workflow/processInstances", body)
        instance = data.get("instanceId")
        if not isinstance(instance, str) or not instance:
            raise PermanentSendError(f"dingtalk OA create: no instanceId in {str(data)[:160]}")
        return instance

    async def status(self, instance: str) -> Status:
        data = await self._api.call("GET", f"/v1.0/workflow/processInstances?processInstanceId={quote(instance)}", {})
        found = data.get("result")
        result: dict[str, object] = found if isinstance(found, dict) else {}
        return dingtalk_status(str(result.get("status", "")), str(result.get("result", "")))


def dingtalk_status(status: str, result: str) -> Status:
    """A DingTalk instance's state in our terms: agreed when completed with "agree"; refused when completed with
    "refuse", or terminated / canceled (withdrawn: nobody approved it); running otherwise."""
    if status.upper() == "COMPLETED" or status == "finish":
        return "approved" if result == "agree" else "rejected"
    if status.upper() in ("TERMINATED", "CANCELED") or status == "terminate":
        return "rejected"
    return "running"
