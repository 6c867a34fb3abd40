"""The signed revocation list: its test vector, tampering, and the extractor's --revocations (exit 5)."""

import json
import stat
from datetime import UTC, datetime

import pytest

from app.licensing.extractor.certificate_format import BadSignature, MalformedCertificate, UnknownKey
from app.licensing.extractor.public_keys import KeySetError, endorsed_keys
from app.licensing.extractor.revocation_list import verify_revocations
from app.licensing.keys import read_key_file
from app.licensing.revocations import issue_revocation_list
from tests.support.licensing import (
    VECTORS,
    new_keyring,
    regenerate_module,
    vector_public_keys,
    write_key_file,
)
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


def list_with_sequence(tmp_path, sequence):
    """A genuine list, signed with the test key like the vector, at another sequence."""
    entries = verify_revocations(vector_text(), vector_public_keys()).licenses
    ring = regenerate_module().vector_keyring()
    now = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    path = tmp_path / f"revocations-{sequence}.txt"
    path.write_text(issue_revocation_list(entries, ring, sequence=sequence, now=now))
    return str(path)


def test_with_state_an_older_genuine_list_is_refused_with_exit_4(tmp_path):
    state = tmp_path / "state.json"
    during = ("--now", DURING_TRIAL)
    assert extract(PAID, "--keys", KEYS, "--revocations", REVOCATIONS, "--state", str(state)).returncode == 5
    assert json.loads(state.read_text()) == {"highest_revocations_sequence": 7}
    assert stat.S_IMODE(state.stat().st_mode) == 0o600

    older = extract(
        TRIAL,
        "--keys",
        KEYS,
        *during,
        "--revocations",
        list_with_sequence(tmp_path, 6),
        "--state",
        str(state),
    )

    assert_fails(older, 4, "refused: revocation list 6 is older than revocation list 7 seen before")
    assert "License code        HSL-W4NB-8CJT-Q3PE" in older.stdout
    assert json.loads(state.read_text()) == {"highest_revocations_sequence": 7}


def test_with_state_the_same_or_a_newer_list_is_used_and_remembered(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"install_id": "cp1", "highest_revocations_sequence": 7}))
    same = extract(
        TRIAL, "--keys", KEYS, "--now", DURING_TRIAL, "--revocations", REVOCATIONS, "--state", str(state)
    )
    assert_fails(same, 5, "superseded: certificate serial 1 of HSL-W4NB-8CJT-Q3PE")

    newer = list_with_sequence(tmp_path, 9)
    assert_fails(
        extract(PAID, "--keys", KEYS, "--revocations", newer, "--state", str(state)), 5, "(revocation list 9)"
    )

    assert json.loads(state.read_text()) == {"install_id": "cp1", "highest_revocations_sequence": 9}


def test_without_state_lists_are_not_compared(tmp_path):
    older = list_with_sequence(tmp_path, 6)
    assert_fails(extract(PAID, "--keys", KEYS, "--revocations", older), 5, "(revocation list 6)")


def test_an_unreadable_state_file_exits_2_before_anything_is_printed(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("[]")
    result = extract(PAID, "--keys", KEYS, "--revocations", REVOCATIONS, "--state", str(state))
    assert_fails(result, 2, f"state file {state} is not a JSON object")
    assert result.stdout == ""
    assert state.read_text() == "[]"


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


def test_a_key_file_keeps_the_endorsement(tmp_path):
    first = new_keyring()
    reloaded = read_key_file(write_key_file(tmp_path / "keys.json", first.rotated()))
    assert set(endorsed_keys(first.public_keys(), {"keys": reloaded.published()})) == set(
        reloaded.public_keys()
    )
