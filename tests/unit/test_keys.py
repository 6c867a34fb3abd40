"""The signing key file: created once, owner-only, rotated without losing public keys."""

import base64
import json
import pickle
import stat

import pytest

from app.licensing.keys import KeyRingError, KeyRingExists, generate_keyring, load_keyring, rotate_keyring


@pytest.fixture
def key_path(tmp_path):
    return tmp_path / "instance" / "license-keys.json"


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def private_key_text(path):
    return json.loads(path.read_text())["signing_key"]["private_key"]


def test_generate_writes_an_owner_only_file_that_loads(key_path):
    ring = generate_keyring(key_path)
    assert mode(key_path) == 0o600
    loaded = load_keyring(key_path)
    assert loaded.signing_key_id == ring.signing_key_id
    assert list(loaded.public_keys()) == [ring.signing_key_id]


def test_generate_leaves_no_temporary_files(key_path):
    generate_keyring(key_path)
    rotate_keyring(key_path)
    assert [path.name for path in key_path.parent.iterdir()] == [key_path.name]


def test_generate_refuses_to_overwrite_an_existing_file(key_path):
    generate_keyring(key_path)
    before = key_path.read_bytes()
    with pytest.raises(KeyRingExists, match="already exists; refusing to overwrite"):
        generate_keyring(key_path)
    assert key_path.read_bytes() == before


def test_signatures_verify_with_the_published_key(key_path):
    ring = generate_keyring(key_path)
    signature = ring.sign(b"hello")
    ring.public_keys()[ring.signing_key_id].verify(signature, b"hello")


def test_published_key_set_lists_raw_ed25519_keys(key_path):
    ring = generate_keyring(key_path)
    [record] = ring.published()
    assert record["kid"] == ring.signing_key_id
    assert record["alg"] == "Ed25519"
    assert len(base64.b64decode(record["public_key"])) == 32


def test_rotate_switches_signing_key_and_keeps_every_public_key(key_path):
    first = generate_keyring(key_path)
    old_private = private_key_text(key_path)
    second = rotate_keyring(key_path)
    third = rotate_keyring(key_path)
    loaded = load_keyring(key_path)
    assert loaded.signing_key_id == third.signing_key_id != second.signing_key_id != first.signing_key_id
    assert list(loaded.public_keys()) == [first.signing_key_id, second.signing_key_id, third.signing_key_id]
    assert old_private not in key_path.read_text()
    assert mode(key_path) == 0o600


def test_repr_and_str_never_show_the_private_key(key_path):
    ring = generate_keyring(key_path)
    secret = private_key_text(key_path)
    seed_hex = base64.b64decode(secret).hex()
    for shown in (repr(ring), str(ring), f"{ring}"):
        assert ring.signing_key_id in shown
        assert secret not in shown
        assert seed_hex not in shown


def test_a_key_ring_cannot_be_pickled(key_path):
    ring = generate_keyring(key_path)
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(ring)


def test_missing_file_says_how_to_create_it(key_path):
    with pytest.raises(KeyRingError, match="does not exist; create it with 'flask keys generate'"):
        load_keyring(key_path)


def test_corrupt_file_is_refused_without_showing_its_contents(key_path):
    generate_keyring(key_path)
    secret = private_key_text(key_path)
    key_path.write_text(key_path.read_text()[:-20])
    with pytest.raises(KeyRingError, match="is not valid JSON") as refused:
        load_keyring(key_path)
    assert secret not in str(refused.value)


def test_signing_key_that_is_not_published_is_refused(key_path):
    generate_keyring(key_path)
    other = generate_keyring(key_path.with_name("other.json"))
    document = json.loads(key_path.read_text())
    document["public_keys"] = other.published()
    key_path.write_text(json.dumps(document))
    with pytest.raises(KeyRingError, match="signing key id does not match"):
        load_keyring(key_path)


def test_edited_key_id_is_refused(key_path):
    generate_keyring(key_path)
    document = json.loads(key_path.read_text())
    document["public_keys"][0]["kid"] = "0000000000000000"
    key_path.write_text(json.dumps(document))
    with pytest.raises(KeyRingError, match="does not match its public key"):
        load_keyring(key_path)
