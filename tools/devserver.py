"""`make run`: migrate, make sure of a signing key, add demo data, start localstripe and the worker.

The worker (`flask worker`) sends email and runs the periodic jobs from the task queue
(instance/queue.db, or QUEUE_URL); Ctrl-C stops the portal, the worker and localstripe together.

Payments go to localstripe, the Stripe stand-in, started here on 127.0.0.1:8420
(LOCALSTRIPE_PORT for another port) with the portal's webhook registered on it
and stopped with the portal. It is not started when STRIPE_API_BASE names
another Stripe-compatible server, or when STRIPE_SECRET_KEY is set without it:
then the STRIPE_* variables given are used as they are (real Stripe).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LAUNCHER = ROOT / "tools" / "localstripe_server.py"
LOCALSTRIPE_PORT = 8420
# localstripe takes any key shaped like Stripe's: these open nothing anywhere else.
LOCALSTRIPE_SECRET_KEY = "sk_test_localstripe"  # noqa: S105
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
START_TIMEOUT_SECONDS = 15
# localstripe starts empty: Stripe customers remembered from an earlier run exist no more.
FORGET_STRIPE_CUSTOMERS = """
from app import create_app
from app.extensions import db
from app.models import User

with create_app().app_context():
    db.session.execute(db.update(User).values(stripe_customer_id=None))
    db.session.commit()
"""
TEST_CARDS = (
    "4242 4242 4242 4242 pays; 4000 0000 0000 0341 is declined; "
    "4000 0025 0000 3155 asks for 3-D Secure (any future expiry, any CVC)"
)


def flask(*args, env):
    subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def instance_path(env):
    return Path(env.get("INSTANCE_PATH") or ROOT / "instance")


def ensure_signing_key(env):
    """Bring an older key file into the keyring (its certificates keep verifying), else make a first key."""
    key_file = instance_path(env) / "license-keys.json"
    if key_file.exists():
        flask("keys", "import-file", str(key_file), env=env)
    flask("keys", "generate", "--if-missing", env=env)


def uses_localstripe(env):
    return not env.get("STRIPE_API_BASE") and not env.get("STRIPE_SECRET_KEY")


def port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_localstripe(env, portal_port):
    """Start localstripe with the portal's webhook, and point the portal's STRIPE_* settings at it."""
    port = int(env.get("LOCALSTRIPE_PORT", LOCALSTRIPE_PORT))
    if not port_is_free(port):
        raise SystemExit(
            f"Port {port} is taken, so localstripe cannot start: stop what uses it, "
            "or set LOCALSTRIPE_PORT to another port (or STRIPE_API_BASE to a running localstripe)."
        )
    base_url = f"http://127.0.0.1:{port}"
    webhook_secret = f"whsec_{secrets.token_hex(24)}"
    log_path = instance_path(env) / "localstripe.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                str(LAUNCHER),
                "--port",
                str(port),
                "--webhook-url",
                f"http://127.0.0.1:{portal_port}/webhooks/stripe",
                "--webhook-secret",
                webhook_secret,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        if process.poll() is not None:
            raise SystemExit(f"localstripe stopped at start:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/js.stripe.com/v3/", timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                stop(process)
                raise SystemExit(f"localstripe did not answer within {START_TIMEOUT_SECONDS} s") from None
            time.sleep(0.1)
    env.update(
        STRIPE_API_BASE=base_url,
        STRIPE_JS_URL=f"{base_url}/js.stripe.com/v3/",
        STRIPE_SECRET_KEY=LOCALSTRIPE_SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY=LOCALSTRIPE_PUBLISHABLE_KEY,
        STRIPE_WEBHOOK_SECRET=webhook_secret,
        STRIPE_MAX_NETWORK_RETRIES="0",
    )
    print(f"localstripe (the Stripe stand-in) is at {base_url}; its log is {log_path}", flush=True)
    return process


def stop(process):
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main():
    env = {**os.environ, "PORTAL_ENV": os.environ.get("PORTAL_ENV", "development")}
    port = env.get("PORT", "5000")
    flask("db", "upgrade", env=env)
    ensure_signing_key(env)
    if env["PORTAL_ENV"] == "development":
        flask("demo", env=env)
    localstripe = None
    if uses_localstripe(env):
        if env["PORTAL_ENV"] == "development":
            subprocess.run([sys.executable, "-c", FORGET_STRIPE_CUSTOMERS], cwd=ROOT, env=env, check=True)
        localstripe = start_localstripe(env, port)
    portal = worker = None
    # Stopped by the operator (Ctrl-C) or a supervisor (SIGTERM): the worker and localstripe stop too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        print(f"\nThe License Portal is at http://127.0.0.1:{port}/", flush=True)
        if localstripe is not None:
            print(f"Test cards: {TEST_CARDS}.\n", flush=True)
        worker = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "worker"], cwd=ROOT, env=env)
        portal = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", port],
            cwd=ROOT,
            env=env,
        )
        return wait_for_either(portal, worker)
    except KeyboardInterrupt:
        return 0
    finally:
        stop(portal)
        stop(worker)
        stop(localstripe)


def wait_for_either(portal, worker):
    """Serve until the portal or the worker stops; one without the other is no working portal."""
    while True:
        for name, process in (("portal", portal), ("worker", worker)):
            code = process.poll()
            if code is not None:
                if name == "worker" and code != 0:
                    print(f"The worker stopped (exit {code}); stopping the portal too.", flush=True)
                return code
        time.sleep(0.5)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
