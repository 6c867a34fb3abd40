"""One keyring in the database for every host: generate, rotate, list and import keys."""

import base64

import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.licensing import extractor
from app.licensing.certificates import issue_certificate
from app.models import SigningKey
from app.models.base import utcnow
from config import ProductionConfig, load_config
from tests.support.licensing import new_keyring, paid_claims, write_key_file


def published(client):
    return extractor.key_set_from_records(client.get("/.well-known/license-keys").get_json()["keys"])


def key_rows():
    db.session.rollback()
    return {row.kid: row for row in db.session.scalars(select(SigningKey))}


@pytest.fixture
def restore_keyring(app, keyring):
    """Keys a test adds are removed afterwards: the session's keyring signs again."""
    yield
    db.session.rollback()
    db.session.execute(delete(SigningKey).where(SigningKey.kid != keyring.signing_key_id))
    db.session.commit()


@pytest.fixture
def empty_keyring(app, keyring, restore_keyring):
    """No key at all for this test; the session's key comes back afterwards."""
    [row] = db.session.scalars(select(SigningKey)).all()
    saved = {column.key: getattr(row, column.key) for column in SigningKey.__table__.columns}
    db.session.delete(row)
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(delete(SigningKey))
    db.session.add(SigningKey(**saved))
    db.session.commit()


def test_production_needs_the_key_secret_every_host_shares(monkeypatch):
    for name in ProductionConfig.REQUIRED:
        monkeypatch.setattr(ProductionConfig, name, "set")
    monkeypatch.setattr(ProductionConfig, "LICENSE_KEY_SECRET", None)
    with pytest.raises(SystemExit, match="LICENSE_KEY_SECRET is not set"):
        load_config("production")


def test_generate_refuses_a_second_first_key_and_changes_nothing(runner, keyring):
    result = runner.invoke(args=["keys", "generate"])
    assert result.exit_code == 1
    assert "already has keys; refusing" in result.output
    assert list(key_rows()) == [keyring.signing_key_id]
    assert runner.invoke(args=["keys", "generate", "--if-missing"]).exit_code == 0
    assert list(key_rows()) == [keyring.signing_key_id]


def test_private_keys_are_stored_sealed(app, keyring):
    row = key_rows()[keyring.signing_key_id]
    seed = keyring._signing_key.private_bytes_raw()
    assert row.private_key_sealed.startswith("aesgcm1:")
    assert base64.b64encode(seed).decode() not in row.private_key_sealed
    assert seed.hex() not in row.private_key_sealed


def test_a_rotated_key_is_published_at_once_and_signs_only_after_the_publish_hours(
    app, client, runner, keyring, make_license, restore_keyring
):
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    [new] = [kid for kid in key_rows() if kid != keyring.signing_key_id]
    assert f"New signing key {new}, published now" in result.output
    assert set(published(client)) == {keyring.signing_key_id, new}
    # Still signed with the old key: control panels that cached the key set yesterday verify it.
    assert make_license().current_certificate.key_id == keyring.signing_key_id
    listing = runner.invoke(args=["keys", "list"]).output
    assert f"{keyring.signing_key_id}  Ed25519  (signing)" in listing
    assert f"{new}  Ed25519  (published; signs from" in listing
    again = runner.invoke(args=["keys", "rotate"])
    assert again.exit_code == 1 and f"key {new} is already published" in again.output

    row = key_rows()[new]
    row.signs_from = utcnow()  # KEY_PUBLISH_HOURS later
    db.session.commit()
    certificate = make_license().current_certificate
    assert certificate.key_id == new
    assert extractor.verify_certificate(certificate.text, published(client)).key_id == new
    assert runner.invoke(args=["keys", "list"]).output.count("(signing)") == 1


@pytest.mark.parametrize("settings", [{"LICENSE_KEY_SECRET": "another-secret-of-at-least-32-characters"}])
def test_a_host_with_another_key_secret_cannot_sign_or_rotate(client, runner, make_license, keyring):
    with pytest.raises(Exception, match="does not open with this LICENSE_KEY_SECRET"):
        make_license()
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1 and "every host must be given the same secret" in result.output
    assert list(key_rows()) == [keyring.signing_key_id]


@pytest.mark.parametrize("settings", [{"LICENSE_KEY_SECRET": "too-short"}])
def test_a_short_key_secret_is_refused_with_how_to_make_one(runner):
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1 and "at least 32 characters" in result.output


def test_an_imported_key_file_keeps_its_certificates_verifying(
    client, runner, tmp_path, empty_keyring, make_license
):
    first = new_keyring()
    old_certificate = issue_certificate(paid_claims(), first)
    second = first.rotated()
    path = write_key_file(tmp_path / "license-keys.json", second)

    result = runner.invoke(args=["keys", "import-file", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Key {second.signing_key_id} signs from now." in result.output
    keys = published(client)
    assert list(keys) == [first.signing_key_id, second.signing_key_id]
    assert extractor.verify_certificate(old_certificate, keys).license_code == paid_claims()["license_code"]
    assert make_license().current_certificate.key_id == second.signing_key_id
    # The endorsement of the rotated-in key is published as it was.
    records = client.get("/.well-known/license-keys").get_json()["keys"]
    assert records[1]["endorsed_by"] == first.signing_key_id

    again = runner.invoke(args=["keys", "import-file", str(path)])
    assert again.exit_code == 0 and "public keys added: none" in again.output
    assert len(key_rows()) == 2


def test_a_second_hosts_key_file_adds_its_public_keys_but_does_not_sign(
    client, runner, tmp_path, keyring, restore_keyring, make_license
):
    other = new_keyring()
    stranded = issue_certificate(paid_claims(), other)
    write_key_file(tmp_path / "other.json", other)
    result = runner.invoke(args=["keys", "import-file", str(tmp_path / "other.json")])
    assert result.exit_code == 0 and "signs from now" not in result.output
    assert extractor.verify_certificate(stranded, published(client)).serial == paid_claims()["serial"]
    assert make_license().current_certificate.key_id == keyring.signing_key_id


def test_a_broken_key_file_is_refused_and_changes_nothing(runner, tmp_path, keyring):
    path = tmp_path / "license-keys.json"
    path.write_text('{"format": 1')
    result = runner.invoke(args=["keys", "import-file", str(path)])
    assert result.exit_code == 1 and "is not valid JSON" in result.output
    assert list(key_rows()) == [keyring.signing_key_id]


def test_a_public_key_alone_verifies_what_it_signed(client, runner, tmp_path, restore_keyring):
    lost = new_keyring()
    [record] = lost.published()
    certificate = issue_certificate(paid_claims(), lost)
    result = runner.invoke(args=["keys", "import-public", record["kid"], record["public_key"]])
    assert result.exit_code == 0 and f"Published key {record['kid']} (public key only)" in result.output
    assert extractor.verify_certificate(certificate, published(client)).serial == paid_claims()["serial"]
    assert f"{record['kid']}  Ed25519  (public key only)" in runner.invoke(args=["keys", "list"]).output


def test_a_public_key_under_the_wrong_id_is_refused(runner, tmp_path, keyring):
    [record] = new_keyring().published()
    result = runner.invoke(args=["keys", "import-public", "0000000000000000", record["public_key"]])
    assert result.exit_code == 1 and "does not match its public key" in result.output
    assert list(key_rows()) == [keyring.signing_key_id]
