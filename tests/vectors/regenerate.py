"""Regenerate the certificate test vectors from the test key and the claims files.

    python tests/vectors/regenerate.py           # rewrite the generated files
    python tests/vectors/regenerate.py --check   # exit 1 if any generated file differs

Inputs: test-signing-key.pem (a public test key), claims-<case>.json and revocations.json.
Outputs: license-keys.json, public-key.pem, per case signing-input-<case>.hex
and certificate-<case>.txt, and signing-input-revocations.hex and revocations.txt.
Ed25519 signatures are deterministic, so the outputs are the same byte for byte
on every run.
"""

import argparse
import json
import sys
from pathlib import Path

VECTORS = Path(__file__).resolve().parent
sys.path.insert(0, str(VECTORS.parents[1]))

from cryptography.hazmat.primitives import serialization  # noqa: E402

from app.licensing.certificates import Claims, issue_certificate  # noqa: E402
from app.licensing.extractor.certificate_format import (  # noqa: E402
    REVOCATIONS_LABEL,
    REVOCATIONS_PREFIX,
    armor,
    encode_claims,
    signing_input,
)
from app.licensing.extractor.revocation_list import RevocationList, encode_revocations  # noqa: E402
from app.licensing.keys import KeyRing  # noqa: E402

CASES = ("paid", "trial", "revoked")


def vector_keyring() -> KeyRing:
    pem = (VECTORS / "test-signing-key.pem").read_bytes()
    return KeyRing(serialization.load_pem_private_key(pem, password=None))


def claims_for(case: str) -> dict:
    return json.loads((VECTORS / f"claims-{case}.json").read_text(encoding="utf-8"))


def expected_files() -> dict[str, str]:
    """File name -> the exact text the vectors directory must hold."""
    ring = vector_keyring()
    public_pem = ring.public_keys()[ring.signing_key_id].public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    files = {
        "license-keys.json": json.dumps({"keys": ring.published()}, indent=2) + "\n",
        "public-key.pem": public_pem.decode("ascii"),
    }
    for case in CASES:
        claims = claims_for(case)
        payload = encode_claims(Claims.from_dict(claims))
        files[f"signing-input-{case}.hex"] = signing_input(payload).hex() + "\n"
        files[f"certificate-{case}.txt"] = issue_certificate(claims, ring)
    revocations = RevocationList.from_dict(json.loads((VECTORS / "revocations.json").read_text()))
    payload = encode_revocations(revocations)
    files["signing-input-revocations.hex"] = (REVOCATIONS_PREFIX + payload).hex() + "\n"
    files["revocations.txt"] = armor(payload + ring.sign(REVOCATIONS_PREFIX + payload), REVOCATIONS_LABEL)
    return files


def stale_files() -> list[str]:
    """Names of generated files that are missing or differ from what the inputs give."""
    stale = []
    for name, text in expected_files().items():
        path = VECTORS / name
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            stale.append(name)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ")
    if parser.parse_args(argv).check:
        stale = stale_files()
        for name in stale:
            print(f"stale: tests/vectors/{name}", file=sys.stderr)
        return 1 if stale else 0
    for name, text in expected_files().items():
        (VECTORS / name).write_bytes(text.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
