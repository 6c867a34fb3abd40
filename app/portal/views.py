"""The customer's pages: the licenses, their certificates and the account."""

from datetime import UTC, datetime

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app.auth.forms import ResendConfirmationForm
from app.extensions import db
from app.licensing.issuing import license_policy, licenses_of
from app.models import Certificate
from app.portal.lookups import certificate_response, own_license
from app.services import current_keyring

bp = Blueprint("portal", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    return render_template("portal/landing.html")


@bp.route("/licenses")
@login_required
def home():
    return render_template(
        "portal/home.html",
        licenses=licenses_of(db.session, current_user),
        now=datetime.now(UTC),
        resend_form=ResendConfirmationForm(),
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
            check = license_policy(license, int(created), now)
        else:
            error = "Enter the number of accounts created in your control panel, e.g. 120."
    return render_template(
        "portal/license.html", license=license, now=now, created=created, check=check, check_error=error
    )


@bp.route("/licenses/<code>/certificates/<int:serial>.lic")
@login_required
def download_certificate(code, serial):
    license = own_license(code)
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.license_id == license.id, Certificate.serial == serial)
    )
    if certificate is None:
        abort(404)
    return certificate_response(certificate)


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
