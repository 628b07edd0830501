"""The inbound SMS webhook: a public operation authenticated by an HMAC signature of the raw body.

The SMS provider (or its adapter) POSTs ``{"from": "+1...", "body": "C", "id": "..."}`` with header
``X-FrontDesk-Signature: <hex HMAC-SHA256 of the raw body under NOTIFY_WEBHOOK_SECRET>``. A bad or
missing signature is 401 and records nothing. Every signed request answers the same 200, whether or
not the number is known, so the answer tells a caller nothing about our patients.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import AuthenticationError

from frontdesk.api.errors import ErrorOut
from frontdesk.core.errors import ValidationFailed
from frontdesk.notifications.services import inbound_sms_record, webhook_signature_valid

router = Router(tags=["notifications"])

SIGNATURE_HEADER = "X-FrontDesk-Signature"
MSG_BAD_SIGNATURE = "The request signature is missing or wrong."
MSG_BAD_BODY = 'Send JSON {"from": "+1...", "body": "...", "id": "..."}.'

_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["from", "body"],
                    "properties": {
                        "from": {"type": "string", "description": "Sender, E.164."},
                        "body": {"type": "string", "maxLength": 1600},
                        "id": {"type": "string", "description": "Provider's message id."},
                    },
                }
            }
        },
    },
    "parameters": [
        {
            "in": "header",
            "name": SIGNATURE_HEADER,
            "required": True,
            "schema": {"type": "string"},
            "description": "Hex HMAC-SHA256 of the raw request body with the webhook secret.",
        }
    ],
}


@router.post(
    "/notifications/sms-inbound",
    auth=None,
    response={200: dict[str, str], 400: ErrorOut, 401: ErrorOut},
    openapi_extra=_REQUEST_BODY,
    summary="Receive an SMS reply (C confirm, R reschedule, X cancel)",
)
def sms_inbound(request: HttpRequest) -> dict[str, str]:
    if not webhook_signature_valid(
        body=request.body, signature=request.headers.get(SIGNATURE_HEADER, "")
    ):
        raise AuthenticationError(401, MSG_BAD_SIGNATURE)
    try:
        payload: Any = json.loads(request.body)
    except ValueError:
        payload = None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("from"), str)
        or not isinstance(payload.get("body"), str)
        or not isinstance(payload.get("id", ""), str)
    ):
        raise ValidationFailed(MSG_BAD_BODY, fields={"body": [MSG_BAD_BODY]})
    inbound_sms_record(
        from_number=payload["from"][:40],
        body=payload["body"],
        provider_message_id=payload.get("id", ""),
    )
    return {"status": "received"}
