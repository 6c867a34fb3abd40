"""The License Certificate format (docs/certificate-format.md).

Armor, canonical bytes, signing input, verification and the claims: the portal signs
with these functions and the control panel verifies with them, so both read one format.
The revocation list (revocation_list.py) is armored and signed the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .policy import PolicyResult, accounts_policy

FORMAT_VERSION = 1
SIGNING_PREFIX = b"LICENSE-PORTAL-CERTIFICATE-V1\x00"
CERTIFICATE_LABEL = "LICENSE CERTIFICATE"
ARMOR_BEGIN = "-----BEGIN LICENSE CERTIFICATE-----"
ARMOR_END = "-----END LICENSE CERTIFICATE-----"
REVOCATIONS_PREFIX = b"LICENSE-PORTAL-REVOCATIONS-V1\x00"
REVOCATIONS_LABEL = "LICENSE REVOCATIONS"
NOUNS = {CERTIFICATE_LABEL: "certificate", REVOCATIONS_LABEL: "revocation list"}
LINE_LENGTH = 64
SIGNATURE_LENGTH = 64
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]*")

# timezone.utc rather than datetime.UTC: control panels may run an older Python than the portal.
UTC = timezone.utc  # noqa: UP017


class CertificateError(ValueError):
    """A certificate was refused; the message says why, in one line."""


class MalformedCertificate(CertificateError):
    """The armor, the base64 or the claims are not as the format specifies."""


class MissingClaim(MalformedCertificate):
    def __init__(self, name: str):
        super().__init__(f"certificate is missing the '{name}' claim")
        self.claim = name


class InvalidClaim(MalformedCertificate):
    pass


class UnknownFormat(CertificateError):
    pass


class UnknownKey(CertificateError):
    pass


class BadSignature(CertificateError):
    pass


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("certificate times must be timezone-aware")
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """Exactly YYYY-MM-DDTHH:MM:SSZ in ASCII digits, and a real date and time."""
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"not a UTC timestamp like 2025-01-31T09:30:00Z: {text!r}")
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


# -- claims -------------------------------------------------------------------------------------


def exact_members(data, names: tuple[str, ...], where: str = "") -> dict:
    """Check that `data` is an object holding exactly `names`."""
    if not isinstance(data, dict):
        raise InvalidClaim(f"claim '{where.rstrip('.') or 'claims'}' must be an object")
    for name in names:
        if name not in data:
            raise MissingClaim(where + name)
    extra = sorted(set(data) - set(names))
    if extra:
        raise InvalidClaim(f"certificate has an unexpected claim '{where}{extra[0]}'")
    return data


def member_names(record_class) -> tuple[str, ...]:
    return tuple(field.name for field in fields(record_class))


def integer_claim(value, name: str, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise InvalidClaim(f"claim '{name}' must be an integer of at least {minimum}")
    return value


def text_claim(value, name: str, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidClaim(f"claim '{name}' must be a non-empty string{' or null' if nullable else ''}")
    return value


def choice_claim(value, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidClaim(f"claim '{name}' must be one of {', '.join(choices)}")
    return value


def time_claim(value, name: str, *, nullable: bool = False) -> datetime | None:
    if value is None and nullable:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise InvalidClaim(f"claim '{name}' must be a UTC time like 2025-01-31T09:30:00Z") from None


def format_claim(value) -> int:
    if type(value) is not int or value != FORMAT_VERSION:
        raise UnknownFormat(
            f"unknown certificate format version {value!r} (this verifier reads {FORMAT_VERSION})"
        )
    return value


def _json_value(value):
    if isinstance(value, datetime):
        return format_timestamp(value)
    return asdict(value) if is_dataclass(value) else value


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    company: str | None

    @classmethod
    def from_dict(cls, data) -> Customer:
        data = exact_members(data, member_names(cls), "customer.")
        return cls(
            id=integer_claim(data["id"], "customer.id", 1),
            email=text_claim(data["email"], "customer.email"),
            company=text_claim(data["company"], "customer.company", nullable=True),
        )


@dataclass(frozen=True)
class PolicyThresholds:
    grace_percent: int
    pack_size: int

    @classmethod
    def from_dict(cls, data) -> PolicyThresholds:
        data = exact_members(data, member_names(cls), "policy.")
        return cls(
            grace_percent=integer_claim(data["grace_percent"], "policy.grace_percent", 0),
            pack_size=integer_claim(data["pack_size"], "policy.pack_size", 1),
        )


@dataclass(frozen=True)
class SignedDocument:
    """What every signed document states first: its format version and the key that signed it."""

    format: int
    key_id: str

    @staticmethod
    def read_signer(data: dict) -> dict:
        return {"format": format_claim(data["format"]), "key_id": text_claim(data["key_id"], "key_id")}


@dataclass(frozen=True)
class Claims(SignedDocument):
    """What a certificate states about one license, as signed by the portal."""

    license_code: str
    serial: int
    customer: Customer
    kind: str
    status: str
    accounts: int
    issued_at: datetime
    expires_at: datetime | None
    support_until: datetime | None
    supersedes: int | None
    policy: PolicyThresholds

    @classmethod
    def from_dict(cls, data) -> Claims:
        data = exact_members(data, member_names(cls))
        supersedes = data["supersedes"]
        claims = cls(
            **cls.read_signer(data),
            license_code=text_claim(data["license_code"], "license_code"),
            serial=integer_claim(data["serial"], "serial", 1),
            customer=Customer.from_dict(data["customer"]),
            kind=choice_claim(data["kind"], "kind", ("trial", "paid")),
            status=choice_claim(data["status"], "status", ("active", "revoked")),
            accounts=integer_claim(data["accounts"], "accounts", 0),
            issued_at=time_claim(data["issued_at"], "issued_at"),
            expires_at=time_claim(data["expires_at"], "expires_at", nullable=True),
            support_until=time_claim(data["support_until"], "support_until", nullable=True),
            supersedes=None if supersedes is None else integer_claim(supersedes, "supersedes", 1),
            policy=PolicyThresholds.from_dict(data["policy"]),
        )
        if (claims.kind == "trial") != (claims.expires_at is not None):
            raise InvalidClaim("claim 'expires_at' must be set for a trial and null for a paid license")
        if claims.supersedes is not None and claims.supersedes >= claims.serial:
            raise InvalidClaim("claim 'supersedes' must be lower than 'serial'")
        return claims

    def to_dict(self) -> dict:
        """The claims as JSON values, times as UTC strings."""
        return {name: _json_value(getattr(self, name)) for name in member_names(self)}

    @property
    def revoked(self) -> bool:
        return self.status == "revoked"

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def apply_accounts_policy(self, created: int, now: datetime) -> PolicyResult:
        return accounts_policy(
            self.accounts,
            created,
            expired=self.is_expired(now),
            revoked=self.revoked,
            pack_size=self.policy.pack_size,
            grace_percent=self.policy.grace_percent,
        )


# -- encoding, armor, signature -----------------------------------------------------------------


def canonical_json(document: dict) -> bytes:
    """The canonical bytes of a signed document: sorted keys, no whitespace, UTF-8."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def encode_claims(claims: Claims) -> bytes:
    return canonical_json(claims.to_dict())


