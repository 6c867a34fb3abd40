"""The Ed25519 key ring that signs License Certificates, and the key files of earlier versions.

A `KeyRing` holds the signing key and the public key of every key ever published, so that
certificates signed before a rotation keep verifying; the portal builds it from the database
(app/licensing/keystore.py). Earlier versions kept it in one JSON file (mode 0600) per host:
`load_keyring` reads such a file for `flask keys import-file`. See docs/certificate-format.md, §11.
"""

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.licensing.extractor.public_keys import (
    KeySetError,
    endorsement_input,
    key_id_for,
    key_set_from_records,
    public_key_record,
)

KEY_FILE_FORMAT = 1


class KeyRingError(Exception):
    """The key file is missing, unreadable or not as specified; never carries key material."""


class KeyRing:
    """The signing key and every public key ever published; the private key is never shown."""

    def __init__(
        self,
        signing_key: Ed25519PrivateKey,
        public_keys: dict[str, Ed25519PublicKey] | None = None,
        endorsements: dict[str, dict] | None = None,
    ):
        self._signing_key = signing_key
        self.signing_key_id = key_id_for(signing_key.public_key())
        self._public_keys = dict(public_keys or {})
        self._public_keys.setdefault(self.signing_key_id, signing_key.public_key())
        # Key id -> {"endorsed_by", "endorsement"}: the previous key's signature over a rotated-in key.
        self._endorsements = dict(endorsements or {})

    def sign(self, data: bytes) -> bytes:
        return self._signing_key.sign(data)

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Key id -> public key, oldest first."""
        return dict(self._public_keys)

    def published(self) -> list[dict]:
        """The key set served at /.well-known/license-keys (as {"keys": published()})."""
        return [
            {**public_key_record(key), **self._endorsements.get(kid, {})}
            for kid, key in self._public_keys.items()
        ]

    def rotated(self) -> "KeyRing":
        """A ring with a new signing key, signed by the current one; the current key stays public only.

        The signature lets a control panel that pinned the old key accept the new one.
        """
        new_key = Ed25519PrivateKey.generate()
        endorsement = {
            "endorsed_by": self.signing_key_id,
            "endorsement": base64.b64encode(self.sign(endorsement_input(new_key.public_key()))).decode(),
        }
        endorsements = {**self._endorsements, key_id_for(new_key.public_key()): endorsement}
        return KeyRing(new_key, self._public_keys, endorsements)

    def __repr__(self) -> str:
        return f"KeyRing(signing_key_id={self.signing_key_id!r}, key_ids={list(self._public_keys)!r})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a KeyRing is not picklable: it holds a private key")


def read_key_file(path: str | Path) -> KeyRing:
    """The key ring in a key file of an earlier version, for `flask keys import-file`."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyRingError(f"key file {path} does not exist") from None
    except OSError as exc:
        raise KeyRingError(f"key file {path} cannot be read: {exc.strerror}") from None
    except ValueError:
        raise KeyRingError(f"key file {path} is not valid JSON") from None
    return _ring_from_document(document, path)


def _ring_from_document(document, path: Path) -> KeyRing:
    if not isinstance(document, dict) or document.get("format") != KEY_FILE_FORMAT:
        raise KeyRingError(f"key file {path} is not a format {KEY_FILE_FORMAT} license key file")
    try:
        public_keys = key_set_from_records(document.get("public_keys"))
    except KeySetError as exc:
        raise KeyRingError(f"key file {path}: {exc}") from None
    signing = document.get("signing_key")
    try:
        seed = base64.b64decode(signing["private_key"], validate=True)
        signing_key = Ed25519PrivateKey.from_private_bytes(seed)
    except (TypeError, KeyError, ValueError):
        raise KeyRingError(f"key file {path} has no readable Ed25519 signing key") from None
    kid = key_id_for(signing_key.public_key())
    if signing.get("kid") != kid or kid not in public_keys:
        raise KeyRingError(f"key file {path}: the signing key id does not match its published public key")
    endorsements = {
        record["kid"]: {"endorsed_by": record["endorsed_by"], "endorsement": record["endorsement"]}
        for record in document["public_keys"]
        if "endorsed_by" in record and "endorsement" in record
    }
    return KeyRing(signing_key, public_keys, endorsements)
