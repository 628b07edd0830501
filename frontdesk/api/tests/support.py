"""Fixtures for API tests: a client that sends an API key of a given role and locations.

Test modules outside frontdesk/api/tests call ``key_client_for(role, *locations)`` directly.
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from frontdesk.accounts import apikeys
from frontdesk.accounts.models import ApiKey, User


@dataclass
class KeyClient:
    """A test client that authenticates every request with one API key."""

    key: str
    api_key: ApiKey
    client: Client

    @property
    def user(self) -> User:
        return self.api_key.service_user

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, data or {}, headers=self._headers())

    def post(self, path: str, body: Any, *, idempotency_key: str | None = None) -> Any:
        """POST ``body``; every POST carries a fresh ``Idempotency-Key`` unless one is given
        (payments and refunds require one; other operations ignore it)."""
        payload = body if isinstance(body, str | bytes) else json.dumps(body)
        headers = {**self._headers(), "Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return self.client.post(path, payload, content_type="application/json", headers=headers)

    def patch(self, path: str, body: Any) -> Any:
        payload = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.patch(
            path, payload, content_type="application/json", headers=self._headers()
        )

    def request(self, method: str, path: str, body: Any = None) -> Any:
        if method == "GET":
            return self.get(path)
        if method == "POST":
            return self.post(path, body if body is not None else {})
        if method == "PATCH":
            return self.patch(path, body if body is not None else {})
        raise ValueError(method)


_numbers = itertools.count(1)


def key_client_for(role: str, *locations: Any, name: str | None = None) -> KeyClient:
    """A client holding a fresh API key of ``role`` bound to ``locations`` (needs the db)."""
    api_key, plaintext = apikeys.apikey_create(
        actor=None,
        name=name or f"Test integration {next(_numbers)}",
        role=role,
        location_ids=[location.pk for location in locations],
    )
    return KeyClient(key=plaintext, api_key=api_key, client=Client(enforce_csrf_checks=True))


@pytest.fixture
def key_client(db: None) -> Callable[..., KeyClient]:
    return key_client_for
