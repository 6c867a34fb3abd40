"""Forgot-password answers alike for known and unknown addresses: the worker does the work afterwards."""

import re

from sqlalchemy import event

from app.extensions import db
from app.models.base import utcnow
from tests.conftest import sent_mail
from tests.support.tasks import run_queued


def statements_while(action):
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return response, seen


def test_known_and_unknown_addresses_run_the_same_statements_and_get_the_same_page(app, browser, customer):
    def ask(email):
        form = browser.get("/forgot-password")
        assert form.status_code == 200
        return statements_while(lambda: browser.submit("/forgot-password", {"email": email}))

    known, known_statements = ask(customer.email)
    unknown, unknown_statements = ask("nobody@example.com")

    assert known_statements == unknown_statements
    assert known.status_code == unknown.status_code == 200
    known_page = known.get_data(as_text=True).replace(customer.email, "ADDRESS")
    unknown_page = unknown.get_data(as_text=True).replace("nobody@example.com", "ADDRESS")
    assert _without_tokens(known_page) == _without_tokens(unknown_page)
    assert sent_mail() == []

    assert run_queued(app) == 2
    assert [message.recipient for message in sent_mail()] == [customer.email]


def test_a_disabled_account_gets_no_link(app, browser, make_user):
    user = make_user(email="gone@example.com", disabled_at=utcnow())
    browser.submit("/forgot-password", {"email": user.email})
    run_queued(app)
    assert sent_mail(user.email) == []


def _without_tokens(page):
    return re.sub(r'name="csrf_token"[^>]*>', "", page)
