"""Signing in and out with a session row on the server, so that ending it works everywhere."""

from datetime import timedelta

from flask import request, session
from flask_limiter.util import get_remote_address
from flask_login import login_user, logout_user
from sqlalchemy import select, update

from app.extensions import db
from app.models import SignInSession, User
from app.models.base import utcnow
from app.models.sign_in import end_sessions

# How often "last seen" is written: a page view need not write a row each time.
LAST_SEEN_EVERY = timedelta(minutes=1)


def sign_in(user, remember=False):
    """Start a session for ``user`` in this browser; the caller commits."""
    row = SignInSession(
        user_id=user.id,
        device=(request.user_agent.string or "unknown device")[:200],
        address=(get_remote_address() or "")[:64],
    )
    db.session.add(row)
    db.session.flush()
    user.sign_in_key = row.key
    login_user(user, remember=remember)


def sign_out(user):
    """End this browser's session (and its remember cookie); the caller commits."""
    key = getattr(user, "sign_in_key", None)
    if key:
        db.session.execute(
            update(SignInSession)
            .where(SignInSession.key == key, SignInSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
    logout_user()
    session.clear()


def end_every_session(user):
    """Sign ``user`` out in every browser; the caller commits."""
    end_sessions(db.session, user, now=utcnow())


def end_session(user, session_id):
    """End one of ``user``'s open sessions; None if they have no such open session. The caller commits."""
    row = db.session.scalar(
        select(SignInSession).where(
            SignInSession.id == session_id,
            SignInSession.user_id == user.id,
            SignInSession.ended_at.is_(None),
        )
    )
    if row is not None:
        row.ended_at = utcnow()
    return row


def open_sessions(user):
    return db.session.scalars(
        select(SignInSession)
        .where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
        .order_by(SignInSession.last_seen_at.desc())
    ).all()


def load_signed_in_user(user_id):
    """The user of a session cookie or remember cookie, while its session is open on the server."""
    ident, token, key = (user_id.split(":") + ["", ""])[:3]
    if not ident.isdigit() or len(ident) > 18 or not key:
        return None
    found = db.session.execute(
        select(User, SignInSession.ended_at, SignInSession.last_seen_at)
        .join(SignInSession, SignInSession.user_id == User.id)
        .where(User.id == int(ident), SignInSession.key == key)
    ).first()
    if found is None:
        return None
    user, ended_at, last_seen_at = found
    if user.session_token != token or not user.is_active or ended_at is not None:
        return None
    user.sign_in_key = key
    now = utcnow()
    if now - last_seen_at > LAST_SEEN_EVERY:
        db.session.execute(update(SignInSession).where(SignInSession.key == key).values(last_seen_at=now))
        db.session.commit()
    return user
