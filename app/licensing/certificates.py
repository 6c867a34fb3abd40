"""Issuing License Certificates: claims in, signed armored text out.

Encoding, armor and verification are the extractor's certificate format, so what the
portal signs is exactly what a control panel checks.
"""

from datetime import UTC, datetime

from app.licensing.extractor.certificate_format import (
    FORMAT_VERSION,
    BadSignature,
    CertificateError,
    Claims,
    Customer,
    InvalidClaim,
    MalformedCertificate,
    MissingClaim,
    PolicyThresholds,
    UnknownFormat,
    UnknownKey,
    armor,
    encode_claims,
    format_timestamp,
    signing_input,
    verify_certificate,
)

__all__ = [
    "BadSignature",
    "CertificateError",
    "Claims",
    "Customer",
    "InvalidClaim",
    "MalformedCertificate",
    "MissingClaim",
    "PolicyThresholds",
    "UnknownFormat",
    "UnknownKey",
    "build_claims",
    "issue_certificate",
    "verify_certificate",
]


def _utc_text(moment: datetime | None) -> str | None:
    """A claim time; naive datetimes (as SQLite returns them) are taken to be UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_timestamp(moment)


def build_claims(  # noqa: PLR0913 (one keyword per signed claim)
    *,
    license_code: str,
    serial: int,
    customer_id: int,
    customer_email: str,
    customer_company: str | None,
    kind: str,
    accounts: int,
    issued_at: datetime,
    status: str = "active",
    expires_at: datetime | None = None,
    support_until: datetime | None = None,
    supersedes: int | None = None,
    grace_percent: int,
    pack_size: int,
) -> dict:
    """The claims of one certificate as a JSON-ready dict; format and key_id are set on issue."""
    return {
        "license_code": license_code,
        "serial": serial,
        "customer": {"id": customer_id, "email": customer_email, "company": customer_company or None},
        "kind": kind,
        "status": status,
        "accounts": accounts,
        "issued_at": _utc_text(issued_at),
        "expires_at": _utc_text(expires_at),
        "support_until": _utc_text(support_until),
        "supersedes": supersedes,
        "policy": {"grace_percent": grace_percent, "pack_size": pack_size},
    }


def issue_certificate(claims: dict, keyring) -> str:
    """Sign `claims` with the key ring's current key and return the armored certificate.

    `format` and `key_id` are filled in; if present they must match. Invalid claims raise
    CertificateError (a ValueError) naming the claim, so nothing unverifiable is ever issued.
    """
    expected = {"format": FORMAT_VERSION, "key_id": keyring.signing_key_id}
    for name, value in expected.items():
        if claims.get(name, value) != value:
            raise InvalidClaim(f"claim '{name}' is {claims[name]!r} but the signing key needs {value!r}")
    payload = encode_claims(Claims.from_dict({**claims, **expected}))
    return armor(payload + keyring.sign(signing_input(payload)))
