"""flask keys … and flask license extract."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from app.licensing import extractor
from app.licensing.keys import KeyRingError, generate_keyring, load_keyring, rotate_keyring

keys = AppGroup("keys", help="The Ed25519 keys that sign License Certificates.")
license_group = AppGroup("license", help="License Certificates.")


def _path():
    return current_app.config["LICENSE_KEYS_PATH"]


@keys.command("generate")
def generate():
    """Create the signing key file (mode 0600); refuses to overwrite one."""
    try:
        ring = generate_keyring(_path())
    except KeyRingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created signing key {ring.signing_key_id} in {_path()}.")


@keys.command("rotate")
def rotate():
    """Add a new signing key; certificates signed with older keys keep verifying."""
    try:
        ring = rotate_keyring(_path())
    except KeyRingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"New signing key {ring.signing_key_id}; older keys stay published.")


@keys.command("list")
def list_keys():
    """Show the key ids; the current signing key is marked."""
    try:
        ring = load_keyring(_path())
    except KeyRingError as exc:
        raise click.ClickException(str(exc)) from None
    for key_id in ring.public_keys():
        marker = "  (signing)" if key_id == ring.signing_key_id else ""
        click.echo(f"{key_id}  Ed25519{marker}")


@license_group.command(
    "extract",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
)
@click.pass_context
def extract(ctx):
    """The LicenseExtractor (python -m app.licensing.extractor --help for its options)."""
    sys.exit(extractor.main(ctx.args))


def init_app(app):
    app.cli.add_command(keys)
    app.cli.add_command(license_group)
