"""Small factories shared by the licensing unit tests."""

import base64
import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.licensing.certificates import build_claims
from app.licensing.extractor.certificate_format import armor, signing_input
from app.licensing.extractor.public_keys import load_public_keys
from app.licensing.keys import KeyRing

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
CASES = ("paid", "trial", "revoked")


def new_keyring() -> KeyRing:
    return KeyRing(Ed25519PrivateKey.generate())


def write_key_file(path: Path, ring: KeyRing) -> Path:
    """The key file an earlier version of the portal kept (docs/certificate-format.md, §11)."""
    signing_key = ring._signing_key.private_bytes_raw()
    document = {
        "format": 1,
        "signing_key": {
            "kid": ring.signing_key_id,
            "alg": "Ed25519",
            "private_key": base64.b64encode(signing_key).decode("ascii"),
        },
        "public_keys": ring.published(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def paid_claims(**overrides) -> dict:
    fields = {
        "license_code": "HSL-7K2Q-M9XD-4RTP",
        "serial": 2,
        "customer_id": 42,
        "customer_email": "ops@example.com",
        "customer_company": "Example Hosting Ltd",
        "kind": "paid",
        "accounts": 100,
        "issued_at": datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        "support_until": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        "supersedes": 1,
        "grace_percent": 10,
        "pack_size": 25,
    }
    return build_claims(**(fields | overrides))


def trial_claims(**overrides) -> dict:
    fields = {
        "kind": "trial",
        "serial": 1,
        "supersedes": None,
        "accounts": 25,
        "issued_at": datetime(2025, 1, 1, 9, 30, tzinfo=UTC),
        "expires_at": datetime(2025, 1, 31, 9, 30, tzinfo=UTC),
    }
    return paid_claims(**(fields | overrides))


def signed_document(document: dict, ring: KeyRing) -> str:
    """A certificate over any JSON document, valid or not, signed as the portal would sign it."""
    payload = json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return signed_payload(payload, ring)


def signed_payload(payload: bytes, ring: KeyRing) -> str:
    return armor(payload + ring.sign(signing_input(payload)))


def vector_claims(case: str) -> dict:
    return json.loads((VECTORS / f"claims-{case}.json").read_text(encoding="utf-8"))


def vector_certificate(case: str) -> str:
    return (VECTORS / f"certificate-{case}.txt").read_text(encoding="utf-8")


def vector_public_keys() -> dict:
    return load_public_keys(VECTORS / "license-keys.json")


def regenerate_module():
    """tests/vectors/regenerate.py, loaded by path (the vectors folder is not a package)."""
    spec = importlib.util.spec_from_file_location("vectors_regenerate", VECTORS / "regenerate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
