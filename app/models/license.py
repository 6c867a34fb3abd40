"""Licenses and the certificates issued for them."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class LicenseKind(StrEnum):
    TRIAL = "trial"
    PAID = "paid"


class LicenseStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"  # never stored: derived from the time by License.status_at


KINDS = tuple(LicenseKind)


class License(db.Model):
    __tablename__ = "licenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    # Stored: active or revoked. "expired" is derived from the time (see status_at).
    status: Mapped[str] = mapped_column(String(10), default=LicenseStatus.ACTIVE)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    trial_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trial_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    support_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    upgrades_frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    trial_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trial_ended_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    owner = relationship("User", lazy="joined")
    certificates = relationship(
        "Certificate",
        back_populates="license",
        order_by="Certificate.serial.desc()",
    )
    # The certificate no later one supersedes: the current one, loaded alone for lists of licenses.
    latest_certificate = relationship(
        "Certificate",
        primaryjoin="and_(Certificate.license_id == License.id, Certificate.superseded_by_id.is_(None))",
        viewonly=True,
        uselist=False,
    )

    def status_at(self, now):
        if self.status == LicenseStatus.REVOKED:
            return LicenseStatus.REVOKED
        if self.kind == LicenseKind.TRIAL and self.trial_expires_at and self.trial_expires_at <= now:
            return LicenseStatus.EXPIRED
        return LicenseStatus.ACTIVE

    def trial_days_left(self, now):
        if self.kind != LicenseKind.TRIAL or not self.trial_expires_at:
            return None
        seconds = (self.trial_expires_at - now).total_seconds()
        return max(0, -int(-seconds // 86400))  # whole days, rounded up

    @property
    def current_certificate(self):
        return self.certificates[0] if self.certificates else None

    def __repr__(self):
        return f"<License {self.code} {self.kind} {self.accounts}>"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("license_id", "serial", name="uq_certificates_license_serial"),
        # A payment or a refund of an order changes the license once: one certificate each.
        UniqueConstraint("order_id", "reason", name="uq_certificates_order_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id"), index=True)
    serial: Mapped[int] = mapped_column(Integer)
    # The order whose payment or refund caused this certificate: at most one per event.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    reason: Mapped[str] = mapped_column(String(30))
    key_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    accounts: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))

    license = relationship("License", back_populates="certificates")
    superseded_by = relationship("Certificate", remote_side=[id])

    @property
    def filename(self):
        return f"{self.license.code}-{self.serial}.lic"

    def attachment(self):
        """The certificate as an email attachment: the same file the customer downloads."""
        return {"filename": self.filename, "content_type": "text/plain", "content": self.text}

    def __repr__(self):
        return f"<Certificate {self.license_id}#{self.serial}>"
