"""Portal users: customers and staff."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

ROLES = ("customer", "support", "admin")
STAFF_ROLES = ("support", "admin")


def normalize_email(email):
    return (email or "").strip().lower()


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="customer")
    company: Mapped[str | None] = mapped_column(String(200))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The second factor: a TOTP secret (set up once confirmed by a code), the last time step
    # used (a code works once) and the hashes of the unused recovery codes, one per line.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    recovery_code_hashes: Mapped[str | None] = mapped_column(Text)
    # When the user first had a staff role; kept after a demotion, so that the audit log can
    # still be filtered by what a former agent did.
    staff_since: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @validates("role")
    def _note_staff(self, key, role):
        if role in STAFF_ROLES and self.staff_since is None:
            self.staff_since = utcnow()
        return role

    def get_id(self):
        # The signed-in session's key lets logout and "Sign out everywhere" end it on the server.
        return f"{self.id}:{self.session_token}:{getattr(self, 'sign_in_key', '')}"

    def end_all_sessions(self):
        """Every browser signed in as this user is signed out at its next request."""
        self.session_token = secrets.token_hex(16)

    @property
    def has_two_factor(self):
        return self.totp_confirmed_at is not None

    @property
    def needs_two_factor_setup(self):
        return self.is_staff and not self.has_two_factor

    @property
    def is_active(self):
        return self.disabled_at is None

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None

    @property
    def is_staff(self):
        return self.role in STAFF_ROLES

    @property
    def is_admin(self):
        return self.role == "admin"

    def __repr__(self):
        return f"<User {self.id} {self.role}>"
