"""What an operator watches: health and readiness, request ids and logs, guarded metrics."""

import hashlib
import io
import json
import logging
import os
import socket
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.licensing import keystore
from app.models.base import utcnow
from app.ops.health import code_schema_revisions
from config import TestConfig

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


OPERATOR = {"METRICS_ALLOW": ("127.0.0.1",)}


@pytest.mark.parametrize("settings", [OPERATOR])
def test_readyz_is_ready_when_database_schema_key_and_queue_answer(client, keyring):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "schema": "ok", "signing key": "ok", "queue": "ok"}
    assert (response.json["failing"], response.json["degraded"]) == ([], [])
    assert response.json["signing_key"] == keyring.signing_key_id


@pytest.mark.parametrize(
    ("override", "part"),
    [
        ({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/portal"}, "database"),
        ({"LICENSE_KEY_SECRET": "a-secret-the-other-hosts-were-not-given"}, "signing key"),
    ],
)
def test_readyz_answers_503_naming_the_part_that_does_not_answer(app_settings, _migrated, override, part):
    broken = create_app(TestConfig(), **{**app_settings, **OPERATOR, **override})
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready" and response.json["failing"] == [part]


def test_readyz_stays_ready_but_degraded_while_the_queue_is_down(app_settings, _migrated, keyring):
    """Every web host shares the queue: were it to fail them all, pages that still work would go too."""
    queue_down = create_app(
        TestConfig(), **{**app_settings, **OPERATOR, "QUEUE_URL": "redis://127.0.0.1:1/13"}
    )
    response = queue_down.test_client().get("/readyz")
    assert response.status_code == 200
    assert (response.json["status"], response.json["failing"], response.json["degraded"]) == (
        "ready",
        [],
        ["queue"],
    )
    assert response.json["signing_key"] == keyring.signing_key_id
    metrics = queue_down.test_client().get("/metrics").get_data(as_text=True)
    assert 'portal_dependency_up{part="queue"} 0.0' in metrics


def test_readyz_waits_for_a_queue_that_hangs_no_longer_than_the_probe_allows(app_settings, _migrated):
    """A Redis that accepts connections but never answers must not hold the load balancer's probe."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        host = create_app(TestConfig(), **{**app_settings, **OPERATOR, "QUEUE_URL": url})
        started = time.monotonic()
        response = host.test_client().get("/readyz")
    assert (response.status_code, response.json["degraded"]) == (200, ["queue"])
    assert time.monotonic() - started < 2


def test_readyz_answers_503_on_a_schema_older_than_the_code(app_settings, tmp_path, keyring):
    """New code on the old schema would answer 500s: the host stays out until `flask db upgrade` ran."""
    database = {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'portal.db'}"}
    host = create_app(TestConfig(), **{**app_settings, **OPERATOR, **database})
    head, _ = code_schema_revisions(host)
    with host.app_context():
        previous = ScriptDirectory(str(ROOT / "migrations")).get_revision(head).down_revision
        upgrade(revision=previous)
        db.engine.dispose()
    response = host.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["failing"][0] == "schema"
    assert response.json["configuration"]["schema"] == previous

    with host.app_context():
        upgrade()
        keystore.generate_key(db.session, TestConfig.LICENSE_KEY_SECRET, utcnow())
        db.session.commit()
    assert host.test_client().get("/readyz").json["failing"] == []
    with host.app_context():
        # Migrated for the next release (additive), this code still serves while the rollout goes on.
        db.session.execute(text("UPDATE alembic_version SET version_num = 'a_newer_revision'"))
        db.session.commit()
        db.engine.dispose()
    assert host.test_client().get("/readyz").status_code == 200


@pytest.mark.parametrize("settings", [OPERATOR])
def test_readyz_shows_operators_what_must_match_across_hosts(app, client, keyring):
    configuration = client.get("/readyz").json["configuration"]
    assert configuration["keyring"] == keystore.keyring_id(keyring)
    assert configuration["secret_key"] == hashlib.sha256(b"test-secret-key").hexdigest()[:12]
    assert "test-secret-key" not in json.dumps(client.get("/readyz").json)
    app.config["SECRET_KEY"] = "another-hosts-secret-key"
    assert client.get("/readyz").json["configuration"]["secret_key"] != configuration["secret_key"]


def test_a_given_request_id_is_returned_and_one_is_made_otherwise(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    forged = client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 300}).headers["X-Request-ID"]
    assert len(forged) == 32 and " " not in forged


@pytest.fixture
def log_lines():
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "portal_handler", False)]
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield lambda: stream.getvalue().splitlines()
    handler.setStream(old)


@pytest.mark.parametrize("settings", [{"LOG_FORMAT": "json"}])
def test_production_logs_one_json_line_per_request(customer_browser, customer, log_lines):
    customer_browser.get("/licenses", headers={"X-Request-ID": "req-42"})
    entries = [json.loads(line) for line in log_lines()]
    [entry] = [e for e in entries if e.get("path") == "/licenses"]
    assert entry["method"] == "GET" and entry["status"] == 200 and entry["request_id"] == "req-42"
    assert entry["user_id"] == str(customer.id) and entry["duration_ms"] >= 0
    # Lines from many hosts and worker processes meet in one place: each says where it came from.
    assert (entry["host"], entry["pid"]) == (socket.gethostname(), os.getpid())


def test_development_logs_are_readable_text(client, log_lines):
    client.get("/healthz", headers={"X-Request-ID": "req-7"})
    assert any("GET /healthz 200" in line for line in log_lines())


def test_metrics_are_refused_without_the_token_or_an_allowed_address(app, client):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics/portal").status_code == 403
    app.config["METRICS_TOKEN"] = "scrape-secret"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    app.config["METRICS_ALLOW"] = ("10.0.0.0/8",)
    assert client.get("/metrics").status_code == 403


def test_metrics_with_the_token_show_requests_and_business_numbers(app, client):
    app.config["METRICS_TOKEN"] = "scrape-secret"
    client.get("/healthz")
    body = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).get_data(as_text=True)
    assert 'flask_http_request_total{method="GET",status="200"}' in body
    assert "flask_http_request_duration_seconds_bucket" in body and 'endpoint="ops.healthz"' in body
    assert 'portal_dependency_up{part="queue"} 1.0' in body
    # The business numbers are the same on every host: they have a path of their own, scraped once.
    assert "portal_orders_paid_total" not in body
    portal = client.get("/metrics/portal", headers={"Authorization": "Bearer scrape-secret"})
    for name in (
        "portal_orders_paid_total",
        "portal_outbox_messages",
        "portal_outbox_oldest_queued_age_seconds",
    ):
        assert name in portal.get_data(as_text=True)
    assert "flask_http_request_total" not in portal.get_data(as_text=True)


def test_metrics_answer_an_allowed_address(app, client):
    app.config["METRICS_ALLOW"] = ("127.0.0.0/8",)
    assert client.get("/metrics").status_code == 200
