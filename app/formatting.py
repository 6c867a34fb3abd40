"""Template filters: money and times are formatted only here."""

from datetime import UTC, datetime


def money(cents, currency="usd"):
    symbol = "$" if (currency or "usd").lower() == "usd" else f"{currency.upper()} "
    return f"{symbol}{cents / 100:,.2f}"


def date(value):
    return value.astimezone(UTC).strftime("%d %b %Y") if value else "—"


def datetime_(value):
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC") if value else "—"


def init_app(app):
    app.add_template_filter(money, "money")
    app.add_template_filter(date, "date")
    app.add_template_filter(datetime_, "datetime")
    app.add_template_global(lambda: datetime.now(UTC), "utcnow")
