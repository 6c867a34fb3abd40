"""Operator commands: staff users, the outbox and the demo data."""

from sqlalchemy import select

from app.extensions import db
from app.models import BillingDocument, License, Order, TrialRequest, User
from tests.conftest import Browser


def test_users_create_staff_from_stdin(runner, client):
    result = runner.invoke(
        args=["users", "create", "--email", "Agent@Example.com", "--role", "support", "--password-stdin"],
        input="a-long-staff-password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created support agent@example.com" in result.output
    user = db.session.scalar(select(User).where(User.email == "agent@example.com"))
    assert user.role == "support" and user.is_confirmed
    browser = Browser(client)
    response = browser.login("agent@example.com", "a-long-staff-password")
    assert response.headers["Location"] == "/login/two-factor/setup"
    assert len(browser.set_up_two_factor()) == 10
    assert browser.get("/support/").status_code == 200


def test_users_create_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["users", "create", "--email", "admin@example.com", "--role", "admin"],
        input="a-long-admin-password\na-long-admin-password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.email == "admin@example.com")) == "admin"


def test_users_create_refuses_bad_input(runner, staff):
    duplicate = runner.invoke(
        args=["users", "create", "--email", staff.email.upper(), "--password-stdin"], input="x" * 12 + "\n"
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(
        args=["users", "create", "--email", "new@example.com", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    role = runner.invoke(args=["users", "create", "--email", "new@example.com", "--role", "root"])
    assert role.exit_code != 0 and "Invalid value for '--role'" in role.output
    assert db.session.scalar(select(User).where(User.email == "new@example.com")) is None


def test_demo_creates_the_demo_data_once_and_prints_the_real_address(runner, client, monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    first = runner.invoke(args=["demo"])
    second = runner.invoke(args=["demo"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert "http://127.0.0.1:5123/login" in second.output
    assert "customer@example.com  password: demo-customer-pass" in second.output
    assert "support@example.com  password: demo-support-pass" in second.output
    assert "admin@example.com  password: demo-admin-pass" in second.output
    assert len(db.session.scalars(select(User)).all()) == 4

    customer = Browser(client)
    assert customer.login("customer@example.com", "demo-customer-pass").headers["Location"] == "/licenses"
    [license] = db.session.scalars(select(License)).all()
    assert license.kind == "paid" and len(license.certificates) == 2
    statuses = sorted(order.status for order in db.session.scalars(select(Order)).all())
    assert statuses == ["failed", "paid", "paid"]
    assert license.code in customer.get("/licenses").get_data(as_text=True)
    history = customer.get("/orders").get_data(as_text=True)
    assert "Failed" in history or "failed" in history
    assert "Invoice INV-" in history  # both paid orders have an invoice, to Demo Hosting Ltd in Dublin
    assert len(db.session.scalars(select(BillingDocument)).all()) == 2
    assert "Demo Hosting Ltd" in customer.get("/account/billing").get_data(as_text=True)
    [trial_request] = db.session.scalars(select(TrialRequest)).all()
    assert trial_request.status == "pending" and trial_request.user.email == "trial@example.com"

    admin = Browser(client.application.test_client())
    signed_in = admin.login("admin@example.com", "demo-admin-pass")
    assert signed_in.headers["Location"].startswith("/login/two-factor/setup")  # staff: second factor first
    admin.set_up_two_factor()
    assert admin.get("/support/staff").status_code == 200


def test_rate_limits_can_live_in_redis(_migrated, app_settings, redis_url):
    from app import create_app
    from config import TestConfig

    app = create_app(TestConfig(), **app_settings, RATELIMIT_STORAGE_URI=redis_url)
    browser = Browser(app.test_client())
    codes = [browser.submit("/forgot-password", {"email": "x@example.com"}).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def three_requests_from_a_new_worker(settings):
    """What one worker process answers one client's three password-reset requests with."""
    from app import create_app
    from config import TestConfig

    browser = Browser(create_app(TestConfig(), **settings).test_client())
    return [browser.submit("/forgot-password", {"email": "x@example.com"}).status_code for _ in range(3)]


def test_rate_limits_hold_across_worker_processes_sharing_redis(_migrated, app_settings, redis_url):
    """Two worker processes count one client's requests together: the sixth of five allowed is refused."""
    import multiprocessing

    settings = {**app_settings, "RATELIMIT_STORAGE_URI": redis_url}
    codes = []
    for _ in range(2):  # forked, as gunicorn starts its workers
        with multiprocessing.get_context("fork").Pool(1) as worker:
            codes += worker.apply(three_requests_from_a_new_worker, (settings,))
    assert codes == [200] * 5 + [429]
