"""What an operator watches: health and readiness, request ids and logs, guarded metrics."""

import io
import json
import logging

import pytest

from app import create_app
from config import TestConfig


def test_healthz_answers_while_the_process_runs(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


@pytest.mark.parametrize("settings", [{"METRICS_ALLOW": ("127.0.0.1",)}])
def test_readyz_is_ready_when_database_key_and_queue_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "signing key": "ok", "queue": "ok"}


@pytest.mark.parametrize(
    ("override", "part"),
    [
        ({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/portal"}, "database"),
        ({"QUEUE_URL": "redis://127.0.0.1:1/13"}, "queue"),
        ({"LICENSE_KEYS_PATH": "/nonexistent-folder/license-keys.json"}, "signing key"),
    ],
)
def test_readyz_answers_503_naming_the_part_that_does_not_answer(app_settings, _migrated, override, part):
    broken = create_app(TestConfig(), **{**app_settings, "METRICS_ALLOW": ("127.0.0.1",), **override})
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "not ready" and response.json["failing"] == [part]


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


def test_development_logs_are_readable_text(client, log_lines):
    client.get("/healthz", headers={"X-Request-ID": "req-7"})
    assert any("GET /healthz 200" in line for line in log_lines())


def test_metrics_are_refused_without_the_token_or_an_allowed_address(app, client):
    assert client.get("/metrics").status_code == 403
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
    for name in (
        "portal_orders_paid_total",
        "portal_outbox_messages",
        "portal_outbox_oldest_queued_age_seconds",
    ):
        assert name in body


def test_metrics_answer_an_allowed_address(app, client):
    app.config["METRICS_ALLOW"] = ("127.0.0.0/8",)
    assert client.get("/metrics").status_code == 200