def signing_input(payload: bytes) -> bytes:
    return SIGNING_PREFIX + payload


def _armor_marks(label: str) -> tuple[str, str]:
    return f"-----BEGIN {label}-----", f"-----END {label}-----"


def armor(body: bytes, label: str = CERTIFICATE_LABEL) -> str:
    begin, end = _armor_marks(label)
    encoded = base64.b64encode(body).decode("ascii")
    lines = [encoded[i : i + LINE_LENGTH] for i in range(0, len(encoded), LINE_LENGTH)]
    return "\n".join([begin, *lines, end]) + "\n"


def _armor_lines(text: str, label: str, noun: str) -> list[str]:
    begin, end = _armor_marks(label)
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise MalformedCertificate(f"no {noun} found: the text is empty")
    if lines[0] != begin:
        if begin in lines:
            raise MalformedCertificate(f"unexpected text before the '{begin}' line")
        raise MalformedCertificate(f"no '{begin}' line found")
    if lines[-1] != end:
        if end in lines:
            raise MalformedCertificate(f"unexpected text after the '{end}' line")
        raise MalformedCertificate(f"no '{end}' line found")
    body = lines[1:-1]
    if begin in body or end in body:
        raise MalformedCertificate(f"the text holds more than one {noun}; paste exactly one")
    return body


