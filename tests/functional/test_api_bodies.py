"""Bodies no field can hold: nesting without end, lone surrogates and NUL are each a 422 naming why."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Installation, UsageReport
from tests.functional.test_api import activate

FIELDS = '"install_id": "a1b2c3d4e5f60718", "hostname": "cp1.example.com"'


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False}


def post(client, url, body, **kwargs):
    return client.post(url, data=body, content_type="application/json", **kwargs)


def count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def assert_refused(response, words):
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error" and words in error["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 32 levels"),
        ('{"license_code": ' + "[" * 40 + "]" * 40 + "}", "nested deeper than 32 levels"),
        ('{"license_code": "HSL-\\ud800", ' + FIELDS + "}", "lone surrogate"),
        ('{"license_code": "HSL-2222", "\\udfff": 1, ' + FIELDS + "}", "lone surrogate"),
        ('{"license_code": "HSL-\\u0000", ' + FIELDS + "}", "NUL character"),
        (
            '{"license_code": "HSL-2222", "install_id": "a1b2c3d4\\u0000", "hostname": "cp1.example.com"}',
            "NUL",
        ),
    ],
)
def test_an_activation_body_no_field_can_hold_is_a_validation_error(client, make_license, body, words):
    make_license()
    assert_refused(post(client, "/api/v1/activations", body), words)
    assert count(Installation) == 0


def test_a_check_in_nested_without_end_is_a_validation_error(client, make_license):
    token = activate(client, make_license().code).json["installation_token"]
    response = post(
        client,
        "/api/v1/check-ins",
        '{"created_accounts": ' + "[" * 100_000 + "]" * 100_000 + "}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_refused(response, "nested deeper")
    assert count(UsageReport) == 0


def test_a_valid_unicode_hostname_error_still_names_the_field(client, make_license):
    code = make_license().code
    body = (
        '{"license_code": "' + code + '", "install_id": "a1b2c3d4e5f60718", "hostname": "caf\\u00e9.example"}'
    )
    response = post(client, "/api/v1/activations", body)
    assert_refused(response, "'hostname' is not valid")
