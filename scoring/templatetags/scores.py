"""Filters of the score pages."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.9445 -> "94.5 %" (thin no-break space); empty for None."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(digits)}f}\u202f%"


@register.filter
def get_item(mapping: dict, key: Any) -> Any:
    return mapping.get(key, "")
