"""Register, confirm, log in and out, reset and change the password."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from sqlalchemy import select

from app import outbox, queue
from app.auth import lockout
from app.auth.emails import EMAILS_PER_ADDRESS_PER_HOUR, emails_sent_recently
from app.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)
from app.auth.passwords import current_passwords
from app.auth.sessions import end_every_session, sign_in, sign_out
from app.auth.tokens import TokenInvalid, confirmation_state, confirmation_tokens, reset_state, reset_tokens
from app.extensions import db, limiter
from app.models import User
from app.models.base import utcnow
from app.models.user import normalize_email
from app.outbox import Email
from app.security import client_and_email, safe_next, signed_in_user

bp = Blueprint("auth", __name__)

ALREADY_REGISTERED = "Someone tried to register with your address"

# Per client and account: guessing one password, or flooding one inbox.
ACCOUNT_LIMIT = "10 per minute; 50 per hour"
EMAIL_LIMIT = "5 per minute; 20 per hour"
# Per client, whatever the account: spraying many accounts, or mass registration.
CLIENT_LIMIT = "30 per minute; 300 per hour"
# Failed logins for one account from all addresses together: app/auth/lockout.py.


def _confirm_tokens():
    return confirmation_tokens(current_app.config)


def _reset_tokens():
    return reset_tokens(current_app.config)


def user_by_email(email):
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def queue_confirmation(user):
    token = _confirm_tokens().make(user.id, confirmation_state(user))
    link = url_for("auth.confirm", token=token, _external=True)
    outbox.add(db.session, Email(user.email, "Confirm your email address", "confirm", {"link": link}))


def _post_limits(account_limit=None, key_func=client_and_email):
    """Limits on submitting a form: per account (when given) and per client."""

    def decorate(view):
        view = limiter.limit(CLIENT_LIMIT, methods=["POST"])(view)
        if account_limit:
            view = limiter.limit(account_limit, methods=["POST"], key_func=key_func)(view)
        return view

    return decorate


@bp.route("/register", methods=["GET", "POST"])
@_post_limits()
def register():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        existing = user_by_email(form.email.data)
        if existing is not None:
            current_passwords().pretend_check(form.password.data)  # as long as hashing a new password takes
        if existing is not None and (
            emails_sent_recently(db.session, existing.email, ALREADY_REGISTERED, utcnow())
            < EMAILS_PER_ADDRESS_PER_HOUR
        ):
            # The owner learns of the attempt by email; the page says the same as for a new address.
            links = {
                "login": url_for("auth.login", _external=True),
                "reset": url_for("auth.forgot_password", _external=True),
            }
            outbox.add(db.session, Email(existing.email, ALREADY_REGISTERED, "already_registered", links))
        elif existing is None:
            user = User(
                email=normalize_email(form.email.data), company=(form.company.data or "").strip() or None
            )
            current_passwords().set(user, form.password.data)
            db.session.add(user)
            db.session.flush()
            queue_confirmation(user)
        db.session.commit()
        return render_template("auth/check_email.html", email=normalize_email(form.email.data))
    return render_template("auth/register.html", form=form)


def _user_for(tokens, token, state_of):
    """The user a link was made for, or the message saying why the link can't be used."""
    try:
        user_id, fingerprint = tokens.load(token)
    except TokenInvalid as exc:
        return None, str(exc)
    user = db.session.get(User, user_id)
    if user is None or not tokens.matches(fingerprint, state_of(user)):
        return None, "This link has already been used or is no longer valid."
    return user, None


def _confirmed_already(token):
    """Whether a confirmation link, used or not, was made for an address that is now confirmed."""
    try:
        user_id, _ = _confirm_tokens().load(token)
    except TokenInvalid:
        return False
    user = db.session.get(User, user_id)
    return user is not None and user.is_confirmed


@bp.route("/confirm/<token>")
def confirm(token):
    user, problem = _user_for(_confirm_tokens(), token, confirmation_state)
    if user is None and _confirmed_already(token):
        flash("Your email address is already confirmed.", "info")
        return redirect(url_for("portal.home" if current_user.is_authenticated else "auth.login"))
    if user is None:
        flash(f"{problem} Log in to ask for a new confirmation link.", "error")
        return redirect(url_for("portal.home" if current_user.is_authenticated else "auth.login"))
    user.confirmed_at = utcnow()
    db.session.commit()
    flash("Thank you, your email address is confirmed.", "success")
    return redirect(url_for("portal.home" if current_user.is_authenticated else "auth.login"))


@bp.route("/confirm/resend", methods=["POST"])
@login_required
@limiter.limit(EMAIL_LIMIT, key_func=signed_in_user)
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        if current_user.is_confirmed:
            flash("Your email address is already confirmed.", "info")
        else:
            queue_confirmation(current_user)
            db.session.commit()
            flash(f"We sent a new confirmation link to {current_user.email}.", "success")
    return redirect(url_for("portal.home"))


@bp.route("/login", methods=["GET", "POST"])
@_post_limits(ACCOUNT_LIMIT)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if lockout.needs_emailed_link(form.email.data, get_remote_address()):
            form.password.errors.append(lockout.MESSAGE)
            return render_template("auth/login.html", form=form), 429
        user = user_by_email(form.email.data)
        password, passwords = form.password.data, current_passwords()
        valid = passwords.check(user, password) if user else passwords.pretend_check(password)
        if not valid:
            lockout.record_failure(form.email.data, get_remote_address())
            form.password.errors.append("The email or password is not correct.")
        elif not user.is_active:
            form.email.errors.append(
                "This account is disabled. Contact support if you think this is a mistake."
            )
        elif user.has_two_factor or user.needs_two_factor_setup:
            from app.auth.second_factor import begin_second_step

            db.session.commit()  # the password's new hash, if it was hashed again
            return begin_second_step(user, form.remember.data, form.next.data)
        else:
            sign_in(user, remember=form.remember.data)
            db.session.commit()
            fallback = url_for("support.index" if user.is_staff else "portal.home")
            return redirect(safe_next(form.next.data, fallback))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        sign_out(current_user._get_current_object())
        db.session.commit()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@_post_limits(EMAIL_LIMIT)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Known and unknown addresses alike: the worker looks the address up after this answer.
        queue.enqueue_reset_link(current_app, normalize_email(form.email.data))
        return render_template("auth/check_email.html", email=normalize_email(form.email.data), reset=True)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@_post_limits()
def reset_password(token):
    user, problem = _user_for(_reset_tokens(), token, reset_state)
    if user is None:
        flash(f"{problem} Ask for a new password reset link.", "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        current_passwords().set(user, form.password.data)
        if user.confirmed_at is None:
            user.confirmed_at = utcnow()  # the link proved the address
        end_every_session(user)
        db.session.commit()
        lockout.clear_failures(user.email)
        sign_out(user)
        flash("Your password has been changed. Log in with the new one.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@_post_limits(ACCOUNT_LIMIT, key_func=signed_in_user)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not current_passwords().check(user, form.current.data):
            form.current.errors.append("Your current password is not correct.")
        else:
            current_passwords().set(user, form.password.data)
            end_every_session(user)
            sign_in(user)  # this browser stays signed in, with a new session
            db.session.commit()
            flash("Your password has been changed.", "success")
            return redirect(url_for("portal.account"))
    return render_template("auth/change_password.html", form=form)
