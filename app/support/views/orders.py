"""Orders: the list with a status filter, an order's page, and the full refund through Stripe."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.billing.gateway import GatewayError
from app.extensions import db
from app.guards import page_number
from app.models import AuditEntry, Order
from app.models.order import ORDER_STATUSES
from app.services import current_gateway, current_keyring
from app.support.forms import RefundForm
from app.support.refunds import RefundError, refund_order
from app.support.views import bp, now
from app.support.views.customers import audit_trail

ORDERS_PER_PAGE = 50
FLAGGED = "flagged"  # not a status: payments Stripe reported oddly, left for support to decide


def get_order(order_id):
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return order


@bp.route("/orders")
def orders():
    status = request.args.get("status") or ""
    query = (
        select(Order)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .options(selectinload(Order.user), selectinload(Order.license))
    )
    if status in ORDER_STATUSES:
        query = query.where(Order.status == status)
    elif status == FLAGGED:
        query = query.where(Order.flagged.is_(True))
    else:
        status = ""
    page = db.paginate(
        query, page=request.args.get("page", 1, type=page_number), per_page=ORDERS_PER_PAGE, error_out=False
    )
    return render_template(
        "support/orders.html", page=page, status=status, filters=[*ORDER_STATUSES, FLAGGED]
    )


def render_order(order, *, refund_form=None, refund_error=None, status=200):
    return render_template(
        "support/order.html",
        order=order,
        now=now(),
        refund_form=refund_form or RefundForm(),
        refund_error=refund_error,
        trail=audit_trail(AuditEntry.order_id == order.id),
    ), status


@bp.route("/orders/<int:order_id>")
def order(order_id):
    return render_order(get_order(order_id))


@bp.route("/orders/<int:order_id>/refund", methods=["POST"])
def refund(order_id):
    order = get_order(order_id)
    form = RefundForm()
    if not form.validate_on_submit():
        return render_order(order, refund_form=form, status=400)
    try:
        refund_order(
            db.session,
            order,
            current_user,
            reason=form.reason.data,
            gateway=current_gateway(),
            keyring=current_keyring(),
            now=now(),
        )
    except (RefundError, GatewayError) as exc:
        db.session.rollback()
        return render_order(
            get_order(order_id), refund_form=form, refund_error=f"Not refunded: {exc.message}", status=400
        )
    db.session.commit()
    flash(
        f"Order #{order.id} refunded: the license has a new certificate and the customer is emailed.",
        "success",
    )
    return redirect(url_for("support.order", order_id=order.id))
