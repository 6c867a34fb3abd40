"""Fixtures shared by every layer: a migrated database, the app, a client, factories."""

import contextvars
import os
import re
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import select, text
from sqlalchemy.orm.attributes import set_committed_value

from app import create_app
from app.extensions import db, limiter
from app.licensing import keystore
from app.mail import bodies
from app.models import OutboxMessage, SigningKey, User
from app.models.base import utcnow
from app.queue import queue_of
from config import TestConfig, database_url

TESTS = Path(__file__).resolve().parent
# Each layer is marked by its folder: a test under tests/e2e is `e2e` without anyone writing it.
LAYER_MARKS = {"e2e": pytest.mark.e2e, "integration": pytest.mark.integration}

PASSWORD = "correct-horse-battery"
# The one Redis database the tests use (queues, rate limits, the bench's smoke run); each test that
# needs it empties it first, and no test touches another database.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# The authenticator secret of staff made by `make_user` (staff always sign in with a second factor).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def pytest_collection_modifyitems(items):
    for item in items:
        layer = Path(item.path).relative_to(TESTS).parts[0]
        if layer in LAYER_MARKS:
            item.add_marker(LAYER_MARKS[layer])


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory):
    """The test database: DATABASE_URL when set (PostgreSQL), else a SQLite file."""
    if os.environ.get("DATABASE_URL"):
        return database_url(None)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def app_settings(database_uri, instance_dir):
    """Settings for every test app; tests extend them through the `settings` fixture."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "INSTANCE_DIR": instance_dir,
        "SERVER_NAME": "portal.test",
    }


@pytest.fixture(scope="session")
def _migrated(app_settings):
    """The test database at the newest schema, with the keyring's first signing key (kept between tests)."""
    app = create_app(TestConfig(), **app_settings)
    with app.app_context():
        with db.engine.begin() as conn:
            db.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            conn.execute(text("DROP TABLE IF EXISTS records_versions"))  # left by migration 0014
        upgrade()
        keystore.generate_key(db.session, TestConfig.LICENSE_KEY_SECRET, utcnow())
        db.session.commit()
        ring = keystore.load_keyring(db.session, TestConfig.LICENSE_KEY_SECRET, utcnow())
        db.session.remove()
        db.engine.dispose()
    return ring


@pytest.fixture(scope="session")
def keyring(_migrated):
    """The signing key ring of every test app."""
    return _migrated


@pytest.fixture
def redis_url():
    """TEST_REDIS_URL, emptied for this test."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.ConnectionError:
        raise AssertionError(f"Redis is expected at {REDIS_URL} (set TEST_REDIS_URL)") from None
    return REDIS_URL


@pytest.fixture
def settings():
    """Per-test config overrides; override this fixture or update it before `app`."""
    return {}


class CompiledTemplates(BytecodeCache):
    """Each template compiled once per test run, not once per test app (compiling cost a third of the run).

    Jinja checks every entry against the template's source, so an edited template is compiled again.
    """

    def __init__(self):
        self.compiled = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production, not in the test's.

    The test's session is rolled back afterwards so it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect being followed: already isolated
            return super().open(*args, **kwargs)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.rollback()
        return response


def build_app(app_settings, settings=None):
    app = create_app(TestConfig(), **{**app_settings, **(settings or {})})
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    return app


@pytest.fixture(scope="session")
def _default_app(_migrated, app_settings):
    """The app of every test that changes no setting, built once (building one cost more than most tests)."""
    return build_app(app_settings)


@pytest.fixture
def app(request, _migrated, app_settings, settings):
    """The test's app: its own when the test changes settings, else the default one, as good as new."""
    app = build_app(app_settings, settings) if settings else request.getfixturevalue("_default_app")
    config, extensions = dict(app.config), dict(app.extensions)
    limiter.init_app(app)  # the limiter's counts and switch are global: fresh, with this app's settings
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        queue_of(app).flush()  # tasks this test queued are not the next test's
        if settings:
            db.engine.dispose()
    app.config.clear()
    app.config.update(config)
    app.extensions.clear()
    app.extensions.update(extensions)


def _empty_tables():
    """Every table emptied but the keyring, which the session's `keyring` holds for every test."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table is not SigningKey.__table__:
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


class Browser:
    """The test client used the way a browser does: GET the form, then POST it with its token."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def submit(self, url, data=None, form_url=None, **kwargs):
        page = self.client.get(form_url or url)
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)

    def login(self, email, password=PASSWORD, **extra):
        """Log in, giving the authentication code too when the account asks for one."""
        response = self.submit("/login", {"email": email, "password": password, **extra})
        if response.status_code == 302 and response.headers["Location"] == "/login/code":
            response = self.submit("/login/code", {"code": authentication_code(email)})
        return response

    def set_up_two_factor(self):
        """Finish a first staff sign-in: scan the secret, give a code, and keep the recovery codes."""
        import pyotp

        page = self.client.get("/login/two-factor/setup").get_data(as_text=True)
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
        response = self.submit("/login/two-factor/setup", {"code": pyotp.TOTP(secret).now()})
        return re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", response.get_data(as_text=True))

    def logout(self):
        return self.submit("/logout", form_url="/account")


