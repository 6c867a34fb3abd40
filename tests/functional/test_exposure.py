"""What strangers learn or cause: another server's name, usage emails, readiness details, webhooks."""

import json

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import License, Order
from config import TestConfig
from tests.conftest import sent_mail
from tests.functional.test_api import activate, check_in
from tests.support.localstripe import sign_webhook
from tests.support.payments import payment_intent, post_webhook, stripe_event

METRICS_TOKEN = "metrics-secret-for-tests"  # noqa: S105 (a test value)


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False, "METRICS_TOKEN": METRICS_TOKEN}


def test_a_license_in_use_does_not_name_the_other_server(client, make_license):
    license = make_license()
    assert activate(client, license.code, hostname="cp-secret.example.com").status_code == 201

    response = activate(client, license.code, install_id="another-server-id", hostname="cp2.example.com")

    assert response.status_code == 409
    message = response.json["error"]["message"]
    assert "cp-secret.example.com" not in message
    assert "active on another server" in message and "Release this server" in message


def test_a_server_going_in_and_out_of_grace_emails_each_verdict_once_a_day(client, make_license, customer):
    license = make_license(accounts=100)
    token = activate(client, license.code).json["installation_token"]

    for created in [50, 105, 50, 105, 130, 105, 130, 50, 105, 130] * 3:
        assert check_in(client, token, created).status_code == 200

    subjects = [message.subject for message in sent_mail(customer.email)]
    assert subjects == [
        f"License {license.code}: 105 accounts, GRACE",
        f"License {license.code}: 130 accounts, BLOCKED",
    ]


def broken_app(app_settings, **extra):
    """A host given another LICENSE_KEY_SECRET than the others: it cannot open the shared keyring."""
    wrong = {"LICENSE_KEY_SECRET": "not-the-secret-the-other-hosts-share"}
    return create_app(TestConfig(), **{**app_settings, **wrong, **extra})


def test_an_anonymous_caller_learns_only_that_the_host_is_not_ready(app_settings, _migrated):
    response = broken_app(app_settings).test_client().get("/readyz")
    assert (response.status_code, response.json) == (503, {"status": "not ready", "signing_key": None})


def test_an_anonymous_caller_learns_only_that_the_host_is_ready_and_its_public_key_id(client, keyring):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready", "signing_key": keyring.signing_key_id}


def test_an_operator_with_the_token_reads_which_part_fails(app_settings, _migrated):
    broken = broken_app(app_settings, METRICS_TOKEN=METRICS_TOKEN)
    response = broken.test_client().get("/readyz", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 503 and response.json["failing"] == ["signing key"]


def test_an_operator_from_an_allowed_address_reads_which_part_fails(app_settings, _migrated):
    broken = broken_app(app_settings, METRICS_ALLOW=("10.9.0.0/16",))
    response = broken.test_client().get("/readyz", environ_base={"REMOTE_ADDR": "10.9.1.2"})
    assert response.status_code == 503 and response.json["checks"]["signing key"] == "failing: KeyRingError"


@pytest.mark.parametrize("intent_id", [None, ""])
def test_a_signed_success_without_a_payment_intent_id_changes_nothing(client, make_stripe_order, intent_id):
    order = make_stripe_order()
    event = stripe_event("payment_intent.succeeded", payment_intent(order, id=intent_id))
    body = json.dumps(event).encode()

    response = post_webhook(client, body, sign_webhook(body, TestConfig.STRIPE_WEBHOOK_SECRET))

    assert response.status_code == 200
    db.session.rollback()
    assert db.session.get(Order, order.id).status == "pending"
    assert db.session.scalars(select(License)).all() == []
