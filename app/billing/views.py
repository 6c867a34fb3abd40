"""Ordering accounts, paying for them by card, and the order pages (docs/payments.md)."""

from datetime import UTC, datetime

from flask import (
    Blueprint,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.billing import details, invoices, payments, webhooks
from app.billing.forms import OrderForm
from app.billing.fulfilment import FulfilmentSettings, order_certificate
from app.billing.invoices import (
    billing_details_of,
    buyer_snapshot,
    charge_to,
    documents_by_order,
    documents_of,
)
from app.billing.orders import PAYABLE, accounts_after, customer_orders, place_order
from app.billing.pricing import PricingError, parse_accounts, quote
from app.extensions import db, limiter
from app.guards import page_number
from app.security import confirmed_required, signed_in_user
from app.web.lookups import own_license, own_order
from app.web.services import current_gateway, current_keyring, current_terms

bp = Blueprint("billing", __name__)
bp.register_blueprint(webhooks.bp)
bp.register_blueprint(details.bp)
bp.record_once(
    lambda state: state.app.extensions.setdefault("attachment_renderers", {}).update(
        {invoices.PDF_RENDERER: invoices.document_pdf}
    )
)

ORDERS_PER_PAGE = 25


def _quote(accounts):
    return quote(accounts, current_terms())


def _buyer():
    """The current customer as an order placed now would invoice them, or None without billing details."""
    details = billing_details_of(db.session, current_user)
    return buyer_snapshot(current_user, details) if details else None


def _charge(price, buyer):
    """Tax on ``price`` for ``buyer``: the one computation the review step, the order and Stripe share."""
    return charge_to(buyer or {}, price.amount_cents, current_terms())


def _order_form():
    return OrderForm(terms=current_terms())


def _fulfilment_settings():
    return FulfilmentSettings(keyring=current_keyring(), terms=current_terms(), gateway=current_gateway())


@bp.route("/orders/new", methods=["GET", "POST"])
@login_required
@confirmed_required
def new_order():
    return _order_step(license=None)


@bp.route("/licenses/<code>/upgrade", methods=["GET", "POST"])
@login_required
@confirmed_required
def upgrade(code):
    license = own_license(code)
    if refusal := payments.upgrade_refusal(license):
        flash(refusal, "warning")
        return redirect(url_for("portal.license_page", code=license.code))
    return _order_step(license)


def _order_step(license):
    """The amount form, then the review step with the price and "Invoice to", then the order.

    The review step links to the billing details, which send the buyer back
    to it (``?accounts=…&review=1``) with the amount they had chosen.
    """
    form = _order_form()
    if request.method == "GET" and request.args.get("accounts"):
        form.accounts.data = request.args["accounts"][:20]
    reviewing = request.method == "GET" and request.args.get("review") == "1" and _amount_given(form)
    buyer = _buyer()
    if not (reviewing or form.validate_on_submit()):
        one_pack = _quote(current_terms().pack_size)
        return render_template(
            "billing/order_form.html",
            form=form,
            license=license,
            pack_quote=one_pack,
            pack_charge=_charge(one_pack, buyer),
        )
    price = _quote(form.accounts_value)
    charge = _charge(price, buyer)
    if form.confirmed.data != "yes":
        return render_template(
            "billing/confirm.html",
            form=form,
            license=license,
            quote=price,
            charge=charge,
            buyer=buyer,
            review_url=url_for(request.endpoint, **request.view_args, accounts=price.accounts, review=1),
            accounts_after=accounts_after(license, price.accounts),
        )
    order = place_order(
        db.session, current_user, license, price, datetime.now(UTC), charge=charge, buyer=buyer
    )
    db.session.commit()
    return redirect(url_for("billing.pay", order_id=order.id))


def _amount_given(form):
    """The amount in the link back to the review step is valid (a GET has no form to validate)."""
    try:
        form.accounts_value = parse_accounts(form.accounts.data, current_terms())
    except PricingError:
        return False
    return True


@bp.get("/orders/quote")
@login_required
def price_quote():
    """The live price of the order form, computed here so that the browser never does sums."""
    license = own_license(request.args["license"]) if request.args.get("license") else None
    try:
        accounts = parse_accounts(request.args.get("accounts"), current_terms())
    except PricingError as error:
        return jsonify(ok=False, error=error.message), 422
    price = _quote(accounts)
    charge = _charge(price, _buyer())
    price_sum = get_template_attribute("billing/_price.html", "price_sum")
    return jsonify(
        ok=True,
        accounts=price.accounts,
        amount_cents=charge.total_cents,
        price=str(price_sum(price, charge)).strip(),
        accounts_after=accounts_after(license, price.accounts),
    )


@bp.get("/orders")
@login_required
def order_history():
    page = db.paginate(
        customer_orders(current_user.id),
        page=request.args.get("page", 1, type=page_number),
        per_page=ORDERS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "billing/orders.html",
        orders=page.items,
        page=page,
        documents=documents_by_order(db.session, [o.id for o in page.items]),
    )


@bp.get("/orders/<int:order_id>")
@login_required
def order_page(order_id):
    order = own_order(order_id)
    state = _order_state(order)
    return render_template(
        "billing/order.html",
        order=order,
        certificate=order_certificate(db.session, order),
        documents=documents_of(db.session, order),
        waiting=state.waiting,
        needs_authentication=state.needs_authentication,
        refusal=payments.payment_refusal(order) if order.status in PAYABLE else None,
    )


@bp.get("/orders/<int:order_id>/status")
@login_required
def order_status(order_id):
    """Polled by the order page while it waits for the payment to be confirmed."""
    order = own_order(order_id)
    state = _order_state(order)
    return jsonify(status=order.status, waiting=state.waiting)


@bp.route("/orders/<int:order_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_order(order_id):
    """Asks first (a page of its own, no script): cancelling cannot be undone."""
    order = own_order(order_id)
    if request.method == "GET":
        if order.status not in PAYABLE:
            return redirect(url_for("billing.order_page", order_id=order.id))
        return render_template("billing/cancel.html", order=order)
    refusal = payments.cancel(db.session, current_gateway(), order, "Cancelled by the customer.")
    if refusal:
        flash(refusal, "warning")
    else:
        flash(f"Order #{order.id} is cancelled. Nothing was charged.", "success")
    return redirect(url_for("billing.order_page", order_id=order.id))


# Each pay page and each "try another card" creates a Stripe SetupIntent: a customer gets so many an hour.
setup_intent_limit = limiter.shared_limit("30 per hour", scope="setup-intent", key_func=signed_in_user)


@bp.get("/orders/<int:order_id>/pay")
@login_required
@setup_intent_limit
def pay(order_id):
    order = own_order(order_id)
    page = payments.pay_page(db.session, current_gateway(), order)
    if page.refusal:
        flash(page.refusal, "warning")
    if page.go_to_order or page.refusal:
        return redirect(url_for("billing.order_page", order_id=order.id))
    if page.unavailable:
        return render_template("billing/pay.html", order=order, unavailable=True), 503
    return render_template(
        "billing/pay.html", order=order, client_secret=page.client_secret, resume_secret=page.resume_secret
    )


@bp.post("/orders/<int:order_id>/setup")
@login_required
@setup_intent_limit
def renew_setup(order_id):
    """A fresh SetupIntent for the next card, after a decline or a failed authentication."""
    order = own_order(order_id)
    if order.status not in PAYABLE or payments.payment_refusal(order):
        return jsonify(status=order.status, redirect=url_for("billing.order_page", order_id=order.id)), 409
    client_secret = payments.next_card(db.session, current_gateway(), order)
    if client_secret is None:
        return jsonify(error=payments.UNAVAILABLE, retry=True), 502
    return jsonify(client_secret=client_secret)


@bp.post("/orders/<int:order_id>/pay")
@login_required
@limiter.limit("20 per hour", key_func=signed_in_user)
def submit_payment(order_id):
    """Charge the card that Stripe.js set up; the answer tells the page what to do next."""
    order = own_order(order_id)
    order_url = url_for("billing.order_page", order_id=order.id)
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than any card form sends
        body = None
    payment_method = body.get("payment_method") if isinstance(body, dict) else None
    attempt = payments.submit_payment(db.session, current_gateway(), order, payment_method, datetime.now(UTC))
    match attempt.kind:
        case payments.AttemptKind.INVALID | payments.AttemptKind.REJECTED:
            return jsonify(error=attempt.message), 400
        case payments.AttemptKind.REFUSED:
            return jsonify(error=attempt.message), 409
        case payments.AttemptKind.NOT_PAYABLE:
            return jsonify(status=order.status, redirect=order_url), 409
        case payments.AttemptKind.UNAVAILABLE:
            return jsonify(error=attempt.message, retry=True), 502
        case payments.AttemptKind.DECLINED:
            return jsonify(status=attempt.kind, error=attempt.message), 402
        case payments.AttemptKind.REQUIRES_ACTION:
            return jsonify(status=attempt.kind, client_secret=attempt.client_secret)
        case _:
            return jsonify(status=attempt.status, redirect=order_url)


def _order_state(order):
    return payments.order_state(
        db.session, current_gateway(), order, _fulfilment_settings(), datetime.now(UTC)
    )
