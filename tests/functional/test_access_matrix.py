"""Generated from the URL map: no one reaches another customer's objects, and no POST goes without CSRF.

A new route is covered here without anyone adding a case.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.billing.invoices import issue_invoice
from app.extensions import db
from app.models import Installation, SignInSession, SupportMessage, TrialRequest
from app.web.services import current_terms
from tests.conftest import Browser, csrf_token
from tests.factories import add_order

# Routes whose parameter is not an object of someone's: links from emails, static files.
PUBLIC_PARAMETERS = {"token", "filename"}
# The only POST routes without a CSRF token: Stripe signs its webhook; control panels send a bearer token.
CSRF_EXEMPT = {"billing.webhooks.stripe_webhook"}
CSRF_EXEMPT_PREFIXES = ("api.",)


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False}


@pytest.fixture
def owned(app, customer, make_license):
    """One of each object of the customer's, by the name of the URL parameter that names it."""
    license = make_license()
    order = add_order(customer, license=license)
    trial = TrialRequest(
        user_id=customer.id, company="Example", hostname="cp.example.com", expected_accounts=25
    )
    db.session.add(trial)
    now = datetime.now(UTC)
    installation = Installation(
        license_id=license.id,
        slot=1,
        install_id="cp-1",
        hostname="cp.example.com",
        token_hash="0" * 64,
        activated_at=now,
        last_seen_at=now,
    )
    db.session.add(installation)
    invoice = issue_invoice(db.session, order, current_terms(), now)
    message = SupportMessage(user_id=customer.id, license_id=license.id, subject="Help", body="Please")
    db.session.add(message)
    signed_in = SignInSession(user_id=customer.id, device="Firefox", address="192.0.2.1")
    db.session.add(signed_in)
    db.session.commit()
    return {
        "number": invoice.number,
        "installation_id": installation.id,
        "code": license.code,
        "serial": 1,
        "order_id": order.id,
        "user_id": customer.id,
        "request_id": trial.id,
        "message_id": message.id,
        "session_id": signed_in.id,
        "payment_intent_id": "pi_of_the_order",
    }


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or PUBLIC_PARAMETERS & set(rule.arguments):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def url_of(rule, owned):
    return rule.build({name: owned[name] for name in rule.arguments}, append_unknown=False)[1]


def all_rows():
    """How many rows each table has: what a refused request must leave alone."""
    counts = {
        t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
    }
    db.session.rollback()
    return counts


def request(browser, method, url, token):
    if method == "GET":
        return browser.client.get(url)
    return browser.client.post(url, data={"csrf_token": token})


def test_every_object_route_is_404_for_another_customer_and_login_for_strangers(app, owned, make_user):
    other = Browser(app.test_client())
    other.login(make_user(email="other@example.com").email)
    token = csrf_token(other.get("/account").get_data(as_text=True))
    stranger = Browser(app.test_client())
    checked = []
    for rule, method in routes(app):
        if not rule.arguments and not rule.rule.startswith("/support"):
            continue
        url = url_of(rule, owned)
        before = all_rows()
        answer = request(other, method, url, token)
        assert answer.status_code == 404, f"{method} {url} as another customer: {answer.status_code}"
        anonymous = request(stranger, method, url, None)
        assert anonymous.status_code == 404 or (
            anonymous.status_code in (302, 400) and "/login" in anonymous.headers.get("Location", "/login")
        ), f"{method} {url} anonymously: {anonymous.status_code}"
        assert all_rows() == before, f"{method} {url} changed rows"
        checked.append((method, rule.rule))
    assert len(checked) >= 30  # the matrix really ran over the URL map


def test_every_post_without_or_with_a_foreign_csrf_token_is_refused(app, owned, make_user, customer):
    admin = Browser(app.test_client())
    admin.login(make_user(email="admin@example.com", role="admin").email)
    owner = Browser(app.test_client())
    owner.login(customer.email)
    foreign = csrf_token(Browser(app.test_client()).get("/login").get_data(as_text=True))
    checked = 0
    for rule, method in routes(app):
        if method != "POST" or rule.endpoint in CSRF_EXEMPT or rule.endpoint.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        url = url_of(rule, owned)
        who = admin if rule.rule.startswith("/support") else owner
        for data in ({}, {"csrf_token": foreign}):
            before = all_rows()
            answer = who.client.post(url, data=data)
            assert answer.status_code == 400, f"POST {url} with {data or 'no token'}: {answer.status_code}"
            assert "This form has expired" in answer.get_data(as_text=True)
            assert all_rows() == before
        checked += 1
    assert checked >= 20
