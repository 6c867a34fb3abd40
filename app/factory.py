"""The app factory: create_app() builds the portal from its parts, step by step."""

from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app import errors, guards, mail, ops, queue, security
from app.extensions import csrf, db, limiter, login_manager, migrate
from app.models.base import render_migration_item
from app.ops import logs
from config import load_config


class Portal(Flask):
    def url_for(self, endpoint, *, _external=False, **values):
        """Absolute links (those in emails) start with PORTAL_URL, never with the request's Host."""
        base = self.config.get("PORTAL_URL")
        if _external and base:
            return base.rstrip("/") + super().url_for(endpoint, _external=False, **values)
        return super().url_for(endpoint, _external=_external, **values)


def create_app(config=None, **overrides):
    app = Portal(__name__, template_folder="../templates", static_folder="../static")
    configure(app, config, overrides)
    register_request_guards(app)
    register_extensions(app)
    register_services(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def configure(app, config, overrides):
    app.config.from_object(config or load_config())
    app.config.update(overrides)
    app.instance_path = str(app.config["INSTANCE_DIR"])
    if not app.config.get("QUEUE_PATH"):
        app.config["QUEUE_PATH"] = str(Path(app.config["INSTANCE_DIR"]) / "queue.db")
    logs.configure_logging(app.config["LOG_FORMAT"])


def register_request_guards(app):
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    guards.init_app(app)


def register_extensions(app):
    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True, render_item=render_migration_item)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    mail.init_app(app)
    security.init_app(app)
    queue.build_queue(app)
    ops.init_app(app)


def register_services(app):
    """The password hasher, the commercial terms and the Stripe gateway, built once from the configuration."""
    from app.auth import passwords
    from app.billing.gateway import StripeGateway
    from app.web import services

    cfg = app.config
    passwords.init_app(app)
    services.init_app(
        app,
        make_gateway=lambda: StripeGateway(
            secret_key=cfg["STRIPE_SECRET_KEY"],
            api_base=cfg["STRIPE_API_BASE"],
            webhook_secret=cfg["STRIPE_WEBHOOK_SECRET"],
            max_network_retries=cfg["STRIPE_MAX_NETWORK_RETRIES"],
        ),
    )


def register_blueprints(app):
    from app import auth, portal, support
    from app.api import views as api
    from app.billing import views as billing
    from app.contact import views as contact
    from app.trials import views as trials

    for module in (auth, portal, billing, trials, support, api, contact):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.revocations_bp)


def register_errorhandlers(app):
    errors.init_app(app)


def register_commands(app):
    from app import cli
    from app.billing import commands as billing_commands
    from app.trials import commands as trials_commands

    cli.init_app(app)
    billing_commands.init_app(app)
    trials_commands.init_app(app)


def register_template_helpers(app):
    from app import formatting

    formatting.init_app(app)


@login_manager.user_loader
def load_user(user_id):
    from app.auth.sessions import load_signed_in_user

    return load_signed_in_user(user_id)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout let SQLite take concurrent writers (README: Deploying)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