def authentication_code(email, now=None):
    """The next code the user's authenticator shows that the portal has not accepted yet."""
    import time

    import pyotp

    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == email))
    current = int((now or time.time()) // 30)
    step = current - 1 if user.totp_last_step is None else max(current - 1, user.totp_last_step + 1)
    assert step <= current + 1, "more than three sign-ins in 30 seconds: no unused code left"
    return pyotp.TOTP(user.totp_secret).at(step * 30)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def make_user(app):
    def make(email="customer@example.com", role="customer", confirmed=True, password=PASSWORD, **fields):
        if role != "customer" and "totp_secret" not in fields:
            fields |= {"totp_secret": TOTP_SECRET, "totp_confirmed_at": utcnow()}
        user = User(email=email, role=role, confirmed_at=utcnow() if confirmed else None, **fields)
        app.extensions["password_hasher"].set(user, password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def customer(make_user):
    return make_user(company="Example Hosting")


@pytest.fixture
def staff(make_user):
    return make_user(email="agent@example.com", role="support")


def sent_mail(recipient=None):
    """The queued messages, their bodies drawn as the worker draws them when it sends."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        query = query.where(OutboxMessage.recipient == recipient)
    messages = db.session.scalars(query).all()
    for message in messages:
        # Shown as the worker draws them, without writing them: reading the outbox changes nothing.
        text, html = bodies(message)
        set_committed_value(message, "text_body", text)
        set_committed_value(message, "html_body", html)
    return messages


def link_in(message):
    text, _ = bodies(message)  # drawn again if the row was read back from the database since
    match = re.search(r"https?://\S+", text)
    assert match, f"no link in {message.subject!r}"
    return match.group(0)


@pytest.fixture
def make_license(app, customer):
    """A license with its first certificate, as a purchase or trial approval leaves it."""
    from datetime import UTC, datetime

    from app.licensing.issuing import issue_next_certificate, new_license
    from app.web.services import current_keyring, current_terms

    def make(owner=None, kind="paid", accounts=50, now=None, reason=None):
        now = now or datetime.now(UTC)
        terms = current_terms()
        license = new_license(
            db.session,
            owner or customer,
            kind=kind,
            accounts=accounts,
            now=now,
            trial_days=terms.trial_days,
            support_days=terms.support_days,
        )
        issue_next_certificate(
            db.session,
            license,
            current_keyring(),
            terms,
            reason=reason or ("trial_start" if kind == "trial" else "purchase"),
            now=now,
        )
        db.session.commit()
        return license

    return make


@pytest.fixture
def customer_browser(browser, customer):
    """The browser, logged in as the customer."""
    browser.login(customer.email)
    return browser


@pytest.fixture
def agent(browser, staff):
    """The browser, logged in as the support agent."""
    browser.login(staff.email)
    return browser


@pytest.fixture
def buyer(customer):
    """The customer, known to Stripe as a customer."""
    customer.stripe_customer_id = "cus_buyer"
    db.session.commit()
    return customer


@pytest.fixture
def make_stripe_order(buyer):
    """An order of the buyer's, paid by card in Stripe and waiting for Stripe's word (the webhook)."""
    import uuid

    from tests.factories import add_order

    def make(license=None, accounts=50, status="pending", payment_intent=None):
        return add_order(
            buyer,
            license=license,
            accounts=accounts,
            status=status,
            stripe_payment_intent_id=payment_intent or f"pi_{uuid.uuid4().hex[:14]}",
            card_brand="visa",
            card_last4="4242",
            payment_attempted_at=utcnow(),
        )

    return make


@pytest.fixture
def pay_order(app):
    """Pay an order as production does: `fulfil_order` with a succeeded payment adds the accounts and
    issues the certificate and the invoice, and queues the receipt.

    ``payment`` is a ``PaymentInfo`` (e.g. of a real localstripe payment); by default the order's
    PaymentIntent, paid in full by Visa.
    """
    from app.billing.fulfilment import FulfilmentSettings, fulfil_order
    from app.web.services import current_keyring, current_terms
    from tests.support.payments import succeeded_payment

    def pay(order, payment=None, now=None):
        payment = payment or succeeded_payment(order)
        settings = FulfilmentSettings(keyring=current_keyring(), terms=current_terms())
        assert fulfil_order(db.session, order, payment, settings, now or utcnow()).code == "fulfilled"
        db.session.commit()
        db.session.refresh(order)
        return order

    return pay


@pytest.fixture
def paid_order(make_stripe_order, pay_order):
    """An order of the buyer's (a new license of 50 accounts by default), paid as production pays it."""

    def make(license=None, accounts=50, now=None):
        return pay_order(make_stripe_order(license=license, accounts=accounts), now=now)

    return make


def statements_for(browser, url):
    """How many SQL statements serving `url` takes: a list page must not query once per row."""
    from sqlalchemy import event

    seen = []

    def count(*args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert browser.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)
