"""The customer's pages: the licenses, their certificates and the account."""

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.api.installations import release
from app.api.usage import license_usage
from app.auth.forms import ResendConfirmationForm
from app.billing.orders import orders_awaiting_payment
from app.billing.payments import payment_to_finish
from app.extensions import db
from app.licensing.issuing import license_policy, licenses_of
from app.models import Installation
from app.trials.service import trial_standing
from app.web.lookups import certificate_response, license_certificate, own_license
from app.web.services import current_keyring, current_terms

bp = Blueprint("portal", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    return render_template("portal/landing.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it at the root whatever the page links to."""
    return current_app.send_static_file("img/favicon.ico")


@bp.route("/licenses")
@login_required
def home():
    now = datetime.now(UTC)
    licenses = licenses_of(db.session, current_user)
    open_orders = orders_awaiting_payment(db.session, current_user, now)
    return render_template(
        "portal/home.html",
        licenses=licenses,
        standing=None if current_user.is_staff else trial_standing(db.session, current_user, licenses),
        open_orders=open_orders,
        to_finish={order.id for order in open_orders if payment_to_finish(order, now)},
        now=now,
        # The form (and its CSRF token) only for the banner an unconfirmed customer sees.
        resend_form=None if current_user.is_confirmed else ResendConfirmationForm(),
    )


@bp.route("/licenses/<code>")
@login_required
def license_page(code):
    license = own_license(code)
    now = datetime.now(UTC)
    created, check, error = request.args.get("created"), None, None
    if created is not None:
        created = created.strip().replace(",", "")
        if created.isascii() and created.isdigit() and len(created) <= 9:
            check = license_policy(license, int(created), now, current_terms())
        else:
            error = "Enter the number of accounts created in your control panel, e.g. 120."
    return render_template(
        "portal/license.html",
        license=license,
        now=now,
        created=created,
        check=check,
        check_error=error,
        usage=license_usage(
            db.session,
            license,
            now,
            terms=current_terms(),
            stale_days=current_app.config["CHECKIN_STALE_DAYS"],
        ),
        stale_days=current_app.config["CHECKIN_STALE_DAYS"],
    )


@bp.post("/licenses/<code>/installations/<int:installation_id>/release")
@login_required
def release_server(code, installation_id):
    license = own_license(code)
    installation = db.get_or_404(Installation, installation_id)
    if installation.license_id != license.id:
        abort(404)
    if release(db.session, installation, now=datetime.now(UTC), by="customer"):
        db.session.commit()
        flash(
            f"{installation.hostname} is released: the license can now be activated on another server.",
            "success",
        )
    else:
        flash(f"{installation.hostname} was already released: nothing was changed.", "info")
    return redirect(url_for("portal.license_page", code=license.code) + "#servers")


@bp.route("/licenses/<code>/certificates/<int:serial>.lic")
@login_required
def download_certificate(code, serial):
    license = own_license(code)
    return certificate_response(license_certificate(license, serial))


@bp.route("/.well-known/license-keys")
def license_keys():
    response = jsonify({"keys": current_keyring().published()})
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/account")
@login_required
def account():
    return render_template("portal/account.html", resend_form=ResendConfirmationForm())
