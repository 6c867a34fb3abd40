"""Admins manage the staff: invite by email, change a role, disable or enable an account.

Plain functions taking a session and what they need; the caller commits.
"""

from sqlalchemy import select

from app import audit, outbox
from app.exceptions import PortalError
from app.models import User
from app.models.sign_in import end_sessions
from app.models.user import ROLES, STAFF_ROLES, normalize_email
from app.outbox import Email


class StaffError(PortalError):
    pass


def invite_staff(session, actor, *, email, role, now, set_password_link):
    """Create a staff account without a password and email it a link to choose one.

    ``set_password_link(user)`` makes the link; it is the password-reset link, so it
    expires and works once like any other.
    """
    email = normalize_email(email)
    if role not in STAFF_ROLES:
        raise StaffError("Invite staff as support or admin.")
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        raise StaffError(
            f"There is already an account for {email} ({existing.role}): change its role instead."
        )
    user = User(email=email, role=role, password_hash="", created_at=now)
    session.add(user)
    session.flush()
    audit.record(actor, audit.AuditAction.STAFF_INVITE, customer=user, role=role)
    outbox.add(
        session,
        Email(
            user.email,
            "You are invited to the License Portal support console",
            "staff_invite",
            {
                "user_email": user.email,
                "user_role": user.role,
                "inviter_email": actor.email,
                "link": set_password_link(user),
            },
        ),
    )
    return user


def change_role(session, actor, user, role):
    if role not in ROLES:
        raise StaffError(f"Choose one of the roles: {', '.join(ROLES)}.")
    if user.id == actor.id:
        raise StaffError("You cannot change your own role: ask another admin.")
    if user.role == role:
        raise StaffError(f"{user.email} is already {role}.")
    previous, user.role = user.role, role
    user.end_all_sessions()  # what the user may do changed: they sign in again
    audit.record(actor, audit.AuditAction.STAFF_ROLE, customer=user, previous=previous, role=role)
    return user


def disable_user(session, actor, user, *, now):
    """The account can no longer log in; its open sessions end with their next request."""
    if user.id == actor.id:
        raise StaffError("You cannot disable your own account.")
    if user.disabled_at is not None:
        raise StaffError(f"{user.email} is already disabled.")
    user.disabled_at = now
    end_sessions(session, user, now=now)
    audit.record(actor, audit.AuditAction.STAFF_DISABLE, customer=user)
    return user


def enable_user(session, actor, user):
    if user.disabled_at is None:
        raise StaffError(f"{user.email} is not disabled.")
    user.disabled_at = None
    audit.record(actor, audit.AuditAction.STAFF_ENABLE, customer=user)
    return user


def reset_two_factor(session, actor, user, *, now):
    """Clear a staff member's second factor: they set it up again at their next sign-in."""
    if not user.totp_secret and not user.has_two_factor:
        raise StaffError(f"{user.email} has no second factor set up.")
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = user.recovery_code_hashes = None
    end_sessions(session, user, now=now)
    audit.record(actor, audit.AuditAction.STAFF_TWO_FACTOR_RESET, customer=user)
    return user
