"""The key ring: signs, publishes every key, never shows its private key; key files of earlier versions."""

import base64
import json
import pickle

import pytest

from app.licensing.keys import KeyRingError, read_key_file
from tests.support.licensing import new_keyring, write_key_file


@pytest.fixture
def key_path(tmp_path):
    return tmp_path / "instance" / "license-keys.json"


def private_key_text(path):
    return json.loads(path.read_text())["signing_key"]["private_key"]


def test_a_key_file_reads_back_as_the_ring_it_was_written_from(key_path):
    ring = new_keyring().rotated()
    loaded = read_key_file(write_key_file(key_path, ring))
    assert loaded.signing_key_id == ring.signing_key_id
    assert list(loaded.public_keys()) == list(ring.public_keys())
    assert loaded.published() == ring.published()


def test_signatures_verify_with_the_published_key():
    ring = new_keyring()
    signature = ring.sign(b"hello")
    ring.public_keys()[ring.signing_key_id].verify(signature, b"hello")


def test_published_key_set_lists_raw_ed25519_keys():
    ring = new_keyring()
    [record] = ring.published()
    assert record["kid"] == ring.signing_key_id
    assert record["alg"] == "Ed25519"
    assert len(base64.b64decode(record["public_key"])) == 32


def test_rotate_switches_signing_key_and_keeps_every_public_key():
    first = new_keyring()
    second = first.rotated()
    third = second.rotated()
    assert third.signing_key_id != second.signing_key_id != first.signing_key_id
    assert list(third.public_keys()) == [first.signing_key_id, second.signing_key_id, third.signing_key_id]


def test_repr_and_str_never_show_the_private_key(key_path):
    ring = new_keyring()
    secret = private_key_text(write_key_file(key_path, ring))
    seed_hex = base64.b64decode(secret).hex()
    for shown in (repr(ring), str(ring), f"{ring}"):
        assert ring.signing_key_id in shown
        assert secret not in shown
        assert seed_hex not in shown


def test_a_key_ring_cannot_be_pickled():
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(new_keyring())


def test_missing_file_is_named(key_path):
    with pytest.raises(KeyRingError, match=f"key file {key_path} does not exist"):
        read_key_file(key_path)


def test_corrupt_file_is_refused_without_showing_its_contents(key_path):
    write_key_file(key_path, new_keyring())
    secret = private_key_text(key_path)
    key_path.write_text(key_path.read_text()[:-20])
    with pytest.raises(KeyRingError, match="is not valid JSON") as refused:
        read_key_file(key_path)
    assert secret not in str(refused.value)


def test_signing_key_that_is_not_published_is_refused(key_path):
    write_key_file(key_path, new_keyring())
    document = json.loads(key_path.read_text())
    document["public_keys"] = new_keyring().published()
    key_path.write_text(json.dumps(document))
    with pytest.raises(KeyRingError, match="signing key id does not match"):
        read_key_file(key_path)


def test_edited_key_id_is_refused(key_path):
    write_key_file(key_path, new_keyring())
    document = json.loads(key_path.read_text())
    document["public_keys"][0]["kid"] = "0000000000000000"
    key_path.write_text(json.dumps(document))
    with pytest.raises(KeyRingError, match="does not match its public key"):
        read_key_file(key_path)
