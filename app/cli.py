"""Operator commands: flask users, outbox, keys, license and demo."""

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from app import queue
from app.auth.passwords import current_passwords
from app.auth.two_factor import new_secret
from app.extensions import db
from app.licensing import keystore
from app.licensing.extractor.cli import main as run_extractor
from app.licensing.extractor_file import build_extractor_file
from app.licensing.keys import KeyRingError
from app.mail import DeliveryPolicy, send_messages, transport_for
from app.models import OutboxMessage, User
from app.models.base import utcnow
from app.models.user import ROLES, normalize_email

users = AppGroup("users", help="Manage portal users.")
outbox = AppGroup("outbox", help="The queue of outgoing email.")


@users.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), default="customer", show_default=True)
@click.option("--company", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, role, company, password_stdin):
    """Create a confirmed user, e.g. a support agent."""
    email = normalize_email(email)
    if "@" not in email:
        raise click.UsageError(f"{email!r} is not an email address.")
    if db.session.scalar(select(User).where(User.email == email)):
        raise click.ClickException(f"A user with the email {email} already exists.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 10:
        raise click.ClickException("The password must have at least 10 characters.")
    user = User(email=email, role=role, company=company, confirmed_at=utcnow())
    current_passwords().set(user, password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {email}.")


@outbox.command("send")
def send_outbox():
    """Send every queued message now, not waiting for its retry time (the worker sends on its own)."""
    policy = DeliveryPolicy.from_config(current_app.config)
    report = send_messages(db.session, transport_for(current_app.config), policy, ignore_backoff=True)
    click.echo(
        f"Sent {report.sent} message(s); {len(report.retrying)} will be retried; "
        f"{report.failed} failed for good."
    )
    if report.failed or report.retrying:
        sys.exit(1)


@outbox.command("status")
def outbox_status():
    """Count messages by status, with the error of each failed message and each one being retried."""
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    for status, count in rows:
        click.echo(f"{status}: {count}")
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.last_error.is_not(None), OutboxMessage.status.in_(("queued", "failed")))
        .order_by(OutboxMessage.id)
    ):
        click.echo(f"  #{message.id} {message.status} to {message.recipient}: {message.last_error}")


keys = AppGroup("keys", help="The Ed25519 keys that sign License Certificates, shared by every host.")
license_group = AppGroup("license", help="License Certificates.")


def _keyring_change(operation, *args):
    """Run a keyring change and commit it; its errors become one-line messages and change nothing."""
    try:
        result = operation(db.session, *args)
    except KeyRingError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    return result


@keys.command("generate")
@click.option("--if-missing", is_flag=True, help="Do nothing when the keyring already has keys.")
def generate(if_missing):
    """Create the first signing key; refuses when the keyring has keys."""
    if if_missing and keystore.keys_in_order(db.session):
        click.echo("The keyring already has keys.")
        return
    row = _keyring_change(keystore.generate_key, current_app.config["LICENSE_KEY_SECRET"], utcnow())
    click.echo(f"Created signing key {row.kid}; it signs from now.")


@keys.command("rotate")
def rotate():
    """Publish a new signing key now; it signs after KEY_PUBLISH_HOURS. Older keys stay published."""
    cfg = current_app.config
    row = _keyring_change(keystore.rotate_key, cfg["LICENSE_KEY_SECRET"], utcnow(), cfg["KEY_PUBLISH_HOURS"])
    click.echo(f"New signing key {row.kid}, published now; signs from {row.signs_from:%Y-%m-%d %H:%M} UTC.")


@keys.command("list")
def list_keys():
    """Show every key id, oldest first: the one signing now, those waiting to, and public-only keys."""
    now = utcnow()
    rows = keystore.keys_in_order(db.session)
    if not rows:
        raise click.ClickException("The keyring is empty; create a key with 'flask keys generate'.")
    signing = keystore.signing_row(rows, now)
    for row in rows:
        if row is signing:
            state = "(signing)"
        elif row.signs_from and row.signs_from > now:
            state = f"(published; signs from {row.signs_from:%Y-%m-%d %H:%M} UTC)"
        elif row.private_key_sealed:
            state = "(retired)"
        else:
            state = "(public key only)"
        click.echo(f"{row.kid}  Ed25519  {state}")


@keys.command("import-file")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def import_file(path):
    """Bring in a key file (instance/license-keys.json): the certificates its keys signed keep verifying."""
    secret = current_app.config["LICENSE_KEY_SECRET"]
    imported = _keyring_change(keystore.import_key_file, secret, path, utcnow())
    added = ", ".join(imported.added) or "none"
    click.echo(f"Imported from {path}: public keys added: {added}.")
    if imported.signing:
        click.echo(f"Key {imported.signing} signs from now.")


@keys.command("import-public")
@click.argument("key_id")
@click.argument("public_key")
def import_public(key_id, public_key):
    """Publish a public key alone (base64, as in the key set): certificates it signed keep verifying."""
    row = _keyring_change(keystore.import_public_key, key_id, public_key, utcnow())
    click.echo(f"Published key {row.kid} (public key only).")


@license_group.command(
    "extract",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
)
@click.pass_context
def extract(ctx):
    """The LicenseExtractor (python -m app.licensing.extractor --help for its options)."""
    sys.exit(run_extractor(ctx.args))


@license_group.command("build-extractor")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it.  [default: instance/extractor.pyz]",
)
def build_extractor(out):
    """Build the LicenseExtractor as one file for control panels (it needs Python 3 and cryptography)."""
    out = out or Path(current_app.instance_path) / "extractor.pyz"
    try:
        build_extractor_file(out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"Wrote the LicenseExtractor to {out}; run it with: python3 {out} --help")


@click.command("worker")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Worker threads.")
@click.option("--no-periodic", is_flag=True, help="Run queued tasks only; another host schedules the jobs.")
def worker(workers, no_periodic):
    """Run the task queue's worker: send email and run the periodic jobs. Stop it with Ctrl-C."""
    app = current_app._get_current_object()
    where = app.config.get("QUEUE_URL") or app.config["QUEUE_PATH"]
    click.echo(f"Worker on {where} with {workers} thread(s).")
    queue.worker(app, workers=workers, periodic=not no_periodic).run()


@click.command("demo")
def demo():
    """Create the demo data (idempotent) and print the logins, with the portal's address from PORT.

    Development and tests only: elsewhere the demo passwords would be public ways in.
    """
    from app.demo import create_demo
    from app.web.services import current_keyring, current_terms

    if current_app.config["ENV_NAME"] not in ("development", "test"):
        raise click.ClickException("flask demo only runs with PORTAL_ENV=development.")
    logins = create_demo(db.session, current_keyring(), current_terms(), current_passwords())
    port = os.environ.get("PORT", "5000")
    click.echo(f"Demo logins for http://127.0.0.1:{port}/login :")
    for email, role, password in logins:
        click.echo(f"  {role:9} {email}  password: {password}")
        user = db.session.scalar(select(User).where(User.email == email))
        if user.is_staff:
            if not user.totp_secret:
                user.totp_secret = new_secret()  # set up at the first sign-in, with this secret
            click.echo(f"  {'':9} authenticator secret (two-factor): {user.totp_secret}")
    db.session.commit()


def init_app(app):
    app.cli.add_command(users)
    app.cli.add_command(outbox)
    app.cli.add_command(demo)
    app.cli.add_command(worker)
    app.cli.add_command(keys)
    app.cli.add_command(license_group)
