"""Services built from the app's config: the signing key ring and the Stripe gateway."""

import os

from flask import current_app

from app.billing.gateway import StripeGateway
from app.licensing.keys import load_keyring


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
    """The Stripe gateway for this app's STRIPE_* settings, built once per app."""
    gateway = current_app.extensions.get("stripe_gateway")
    if gateway is None:
        cfg = current_app.config
        gateway = StripeGateway(
            secret_key=cfg["STRIPE_SECRET_KEY"],
            api_base=cfg["STRIPE_API_BASE"],
            webhook_secret=cfg["STRIPE_WEBHOOK_SECRET"],
            max_network_retries=cfg["STRIPE_MAX_NETWORK_RETRIES"],
        )
        current_app.extensions["stripe_gateway"] = gateway
    return gateway
