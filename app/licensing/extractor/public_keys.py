"""The portal's public keys: key ids, the published key set, PEM files and key endorsements."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

KEY_ALGORITHM = "Ed25519"
KEY_ENDORSEMENT_PREFIX = b"LICENSE-PORTAL-KEY-V1\x00"


class KeySetError(ValueError):
    """A public key file or key set cannot be used."""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes_raw()


def key_id_for(public_key: Ed25519PublicKey) -> str:
    """The key id: the first 16 hex digits of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def public_key_record(public_key: Ed25519PublicKey) -> dict:
    """One entry of the published key set."""
    raw = base64.b64encode(_raw(public_key)).decode("ascii")
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
        from cryptography.hazmat.primitives import serialization  # only --public-key reads PEM

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


def endorsement_input(public_key: Ed25519PublicKey) -> bytes:
    """What an older key signs to vouch for a newer one: the prefix and the raw new public key."""
    return KEY_ENDORSEMENT_PREFIX + _raw(public_key)


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
        try:
            signature = base64.b64decode(record.get("endorsement") or "", validate=True)
            accepted[record.get("endorsed_by")].verify(signature, endorsement_input(key))
        except (KeyError, TypeError, ValueError, InvalidSignature):
            raise KeySetError(
                f"the portal's key {kid} is not signed by a key pinned earlier; refusing it"
            ) from None
        accepted[kid] = key
    return accepted
