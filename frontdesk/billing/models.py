"""Models of billing."""

from __future__ import annotations
