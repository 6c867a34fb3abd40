"""Admins only: the staff list, invitations, roles, and disabling accounts."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.tokens import reset_state, reset_tokens
from app.extensions import db
from app.models import User
from app.models.user import STAFF_ROLES
from app.security import admin_required, safe_next
from app.support.forms import DisableForm, EnableForm, InviteStaffForm, ResetTwoFactorForm, RoleForm
from app.support.staff import change_role, disable_user, enable_user, invite_staff, reset_two_factor
from app.support.views import bp, console_action, now


def set_password_link(user):
    """The password-reset link (same token service and page), which a new staff member uses first."""
    tokens = reset_tokens(current_app.config)
    return url_for("auth.reset_password", token=tokens.make(user.id, reset_state(user)), _external=True)


def get_user(user_id):
    return db.get_or_404(User, user_id)


def back_to_staff():
    return redirect(safe_next(request.form.get("next"), url_for("support.staff")))


def render_staff(invite_form=None, status=200):
    members = db.session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES)).order_by(User.role, User.email)
    ).all()
    return render_template(
        "support/staff.html",
        members=members,
        invite_form=invite_form or InviteStaffForm(),
        # formdata=None: after a failed invitation, the posted role belongs to the invitation.
        role_forms={member.id: RoleForm(formdata=None, role=member.role) for member in members},
    ), status


@bp.route("/staff")
@admin_required
def staff():
    return render_staff()


@bp.route("/staff/invite", methods=["POST"])
@admin_required
def invite():
    form = InviteStaffForm()
    if not form.validate_on_submit():
        return render_staff(form, status=400)

    def refused(error):
        form.email.errors.append(error.message)
        return render_staff(form, status=400)

    return console_action(
        lambda: invite_staff(
            db.session,
            current_user,
            email=form.email.data,
            role=form.role.data,
            now=now(),
            set_password_link=set_password_link,
        ),
        lambda user: f"Invitation sent to {user.email}: the link in it lets them choose a password.",
        back=redirect(url_for("support.staff")),
        refused=refused,
    )


def apply_staff_change(change, user, done, **arguments):
    """Make ``change`` to ``user`` as the current admin, or roll it back and show why it was refused.

    ``done`` is the message of success, formatted with the user as it is afterwards.
    """
    return console_action(
        lambda: change(db.session, current_user, user, **arguments),
        lambda _: done.format(user=user),
        back=back_to_staff(),
    )


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def set_role(user_id):
    user = get_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the roles in the list.", "error")
        return back_to_staff()
    return apply_staff_change(change_role, user, "{user.email} is now {user.role}.", role=form.role.data)


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@admin_required
def disable(user_id):
    user = get_user(user_id)
    if not DisableForm().validate_on_submit():
        return back_to_staff()
    return apply_staff_change(
        disable_user, user, "{user.email} is disabled and can no longer log in.", now=now()
    )


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@admin_required
def enable(user_id):
    user = get_user(user_id)
    if not EnableForm().validate_on_submit():
        return back_to_staff()
    return apply_staff_change(enable_user, user, "{user.email} can log in again.")


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@admin_required
def reset_two_factor_of(user_id):
    user = get_user(user_id)
    if not ResetTwoFactorForm().validate_on_submit():
        return back_to_staff()
    return apply_staff_change(
        reset_two_factor,
        user,
        "{user.email} sets up two-factor authentication again at next sign-in.",
        now=now(),
    )
