"""Support refunds part of a paid order by whole packs, through localstripe standing in for Stripe."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import AuditEntry, BillingDocument
from tests.conftest import sent_mail
from tests.factories import add_order
from tests.support.payments import charge_in_localstripe, stripe_settings

REASON = "Duplicate purchase (ticket #1234)."


@pytest.fixture
def settings(localstripe):
    return stripe_settings(localstripe)


@pytest.fixture
def paid_order(gateway, localstripe, customer, make_license, pay_order):
    """An upgrade of 75 accounts (3 packs, $337.50) on a 50-account license, paid by Visa in localstripe."""
    order = add_order(customer, license=make_license(accounts=50), accounts=75)
    return pay_order(order, charge_in_localstripe(gateway, localstripe, order))


def credit_notes():
    return db.session.scalars(select(BillingDocument).where(BillingDocument.kind == "credit_note")).all()


def refund_packs(agent, order, packs, reason=REASON):
    return agent.submit(
        f"/support/orders/{order.id}/partial-refund",
        {"packs": str(packs), "reason": reason, "refunded_before": str(order.refunded_cents)},
        f"/support/orders/{order.id}",
    )


def test_refunding_two_packs_refunds_their_price_removes_their_accounts_and_reissues(
    agent, paid_order, customer, staff, localstripe, keyring
):
    order, license = paid_order, paid_order.license

    response = refund_packs(agent, order, 2)

    assert response.headers["Location"] == f"/support/orders/{order.id}"
    db.session.refresh(order)
    db.session.refresh(license)
    assert (order.status, order.refunded_cents) == ("paid", 22500)
    assert license.accounts == 75
    certificate = license.current_certificate
    assert (certificate.reason, certificate.accounts) == ("partial_refund", 75)
    assert verify_certificate(certificate.text, keyring.public_keys()).accounts == 75

    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.reason) == ("order.partial_refund", staff.id, REASON)
    stripe_refund = localstripe.api(f"/v1/refunds/{entry.details['stripe_refund']}")
    assert (stripe_refund["payment_intent"], stripe_refund["amount"]) == (
        order.stripe_payment_intent_id,
        22500,
    )

    receipt, email = sent_mail(customer.email)
    assert receipt.subject.startswith(f"Receipt for order {order.id}")
    assert "$225.00" in email.text_body and "Accounts removed:   50" in email.text_body
    assert "ticket" not in email.text_body and "Duplicate" not in email.text_body
    assert "ticket" not in email.html_body
    assert email.attachments[0]["filename"] == certificate.filename
    [credit_note] = credit_notes()
    assert (credit_note.number[:3], credit_note.total_cents, credit_note.event) == (
        "CN-",
        22500,
        "partial-22500",
    )
    assert email.attachments[1]["filename"] == credit_note.filename

    page = agent.get(f"/support/orders/{order.id}").get_data(as_text=True)
    assert "$225.00 of this order is refunded already" in page
    assert f"Refunded $225.00 of order #{order.id} (2 packs)" in agent.get("/support/audit").get_data(
        as_text=True
    )
    assert "ticket" not in customer_page(customer, order)


def customer_page(customer, order):
    from flask import current_app

    from tests.conftest import Browser

    browser = Browser(current_app.test_client())
    browser.login(customer.email)
    return browser.get(f"/orders/{order.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("packs", "message"),
    [
        ("3", "at most 2 packs refunded this way (one pack stays)"),
        ("0", "Enter how many whole packs to refund"),
        ("1.5", "Enter how many whole packs to refund"),
    ],
)
def test_more_packs_than_may_be_refunded_are_refused_and_nothing_changes(
    agent, paid_order, customer, packs, message
):
    response = refund_packs(agent, paid_order, packs)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(paid_order)
    assert paid_order.refunded_cents == 0 and paid_order.license.accounts == 125
    [receipt] = sent_mail(customer.email)  # no refund email
    assert receipt.subject.startswith(f"Receipt for order {paid_order.id}")
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_a_reason_is_required(agent, paid_order):
    response = refund_packs(agent, paid_order, 1, reason="")
    assert response.status_code == 400
    assert "Give a reason for the refund" in response.get_data(as_text=True)


def test_after_a_partial_refund_the_full_refund_refunds_the_rest_and_removes_the_rest(
    agent, paid_order, customer, localstripe
):
    refund_packs(agent, paid_order, 1)
    page = agent.get(f"/support/orders/{paid_order.id}").get_data(as_text=True)
    assert "Refunds the remaining $225.00" in page and "remaining 50 accounts" in page

    response = agent.submit(
        f"/support/orders/{paid_order.id}/refund",
        {"reason": "rest", "refunded_before": str(paid_order.refunded_cents)},
        f"/support/orders/{paid_order.id}",
    )

    assert response.status_code == 302
    db.session.refresh(paid_order)
    assert (paid_order.status, paid_order.refunded_cents) == ("refunded", 33750)
    assert paid_order.license.accounts == 50  # 125, less 25 by the pack, less the other 50
    assert paid_order.license.current_certificate.accounts == 50
    intent = localstripe.api(f"/v1/payment_intents/{paid_order.stripe_payment_intent_id}")
    assert intent["latest_charge"]["amount_refunded"] == 33750
    full = sent_mail(customer.email)[-1]
    assert "Accounts removed:   50" in full.text_body and "Licensed accounts:  50" in full.text_body

    again = agent.submit(
        f"/support/orders/{paid_order.id}/refund",
        {"reason": "again", "refunded_before": str(paid_order.refunded_cents)},
        f"/support/orders/{paid_order.id}",
    )
    assert again.status_code == 400 and "only a paid order can be refunded" in again.get_data(as_text=True)


def test_a_partial_refund_of_a_taxed_order_refunds_what_its_credit_note_says(
    agent, gateway, localstripe, customer, make_license, pay_order
):
    # Placed by a buyer taxed at 19 %: 3 packs, net $337.50, VAT $64.13 (rounded once), total $401.63.
    order = add_order(customer, license=make_license(accounts=50), accounts=75)
    order.net_cents, order.tax_rate_bp, order.tax_cents, order.tax_treatment = 33750, 1900, 6413, "standard"
    order.amount_cents = 40163
    db.session.commit()
    pay_order(order, charge_in_localstripe(gateway, localstripe, order))

    refund_packs(agent, order, 1)

    [credit_note] = credit_notes()
    # One pack: net $112.50 and its VAT $21.38 (21.375 rounded half up).
    assert (credit_note.net_cents, credit_note.tax_cents, credit_note.total_cents) == (11250, 2138, 13388)
    entry = db.session.scalar(select(AuditEntry))
    assert localstripe.api(f"/v1/refunds/{entry.details['stripe_refund']}")["amount"] == 13388
    assert db.session.get(type(order), order.id).refunded_cents == 13388
