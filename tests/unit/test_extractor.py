"""The LicenseExtractor run as a separate process, the way an operator runs it on a CP server."""

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from app.licensing.extractor.certificate_format import parse_timestamp
from tests.support.licensing import (
    ROOT,
    VECTORS,
    new_keyring,
    vector_certificate,
    vector_claims,
)

KEYS = str(VECTORS / "license-keys.json")
PUBLIC_KEY = str(VECTORS / "public-key.pem")
PAID = str(VECTORS / "certificate-paid.txt")
TRIAL = str(VECTORS / "certificate-trial.txt")
REVOKED = str(VECTORS / "certificate-revoked.txt")
DURING_TRIAL = "2025-01-15T00:00:00Z"


def extract(*args, stdin=None, command=(sys.executable, "-m", "app.licensing.extractor"), cwd=ROOT):
    result = subprocess.run(
        [*command, *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )
    assert "Traceback" not in result.stderr
    return result


def assert_fails(result, code, message):
    assert result.returncode == code
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr


def test_valid_certificate_prints_the_license_as_text():
    result = extract(PAID, "--keys", KEYS)
    assert result.returncode == 0
    assert result.stderr == ""
    assert "License code        HSL-7K2Q-M9XD-4RTP" in result.stdout
    assert "Licensed accounts   250" in result.stdout
    assert "Customer            #42 ops@example.com, Müller Hosting GmbH" in result.stdout
    assert "Verdict" not in result.stdout


def test_json_format_holds_the_signed_claims():
    result = extract(PAID, "--public-key", PUBLIC_KEY, "--format", "json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["claims"] == vector_claims("paid")
    assert (report["signature"], report["expired"], report["revoked"]) == ("valid", False, False)


@pytest.mark.parametrize("source", [(), ("-",)], ids=["no-argument", "dash"])
def test_certificate_can_come_from_stdin(source):
    result = extract(*source, "--keys", KEYS, stdin=vector_certificate("paid").replace("\n", "\r\n"))
    assert result.returncode == 0
    assert "HSL-7K2Q-M9XD-4RTP" in result.stdout


def test_out_writes_the_report_to_a_file(tmp_path):
    out = tmp_path / "license-info.json"
    result = extract(PAID, "--keys", KEYS, "--format", "json", "--out", str(out))
    assert result.returncode == 0
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["claims"]["serial"] == 3


@pytest.mark.parametrize(
    ("created", "verdict", "packs"),
    [(250, "OK", 0), (274, "GRACE", 1), (275, "BLOCKED", 1), (301, "BLOCKED", 3)],
)
def test_accounts_adds_the_policy_verdict(created, verdict, packs):
    text = extract(PAID, "--keys", KEYS, "--accounts", str(created))
    assert f"Verdict             {verdict}: " in text.stdout
    report = json.loads(extract(PAID, "--keys", KEYS, "--accounts", str(created), "--format", "json").stdout)
    assert report["accounts_policy"]["verdict"] == verdict
    assert report["accounts_policy"]["packs_needed"] == packs


def test_percent_over_is_reported():
    report = json.loads(extract(PAID, "--keys", KEYS, "--accounts", "260", "--format", "json").stdout)
    assert report["accounts_policy"]["percent_over"] == 4.0
    assert "Over the license    4.00%" in extract(PAID, "--keys", KEYS, "--accounts", "260").stdout


def test_revoked_license_is_valid_but_shown_revoked_and_blocked():
    result = extract(REVOKED, "--keys", KEYS, "--accounts", "10")
    assert result.returncode == 0
    assert "Status              REVOKED" in result.stdout
    assert "Verdict             BLOCKED: the license is revoked" in result.stdout


def test_trial_before_expiry_is_valid():
    result = extract(TRIAL, "--keys", KEYS, "--now", DURING_TRIAL, "--accounts", "26")
    assert result.returncode == 0
    assert "Verdict             GRACE" in result.stdout


def test_expired_trial_exits_3_and_still_shows_the_license():
    result = extract(TRIAL, "--keys", KEYS, "--now", "2025-02-01T00:00:00Z", "--accounts", "1")
    assert_fails(result, 3, "expired: the trial license expired at 2025-01-31T09:30:00Z")
    assert "EXPIRED" in result.stdout
    assert "Verdict             BLOCKED: the trial has expired" in result.stdout


def test_older_serial_than_installed_exits_4():
    assert_fails(
        extract(PAID, "--keys", KEYS, "--min-serial", "4"), 4, "serial 3 is older than installed serial 4"
    )
    assert extract(PAID, "--keys", KEYS, "--min-serial", "3").returncode == 0


def test_tampered_certificate_exits_1(tmp_path):
    lines = vector_certificate("paid").splitlines()
    lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
    tampered = tmp_path / "tampered.txt"
    tampered.write_text("\n".join(lines))
    assert_fails(extract(str(tampered), "--keys", KEYS), 1, "invalid certificate: ")


def test_certificate_from_an_unknown_key_exits_1(tmp_path):
    other_keys = tmp_path / "other-keys.json"
    other_keys.write_text(json.dumps({"keys": new_keyring().published()}))
    assert_fails(extract(PAID, "--keys", str(other_keys)), 1, "signed with unknown key '55785c70c7accded'")


def test_text_that_is_not_a_certificate_exits_1():
    assert_fails(extract("--keys", KEYS, stdin="hello\n"), 1, "no '-----BEGIN LICENSE CERTIFICATE-----' line")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.txt", "--keys", KEYS), "cannot read missing.txt"),
        ((PAID, "--keys", "missing.json"), "cannot use key file missing.json"),
        ((PAID, "--keys", PAID), "it is not a JSON key set"),
        ((PAID, "--keys", str(VECTORS / "claims-paid.json")), 'the key set must be {"keys": [...]}'),
        ((PAID, "--keys", PUBLIC_KEY), "it is not a JSON key set"),
        ((PAID, "--public-key", KEYS), "it holds no readable PEM public key"),
        ((PAID,), "one of the arguments --public-key --keys is required"),
        ((PAID, "--keys", KEYS, "--public-key", PUBLIC_KEY), "not allowed with argument"),
        ((PAID, "--keys", KEYS, "--format", "xml"), "invalid choice: 'xml'"),
        ((PAID, "--keys", KEYS, "--accounts", "many"), "invalid non-negative integer value: 'many'"),
        ((PAID, "--keys", KEYS, "--now", "yesterday"), "invalid ISO 8601 time value"),
        ((PAID, "--keys", KEYS, "--verbose"), "unrecognized arguments: --verbose"),
    ],
)
def test_unreadable_input_or_bad_usage_exits_2(args, message):
    assert_fails(extract(*args), 2, message)


def test_unwritable_out_exits_2(tmp_path):
    assert_fails(extract(PAID, "--keys", KEYS, "--out", str(tmp_path)), 2, f"cannot write {tmp_path}")


def test_help_exits_0():
    result = extract("--help")
    assert result.returncode == 0
    assert "--min-serial" in result.stdout


def test_timestamps_are_read_as_utc():
    assert parse_timestamp("2024-02-29T23:59:59Z") == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2025-02-29T00:00:00Z",
        "2025-13-01T00:00:00Z",
        "2025-01-31T24:00:00Z",
        "2025-01-31T09:30:60Z",
        "2025-01-31 09:30:00Z",
        "2025-01-31T09:30:00",
        "2025-01-31T09:30:00+00:00",
        "2025-1-31T09:30:00Z",
        "2025-01- 1T09:30:00Z",
        "２025-01-31T09:30:00Z",
        "0000-01-01T00:00:00Z",
        None,
    ],
)
def test_timestamps_other_than_the_one_strict_format_are_refused(text):
    """Exactly YYYY-MM-DDTHH:MM:SSZ in ASCII digits, and a real date and time."""
    with pytest.raises(ValueError):
        parse_timestamp(text)
