"""Support refunds a paid order from the console, through localstripe standing in for Stripe."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import AuditEntry, BillingDocument
from tests.conftest import sent_mail
from tests.factories import add_order
from tests.support.payments import NEEDS_3D_SECURE, VISA, stripe_settings

pytestmark = pytest.mark.integration

REASON = "Bought 25 accounts twice by mistake"


@pytest.fixture
def settings(localstripe):
    return stripe_settings(localstripe)


@pytest.fixture
def paid_order(gateway, localstripe, customer, make_license):
    """An upgrade of 25 accounts on a 50-account license, paid by card in localstripe."""

    def make(card=VISA, *, complete_3d_secure=None):
        order = add_order(customer, license=make_license(accounts=50), accounts=25)
        stripe_customer = gateway.create_customer(customer.email, user_id=customer.id)
        setup = gateway.create_setup_intent(stripe_customer)
        payment = gateway.create_payment(
            order_id=order.id,
            amount_cents=order.amount_cents,
            currency="usd",
            customer_id=stripe_customer,
            payment_method_id=localstripe.confirm_card_setup(setup.client_secret, card),
            idempotency_key=f"order-{order.id}-{uuid.uuid4()}",  # ids repeat across tests, localstripe stays
        )
        if complete_3d_secure is not None:
            localstripe.complete_3d_secure(payment.client_secret, success=complete_3d_secure)
        order.status, order.paid_at = "paid", datetime.now(UTC)
        order.stripe_payment_intent_id = payment.id
        db.session.commit()
        return order

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
    assert license.accounts == 25
    certificate = license.current_certificate
    assert (certificate.serial, certificate.reason, certificate.accounts) == (2, "refund", 25)
    claims = verify_certificate(certificate.text, keyring.public_keys())
    assert (claims.accounts, claims.supersedes) == (25, 1)

    [email] = sent_mail(customer.email)
    assert f"Order {order.id} refunded" in email.subject
    assert email.attachments[0]["filename"] == f"{license.code}-2.lic"
    [credit_note] = db.session.scalars(select(BillingDocument)).all()  # paid here without an invoice
    assert (credit_note.kind, credit_note.total_cents, credit_note.event) == ("credit_note", 11250, "refund")
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
    assert order.license.accounts == 25 and len(order.license.certificates) == 2
    assert len(sent_mail(customer.email)) == 1
    assert len(db.session.scalars(select(AuditEntry)).all()) == 1


def test_a_refund_stripe_refuses_shows_its_message_and_changes_nothing(agent, paid_order, customer):
    # A payment whose 3-D Secure failed was never charged: Stripe will not refund it.
    order = paid_order(NEEDS_3D_SECURE, complete_3d_secure=False)

    response = refund(agent, order)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not refunded: Cannot refund a failed payment. Nothing was changed." in page
    db.session.refresh(order)
    assert order.status == "paid" and order.refunded_at is None
    assert order.license.accounts == 50 and len(order.license.certificates) == 1
    assert sent_mail(customer.email) == []
    assert db.session.scalars(select(AuditEntry)).all() == []
