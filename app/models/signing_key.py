"""The keys that sign License Certificates, shared by every host through the database."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class SigningKey(db.Model):
    """One Ed25519 key: published from `created_at`, signing from `signs_from` (never when None)."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the raw 32 bytes
    # AES-GCM under LICENSE_KEY_SECRET; None for a key whose private part is not here.
    private_key_sealed: Mapped[str | None] = mapped_column(Text)
    # The signature of the key that signed before, over this key (a control panel that pinned it follows).
    endorsed_by: Mapped[str | None] = mapped_column(String(16))
    endorsement: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signs_from: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self):
        return f"<SigningKey {self.kid} signs from {self.signs_from}>"
