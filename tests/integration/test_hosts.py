"""Two portal hosts (gunicorn, own instance folders) on one PostgreSQL and one Redis.

What an operator following docs/deployment.md gets: both hosts migrate at once without failing,
sign with one key, publish one key set, and add up their worker processes' metrics.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from app.licensing import extractor
from config import database_url
from tests.support.databases import scratch_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
METRICS_TOKEN = "hosts-scrape-token"
HEALTHZ_COUNT = r'flask_http_request_duration_seconds_count\{endpoint="ops.healthz"[^}]*\} (\S+)'
ISSUE_CERTIFICATE = """
import sys
from datetime import UTC, datetime

from app import create_app
from app.extensions import db
from app.licensing.issuing import issue_next_certificate, new_license
from app.models import User
from app.web.services import current_keyring, current_terms

with create_app().app_context():
    user = User(email=sys.argv[1], password_hash="-", confirmed_at=datetime.now(UTC))
    db.session.add(user)
    terms, now = current_terms(), datetime.now(UTC)
    license = new_license(db.session, user, kind="paid", accounts=50, now=now, support_days=365)
    keyring = current_keyring()
    certificate = issue_next_certificate(db.session, license, keyring, terms, reason="purchase", now=now)
    db.session.commit()
    print(certificate.text)
"""


@pytest.fixture
def shared_database(tmp_path):
    """A PostgreSQL database of the hosts' own, beside the tests' (DATABASE_URL), made empty."""
    if not database_url("").startswith("postgresql"):
        pytest.skip("two hosts share PostgreSQL: set DATABASE_URL to a PostgreSQL database")
    with scratch_database("hosts", tmp_path) as url:
        yield url


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Host:
    """One portal host: its own instance folder and metrics folder, the fleet's shared environment."""

    def __init__(self, name, folder, shared):
        self.name, self.port, self.server = name, free_port(), None
        self.env = {
            **{key: value for key, value in os.environ.items() if not key.startswith(("PORTAL_", "FLASK_"))},
            **shared,
            "INSTANCE_PATH": str(folder / "instance"),
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }
        self.log = folder / "gunicorn.log"

    def flask(self, *args):
        return subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, *args):
        process = self.flask(*args)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, f"{self.name}: flask {' '.join(args)}:\n{output}"
        return output

    def issue_certificate(self, email):
        command = [sys.executable, "-c", ISSUE_CERTIFICATE, email]
        run = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr[-3000:]
        return run.stdout

    def serve(self):
        command = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "wsgi:app"]
        with open(self.log, "w") as log:
            self.server = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)

    def get(self, path, operator=False):
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"} if operator else {}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path, operator=False):
        status, body = self.get(path, operator)
        return status, json.loads(body)

    def wait_until_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.server.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} not ready: {self.json('/readyz', operator=True)}")

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)  # a quick shutdown: no request is left to finish
            self.server.wait(timeout=10)

    def key_set(self):
        status, body = self.json("/.well-known/license-keys")
        assert status == 200
        return extractor.key_set_from_records(body["keys"])


@pytest.fixture
def hosts(shared_database, redis_url, tmp_path):
    shared = {
        "PORTAL_ENV": "production",
        "DATABASE_URL": shared_database,
        "QUEUE_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "SECRET_KEY": "hosts-shared-secret-key",
        "LICENSE_KEY_SECRET": "hosts-shared-license-key-secret-0123456789",
        "PORTAL_URL": "http://portal.test",
        "METRICS_TOKEN": METRICS_TOKEN,
        "STRIPE_SECRET_KEY": "sk_test_hosts",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_hosts",
        "STRIPE_WEBHOOK_SECRET": "whsec_hosts",
        "SELLER_NAME": "Example Control Panel Software GmbH",
        "SELLER_ADDRESS": "Beispielstraße 1\\n10115 Berlin",
        "SELLER_COUNTRY": "DE",
        "SELLER_VAT_ID": "DE136695976",
        "LOG_FORMAT": "text",
    }
    pair = [Host(name, tmp_path / name, shared) for name in ("host-a", "host-b")]
    yield pair
    for host in pair:
        host.stop()


def test_two_hosts_migrate_at_once_sign_with_one_key_and_publish_one_key_set(hosts):
    a, b = hosts
    # Both hosts deploy at once: one migrates, the other waits for it and finds nothing to do.
    upgrades = [host.flask("db", "upgrade") for host in hosts]
    for host, upgrade in zip(hosts, upgrades, strict=True):
        output, _ = upgrade.communicate(timeout=120)
        assert upgrade.returncode == 0, f"{host.name}:\n{output}"

    a.run("keys", "generate")
    for host in hosts:
        host.serve()
    for host in hosts:
        host.wait_until_ready()
    readiness = [host.json("/readyz", operator=True)[1] for host in hosts]
    assert readiness[0]["signing_key"] == readiness[1]["signing_key"]
    assert readiness[0]["configuration"] == readiness[1]["configuration"]
    first_key = readiness[0]["signing_key"]

    # Issued by host A, verified with the key set host B publishes.
    certificate = a.issue_certificate("buyer@example.com")
    assert extractor.verify_certificate(certificate, b.key_set()).key_id == first_key

    # A rotation on host B: both publish the new key at once, neither signs with it yet.
    b.run("keys", "rotate")
    key_sets = [host.key_set() for host in hosts]
    assert list(key_sets[0]) == list(key_sets[1]) and len(key_sets[0]) == 2
    assert [host.json("/readyz")[1]["signing_key"] for host in hosts] == [first_key, first_key]
    later = a.issue_certificate("second@example.com")
    assert extractor.verify_certificate(later, b.key_set()).key_id == first_key

    assert_metrics_add_up_the_worker_processes(a)


def assert_metrics_add_up_the_worker_processes(host):
    for _ in range(20):
        assert host.get("/healthz")[0] == 200
    counts = set()
    for _ in range(4):  # each scrape may be answered by either gunicorn worker
        body = host.get("/metrics", operator=True)[1].decode()
        [count] = re.findall(HEALTHZ_COUNT, body)
        counts.add(float(count))
    assert counts == {20.0}
