"""The LicenseExtractor's command line: verify a certificate, or `fetch` it from the portal.

Exit codes: 0 valid, 1 invalid or tampered, 2 unreadable input or bad usage, 3 valid
signature but the trial has expired, 4 serial older than --min-serial (or, with --state,
a revocation list older than one seen before; for `fetch`, a serial older than one seen
before), 5 revoked or superseded (by --revocations, or as the portal answered `fetch`).
A revoked certificate alone exits 0 when verified offline: it is authentic and must be
installed, because it supersedes the active one; its verdict is BLOCKED.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from .certificate_format import UTC, CertificateError, verify_certificate
from .public_keys import KeySetError, load_key_set_json, load_public_key_pem
from .report import (
    Exit,
    Failure,
    expiry_failure,
    fail,
    reason,
    render_json,
    render_text,
)
from .revocation_list import verify_revocations
from .state import load_state, remember_revocations, save_state


class _Parser(argparse.ArgumentParser):
    """Usage errors end like every other failure: one line on standard error and exit code 2."""

    def __init__(self, *, hint: str, **settings):
        super().__init__(**settings)
        self.hint = hint

    def error(self, message):
        raise Failure(Exit.UNREADABLE, f"usage error: {message} (see {self.hint})")


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid non-negative integer value: {text!r}")
    return value


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid ISO 8601 time value: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _verify_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        hint="--help", description="Verify a License Certificate and print the license it holds."
    )
    parser.add_argument("certificate", nargs="?", default="-", help="certificate file; '-' or none: stdin")
    keys = parser.add_mutually_exclusive_group(required=True)
    keys.add_argument("--public-key", metavar="FILE", help="Ed25519 public key in PEM")
    keys.add_argument("--keys", metavar="FILE", help="key set JSON published at /.well-known/license-keys")
    parser.add_argument("--out", metavar="FILE", help="write the license info to FILE instead of stdout")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--accounts", type=_non_negative, metavar="N", help="accounts created in the CP")
    parser.add_argument("--min-serial", type=_non_negative, metavar="S", help="serial already installed")
    parser.add_argument("--now", type=_moment, metavar="ISO", help="check expiry at this time")
    parser.add_argument(
        "--revocations", metavar="FILE", help="revocation list from /.well-known/license-revocations"
    )
    parser.add_argument(
        "--state", metavar="FILE", help="with --revocations: remembers the newest list, refuses older ones"
    )
    return parser


def _fetch_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        hint="fetch --help",
        prog=f"{Path(sys.argv[0]).name} fetch",
        description="Activate this server with the license code, or check in, and install the certificate.",
    )
    parser.add_argument(
        "--portal", required=True, metavar="URL", help="the portal, e.g. https://licenses.example.com"
    )
    parser.add_argument(
        "--code", required=True, metavar="CODE", help="the license code, e.g. HSL-7K2Q-M9XD-4RTP"
    )
    parser.add_argument("--hostname", required=True, metavar="H", help="this server's hostname")
    parser.add_argument("--accounts", type=_non_negative, metavar="N", help="accounts created in the CP")
    parser.add_argument("--state", required=True, metavar="FILE", help="install id, token and pinned keys")
    parser.add_argument("--out", metavar="FILE", help="where the certificate is written")
    parser.add_argument("--release", action="store_true", help="release this server's installation")
    parser.add_argument("--timeout", type=float, default=30.0, help=argparse.SUPPRESS)
    return parser


def _read(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise Failure(Exit.UNREADABLE, f"error: cannot read {path}: {reason(exc)}") from None


def _public_keys(args) -> dict:
    path = args.public_key or args.keys
    load = load_public_key_pem if args.public_key else load_key_set_json
    try:
        return load(Path(path).read_bytes())
    except (OSError, KeySetError) as exc:
        raise Failure(Exit.UNREADABLE, f"error: cannot use key file {path}: {reason(exc)}") from None


def _revocations(args, public_keys: dict):
    if not args.revocations:
        return None
    try:
        return verify_revocations(_read(args.revocations), public_keys)
    except CertificateError as exc:
        raise Failure(Exit.INVALID, f"invalid revocation list: {exc}") from None


def _emit(report: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(report)
        return
    try:
        Path(out).write_text(report, encoding="utf-8")
    except OSError as exc:
        raise Failure(Exit.UNREADABLE, f"error: cannot write {out}: {reason(exc)}") from None


def _verify(args) -> int:
    """Verify the certificate and print it; return the exit code or raise Failure."""
    public_keys = _public_keys(args)
    text = _read(args.certificate)
    try:
        claims = verify_certificate(text, public_keys)
    except CertificateError as exc:
        raise Failure(Exit.INVALID, f"invalid certificate: {exc}") from None
    revocations = _revocations(args, public_keys)
    state_path = Path(args.state) if args.state and revocations else None
    state = load_state(state_path) if state_path else {}
    now = args.now or datetime.now(UTC)
    render = render_json if args.format == "json" else render_text
    _emit(render(claims, now, args.accounts), args.out)
    if state_path and remember_revocations(state, revocations):
        save_state(state_path, state)
    refusal = revocations.refusal(claims) if revocations else None
    if refusal:
        raise Failure(Exit.REVOKED, refusal)
    if args.min_serial is not None and claims.serial < args.min_serial:
        raise Failure(
            Exit.OLDER,
            f"refused: certificate serial {claims.serial} is older than installed serial {args.min_serial}",
        )
    if claims.is_expired(now):
        raise expiry_failure(claims)
    return Exit.VALID


def main(argv: list[str] | None = None) -> int:
    """Run the LicenseExtractor; return the exit code (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv[:1] == ["fetch"]:
            from . import fetch  # the HTTP client is loaded only by the command that talks to a portal

            parser, command = _fetch_parser(), fetch.run
            argv = argv[1:]
        else:
            parser, command = _verify_parser(), _verify
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help
            return exc.code if isinstance(exc.code, int) else Exit.VALID
        return command(args)
    except Failure as failure:
        return fail(failure.code, str(failure))
    except KeyboardInterrupt:
        return fail(130, "interrupted")
    except Exception as exc:  # a verifier must fail closed with one line, never a traceback
        return fail(Exit.INVALID, f"error: unexpected {type(exc).__name__}: {exc}")
