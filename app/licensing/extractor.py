"""LicenseExtractor: verify a License Certificate and show what it licenses.

This single file is the reference implementation of the certificate format
(docs/certificate-format.md) and of the accounts policy. It needs only the
standard library and ``cryptography``, so it can be copied to a control-panel
server on its own:

    python extractor.py license.txt --keys license-keys.json --accounts 260

    python extractor.py fetch --portal URL --code CODE --hostname H --accounts N \
        --state state.json --out license.lic

Exit codes: 0 valid, 1 invalid or tampered, 2 unreadable input or bad usage,
3 valid signature but the trial has expired, 4 serial older than --min-serial,
5 revoked or superseded (by --revocations, or as the portal answered `fetch`).
A revoked certificate alone exits 0 when verified offline: it is authentic and
must be installed, because it supersedes the active one; its verdict is BLOCKED.
"""

from __future__ import annotations

import binascii
import enum
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# A control panel runs the extractor as a program at every check: what only some runs need
# (argparse for help and usage errors, urllib for `fetch`, PEM parsing, Decimal for the policy)
# is imported where it is used, so a plain verification starts about as fast as Ed25519 itself.
# base64 (it loads struct) and datetime.strptime (it loads _strptime, locale and calendar) are
# done here by hand with binascii and int(); typing is not loaded for its TYPE_CHECKING flag.
# The datetime and json modules are pure Python in front of C accelerators: importing them
# compiles the pure-Python datetime (before 3.12) and json's regular expressions, a sixth of a
# verification's time. A verification uses the C modules directly (the same classes and the
# same parser), and loads json only to write JSON or to explain a document that does not parse.
try:
    from _datetime import datetime, timezone
except ImportError:  # an interpreter without CPython's accelerator
    from datetime import datetime, timezone
try:
    from _json import make_scanner as _make_scanner
except ImportError:
    _make_scanner = None

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from decimal import Decimal
    from pathlib import Path


_JSON_WHITESPACE = " \t\n\r"


