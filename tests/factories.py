"""Rows the tests put into the database directly, and queries to read them back."""

from sqlalchemy import select

from app.billing.pricing import quote
from app.extensions import db
from app.models import Certificate, Order


def add_order(user, *, accounts=50, license=None, status="pending", **fields):
    """An order of ``accounts`` at the list price: an upgrade of ``license``, else a new license."""
    price = quote(accounts)
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
