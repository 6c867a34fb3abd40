"""LicenseExtractor: verify a License Certificate and show what it licenses.

This single file is the reference implementation of the certificate format
(docs/certificate-format.md) and of the accounts policy. It needs only the
standard library and ``cryptography``, so it can be copied to a control-panel
server on its own:

    python extractor.py license.txt --keys license-keys.json --accounts 260

Exit codes: 0 valid, 1 invalid or tampered, 2 unreadable input or bad usage,
3 valid signature but the trial has expired, 4 serial older than --min-serial.
A revoked license exits 0: the certificate is authentic and must be installed,
because it supersedes the active one; its accounts verdict is BLOCKED.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import enum
import hashlib
import json
import re
import sys
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT_VERSION = 1
SIGNING_PREFIX = b"LICENSE-PORTAL-CERTIFICATE-V1\x00"
ARMOR_BEGIN = "-----BEGIN LICENSE CERTIFICATE-----"
ARMOR_END = "-----END LICENSE CERTIFICATE-----"
LINE_LENGTH = 64
SIGNATURE_LENGTH = 64
KEY_ALGORITHM = "Ed25519"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE, EXIT_EXPIRED, EXIT_OLDER_SERIAL = 0, 1, 2, 3, 4

# timezone.utc and (str, Enum) rather than their 3.11 spellings: the extractor runs on CP servers
# whose Python may be older than the portal's.
UTC = timezone.utc  # noqa: UP017
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/=]*")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


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


class KeySetError(ValueError):
    """A public key file or key set cannot be used."""


# -- times --------------------------------------------------------------------------------------


def format_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("certificate times must be timezone-aware")
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"not a UTC timestamp like 2025-01-31T09:30:00Z: {text!r}")
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


# -- claims -------------------------------------------------------------------------------------


def _fields(data, names: tuple[str, ...], where: str = "") -> dict:
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


def _integer(value, name: str, minimum: int) -> int:
    if type(value) is not int or value < minimum:
        raise InvalidClaim(f"claim '{name}' must be an integer of at least {minimum}")
    return value


def _text(value, name: str, *, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value:
        raise InvalidClaim(f"claim '{name}' must be a non-empty string{' or null' if nullable else ''}")
    return value


def _choice(value, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidClaim(f"claim '{name}' must be one of {', '.join(choices)}")
    return value


def _moment(value, name: str, *, nullable: bool = False) -> datetime | None:
    if value is None and nullable:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise InvalidClaim(f"claim '{name}' must be a UTC time like 2025-01-31T09:30:00Z") from None


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def _format_version(value) -> int:
    if type(value) is not int or value != FORMAT_VERSION:
        raise UnknownFormat(
            f"unknown certificate format version {value!r} (this verifier reads {FORMAT_VERSION})"
        )
    return value


def _json_value(value):
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value.to_dict() if hasattr(value, "to_dict") else value


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    company: str | None

    @classmethod
    def from_dict(cls, data) -> Customer:
        data = _fields(data, ("id", "email", "company"), "customer.")
        return cls(
            id=_integer(data["id"], "customer.id", 1),
            email=_text(data["email"], "customer.email"),
            company=_text(data["company"], "customer.company", nullable=True),
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PolicyThresholds:
    grace_percent: int
    pack_size: int

    @classmethod
    def from_dict(cls, data) -> PolicyThresholds:
        data = _fields(data, ("grace_percent", "pack_size"), "policy.")
        return cls(
            grace_percent=_integer(data["grace_percent"], "policy.grace_percent", 0),
            pack_size=_integer(data["pack_size"], "policy.pack_size", 1),
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Claims:
    """What a certificate states about one license, as signed by the portal."""

    format: int
    key_id: str
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
        data = _fields(data, CLAIM_NAMES)
        claims = cls(
            format=_format_version(data["format"]),
            key_id=_text(data["key_id"], "key_id"),
            license_code=_text(data["license_code"], "license_code"),
            serial=_integer(data["serial"], "serial", 1),
            customer=Customer.from_dict(data["customer"]),
            kind=_choice(data["kind"], "kind", ("trial", "paid")),
            status=_choice(data["status"], "status", ("active", "revoked")),
            accounts=_integer(data["accounts"], "accounts", 0),
            issued_at=_moment(data["issued_at"], "issued_at"),
            expires_at=_moment(data["expires_at"], "expires_at", nullable=True),
            support_until=_moment(data["support_until"], "support_until", nullable=True),
            supersedes=None if data["supersedes"] is None else _integer(data["supersedes"], "supersedes", 1),
            policy=PolicyThresholds.from_dict(data["policy"]),
        )
        claims._check_consistency()
        return claims

    def _check_consistency(self) -> None:
        if (self.kind == "trial") != (self.expires_at is not None):
            raise InvalidClaim("claim 'expires_at' must be set for a trial and null for a paid license")
        if self.supersedes is not None and self.supersedes >= self.serial:
            raise InvalidClaim("claim 'supersedes' must be lower than 'serial'")

    def to_dict(self) -> dict:
        """The claims as JSON values, times as UTC strings."""
        return {name: _json_value(getattr(self, name)) for name in CLAIM_NAMES}

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


CLAIM_NAMES = tuple(field.name for field in fields(Claims))


# -- encoding, armor, signature -----------------------------------------------------------------


def encode_claims(claims: Claims) -> bytes:
    """The canonical claims document: sorted keys, no whitespace, UTF-8."""
    text = json.dumps(claims.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def signing_input(payload: bytes) -> bytes:
    return SIGNING_PREFIX + payload


def armor(body: bytes) -> str:
    encoded = base64.b64encode(body).decode("ascii")
    lines = [encoded[i : i + LINE_LENGTH] for i in range(0, len(encoded), LINE_LENGTH)]
    return "\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + "\n"


def _armor_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise MalformedCertificate("no certificate found: the text is empty")
    if lines[0] != ARMOR_BEGIN:
        if ARMOR_BEGIN in lines:
            raise MalformedCertificate(f"unexpected text before the '{ARMOR_BEGIN}' line")
        raise MalformedCertificate(f"no '{ARMOR_BEGIN}' line found")
    if lines[-1] != ARMOR_END:
        if ARMOR_END in lines:
            raise MalformedCertificate(f"unexpected text after the '{ARMOR_END}' line")
        raise MalformedCertificate(f"no '{ARMOR_END}' line found")
    body = lines[1:-1]
    if ARMOR_BEGIN in body or ARMOR_END in body:
        raise MalformedCertificate("the text holds more than one certificate; paste exactly one")
    return body


def _check_body_line(number: int, line: str) -> None:
    if not line:
        raise MalformedCertificate(f"line {number} of the certificate body is blank")
    if len(line) > LINE_LENGTH:
        raise MalformedCertificate(f"line {number} of the certificate body is longer than {LINE_LENGTH}")
    if not _BASE64_LINE.fullmatch(line):
        bad = next(char for char in line if not _BASE64_LINE.fullmatch(char))
        raise MalformedCertificate(f"line {number} of the certificate body has a non-base64 {bad!r}")


def dearmor(text: str | bytes) -> bytes:
    """The bytes inside the armor; CRLF, indentation and surrounding blank lines are tolerated."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedCertificate("certificate text is not UTF-8") from None
    body = _armor_lines(text.lstrip("\ufeff"))  # editors on Windows may start a file with a BOM
    if not body:
        raise MalformedCertificate("certificate body is empty")
    for number, line in enumerate(body, start=1):
        _check_body_line(number, line)
    encoded = "".join(body)
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise MalformedCertificate("certificate body is not valid base64") from None
    if base64.b64encode(data).decode("ascii") != encoded:
        raise MalformedCertificate("certificate body is not canonical base64")
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
    _format_version(document["format"])
    if "key_id" not in document:
        raise MissingClaim("key_id")
    key_id = document["key_id"]
    if not isinstance(key_id, str) or key_id not in public_keys:
        known = ", ".join(sorted(public_keys)) or "none"
        raise UnknownKey(f"certificate was signed with unknown key {key_id!r} (known keys: {known})")
    return public_keys[key_id]


