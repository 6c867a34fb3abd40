"""Ordering accounts, paying for them by card, and the order pages (README: Payments)."""

import logging
import re
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

from app.billing import webhooks
from app.billing.forms import OrderForm
from app.billing.fulfilment import FulfilmentSettings, order_certificate
from app.billing.gateway import GatewayError
from app.billing.orders import PAYABLE, accounts_after, orders_of, place_order
from app.billing.payments import (
    Paid,
    catch_up_with_stripe,
    open_payment_page,
    pay_with_card,
    payment_refusal,
    renew_card_setup,
    upgrade_refusal,
    waiting_for_confirmation,
)
from app.billing.pricing import PricingError, parse_accounts, quote
from app.extensions import db, limiter
from app.security import confirmed_required, signed_in_user
from app.web.lookups import own_license, own_order
from app.web.services import current_gateway, current_keyring, current_terms

log = logging.getLogger(__name__)

bp = Blueprint("billing", __name__)
bp.register_blueprint(webhooks.bp)

PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{1,200}")
UNAVAILABLE = (
    "We could not reach the payment provider. Nothing was charged twice: please try again in a moment."
)


def _quote(accounts):
    return quote(accounts, current_terms())


def _order_form():
    return OrderForm(terms=current_terms())


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
    if refusal := upgrade_refusal(license):
        flash(refusal, "warning")
        return redirect(url_for("portal.license_page", code=license.code))
    return _order_step(license)


def _order_step(license):
    """The amount form, then the confirmation step with the price, then the order."""
    form = _order_form()
    if request.method == "GET" and request.args.get("accounts"):
        form.accounts.data = request.args["accounts"][:20]
    if not form.validate_on_submit():
        return render_template("billing/order_form.html", form=form, license=license)
    price = _quote(form.accounts_value)
    if form.confirmed.data != "yes":
        return render_template(
            "billing/confirm.html",
            form=form,
            license=license,
            quote=price,
            accounts_after=accounts_after(license, price.accounts),
        )
    order = place_order(db.session, current_user, license, price, datetime.now(UTC))
    db.session.commit()
    return redirect(url_for("billing.pay", order_id=order.id))


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
    price_sum = get_template_attribute("billing/_price.html", "price_sum")
    return jsonify(
        ok=True,
        accounts=price.accounts,
        amount_cents=price.amount_cents,
        price=str(price_sum(price)).strip(),
        accounts_after=accounts_after(license, price.accounts),
    )


@bp.get("/orders")
@login_required
def order_history():
    return render_template("billing/orders.html", orders=orders_of(db.session, current_user))


@bp.get("/orders/<int:order_id>")
@login_required
def order_page(order_id):
    order = own_order(order_id)
    _catch_up(order)
    return render_template(
        "billing/order.html",
        order=order,
        certificate=order_certificate(db.session, order),
        waiting=waiting_for_confirmation(order),
        refusal=payment_refusal(order) if order.status in PAYABLE else None,
    )


@bp.get("/orders/<int:order_id>/status")
@login_required
def order_status(order_id):
    """Polled by the order page while it waits for the payment to be confirmed."""
    order = own_order(order_id)
    _catch_up(order)
    return jsonify(status=order.status, waiting=waiting_for_confirmation(order))


@bp.get("/orders/<int:order_id>/pay")
@login_required
def pay(order_id):
    order = own_order(order_id)
    try:
        page = open_payment_page(db.session, current_gateway(), order)
    except GatewayError as error:
        log.warning("no SetupIntent for order %s: %s", order.id, error.message)
        return render_template("billing/pay.html", order=order, unavailable=True), 503
    if page.go_to_order:
        if page.refusal:
            flash(page.refusal, "warning")
        return redirect(url_for("billing.order_page", order_id=order.id))
    db.session.commit()
    return render_template(
        "billing/pay.html", order=order, client_secret=page.client_secret, resume_secret=page.resume_secret
    )


@bp.post("/orders/<int:order_id>/setup")
@login_required
def renew_setup(order_id):
    """A fresh SetupIntent for the next card, after a decline or a failed authentication."""
    order = own_order(order_id)
    try:
        page = renew_card_setup(db.session, current_gateway(), order)
    except GatewayError as error:
        log.warning("no SetupIntent for order %s: %s", order.id, error.message)
        return jsonify(error=UNAVAILABLE, retry=True), 502
    if page.go_to_order:
        return jsonify(status=order.status, redirect=url_for("billing.order_page", order_id=order.id)), 409
    db.session.commit()
    return jsonify(client_secret=page.client_secret)


@bp.post("/orders/<int:order_id>/pay")
@login_required
@limiter.limit("20 per hour", key_func=signed_in_user)
def submit_payment(order_id):
    """Charge the card that Stripe.js set up: one PaymentIntent per order and card, whatever the clicks."""
    order = own_order(order_id)
    body = request.get_json(silent=True)
    payment_method = body.get("payment_method") if isinstance(body, dict) else None
    if not isinstance(payment_method, str) or not PAYMENT_METHOD_ID.fullmatch(payment_method):
        return jsonify(error="Enter your card details again."), 400
    result = pay_with_card(db.session, current_gateway(), order, payment_method, datetime.now(UTC))
    order_url = url_for("billing.order_page", order_id=order.id)
    match result.outcome:
        case Paid.REFUSED:
            return jsonify(error=result.message), 409
        case Paid.SETTLED:
            return jsonify(status=result.status, redirect=order_url), 409
        case Paid.UNAVAILABLE:
            return jsonify(error=UNAVAILABLE, retry=True), 502
        case Paid.REJECTED:
            return jsonify(error=result.message), 400
        case Paid.DECLINED:
            return jsonify(status="declined", error=result.message), 402
        case Paid.NEEDS_AUTHENTICATION:
            return jsonify(status="requires_action", client_secret=result.client_secret)
    return jsonify(status=result.status, redirect=order_url)


def _catch_up(order):
    settings = FulfilmentSettings(keyring=current_keyring(), terms=current_terms())
    catch_up_with_stripe(db.session, current_gateway(), order, settings, datetime.now(UTC))
