"""Orders: the list with a status filter, an order's page, and the full refund through Stripe."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import audit, outbox
from app.billing import emails, payments
from app.billing.details import pdf_response
from app.billing.invoices import documents_of
from app.billing.tax import format_rate as tax_rate
from app.exceptions import PortalError
from app.extensions import db
from app.formatting import money
from app.forms import FlaskForm
from app.models import AuditEntry, BillingDocument, Order
from app.models.order import ORDER_STATUSES
from app.support.exports import DateRange, csv_response, minute
from app.support.forms import CancelOrderForm, PartialRefundForm, RefundExtraForm, RefundForm
from app.support.refunds import packs_refund_cents, refund_order, refund_packs, refundable_packs
from app.support.views import bounded_page, bp, console_action, fulfilment_settings, now, signing
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
                "net",
                "tax_rate",
                "tax",
                "tax_treatment",
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
                    f"{o.net_cents / 100:.2f}",
                    tax_rate(o.tax_rate_bp),
                    f"{o.tax_cents / 100:.2f}",
                    o.tax_treatment,
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
    extra_form=None,
    status=200,
):
    attempts = payments.stripe_attempts(current_gateway(), order)
    return render_template(
        "support/order.html",
        order=order,
        now=now(),
        refund_form=refund_form or RefundForm(),
        refund_error=refund_error,
        cancel_form=cancel_form or CancelOrderForm(),
        cancel_error=cancel_error,
        attempts=attempts,
        extra_forms=_extra_forms(attempts, extra_form),
        partial_form=partial_form or PartialRefundForm(),
        refundable_packs=refundable_packs(order),
        pack_refund_cents=packs_refund_cents(order, 1),
        documents=documents_of(db.session, order),
        trail=audit_trail(AuditEntry.order_id == order.id),
    ), status


def _extra_forms(attempts, submitted):
    """A refund form for each extra payment; the one just submitted keeps its input and errors."""
    forms = {}
    for attempt in attempts:
        if attempt.extra:
            prefix = attempt.payment_intent_id
            mine = submitted is not None and submitted.reason.name == f"{prefix}-reason"
            forms[prefix] = submitted if mine else RefundExtraForm(prefix=prefix, formdata=None)
    return forms


@bp.route("/orders/<int:order_id>")
def order(order_id):
    return render_order(get_order(order_id))


def order_action(  # noqa: PLR0913 (the page's names for this action's form and refusal)
    order_id, form, act, done, *, form_name, error_name="refund_error", refusal="Not refunded", conflict=400
):
    """An action on an order's page: check its form, run ``act(order)`` through ``console_action``.

    A form error (400) or a refusal (``conflict``) shows the order again with ``form``
    (as ``form_name``) and the refusal (as ``error_name``); success says ``done(order, result)``.
    """
    order = get_order(order_id)
    if not form.validate_on_submit():
        return render_order(order, **{form_name: form}, status=400)

    def refused(error):
        shown = {form_name: form, error_name: f"{refusal}: {error.message}"}
        return render_order(get_order(order_id), **shown, status=conflict)

    return console_action(
        lambda: act(order),
        lambda result: done(order, result),
        back=redirect(url_for("support.order", order_id=order_id)),
        refused=refused,
    )


@bp.route("/orders/<int:order_id>/refund", methods=["POST"])
def refund(order_id):
    form = RefundForm()
    given = signing()
    return order_action(
        order_id,
        form,
        lambda order: refund_order(
            db.session,
            order,
            current_user,
            reason=form.reason.data,
            gateway=current_gateway(),
            settings=fulfilment_settings(given),
            now=given["now"],
            refunded_before=int(form.refunded_before.data),
        ),
        lambda order, _: (
            f"Order #{order.id} refunded: the license has a new certificate and the customer is emailed."
        ),
        form_name="refund_form",
    )


def get_document(order_id, number):
    return db.first_or_404(
        select(BillingDocument).where(BillingDocument.order_id == order_id, BillingDocument.number == number)
    )


@bp.route("/orders/<int:order_id>/documents/<number>.pdf")
def order_document(order_id, number):
    return pdf_response(get_document(order_id, number))


@bp.route("/orders/<int:order_id>/documents/<number>/resend", methods=["POST"])
def resend_document(order_id, number):
    """Email an invoice or credit note to the customer again, audited."""
    document = get_document(order_id, number)
    order = document.order
    form = FlaskForm()
    if not form.validate_on_submit():
        return render_order(order, status=400)

    def act():
        outbox.add(db.session, emails.billing_document(document))
        audit.record(
            current_user,
            audit.AuditAction.DOCUMENT_RESEND,
            order=order,
            license=order.license,
            number=document.number,
        )

    return console_action(
        act,
        lambda _: f"{document.title} {document.number} is re-sent to {order.user.email}.",
        back=redirect(url_for("support.order", order_id=order.id) + "#documents"),
    )


@bp.route("/orders/<int:order_id>/partial-refund", methods=["POST"])
def partial_refund(order_id):
    form = PartialRefundForm()
    given = signing()
    return order_action(
        order_id,
        form,
        lambda order: refund_packs(
            db.session,
            order,
            current_user,
            packs=form.packs.data,
            reason=form.reason.data,
            gateway=current_gateway(),
            settings=fulfilment_settings(given),
            now=given["now"],
            refunded_before=int(form.refunded_before.data),
        ),
        lambda order, certificate: (
            f"Refunded {money(packs_refund_cents(order, form.packs.data), order.currency)}"
            f" of order #{order.id}: the license has a new certificate"
            f" (serial {certificate.serial}) and the customer is emailed."
        ),
        form_name="partial_form",
    )


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
def cancel_order(order_id):
    """Cancel an unpaid order (its waiting PaymentIntent too), with a reason, audited."""
    form = CancelOrderForm()

    def act(order):
        audit.record(
            current_user,
            audit.AuditAction.ORDER_CANCEL,
            order=order,
            license=order.license,
            reason=form.reason.data,
        )
        if refusal := payments.cancel(db.session, current_gateway(), order, form.reason.data):
            raise PortalError(refusal)

    return order_action(
        order_id,
        form,
        act,
        lambda order, _: f"Order #{order.id} cancelled.",
        form_name="cancel_form",
        error_name="cancel_error",
        refusal="Not cancelled",
        conflict=409,
    )


@bp.route("/orders/<int:order_id>/payments/<payment_intent_id>/refund", methods=["POST"])
def refund_extra(order_id, payment_intent_id):
    """Refund one extra payment of an order (paid twice, or after it was cancelled), with a reason."""
    form = RefundExtraForm(prefix=payment_intent_id)
    given = signing()
    return order_action(
        order_id,
        form,
        lambda order: payments.refund_extra(
            db.session,
            order,
            payment_intent_id,
            actor=current_user,
            reason=form.reason.data,
            settings=fulfilment_settings(given, gateway=current_gateway()),
            now=given["now"],
        ),
        lambda order, _: (
            f"Payment {payment_intent_id} of order #{order.id} refunded: the customer is emailed."
        ),
        form_name="extra_form",
        conflict=409,
    )
