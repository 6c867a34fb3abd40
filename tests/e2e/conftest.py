"""The browser harness: the portal served on a free port, driven by Playwright in Chromium."""

import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, authentication_code
from tests.integration.queue_helpers import running_worker

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RESULTS = ROOT / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def settings():
    return {"SERVER_NAME": None}


@pytest.fixture
def live_server(app):
    """The test app served over real HTTP on 127.0.0.1, in a thread, with a worker for Stripe's events."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    app.config["PORTAL_URL"] = server.url  # links in emails lead to this server
    with running_worker(app):
        yield server
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def output_dir(request):
    """test-results/<test name>/, where screenshots and downloads of a test are kept."""
    path = RESULTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def new_page(chromium, live_server):
    """Open pages in fresh browser contexts (one per user); all closed at the end."""
    contexts = []

    def open_page():
        context = chromium.new_context(base_url=live_server.url, accept_downloads=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def submit_login(page, email, password=PASSWORD):
    """Fill in and send the login form the page shows."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_in(page, email, password=PASSWORD):
    """Log in through the login page, as a person does."""
    page.goto("/login")
    submit_login(page, email, password)
    page.wait_for_load_state()
    if page.url.endswith("/login/code"):  # staff: the second factor, from their authenticator
        page.get_by_label("Authentication code").fill(authentication_code(email))
        page.get_by_role("button", name="Continue").click()
    elif page.url.endswith("/login/two-factor/setup"):  # staff's first sign-in: scan the secret
        import pyotp

        secret = page.locator("#totp-secret").inner_text().strip()
        page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on two-factor authentication").click()
        page.get_by_role("link", name="I have saved my recovery codes").click()
    page.wait_for_load_state()


def download_certificate(page, output_dir):
    """Click "Download certificate" and keep the file in ``output_dir``; returns its path."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download certificate").click()
    certificate = output_dir / download_info.value.suggested_filename
    download_info.value.save_as(certificate)
    return certificate


def extract_certificate(page, certificate, output_dir):
    """Run the LicenseExtractor on ``certificate``, as on a control-panel server; returns its JSON report.

    It checks the signature against the keys the portal publishes at /.well-known/license-keys.
    """
    keys = output_dir / "license-keys.json"
    keys.write_bytes(page.request.get("/.well-known/license-keys").body())
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.licensing.extractor",
            str(certificate),
            "--keys",
            str(keys),
            "--format",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
