"""Date filters and CSV downloads of the console's lists (orders, the audit log)."""

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta

from flask import Response

from app.exceptions import PortalError

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# A day as the pages show it, "07 Dec 2026" (any case, the month's name in full too), or ISO "2026-12-07".
_SHOWN_DAY = re.compile(r"([0-9]{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+([0-9]{4})")


def parse_day(text):
    """The day in ``text`` written as the pages write it or as YYYY-MM-DD; ValueError otherwise."""
    shown = _SHOWN_DAY.fullmatch(text)
    if shown is None:
        return date.fromisoformat(text)
    day, month, year = shown.groups()
    if month.lower() not in MONTHS:
        raise ValueError(text)
    return date(int(year), MONTHS.index(month.lower()) + 1, int(day))


class DateRange:
    """``from`` and ``to`` ("07 Dec 2026" or 2026-12-07, both days included, UTC) from a filter form."""

    def __init__(self, args):
        self.start_text = (args.get("from") or "").strip()
        self.end_text = (args.get("to") or "").strip()
        self.error = None
        self.start = self.end = None
        try:
            self.start = self._day(self.start_text, "From")
            end_day = self._day(self.end_text, "To")
            self.end = end_day + timedelta(days=1) if end_day else None
            if self.start and self.end and self.start >= self.end:
                raise PortalError("The “From” date must be on or before the “To” date.")
        except PortalError as error:
            self.error, self.start, self.end = error.message, None, None

    @staticmethod
    def _day(text, name):
        if not text:
            return None
        try:
            return datetime.combine(parse_day(text), time(), tzinfo=UTC)
        except ValueError:
            raise PortalError(f"Enter the “{name}” date like 31 Jan 2026 (or 2026-01-31).") from None

    def apply(self, query, column):
        if self.start:
            query = query.where(column >= self.start)
        if self.end:
            query = query.where(column < self.end)
        return query

    @property
    def active(self):
        return bool(self.start_text or self.end_text)


def csv_response(filename, header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else _safe(value) for value in row])
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _safe(value):
    """Text a spreadsheet would run as a formula starts with a quote instead."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def minute(value):
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""
