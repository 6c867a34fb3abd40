"""Signed-in sessions kept on the server, so that signing out really ends them."""

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, update
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


def new_session_key():
    return secrets.token_urlsafe(24)


class SignInSession(db.Model):
    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_key)
    device: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    def __repr__(self):
        return f"<SignInSession {self.id} user={self.user_id}>"


def end_sessions(session, user, *, now):
    """Sign ``user`` out in every browser, at its next request; the caller commits."""
    user.end_all_sessions()
    session.execute(
        update(SignInSession)
        .where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
        .values(ended_at=now)
    )
