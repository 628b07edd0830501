"""Models of eligibility."""

from __future__ import annotations
