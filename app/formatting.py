"""Template filters: money and times are formatted only here."""

from datetime import UTC, datetime

from app.billing.pricing import format_money


def money(cents, currency="usd"):
    return format_money(cents, currency or "usd")


def date(value):
    return value.astimezone(UTC).strftime("%d %b %Y") if value else "—"


def datetime_(value):
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC") if value else "—"


def init_app(app):
    app.add_template_filter(money, "money")
    app.add_template_filter(date, "date")
    app.add_template_filter(datetime_, "datetime")
    app.add_template_global(lambda: datetime.now(UTC), "utcnow")