def verify_certificate(text: str | bytes, public_keys: dict[str, Ed25519PublicKey]) -> Claims:
    """Verify an armored certificate against key id -> public key; raise CertificateError if refused."""
    body = dearmor(text)
    if len(body) <= SIGNATURE_LENGTH:
        raise MalformedCertificate("certificate body is too short to hold claims and a signature")
    payload, signature = body[:-SIGNATURE_LENGTH], body[-SIGNATURE_LENGTH:]
    document = _parse_document(payload)
    key = _signing_key(document, public_keys)
    try:
        key.verify(signature, signing_input(payload))
    except InvalidSignature:
        raise BadSignature(
            "certificate signature does not match its contents: tampered or corrupted"
        ) from None
    return Claims.from_dict(document)


# -- public keys --------------------------------------------------------------------------------


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """The key id: the first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(_raw_public(public_key)).hexdigest()[:16]


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_record(public_key: Ed25519PublicKey) -> dict:
    """One entry of the published key set."""
    raw = base64.b64encode(_raw_public(public_key)).decode("ascii")
    return {"kid": key_id_for(public_key), "alg": KEY_ALGORITHM, "public_key": raw}


def _key_from_record(record) -> Ed25519PublicKey:
    if not isinstance(record, dict) or record.get("alg") != KEY_ALGORITHM:
        raise KeySetError(f"each key must be an object with alg {KEY_ALGORITHM!r}")
    try:
        raw = base64.b64decode(record.get("public_key", ""), validate=True)
        key = Ed25519PublicKey.from_public_bytes(raw)
    except (TypeError, ValueError):
        raise KeySetError(f"key {record.get('kid')!r} is not a base64 raw Ed25519 public key") from None
    if record.get("kid") != key_id_for(key):
        raise KeySetError(f"key id {record.get('kid')!r} does not match its public key")
    return key


def key_set_from_records(records) -> dict[str, Ed25519PublicKey]:
    """Key id -> public key from the published key set ({"keys": [...]} or the bare list)."""
    if isinstance(records, dict):
        records = records.get("keys")
    if not isinstance(records, list) or not records:
        raise KeySetError('the key set must be {"keys": [...]} with at least one key')
    keys = {}
    for record in records:
        key = _key_from_record(record)
        keys[key_id_for(key)] = key
    return keys


def load_public_key_pem(data: bytes) -> dict[str, Ed25519PublicKey]:
    """Key id -> public key from a PEM (SubjectPublicKeyInfo) Ed25519 public key."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise KeySetError("it holds no readable PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeySetError("its PEM public key is not an Ed25519 key")
    return {key_id_for(key): key}


