"""Models of clearinghouse."""

from __future__ import annotations
