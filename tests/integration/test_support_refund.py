"""Support refunds a paid order from the console, through localstripe standing in for Stripe."""

import dataclasses

import pytest
from sqlalchemy import select

from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import AuditEntry, BillingDocument
from tests.conftest import sent_mail
from tests.factories import add_order
from tests.support.payments import NEEDS_3D_SECURE, charge_in_localstripe, stripe_settings

REASON = "Bought 25 accounts twice by mistake"


@pytest.fixture
def settings(localstripe):
    return stripe_settings(localstripe)


@pytest.fixture
def paid_order(gateway, localstripe, customer, make_license, pay_order):
    """An upgrade of 25 accounts on a 50-account license (75 once paid), paid by Visa in localstripe."""

    def make():
        order = add_order(customer, license=make_license(accounts=50), accounts=25)
        return pay_order(order, charge_in_localstripe(gateway, localstripe, order))

    return make


def refund(agent, order, reason=REASON):
    return agent.submit(
        f"/support/orders/{order.id}/refund",
        {"reason": reason, "refunded_before": str(order.refunded_cents)},
        f"/support/orders/{order.id}",
    )


def test_refund_returns_the_money_and_takes_the_accounts_back(
    agent, paid_order, customer, staff, localstripe, keyring
):
    order = paid_order()
    license = order.license

    response = refund(agent, order)

    assert response.headers["Location"] == f"/support/orders/{order.id}"
    db.session.refresh(order)
    db.session.refresh(license)
    assert (order.status, order.refund_reason, order.refunded_cents) == ("refunded", REASON, 11250)
    assert order.refunded_at is not None
    assert license.accounts == 50
    certificate = license.current_certificate
    assert (certificate.serial, certificate.reason, certificate.accounts) == (3, "refund", 50)
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert (claims.accounts, claims.supersedes) == (50, 2)

    receipt, email = sent_mail(customer.email)
    assert receipt.subject.startswith(f"Receipt for order {order.id}")
    assert f"Order {order.id} refunded" in email.subject
    assert email.attachments[0]["filename"] == f"{license.code}-3.lic"
    invoice, credit_note = db.session.scalars(select(BillingDocument).order_by(BillingDocument.id)).all()
    assert (invoice.kind, credit_note.kind) == ("invoice", "credit_note")
    assert (credit_note.total_cents, credit_note.event) == (11250, "refund")
    assert email.attachments[1]["filename"] == credit_note.filename

    entry = db.session.scalar(select(AuditEntry))
    assert (entry.action, entry.actor_id, entry.order_id, entry.license_id, entry.reason) == (
        "order.refund",
        staff.id,
        order.id,
        license.id,
        REASON,
    )
    stripe_refund = localstripe.api(f"/v1/refunds/{entry.details['stripe_refund']}")
    assert (stripe_refund["payment_intent"], stripe_refund["amount"], stripe_refund["status"]) == (
        order.stripe_payment_intent_id,
        11250,
        "succeeded",
    )
    page = agent.get(f"/support/orders/{order.id}").get_data(as_text=True)
    assert "refunded</span>" in page and "This order has been refunded." in page
    assert credit_note.number in page


def test_a_second_refund_click_changes_nothing(agent, paid_order, customer):
    order = paid_order()
    refund(agent, order)

    again = refund(agent, order)

    assert again.status_code == 400
    assert f"Order #{order.id} is refunded: only a paid order can be refunded." in again.get_data(
        as_text=True
    )
    db.session.refresh(order)
    assert order.license.accounts == 50 and len(order.license.certificates) == 3
    assert len(sent_mail(customer.email)) == 2  # the receipt and the refund
    assert len(db.session.scalars(select(AuditEntry)).all()) == 1


def test_a_refund_stripe_refuses_shows_its_message_and_changes_nothing(
    agent, gateway, localstripe, customer, make_license, pay_order
):
    # localstripe refuses only to refund a failed payment: the order is fulfilled as if this payment,
    # whose 3-D Secure then failed, had succeeded, standing in for any refund Stripe refuses.
    order = add_order(customer, license=make_license(accounts=50), accounts=25)
    failed = charge_in_localstripe(gateway, localstripe, order, NEEDS_3D_SECURE, complete_3d_secure=False)
    order = pay_order(order, dataclasses.replace(failed, status="succeeded"))

    response = refund(agent, order)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not refunded: Cannot refund a failed payment. Nothing was changed." in page
    db.session.refresh(order)
    assert order.status == "paid" and order.refunded_at is None
    assert order.license.accounts == 75 and len(order.license.certificates) == 2
    [receipt] = sent_mail(customer.email)  # no refund email
    assert receipt.subject.startswith(f"Receipt for order {order.id}")
    assert db.session.scalars(select(AuditEntry)).all() == []
