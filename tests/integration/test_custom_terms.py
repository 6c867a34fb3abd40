"""Other commercial terms in the configuration change every page, email, certificate and verdict alike."""

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import License, Order, TrialRequest
from tests.conftest import Browser, sent_mail
from tests.integration import test_payments
from tests.support.payments import stripe_settings

# The payment steps of the payment tests, as fixtures here too.
place_order, pay, post_webhook, forward = (
    test_payments.place_order,
    test_payments.pay,
    test_payments.post_webhook,
    test_payments.forward,
)

TERMS = {"PACK_SIZE": 10, "ACCOUNT_PRICE_CENTS": 300, "GRACE_PERCENT": 5, "TRIAL_DAYS": 14}


@pytest.fixture
def settings(localstripe):
    return stripe_settings(localstripe) | TERMS


def text(response):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def extract(certificate_path, keys_path, *args):
    result = subprocess.run(
        [sys.executable, "-m", "app.licensing.extractor", certificate_path, "--keys", keys_path, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def test_pages_quote_the_configured_terms(app, customer_browser):
    landing = text(app.test_client().get("/"))
    assert "US $3.00 per account, one-time fee, in packs of 10 accounts" in landing
    assert "One pack of 10 accounts is $30.00" in landing
    assert "free 14-day trial" in landing
    assert "$4.50" not in landing and "30-day" not in landing

    form = text(customer_browser.get("/orders/new"))
    assert "Accounts come in packs of 10 at $3.00 each" in form
    assert "1 pack × 10 accounts × $3.00 = $30.00" in form

    refused = text(customer_browser.submit("/orders/new", {"accounts": "25"}))
    assert "25 is not a whole number of packs: buy 20 or 30." in refused

    quote = customer_browser.get("/orders/quote?accounts=30").get_json()
    assert (quote["amount_cents"], quote["price"]) == (9000, "3 packs × 10 accounts × $3.00 = $90.00")

    trial = text(customer_browser.get("/trial"))
    assert "Request a 14-day trial" in trial and "US $3.00 per account in packs of 10" in trial


def test_purchase_certificate_extractor_and_check_agree(
    customer_browser, customer, place_order, pay, forward, keyring, tmp_path
):
    order_id = place_order(accounts=30)
    assert pay(order_id).status_code == 200
    payment_intent_id = db.session.get(Order, order_id).stripe_payment_intent_id
    assert forward("payment_intent.succeeded", payment_intent_id).status_code == 200

    order = db.session.get(Order, order_id)
    assert (order.status, order.accounts, order.packs, order.amount_cents) == ("paid", 30, 3, 9000)
    license = db.session.get(License, order.license_id)
    certificate = license.current_certificate
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert (claims.accounts, claims.policy.pack_size, claims.policy.grace_percent) == (30, 10, 5)

    [receipt] = [m for m in sent_mail(customer.email) if m.subject.startswith("Receipt")]
    assert "$90.00" in receipt.text_body
    assert receipt.attachments[0]["content"] == certificate.text

    cert_file, keys_file = tmp_path / "license.lic", tmp_path / "keys.json"
    cert_file.write_text(certificate.text)
    keys_file.write_text(customer_browser.get("/.well-known/license-keys").get_data(as_text=True))
    # 31 of 30 is 3.3% over: grace under 5%. 32 is 6.7% over: blocked (it would be grace at 10%).
    # 41 needs 2 packs of 10 (1 pack of 25 would do under the default terms).
    for created, verdict, packs in [(31, "GRACE", 1), (32, "BLOCKED", 1), (41, "BLOCKED", 2)]:
        result = extract(str(cert_file), str(keys_file), "--format", "json", "--accounts", str(created))
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)["accounts_policy"]
        assert (report["verdict"], report["packs_needed"]) == (verdict, packs)

        page = text(customer_browser.get(f"/licenses/{license.code}?created={created}"))
        assert verdict in page
        assert f"{packs} pack{'s' if packs != 1 else ''} of 10 accounts needed to comply" in page


def test_trial_lasts_the_configured_days(app, customer_browser, customer, staff, keyring):
    customer_browser.submit(
        "/trial",
        {"company": "Example Hosting", "hostname": "cp.example.com", "expected_accounts": "10", "note": ""},
    )
    trial_request = db.session.scalar(select(TrialRequest))
    agent = Browser(app.test_client())
    agent.login(staff.email)
    queue = text(agent.get("/support/trials"))
    assert "Approving issues a 14-day license for 25 accounts" in queue

    approved_at = datetime.now(UTC)
    agent.submit(f"/support/trials/{trial_request.id}/approve", {}, "/support/trials")

    license = db.session.scalar(select(License).where(License.kind == "trial"))
    claims = verify_certificate(license.current_certificate.text, keyring.public_keys())
    assert abs(claims.expires_at - (approved_at + timedelta(days=14))) < timedelta(minutes=1)
    assert claims.policy.pack_size == 10 and claims.policy.grace_percent == 5
    assert "14 days left" in text(customer_browser.get("/licenses"))
