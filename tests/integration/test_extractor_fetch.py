"""The LicenseExtractor's `fetch` against a running portal, as a control panel uses it.

The extractor is built as one file, copied alone into a temporary folder and run as its own process.
"""

import json
import shutil
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from werkzeug.serving import make_server

from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.licensing.extractor_file import build_extractor_file
from app.licensing.issuing import issue_next_certificate
from tests.factories import STANDARD_TERMS


@pytest.fixture(scope="module")
def extractor_file(tmp_path_factory):
    return build_extractor_file(tmp_path_factory.mktemp("build") / "extractor.pyz")


@pytest.fixture
def settings():
    return {"SERVER_NAME": None, "RATELIMIT_ENABLED": False}


@pytest.fixture
def portal(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


class Server:
    """One control-panel server: its own folder, state file and certificate."""

    def __init__(self, folder, portal, hostname, extractor_file):
        folder.mkdir()
        shutil.copy(extractor_file, folder / "extractor.pyz")
        self.folder, self.portal, self.hostname = folder, portal, hostname
        self.state, self.certificate = folder / "state.json", folder / "license.lic"

    def fetch(self, code, *extra, accounts=None):
        args = [
            "--portal",
            self.portal,
            "--code",
            code,
            "--hostname",
            self.hostname,
            "--state",
            str(self.state),
        ]
        args += ["--out", str(self.certificate)]
        if accounts is not None:
            args += ["--accounts", str(accounts)]
        result = subprocess.run(
            [sys.executable, "-I", "extractor.pyz", "fetch", *args, *extra],
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "Traceback" not in result.stderr
        return result

    def installed(self, keyring):
        return verify_certificate(self.certificate.read_text(), keyring.public_keys())

    def saved(self):
        return json.loads(self.state.read_text())


@pytest.fixture
def server(tmp_path, portal, extractor_file):
    return Server(tmp_path / "cp1", portal, "cp1.example.com", extractor_file)


def test_activate_check_in_upgrade_and_check_in_again(server, make_license, keyring):
    license = make_license(accounts=50)

    first = server.fetch(license.code, accounts=40)

    assert first.returncode == 0, first.stderr
    assert "License code        " + license.code in first.stdout
    assert "Portal verdict      OK" in first.stdout
    assert server.installed(keyring).serial == 1
    state = server.saved()
    assert stat.S_IMODE(server.state.stat().st_mode) == 0o600
    assert state["installation_token"].startswith("cpi_") and state["highest_serial"] == 1
    assert [key["kid"] for key in state["keys"]] == [keyring.signing_key_id]

    license.accounts = 75
    issue_next_certificate(
        db.session, license, keyring, STANDARD_TERMS, reason="upgrade", now=datetime.now(UTC)
    )
    db.session.commit()
    second = server.fetch(license.code, accounts=70)

    assert second.returncode == 0, second.stderr
    assert (server.installed(keyring).serial, server.installed(keyring).accounts) == (2, 75)
    assert "Licensed accounts   75" in second.stdout
    assert server.saved()["installation_token"] == state["installation_token"]


def test_over_the_license_prints_the_verdict_and_packs(server, make_license):
    license = make_license(accounts=50)
    result = server.fetch(license.code, accounts=60)
    assert result.returncode == 0
    assert "Portal verdict      BLOCKED (1 packs needed)" in result.stdout


def test_a_revoked_license_exits_5_and_installs_the_revoked_certificate(
    app, server, make_license, keyring, staff
):
    from app.support.licenses import revoke_license

    license = make_license(accounts=50)
    assert server.fetch(license.code, accounts=10).returncode == 0
    with app.test_request_context():  # the customer's email links to the license page
        revoke_license(
            db.session,
            license,
            staff,
            reason="chargeback",
            keyring=keyring,
            terms=STANDARD_TERMS,
            now=datetime.now(UTC),
        )
        db.session.commit()

    result = server.fetch(license.code, accounts=10)

    assert result.returncode == 5
    assert "revoked" in result.stderr
    assert server.installed(keyring).status == "revoked"


def test_activating_a_revoked_license_exits_5(server, make_license):
    license = make_license()
    license.status = "revoked"
    db.session.commit()
    result = server.fetch(license.code, accounts=1)
    assert result.returncode == 5 and "license_revoked" in result.stderr


def test_a_second_server_is_refused_until_the_first_releases(
    server, tmp_path, portal, make_license, extractor_file
):
    license = make_license()
    other = Server(tmp_path / "cp2", portal, "cp2.example.com", extractor_file)
    assert server.fetch(license.code, accounts=1).returncode == 0

    refused = other.fetch(license.code, accounts=1)
    assert (
        refused.returncode == 2
        and "license_in_use" in refused.stderr
        and "cp1.example.com" not in refused.stderr  # the other server is not named to a stranger
    )

    released = server.fetch(license.code, "--release")
    assert released.returncode == 0 and "Released" in released.stdout
    assert "installation_token" not in server.saved()
    assert other.fetch(license.code, accounts=1).returncode == 0


def test_unknown_code_exits_2_and_writes_nothing(server):
    result = server.fetch("HSL-2222-3333-4444", accounts=1)
    assert result.returncode == 2 and "license_not_found" in result.stderr
    assert not server.certificate.exists()


def test_an_older_serial_than_seen_before_is_refused_with_exit_4(server, make_license):
    license = make_license()
    assert server.fetch(license.code, accounts=1).returncode == 0
    state = server.saved()
    server.state.write_text(json.dumps({**state, "highest_serial": 9}))
    result = server.fetch(license.code, accounts=1)
    assert result.returncode == 4 and "older than serial 9" in result.stderr


def test_a_changed_portal_key_not_signed_by_the_pinned_key_is_refused(server, make_license):
    from app.licensing.keys import KeyRing

    license = make_license()
    assert server.fetch(license.code, accounts=1).returncode == 0
    stranger = KeyRing(Ed25519PrivateKey.generate())
    server.state.write_text(json.dumps({**server.saved(), "keys": stranger.published()}))

    result = server.fetch(license.code, accounts=1)

    assert result.returncode == 1 and "not signed by a key pinned earlier" in result.stderr


def test_check_in_needs_accounts(server, make_license):
    license = make_license()
    assert server.fetch(license.code).returncode == 0  # the first time it activates only
    result = server.fetch(license.code)
    assert result.returncode == 2 and "--accounts N is needed" in result.stderr
