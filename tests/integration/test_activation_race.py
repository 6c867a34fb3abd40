"""However many servers activate one license at the same moment, one gets it (MAX_INSTALLATIONS=1).

Runs on the test database: PostgreSQL when DATABASE_URL is set, SQLite otherwise.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Installation

SERVERS = 20


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": False}


def activate_at_once(app, bodies):
    start = threading.Barrier(len(bodies))

    def activate(body):
        client = app.test_client()
        start.wait()
        return client.post("/api/v1/activations", json=body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        responses = list(pool.map(activate, bodies))
    db.session.rollback()
    return responses


def test_20_servers_activating_one_license_at_once_leave_it_on_one(app, make_license):
    license = make_license()
    bodies = [
        {"license_code": license.code, "install_id": f"server-{n:04d}", "hostname": f"cp{n}.example.com"}
        for n in range(SERVERS)
    ]

    responses = activate_at_once(app, bodies)

    assert Counter(response.status_code for response in responses) == {201: 1, 409: SERVERS - 1}
    assert {r.json["error"]["code"] for r in responses if r.status_code == 409} == {"license_in_use"}
    [installation] = db.session.scalars(select(Installation)).all()
    [winner] = [r for r in responses if r.status_code == 201]
    assert installation.install_id == winner.json["install_id"] and installation.slot == 1
