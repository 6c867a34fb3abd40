"""The second step of signing in, setting up two-factor authentication and Account → Security."""

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.auth import two_factor
from app.auth.devices import device_name
from app.auth.forms import (
    AuthenticationCodeForm,
    SignOutEverywhereForm,
    TurnOffTwoFactorForm,
    TwoFactorSetupForm,
)
from app.auth.sessions import end_every_session, end_session, open_sessions, sign_in, sign_out
from app.auth.views import bp
from app.extensions import db, limiter
from app.forms import FlaskForm
from app.models import User
from app.models.base import utcnow
from app.security import safe_next

PENDING = "pending_sign_in"
# Codes are guessed like passwords: per account, wherever the guesses come from.
CODE_LIMIT = "5 per minute; 30 per hour"


def begin_second_step(user, remember, next_page):
    """The password was right: remember who is signing in until the second factor is given."""
    session[PENDING] = [user.id, user.session_token, bool(remember), next_page or ""]
    if user.has_two_factor:
        return redirect(url_for("auth.login_code"))
    return redirect(url_for("auth.two_factor_setup"))


def pending_user():
    """The user who gave the right password in this browser, while that still holds."""
    pending = session.get(PENDING)
    if not isinstance(pending, list) or len(pending) != 4:
        return None
    user = db.session.get(User, pending[0])
    if user is None or user.session_token != pending[1] or not user.is_active:
        return None
    return user


def _pending_key():
    pending = session.get(PENDING)
    return f"code:{pending[0]}" if isinstance(pending, list) and pending else "code:none"


def _signed_in_key():
    return f"code:{current_user.id}" if current_user.is_authenticated else _pending_key()


def _finish_sign_in(user):
    _, _, remember, next_page = session.pop(PENDING)
    sign_in(user, remember=remember)
    db.session.commit()
    return safe_next(next_page, url_for("support.index" if user.is_staff else "portal.home"))


def check_code(user, code):
    """Accept a TOTP code once, or use up a recovery code; False when neither."""
    step = two_factor.matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return True
    left = two_factor.use_recovery_code(user.recovery_code_hashes, code)
    if left is not None:
        user.recovery_code_hashes = left
        return True
    return False


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"], key_func=_pending_key)
def login_code():
    user = pending_user()
    if user is None or not user.has_two_factor:
        return redirect(url_for("auth.login"))
    form = AuthenticationCodeForm()
    if form.validate_on_submit():
        if check_code(user, form.code.data):
            return redirect(_finish_sign_in(user))
        db.session.rollback()
        form.code.errors.append("This code is not correct. Enter the current code, or a recovery code.")
    return render_template("auth/login_code.html", form=form)


@bp.route("/login/two-factor/setup", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"], key_func=_signed_in_key)
def two_factor_setup():
    """Set up by a staff member at first sign-in, or by anyone from Account → Security."""
    user = current_user._get_current_object() if current_user.is_authenticated else pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if user.has_two_factor:
        return redirect(url_for("auth.security"))
    if not user.totp_secret:
        user.totp_secret = two_factor.new_secret()
        db.session.commit()
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        step = two_factor.matching_step(user.totp_secret, form.code.data)
        if step is not None:
            codes, hashes = two_factor.new_recovery_codes()
            user.totp_confirmed_at, user.totp_last_step, user.recovery_code_hashes = utcnow(), step, hashes
            next_page = (
                _finish_sign_in(user) if not current_user.is_authenticated else url_for("auth.security")
            )
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, next_page=next_page)
        form.code.errors.append(
            "This code is not correct. Check the time on your phone and try the new code."
        )
    uri = two_factor.provisioning_uri(user.totp_secret, user.email)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        secret=user.totp_secret,
        qr=two_factor.qr_svg(uri),
        forced=not current_user.is_authenticated,
    )


@bp.post("/account/security/recovery-codes.txt")
def download_recovery_codes():
    """The recovery codes just shown, as a text file: the page posts them back, as none are kept.

    Only codes that are the user's unused ones are written out, so the file never holds anything else.
    """
    user = current_user._get_current_object() if current_user.is_authenticated else pending_user()
    if user is None or not FlaskForm().validate_on_submit():  # the CSRF token
        abort(404)
    codes = request.form.getlist("code")[: two_factor.RECOVERY_CODES]
    if not codes or not all(two_factor.is_recovery_code(user.recovery_code_hashes, code) for code in codes):
        abort(404)
    text = (
        f"Recovery codes for {user.email}. Each one signs you in once, instead of a code from your phone.\n\n"
        + "\n".join(codes)
        + "\n"
    )
    return Response(
        text,
        mimetype="text/plain",
        headers={
            "Content-Disposition": 'attachment; filename="recovery-codes.txt"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/account/security")
@login_required
def security():
    sessions = open_sessions(current_user)
    return render_template(
        "auth/security.html",
        sessions=sessions,
        devices={row.id: device_name(row.device) for row in sessions},
        current_key=getattr(current_user, "sign_in_key", None),
        sign_out_form=SignOutEverywhereForm(),
        turn_off_form=TurnOffTwoFactorForm(),
        recovery_left=len((current_user.recovery_code_hashes or "").split()),
    )


@bp.route("/account/security/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    if SignOutEverywhereForm().validate_on_submit():
        user = current_user._get_current_object()
        end_every_session(user)
        sign_out(user)
        db.session.commit()
        flash("You are signed out everywhere, in this browser too.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/security/sessions/<int:session_id>/sign-out", methods=["POST"])
@login_required
def sign_out_session(session_id):
    """End one of the user's sessions: another browser at its next request, or this one now."""
    user = current_user._get_current_object()
    if not FlaskForm().validate_on_submit():  # the CSRF token
        return redirect(url_for("auth.security"))
    ended = end_session(user, session_id)
    if ended is None:
        abort(404)
    if ended.key == getattr(user, "sign_in_key", None):
        sign_out(user)
        db.session.commit()
        flash("You are signed out.", "info")
        return redirect(url_for("auth.login"))
    db.session.commit()
    flash(f"{device_name(ended.device)} is signed out.", "success")
    return redirect(url_for("auth.security"))


@bp.route("/account/security/two-factor/off", methods=["POST"])
@login_required
@limiter.limit(CODE_LIMIT, key_func=_signed_in_key)
def turn_off_two_factor():
    if current_user.is_staff:
        abort(404)  # staff always sign in with a second factor
    form = TurnOffTwoFactorForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and user.has_two_factor and check_code(user, form.code.data):
        user.totp_secret = user.totp_confirmed_at = user.totp_last_step = user.recovery_code_hashes = None
        db.session.commit()
        flash("Two-factor authentication is off.", "info")
    else:
        db.session.rollback()
        flash("That code is not correct: two-factor authentication is still on.", "error")
    return redirect(url_for("auth.security"))
