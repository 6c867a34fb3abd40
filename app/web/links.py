"""Absolute links to the portal from outside a request (emails drawn by the worker, commands)."""

from contextlib import contextmanager

import click
from flask import current_app


@contextmanager
def portal_links():
    """Let the worker or a command build absolute links (in emails) to PORTAL_URL, as a request would."""
    base = current_app.config.get("PORTAL_URL")
    if not base and not current_app.config.get("SERVER_NAME"):
        raise click.ClickException(
            "PORTAL_URL is not set: emails link to the portal and need its address "
            "(e.g. PORTAL_URL=https://licenses.example.com)."
        )
    with current_app.test_request_context("/", base_url=base):
        yield
