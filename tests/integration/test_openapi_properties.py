"""Property-based tests of the machine API against its OpenAPI document (schemathesis).

Generated requests, valid and invalid, go to the portal over real HTTP: none may
cause a server error, and every response must match the documented status codes,
content type and schema.
"""

import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from app.api.openapi import openapi_document

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMA = schemathesis.openapi.from_dict(openapi_document())
OPERATIONS = [
    ("/api/v1/activations", "POST"),
    ("/api/v1/check-ins", "POST"),
    ("/api/v1/activations/current", "DELETE"),
]


@pytest.fixture
def portal(app):
    app.config.update(RATELIMIT_ENABLED=False, SERVER_NAME=None)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def bearer(portal, make_license, app):
    """A real installation token, so check-ins and releases are tried past authentication too."""
    client = app.test_client()
    license = make_license(accounts=50)
    body = {"license_code": license.code, "install_id": "schemathesis-server", "hostname": "cp.example.com"}
    return client.post("/api/v1/activations", json=body).json["installation_token"]


def test_the_served_document_is_the_one_tested(portal, app):
    assert app.test_client().get("/api/v1/openapi.json").json == openapi_document()


@pytest.mark.parametrize("path, method", OPERATIONS)
def test_api_matches_its_openapi_document(portal, bearer, path, method):
    headers = {} if path == "/api/v1/activations" else {"Authorization": f"Bearer {bearer}"}

    @given(case=SCHEMA[path][method].as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def generated_requests_get_documented_answers(case):
        case.call_and_validate(base_url=portal, headers=headers, checks=CHECKS)

    generated_requests_get_documented_answers()
