"""The customer's trial request pages."""

from datetime import UTC, datetime

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.extensions import db, limiter
from app.security import confirmed_required, signed_in_user
from app.trials.forms import TrialRequestForm, WithdrawTrialForm
from app.trials.service import (
    CUSTOMER_MESSAGES,
    TrialError,
    request_trial,
    trial_standing,
    withdraw_request,
)
from app.web.lookups import own_trial_request

bp = Blueprint("trials", __name__)

REQUEST_LIMIT = "5 per minute; 20 per day"


@bp.route("/trial", methods=["GET", "POST"])
@login_required
@confirmed_required
@limiter.limit(REQUEST_LIMIT, methods=["POST"], key_func=signed_in_user)
def request_page():
    if current_user.is_staff:
        flash(CUSTOMER_MESSAGES["staff"], "info")
        return redirect(url_for("support.index"))
    standing = trial_standing(db.session, current_user)
    form = TrialRequestForm(company=current_user.company)
    if standing.eligible and form.validate_on_submit():
        try:
            request_trial(
                db.session,
                current_user,
                company=form.company.data,
                hostname=form.hostname.data,
                expected_accounts=form.expected_accounts.data,
                note=form.note.data,
                now=datetime.now(UTC),
                support_email=current_app.config["SUPPORT_EMAIL"],
            )
        except TrialError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("trials.request_page"))
        db.session.commit()
        flash(
            "Thank you: your trial request is sent. We will email you when support has looked at it.",
            "success",
        )
        return redirect(url_for("portal.home"))
    return render_template(
        "trials/request.html",
        form=form,
        standing=standing,
        message=None if standing.eligible else CUSTOMER_MESSAGES[standing.reason],
        withdraw_form=WithdrawTrialForm(),
    )


@bp.route("/trial/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw(request_id):
    trial_request = own_trial_request(request_id)
    if WithdrawTrialForm().validate_on_submit():
        try:
            withdraw_request(db.session, current_user, trial_request, datetime.now(UTC))
        except TrialError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash("Your trial request is withdrawn. You can ask again whenever you are ready.", "info")
    return redirect(url_for("portal.home"))
