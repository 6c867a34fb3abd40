"""My licenses is kept between changes: any write shows at the next view, whoever made it."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select, text, update

from app.extensions import db
from app.licensing.issuing import issue_next_certificate
from app.models import License, Order, RecordsVersion, TrialRequest
from app.web.services import current_keyring, current_terms
from tests.conftest import Browser, csrf_token, statements_for
from tests.factories import add_order


def home(browser):
    return browser.get("/licenses").get_data(as_text=True)


def version_of(user):
    db.session.rollback()
    return db.session.scalar(select(RecordsVersion.version).where(RecordsVersion.user_id == user.id)) or 0


def test_a_kept_page_costs_only_the_signed_in_user(customer_browser, make_license):
    make_license(accounts=75)
    first = home(customer_browser)
    assert statements_for(customer_browser, "/licenses") == 1
    assert home(customer_browser) == first


def test_a_write_from_outside_the_portal_shows_at_the_next_view(customer_browser, customer, make_license):
    license = make_license(accounts=75)
    assert ">75<" in home(customer_browser)
    with db.engine.begin() as connection:  # as psql or another service would
        connection.execute(text("UPDATE licenses SET accounts = 100 WHERE id = :id"), {"id": license.id})
    assert ">100<" in home(customer_browser)


def test_a_new_certificate_and_a_paid_order_show_at_once(customer_browser, customer, make_license):
    license = make_license(accounts=50)
    order = add_order(customer, license=license, accounts=25, status="pending")
    page = home(customer_browser)
    assert "#1 · " in page and f"#{order.id}</a>" in page
    db.session.execute(update(Order).where(Order.id == order.id).values(status="paid"))
    license.accounts = 75
    issue_next_certificate(
        db.session, license, current_keyring(), current_terms(), reason="upgrade", now=datetime.now(UTC)
    )
    db.session.commit()
    page = home(customer_browser)
    assert "#2 · " in page and ">75<" in page and "Orders waiting for payment" not in page


def test_a_trial_request_decided_by_support_shows_at_once(customer_browser, customer):
    request = TrialRequest(
        user_id=customer.id,
        company="Example",
        hostname="cp.example.com",
        expected_accounts=20,
        status="pending",
    )
    db.session.add(request)
    db.session.commit()
    assert "Your trial request is waiting for support." in home(customer_browser)
    request.status, request.decision_note = "denied", "We could not reach you."
    db.session.commit()
    page = home(customer_browser)
    assert "was not approved" in page and "We could not reach you." in page


def test_a_flashed_message_is_shown_once(customer_browser, make_license):
    make_license()
    home(customer_browser)
    with customer_browser.client.session_transaction() as session:
        session["_flashes"] = [("success", "Shown exactly once.")]
    assert "Shown exactly once." in home(customer_browser)
    assert "Shown exactly once." not in home(customer_browser)


def test_each_browser_gets_the_page_with_its_own_token(app, customer, make_license):
    make_license()
    first, second = Browser(app.test_client()), Browser(app.test_client())
    first.login(customer.email)
    second.login(customer.email)
    tokens = [csrf_token(home(first)), csrf_token(home(second))]
    assert tokens[0] != tokens[1]
    for browser, token in zip((first, second), tokens, strict=True):
        response = browser.client.post("/logout", data={"csrf_token": token})
        assert response.status_code == 302
        assert browser.get("/licenses").status_code == 302  # signed out: to the login page


def test_a_trial_day_passing_shows_without_a_write(browser, customer, make_license):
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    license = make_license(kind="trial", accounts=25, now=start)
    end = license.trial_expires_at
    with time_machine.travel(end - timedelta(days=1, seconds=1), tick=False):
        browser.login(customer.email)
        assert "2 days left" in home(browser)
    with time_machine.travel(end - timedelta(days=1), tick=False):
        assert "1 day left" in home(browser)


def test_an_open_order_leaves_the_page_after_its_week(customer_browser, customer):
    placed = datetime.now(UTC) - timedelta(days=7) + timedelta(seconds=30)
    order = add_order(customer, status="pending", created_at=placed)
    assert f"#{order.id}</a>" in home(customer_browser)
    with time_machine.travel(placed + timedelta(days=7, seconds=1)):
        assert f"#{order.id}</a>" not in home(customer_browser)


def test_every_change_to_a_customers_records_is_counted(customer, make_user, make_license):
    other = make_user(email="other@example.com")
    license = make_license(accounts=50)

    def run(statement):
        with db.engine.begin() as connection:
            connection.execute(text(statement), {"license": license.id, "user": customer.id})

    changes = [
        ("a license", lambda: run("UPDATE licenses SET accounts = 75 WHERE id = :license"), 1),
        (
            "a certificate",
            lambda: run("UPDATE certificates SET serial = serial WHERE license_id = :license"),
            1,
        ),
        ("a new order", lambda: add_order(customer, status="pending"), 1),
        ("the order", lambda: run("UPDATE orders SET status = 'cancelled' WHERE user_id = :user"), 1),
        ("the order, deleted", lambda: run("DELETE FROM orders WHERE user_id = :user"), 1),
        (
            "a trial request",
            lambda: run(
                "INSERT INTO trial_requests"
                " (user_id, company, hostname, expected_accounts, status, created_at)"
                " VALUES (:user, 'Example', 'cp.example.com', 20, 'pending', CURRENT_TIMESTAMP)"
            ),
            1,
        ),
        (
            "the trial request",
            lambda: run("UPDATE trial_requests SET status = 'withdrawn' WHERE user_id = :user"),
            1,
        ),
        ("nothing", lambda: run("UPDATE licenses SET accounts = accounts WHERE id = -1"), 0),
    ]
    for name, change, counted in changes:
        before = version_of(customer)
        change()
        assert version_of(customer) - before == counted, name
    moved_from, moved_to = version_of(customer), version_of(other)
    db.session.execute(update(License).where(License.id == license.id).values(owner_id=other.id))
    db.session.commit()
    assert version_of(customer) == moved_from + 1 and version_of(other) == moved_to + 1
