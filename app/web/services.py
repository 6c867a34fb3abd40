"""The services every view and command is given, built once from the app's configuration."""

from flask import current_app

from app.extensions import db
from app.licensing import keystore
from app.models.base import utcnow
from app.terms import Terms


def init_app(app, *, make_gateway):
    """Build the terms (refusing to start on a bad value); the Stripe gateway is made on first use."""
    try:
        app.extensions["terms"] = Terms.from_config(app.config)
    except ValueError as error:
        raise SystemExit(f"{error}: the portal refuses to start with it.") from None
    app.extensions["stripe_gateway_factory"] = make_gateway

    @app.context_processor
    def inject_terms():
        return {"terms": app.extensions["terms"]}


def current_terms() -> Terms:
    """The commercial terms: price, packs, grace, trials, support."""
    return current_app.extensions["terms"]


def current_keyring():
    """The keyring every host shares (the database), its signing key opened with LICENSE_KEY_SECRET."""
    return keystore.load_keyring(db.session, current_app.config["LICENSE_KEY_SECRET"], utcnow())


def current_gateway():
    """The Stripe gateway for this app's STRIPE_* settings, made once per app."""
    gateway = current_app.extensions.get("stripe_gateway")
    if gateway is None:
        gateway = current_app.extensions["stripe_gateway"] = current_app.extensions[
            "stripe_gateway_factory"
        ]()
    return gateway
