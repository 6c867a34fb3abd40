"""The demo data stays as the README describes it while the worker reconciles orders."""

from datetime import timedelta

from sqlalchemy import select

from app.billing.recovery import expire_orders
from app.extensions import db
from app.models import Order
from app.models.base import utcnow
from app.web.services import current_gateway


def test_the_demo_failed_order_outlives_a_day_of_reconciles(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    hours = app.config["ORDER_EXPIRY_HOURS"]

    for later in (timedelta(minutes=6), timedelta(hours=hours) - timedelta(minutes=1)):
        with app.test_request_context():
            expire_orders(db.session, current_gateway(), utcnow() + later, hours)
        db.session.commit()

    statuses = sorted(db.session.scalars(select(Order.status)).all())
    assert statuses == ["failed", "paid", "paid"]
