"""Models of disclosures."""

from __future__ import annotations
