"""The services every view and command is given, built once from the app's configuration."""

import os

from flask import current_app

from app.licensing.keys import load_keyring
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
    """The key ring in LICENSE_KEYS_PATH, reloaded when the file changes (`flask keys rotate`)."""
    path = current_app.config["LICENSE_KEYS_PATH"]
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return load_keyring(path)  # raises KeyRingError saying what is wrong with the file
    cached = current_app.extensions.get("license_keyring")
    if cached is None or cached[0] != (path, stamp):
        cached = ((path, stamp), load_keyring(path))
        current_app.extensions["license_keyring"] = cached
    return cached[1]


def current_gateway():
    """The Stripe gateway for this app's STRIPE_* settings, made once per app."""
    gateway = current_app.extensions.get("stripe_gateway")
    if gateway is None:
        gateway = current_app.extensions["stripe_gateway"] = current_app.extensions[
            "stripe_gateway_factory"
        ]()
    return gateway
