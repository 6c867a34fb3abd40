"""The audit's findings: links, limits, inputs, sizes, caching, webhooks and files."""

import json
import os
import stat
import time

import pytest
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import OutboxMessage, StripeEvent, TrialRequest, User
from config import ProductionConfig, TestConfig, load_config
from tests.conftest import PASSWORD, Browser, csrf_token, link_in, sent_mail
from tests.factories import add_order
from tests.support.localstripe import sign_webhook
from tests.support.payments import deliver_and_apply
from tests.support.tasks import run_queued

TRIAL = {"company": "Example Hosting", "hostname": "cp.example.com", "expected_accounts": "25", "note": ""}


@pytest.fixture
def settings(request):
    return getattr(request, "param", {})


def rows(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# 1. links in emails come from PORTAL_URL, never from the Host header


@pytest.mark.parametrize("settings", [{"SERVER_NAME": None}], indirect=True)
def test_a_reset_link_ignores_the_host_header(app, browser, customer):
    browser.client.environ_base["HTTP_HOST"] = "evil.example.net"
    browser.submit("/forgot-password", {"email": customer.email})
    run_queued(app)
    [message] = sent_mail(customer.email)
    assert link_in(message).startswith("http://portal.test/reset-password/")
    assert "evil.example.net" not in message.text_body + message.html_body


def test_production_needs_portal_url(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "x" * 32)
    monkeypatch.setattr(ProductionConfig, "PORTAL_URL", None)
    with pytest.raises(SystemExit, match="PORTAL_URL is not set"):
        load_config("production")


def test_trusted_hosts_refuse_other_hosts(app_settings):
    app = create_app(TestConfig(), **{**app_settings, "TRUSTED_HOSTS": ["portal.test"]})
    assert app.test_client().get("/login").status_code == 200
    assert app.test_client().get("/login", headers={"Host": "evil.example.net"}).status_code == 400


# 3 and 7. control characters are refused with a message and nothing is stored


@pytest.mark.parametrize(
    "fields",
    [{"company": "Evil\r\nBcc: all@example.com"}, {"company": "Nul\x00Co"}, {"note": "fine\nbut \x00 not"}],
)
def test_control_characters_in_a_trial_request_are_refused(customer_browser, fields):
    response = customer_browser.submit("/trial", {**TRIAL, **fields})
    assert response.status_code == 200
    assert "not allowed" in response.get_data(as_text=True)
    assert rows(TrialRequest) == 0 and rows(OutboxMessage) == 0


def test_a_multi_line_note_keeps_its_line_breaks(customer_browser):
    response = customer_browser.submit("/trial", {**TRIAL, "note": "line one\r\nline two"})
    assert response.status_code == 302
    assert rows(TrialRequest) == 1


def test_a_company_name_with_a_line_break_is_refused_at_registration(browser):
    response = browser.submit(
        "/register",
        {"email": "new@example.com", "company": "A\nB", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert "line breaks or control characters" in response.get_data(as_text=True)
    assert rows(User) == 0


# 4. the real client behind a proxy (failed logins across addresses: test_lockout.py)


@pytest.mark.parametrize("settings", [{"PROXY_FIX_HOPS": 1}], indirect=True)
def test_behind_one_proxy_the_forwarded_client_is_seen(app, customer):
    browser = Browser(app.test_client())
    browser.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    browser.login(customer.email)
    assert "203.0.113.9" in browser.get("/account/security").get_data(as_text=True)


# 5. no enumeration: the same work and a cap on emails to one address


def test_already_registered_emails_are_capped_per_address(browser, customer):
    for _ in range(5):
        browser.submit(
            "/register",
            {
                "email": customer.email,
                "password": "a-fresh-agent-passphrase",
                "confirm": "a-fresh-agent-passphrase",
            },
        )
    assert len(sent_mail(customer.email)) == 3


def test_reset_emails_are_capped_per_address_but_the_owner_keeps_a_working_link(app, customer):
    for i in range(5):
        stranger = Browser(app.test_client())
        stranger.client.environ_base["REMOTE_ADDR"] = f"10.1.0.{i}"
        assert stranger.submit("/forgot-password", {"email": customer.email}).status_code == 200
    run_queued(app)
    messages = sent_mail(customer.email)
    assert len(messages) == 3
    owner = Browser(app.test_client())
    response = owner.submit(
        link_in(messages[0]), {"password": "a-fresh-agent-passphrase", "confirm": "a-fresh-agent-passphrase"}
    )
    assert response.headers["Location"] == "/login"


# 6. out-of-range ids, pages and numbers are 404 or a message, never a 500


@pytest.mark.parametrize(
    "url",
    [
        f"/orders/{2**63}",
        f"/orders/{2**64}/status",
        f"/licenses/X/certificates/{2**63}.lic",
        f"/support/customers/{2**63}",
        f"/support/orders/{10**30}",
    ],
)
def test_huge_ids_are_not_found(customer_browser, url):
    assert customer_browser.get(url).status_code == 404


def test_huge_page_and_actor_numbers_in_the_console(agent):
    for url in (
        f"/support/audit?page={10**30}",
        f"/support/audit?actor={10**30}",
        f"/support/orders?page={10**30}",
    ):
        assert agent.get(url).status_code in (200, 404), url


def test_superscript_digits_in_the_license_check(customer_browser, make_license):
    license = make_license()
    page = customer_browser.get(f"/licenses/{license.code}?created=²⁵")
    assert page.status_code == 200
    assert "Enter the number of accounts" in page.get_data(as_text=True)


def test_deeply_nested_json_on_pay_is_a_400(customer_browser, customer):
    order = add_order(customer)
    token = customer_browser.get(f"/orders/{order.id}").get_data(as_text=True)
    body = "[" * 100_000 + "]" * 100_000
    response = customer_browser.client.post(
        f"/orders/{order.id}/pay",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(token)},
    )
    assert response.status_code == 400


MALFORMED_EVENTS = [
    {"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": []}},
    {"id": "evt_2", "type": ["payment_intent.succeeded"], "data": {"object": {}}},
    {"id": ["evt_3"], "type": "charge.refunded", "data": {"object": {}}},
    {"id": "evt_6", "type": "payment_intent.succeeded", "data": None},
    {"id": "evt_7" * 100, "type": "x", "data": {"object": {}}},
]


# Well-formed events about nothing of the portal's: ignored, with a 200.
ODD_EVENTS = [
    {"id": "evt_5", "type": "charge.refunded", "data": {"object": {"payment_intent": {"id": []}}}},
    {
        "id": "evt_8",
        "type": "charge.dispute.closed",
        "data": {"object": {"payment_intent": 12, "status": []}},
    },
]


def post_signed(client, event):
    body = json.dumps(event).encode()
    return client.post(
        "/webhooks/stripe",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": sign_webhook(body, TestConfig.STRIPE_WEBHOOK_SECRET)},
    )


@pytest.mark.parametrize("event", MALFORMED_EVENTS)
def test_malformed_but_signed_webhook_bodies_are_a_400(client, event):
    assert post_signed(client, event).status_code == 400


@pytest.mark.parametrize("event", ODD_EVENTS)
def test_odd_but_signed_webhook_bodies_are_ignored_by_the_worker(client, event):
    body = json.dumps(event).encode()

    applied = deliver_and_apply(client, body, sign_webhook(body, TestConfig.STRIPE_WEBHOOK_SECRET))

    assert (applied.status_code, applied.json["code"]) == (200, "ignored")


def test_a_webhook_signed_in_the_future_is_refused(client):
    body = json.dumps({"id": "evt_future", "type": "charge.refunded", "data": {"object": {}}}).encode()
    signature = sign_webhook(body, TestConfig.STRIPE_WEBHOOK_SECRET, timestamp=int(time.time()) + 86400)
    response = client.post(
        "/webhooks/stripe",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert response.status_code == 400
    assert rows(StripeEvent) == 0


# 8. sizes


def test_a_body_over_one_megabyte_is_refused_before_it_is_read(client):
    response = client.post("/webhooks/stripe", data=b"x" * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413


def test_setup_intents_are_limited_per_customer(customer_browser, make_user):
    other = make_user(email="other@example.com")
    order = add_order(other)  # not the customer's: no SetupIntent is made, but the limit counts
    answers = [customer_browser.get(f"/orders/{order.id}/pay").status_code for _ in range(31)]
    assert answers[:30] == [404] * 30 and answers[30] == 429


# 9. caching, weak passwords, private database files


def test_signed_in_pages_and_certificates_are_not_cached(customer_browser, make_license):
    license = make_license()
    for url in (
        "/licenses",
        f"/licenses/{license.code}",
        "/account",
        f"/licenses/{license.code}/certificates/1.lic",
    ):
        assert customer_browser.get(url).headers["Cache-Control"] == "no-store", url


@pytest.mark.parametrize("password", ["password123", "qwertyuiop12", "iloveyou2020", "Password2024"])
def test_common_passwords_are_refused(browser, password):
    response = browser.submit(
        "/register", {"email": "new@example.com", "password": password, "confirm": password}
    )
    assert "too easy to guess" in response.get_data(as_text=True)


def test_a_new_sqlite_database_is_private(tmp_path, app_settings):
    path = tmp_path / "portal.db"
    create_app(TestConfig(), **{**app_settings, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
