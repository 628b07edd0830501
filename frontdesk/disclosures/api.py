"""JSON API of disclosures."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["disclosures"])
