"""Template filters of the coding screens."""

from __future__ import annotations

from decimal import Decimal

from django import template

from frontdesk.core.money import format_money

register = template.Library()


@register.filter
def fee(value: Decimal | None) -> str:
    """``$1,234.50``, or a dash for no amount."""
    return format_money(value, blank="—")
