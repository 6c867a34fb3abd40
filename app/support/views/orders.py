"""Orders: the list with a status filter, an order's page, and the full refund through Stripe."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import audit
from app.billing import payments
from app.billing.fulfilment import FulfilmentSettings
from app.billing.gateway import GatewayError
from app.exceptions import PortalError
from app.extensions import db
from app.formatting import money
from app.models import AuditEntry, Order
from app.models.order import ORDER_STATUSES
from app.support.exports import DateRange, csv_response, minute
from app.support.forms import CancelOrderForm, PartialRefundForm, RefundForm
from app.support.refunds import refund_order, refund_packs, refundable_packs
from app.support.views import bounded_page, bp, console_action, now, signing
from app.support.views.customers import audit_trail
from app.web.services import current_gateway

ORDERS_PER_PAGE = 50
FLAGGED = "flagged"  # not a status: payments Stripe reported oddly, left for support to decide


def get_order(order_id):
    return db.get_or_404(Order, order_id)


@bp.route("/orders")
def orders():
    status = request.args.get("status") or ""
    dates = DateRange(request.args)
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
    query = dates.apply(query, Order.created_at)
    if request.args.get("format") == "csv" and not dates.error:
        return csv_response(
            "orders.csv",
            [
                "order",
                "placed",
                "paid",
                "customer",
                "license",
                "kind",
                "accounts",
                "packs",
                "amount",
                "currency",
                "refunded",
                "status",
                "card_last4",
                "stripe_payment",
            ],
            (
                [
                    o.id,
                    minute(o.created_at),
                    minute(o.paid_at),
                    o.user.email,
                    o.license.code if o.license else "",
                    o.kind,
                    o.accounts,
                    o.packs,
                    f"{o.amount_cents / 100:.2f}",
                    o.currency,
                    f"{o.refunded_cents / 100:.2f}",
                    o.status,
                    o.card_last4,
                    o.stripe_payment_intent_id,
                ]
                for o in db.session.scalars(query)
            ),
        )
    page = bounded_page(query, ORDERS_PER_PAGE)
    return render_template(
        "support/orders.html", page=page, status=status, filters=[*ORDER_STATUSES, FLAGGED], dates=dates
    ), (400 if dates.error else 200)


def render_order(
    order,
    *,
    refund_form=None,
    refund_error=None,
    partial_form=None,
    cancel_form=None,
    cancel_error=None,
    status=200,
):
    return render_template(
        "support/order.html",
        order=order,
        now=now(),
        refund_form=refund_form or RefundForm(),
        refund_error=refund_error,
        cancel_form=cancel_form or CancelOrderForm(),
        cancel_error=cancel_error,
        stripe_payment=_stripe_payment(order),
        partial_form=partial_form or PartialRefundForm(),
        refundable_packs=refundable_packs(order),
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

    def refused(error):
        return render_order(
            get_order(order_id), refund_form=form, refund_error=f"Not refunded: {error.message}", status=400
        )

    given = signing()
    settings = FulfilmentSettings(keyring=given["keyring"], terms=given["terms"])
    return console_action(
        lambda: refund_order(
            db.session,
            order,
            current_user,
            reason=form.reason.data,
            gateway=current_gateway(),
            settings=settings,
            now=given["now"],
        ),
        lambda _: (
            f"Order #{order.id} refunded: the license has a new certificate and the customer is emailed."
        ),
        back=redirect(url_for("support.order", order_id=order.id)),
        refused=refused,
    )


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
def cancel_order(order_id):
    """Cancel an unpaid order (its waiting PaymentIntent too), with a reason, audited."""
    order = get_order(order_id)
    form = CancelOrderForm()
    if not form.validate_on_submit():
        return render_order(order, cancel_form=form, status=400)

    def act():
        audit.record(
            current_user, "order.cancel", order=order, license=order.license, reason=form.reason.data
        )
        if refusal := payments.cancel(db.session, current_gateway(), order, form.reason.data):
            raise PortalError(refusal)

    def refused(error):
        return render_order(
            get_order(order_id), cancel_form=form, cancel_error=f"Not cancelled: {error.message}", status=409
        )

    return console_action(
        act,
        lambda _: f"Order #{order.id} cancelled.",
        back=redirect(url_for("support.order", order_id=order.id)),
        refused=refused,
    )


def _stripe_payment(order):
    """The latest PaymentIntent as Stripe has it now (id, status, amount, card), or why it is not known."""
    if not order.stripe_payment_intent_id:
        return None
    try:
        return current_gateway().retrieve_payment(order.stripe_payment_intent_id)
    except GatewayError as error:
        return error.message


@bp.route("/orders/<int:order_id>/partial-refund", methods=["POST"])
def partial_refund(order_id):
    order = get_order(order_id)
    form = PartialRefundForm()
    if not form.validate_on_submit():
        return render_order(order, partial_form=form, status=400)

    def refused(error):
        return render_order(
            get_order(order_id), partial_form=form, refund_error=f"Not refunded: {error.message}", status=400
        )

    given = signing()
    settings = FulfilmentSettings(keyring=given["keyring"], terms=given["terms"])
    return console_action(
        lambda: refund_packs(
            db.session,
            order,
            current_user,
            packs=form.packs.data,
            reason=form.reason.data,
            gateway=current_gateway(),
            settings=settings,
            now=given["now"],
        ),
        lambda certificate: (
            f"Refunded {money(order.amount_cents // order.packs * form.packs.data, order.currency)}"
            f" of order #{order.id}: the license has a new certificate"
            f" (serial {certificate.serial}) and the customer is emailed."
        ),
        back=redirect(url_for("support.order", order_id=order.id)),
        refused=refused,
    )
