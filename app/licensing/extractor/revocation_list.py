"""The revocation list: the portal's signed list of revoked licenses (docs/certificate-format.md, §12)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .certificate_format import (
    REVOCATIONS_LABEL,
    REVOCATIONS_PREFIX,
    Claims,
    InvalidClaim,
    SignedDocument,
    canonical_json,
    choice_claim,
    exact_members,
    format_timestamp,
    integer_claim,
    member_names,
    text_claim,
    time_claim,
    verified_document,
)


@dataclass(frozen=True)
class RevocationEntry:
    """One license in the revocation list: revoked, or with older certificates no longer valid."""

    license_code: str
    status: str
    min_serial: int

    @classmethod
    def from_dict(cls, data) -> RevocationEntry:
        data = exact_members(data, member_names(cls), "licenses[].")
        return cls(
            license_code=text_claim(data["license_code"], "licenses[].license_code"),
            status=choice_claim(data["status"], "licenses[].status", ("active", "revoked")),
            min_serial=integer_claim(data["min_serial"], "licenses[].min_serial", 1),
        )


@dataclass(frozen=True)
class RevocationList(SignedDocument):
    """The portal's signed list of revoked licenses and of the lowest serial still valid per license."""

    sequence: int
    issued_at: datetime
    licenses: tuple[RevocationEntry, ...]

    @classmethod
    def from_dict(cls, data) -> RevocationList:
        data = exact_members(data, member_names(cls))
        if not isinstance(data["licenses"], list):
            raise InvalidClaim("claim 'licenses' must be a list")
        entries = tuple(RevocationEntry.from_dict(entry) for entry in data["licenses"])
        codes = [entry.license_code for entry in entries]
        if len(set(codes)) != len(codes):
            raise InvalidClaim("claim 'licenses' lists a license twice")
        return cls(
            **cls.read_signer(data),
            sequence=integer_claim(data["sequence"], "sequence", 0),
            issued_at=time_claim(data["issued_at"], "issued_at"),
            licenses=entries,
        )

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "key_id": self.key_id,
            "sequence": self.sequence,
            "issued_at": format_timestamp(self.issued_at),
            "licenses": [asdict(entry) for entry in self.licenses],
        }

    def refusal(self, claims: Claims) -> str | None:
        """Why `claims` must not be used any more (revoked, or superseded), or None."""
        for entry in self.licenses:
            if entry.license_code != claims.license_code:
                continue
            if entry.status == "revoked":
                return f"revoked: license {claims.license_code} is revoked (revocation list {self.sequence})"
            if claims.serial < entry.min_serial:
                return (
                    f"superseded: certificate serial {claims.serial} of {claims.license_code} is below "
                    f"the lowest valid serial {entry.min_serial}; install the current certificate"
                )
        return None


def encode_revocations(revocations: RevocationList) -> bytes:
    return canonical_json(revocations.to_dict())


def verify_revocations(text: str | bytes, public_keys: dict[str, Ed25519PublicKey]) -> RevocationList:
    """Verify an armored revocation list; raise CertificateError if refused."""
    document = verified_document(text, REVOCATIONS_LABEL, REVOCATIONS_PREFIX, public_keys)
    return RevocationList.from_dict(document)
