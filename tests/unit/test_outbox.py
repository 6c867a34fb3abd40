"""An email's values are stored as plain JSON, and templates read its times as they read a datetime."""

from datetime import UTC, datetime

import pytest

from app.formatting import date, datetime_
from app.outbox import plain

PAID_AT = datetime(2026, 12, 8, 4, 30, 15, 123456, tzinfo=UTC)


def test_a_time_is_stored_as_iso_8601_and_formats_as_the_datetime_did():
    stored = plain({"order_id": 7, "order_amount_cents": 22500, "order_paid_at": PAID_AT, "note": None})

    assert stored == {
        "order_id": 7,
        "order_amount_cents": 22500,
        "order_paid_at": "2026-12-08T04:30:15.123456+00:00",
        "note": None,
    }
    assert datetime_(stored["order_paid_at"]) == datetime_(PAID_AT) == "08 Dec 2026, 04:30 UTC"
    assert date(stored["order_paid_at"]) == date(PAID_AT) == "08 Dec 2026"


@pytest.mark.parametrize(
    ("value", "named"),
    [(datetime(2026, 12, 8, 4, 30), "datetime"), (object(), "object"), ({1, 2}, "set")],
)
def test_anything_but_plain_values_is_refused_when_queued(value, named):
    with pytest.raises(TypeError, match=f"plain JSON and aware datetimes, not {named}"):
        plain({"order": value})
