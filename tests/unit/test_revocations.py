"""The signed revocation list: its test vector, tampering, and the extractor's --revocations (exit 5)."""

import pytest

from app.licensing.extractor.certificate_format import BadSignature, MalformedCertificate, UnknownKey
from app.licensing.extractor.public_keys import KeySetError, endorsed_keys
from app.licensing.extractor.revocation_list import verify_revocations
from app.licensing.keys import generate_keyring, load_keyring, rotate_keyring
from tests.support.licensing import VECTORS, new_keyring, vector_public_keys
from tests.unit.test_extractor import KEYS, PAID, REVOKED, TRIAL, assert_fails, extract

REVOCATIONS = str(VECTORS / "revocations.txt")
DURING_TRIAL = "2025-01-15T00:00:00Z"


def vector_text():
    return (VECTORS / "revocations.txt").read_text(encoding="utf-8")


def test_the_vector_verifies_and_lists_both_licenses():
    revocations = verify_revocations(vector_text(), vector_public_keys())
    assert revocations.sequence == 7
    assert [(e.license_code, e.status, e.min_serial) for e in revocations.licenses] == [
        ("HSL-7K2Q-M9XD-4RTP", "revoked", 4),
        ("HSL-W4NB-8CJT-Q3PE", "active", 2),
    ]


def test_any_changed_character_is_refused():
    text = vector_text()
    lines = text.splitlines()
    for index in range(1, len(lines) - 1):
        line = lines[index]
        changed = line[:10] + ("A" if line[10] != "A" else "B") + line[11:]
        tampered = "\n".join([*lines[:index], changed, *lines[index + 1 :]])
        with pytest.raises((BadSignature, MalformedCertificate)):
            verify_revocations(tampered, vector_public_keys())


def test_a_certificate_is_not_a_revocation_list():
    with pytest.raises(MalformedCertificate, match="no '-----BEGIN LICENSE REVOCATIONS-----' line"):
        verify_revocations((VECTORS / "certificate-paid.txt").read_text(), vector_public_keys())


def test_unknown_key_is_refused():
    with pytest.raises(UnknownKey):
        verify_revocations(vector_text(), new_keyring().public_keys())


def test_extractor_exits_5_for_a_revoked_license():
    result = extract(PAID, "--keys", KEYS, "--revocations", REVOCATIONS)
    assert_fails(result, 5, "revoked: license HSL-7K2Q-M9XD-4RTP is revoked")
    assert "License code        HSL-7K2Q-M9XD-4RTP" in result.stdout
    assert extract(REVOKED, "--keys", KEYS, "--revocations", REVOCATIONS).returncode == 5


def test_extractor_exits_5_for_a_serial_below_min_serial():
    result = extract(TRIAL, "--keys", KEYS, "--revocations", REVOCATIONS, "--now", DURING_TRIAL)
    assert_fails(result, 5, "superseded: certificate serial 1 of HSL-W4NB-8CJT-Q3PE is below")


def test_extractor_without_a_listed_license_is_valid(tmp_path):
    assert extract(TRIAL, "--keys", KEYS, "--now", DURING_TRIAL).returncode == 0


def test_extractor_refuses_a_tampered_list_with_exit_1(tmp_path):
    tampered = tmp_path / "revocations.txt"
    tampered.write_text(vector_text().replace("eyJmb3Jt", "eyJmb3Ju"))
    assert_fails(extract(PAID, "--keys", KEYS, "--revocations", str(tampered)), 1, "invalid revocation list")


def test_extractor_missing_list_is_exit_2(tmp_path):
    assert extract(PAID, "--keys", KEYS, "--revocations", str(tmp_path / "none")).returncode == 2


def test_a_rotated_key_is_endorsed_by_the_old_one():
    ring = new_keyring()
    rotated = ring.rotated()
    pinned = ring.public_keys()
    assert set(endorsed_keys(pinned, {"keys": rotated.published()})) == set(rotated.public_keys())


def test_an_unendorsed_new_key_is_refused():
    ring, stranger = new_keyring(), new_keyring()
    published = {"keys": ring.published() + stranger.published()}
    with pytest.raises(KeySetError, match="not signed by a key pinned earlier"):
        endorsed_keys(ring.public_keys(), published)


def test_rotating_the_key_file_keeps_the_endorsement(tmp_path):
    path = tmp_path / "keys.json"
    first = generate_keyring(path)
    rotate_keyring(path)
    reloaded = load_keyring(path)
    assert set(endorsed_keys(first.public_keys(), {"keys": reloaded.published()})) == set(
        reloaded.public_keys()
    )
