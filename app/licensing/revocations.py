"""The revocation list: which licenses are revoked, and the lowest serial still valid per license.

A certificate takes rights away when it is revoked, or when it licenses fewer
accounts than an earlier certificate of its license (a refund, a lost dispute).
Every certificate below the latest such one is no longer valid: a control
panel that still holds one must block, even if it never saw the newer one.
Derived from the certificates themselves, so it needs no table of its own.
"""

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from app.licensing.extractor.certificate_format import (
    FORMAT_VERSION,
    REVOCATIONS_LABEL,
    REVOCATIONS_PREFIX,
    armor,
)
from app.licensing.extractor.revocation_list import RevocationEntry, RevocationList, encode_revocations
from app.models import Certificate, License


def _restricting_serials():
    """(license id, highest serial of a certificate that took rights away), per license."""
    earlier = aliased(Certificate)
    lowered = exists().where(
        earlier.license_id == Certificate.license_id,
        earlier.serial < Certificate.serial,
        earlier.accounts > Certificate.accounts,
    )
    return (
        select(Certificate.license_id, func.max(Certificate.serial).label("min_serial"))
        .where(or_(Certificate.status == "revoked", lowered))
        .group_by(Certificate.license_id)
    )


def min_serial(session, license):
    """The lowest serial of `license` a control panel may still use (1 when none was taken back)."""
    restricting = _restricting_serials().where(Certificate.license_id == license.id).subquery()
    return session.scalar(select(restricting.c.min_serial)) or 1


def revocation_entries(session):
    """Every revoked license, and every license whose older certificates are no longer valid."""
    restricting = _restricting_serials().subquery()
    rows = session.execute(
        select(License.code, License.status, restricting.c.min_serial)
        .join(restricting, restricting.c.license_id == License.id)
        .order_by(License.code)
    ).all()
    return [
        RevocationEntry(license_code=code, status=status, min_serial=serial) for code, status, serial in rows
    ]


def revocation_sequence(session):
    """Grows whenever the list may have changed: the newest certificate's id (certificates only grow)."""
    return session.scalar(select(func.max(Certificate.id))) or 0


def issue_revocation_list(entries, keyring, *, sequence, now):
    """The signed, armored revocation list (docs/certificate-format.md, section 12)."""
    revocations = RevocationList(
        format=FORMAT_VERSION,
        key_id=keyring.signing_key_id,
        sequence=sequence,
        issued_at=now.replace(microsecond=0),
        licenses=tuple(entries),
    )
    payload = encode_revocations(revocations)
    return armor(payload + keyring.sign(REVOCATIONS_PREFIX + payload), REVOCATIONS_LABEL)
