"""Rows the tests put into the database directly, and queries to read them back."""

from sqlalchemy import select

from app.billing.pricing import quote
from app.extensions import db
from app.models import Certificate, Order
from app.terms import Terms

STANDARD_TERMS = Terms(
    account_price_cents=450,
    pack_size=25,
    currency="usd",
    grace_percent=10,
    max_accounts_per_order=10_000,
    trial_days=30,
    trial_accounts=25,
    trial_max_accounts=100,
    support_days=365,
)
"""The terms of the default configuration, for tests that run without an app."""


def add_order(user, *, accounts=50, license=None, status="pending", terms=STANDARD_TERMS, **fields):
    """An order of ``accounts`` at the list price: an upgrade of ``license``, else a new license."""
    price = quote(accounts, terms)
    order = Order(
        user=user,
        license=license,
        kind="upgrade" if license else "new",
        accounts=price.accounts,
        packs=price.packs,
        amount_cents=price.amount_cents,
        currency=price.currency,
        status=status,
        **fields,
    )
    db.session.add(order)
    db.session.commit()
    return order


def certificates_of(order_id):
    """The certificates issued for an order, by serial."""
    return db.session.scalars(
        select(Certificate).where(Certificate.order_id == order_id).order_by(Certificate.serial)
    ).all()
