"""``{{ amount|money }}``: $1,234.56 / -$12.00 (core.money.format_money)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from frontdesk.core.money import format_money

register = template.Library()


@register.filter(name="money")
def money(value: Decimal | None) -> str:
    return format_money(value, blank="—")
