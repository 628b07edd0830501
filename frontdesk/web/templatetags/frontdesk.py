"""Template filters shared by every app's templates."""

from __future__ import annotations

from django import template

from frontdesk.patients.normalize import phone_display

register = template.Library()


@register.filter(name="phone")
def phone(value: str | None) -> str:
    """Show a stored E.164 number the way the front desk reads it: '(202) 555-0123'."""
    return phone_display(value) if value else ""
