"""The signing keys every host shares: kept in the database, private parts sealed with a secret.

Every host, web or worker, reads the same rows, so each signs with the same key and publishes the
same key set. A rotated-in key is published at once and signs only from `signs_from`, hours later:
a control panel that cached the key set meanwhile never meets a certificate it cannot verify.

The private parts are sealed with AES-GCM under a key derived from LICENSE_KEY_SECRET, with the
key id as associated data: a copy of the database alone signs nothing, and a sealed key moved to
another row does not open.
"""

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from app.licensing.extractor.public_keys import (
    KEY_ALGORITHM,
    KeySetError,
    key_id_for,
    key_set_from_records,
    public_key_record,
)
from app.licensing.keys import KeyRing, KeyRingError, read_key_file
from app.models import SigningKey

SECRET_MIN_LENGTH = 32
SEALED_PREFIX = "aesgcm1:"


class KeyRingExists(KeyRingError):
    pass


@dataclass(frozen=True)
class Imported:
    """What `import_key_file` added: public key ids, and the key that now signs (if it was the file's)."""

    added: list[str]
    signing: str | None


def _sealing_key(secret: str) -> AESGCM:
    if not secret or len(secret) < SECRET_MIN_LENGTH:
        raise KeyRingError(
            f"LICENSE_KEY_SECRET must have at least {SECRET_MIN_LENGTH} characters "
            "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"license-portal signing keys")
    return AESGCM(derived.derive(secret.encode("utf-8")))


def seal(secret: str, private_key: Ed25519PrivateKey) -> str:
    """The private key encrypted for the database, bound to its key id."""
    nonce = os.urandom(12)
    kid = key_id_for(private_key.public_key())
    sealed = _sealing_key(secret).encrypt(nonce, private_key.private_bytes_raw(), kid.encode("ascii"))
    return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def unseal(secret: str, row: SigningKey) -> Ed25519PrivateKey:
    sealing = _sealing_key(secret)
    try:
        if not row.private_key_sealed.startswith(SEALED_PREFIX):
            raise ValueError
        blob = base64.b64decode(row.private_key_sealed[len(SEALED_PREFIX) :], validate=True)
        seed = sealing.decrypt(blob[:12], blob[12:], row.kid.encode("ascii"))
        private_key = Ed25519PrivateKey.from_private_bytes(seed)
    except (InvalidTag, ValueError):
        raise KeyRingError(
            f"signing key {row.kid} does not open with this LICENSE_KEY_SECRET: "
            "every host must be given the same secret"
        ) from None
    if key_id_for(private_key.public_key()) != row.kid:
        raise KeyRingError(f"signing key {row.kid}: its private part does not match its public key")
    return private_key


def keys_in_order(session) -> list[SigningKey]:
    """Every key, oldest first: the order of the published key set."""
    return list(session.scalars(select(SigningKey).order_by(SigningKey.id)))


def signing_row(rows: list[SigningKey], now: datetime) -> SigningKey | None:
    """The key that signs at `now`: of those with a private part whose time has come, the latest."""
    due = [row for row in rows if row.private_key_sealed and row.signs_from and row.signs_from <= now]
    return max(due, key=lambda row: (row.signs_from, row.id), default=None)


def load_keyring(session, secret: str, now: datetime) -> KeyRing:
    """The key ring every host uses at `now`: its signing key opened, every public key published."""
    rows = keys_in_order(session)
    signing = signing_row(rows, now)
    if signing is None:
        raise KeyRingError("the keyring has no signing key; create one with 'flask keys generate'")
    public_keys = key_set_from_records([_record(row) for row in rows])
    endorsements = {
        row.kid: {"endorsed_by": row.endorsed_by, "endorsement": row.endorsement}
        for row in rows
        if row.endorsed_by and row.endorsement
    }
    return KeyRing(unseal(secret, signing), public_keys, endorsements)


def generate_key(session, secret: str, now: datetime) -> SigningKey:
    """The first signing key, signing at once; refused when the keyring has any key."""
    if session.scalar(select(SigningKey.id).limit(1)) is not None:
        raise KeyRingExists(
            "the keyring already has keys; refusing to add another first key "
            "(use 'flask keys rotate' for a new signing key)"
        )
    return _add(session, secret, Ed25519PrivateKey.generate(), now, signs_from=now)


def rotate_key(session, secret: str, now: datetime, publish_hours: int) -> SigningKey:
    """A new key, endorsed by the signing one, published now and signing after `publish_hours`."""
    rows = keys_in_order(session)
    waiting = [row for row in rows if row.signs_from and row.signs_from > now]
    if waiting:
        kid, signs_from = waiting[-1].kid, waiting[-1].signs_from
        raise KeyRingError(
            f"key {kid} is already published and signs from {signs_from:%Y-%m-%d %H:%M} UTC;"
            " rotate again after that"
        )
    rotated = load_keyring(session, secret, now).rotated()
    [endorsed] = [record for record in rotated.published() if record["kid"] == rotated.signing_key_id]
    row = _add(session, secret, rotated._signing_key, now, signs_from=now + timedelta(hours=publish_hours))
    row.endorsed_by, row.endorsement = endorsed["endorsed_by"], endorsed["endorsement"]
    return row


def import_key_file(session, secret: str, path: str | Path, now: datetime) -> Imported:
    """Bring in a key file of an earlier version (instance/license-keys.json): its public keys, so the
    certificates they signed keep verifying, and its signing key, which signs from now when the
    keyring has none.

    Keys already in the keyring are left as they are: importing the same file twice adds nothing.
    """
    ring = read_key_file(path)
    rows = {row.kid: row for row in keys_in_order(session)}
    endorsements = {record["kid"]: record for record in ring.published() if "endorsed_by" in record}
    added = []
    for kid, public_key in ring.public_keys().items():
        if kid in rows:
            continue
        record = public_key_record(public_key)
        row = rows[kid] = SigningKey(kid=kid, public_key=record["public_key"], created_at=now)
        if kid in endorsements:
            row.endorsed_by = endorsements[kid]["endorsed_by"]
            row.endorsement = endorsements[kid]["endorsement"]
        session.add(row)
        added.append(kid)
    session.flush()
    signing = None
    if signing_row(list(rows.values()), now) is None:
        row = rows[ring.signing_key_id]
        row.private_key_sealed = seal(secret, ring._signing_key)
        row.signs_from = now
        signing = row.kid
    return Imported(added=added, signing=signing)


def import_public_key(session, kid: str, public_key: str, now: datetime) -> SigningKey:
    """A public key alone (its private part lost): certificates it signed keep verifying."""
    try:
        key_set_from_records([{"kid": kid, "alg": KEY_ALGORITHM, "public_key": public_key}])
    except KeySetError as exc:
        raise KeyRingError(str(exc)) from None
    if session.scalar(select(SigningKey.id).where(SigningKey.kid == kid)) is not None:
        raise KeyRingExists(f"key {kid} is already in the keyring")
    row = SigningKey(kid=kid, public_key=public_key, created_at=now)
    session.add(row)
    return row


def keyring_id(ring: KeyRing) -> str:
    """A short name for the published key set: hosts that publish the same keys show the same id."""
    return hashlib.sha256(",".join(ring.public_keys()).encode("ascii")).hexdigest()[:12]


def _record(row: SigningKey) -> dict:
    return {"kid": row.kid, "alg": KEY_ALGORITHM, "public_key": row.public_key}


def _add(session, secret, private_key, now, *, signs_from) -> SigningKey:
    record = public_key_record(private_key.public_key())
    row = SigningKey(
        kid=record["kid"],
        public_key=record["public_key"],
        private_key_sealed=seal(secret, private_key),
        created_at=now,
        signs_from=signs_from,
    )
    session.add(row)
    session.flush()
    return row
