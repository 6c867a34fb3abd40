"""The LicenseExtractor against what the portal publishes."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app.licensing import extractor
from tests.support.licensing import VECTORS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def issued(client, make_license, tmp_path):
    """A portal certificate and the key set downloaded from /.well-known/license-keys."""
    license = make_license(accounts=50)
    cert = tmp_path / "license.lic"
    cert.write_text(license.current_certificate.text)
    keys = tmp_path / "license-keys.json"
    keys.write_bytes(client.get("/.well-known/license-keys").get_data())
    return license, cert, keys


def run_extractor(*args):
    return subprocess.run(
        [sys.executable, "-m", "app.licensing.extractor", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )


def test_portal_certificate_verifies_with_the_extractor_process(issued):
    license, cert, keys = issued
    result = run_extractor(cert, "--keys", keys, "--format", "json", "--accounts", "60")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["claims"]["license_code"] == license.code
    assert report["claims"]["accounts"] == 50
    assert report["accounts_policy"]["verdict"] == "BLOCKED"  # 60 is 20% over 50
    assert "Traceback" not in result.stderr


def test_flipping_any_byte_makes_the_extractor_fail(issued, capsys):
    _, cert, keys = issued
    original = cert.read_bytes()
    body_start = original.index(b"\n") + 1
    for position in range(len(original)):
        flipped = bytearray(original)
        flipped[position] ^= 0x01
        if bytes(flipped).strip() == original.strip() or chr(flipped[position]).isspace():
            continue  # whitespace is allowed to change
        cert.write_bytes(bytes(flipped))
        code = extractor.main([str(cert), "--keys", str(keys)])
        assert code == 1, f"byte {position} flipped gave exit {code}"
    capsys.readouterr()
    # and as a separate process, for a few bytes inside the signed body
    for position in (body_start, body_start + 100, len(original) - 60):
        flipped = bytearray(original)
        flipped[position] = ord("A") if flipped[position] != ord("A") else ord("B")
        cert.write_bytes(bytes(flipped))
        result = run_extractor(cert, "--keys", keys)
        assert result.returncode == 1, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_flask_license_extract(runner, issued):
    _, cert, keys = issued
    result = runner.invoke(args=["license", "extract", str(cert), "--keys", str(keys)])
    assert result.exit_code == 0
    assert "50" in result.output


def test_build_extractor_writes_one_file_that_runs_alone(runner, tmp_path):
    built = tmp_path / "build" / "extractor.pyz"
    result = runner.invoke(args=["license", "build-extractor", "--out", str(built)])
    assert result.exit_code == 0, result.output
    assert f"Wrote the LicenseExtractor to {built}" in result.output

    server = tmp_path / "cp"
    server.mkdir()
    shutil.copy(built, server / "extractor.pyz")
    shutil.copy(VECTORS / "license-keys.json", server / "license-keys.json")
    certificate = (VECTORS / "certificate-paid.txt").read_text()
    (server / "license.txt").write_text(certificate)
    lines = certificate.splitlines()
    lines[3] = lines[3][:10] + ("A" if lines[3][10] != "A" else "B") + lines[3][11:]
    (server / "tampered.txt").write_text("\n".join(lines))

    def run(certificate):
        command = [sys.executable, "-I", "extractor.pyz", certificate, "--keys", "license-keys.json"]
        return subprocess.run(
            [*command, "--accounts", "260"], capture_output=True, text=True, cwd=server, timeout=30
        )

    valid = run("license.txt")
    assert (valid.returncode, valid.stderr) == (0, "")
    assert "License code        HSL-7K2Q-M9XD-4RTP" in valid.stdout
    assert "Customer            #42 ops@example.com, Müller Hosting GmbH" in valid.stdout
    assert "Verdict             GRACE: over by less than 10%" in valid.stdout
    tampered = run("tampered.txt")
    assert tampered.returncode == 1
    assert tampered.stdout == ""
    assert tampered.stderr.startswith("invalid certificate: ")
    assert len(tampered.stderr.splitlines()) == 1


def test_build_extractor_writes_to_the_instance_folder_by_default(app, runner):
    result = runner.invoke(args=["license", "build-extractor"])
    built = Path(app.instance_path) / "extractor.pyz"
    assert result.exit_code == 0
    assert f"Wrote the LicenseExtractor to {built}" in result.output
    assert zipfile.is_zipfile(built)


def test_build_extractor_into_a_folder_says_why_it_cannot(runner, tmp_path):
    result = runner.invoke(args=["license", "build-extractor", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "is a directory" in result.output
    assert not list(tmp_path.iterdir())
