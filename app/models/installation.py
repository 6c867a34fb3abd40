"""Control-panel servers holding a license, and the usage they report."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Installation(db.Model):
    """One control-panel server that activated a license.

    An active installation holds one of the license's numbered slots (1 to
    MAX_INSTALLATIONS); the unique (license, slot) constraint is what keeps a
    license on at most that many servers, however many activate at once. A
    released installation gives its slot back (NULL never collides).
    """

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("license_id", "slot", name="uq_installations_license_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id"), index=True)
    slot: Mapped[int | None] = mapped_column(Integer)
    install_id: Mapped[str] = mapped_column(String(64))
    hostname: Mapped[str] = mapped_column(String(255))
    # SHA-256 of the bearer token, hex; the token itself is shown to the server once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by: Mapped[str | None] = mapped_column(String(20))
    # The verdict of the latest check-in: a change to GRACE or BLOCKED emails the customer once.
    verdict: Mapped[str | None] = mapped_column(String(10))
    created_accounts: Mapped[int | None] = mapped_column(Integer)

    license = relationship("License")

    @property
    def active(self):
        return self.released_at is None

    def __repr__(self):
        return f"<Installation {self.install_id} of license {self.license_id}>"


class UsageReport(db.Model):
    """What one check-in reported: created accounts against the licensed ones at that moment."""

    __tablename__ = "usage_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id"), index=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_accounts: Mapped[int] = mapped_column(Integer)
    licensed_accounts: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(10))
