"""Notes on a customer, Resend confirmation and Send password reset."""

from flask import current_app, redirect, url_for
from flask_login import current_user

from app.auth.tokens import confirmation_state, confirmation_tokens, reset_state, reset_tokens
from app.extensions import db
from app.support.customer_care import add_note, resend_confirmation, send_password_reset
from app.support.forms import NoteForm, SimpleActionForm
from app.support.views import bp, console_action
from app.support.views.customers import get_customer


def _back(user):
    return redirect(url_for("support.customer", user_id=user.id))


@bp.route("/customers/<int:user_id>/notes", methods=["POST"])
def add_customer_note(user_id):
    user = get_customer(user_id)
    form = NoteForm()
    body = form.body.data if form.validate_on_submit() else ""
    if form.errors.get("csrf_token"):
        return _back(user)
    return console_action(
        lambda: add_note(db.session, current_user, user, body),
        lambda note: "Note saved.",
        back=redirect(url_for("support.customer", user_id=user.id) + "#notes"),
    )


@bp.route("/customers/<int:user_id>/resend-confirmation", methods=["POST"])
def resend_customer_confirmation(user_id):
    user = get_customer(user_id)
    if not SimpleActionForm().validate_on_submit():
        return _back(user)

    def act():
        token = confirmation_tokens(current_app.config).make(user.id, confirmation_state(user))
        link = url_for("auth.confirm", token=token, _external=True)
        return resend_confirmation(db.session, current_user, user, link)

    return console_action(act, lambda u: f"A new confirmation link was sent to {u.email}.", back=_back(user))


@bp.route("/customers/<int:user_id>/send-reset", methods=["POST"])
def send_customer_reset(user_id):
    user = get_customer(user_id)
    if not SimpleActionForm().validate_on_submit():
        return _back(user)

    def act():
        token = reset_tokens(current_app.config).make(user.id, reset_state(user))
        link = url_for("auth.reset_password", token=token, _external=True)
        return send_password_reset(db.session, current_user, user, link)

    return console_action(act, lambda u: f"A password reset link was sent to {u.email}.", back=_back(user))
