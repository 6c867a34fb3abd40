"""Ordering accounts, paying for them by card, and the order pages (PRODUCT.md section 4)."""

import logging
import re
from datetime import UTC, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
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
from app.billing.customers import new_setup_intent, stripe_customer
from app.billing.forms import OrderForm
from app.billing.fulfilment import (
    FulfilmentSettings,
    commit_exactly_once,
    order_certificate,
    settle_with_stripe,
)
from app.billing.gateway import DECLINED, GatewayError
from app.billing.orders import (
    PAYABLE,
    accounts_after,
    fail_order,
    orders_of,
    payment_refusal,
    place_order,
    record_payment,
    start_payment_attempt,
)
from app.billing.pricing import PricingError, parse_accounts, quote
from app.extensions import db, limiter
from app.models import Order
from app.portal.lookups import own_license
from app.security import confirmed_required, signed_in_user
from app.services import current_gateway, current_keyring

log = logging.getLogger(__name__)

bp = Blueprint("billing", __name__)
bp.register_blueprint(webhooks.bp)

# Stripe's webhook usually arrives within a second or two; after this the order page asks Stripe itself.
WEBHOOK_GRACE = timedelta(seconds=5)
OPEN_ORDERS_SHOWN_FOR = timedelta(days=7)
PAYMENT_METHOD_ID = re.compile(r"pm_[A-Za-z0-9_]{1,200}")
IN_FLIGHT = ("succeeded", "processing")
UNAVAILABLE = (
    "We could not reach the payment provider. Nothing was charged twice: please try again in a moment."
)


def get_order(order_id):
    """The current customer's order; anyone else's is not found."""
    order = db.session.get(Order, order_id)
    if order is None or order.user_id != current_user.id:
        abort(404)
    return order


def _quote(accounts):
    cfg = current_app.config
    return quote(
        accounts, unit_cents=cfg["ACCOUNT_PRICE_CENTS"], pack_size=cfg["PACK_SIZE"], currency=cfg["CURRENCY"]
    )


def _order_form():
    cfg = current_app.config
    return OrderForm(pack_size=cfg["PACK_SIZE"], max_accounts=cfg["MAX_ACCOUNTS_PER_ORDER"])


def _fulfilment_settings():
    return FulfilmentSettings.from_config(current_app.config, current_keyring())


@bp.app_template_global()
def orders_awaiting_payment():
    """The current customer's recent orders that still wait for a payment (for My licenses)."""
    if not current_user.is_authenticated:
        return []
    since = datetime.now(UTC) - OPEN_ORDERS_SHOWN_FOR
    return orders_of(db.session, current_user, statuses=PAYABLE, since=since, limit=5)


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
    if license.status == "revoked" or license.upgrades_frozen:
        flash(
            "This license is revoked: it cannot be upgraded."
            if license.status == "revoked"
            else "Upgrades of this license are frozen while a payment dispute is open.",
            "warning",
        )
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
    cfg = current_app.config
    try:
        accounts = parse_accounts(
            request.args.get("accounts"),
            pack_size=cfg["PACK_SIZE"],
            max_accounts=cfg["MAX_ACCOUNTS_PER_ORDER"],
        )
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
    order = get_order(order_id)
    _catch_up_with_stripe(order)
    return render_template(
        "billing/order.html",
        order=order,
        certificate=order_certificate(db.session, order),
        waiting=_waiting(order),
        refusal=payment_refusal(order) if order.status in PAYABLE else None,
    )


@bp.get("/orders/<int:order_id>/status")
@login_required
def order_status(order_id):
    """Polled by the order page while it waits for the payment to be confirmed."""
    order = get_order(order_id)
    _catch_up_with_stripe(order)
    return jsonify(status=order.status, waiting=_waiting(order))


# Each pay page and each "try another card" creates a Stripe SetupIntent: a customer gets so many an hour.
setup_intent_limit = limiter.shared_limit("30 per hour", scope="setup-intent", key_func=signed_in_user)


@bp.get("/orders/<int:order_id>/pay")
@login_required
@setup_intent_limit
def pay(order_id):
    order = get_order(order_id)
    if order.status not in PAYABLE:
        return redirect(url_for("billing.order_page", order_id=order.id))
    if refusal := payment_refusal(order):
        flash(refusal, "warning")
        return redirect(url_for("billing.order_page", order_id=order.id))
    resume_secret = None
    latest = _latest_payment(order)
    if latest is not None and latest.status in IN_FLIGHT:
        return redirect(url_for("billing.order_page", order_id=order.id))
    if latest is not None and latest.status == "requires_action":
        resume_secret = latest.client_secret
    try:
        setup = new_setup_intent(db.session, current_gateway(), order)
    except GatewayError as error:
        log.warning("no SetupIntent for order %s: %s", order.id, error.message)
        return render_template("billing/pay.html", order=order, unavailable=True), 503
    db.session.commit()
    return render_template(
        "billing/pay.html", order=order, client_secret=setup.client_secret, resume_secret=resume_secret
    )


