"""Template filters: money and times are formatted only here."""

from datetime import UTC, datetime

from app.billing.pricing import format_money
from app.billing.tax import format_rate


def money(cents, currency="usd"):
    return format_money(cents, currency or "usd")


def date(value):
    return _moment(value).strftime("%d %b %Y") if value else "—"


def datetime_(value):
    return _moment(value).strftime("%d %b %Y, %H:%M UTC") if value else "—"


def _moment(value):
    """A time in UTC; an email's values carry times as ISO 8601 text (app/outbox.py)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC)


def ago(value, now=None):
    """'3 hours ago': how long since `value`, in the largest whole unit."""
    if not value:
        return "never"
    seconds = max(0, int(((now or datetime.now(UTC)) - value).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def init_app(app):
    app.add_template_filter(money, "money")
    app.add_template_filter(date, "date")
    app.add_template_filter(datetime_, "datetime")
    app.add_template_filter(ago, "ago")
    app.add_template_filter(format_rate, "tax_rate")
    app.add_template_global(lambda: datetime.now(UTC), "utcnow")
