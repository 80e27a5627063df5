"""The platforms' own approval engines, for requests whose chain rule names one (`engine:` under approval_chains).

DingTalk OA (workflow 1.0, with the app's token in x-acs-dingtalk-access-token):
- POST /v1.0/workflow/processInstances {originatorUserId, processCode, formComponentValues: [{name, value}]}
  -> {"instanceId": "…"} (https://open.dingtalk.com/document/orgapp/create-an-approval-instance);
- GET /v1.0/workflow/processInstances?processInstanceId=… -> {"result": {"status": NEW | RUNNING | TERMINATED |
  COMPLETED | CANCELED, "result": "agree" | "refuse" | ""}} (obtains-the-details-of-a-single-approval-instance-pop).
Feishu Approval (approval v4, tenant token; lark-oapi's CreateInstanceRequest / GetInstanceRequest):
- POST /open-apis/approval/v4/instances?user_id_type=open_id {approval_code, open_id, form: a JSON string of
  [{id, type, value}]} -> {"code": 0, "data": {"instance_code": "…"}};
- GET /open-apis/approval/v4/instances/{instance_code} -> {"data": {"status": PENDING | APPROVED | REJECTED |
  CANCELED | DELETED}};
- POST /open-apis/approval/v4/approvals/{approval_code}/subscribe (lark-oapi's SubscribeApprovalRequest): Feishu
  pushes an approval definition's instance events only to apps that subscribed to it; once per app is enough, and
  again is refused with 1390007 "subscription existed" (taken as done). DingTalk pushes every process's: no-op.
A refusal (4xx: a wrong process code, an originator outside the org) is a PermanentSendError, an outage a
TransientSendError, as for every other call of the app (notifiers/openapi.py).
"""

from __future__ import annotations

import json
from typing import Literal
from urllib.parse import quote

from notifiers.base import PermanentSendError
from notifiers.openapi import OpenApi

Status = Literal["running", "approved", "rejected"]
FORM_VALUE_MAX_CHARS = 500
SUBSCRIPTION_EXISTED = 1390007  # Feishu: this app already subscribed to the approval definition


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

    async def subscribe(self, code: str) -> None:
        """DingTalk pushes every process's instance changes to the app: nothing to ask for."""


class FeishuApproval:
    kind = "feishu_approval"

    def __init__(self, api: OpenApi) -> None:
        self._api = api

    async def create(self, *, code: str, originator: str, form_field: str, text: str) -> str:
        form = [{"id": form_field, "type": "input", "value": text[:FORM_VALUE_MAX_CHARS]}] if form_field else []
        data = await self._api.call("POST", "/open-apis/approval/v4/instances?user_id_type=open_id", {
            "approval_code": code, "open_id": originator, "form": json.dumps(form, ensure_ascii=False)})
        found = data.get("data")
        instance = found.get("instance_code") if isinstance(found, dict) else None
        if not isinstance(instance, str) or not instance:
            raise PermanentSendError(f"feishu approval create: no instance_code in {str(data)[:160]}")
        return instance

    async def subscribe(self, code: str) -> None:
        """Ask Feishu to push this approval definition's instance events to the app ("subscription existed" is
        done too); a refusal or an outage is raised."""
        try:
            await self._api.call("POST", f"/open-apis/approval/v4/approvals/{quote(code, safe='')}/subscribe", {})
        except PermanentSendError as exc:
            if exc.code != SUBSCRIPTION_EXISTED:
                raise

    async def status(self, instance: str) -> Status:
        data = await self._api.call("GET", f"/open-apis/approval/v4/instances/{quote(instance, safe='')}", {})
        found = data.get("data")
        return feishu_status(str(found.get("status", "")) if isinstance(found, dict) else "")


def feishu_status(status: str) -> Status:
    """APPROVED; REJECTED, or CANCELED / DELETED (withdrawn: nobody approved it); PENDING and anything else runs."""
    if status == "APPROVED":
        return "approved"
    return "rejected" if status in ("REJECTED", "CANCELED", "DELETED") else "running"


def dingtalk_status(status: str, result: str) -> Status:
    """A DingTalk instance's state in our terms: agreed when completed with "agree"; refused when completed with
    "refuse", or terminated / canceled (withdrawn: nobody approved it); running otherwise."""
    if status.upper() == "COMPLETED" or status == "finish":
        return "approved" if result == "agree" else "rejected"
    if status.upper() in ("TERMINATED", "CANCELED") or status == "terminate":
        return "rejected"
    return "running"