class _Parsing:
    """What json's C scanner reads from its decoder: json.loads's defaults, and the hooks given."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # json's own: NaN, Infinity and -Infinity as floats

    def __init__(self, hooks):
        for name, hook in hooks.items():
            setattr(self, name, hook)


def json_loads(text: str, **hooks):
    """``json.loads(text, **hooks)``: a document that parses is read by the C scanner alone.

    Anything else (a syntax error, a hook's refusal, no C scanner) goes to ``json.loads`` itself,
    so errors and their messages are json's own.
    """
    if _make_scanner is not None:
        start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
        try:
            value, end = _make_scanner(_Parsing(hooks))(text, start)
        except Exception:  # noqa: BLE001, S110  (json.loads below says what is wrong)
            pass
        else:
            if not text[end:].strip(_JSON_WHITESPACE):
                return value
    import json

    return json.loads(text, **hooks)


def _read_bytes(path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


FORMAT_VERSION = 1
SIGNING_PREFIX = b"LICENSE-PORTAL-CERTIFICATE-V1\x00"
CERTIFICATE_LABEL = "LICENSE CERTIFICATE"
ARMOR_BEGIN = "-----BEGIN LICENSE CERTIFICATE-----"
ARMOR_END = "-----END LICENSE CERTIFICATE-----"
REVOCATIONS_PREFIX = b"LICENSE-PORTAL-REVOCATIONS-V1\x00"
REVOCATIONS_LABEL = "LICENSE REVOCATIONS"
KEY_ENDORSEMENT_PREFIX = b"LICENSE-PORTAL-KEY-V1\x00"
_NOUNS = {CERTIFICATE_LABEL: "certificate", REVOCATIONS_LABEL: "revocation list"}
LINE_LENGTH = 64
SIGNATURE_LENGTH = 64
KEY_ALGORITHM = "Ed25519"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE, EXIT_EXPIRED, EXIT_OLDER_SERIAL, EXIT_REVOKED = 0, 1, 2, 3, 4, 5

# timezone.utc and (str, Enum) rather than their 3.11 spellings: the extractor runs on CP servers
# whose Python may be older than the portal's.
UTC = timezone.utc  # noqa: UP017
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_BASE64_LINE_CHARS = frozenset(_BASE64_ALPHABET.decode("ascii") + "=")
_DIGITS = frozenset("0123456789")
# YYYY-MM-DDTHH:MM:SSZ: where the digits are, and the fixed characters between them.
_TIMESTAMP_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18)
_TIMESTAMP_MARKS = ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "Z"))


def b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64decode(text: str | bytes) -> bytes:
    """As ``base64.b64decode(text, validate=True)``: only the alphabet, then at most two "=".

    Raises ``binascii.Error`` (a ValueError) otherwise, and ValueError for a non-ASCII str.
    """
    if isinstance(text, str):
        data = text.encode("ascii")
    elif isinstance(text, bytes):
        data = text
    else:
        raise TypeError(f"base64 text must be str or bytes, not {type(text).__name__}")
    body = data.rstrip(b"=")
    if len(data) - len(body) > 2 or body.translate(None, _BASE64_ALPHABET):
        raise binascii.Error("Non-base64 digit found")
    return binascii.a2b_base64(data)


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
    if not _is_timestamp(text):
        raise ValueError(f"not a UTC timestamp like 2025-01-31T09:30:00Z: {text!r}")
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    hour, minute, second = int(text[11:13]), int(text[14:16]), int(text[17:19])
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)  # ValueError for 2025-02-30


def _is_timestamp(text) -> bool:
    return (
        isinstance(text, str)
        and len(text) == 20
        and all(text[i] == mark for i, mark in _TIMESTAMP_MARKS)
        and all(text[i] in _DIGITS for i in _TIMESTAMP_DIGITS)
    )


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


class _Record:
    """A frozen record of the fields annotated on its class (dataclasses, without their import cost)."""

    _names: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._names = tuple(
            name for name in cls.__dict__.get("__annotations__", {}) if not name.startswith("_")
        )

    def __init__(self, *values, **named):
        if len(values) > len(self._names):
            raise TypeError(f"{type(self).__name__} takes {len(self._names)} values")
        given = {self._names[index]: value for index, value in enumerate(values)}
        for name, value in named.items():
            if name not in self._names or name in given:
                raise TypeError(f"{type(self).__name__} got an unexpected or repeated {name!r}")
            given[name] = value
        missing = [name for name in self._names if name not in given]
        if missing:
            raise TypeError(f"{type(self).__name__} is missing {', '.join(missing)}")
        for name in self._names:
            object.__setattr__(self, name, given[name])

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen: cannot assign to {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name!r}")

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._names)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._names)
        return f"{type(self).__name__}({fields})"

    def _asdict(self) -> dict:
        return {name: getattr(self, name) for name in self._names}


def _json_value(value):
    if isinstance(value, datetime):
        return format_timestamp(value)
    return value.to_dict() if hasattr(value, "to_dict") else value


class Customer(_Record):
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
        return self._asdict()


class PolicyThresholds(_Record):
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
        return self._asdict()


class Claims(_Record):
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


CLAIM_NAMES = Claims._names


# -- encoding, armor, signature -----------------------------------------------------------------


def encode_claims(claims: Claims) -> bytes:
    """The canonical claims document: sorted keys, no whitespace, UTF-8."""
    import json

    text = json.dumps(claims.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def signing_input(payload: bytes) -> bytes:
    return SIGNING_PREFIX + payload


def _armor_marks(label: str) -> tuple[str, str]:
    return f"-----BEGIN {label}-----", f"-----END {label}-----"


def armor(body: bytes, label: str = CERTIFICATE_LABEL) -> str:
    begin, end = _armor_marks(label)
    encoded = b64encode(body)
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


def _check_body_line(number: int, line: str, noun: str = "certificate") -> None:
    if not line:
        raise MalformedCertificate(f"line {number} of the {noun} body is blank")
    if len(line) > LINE_LENGTH:
        raise MalformedCertificate(f"line {number} of the {noun} body is longer than {LINE_LENGTH}")
    if not _BASE64_LINE_CHARS.issuperset(line):
        bad = next(char for char in line if char not in _BASE64_LINE_CHARS)
        raise MalformedCertificate(f"line {number} of the {noun} body has a non-base64 {bad!r}")


def dearmor(text: str | bytes, label: str = CERTIFICATE_LABEL) -> bytes:
    """The bytes inside the armor; CRLF, indentation and surrounding blank lines are tolerated."""
    noun = _NOUNS[label]
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
        data = b64decode(encoded)
    except binascii.Error:
        raise MalformedCertificate(f"{noun} body is not valid base64") from None
    if b64encode(data) != encoded:
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
        document = json_loads(
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
    # cryptography's SHA-256, loaded with Ed25519 already: hashlib would load OpenSSL a second time.
    digest = hashes.Hash(hashes.SHA256())
    digest.update(_raw_public(public_key))
    return digest.finalize().hex()[:16]


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes_raw()


def public_key_record(public_key: Ed25519PublicKey) -> dict:
    """One entry of the published key set."""
    raw = b64encode(_raw_public(public_key))
    return {"kid": key_id_for(public_key), "alg": KEY_ALGORITHM, "public_key": raw}


def _key_from_record(record) -> Ed25519PublicKey:
    if not isinstance(record, dict) or record.get("alg") != KEY_ALGORITHM:
        raise KeySetError(f"each key must be an object with alg {KEY_ALGORITHM!r}")
    try:
        raw = b64decode(record.get("public_key", ""))
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
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise KeySetError("it holds no readable PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeySetError("its PEM public key is not an Ed25519 key")
    return {key_id_for(key): key}


def load_key_set_json(data: bytes) -> dict[str, Ed25519PublicKey]:
    try:
        records = json_loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise KeySetError("it is not a JSON key set") from None
    return key_set_from_records(records)


def load_public_keys(path: str | Path) -> dict[str, Ed25519PublicKey]:
    """Public keys from a PEM file or a published JSON key set; raise OSError or KeySetError."""
    data = _read_bytes(path)
    return load_public_key_pem(data) if data.lstrip().startswith(b"-----BEGIN") else load_key_set_json(data)


# -- revocation list ----------------------------------------------------------------------------

REVOCATION_NAMES = ("format", "key_id", "sequence", "issued_at", "licenses")
REVOCATION_ENTRY_NAMES = ("license_code", "status", "min_serial")


class RevocationEntry(_Record):
    """One license in the revocation list: revoked, or with older certificates no longer valid."""

    license_code: str
    status: str
    min_serial: int

    @classmethod
    def from_dict(cls, data) -> RevocationEntry:
        data = _fields(data, REVOCATION_ENTRY_NAMES, "licenses[].")
        return cls(
            license_code=_text(data["license_code"], "licenses[].license_code"),
            status=_choice(data["status"], "licenses[].status", ("active", "revoked")),
            min_serial=_integer(data["min_serial"], "licenses[].min_serial", 1),
        )

    def to_dict(self) -> dict:
        return self._asdict()


class RevocationList(_Record):
    """The portal's signed list of revoked licenses and of the lowest serial still valid per license."""

    format: int
    key_id: str
    sequence: int
    issued_at: datetime
    licenses: tuple

    @classmethod
    def from_dict(cls, data) -> RevocationList:
        data = _fields(data, REVOCATION_NAMES)
        if not isinstance(data["licenses"], list):
            raise InvalidClaim("claim 'licenses' must be a list")
        entries = tuple(RevocationEntry.from_dict(entry) for entry in data["licenses"])
        codes = [entry.license_code for entry in entries]
        if len(set(codes)) != len(codes):
            raise InvalidClaim("claim 'licenses' lists a license twice")
        return cls(
            format=_format_version(data["format"]),
            key_id=_text(data["key_id"], "key_id"),
            sequence=_integer(data["sequence"], "sequence", 0),
            issued_at=_moment(data["issued_at"], "issued_at"),
            licenses=entries,
        )

    def to_dict(self) -> dict:
        return {
            "format": self.format,
            "key_id": self.key_id,
            "sequence": self.sequence,
            "issued_at": format_timestamp(self.issued_at),
            "licenses": [entry.to_dict() for entry in self.licenses],
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
    """The canonical revocation document: sorted keys, no whitespace, UTF-8."""
    import json

    text = json.dumps(revocations.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def verify_revocations(text: str | bytes, public_keys: dict[str, Ed25519PublicKey]) -> RevocationList:
    """Verify an armored revocation list; raise CertificateError if refused."""
    body = dearmor(text, REVOCATIONS_LABEL)
    if len(body) <= SIGNATURE_LENGTH:
        raise MalformedCertificate("revocation list body is too short to hold a document and a signature")
    payload, signature = body[:-SIGNATURE_LENGTH], body[-SIGNATURE_LENGTH:]
    document = _parse_document(payload)
    key = _signing_key(document, public_keys)
    try:
        key.verify(signature, REVOCATIONS_PREFIX + payload)
    except InvalidSignature:
        raise BadSignature(
            "revocation list signature does not match its contents: tampered or corrupted"
        ) from None
    return RevocationList.from_dict(document)


# -- key endorsements ---------------------------------------------------------------------------


def endorsement_input(public_key: Ed25519PublicKey) -> bytes:
    """What an older key signs to vouch for a newer one: the prefix and the raw new public key."""
    return KEY_ENDORSEMENT_PREFIX + _raw_public(public_key)


def endorsed_keys(trusted: dict[str, Ed25519PublicKey], records) -> dict[str, Ed25519PublicKey]:
    """`trusted` plus every published key that a trusted key (or one trusted this way) signed.

    A published key that is neither pinned nor endorsed raises KeySetError: a portal whose
    key changed without the old key's signature is not believed.
    """
    published = records.get("keys") if isinstance(records, dict) else records
    key_set_from_records(published)  # every record well formed
    accepted = dict(trusted)
    for record in published:
        key = _key_from_record(record)
        kid = key_id_for(key)
        if kid in accepted:
            continue
        by = record.get("endorsed_by")
        try:
            signature = b64decode(record.get("endorsement") or "")
            accepted[by].verify(signature, endorsement_input(key))
        except (KeyError, TypeError, ValueError, InvalidSignature):
            raise KeySetError(
                f"the portal's key {kid} is not signed by a key pinned earlier; refusing it"
            ) from None
        accepted[kid] = key
    return accepted


# -- accounts policy ----------------------------------------------------------------------------


class Verdict(str, enum.Enum):  # noqa: UP042
    OK = "OK"
    GRACE = "GRACE"
    BLOCKED = "BLOCKED"

    def __str__(self) -> str:
        return self.value


class PolicyResult(_Record):
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
    from decimal import Decimal

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


def _Parser(**settings) -> argparse.ArgumentParser:  # noqa: N802 (used as the class it builds)
    """An argparse parser whose usage errors raise ``_UsageError`` instead of exiting."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            raise _UsageError(message)

    return Parser(**settings)


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
    parser.add_argument(
        "--revocations", metavar="FILE", help="revocation list from /.well-known/license-revocations"
    )
    return parser


def _format_choice(text: str) -> str:
    if text not in ("text", "json"):
        raise ValueError(text)
    return text


# The verification's options as _parser() defines them: (attribute, conversion).
_PLAIN_OPTIONS = {
    "--public-key": ("public_key", str),
    "--keys": ("keys", str),
    "--out": ("out", str),
    "--format": ("format", _format_choice),
    "--accounts": ("accounts", _non_negative),
    "--min-serial": ("min_serial", _non_negative),
    "--now": ("now", _moment_argument),
    "--revocations": ("revocations", str),
}


class _Arguments:
    """A parsed verification command line, as argparse's Namespace would hold it."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def _plain_arguments(argv: list[str]) -> _Arguments | None:
    """An ordinary verification's arguments, read without argparse; None for anything else.

    Only exact ``--option value`` and ``--option=value`` spellings, each option once, one key
    option and at most one certificate: help, abbreviations and mistakes go to argparse, which
    answers them (and its import is paid only then).
    """
    values = {name: None for name, _ in _PLAIN_OPTIONS.values()}
    values.update(certificate=None, format="text")
    words, seen = list(argv), set()
    while words:
        word = words.pop(0)
        if word.startswith("--"):
            if not _take_option(word, words, values, seen):
                return None
        elif (word.startswith("-") and word != "-") or values["certificate"] is not None:
            return None
        else:
            values["certificate"] = word
    if (values["public_key"] is None) == (values["keys"] is None):
        return None
    values["certificate"] = values["certificate"] or "-"
    return _Arguments(values)


def _take_option(word: str, words: list[str], values: dict, seen: set) -> bool:
    """Read one ``--option`` (and its value) into ``values``; False when argparse must decide."""
    name, has_value, value = word.partition("=")
    if name not in _PLAIN_OPTIONS or name in seen:
        return False
    attribute, convert = _PLAIN_OPTIONS[name]
    if not has_value:
        if not words or words[0].startswith("-"):
            return False
        value = words.pop(0)
    try:
        values[attribute] = convert(value)
    except ValueError:
        return False
    seen.add(name)
    return True


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
    import json

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
    return sys.stdin.buffer.read() if source == "-" else _read_bytes(source)


def _emit(report: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(report)
    else:
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(report)


def _run(args: argparse.Namespace) -> int:  # noqa: C901 (the command line, kept in this one file)
    key_file = args.public_key or args.keys
    load = load_public_key_pem if args.public_key else load_key_set_json
    try:
        public_keys = load(_read_bytes(key_file))
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
    revocations = None
    if args.revocations:
        try:
            revocations = verify_revocations(_read_bytes(args.revocations), public_keys)
        except OSError as exc:
            return _fail(EXIT_UNREADABLE, f"error: cannot read {args.revocations}: {_reason(exc)}")
        except CertificateError as exc:
            return _fail(EXIT_INVALID, f"invalid revocation list: {exc}")
    now = args.now or datetime.now(UTC)
    render = render_json if args.format == "json" else render_text
    try:
        _emit(render(claims, now, args.accounts), args.out)
    except OSError as exc:
        return _fail(EXIT_UNREADABLE, f"error: cannot write {args.out}: {_reason(exc)}")
    refusal = revocations.refusal(claims) if revocations else None
    if refusal:
        return _fail(EXIT_REVOKED, refusal)
    if args.min_serial is not None and claims.serial < args.min_serial:
        return _fail(
            EXIT_OLDER_SERIAL,
            f"refused: certificate serial {claims.serial} is older than installed serial {args.min_serial}",
        )
    if claims.is_expired(now):
        return _fail(EXIT_EXPIRED, f"expired: the trial license expired at {_stamp(claims.expires_at)}")
    return EXIT_VALID


# -- fetch: the control panel's client of the portal --------------------------------------------


class _FetchFailure(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _fetch_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="extractor.py fetch",
        description="Activate this server with the license code, or check in, and install the certificate.",
    )
    parser.add_argument(
        "--portal", required=True, metavar="URL", help="the portal, e.g. https://licenses.example.com"
    )
    parser.add_argument(
        "--code", required=True, metavar="CODE", help="the license code, e.g. HSL-7K2Q-M9XD-4RTP"
    )
    parser.add_argument("--hostname", required=True, metavar="H", help="this server's hostname")
    parser.add_argument("--accounts", type=_non_negative, metavar="N", help="accounts created in the CP")
    parser.add_argument("--state", required=True, metavar="FILE", help="install id, token and pinned keys")
    parser.add_argument("--out", metavar="FILE", help="where the certificate is written")
    parser.add_argument("--release", action="store_true", help="release this server's installation")
    parser.add_argument("--timeout", type=float, default=30.0, help="==SUPPRESS==")  # argparse.SUPPRESS
    return parser


def _load_state(path: Path) -> dict:
    try:
        state = json_loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise _FetchFailure(
            EXIT_UNREADABLE, f"error: cannot read state file {path}: {_reason(exc)}"
        ) from None
    if not isinstance(state, dict):
        raise _FetchFailure(EXIT_UNREADABLE, f"error: state file {path} is not a JSON object")
    return state


def _write_private(path: Path, text: str) -> None:
    """Write `text` readable by the owner only, replacing the file at once."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _save_state(path: Path, state: dict) -> None:
    import json

    try:
        _write_private(path, json.dumps(state, indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        raise _FetchFailure(
            EXIT_UNREADABLE, f"error: cannot write state file {path}: {_reason(exc)}"
        ) from None


def _call(portal: str, method: str, path: str, *, body=None, token=None, timeout=30.0):
    """(status, JSON document or text) of one request to the portal."""
    import json
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode("utf-8")
    if not portal.lower().startswith(("https://", "http://")):
        raise _FetchFailure(EXIT_UNREADABLE, f"usage error: --portal must be an http(s) URL, not {portal!r}")
    request = urllib.request.Request(portal.rstrip("/") + path, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise _FetchFailure(EXIT_UNREADABLE, f"error: cannot reach the portal {portal}: {reason}") from None
    try:
        return status, json_loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, ValueError):
        return status, {}


def _portal_refusal(status: int, document) -> _FetchFailure:
    error = document.get("error") if isinstance(document, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    text = f"refused by the portal ({code or status}): {message or 'no reason given'}"
    return _FetchFailure(EXIT_REVOKED if code == "license_revoked" else EXIT_UNREADABLE, text)


def _trusted_keys(args, state: dict) -> dict[str, Ed25519PublicKey]:
    """The portal's keys: pinned in the state file at first use, later ones only if endorsed."""
    status, published = _call(args.portal, "GET", "/.well-known/license-keys", timeout=args.timeout)
    if status != 200:
        raise _FetchFailure(EXIT_UNREADABLE, f"error: the portal's key set answered HTTP {status}")
    try:
        if state.get("keys"):
            keys = endorsed_keys(key_set_from_records(state["keys"]), published)
        else:
            keys = key_set_from_records(published)
    except KeySetError as exc:
        raise _FetchFailure(EXIT_INVALID, f"invalid key set: {exc}") from None
    state["keys"] = [public_key_record(key) for key in keys.values()]
    return keys


def _activate(args, state: dict, state_path: Path) -> dict:
    import secrets

    state.setdefault("install_id", secrets.token_hex(16))
    body = {"license_code": args.code, "install_id": state["install_id"], "hostname": args.hostname}
    status, document = _call(args.portal, "POST", "/api/v1/activations", body=body, timeout=args.timeout)
    if status != 201:
        raise _portal_refusal(status, document)
    state.update(license_code=args.code, installation_token=document["installation_token"])
    _save_state(state_path, state)  # the token is shown once: keep it before anything else can fail
    return document


def _check_in(args, state: dict) -> dict:
    body = {"created_accounts": args.accounts}
    status, document = _call(
        args.portal,
        "POST",
        "/api/v1/check-ins",
        body=body,
        token=state["installation_token"],
        timeout=args.timeout,
    )
    if status != 200:
        failure = _portal_refusal(status, document)
        if status == 401:
            failure = _FetchFailure(
                EXIT_UNREADABLE,
                f"{failure}. This server's installation was released or replaced: "
                f"remove {args.state} to activate it again.",
            )
        raise failure
    return document


def _install(args, state: dict, keys, document: dict) -> tuple[Claims, str | None]:
    """Verify the portal's certificate, refuse an older serial, write it; return claims and any refusal."""
    try:
        claims = verify_certificate(document.get("certificate") or "", keys)
    except CertificateError as exc:
        raise _FetchFailure(EXIT_INVALID, f"invalid certificate from the portal: {exc}") from None
    if normalize_code(claims.license_code) != normalize_code(args.code):
        raise _FetchFailure(
            EXIT_INVALID, f"the portal sent a certificate of another license {claims.license_code}"
        )
    highest = state.get("highest_serial") or 0
    if claims.serial < highest:
        raise _FetchFailure(
            EXIT_OLDER_SERIAL,
            f"refused: certificate serial {claims.serial} is older than serial {highest} seen before",
        )
    from pathlib import Path

    try:
        _write_private(Path(args.out), document["certificate"])
    except OSError as exc:
        raise _FetchFailure(EXIT_UNREADABLE, f"error: cannot write {args.out}: {_reason(exc)}") from None
    state["highest_serial"] = claims.serial
    refusal = None
    if claims.revoked:
        refusal = f"revoked: license {claims.license_code} is revoked; the control panel must block it"
    elif claims.serial < (document.get("min_serial") or 0):
        refusal = (
            f"superseded: serial {claims.serial} is below the lowest valid serial {document['min_serial']}"
        )
    return claims, refusal


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()


def _release(args, state: dict, state_path: Path) -> int:
    token = state.get("installation_token")
    if not token:
        raise _FetchFailure(EXIT_UNREADABLE, f"error: {args.state} holds no installation to release")
    status, document = _call(
        args.portal, "DELETE", "/api/v1/activations/current", token=token, timeout=args.timeout
    )
    if status not in (204, 401):
        raise _portal_refusal(status, document)
    state.pop("installation_token", None)
    _save_state(state_path, state)
    print(
        f"Released: license {state.get('license_code', args.code)} is no longer installed on {args.hostname}."
    )
    return EXIT_VALID


def _fetch(args) -> int:
    from pathlib import Path

    state_path = Path(args.state)
    state = _load_state(state_path)
    if state.get("license_code") and normalize_code(state["license_code"]) != normalize_code(args.code):
        raise _FetchFailure(
            EXIT_UNREADABLE,
            f"usage error: {args.state} belongs to license {state['license_code']}; "
            "release it first or use another --state file",
        )
    if args.release:
        return _release(args, state, state_path)
    if not args.out:
        raise _FetchFailure(EXIT_UNREADABLE, "usage error: --out FILE is needed to write the certificate")
    keys = _trusted_keys(args, state)
    document = None
    if not state.get("installation_token"):
        document = _activate(args, state, state_path)
    if args.accounts is not None:
        document = _check_in(args, state)
    elif document is None:
        raise _FetchFailure(EXIT_UNREADABLE, "usage error: --accounts N is needed to check in")
    claims, refusal = _install(args, state, keys, document)
    _save_state(state_path, state)
    now = datetime.now(UTC)
    sys.stdout.write(render_text(claims, now, args.accounts))
    if "verdict" in document:
        print(_line("Portal verdict", f"{document['verdict']} ({document['packs_needed']} packs needed)"))
    if refusal:
        return _fail(EXIT_REVOKED, refusal)
    if claims.is_expired(now):
        return _fail(EXIT_EXPIRED, f"expired: the trial license expired at {_stamp(claims.expires_at)}")
    return EXIT_VALID


def fetch_main(argv: list[str]) -> int:
    try:
        args = _fetch_parser().parse_args(argv)
    except _UsageError as exc:
        return _fail(EXIT_UNREADABLE, f"usage error: {exc} (see fetch --help)")
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_VALID
    try:
        return _fetch(args)
    except _FetchFailure as failure:
        return _fail(failure.code, str(failure))
    except KeyboardInterrupt:
        return _fail(130, "interrupted")
    except Exception as exc:  # fail closed with one line, never a traceback
        return _fail(EXIT_INVALID, f"error: unexpected {type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> int:
    """Run the LicenseExtractor; return the exit code (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["fetch"]:
        return fetch_main(argv[1:])
    try:
        args = _plain_arguments(argv) or _parser().parse_args(argv)
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
