"""Date filters and CSV downloads of the console's orders and audit log."""

import csv
import io
from datetime import UTC, datetime

from app.audit import record
from app.extensions import db
from tests.factories import add_order


def rows(response):
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_orders_filter_by_date_and_download_as_csv(agent, customer, pay_order):
    old = pay_order(add_order(customer, accounts=25))
    old.created_at = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    new = add_order(customer, accounts=50, status="failed")
    new.created_at = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    db.session.commit()

    page = agent.get("/support/orders?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert f">#{new.id}<" in page and f">#{old.id}<" not in page
    assert "Download CSV" in page

    table = rows(agent.get("/support/orders?from=2026-01-10&to=2026-01-10&format=csv"))
    assert table[0][:3] == ["order", "placed", "paid"]
    assert [row[0] for row in table[1:]] == [str(old.id)]
    assert table[1][1] == "2026-01-10 12:00" and table[1][8] == "112.50" and table[1][12] == "4242"


def test_dates_are_typed_as_the_pages_show_them(agent, customer):
    order = add_order(customer, accounts=25)
    order.created_at = datetime(2026, 12, 7, 23, 59, tzinfo=UTC)
    db.session.commit()

    page = agent.get("/support/orders?from=07 Dec 2026&to=7 december 2026").get_data(as_text=True)
    after = agent.get("/support/orders?from=08 Dec 2026").get_data(as_text=True)

    assert f">#{order.id}<" in page and f">#{order.id}<" not in after
    assert 'placeholder="07 Dec 2026"' in page and 'aria-describedby="dates-hint"' in page
    assert "Days like 07 Dec 2026 (or 2026-12-07), both included, UTC." in page
    assert 'type="date"' not in page


def test_a_bad_date_is_refused_with_a_message(agent, customer):
    add_order(customer)
    response = agent.get("/support/orders?from=31/01/2026")
    assert response.status_code == 400
    assert "Enter the “From” date like 31 Jan 2026 (or 2026-01-31)." in response.get_data(as_text=True)
    assert agent.get("/support/orders?from=31 Feb 2026").status_code == 400
    backwards = agent.get("/support/audit?from=2026-02-01&to=2026-01-01")
    assert backwards.status_code == 400
    assert "must be on or before" in backwards.get_data(as_text=True)


def test_the_audit_log_reads_in_words_and_downloads_as_csv(agent, staff, customer):
    order = add_order(customer, accounts=25, status="refunded")
    entry = record(staff, "order.refund", order=order, reason="duplicate purchase", amount_cents=11250)
    entry.created_at = datetime(2026, 2, 3, 4, 5, 6, 789, tzinfo=UTC)
    db.session.commit()

    page = agent.get("/support/audit").get_data(as_text=True)
    assert f"Refunded $112.50 of order #{order.id}" in page
    assert ">order.refund<" not in page and "amount cents" not in page
    assert "03 Feb 2026, 04:05 UTC" in page

    table = rows(agent.get("/support/audit?from=2026-02-03&to=2026-02-03&format=csv"))
    assert table[1][0] == "2026-02-03 04:05"
    assert table[1][2] == f"Refunded $112.50 of order #{order.id}" and table[1][7] == "duplicate purchase"
    assert len(rows(agent.get("/support/audit?from=2026-02-04&format=csv"))) == 1
