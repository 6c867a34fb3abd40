"""The machine API a control panel talks to: activations, check-ins, release, errors and tokens."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.api.installations import hash_token
from app.extensions import db
from app.licensing.extractor import verify_certificate
from app.models import Installation, UsageReport
from tests.conftest import sent_mail
from tests.factories import STANDARD_TERMS, add_order

INSTALL_ID = "a1b2c3d4e5f60718"


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False}


def activate(client, code, install_id=INSTALL_ID, hostname="cp1.example.com"):
    return client.post(
        "/api/v1/activations", json={"license_code": code, "install_id": install_id, "hostname": hostname}
    )


def check_in(client, token, created):
    return client.post(
        "/api/v1/check-ins", json={"created_accounts": created}, headers={"Authorization": f"Bearer {token}"}
    )


def release(client, token):
    return client.delete("/api/v1/activations/current", headers={"Authorization": f"Bearer {token}"})


def error_code(response):
    return response.json["error"]["code"]


def test_activation_returns_a_token_once_and_the_current_certificate(client, make_license, keyring):
    license = make_license(accounts=50)

    response = activate(client, license.code.lower())

    assert response.status_code == 201
    body = response.json
    claims = verify_certificate(body["certificate"], keyring.public_keys())
    assert (claims.license_code, claims.serial) == (license.code, 1)
    assert (body["license_code"], body["licensed_accounts"], body["min_serial"]) == (license.code, 50, 1)
    installation = db.session.scalar(select(Installation))
    assert installation.hostname == "cp1.example.com" and installation.install_id == INSTALL_ID
    assert installation.token_hash == hash_token(body["installation_token"])
    assert body["installation_token"] not in installation.token_hash


def test_unknown_code_is_license_not_found(client):
    response = activate(client, "HSL-2222-3333-4444")
    assert (response.status_code, error_code(response)) == (404, "license_not_found")
    assert db.session.scalar(select(Installation)) is None


def test_second_server_is_refused_with_license_in_use(client, make_license):
    license = make_license()
    assert activate(client, license.code).status_code == 201

    response = activate(client, license.code, install_id="another-server-id", hostname="cp2.example.com")

    assert (response.status_code, error_code(response)) == (409, "license_in_use")
    assert "cp1.example.com" not in response.json["error"]["message"]
    assert "Release this server" in response.json["error"]["message"]


@pytest.mark.parametrize("settings", [{"RATELIMIT_ENABLED": False, "MAX_INSTALLATIONS": 2}])
def test_max_installations_allows_that_many_servers(client, make_license):
    license = make_license()
    assert activate(client, license.code).status_code == 201
    assert activate(client, license.code, install_id="second-server").status_code == 201
    assert activate(client, license.code, install_id="third-server-id").status_code == 409


def test_revoked_license_is_refused(client, make_license):
    license = make_license()
    license.status = "revoked"
    db.session.commit()
    response = activate(client, license.code)
    assert (response.status_code, error_code(response)) == (403, "license_revoked")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"install_id": INSTALL_ID, "hostname": "cp1"}, "license_code"),
        ({"license_code": "HSL-2222-3333-4444", "install_id": "short", "hostname": "cp1"}, "install_id"),
        ({"license_code": "HSL-2222-3333-4444", "install_id": INSTALL_ID, "hostname": "a b"}, "hostname"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_activation_bodies_are_validation_errors(client, body, field):
    response = client.post("/api/v1/activations", json=body)
    assert (response.status_code, error_code(response)) == (422, "validation_error")
    assert field in response.json["error"]["message"]
    assert db.session.scalar(select(Installation)) is None


def test_same_install_id_again_gets_a_new_token_and_the_old_one_stops(client, make_license):
    license = make_license()
    old = activate(client, license.code).json["installation_token"]
    new = activate(client, license.code).json["installation_token"]

    assert new != old
    assert (check_in(client, old, 10).status_code, error_code(check_in(client, old, 10))) == (
        401,
        "invalid_token",
    )
    assert check_in(client, new, 10).status_code == 200
    assert len(db.session.scalars(select(Installation)).all()) == 1


def test_check_in_reports_usage_and_answers_the_verdict(client, make_license, keyring):
    license = make_license(accounts=100)
    token = activate(client, license.code).json["installation_token"]

    response = check_in(client, token, 109)

    assert response.status_code == 200
    body = response.json
    assert (body["verdict"], body["packs_needed"], body["licensed_accounts"], body["min_serial"]) == (
        "GRACE",
        1,
        100,
        1,
    )
    assert verify_certificate(body["certificate"], keyring.public_keys()).serial == 1
    [report] = db.session.scalars(select(UsageReport)).all()
    assert (report.created_accounts, report.licensed_accounts, report.verdict) == (109, 100, "GRACE")


def test_a_move_to_grace_or_blocked_emails_the_customer_once_per_change(client, make_license, customer):
    license = make_license(accounts=100)
    token = activate(client, license.code).json["installation_token"]

    check_in(client, token, 50)
    assert sent_mail() == []
    check_in(client, token, 105)
    check_in(client, token, 106)
    [grace] = sent_mail(customer.email)
    assert "GRACE" in grace.subject
    assert f"/licenses/{license.code}/upgrade?accounts=25" in grace.text_body
    check_in(client, token, 130)
    messages = sent_mail(customer.email)
    assert len(messages) == 2 and "BLOCKED" in messages[1].subject
    assert f"/licenses/{license.code}/upgrade?accounts=50" in messages[1].text_body


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer cpi_unknown", "Basic abc"])
def test_check_in_without_a_valid_token_is_invalid_token(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/check-ins", json={"created_accounts": 1}, headers=headers)
    assert (response.status_code, error_code(response)) == (401, "invalid_token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "body", [{}, {"created_accounts": -1}, {"created_accounts": "12"}, {"created_accounts": True}]
)
def test_bad_check_in_bodies_are_validation_errors_and_record_nothing(client, make_license, body):
    token = activate(client, make_license().code).json["installation_token"]
    response = client.post("/api/v1/check-ins", json=body, headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, error_code(response)) == (422, "validation_error")
    assert "created_accounts" in response.json["error"]["message"]
    assert db.session.scalar(select(UsageReport)) is None


def test_release_lets_another_server_activate(client, make_license):
    license = make_license()
    token = activate(client, license.code).json["installation_token"]

    assert release(client, token).status_code == 204

    assert error_code(check_in(client, token, 1)) == "invalid_token"
    assert error_code(release(client, token)) == "invalid_token"
    assert activate(client, license.code, install_id="the-new-server").status_code == 201


def test_check_in_after_a_refund_returns_the_new_certificate_and_min_serial(
    client, make_license, customer, keyring
):
    from app.billing.fulfilment import FulfilmentSettings, apply_full_refund
    from app.licensing.issuing import issue_next_certificate

    license = make_license(accounts=50)
    order = add_order(customer, license=license, accounts=25, status="paid")
    license.accounts = 75
    issue_next_certificate(
        db.session, license, keyring, STANDARD_TERMS, reason="upgrade", now=datetime.now(UTC)
    )
    db.session.commit()
    token = activate(client, license.code).json["installation_token"]
    apply_full_refund(
        db.session, order, FulfilmentSettings(keyring, STANDARD_TERMS), datetime.now(UTC), "asked for it"
    )
    db.session.commit()

    body = check_in(client, token, 60).json

    claims = verify_certificate(body["certificate"], keyring.public_keys())
    assert (claims.serial, claims.accounts, body["min_serial"], body["verdict"]) == (3, 50, 3, "BLOCKED")
    assert body["packs_needed"] == 1


def test_check_in_of_a_revoked_license_is_blocked_with_the_revoked_certificate(
    client, make_license, keyring, staff
):
    from app.support.licenses import revoke_license

    license = make_license(accounts=50)
    token = activate(client, license.code).json["installation_token"]
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

    body = check_in(client, token, 10).json

    claims = verify_certificate(body["certificate"], keyring.public_keys())
    assert (claims.status, body["verdict"], body["min_serial"]) == ("revoked", "BLOCKED", 2)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/activations")
    assert (response.status_code, error_code(response)) == (405, "method_not_allowed")
    assert error_code(client.get("/api/v1/nothing-here")) == "not_found"


def test_openapi_document_names_every_endpoint(client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {
        "/api/v1/activations",
        "/api/v1/check-ins",
        "/api/v1/activations/current",
    }


class TestRateLimits:
    @pytest.fixture
    def settings(self):
        return {"RATELIMIT_ENABLED": True}

    def test_guessing_codes_is_rate_limited(self, client, make_license):
        for _ in range(10):
            assert activate(client, "HSL-2222-3333-4444").status_code == 404
        response = activate(client, make_license().code)
        assert (response.status_code, error_code(response)) == (429, "rate_limited")

    def test_check_ins_are_limited_per_token(self, client, make_license):
        token = activate(client, make_license().code).json["installation_token"]
        statuses = [check_in(client, token, 1).status_code for _ in range(31)]
        assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_revocation_list_names_revoked_licenses_and_min_serials(
    client, make_license, customer, keyring, staff
):
    from app.billing.fulfilment import FulfilmentSettings, apply_full_refund
    from app.licensing.extractor import verify_revocations
    from app.licensing.issuing import issue_next_certificate
    from app.support.licenses import revoke_license

    untouched = make_license(accounts=50)
    refunded = make_license(accounts=50)
    order = add_order(customer, license=refunded, accounts=25, status="paid")
    refunded.accounts = 75
    issue_next_certificate(
        db.session, refunded, keyring, STANDARD_TERMS, reason="upgrade", now=datetime.now(UTC)
    )
    apply_full_refund(
        db.session, order, FulfilmentSettings(keyring, STANDARD_TERMS), datetime.now(UTC), "asked for it"
    )
    revoked = make_license(accounts=25)
    revoke_license(
        db.session,
        revoked,
        staff,
        reason="chargeback",
        keyring=keyring,
        terms=STANDARD_TERMS,
        now=datetime.now(UTC),
    )
    db.session.commit()
    first = verify_revocations(client.get("/.well-known/license-revocations").data, keyring.public_keys())

    entries = {entry.license_code: (entry.status, entry.min_serial) for entry in first.licenses}
    assert entries == {refunded.code: ("active", 3), revoked.code: ("revoked", 2)}
    assert untouched.code not in entries
    revoke_license(
        db.session,
        untouched,
        staff,
        reason="fraud",
        keyring=keyring,
        terms=STANDARD_TERMS,
        now=datetime.now(UTC),
    )
    db.session.commit()
    second = verify_revocations(client.get("/.well-known/license-revocations").data, keyring.public_keys())
    assert second.sequence > first.sequence
    assert untouched.code in {entry.license_code for entry in second.licenses}
