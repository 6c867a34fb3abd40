"""The customer's pages."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.auth.forms import ResendConfirmationForm

bp = Blueprint("portal", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    return render_template("portal/landing.html")


@bp.route("/licenses")
@login_required
def home():
    return render_template("portal/home.html", resend_form=ResendConfirmationForm())


@bp.route("/account")
@login_required
def account():
    return render_template("portal/account.html", resend_form=ResendConfirmationForm())