@bp.post("/orders/<int:order_id>/setup")
@login_required
@setup_intent_limit
def renew_setup(order_id):
    """A fresh SetupIntent for the next card, after a decline or a failed authentication."""
    order = get_order(order_id)
    if order.status not in PAYABLE or payment_refusal(order):
        return jsonify(status=order.status, redirect=url_for("billing.order_page", order_id=order.id)), 409
    try:
        setup = new_setup_intent(db.session, current_gateway(), order)
    except GatewayError as error:
        log.warning("no SetupIntent for order %s: %s", order.id, error.message)
        return jsonify(error=UNAVAILABLE, retry=True), 502
    db.session.commit()
    return jsonify(client_secret=setup.client_secret)


@bp.post("/orders/<int:order_id>/pay")
@login_required
@limiter.limit("20 per hour", key_func=signed_in_user)
def submit_payment(order_id):
    """Charge the card that Stripe.js set up: one PaymentIntent per order and card, whatever the clicks."""
    order = get_order(order_id)
    order_url = url_for("billing.order_page", order_id=order.id)
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than any card form sends
        body = None
    payment_method = body.get("payment_method") if isinstance(body, dict) else None
    if not isinstance(payment_method, str) or not PAYMENT_METHOD_ID.fullmatch(payment_method):
        return jsonify(error="Enter your card details again."), 400
    if refusal := payment_refusal(order):
        return jsonify(error=refusal), 409
    if order.status not in PAYABLE or _payment_in_flight(order):
        return jsonify(status=order.status, redirect=order_url), 409
    if not start_payment_attempt(db.session, order, datetime.now(UTC)):
        return jsonify(status=order.status, redirect=order_url), 409
    # On record before Stripe is asked: the order page then knows to look for the payment.
    db.session.commit()
    gateway = current_gateway()
    try:
        payment = gateway.create_payment(
            order_id=order.id,
            amount_cents=order.amount_cents,
            currency=order.currency,
            customer_id=stripe_customer(db.session, gateway, order.user),
            payment_method_id=payment_method,
            # The same card on the same order gets Stripe's first answer again, never a second charge.
            idempotency_key=f"order-{order.id}-{payment_method}",
        )
    except GatewayError as error:
        log.warning("payment of order %s not made: %s", order.id, error.message)
        if error.retryable:
            return jsonify(error=UNAVAILABLE, retry=True), 502
        return jsonify(error=error.message), 400
    record_payment(order, payment)
    if payment.status in (DECLINED, "requires_payment_method", "canceled"):
        message = payment.decline_message or "Your card was declined."
        fail_order(db.session, order, message)
        db.session.commit()
        return jsonify(status="declined", error=message), 402
    db.session.commit()
    if payment.status == "requires_action":
        return jsonify(status="requires_action", client_secret=payment.client_secret)
    return jsonify(status=payment.status, redirect=order_url)


def _waiting(order):
    return order.status == "pending" and order.payment_attempted_at is not None


def _catch_up_with_stripe(order):
    """Fulfil (or fail) a pending order from Stripe's own record when its webhook is late."""
    now = datetime.now(UTC)
    attempted = order.payment_attempted_at
    if order.status != "pending" or not order.stripe_payment_intent_id or attempted is None:
        return
    if now - attempted < WEBHOOK_GRACE:
        return
    payment = _latest_payment(order)
    if payment is None:
        return
    settings = _fulfilment_settings()
    commit_exactly_once(db.session, lambda: settle_with_stripe(db.session, order, payment, settings, now))


def _latest_payment(order):
    """The order's latest PaymentIntent as Stripe has it now; None if there is none or Stripe is away."""
    if not order.stripe_payment_intent_id:
        return None
    try:
        return current_gateway().retrieve_payment(order.stripe_payment_intent_id)
    except GatewayError as error:
        log.warning("payment of order %s not retrieved: %s", order.id, error.message)
        return None


def _payment_in_flight(order):
    """An earlier attempt that succeeded or is still processing: a new card would charge twice."""
    if order.status != "pending":
        return False
    latest = _latest_payment(order)
    return latest is not None and latest.status in IN_FLIGHT
