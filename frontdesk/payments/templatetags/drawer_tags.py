"""``{{ value|usd }}``: an amount (Decimal or its text) as $1,234.56 (blank for none)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from frontdesk.core.money import format_money

register = template.Library()


@register.filter
def usd(value: Any) -> str:
    if value is None or value == "":
        return ""
    try:
        return format_money(Decimal(str(value)))
    except InvalidOperation:
        return ""
