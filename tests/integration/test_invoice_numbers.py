"""Twenty payments (and twenty refunds) at the same moment: numbers 1..20, no gap, no duplicate.

Runs on the test database: PostgreSQL when DATABASE_URL is set, SQLite otherwise.
"""

import json

from sqlalchemy import select

from app.extensions import db
from app.models import BillingDocument, DocumentKind
from tests.integration.test_concurrency import deliver_at_once
from tests.support.payments import stripe_event, succeeded_payload

ORDERS = 20


def numbers(kind):
    return db.session.scalars(
        select(BillingDocument.number).where(BillingDocument.kind == kind).order_by(BillingDocument.number)
    ).all()


def expected(series, year):
    return [f"{series}-{year}-{n:06d}" for n in range(1, ORDERS + 1)]


def refunded_payload(order):
    charge = {
        "id": f"ch_{order.id}",
        "object": "charge",
        "amount": order.amount_cents,
        "amount_refunded": order.amount_cents,
        "currency": order.currency,
        "payment_intent": order.stripe_payment_intent_id,
        "refunded": True,
        "refunds": {"data": [{"id": f"re_{order.id}", "metadata": {}}]},
    }
    return json.dumps(stripe_event("charge.refunded", charge)).encode()


def test_20_orders_paid_at_once_get_invoices_1_to_20_then_credit_notes_1_to_20(app, make_stripe_order):
    orders = [make_stripe_order(accounts=25) for _ in range(ORDERS)]

    paid = deliver_at_once(app, [succeeded_payload(order) for order in orders])

    assert paid == {"fulfilled": ORDERS}
    year = db.session.scalar(select(BillingDocument.issued_at)).year
    assert numbers(DocumentKind.INVOICE) == expected("INV", year)
    for order in orders:
        db.session.refresh(order)

    refunded = deliver_at_once(app, [refunded_payload(order) for order in orders])

    assert refunded == {"order refunded": ORDERS}
    assert numbers(DocumentKind.CREDIT_NOTE) == expected("CN", year)
    invoice_of = dict(
        db.session.execute(
            select(BillingDocument.order_id, BillingDocument.id).where(
                BillingDocument.kind == DocumentKind.INVOICE
            )
        ).all()
    )
    for credit_note in db.session.scalars(
        select(BillingDocument).where(BillingDocument.kind == DocumentKind.CREDIT_NOTE)
    ):
        assert credit_note.invoice_id == invoice_of[credit_note.order_id]