def load_key_set_json(data: bytes) -> dict[str, Ed25519PublicKey]:
    try:
        records = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise KeySetError("it is not a JSON key set") from None
    return key_set_from_records(records)


def load_public_keys(path: str | Path) -> dict[str, Ed25519PublicKey]:
    """Public keys from a PEM file or a published JSON key set; raise OSError or KeySetError."""
    data = Path(path).read_bytes()
    return load_public_key_pem(data) if data.lstrip().startswith(b"-----BEGIN") else load_key_set_json(data)


# -- accounts policy ----------------------------------------------------------------------------


class Verdict(str, enum.Enum):  # noqa: UP042
    OK = "OK"
    GRACE = "GRACE"
    BLOCKED = "BLOCKED"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PolicyResult:
    verdict: Verdict
    percent_over: Decimal | None  # truncated to 2 places; None when nothing is licensed but C > 0
    packs_needed: int
    reason: str

    def to_dict(self) -> dict:
        percent = None if self.percent_over is None else float(self.percent_over)
        return {
            "verdict": self.verdict.value,
            "percent_over": percent,
            "packs_needed": self.packs_needed,
            "reason": self.reason,
        }


def packs_needed(licensed: int, created: int, pack_size: int) -> int:
    """Packs to buy so that the licensed accounts cover the created ones."""
    over = created - licensed
    return -(-over // pack_size) if over > 0 else 0


def _percent_over(licensed: int, created: int) -> Decimal | None:
    if created <= licensed:
        return Decimal("0.00")
    if licensed == 0:
        return None
    # Truncated, not rounded, so a GRACE result never displays as the threshold itself.
    hundredths = 10000 * (created - licensed) // licensed
    return Decimal(f"{hundredths // 100}.{hundredths % 100:02d}")


def accounts_policy(
    licensed: int,
    created: int,
    *,
    pack_size: int,
    grace_percent: int,
    expired: bool = False,
    revoked: bool = False,
) -> PolicyResult:
    """The verdict for C created accounts against L licensed ones, in exact integer arithmetic."""
    if licensed < 0 or created < 0 or pack_size < 1 or grace_percent < 0:
        raise ValueError("accounts and thresholds must not be negative; pack_size must be at least 1")
    percent = _percent_over(licensed, created)
    packs = packs_needed(licensed, created, pack_size)
    if revoked:
        return PolicyResult(Verdict.BLOCKED, percent, packs, "the license is revoked")
    if expired:
        return PolicyResult(Verdict.BLOCKED, percent, packs, "the trial has expired")
    if created <= licensed:
        return PolicyResult(Verdict.OK, percent, packs, "within the licensed accounts")
    if 100 * (created - licensed) < grace_percent * licensed:
        return PolicyResult(Verdict.GRACE, percent, packs, f"over by less than {grace_percent}%")
    return PolicyResult(Verdict.BLOCKED, percent, packs, f"over by {grace_percent}% or more")


# -- command line -------------------------------------------------------------------------------


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(message)


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


_non_negative.__name__ = "non-negative integer"


def _moment_argument(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_moment_argument.__name__ = "ISO 8601 time"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(description="Verify a License Certificate and print the license it holds.")
    parser.add_argument("certificate", nargs="?", default="-", help="certificate file; '-' or none: stdin")
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--public-key", metavar="FILE", help="Ed25519 public key in PEM")
    keys.add_argument("--keys", metavar="FILE", help="key set JSON published at /.well-known/license-keys")
    parser.add_argument("--out", metavar="FILE", help="write the license info to FILE instead of stdout")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--accounts", type=_non_negative, metavar="N", help="accounts created in the CP")
    parser.add_argument("--min-serial", type=_non_negative, metavar="S", help="serial already installed")
    parser.add_argument("--now", type=_moment_argument, metavar="ISO", help="check expiry at this time")
    return parser


def _line(label: str, value) -> str:
    return f"{label:<20}{value}"


def _policy_lines(claims: Claims, created: int, result: PolicyResult) -> list[str]:
    over = "no accounts are licensed" if result.percent_over is None else f"{result.percent_over}%"
    return [
        _line("Created accounts", created),
        _line("Over the license", over),
        _line("Packs needed", f"{result.packs_needed} (of {claims.policy.pack_size} accounts each)"),
        _line("Verdict", f"{result.verdict.value}: {result.reason}"),
    ]


def render_text(claims: Claims, now: datetime, created: int | None = None) -> str:
    expired = claims.is_expired(now)
    customer = f"#{claims.customer.id} {claims.customer.email}"
    if claims.customer.company:
        customer += f", {claims.customer.company}"
    status = "REVOKED: the control panel must block this license" if claims.revoked else claims.status
    expires = _stamp(claims.expires_at) or "never"
    supersedes = f" (supersedes {claims.supersedes})" if claims.supersedes else ""
    thresholds = claims.policy
    lines = [
        _line("Certificate", "EXPIRED" if expired else "valid") + f" (signed with key {claims.key_id})",
        _line("License code", claims.license_code),
        _line("Serial", f"{claims.serial}{supersedes}"),
        _line("Customer", customer),
        _line("Kind", claims.kind),
        _line("Status", status),
        _line("Licensed accounts", claims.accounts),
        _line("Issued at", _stamp(claims.issued_at)),
        _line("Expires at", expires + (" (EXPIRED)" if expired else "")),
        _line("Support until", _stamp(claims.support_until) or "not included"),
        _line("Policy", f"grace under {thresholds.grace_percent}% over; packs of {thresholds.pack_size}"),
    ]
    if created is not None:
        lines += _policy_lines(claims, created, claims.apply_accounts_policy(created, now))
    return "\n".join(lines) + "\n"


def render_json(claims: Claims, now: datetime, created: int | None = None) -> str:
    report = {"signature": "valid", "expired": claims.is_expired(now), "revoked": claims.revoked}
    report["claims"] = claims.to_dict()
    if created is not None:
        report["accounts_policy"] = {
            "created_accounts": created,
            "licensed_accounts": claims.accounts,
            **claims.apply_accounts_policy(created, now).to_dict(),
        }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _fail(code: int, message: str) -> int:
    print(" ".join(str(message).split()), file=sys.stderr)
    return code


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _read_certificate(source: str) -> bytes:
    return sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()


def _emit(report: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(report)
    else:
        Path(out).write_text(report, encoding="utf-8")


def _run(args: argparse.Namespace) -> int:
    key_file = args.public_key or args.keys
    load = load_public_key_pem if args.public_key else load_key_set_json
    try:
        public_keys = load(Path(key_file).read_bytes())
    except (OSError, KeySetError) as exc:
        return _fail(EXIT_UNREADABLE, f"error: cannot use key file {key_file}: {_reason(exc)}")
    try:
        text = _read_certificate(args.certificate)
    except OSError as exc:
        return _fail(EXIT_UNREADABLE, f"error: cannot read {args.certificate}: {_reason(exc)}")
    try:
        claims = verify_certificate(text, public_keys)
    except CertificateError as exc:
        return _fail(EXIT_INVALID, f"invalid certificate: {exc}")
    now = args.now or datetime.now(UTC)
    render = render_json if args.format == "json" else render_text
    try:
        _emit(render(claims, now, args.accounts), args.out)
    except OSError as exc:
        return _fail(EXIT_UNREADABLE, f"error: cannot write {args.out}: {_reason(exc)}")
    if args.min_serial is not None and claims.serial < args.min_serial:
        return _fail(
            EXIT_OLDER_SERIAL,
            f"refused: certificate serial {claims.serial} is older than installed serial {args.min_serial}",
        )
    if claims.is_expired(now):
        return _fail(EXIT_EXPIRED, f"expired: the trial license expired at {_stamp(claims.expires_at)}")
    return EXIT_VALID


def main(argv: list[str] | None = None) -> int:
    """Run the LicenseExtractor; return the exit code (see the module docstring)."""
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        return _fail(EXIT_UNREADABLE, f"usage error: {exc} (see --help)")
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_VALID
    try:
        return _run(args)
    except KeyboardInterrupt:
        return _fail(130, "interrupted")
    except Exception as exc:  # a verifier must fail closed with one line, never a traceback
        return _fail(EXIT_INVALID, f"error: unexpected {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
