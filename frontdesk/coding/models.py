"""Models of coding."""

from __future__ import annotations