def _check_body_line(number: int, line: str, noun: str) -> None:
    if not line:
        raise MalformedCertificate(f"line {number} of the {noun} body is blank")
    if len(line) > LINE_LENGTH:
        raise MalformedCertificate(f"line {number} of the {noun} body is longer than {LINE_LENGTH}")
    if not _BASE64_LINE.fullmatch(line):
        bad = _BASE64_LINE.sub("", line)[0]
        raise MalformedCertificate(f"line {number} of the {noun} body has a non-base64 {bad!r}")


def dearmor(text: str | bytes, label: str = CERTIFICATE_LABEL) -> bytes:
    """The bytes inside the armor; CRLF, indentation and surrounding blank lines are tolerated."""
    noun = NOUNS[label]
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedCertificate(f"{noun} text is not UTF-8") from None
    body = _armor_lines(text.lstrip("\ufeff"), label, noun)  # editors on Windows may start with a BOM
    if not body:
        raise MalformedCertificate(f"{noun} body is empty")
    for number, line in enumerate(body, start=1):
        _check_body_line(number, line, noun)
    encoded = "".join(body)
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise MalformedCertificate(f"{noun} body is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != encoded:
        raise MalformedCertificate(f"{noun} body is not canonical base64")
    return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed")


def _unique_object(pairs: list) -> dict:
    names = [name for name, _ in pairs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate claim")
    return dict(pairs)


def _parse_document(payload: bytes) -> dict:
    try:
        document = json.loads(
            payload.decode("utf-8"), object_pairs_hook=_unique_object, parse_constant=_reject_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedCertificate("certificate claims are not a valid JSON document") from None
    if not isinstance(document, dict):
        raise MalformedCertificate("certificate claims must be a JSON object")
    return document


def _signing_key(document: dict, public_keys: dict[str, Ed25519PublicKey]) -> Ed25519PublicKey:
    if "format" not in document:
        raise MissingClaim("format")
    format_claim(document["format"])
    if "key_id" not in document:
        raise MissingClaim("key_id")
    key_id = document["key_id"]
    if not isinstance(key_id, str) or key_id not in public_keys:
        known = ", ".join(sorted(public_keys)) or "none"
        raise UnknownKey(f"certificate was signed with unknown key {key_id!r} (known keys: {known})")
    return public_keys[key_id]


def verified_document(text, label: str, prefix: bytes, public_keys: dict) -> dict:
    """The signed JSON document inside armored `text`, once its signature checks out."""
    noun = NOUNS[label]
    body = dearmor(text, label)
    if len(body) <= SIGNATURE_LENGTH:
        held = "claims" if label == CERTIFICATE_LABEL else "a document"
        raise MalformedCertificate(f"{noun} body is too short to hold {held} and a signature")
    payload, signature = body[:-SIGNATURE_LENGTH], body[-SIGNATURE_LENGTH:]
    document = _parse_document(payload)
    key = _signing_key(document, public_keys)
    try:
        key.verify(signature, prefix + payload)
    except InvalidSignature:
        raise BadSignature(f"{noun} signature does not match its contents: tampered or corrupted") from None
    return document


def verify_certificate(text: str | bytes, public_keys: dict[str, Ed25519PublicKey]) -> Claims:
    """Verify an armored certificate against key id -> public key; raise CertificateError if refused."""
    return Claims.from_dict(verified_document(text, CERTIFICATE_LABEL, SIGNING_PREFIX, public_keys))
